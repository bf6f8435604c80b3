package front50

import (
	"context"
	"strings"
)

// SummariesName is the object beside the lock in which pipegen shares the summaries of a
// store's pipelines between machines (internal/cache): a diff on a new CI runner starts from
// what the last sync knew instead of reading every pipeline. Like the lock, it lies in the
// root folder outside every folder Front50 lists, and its name has no .json suffix.
const SummariesName = "pipegen.summaries"

// SummaryStore is a store that keeps the shared summaries object. Its content is opaque here;
// whoever reads it must check each entry against a listing before believing it.
type SummaryStore interface {
	// ReadSummaries returns the object; ErrNotFound when there is none.
	ReadSummaries(ctx context.Context) ([]byte, error)
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

func (s *s3Store) ReadSummaries(ctx context.Context) ([]byte, error) {
	key := s.lay.summariesKey()
	obj, _, err := s.getKey(ctx, key)
	if err != nil {
		return nil, s.wrap("get", key, err)
	}
	return obj.Body, nil
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
