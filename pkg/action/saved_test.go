package action

import (
	"bytes"
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/pipegen/pipegen/pkg/front50"
	"github.com/pipegen/pipegen/pkg/plan"
	"github.com/pipegen/pipegen/pkg/planfile"
)

// savePlan is diff --out: the digest first, then the diff, then the file, read back as sync
// --plan reads it.
func (s *syncer) savePlan(opt DiffOptions) (*Result, *planfile.File) {
	s.t.Helper()
	src, err := SourceDigest(s.cfg())
	if err != nil {
		s.t.Fatal(err)
	}
	res := s.diff(opt)
	var buf bytes.Buffer
	saved, err := SavePlan(res, s.store, src, opt, "test")
	if err != nil {
		s.t.Fatal(err)
	}
	if err := planfile.Encode(&buf, saved); err != nil {
		s.t.Fatal(err)
	}
	f, err := planfile.Decode(&buf, "plan.json")
	if err != nil {
		s.t.Fatal(err)
	}
	return res, f
}

func (s *syncer) applyPlan(f *planfile.File) (*Report, error) {
	s.now = s.now.Add(time.Second)
	return ApplyPlan(context.Background(), s.cfg(), s.store, f, SyncOptions{Now: func() time.Time { return s.now }})
}

func TestSavedPlanAppliesWhatWasPlanned(t *testing.T) {
	forEachStore(t, func(t *testing.T, env storeEnv) {
		r := lifecycleRepo(t)
		s := newSyncer(t, r, env)
		s.sync(DiffOptions{})
		r.write("services/a.yaml", "name: a\nvars: {wait: 31}\nstacks:\n  dev: {pipelines: [wait]}\n  prod: {pipelines: [wait]}\n")
		r.write("services/c.yaml", "name: c\nvars: {wait: 7}\nstacks:\n  dev: {pipelines: [wait]}\n")
		res, f := s.savePlan(DiffOptions{})
		if c := res.Plan.Counts; c.Update != 2 || c.Create != 1 {
			t.Fatalf("plan counts %+v", c)
		}
		// What was saved is what was planned, value for value.
		if got := f.Plan.Unwrap(); !reflect.DeepEqual(roundTrip(t, docsOf(t, got)), roundTrip(t, docsOf(t, res.Plan))) {
			t.Fatal("saved documents differ from the planned ones")
		}
		rep, err := s.applyPlan(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := rep.Err(); err != nil || len(rep.Done) != 3 {
			t.Fatalf("applied %d, err %v", len(rep.Done), err)
		}
		for _, it := range res.Plan.Items {
			if it.Action != plan.Unchanged {
				checkStored(t, env.raw(t, env.prefix+"pipelines/"+it.ID+"/pipeline-metadata.json"), it)
			}
		}
		if res := s.diff(DiffOptions{}); res.Plan.HasChanges() {
			t.Fatalf("after sync --plan the store still differs: %+v", res.Plan.Counts)
		}
		// Applied once, the plan is out of date: its own writes changed what it read.
		before := snapshot(t, env)
		if _, err := s.applyPlan(f); !errors.Is(err, ErrStalePlan) {
			t.Fatalf("second apply of one plan: err = %v, want a stale plan", err)
		}
		if !equalMaps(before, snapshot(t, env)) {
			t.Fatal("a refused plan wrote to the store")
		}
	})
}

func docsOf(t testing.TB, p *plan.Plan) map[string]any {
	out := map[string]any{}
	for _, it := range p.Items {
		out[it.ID] = []any{string(it.Action), desiredDoc(t, it), it.ETag, it.Keep}
	}
	return out
}

// TestSavedPlanRefusedWhenStale changes the store or the source between diff --out and
// sync --plan: each is refused with its reason and the store is left byte for byte.
func TestSavedPlanRefusedWhenStale(t *testing.T) {
	cases := []struct {
		name   string
		change func(t *testing.T, s *syncer, r *repo)
		want   func(e *StaleError) bool
		msg    string
	}{
		{"object edited in the UI", func(t *testing.T, s *syncer, r *repo) {
			put(t, s, "b", "wait-dev", func(doc string) string { return strings.Replace(doc, `"waitTime":10`, `"waitTime":11`, 1) })
		}, func(e *StaleError) bool { return len(e.Changed) == 1 && !e.SourceChanged }, "1 pipeline object(s) changed in the store"},
		{"object added in the UI", func(t *testing.T, s *syncer, r *repo) {
			id := "0f5f6c1e-1111-4222-8333-944445555666"
			body := `{"id":"` + id + `","application":"z","name":"ui","stages":[],"triggers":[]}`
			if _, err := s.store.Put(context.Background(), id, []byte(body), front50.PutOptions{}); err != nil {
				t.Fatal(err)
			}
		}, func(e *StaleError) bool {
			return len(e.Added) == 1 && e.Added[0] == "0f5f6c1e-1111-4222-8333-944445555666"
		}, "1 pipeline object(s) added"},
		{"object deleted", func(t *testing.T, s *syncer, r *repo) {
			id := itemNamed(t, s.diff(DiffOptions{}).Plan, "b", "wait-dev").ID
			if err := s.store.Delete(context.Background(), id, ""); err != nil {
				t.Fatal(err)
			}
		}, func(e *StaleError) bool { return len(e.Removed) == 1 }, "1 pipeline object(s) removed"},
		{"template edited", func(t *testing.T, s *syncer, r *repo) {
			r.write("templates/wait.yml", strings.Replace(lifecycleTemplate, "waitTime: 5", "waitTime: 6", 1))
		}, func(e *StaleError) bool { return e.SourceChanged && len(e.Changed)+len(e.Added)+len(e.Removed) == 0 }, "the source changed"},
		{"file added to the services folder", func(t *testing.T, s *syncer, r *repo) {
			r.write("services/d.yaml", "name: d\nstacks: {}\n")
		}, func(e *StaleError) bool { return e.SourceChanged }, "the source changed"},
		{"config file edited", func(t *testing.T, s *syncer, r *repo) {
			r.write("pipegen.yaml", "vars: {team: x}\n")
		}, func(e *StaleError) bool { return e.SourceChanged }, "the source changed"},
	}
	forEachStore(t, func(t *testing.T, env storeEnv) {
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				r := lifecycleRepo(t)
				r.write("pipegen.yaml", "vars: {}\n")
				s := newSyncer(t, r, env)
				s.sync(DiffOptions{})
				r.write("services/a.yaml", "name: a\nvars: {wait: 31}\nstacks:\n  dev: {pipelines: [wait]}\n  prod: {pipelines: [wait]}\n")
				_, f := s.savePlan(DiffOptions{})
				if err := CheckPlan(context.Background(), s.cfg(), s.store, f); err != nil {
					t.Fatalf("fresh plan refused: %v", err)
				}
				tc.change(t, s, r)
				before := snapshot(t, env)
				_, err := s.applyPlan(f)
				var stale *StaleError
				if !errors.As(err, &stale) || !tc.want(stale) {
					t.Fatalf("err = %v (%+v)", err, stale)
				}
				if !strings.Contains(err.Error(), tc.msg) || !strings.Contains(err.Error(), "nothing written") {
					t.Errorf("message %q does not say %q and that nothing was written", err, tc.msg)
				}
				if !equalMaps(before, snapshot(t, env)) {
					t.Fatal("a refused plan wrote to the store")
				}
			})
		}
	})
}

