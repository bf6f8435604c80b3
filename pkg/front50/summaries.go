package front50

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// SummariesName is the object beside the lock in which pipegen shares the summaries of a
// store's pipelines between machines (internal/cache): a diff on a new CI runner starts from
// what the last sync knew instead of reading every pipeline. Like the lock, it lies in the
// root folder outside every folder Front50 lists, and its name has no .json suffix.
const SummariesName = "pipegen.summaries"

// SummaryStore is a store that keeps the shared summaries object. Its content is opaque here;
// whoever reads it must check each entry against a listing before believing it.
type SummaryStore interface {
	// ReadSummaries returns the object; ErrNotFound when there is none, and an error without
	// reading it when it is larger than limit bytes.
	ReadSummaries(ctx context.Context, limit int64) ([]byte, error)
	// WriteSummaries replaces it.
	WriteSummaries(ctx context.Context, body []byte) error
	// SummariesLocation names it for messages.
	SummariesLocation() string
}

// SummaryStoreOf finds the SummaryStore behind s, looking through wrappers.
func SummaryStoreOf(s Store) (SummaryStore, bool) { return behind[SummaryStore](s) }

// summariesKey is SummariesName joined to the root folder as Front50 joins its groups.
func (l layout) summariesKey() string {
	return strings.ReplaceAll(l.root+"/"+SummariesName, "//", "/")
}

func (s *s3Store) SummariesLocation() string {
	return "s3://" + s.bucket + "/" + s.lay.summariesKey()
}

// ReadSummaries asks for at most limit+1 bytes, so that an object too large is known without
// reading it whole.
func (s *s3Store) ReadSummaries(ctx context.Context, limit int64) ([]byte, error) {
	key := s.lay.summariesKey()
	var body []byte
	_, err := s.retry.do(ctx, func(ctx context.Context) error {
		out, err := s.client.GetObject(ctx, &s3.GetObjectInput{Bucket: &s.bucket, Key: &key, Range: aws.String(fmt.Sprintf("bytes=0-%d", limit))})
		if err != nil {
			return err
		}
		defer out.Body.Close()
		if body, err = io.ReadAll(io.LimitReader(out.Body, limit+1)); err != nil {
			return &bodyReadError{err: err}
		}
		return nil
	})
	if err != nil {
		return nil, s.wrap("get", key, err)
	}
	if int64(len(body)) > limit {
		return nil, fmt.Errorf("s3://%s/%s: more than the %d bytes a cache reads", s.bucket, key, limit)
	}
	return body, nil
}

// WriteSummaries is an unconditional PUT with the store's encryption settings: the last
// writer wins, and any whole version is a valid one.
func (s *s3Store) WriteSummaries(ctx context.Context, body []byte) error {
	key := s.lay.summariesKey()
	_, _, _, err := s.putVersioned(ctx, key, body, PutOptions{})
	if err != nil {
		return s.wrap("put", key, err)
	}
	return nil
}
