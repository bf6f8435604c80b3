package cache

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pipegen/pipegen/pkg/front50"
)

// testSummarizer keeps the name and the size of a document, and digests the rest; calls
// counts how often it ran.
func testSummarizer(format string, calls *atomic.Int64) *Summarizer {
	return &Summarizer{Format: format, Summarize: func(doc map[string]any) (map[string]any, []byte) {
		calls.Add(1)
		b, err := json.Marshal(doc)
		if err != nil {
			panic(err)
		}
		sum := sha256.Sum256(b)
		return map[string]any{"name": doc["name"], "n": json.Number(fmt.Sprint(len(doc)))}, sum[:]
	}}
}

// sharingStore is a memStore that keeps the shared summaries object (front50.SummaryStore).
type sharingStore struct {
	*memStore
	mu      sync.Mutex
	shared  []byte
	writes  int
	readErr error // ReadSummaries fails with it when set
}

func (s *sharingStore) ReadSummaries(_ context.Context, limit int64) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.readErr != nil {
		return nil, s.readErr
	}
	if s.shared == nil {
		return nil, front50.ErrNotFound
	}
	if int64(len(s.shared)) > limit {
		return nil, errors.New("too large")
	}
	return append([]byte(nil), s.shared...), nil
}

func (s *sharingStore) WriteSummaries(_ context.Context, body []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.shared = append([]byte(nil), body...)
	s.writes++
	return nil
}

func (s *sharingStore) SummariesLocation() string { return "mem://test/pipegen.summaries" }

func pipelineBody(i, rev int) []byte {
	return fmt.Appendf(nil, `{"id":"p%02d","application":"app","name":"pipe %d","rev":%d,"stages":[]}`, i, i, rev)
}

// load is a streaming diff's read of the store through a cache in dir, saved afterwards.
func load(t *testing.T, dir string, s front50.Store, sz *Summarizer) (*front50.State, *Store) {
	t.Helper()
	d := Open(dir)
	cs := cachedOf(WrapStoreWith(s, d, sz))
	st, err := front50.LoadWith(context.Background(), cs, front50.LoadOptions{Concurrency: 4, Summarize: sz.Summarize, Summaries: cs})
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Save(); err != nil {
		t.Fatal(err)
	}
	return st, cs
}

func cachedOf(s front50.Store) *Store {
	if as, ok := s.(*appsStore); ok {
		return as.Store
	}
	return s.(*Store)
}

// truthOf is what the summarizer makes of every object as stored now.
func truthOf(t *testing.T, m *memStore, sz *Summarizer) map[string]string {
	t.Helper()
	out := map[string]string{}
	for id := range m.objects {
		doc, err := front50.DecodeStored(m.truth(id))
		if err != nil {
			t.Fatal(err)
		}
		sum, digest := sz.Summarize(doc)
		out[id] = fmt.Sprintf("%v %x", sum, digest)
	}
	return out
}

func summariesOf(st *front50.State) map[string]string {
	out := map[string]string{}
	for _, p := range append(st.Pipelines, st.Nested...) {
		out[p.ID] = fmt.Sprintf("%v %x", p.Doc, p.Digest)
	}
	return out
}

