package front50

import (
	"bytes"
	"context"
	"errors"
	"testing"
)

// The shared summaries object on S3: absent is ErrNotFound, a write is read back whole, one
// larger than the reader's limit is refused, and
// neither the listing of pipelines nor the empty-store check sees it.
func TestS3SharedSummaries(t *testing.T) {
	ctx := context.Background()
	st, _ := newS3Store(t)
	counted, _ := Counted(st)
	ss, ok := SummaryStoreOf(counted)
	if !ok {
		t.Fatal("the S3 store keeps no summaries")
	}
	if _, err := ss.ReadSummaries(ctx, 1<<20); !errors.Is(err, ErrNotFound) {
		t.Fatalf("ReadSummaries on a new store: %v, want ErrNotFound", err)
	}
	body := bytes.Repeat([]byte("summaries\n"), 1000)
	if err := ss.WriteSummaries(ctx, body); err != nil {
		t.Fatal(err)
	}
	got, err := ss.ReadSummaries(ctx, int64(len(body)))
	if err != nil || !bytes.Equal(got, body) {
		t.Fatalf("read back %d bytes (%v), want %d", len(got), err, len(body))
	}
	// One byte over the limit is refused, having read no more than the limit and one byte.
	if got, err := ss.ReadSummaries(ctx, int64(len(body))-1); err == nil {
		t.Fatalf("a copy over the limit was read: %d bytes", len(got))
	}
	if infos, err := st.List(ctx); err != nil || len(infos) != 0 {
		t.Fatalf("List after writing the summaries: %v, %v; want nothing", infos, err)
	}
	if has, err := st.HasData(ctx); err != nil || has {
		t.Fatalf("HasData after writing the summaries: %v, %v; want false", has, err)
	}
}
