package front50

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

func (s *s3Store) ListApplications(ctx context.Context) ([]Info, error) {
	prefix := s.lay.groupFolder(appGroup) + "/"
	var infos []Info
	var token *string
	for {
		var page *s3.ListObjectsV2Output
		_, err := s.retry.do(ctx, func(ctx context.Context) error {
			var err error
			page, err = s.client.ListObjectsV2(ctx, &s3.ListObjectsV2Input{
				Bucket: &s.bucket, Prefix: &prefix, MaxKeys: aws.Int32(s.pageSize), ContinuationToken: token,
			})
			return err
		})
		if err != nil {
			return nil, s.wrap("list", prefix, err)
		}
		for _, o := range page.Contents {
			rest, _ := strings.CutPrefix(aws.ToString(o.Key), prefix)
			folder, ok := strings.CutSuffix(rest, "/"+appMetadataFile)
			if !ok || folder == "" || strings.Contains(folder, "/") {
				continue
			}
			infos = append(infos, Info{ID: folder, ETag: aws.ToString(o.ETag), LastModified: aws.ToTime(o.LastModified), Size: aws.ToInt64(o.Size)})
		}
		if !aws.ToBool(page.IsTruncated) || aws.ToString(page.NextContinuationToken) == "" {
			break
		}
		token = page.NextContinuationToken
	}
	sort.Slice(infos, func(i, j int) bool { return infos[i].ID < infos[j].ID })
	return infos, nil
}

func (s *s3Store) GetApp(ctx context.Context, kind AppKind, name string) (*Object, error) {
	folder, err := appFolder(name)
	if err != nil {
		return nil, err
	}
	key := s.lay.groupKey(appGroup, folder, kind.file())
	obj, _, err := s.getKey(ctx, key)
	if err != nil {
		return nil, s.wrap("get", key, err)
	}
	obj.ID = folder
	return obj, nil
}

func (s *s3Store) PutApp(ctx context.Context, kind AppKind, name string, body []byte, opt PutOptions) (string, error) {
	if err := ValidateAppObject(kind, name, body); err != nil {
		return "", err
	}
	etag, err := s.putChecked(ctx, s.lay.groupKey(appGroup, name, kind.file()), body, opt)
	if err == nil {
		observeAppWrite(kind, name, body)
	}
	return etag, err
}

func (s *s3Store) ReadAppsLastModified(ctx context.Context) (int64, string, time.Time, error) {
	return s.readLastModifiedAt(ctx, s.lay.groupFolder(appGroup)+"/"+lastModifiedFile)
}

func (s *s3Store) WriteAppsLastModified(ctx context.Context, ms int64, ifETag string) error {
	return s.writeLastModifiedAt(ctx, s.lay.groupFolder(appGroup)+"/"+lastModifiedFile, ms, ifETag)
}

func (s *fileStore) appDir() string { return filepath.Join(s.dir, appGroup) }

func (s *fileStore) ListApplications(ctx context.Context) ([]Info, error) {
	entries, err := os.ReadDir(s.appDir())
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", s.appDir(), err)
	}
	var infos []Info
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		obj, err := s.read(filepath.Join(s.appDir(), e.Name(), appMetadataFile))
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("list %s: %w", s.appDir(), err)
		}
		obj.ID = e.Name()
		infos = append(infos, obj.Info)
	}
	return infos, nil
}

func (s *fileStore) appPath(kind AppKind, name string) (string, error) {
	folder, err := appFolder(name)
	if err != nil {
		return "", err
	}
	return filepath.Join(s.appDir(), folder, kind.file()), nil
}

func (s *fileStore) GetApp(ctx context.Context, kind AppKind, name string) (*Object, error) {
	path, err := s.appPath(kind, name)
	if err != nil {
		return nil, err
	}
	obj, err := s.read(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("get %s: %w", path, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("get %s: %w", path, err)
	}
	obj.ID = strings.ToLower(name)
	return obj, nil
}

func (s *fileStore) PutApp(ctx context.Context, kind AppKind, name string, body []byte, opt PutOptions) (string, error) {
	if err := ValidateAppObject(kind, name, body); err != nil {
		return "", err
	}
	path, err := s.appPath(kind, name)
	if err != nil {
		return "", err
	}
	etag, err := s.putPath(ctx, path, body, opt)
	if err == nil {
		observeAppWrite(kind, name, body)
	}
	return etag, err
}

func (s *fileStore) ReadAppsLastModified(ctx context.Context) (int64, string, time.Time, error) {
	return readLastModifiedAt(filepath.Join(s.appDir(), lastModifiedFile))
}

func (s *fileStore) WriteAppsLastModified(ctx context.Context, ms int64, ifETag string) error {
	return s.writeLastModifiedAt(ctx, filepath.Join(s.appDir(), lastModifiedFile), ms, ifETag)
}