// A summary is served only for the version it was made from and by the same Format, and is
// then exactly what summarising the object would give.
func TestSummariesServeOnlyTheListedVersion(t *testing.T) {
	for _, md5ETags := range []bool{true, false} {
		t.Run(fmt.Sprintf("md5-etags=%v", md5ETags), func(t *testing.T) {
			var calls atomic.Int64
			sz := testSummarizer("1", &calls)
			m := newMemStore(md5ETags)
			for i := range 29 {
				m.write(fmt.Sprintf("p%02d", i), pipelineBody(i, 1))
			}
			// A pipeline under a nested folder, as Front50 serves a backup: summarised too.
			m.write("backup/p29", pipelineBody(29, 1))
			dir := t.TempDir()
			st, _ := load(t, dir, m, sz)
			if m.getCount() != 30 || calls.Load() != 30 || len(st.Nested) != 1 {
				t.Fatalf("first load: %d GETs, %d summaries made, %d nested; want 30, 30, 1", m.getCount(), calls.Load(), len(st.Nested))
			}
			if got := summariesOf(st); !reflect.DeepEqual(got, truthOf(t, m, sz)) {
				t.Fatalf("first load: summaries differ from the objects'")
			}
			m.gets = 0
			calls.Store(0)
			st, _ = load(t, dir, m, sz)
			if m.getCount() != 0 || calls.Load() != 0 {
				t.Fatalf("second load: %d GETs, %d summaries made; want none", m.getCount(), calls.Load())
			}
			if got, want := summariesOf(st), truthOf(t, m, sz); !reflect.DeepEqual(got, want) {
				t.Fatalf("cached summaries differ from the objects':\n got %v\nwant %v", got, want)
			}

			// Another writer changes five objects, a second later.
			m.tick(time.Second)
			for i := range 5 {
				m.write(fmt.Sprintf("p%02d", i*3), pipelineBody(i*3, 2))
			}
			m.gets = 0
			st, _ = load(t, dir, m, sz)
			if m.getCount() != 5 {
				t.Errorf("after 5 changes: %d GETs, want 5", m.getCount())
			}
			if got, want := summariesOf(st), truthOf(t, m, sz); !reflect.DeepEqual(got, want) {
				t.Fatalf("a stale summary was served:\n got %v\nwant %v", got, want)
			}

			// Another Format believes nothing (the bodies come from the object cache).
			var other atomic.Int64
			load(t, dir, m, testSummarizer("2", &other))
			if other.Load() != 30 {
				t.Errorf("another Format: %d summaries made, want all 30", other.Load())
			}
		})
	}
}

// An object whose opaque ETag stays but whose time moves is read again.
func TestSummariesCheckLastModifiedForOpaqueETags(t *testing.T) {
	var calls atomic.Int64
	sz := testSummarizer("1", &calls)
	m := newMemStore(false)
	m.write("p01", pipelineBody(1, 1))
	dir := t.TempDir()
	load(t, dir, m, sz)
	o := m.objects["p01"]
	o.LastModified = o.LastModified.Add(2 * time.Second)
	m.setRaw("p01", o)
	m.gets = 0
	load(t, dir, m, sz)
	if m.getCount() != 1 {
		t.Fatalf("%d GETs, want 1: the listed time is not the summarised one", m.getCount())
	}
}

// What sync writes is summarised when the ETag proves what was stored, so the next diff reads
// nothing back; a write whose ETag proves nothing is read again.
func TestSummariesOfWrites(t *testing.T) {
	for _, md5ETags := range []bool{true, false} {
		t.Run(fmt.Sprintf("md5-etags=%v", md5ETags), func(t *testing.T) {
			var calls atomic.Int64
			sz := testSummarizer("1", &calls)
			m := newMemStore(md5ETags)
			dir := t.TempDir()
			d := Open(dir)
			cs := WrapStoreWith(m, d, sz)
			for i := range 10 {
				if _, err := cs.Put(context.Background(), fmt.Sprintf("p%02d", i), pipelineBody(i, 1), front50.PutOptions{}); err != nil {
					t.Fatal(err)
				}
			}
			if err := d.Save(); err != nil {
				t.Fatal(err)
			}
			st, _ := load(t, dir, m, sz)
			want := 0
			if !md5ETags {
				want = 10
			}
			if m.getCount() != want {
				t.Errorf("diff after writes: %d GETs, want %d", m.getCount(), want)
			}
			if got := summariesOf(st); !reflect.DeepEqual(got, truthOf(t, m, sz)) {
				t.Fatalf("summaries of writes differ from the objects'")
			}
		})
	}
}

