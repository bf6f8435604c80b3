package cache

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/pipegen/pipegen/pkg/front50"
)

// memStore's applications group: the same objects, ETags and clock as its pipelines.

func splitAppKey(key string) (folder string, kind front50.AppKind) {
	folder, file, _ := strings.Cut(key, "/")
	if file == front50.AppPermission.String() {
		return folder, front50.AppPermission
	}
	return folder, front50.AppMetadata
}

// writeApp stores one object of an application's folder as another writer (the UI) would.
func (m *memStore) writeApp(key string, body []byte) string {
	m.mu.Lock()
	defer m.mu.Unlock()
	folder, _ := splitAppKey(key)
	e := m.etag(body)
	m.apps[key] = front50.Object{Info: front50.Info{ID: folder, ETag: e, LastModified: m.now, Size: int64(len(body))}, Body: append([]byte(nil), body...)}
	return e
}

func (m *memStore) deleteApp(key string) { m.mu.Lock(); delete(m.apps, key); m.mu.Unlock() }

func (m *memStore) appTruth(key string) []byte {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.apps[key].Body
}

func (m *memStore) ListApplications(context.Context) ([]front50.AppInfo, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	byID := map[string]*front50.AppInfo{}
	for key, o := range m.apps {
		folder, kind := splitAppKey(key)
		a := byID[folder]
		if a == nil {
			a = &front50.AppInfo{ID: folder}
			byID[folder] = a
		}
		in := o.Info
		if kind == front50.AppPermission {
			a.Permission = &in
		} else {
			a.Metadata = &in
		}
	}
	var out []front50.AppInfo
	for _, a := range byID {
		out = append(out, *a)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

func (m *memStore) GetApp(_ context.Context, kind front50.AppKind, name string) (*front50.Object, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.gets++
	o, ok := m.apps[strings.ToLower(name)+"/"+kind.String()]
	if !ok {
		return nil, front50.ErrNotFound
	}
	o.LastModified = o.LastModified.Truncate(time.Second)
	o.Body = append([]byte(nil), o.Body...)
	return &o, nil
}

func (m *memStore) PutApp(_ context.Context, kind front50.AppKind, name string, body []byte, _ front50.PutOptions) (string, error) {
	return m.writeApp(strings.ToLower(name)+"/"+kind.String(), body), nil
}

func (m *memStore) ReadAppsLastModified(context.Context) (int64, string, time.Time, error) {
	return 0, "", time.Time{}, nil
}
func (m *memStore) WriteAppsLastModified(context.Context, int64, string) error { return nil }

// readApps is what a diff does with applications: list, then get every listed object.
func readApps(t *testing.T, s front50.Store) map[string]string {
	t.Helper()
	ctx := context.Background()
	as, err := front50.AppStoreOf(s)
	if err != nil {
		t.Fatal(err)
	}
	apps, err := as.ListApplications(ctx)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, a := range apps {
		for _, kind := range []front50.AppKind{front50.AppMetadata, front50.AppPermission} {
			if a.Of(kind) == nil {
				continue
			}
			obj, err := as.GetApp(ctx, kind, a.ID)
			if err != nil {
				t.Fatal(err)
			}
			if obj.ID != a.ID {
				t.Fatalf("%s/%s: ID %q", a.ID, kind, obj.ID)
			}
			out[a.ID+"/"+kind.String()] = string(obj.Body)
		}
	}
	return out
}

// runApps is run for the applications group.
func runApps(t *testing.T, dir string, store front50.Store) map[string]string {
	t.Helper()
	d := Open(dir)
	got := readApps(t, WrapStore(store, d))
	if err := d.Save(); err != nil {
		t.Fatal(err)
	}
	return got
}

var appKeys = []string{"shop/application-metadata.json", "shop/application-permission.json", "cart/application-metadata.json",
	"cart/application-permission.json", "web/application-metadata.json"}

func TestAppsServedWithoutGET(t *testing.T) {
	for _, md5ETags := range []bool{true, false} {
		t.Run(fmt.Sprintf("md5-etags=%v", md5ETags), func(t *testing.T) {
			m := newMemStore(md5ETags)
			for i, k := range appKeys {
				m.writeApp(k, []byte(fmt.Sprintf(`{"n":%d}`, i)))
			}
			m.write("p", []byte("pipeline"))
			dir := t.TempDir()
			first := runApps(t, dir, m)
			if g := m.getCount(); g != len(appKeys) {
				t.Fatalf("cold run: %d GETs, want %d", g, len(appKeys))
			}
			// Listing and reading the pipelines keeps the applications' entries, and the
			// other way round: each group has its own entries.
			run(t, dir, m)
			before := m.getCount()
			second := runApps(t, dir, m)
			if g := m.getCount() - before; g != 0 {
				t.Fatalf("warm run: %d GETs, want none", g)
			}
			run(t, dir, m)
			if g := m.getCount() - before; g != 0 {
				t.Fatalf("pipelines after applications: %d GETs, want none", g)
			}
			for k, body := range first {
				if second[k] != body || body != string(m.appTruth(k)) {
					t.Fatalf("%s: cache gave %q, store holds %q", k, second[k], m.appTruth(k))
				}
			}
		})
	}
}

// TestStoreNeverStale for applications: whatever the UI does between two runs, the second run
// sees exactly what the store holds.
func TestAppsNeverStale(t *testing.T) {
	for _, md5ETags := range []bool{true, false} {
		t.Run(fmt.Sprintf("md5-etags=%v", md5ETags), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(4, uint64(map[bool]int{true: 5, false: 6}[md5ETags])))
			m := newMemStore(md5ETags)
			dir := t.TempDir()
			hits := 0
			for round := 0; round < 300; round++ {
				for k := rng.IntN(4); k > 0; k-- {
					key := appKeys[rng.IntN(len(appKeys))]
					switch rng.IntN(4) {
					case 0:
						m.deleteApp(key)
					case 1:
						if b := m.appTruth(key); b != nil {
							m.writeApp(key, b) // rewritten unchanged
						}
					default:
						// Same size every time, a small value space (ABA), often within the second.
						m.writeApp(key, []byte(fmt.Sprintf(`{"email":"team-%d@corp"}`, rng.IntN(3))))
					}
				}
				if rng.IntN(2) == 0 {
					m.tick(time.Duration(rng.IntN(1500)) * time.Millisecond)
				}
				before := m.getCount()
				got := runApps(t, dir, m)
				hits += len(got) - (m.getCount() - before)
				for _, key := range appKeys {
					want := m.appTruth(key)
					if want == nil {
						if _, ok := got[key]; ok {
							t.Fatalf("round %d: %s deleted but read", round, key)
						}
						continue
					}
					if got[key] != string(want) {
						t.Fatalf("round %d: %s read %q, store holds %q", round, key, got[key], want)
					}
				}
			}
			if hits == 0 {
				t.Fatal("the cache never served an object: the test proves nothing")
			}
		})
	}
}

