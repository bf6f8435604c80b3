package action

import (
	"context"
	"encoding/json"
	"errors"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/pipegen/pipegen/pkg/front50"
	"github.com/pipegen/pipegen/pkg/pipeline"
	"github.com/pipegen/pipegen/pkg/plan"
)

func pruneRepo(t *testing.T) *repo {
	return newRepo(t, map[string]string{
		"templates/wait.yml": lifecycleTemplate,
		"services/a.yaml":    "name: a\nvars: {wait: 1}\nstacks:\n  dev: {pipelines: [wait]}\n  prod: {pipelines: [wait]}\n",
		"services/b.yaml":    "name: b\nvars: {wait: 2}\nstacks:\n  dev: {pipelines: [wait]}\n",
		"services/c.yaml":    "name: c\nvars: {wait: 3}\nstacks:\n  dev: {pipelines: [wait]}\n",
	})
}

// foreign are pipelines pipegen must never delete, by id: made in the UI, or carrying
// something that looks like pipegen's marker but is not a complete, consistent one.
func foreignPipelines(t *testing.T, ownedADev []byte) map[string][]byte {
	t.Helper()
	obj := func(id, app, name string, marker any, withMarker bool) []byte {
		doc := map[string]any{"id": id, "application": app, "name": name, "schema": "1", "triggers": []any{},
			"stages": []any{map[string]any{"refId": "1", "type": "wait", "waitTime": 5}}, "updateTs": "1", "lastModifiedBy": "someone"}
		if withMarker {
			doc[pipeline.MarkerKey] = marker
		}
		b, err := json.Marshal(doc)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	// A copy made in the UI of a managed pipeline: everything kept, marker included, under a
	// new id and name.
	var clone map[string]any
	if err := json.Unmarshal(ownedADev, &clone); err != nil {
		t.Fatal(err)
	}
	clone["id"], clone["name"] = "c0c0c0c0-0000-4000-8000-000000000001", "wait-dev copy"
	cloneBody, _ := json.Marshal(clone)
	return map[string][]byte{
		"0f5f6c1e-1111-4222-8333-944445555666": obj("0f5f6c1e-1111-4222-8333-944445555666", "a", "made in the ui", nil, false),
		"0f5f6c1e-1111-4222-8333-944445555667": obj("0f5f6c1e-1111-4222-8333-944445555667", "b", "made in the ui too", nil, false),
		"9a000000-0000-4000-8000-000000000001": obj("9a000000-0000-4000-8000-000000000001", "a", "marker without key", map[string]any{"service": "a", "stack": "prod", "file": "services/a.yaml"}, true),
		"9a000000-0000-4000-8000-000000000002": obj("9a000000-0000-4000-8000-000000000002", "a", "marker is a string", "a/prod/wait", true),
		"9a000000-0000-4000-8000-000000000003": obj("9a000000-0000-4000-8000-000000000003", "a", "marker is empty", map[string]any{}, true),
		"9a000000-0000-4000-8000-000000000004": obj("9a000000-0000-4000-8000-000000000004", "a", "marker is null", nil, true),
		"9a000000-0000-4000-8000-000000000005": obj("9a000000-0000-4000-8000-000000000005", "b", "marker with blank service", map[string]any{"service": "", "stack": "dev", "key": "wait"}, true),
		// Copied into another application: its marker names a service that is not its application.
		"9a000000-0000-4000-8000-000000000006": obj("9a000000-0000-4000-8000-000000000006", "zz", "copied elsewhere", map[string]any{"service": "a", "stack": "prod", "key": "wait", "file": "services/a.yaml"}, true),
		"c0c0c0c0-0000-4000-8000-000000000001": cloneBody,
	}
}

// Guarantee 7: --prune deletes only pipelines with pipegen's complete ownership marker whose
// source is gone, within the filters; a filter that matches nothing deletes nothing; pipelines
// made in the UI, or with a partial, inconsistent or copied marker, survive every prune.
func TestPruneSafety(t *testing.T) {
	forEachStore(t, func(t *testing.T, env storeEnv) {
		r := pruneRepo(t)
		s := newSyncer(t, r, env)
		foreign, _ := seedForeign(t, s)
		ctx := context.Background()
		// Sources of a/prod and b/dev go away.
		r.write("services/a.yaml", "name: a\nvars: {wait: 1}\nstacks:\n  dev: {pipelines: [wait]}\n")
		r.write("services/b.yaml", "name: b\nstacks: {}\n")

		prune := func(f Filter, wantDeleted ...string) {
			t.Helper()
			before := snapshot(t, env)
			opt := DiffOptions{Prune: true, Filter: f}
			res := s.diff(opt)
			s.now = s.now.Add(time.Second)
			rep, err := Apply(ctx, s.store, res.Plan, SyncOptions{DiffOptions: opt, Now: func() time.Time { return s.now }})
			if err != nil {
				t.Fatal(err)
			}
			var deleted []string
			for _, o := range rep.Done {
				if o.Item.Action != plan.Delete {
					t.Errorf("filter %+v: unexpected %s of %s/%s", f, o.Item.Action, o.Item.Application, o.Item.Name)
					continue
				}
				deleted = append(deleted, o.Item.ID)
			}
			for _, o := range rep.Failed {
				// A delete the plan wanted and the final check refused: loud, never silent.
				if !errors.Is(o.Err, ErrNotOwned) {
					t.Errorf("filter %+v: %s/%s failed: %v", f, o.Item.Application, o.Item.Name, o.Err)
				}
				if _, ok := foreign[o.Item.ID]; !ok {
					t.Errorf("filter %+v: refused to delete %s/%s, which pipegen owns: %v", f, o.Item.Application, o.Item.Name, o.Err)
				}
			}
			sort.Strings(deleted)
			sort.Strings(wantDeleted)
			if strings.Join(deleted, ",") != strings.Join(wantDeleted, ",") {
				t.Errorf("filter %+v deleted %v, want %v", f, deleted, wantDeleted)
			}
			after := snapshot(t, env)
			for id, body := range foreign {
				if after[env.prefix+"pipelines/"+id+"/pipeline-metadata.json"] != string(body) {
					t.Errorf("filter %+v: %s (%s) did not survive the prune", f, id, gjsonName(body))
				}
			}
			if len(wantDeleted) == 0 && !equalMaps(before, after) {
				t.Errorf("filter %+v: a prune with nothing to delete changed the store", f)
			}
			checkIntegrity(t, after, env.prefix, false)
		}

		// Filters that match nothing are an error naming the closest names, before any write;
		// filters that match nothing whose source is gone delete nothing.
		for _, f := range []Filter{{Services: []string{"nomatch"}}, {Pipelines: []string{"nomatch*"}}, {Stacks: []string{"staging"}}} {
			before := snapshot(t, env)
			var nm *NoMatchError
			if _, err := Diff(ctx, s.cfg(), s.store, DiffOptions{Prune: true, Filter: f}); !errors.As(err, &nm) || len(nm.Closest) == 0 {
				t.Errorf("filter %+v: %v, want a NoMatchError naming the closest names", f, err)
			}
			if !equalMaps(before, snapshot(t, env)) {
				t.Errorf("filter %+v changed the store", f)
			}
		}
		prune(Filter{Services: []string{"c"}})
		prune(Filter{Services: []string{"a"}, Stacks: []string{"dev"}})
		// In scope, owned, source gone: deleted, one scope at a time.
		prune(Filter{Services: []string{"b"}}, pipeline.PipelineID("b", "dev", "wait"))
		prune(Filter{}, pipeline.PipelineID("a", "prod", "wait"))
		prune(Filter{})

		// The source of the copied pipeline goes too: the original is deleted, the UI copy is not.
		r.write("services/a.yaml", "name: a\nstacks: {}\n")
		prune(Filter{}, pipeline.PipelineID("a", "dev", "wait"))
		// A later prune finds the copy alone with the marker; the marker records the id it was
		// written for, which is not the copy's, so the copy still survives.
		prune(Filter{})
	})
}

// The last check in Apply, on a plan made by hand: whatever a plan says, Apply deletes only
// objects that carry pipegen's complete, consistent marker, are within the filters and are
// unchanged since they were read.
func TestApplyRefusesToDeleteWhatIsNotOwned(t *testing.T) {
	forEachStore(t, func(t *testing.T, env storeEnv) {
		r := pruneRepo(t)
		s := newSyncer(t, r, env)
		foreign, etags := seedForeign(t, s)
		ctx := context.Background()
		aDev, err := s.store.Get(ctx, pipeline.PipelineID("a", "dev", "wait"))
		if err != nil {
			t.Fatal(err)
		}
		var items []plan.Item
		for id, body := range foreign {
			items = append(items, plan.Item{Action: plan.Delete, ID: id, Application: "x", Name: gjsonName(body), ETag: etags[id]})
		}
		bDev, err := s.store.Get(ctx, pipeline.PipelineID("b", "dev", "wait"))
		if err != nil {
			t.Fatal(err)
		}
		cDev, err := s.store.Get(ctx, pipeline.PipelineID("c", "dev", "wait"))
		if err != nil {
			t.Fatal(err)
		}
		items = append(items,
			// Owned, in scope, unchanged: the one delete that happens. The UI copy above claims
			// the same marker and is refused.
			plan.Item{Action: plan.Delete, ID: aDev.ID, Application: "a", Name: "wait-dev", ETag: aDev.ETag},
			// Owned but outside the filter given to Apply.
			plan.Item{Action: plan.Delete, ID: bDev.ID, Application: "b", Name: "wait-dev", ETag: bDev.ETag},
			// Owned and in scope, but changed since the plan read it.
			plan.Item{Action: plan.Delete, ID: cDev.ID, Application: "c", Name: "wait-dev", ETag: `"0123456789abcdef0123456789abcdef"`},
		)
		before := snapshot(t, env)
		rep, err := Apply(ctx, s.store, &plan.Plan{Items: items}, SyncOptions{DiffOptions: DiffOptions{Filter: Filter{Services: []string{"a", "c", "zz"}}}})
		if err != nil {
			t.Fatal(err)
		}
		if len(rep.Done) != 1 || rep.Done[0].Item.ID != aDev.ID || len(rep.Failed) != len(items)-1 {
			t.Fatalf("done %+v, failed %d of %d", rep.Done, len(rep.Failed), len(items))
		}
		for _, o := range rep.Failed {
			switch o.Item.ID {
			case cDev.ID:
				if !errors.Is(o.Err, front50.ErrPrecondition) {
					t.Errorf("changed object: %v", o.Err)
				}
			default:
				if !errors.Is(o.Err, ErrNotOwned) || !strings.Contains(o.Err.Error(), o.Item.ID) {
					t.Errorf("%s (%s): %v", o.Item.ID, o.Item.Name, o.Err)
				}
			}
		}
		after := snapshot(t, env)
		delete(before, env.prefix+"pipelines/"+aDev.ID+"/pipeline-metadata.json")
		delete(before, env.prefix+"pipelines/last-modified.json")
		delete(after, env.prefix+"pipelines/last-modified.json")
		if !equalMaps(before, after) {
			t.Fatal("a refused delete changed the store")
		}
		checkIntegrity(t, snapshot(t, env), env.prefix, false)
	})
}

func gjsonName(body []byte) string {
	var doc struct{ Name string }
	_ = json.Unmarshal(body, &doc)
	return doc.Name
}

// seedForeign syncs the prune repo, then stores the pipelines pipegen must never delete next to
// its own, returning their bodies and ETags by id.
func seedForeign(t *testing.T, s *syncer) (map[string][]byte, map[string]string) {
	t.Helper()
	s.sync(DiffOptions{})
	ctx := context.Background()
	aDev, err := s.store.Get(ctx, pipeline.PipelineID("a", "dev", "wait"))
	if err != nil {
		t.Fatal(err)
	}
	foreign := foreignPipelines(t, aDev.Body)
	etags := map[string]string{}
	for id, body := range foreign {
		if etags[id], err = s.store.Put(ctx, id, body, front50.PutOptions{}); err != nil {
			t.Fatalf("%s: %v", id, err)
		}
	}
	return foreign, etags
}
