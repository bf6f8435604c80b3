package front50

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

func (s *s3Store) LockLocation() string { return "s3://" + s.bucket + "/" + s.lay.lockKey() }

// CreateLock is a PUT with If-None-Match: *, with the store's encryption settings.
func (s *s3Store) CreateLock(ctx context.Context, body []byte) (LockHandle, error) {
	key := s.lay.lockKey()
	etag, version, _, err := s.putVersioned(ctx, key, body, PutOptions{IfNoneMatch: true})
	if err != nil {
		return LockHandle{}, s.wrap("create", key, err)
	}
	return LockHandle{ETag: etag, VersionID: version}, nil
}

func (s *s3Store) ReadLock(ctx context.Context) ([]byte, LockHandle, error) {
	key := s.lay.lockKey()
	obj, version, _, err := s.getVersioned(ctx, key)
	if err != nil {
		return nil, LockHandle{}, s.wrap("get", key, err)
	}
	return obj.Body, LockHandle{ETag: obj.ETag, VersionID: version}, nil
}

// DeleteLock deletes the lock's own version on a versioned bucket: that version is exactly
// the lock this handle names, and deleting it by version leaves no delete marker (over which
// some servers refuse the next create-only PUT). Without a version, or without the
// permission to delete versions, it is a delete conditional on the ETag.
func (s *s3Store) DeleteLock(ctx context.Context, h LockHandle) error {
	key := s.lay.lockKey()
	if h.VersionID != "" && h.VersionID != "null" {
		if _, err := s.headETag(ctx, key); isNotFound(err) {
			return s.wrap("delete", key, ErrNotFound)
		}
		_, err := s.retry.do(ctx, func(ctx context.Context) error {
			_, err := s.client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &s.bucket, Key: &key, VersionId: &h.VersionID})
			return err
		})
		if err == nil {
			return nil
		}
		if errorCode(err) == "NoSuchVersion" {
			return s.wrap("delete", key, fmt.Errorf("%w: version %s is gone", ErrNotFound, h.VersionID))
		}
		if !errors.Is(s.wrap("delete", key, err), ErrAccessDenied) {
			return s.wrap("delete", key, err)
		}
	}
	return s.deleteIfMatch(ctx, key, h.ETag)
}

// HasData lists the root folder until it finds a .json key.
func (s *s3Store) HasData(ctx context.Context) (bool, error) {
	found := false
	err := s.listPages(ctx, s.lay.dataPrefix(), func(objs []types.Object) bool {
		for _, o := range objs {
			if strings.HasSuffix(aws.ToString(o.Key), ".json") {
				found = true
				return false
			}
		}
		return true
	})
	return found, err
}