// put rewrites a stored pipeline's JSON text as the UI would.
func put(t *testing.T, s *syncer, app, name string, edit func(string) string) {
	t.Helper()
	id := itemNamed(t, s.diff(DiffOptions{}).Plan, app, name).ID
	obj, err := s.store.Get(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	body := edit(string(obj.Body))
	if body == string(obj.Body) {
		t.Fatal("edit changed nothing")
	}
	if _, err := s.store.Put(context.Background(), id, []byte(body), front50.PutOptions{}); err != nil {
		t.Fatal(err)
	}
}

func TestSavedPlanOtherStoreRefused(t *testing.T) {
	r := lifecycleRepo(t)
	s := newSyncer(t, r, storeEnv{url: "file://" + t.TempDir()})
	_, f := s.savePlan(DiffOptions{})
	f.Store = "s3://somewhere-else/front50"
	_, err := s.applyPlan(f)
	var stale *StaleError
	if !errors.As(err, &stale) || stale.Store == "" || !strings.Contains(err.Error(), "made against s3://somewhere-else/front50") {
		t.Fatalf("err = %v", err)
	}
}

// TestSavedPlanKeepsItsOptions: a plan made with --prune deletes when applied, with no flag.
func TestSavedPlanKeepsItsOptions(t *testing.T) {
	r := lifecycleRepo(t)
	s := newSyncer(t, r, storeEnv{url: "file://" + t.TempDir()})
	s.sync(DiffOptions{})
	r.write("services/b.yaml", "name: b\nstacks: {}\n")
	_, f := s.savePlan(DiffOptions{Prune: true})
	if f.Plan.Summary.Delete != 1 || !f.Options.Prune {
		t.Fatalf("plan %+v options %+v", f.Plan.Summary, f.Options)
	}
	rep, err := s.applyPlan(f)
	if err != nil || rep.Err() != nil || len(rep.Done) != 1 {
		t.Fatalf("apply: %v %+v", err, rep)
	}
}

// TestSavedPlanWritesTheSameBytes: a plan applied from its file stores exactly the bytes a
// plain sync stores at the same moment, floats, escapes and all.
func TestSavedPlanWritesTheSameBytes(t *testing.T) {
	r := newRepo(t, map[string]string{
		"templates/p.yml": "name: p\nstages:\n  - refId: a\n    type: evaluateVariables\n    variables:\n      - {key: f, value: 1e-07}\n      - {key: g, value: 2.50}\n      - {key: big, value: 12345678901234567890}\n      - {key: s, value: \"<&> é \\u2028\"}\n",
		"services/a.yaml": "name: a\nstacks:\n  dev: {pipelines: [p]}\n",
	})
	plain := newSyncer(t, r, storeEnv{url: "file://" + t.TempDir()})
	saved := newSyncer(t, r, storeEnv{url: "file://" + t.TempDir()})
	res, _ := plain.sync(DiffOptions{})
	_, f := saved.savePlan(DiffOptions{})
	if _, err := saved.applyPlan(f); err != nil {
		t.Fatal(err)
	}
	for _, it := range res.Plan.Items {
		a, err := plain.store.Get(context.Background(), it.ID)
		if err != nil {
			t.Fatal(err)
		}
		b, err := saved.store.Get(context.Background(), it.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(a.Body, b.Body) {
			t.Errorf("sync --plan wrote\n%s\nsync wrote\n%s", b.Body, a.Body)
		}
	}
}