// An application the UI rewrites within the same second with other content of the same size,
// under an ETag a server reuses, is the one case nothing can tell apart (see
// TestStoreChecksLastModifiedForOpaqueETags); a new ETag, or MD5 ETags, always tell.
func TestAppsSameSecondSameSizeEdit(t *testing.T) {
	for _, md5ETags := range []bool{true, false} {
		m := newMemStore(md5ETags)
		m.writeApp("shop/application-metadata.json", []byte(`{"email":"a@corp"}`))
		dir := t.TempDir()
		runApps(t, dir, m)
		m.writeApp("shop/application-metadata.json", []byte(`{"email":"b@corp"}`)) // same clock
		if got := runApps(t, dir, m)["shop/application-metadata.json"]; got != `{"email":"b@corp"}` {
			t.Fatalf("md5-etags=%v: read %q after the edit", md5ETags, got)
		}
	}
}

func TestAppsPutCachesProvableWritesOnly(t *testing.T) {
	for _, md5ETags := range []bool{true, false} {
		m := newMemStore(md5ETags)
		dir := t.TempDir()
		d := Open(dir)
		as, err := front50.AppStoreOf(WrapStore(m, d))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := as.PutApp(context.Background(), front50.AppPermission, "Shop", []byte("written"), front50.PutOptions{}); err != nil {
			t.Fatal(err)
		}
		if err := d.Save(); err != nil {
			t.Fatal(err)
		}
		before := m.getCount()
		if got := runApps(t, dir, m); got["shop/application-permission.json"] != "written" {
			t.Fatalf("read %q", got)
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

// Without a listing, or with one that shows no ETag (the file store's), every read is a GET.
func TestAppsUnprovenListingAlwaysGETs(t *testing.T) {
	m := newMemStore(true)
	m.writeApp("shop/application-metadata.json", []byte("v1"))
	dir := t.TempDir()
	runApps(t, dir, m)
	m.writeApp("shop/application-metadata.json", []byte("v2"))
	as, err := front50.AppStoreOf(WrapStore(m, Open(dir)))
	if err != nil {
		t.Fatal(err)
	}
	obj, err := as.GetApp(context.Background(), front50.AppMetadata, "shop") // no listing first
	if err != nil || string(obj.Body) != "v2" {
		t.Fatalf("read %q, %v without a listing; want the store's v2", obj.Body, err)
	}

	o := objectPack{Open(t.TempDir()).pack("p")}
	o.remember("k", front50.Info{LastModified: m.now}, []byte("body")) // no ETag: not kept
	if _, ok := o.hit("k", front50.Info{LastModified: m.now, Size: 4}); ok {
		t.Fatal("a listing without an ETag was trusted")
	}
}

func (m *memStore) setRawApp(key string, o front50.Object) {
	m.mu.Lock()
	m.apps[key] = o
	m.mu.Unlock()
}

// A reused opaque ETag with other content is caught by LastModified, as for pipelines.
func TestAppsCheckLastModifiedForOpaqueETags(t *testing.T) {
	m := newMemStore(false)
	const key = "shop/application-permission.json"
	m.setRawApp(key, front50.Object{Info: front50.Info{ID: "shop", ETag: `"same"`, LastModified: m.now, Size: 3}, Body: []byte("one")})
	dir := t.TempDir()
	runApps(t, dir, m)
	m.tick(2 * time.Second)
	m.setRawApp(key, front50.Object{Info: front50.Info{ID: "shop", ETag: `"same"`, LastModified: m.now, Size: 3}, Body: []byte("two")})
	if got := runApps(t, dir, m)[key]; got != "two" {
		t.Fatalf("read %q after the object changed under a reused ETag; want %q", got, "two")
	}
}

// An entry whose body is not the one its MD5 ETag names (a damaged cache) is a miss.
func TestAppsDamagedEntryIsMiss(t *testing.T) {
	m := newMemStore(true)
	const key = "shop/application-metadata.json"
	m.writeApp(key, []byte(strings.Repeat("payload", 20)))
	dir := t.TempDir()
	runApps(t, dir, m)
	d := Open(dir)
	p := d.pack(packName("applications", m.Location()))
	v, _, ok := p.Get(key)
	if !ok {
		t.Fatal("nothing cached under " + key)
	}
	p.Put(key, v, []byte(strings.Repeat("PAYLOAD", 20)))
	if err := d.Save(); err != nil {
		t.Fatal(err)
	}
	if got := runApps(t, dir, m)[key]; got != strings.Repeat("payload", 20) {
		t.Fatalf("read %q from a damaged entry", got)
	}
}