// A cache without summaries starts from the store's copy: a new machine reads nothing the
// last sync knew. The copy is written only when it would change, and a damaged, foreign or
// stale copy only makes the run read more, never serve a wrong summary.
func TestSharedSummaries(t *testing.T) {
	var calls atomic.Int64
	sz := testSummarizer("1", &calls)
	m := &sharingStore{memStore: newMemStore(true)}
	for i := range 40 {
		m.write(fmt.Sprintf("p%02d", i), pipelineBody(i, 1))
	}
	ctx := context.Background()

	// The syncing machine.
	_, cs := load(t, t.TempDir(), m, sz)
	if err := cs.PublishSummaries(ctx); err != nil || m.writes != 1 {
		t.Fatalf("publish: %v, %d writes", err, m.writes)
	}
	if err := cs.PublishSummaries(ctx); err != nil || m.writes != 1 {
		t.Fatalf("publishing unchanged summaries again: %v, %d writes; want none", err, m.writes)
	}

	// A new machine.
	m.gets = 0
	dir := t.TempDir()
	st, cs2 := load(t, dir, m, sz)
	if m.getCount() != 0 || cs2.SharedSummariesErr() != nil {
		t.Fatalf("new machine: %d GETs (%v); want none", m.getCount(), cs2.SharedSummariesErr())
	}
	if got := summariesOf(st); !reflect.DeepEqual(got, truthOf(t, m.memStore, sz)) {
		t.Fatal("shared summaries differ from the objects'")
	}
	if err := cs2.PublishSummaries(ctx); err != nil || m.writes != 1 {
		t.Fatalf("a machine that learnt nothing published: %v, %d writes", err, m.writes)
	}

	// The copy goes stale: ten objects change behind it.
	m.tick(time.Second)
	for i := range 10 {
		m.write(fmt.Sprintf("p%02d", i*4), pipelineBody(i*4, 2))
	}
	m.gets = 0
	st, _ = load(t, t.TempDir(), m, sz)
	if m.getCount() != 10 {
		t.Errorf("stale copy: %d GETs, want the 10 changed", m.getCount())
	}
	if got := summariesOf(st); !reflect.DeepEqual(got, truthOf(t, m.memStore, sz)) {
		t.Fatal("a stale shared summary was served")
	}

	// Damage anywhere in the copy: whatever is read is still right.
	good := append([]byte(nil), m.shared...)
	for _, at := range []int{len(magic) + 3, len(good) / 3, len(good) / 2, len(good) - 5} {
		m.shared = append([]byte(nil), good...)
		m.shared[at] ^= 0x20
		m.gets = 0
		st, _ := load(t, t.TempDir(), m, sz)
		if got := summariesOf(st); !reflect.DeepEqual(got, truthOf(t, m.memStore, sz)) {
			t.Fatalf("byte %d of the copy damaged: a wrong summary was served", at)
		}
		if m.getCount() == 0 {
			t.Errorf("byte %d of the copy damaged: nothing read again", at)
		}
	}

	// Not a pack at all: reported for diagnostics, and everything is read.
	m.shared = []byte(`{"not":"a pack"}`)
	m.gets = 0
	_, cs3 := load(t, t.TempDir(), m, sz)
	if m.getCount() != 40 || cs3.SharedSummariesErr() == nil {
		t.Fatalf("garbage copy: %d GETs, error %v; want 40 and an error", m.getCount(), cs3.SharedSummariesErr())
	}

	// No copy: said, for diagnostics.
	m.shared = nil
	_, cs4 := load(t, t.TempDir(), m, sz)
	if err := cs4.SharedSummariesErr(); !errors.Is(err, front50.ErrNotFound) {
		t.Fatalf("no copy: %v, want ErrNotFound for diagnostics", err)
	}

	// A cache that has summaries of its own does not ask the store.
	m.shared = []byte("pipegen-cache-pack 1\nnot read")
	m.gets = 0
	if _, cs5 := load(t, dir, m, sz); cs5.SharedSummariesErr() != nil {
		t.Fatalf("a cache with summaries read the store's copy: %v", cs5.SharedSummariesErr())
	}
}

