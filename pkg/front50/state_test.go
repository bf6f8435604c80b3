package front50

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// memStore serves a fixed listing; get decides each Get.
type memStore struct {
	infos    []Info
	get      func(id string) (*Object, error)
	inFlight atomic.Int32
	peak     atomic.Int32
}

func (m *memStore) List(ctx context.Context) ([]Info, error) { return m.infos, nil }
func (m *memStore) Get(ctx context.Context, id string) (*Object, error) {
	n := m.inFlight.Add(1)
	defer m.inFlight.Add(-1)
	for {
		p := m.peak.Load()
		if n <= p || m.peak.CompareAndSwap(p, n) {
			break
		}
	}
	time.Sleep(time.Millisecond)
	return m.get(id)
}
func (m *memStore) Put(ctx context.Context, id string, body []byte, opt PutOptions) (string, error) {
	return "", errors.New("read-only")
}
func (m *memStore) Delete(ctx context.Context, id, ifMatch string) error {
	return errors.New("read-only")
}
func (m *memStore) LastModified(ctx context.Context) (int64, error) { return 0, nil }
func (m *memStore) ReadLastModified(context.Context) (int64, string, time.Time, error) {
	return 0, "", time.Time{}, nil
}
func (m *memStore) WriteLastModified(context.Context, int64, string) error {
	return errors.New("read-only")
}
func (m *memStore) SetLastModified(ctx context.Context, ms int64) error {
	return errors.New("read-only")
}
func (m *memStore) Location() string { return "mem://" }

func memPipelines(n int) *memStore {
	m := &memStore{}
	for i := range n {
		m.infos = append(m.infos, Info{ID: fmt.Sprintf("p%03d", i)})
	}
	m.get = func(id string) (*Object, error) {
		return &Object{Info: Info{ID: id, ETag: `"` + id + `"`}, Body: pipelineBody(id, "app", "name-"+id)}, nil
	}
	return m
}

func TestLoadBoundsConcurrency(t *testing.T) {
	m := memPipelines(100)
	st, err := Load(context.Background(), m, 4)
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Pipelines) != 100 || st.Pipelines[0].ID != "p000" || st.Pipelines[99].ID != "p099" {
		t.Fatalf("loaded %d pipelines", len(st.Pipelines))
	}
	if p := m.peak.Load(); p > 4 || p < 2 {
		t.Fatalf("peak concurrency %d, want 2..4", p)
	}
	if st.Pipelines[5].ETag != `"p005"` {
		t.Fatalf("Info not taken from Get: %+v", st.Pipelines[5].Info)
	}
}

func TestLoadSkipsVanishedAndFailsOnErrors(t *testing.T) {
	m := memPipelines(20)
	base := m.get
	m.get = func(id string) (*Object, error) {
		if id == "p007" {
			return nil, fmt.Errorf("get %s: %w", id, ErrNotFound)
		}
		return base(id)
	}
	st, err := Load(context.Background(), m, 3)
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Pipelines) != 19 || st.ByID["p007"] != nil || len(st.Broken) != 0 {
		t.Fatalf("deleted-after-listing object: %d pipelines, %v broken", len(st.Pipelines), st.Broken)
	}

	boom := errors.New("boom")
	var calls atomic.Int32
	m.get = func(id string) (*Object, error) {
		calls.Add(1)
		if id == "p003" {
			return nil, boom
		}
		return base(id)
	}
	if _, err := Load(context.Background(), m, 2); !errors.Is(err, boom) {
		t.Fatalf("Load error = %v, want boom", err)
	}
}

func TestLoadReportsUnusableFolders(t *testing.T) {
	m := memPipelines(2)
	m.infos = append(m.infos, Info{ID: "Upper"}, Info{ID: "a..b"})
	var asked sync.Map
	base := m.get
	m.get = func(id string) (*Object, error) { asked.Store(id, true); return base(id) }
	st, err := Load(context.Background(), m, 0)
	if err != nil {
		t.Fatal(err)
	}
	var broken []string
	for _, b := range st.Broken {
		broken = append(broken, b.ID)
	}
	if !reflect.DeepEqual(broken, []string{"Upper", "a..b"}) || len(st.Pipelines) != 2 {
		t.Fatalf("broken %v, %d pipelines", broken, len(st.Pipelines))
	}
	if _, ok := asked.Load("Upper"); ok {
		t.Fatal("an upper-case folder was read (Get would read its lower-case twin)")
	}
}

func TestLoadCancelled(t *testing.T) {
	m := memPipelines(50)
	ctx, cancel := context.WithCancel(context.Background())
	base := m.get
	m.get = func(id string) (*Object, error) {
		cancel()
		return base(id)
	}
	if _, err := Load(ctx, m, 2); !errors.Is(err, context.Canceled) {
		t.Fatalf("Load = %v, want context.Canceled", err)
	}
}

func TestByName(t *testing.T) {
	mk := func(id, app, name string) *Pipeline {
		return &Pipeline{Info: Info{ID: id}, Doc: map[string]any{"application": app, "name": name}}
	}
	ps := []*Pipeline{mk("c", "App", "Deploy"), mk("a", "app", "deploy "), mk("b", "app", "other"), mk("d", "app2", "deploy"),
		{Info: Info{ID: "e"}, Doc: map[string]any{"application": "app"}}}
	indexed := NewState(append([]*Pipeline(nil), ps...), nil)
	byHand := &State{Pipelines: indexed.Pipelines} // no index
	for _, st := range []*State{indexed, byHand} {
		var got []string
		for _, p := range st.ByName("APP", "deploy") {
			got = append(got, p.ID)
		}
		if !reflect.DeepEqual(got, []string{"a", "c"}) {
			t.Errorf("ByName(APP, deploy) = %v, want [a c]", got)
		}
		if got := st.ByName("app", "missing"); len(got) != 0 {
			t.Errorf("ByName(app, missing) = %v", got)
		}
	}
}

func TestCounted(t *testing.T) {
	s, stats := Counted(newFileStore(t))
	ctx := context.Background()
	if _, err := s.Put(ctx, "x", pipelineBody("x", "a", "n"), PutOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := BumpLastModified(ctx, s, time.Now()); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(ctx, s, 2); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(ctx, "x", ""); err != nil {
		t.Fatal(err)
	}
	if got, want := *stats, (Stats{List: 1, Get: 2, Put: 2, Delete: 1}); got != want {
		t.Fatalf("stats %+v, want %+v", got, want)
	}
	if s.Location() == "" {
		t.Fatal("no location")
	}
}
