package cache

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pipegen/pipegen/pkg/front50"
)

// memStore is a front50.Store in memory whose ETags are either S3's (the body's MD5) or opaque
// (a counter, as SSE-KMS objects have), and whose clock the test sets.
type memStore struct {
	mu      sync.Mutex
	objects map[string]front50.Object
	apps    map[string]front50.Object // by "folder/file", e.g. "shop/application-metadata.json"
	md5     bool
	seq     int
	now     time.Time
	gets    int
}

func newMemStore(md5ETags bool) *memStore {
	return &memStore{objects: map[string]front50.Object{}, apps: map[string]front50.Object{}, md5: md5ETags, now: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)}
}

func (m *memStore) etag(body []byte) string {
	if m.md5 {
		sum := md5.Sum(body)
		return `"` + hex.EncodeToString(sum[:]) + `"`
	}
	m.seq++
	return fmt.Sprintf(`"opaque-%d"`, m.seq)
}

// write stores body as another writer would (not through the cache).
func (m *memStore) write(id string, body []byte) string {
	m.mu.Lock()
	defer m.mu.Unlock()
	e := m.etag(body)
	m.objects[id] = front50.Object{Info: front50.Info{ID: id, ETag: e, LastModified: m.now, Size: int64(len(body))}, Body: append([]byte(nil), body...)}
	return e
}

func (m *memStore) List(context.Context) ([]front50.Info, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []front50.Info
	for _, o := range m.objects {
		out = append(out, o.Info)
	}
	return out, nil
}

func (m *memStore) Get(_ context.Context, id string) (*front50.Object, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.gets++
	o, ok := m.objects[id]
	if !ok {
		return nil, front50.ErrNotFound
	}
	// A GET's Last-Modified header has whole seconds.
	o.LastModified = o.LastModified.Truncate(time.Second)
	o.Body = append([]byte(nil), o.Body...)
	return &o, nil
}

func (m *memStore) Put(_ context.Context, id string, body []byte, _ front50.PutOptions) (string, error) {
	return m.write(id, body), nil
}

func (m *memStore) Delete(_ context.Context, id string, _ string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.objects, id)
	return nil
}
func (m *memStore) LastModified(context.Context) (int64, error) { return 0, nil }
func (m *memStore) ReadLastModified(context.Context) (int64, string, time.Time, error) {
	return 0, "", time.Time{}, nil
}
func (m *memStore) WriteLastModified(context.Context, int64, string) error { return nil }
func (m *memStore) SetLastModified(context.Context, int64) error           { return nil }
func (m *memStore) Location() string                                       { return "mem://test" }
func (m *memStore) tick(d time.Duration)                                   { m.mu.Lock(); m.now = m.now.Add(d); m.mu.Unlock() }
func (m *memStore) getCount() int                                          { m.mu.Lock(); defer m.mu.Unlock(); return m.gets }
func (m *memStore) truth(id string) []byte {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.objects[id].Body
}
func (m *memStore) setRaw(id string, o front50.Object) { m.mu.Lock(); m.objects[id] = o; m.mu.Unlock() }
func (m *memStore) info(id string) front50.Info {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.objects[id].Info
}

// readAll is what front50.Load does: list, then get every listed object.
func readAll(t *testing.T, s front50.Store) map[string]string {
	t.Helper()
	ctx := context.Background()
	infos, err := s.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, in := range infos {
		obj, err := s.Get(ctx, in.ID)
		if err != nil {
			t.Fatal(err)
		}
		out[in.ID] = string(obj.Body)
	}
	return out
}

// run opens the cache afresh (a new pipegen process), reads everything and saves the cache.
func run(t *testing.T, dir string, store front50.Store) map[string]string {
	t.Helper()
	d := Open(dir)
	got := readAll(t, WrapStore(store, d))
	if err := d.Save(); err != nil {
		t.Fatal(err)
	}
	return got
}

func TestStoreServesUnchangedObjectsWithoutGET(t *testing.T) {
	for _, md5ETags := range []bool{true, false} {
		t.Run(fmt.Sprintf("md5-etags=%v", md5ETags), func(t *testing.T) {
			m := newMemStore(md5ETags)
			for i := range 20 {
				m.write(fmt.Sprintf("id-%02d", i), []byte(fmt.Sprintf(`{"n":%d}`, i)))
			}
			dir := t.TempDir()
			first := run(t, dir, m)
			if g := m.getCount(); g != 20 {
				t.Fatalf("cold run: %d GETs, want 20", g)
			}
			second := run(t, dir, m)
			if g := m.getCount(); g != 20 {
				t.Fatalf("warm run: %d more GETs, want none", g-20)
			}
			for id, body := range first {
				if second[id] != body || body != string(m.truth(id)) {
					t.Fatalf("%s: cache gave %q, store holds %q", id, second[id], m.truth(id))
				}
			}
		})
	}
}

// Whatever another writer does between two runs, the second run sees exactly what the store
// holds: a cache hit is never stale.
func TestStoreNeverStale(t *testing.T) {
	for _, md5ETags := range []bool{true, false} {
		t.Run(fmt.Sprintf("md5-etags=%v", md5ETags), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(1, uint64(map[bool]int{true: 2, false: 3}[md5ETags])))
			m := newMemStore(md5ETags)
			dir := t.TempDir()
			ids := []string{"a", "b", "c", "d", "e", "f"}
			for round := 0; round < 300; round++ {
				// Another writer changes a few objects: new content, the same content again,
				// deletes; sometimes within the same second as the cached version.
				for k := rng.IntN(4); k > 0; k-- {
					id := ids[rng.IntN(len(ids))]
					switch rng.IntN(4) {
					case 0:
						_ = m.Delete(context.Background(), id, "")
					case 1:
						if b := m.truth(id); b != nil {
							m.write(id, b) // rewritten unchanged
						}
					default:
						m.write(id, []byte(fmt.Sprintf(`{"v":%d}`, rng.IntN(3)))) // small value space: ABA
					}
				}
				if rng.IntN(2) == 0 {
					m.tick(time.Duration(rng.IntN(1500)) * time.Millisecond)
				}
				got := run(t, dir, m)
				for _, id := range ids {
					want := m.truth(id)
					if want == nil {
						if _, ok := got[id]; ok {
							t.Fatalf("round %d: %s deleted but read", round, id)
						}
						continue
					}
					if got[id] != string(want) {
						t.Fatalf("round %d: %s read %q, store holds %q", round, id, got[id], want)
					}
				}
			}
		})
	}
}