func TestBuildID(t *testing.T) {
	build := func(version string, settings ...string) *debug.BuildInfo {
		bi := &debug.BuildInfo{GoVersion: "go1.26.8", Path: "github.com/pipegen/pipegen/cmd/pipegen",
			Main: debug.Module{Path: "github.com/pipegen/pipegen", Version: version}}
		for i := 0; i+1 < len(settings); i += 2 {
			bi.Settings = append(bi.Settings, debug.BuildSetting{Key: settings[i], Value: settings[i+1]})
		}
		return bi
	}
	clean := build("(devel)", "vcs.revision", "abc", "vcs.modified", "false")
	for _, tc := range []struct {
		name   string
		bi     *debug.BuildInfo
		pinned bool
	}{
		{"a clean checkout", clean, true},
		{"a modified checkout", build("(devel)", "vcs.revision", "abc", "vcs.modified", "true"), false},
		{"a module version", build("v1.4.0"), true},
		{"a module version built from a modified checkout", build("v1.4.0", "vcs.revision", "abc", "vcs.modified", "true"), false},
		{"neither (-buildvcs=false)", build("(devel)"), false},
		{"a clean checkout with a dependency replaced by a local copy", func() *debug.BuildInfo {
			bi := build("(devel)", "vcs.revision", "abc", "vcs.modified", "false")
			bi.Deps = []*debug.Module{{Path: "example.com/dep", Version: "v1.0.0", Replace: &debug.Module{Path: "../dep"}}}
			return bi
		}(), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			id, pinned := pinnedBuildID(tc.bi)
			if pinned != tc.pinned || pinned == (id == "") {
				t.Fatalf("pinnedBuildID = %q, %v; want pinned %v", id, pinned, tc.pinned)
			}
		})
	}
	a, _ := pinnedBuildID(clean)
	for _, other := range []*debug.BuildInfo{
		build("(devel)", "vcs.revision", "abd", "vcs.modified", "false"),
		build("(devel)", "vcs.revision", "abc", "vcs.modified", "false", "-ldflags", "-X main.version=2"),
	} {
		if b, _ := pinnedBuildID(other); b == a {
			t.Errorf("two builds, one id %q", a)
		}
	}
	if b, _ := pinnedBuildID(build("(devel)", "vcs.revision", "abc", "vcs.modified", "false")); b != a {
		t.Errorf("the same build, two ids: %q and %q", a, b)
	}
	// A build that records no revision (a test binary, GOFLAGS=-buildvcs=false) is known by
	// its executable.
	id := BuildID()
	if !strings.HasPrefix(id, "exe ") && !strings.HasPrefix(id, "build ") {
		t.Fatalf("BuildID of this test binary = %q, want an identity", id)
	}
	if again := BuildID(); again != id {
		t.Errorf("BuildID changed between calls: %q, %q", id, again)
	}
}

// A machine that writes without having been able to read the store's copy (a sync --plan on a
// fresh runner, the read timing out) must not replace that copy with what it wrote.
func TestSummariesNotPublishedOverAnUnreadCopy(t *testing.T) {
	var calls atomic.Int64
	sz := testSummarizer("1", &calls)
	m := &sharingStore{memStore: newMemStore(true)}
	for i := range 10 {
		m.write(fmt.Sprintf("p%02d", i), pipelineBody(i, 1))
	}
	_, cs := load(t, t.TempDir(), m, sz)
	if err := cs.PublishSummaries(context.Background()); err != nil || m.writes != 1 {
		t.Fatalf("setup: %v, %d writes", err, m.writes)
	}
	full := append([]byte(nil), m.shared...)

	m.readErr = errors.New("access denied")
	d := Open(t.TempDir())
	w := cachedOf(WrapStoreWith(m, d, sz))
	if _, err := w.Put(context.Background(), "p03", pipelineBody(3, 2), front50.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := d.Save(); err != nil {
		t.Fatal(err)
	}
	if err := w.PublishSummaries(context.Background()); err == nil || m.writes != 1 || !bytes.Equal(m.shared, full) {
		t.Fatalf("publish after an unread copy: %v, %d writes; want an error and the copy kept", err, m.writes)
	}
}