// An opaque ETag that repeats with other content (a server that reuses ETags) is caught by
// the LastModified check; with the same ETag, size and second too, nothing could tell the
// versions apart, which is why the cache relies on S3's ETag semantics.
func TestStoreChecksLastModifiedForOpaqueETags(t *testing.T) {
	m := newMemStore(false)
	m.setRaw("x", front50.Object{Info: front50.Info{ID: "x", ETag: `"same"`, LastModified: m.now, Size: 3}, Body: []byte("one")})
	dir := t.TempDir()
	run(t, dir, m)
	m.tick(2 * time.Second)
	m.setRaw("x", front50.Object{Info: front50.Info{ID: "x", ETag: `"same"`, LastModified: m.now, Size: 3}, Body: []byte("two")})
	if got := run(t, dir, m); got["x"] != "two" {
		t.Fatalf("read %q after the object changed under a reused ETag; want %q", got["x"], "two")
	}
}

func TestStoreSizeMismatchIsMiss(t *testing.T) {
	m := newMemStore(true)
	m.write("x", []byte("abc"))
	dir := t.TempDir()
	run(t, dir, m)
	in := m.info("x")
	// Same ETag, other size: not what was cached.
	m.setRaw("x", front50.Object{Info: front50.Info{ID: "x", ETag: in.ETag, LastModified: in.LastModified, Size: 4}, Body: []byte("abcd")})
	if got := run(t, dir, m); got["x"] != "abcd" {
		t.Fatalf("read %q; want the store's %q", got["x"], "abcd")
	}
}

func TestStoreHitIsByteIdenticalToGET(t *testing.T) {
	m := newMemStore(true)
	body := []byte("{\"name\":\"ünïcode \\u2028 <&>\",\"n\":1.50}\n")
	m.write("x", body)
	dir := t.TempDir()
	run(t, dir, m)
	d := Open(dir)
	s := WrapStore(m, d)
	if _, err := s.List(context.Background()); err != nil {
		t.Fatal(err)
	}
	before := m.getCount()
	hit, err := s.Get(context.Background(), "x")
	if err != nil {
		t.Fatal(err)
	}
	if m.getCount() != before {
		t.Fatal("not a hit")
	}
	direct, _ := m.Get(context.Background(), "x")
	if string(hit.Body) != string(direct.Body) || !front50.SameETag(hit.ETag, direct.ETag) || hit.Size != direct.Size || hit.ID != direct.ID {
		t.Fatalf("hit %+v differs from GET %+v", hit, direct)
	}
	hit.Body[0] = 'X' // the caller owns it
	again, _ := s.Get(context.Background(), "x")
	if again.Body[0] != '{' {
		t.Fatal("changing a returned body changed the cache")
	}
}

func TestStorePutCachesProvableWritesOnly(t *testing.T) {
	for _, md5ETags := range []bool{true, false} {
		m := newMemStore(md5ETags)
		dir := t.TempDir()
		d := Open(dir)
		if _, err := WrapStore(m, d).Put(context.Background(), "x", []byte("written"), front50.PutOptions{}); err != nil {
			t.Fatal(err)
		}
		if err := d.Save(); err != nil {
			t.Fatal(err)
		}
		before := m.getCount()
		if got := run(t, dir, m); got["x"] != "written" {
			t.Fatalf("read %q", got["x"])
		}
		gets := m.getCount() - before
		if md5ETags && gets != 0 {
			t.Errorf("md5 ETags: the written object was read back (%d GETs)", gets)
		}
		if !md5ETags && gets != 1 {
			t.Errorf("opaque ETags: %d GETs, want 1 (nothing proves what was stored)", gets)
		}
	}
}

func TestStoreWithoutListingAlwaysGETs(t *testing.T) {
	m := newMemStore(true)
	m.write("x", []byte("v1"))
	dir := t.TempDir()
	run(t, dir, m)
	m.write("x", []byte("v2"))
	d := Open(dir)
	obj, err := WrapStore(m, d).Get(context.Background(), "x") // no List first
	if err != nil {
		t.Fatal(err)
	}
	if string(obj.Body) != "v2" {
		t.Fatalf("read %q without a listing; want the store's v2", obj.Body)
	}
}

func TestStoreDamagedCacheIsMiss(t *testing.T) {
	m := newMemStore(true)
	m.write("x", []byte(strings.Repeat("payload", 20)))
	dir := t.TempDir()
	run(t, dir, m)
	// Replace the cached body with other bytes of the same length, keeping the pack
	// well-formed: only the MD5 check can catch it.
	d := Open(dir)
	p := d.pack(packName("objects", m.Location()))
	v, _, _ := p.Get("x")
	p.Put("x", v, []byte(strings.Repeat("PAYLOAD", 20)))
	if err := d.Save(); err != nil {
		t.Fatal(err)
	}
	if got := run(t, dir, m); got["x"] != strings.Repeat("payload", 20) {
		t.Fatalf("read %q from a damaged entry", got["x"])
	}
}
