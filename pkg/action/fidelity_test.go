package action

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/pipegen/pipegen/pkg/plan"
)

// storedDoc reads a stored object with numbers kept as written.
func storedDoc(t *testing.T, env storeEnv, id string) map[string]any {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(string(env.raw(t, env.prefix+"pipelines/"+id+"/pipeline-metadata.json"))))
	dec.UseNumber()
	var doc map[string]any
	if err := dec.Decode(&doc); err != nil {
		t.Fatal(err)
	}
	return doc
}

// rewrite stores doc under id as another writer (the UI, Front50's API) would.
func rewrite(t *testing.T, env storeEnv, id string, doc map[string]any) {
	t.Helper()
	b, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	env.put(t, env.prefix+"pipelines/"+id+"/pipeline-metadata.json", b)
}

// What people set on a managed pipeline in Deck, and what Front50 keeps untyped, survives a
// rewrite as stored: `disabled` (the emergency switch) unless the template sets it, and a
// `createTs` of any type. Re-runs converge.
func TestRewriteKeepsDisabledAndCreateTs(t *testing.T) {
	forEachStore(t, func(t *testing.T, env storeEnv) {
		r := lifecycleRepo(t)
		s := newSyncer(t, r, env)
		res, _ := s.sync(DiffOptions{})
		target := itemNamed(t, res.Plan, "a", "wait-dev")

		doc := storedDoc(t, env, target.ID)
		doc["disabled"] = true
		doc["createTs"] = json.Number("1712345678901")
		rewrite(t, env, target.ID, doc)

		// Nothing to do while the source is unchanged: disabled is not a change.
		if p := s.diff(DiffOptions{}).Plan; p.HasChanges() {
			t.Fatalf("plan after disabling in the UI: %+v", p.Counts)
		}
		// A source change rewrites the pipeline; it stays disabled and says so.
		r.write("services/a.yaml", "name: a\nvars: {wait: 31}\nstacks:\n  dev: {pipelines: [wait]}\n  prod: {pipelines: [wait]}\n")
		res, _ = s.sync(DiffOptions{})
		it := itemNamed(t, res.Plan, "a", "wait-dev")
		if it.Action != plan.Update || !strings.Contains(it.Reason, "stays disabled") {
			t.Errorf("plan item %s %q, want an update that says the pipeline stays disabled", it.Action, it.Reason)
		}
		got := storedDoc(t, env, target.ID)
		if got["disabled"] != true {
			t.Errorf("disabled = %v after sync, want true (kept from the UI)", got["disabled"])
		}
		if got["createTs"] != json.Number("1712345678901") {
			t.Errorf("createTs = %#v after sync, want the stored number as it was", got["createTs"])
		}
		if p := s.diff(DiffOptions{}).Plan; p.HasChanges() {
			t.Fatalf("plan after the sync: %+v, want nothing to do", p.Counts)
		}

		// A template that sets disabled wins.
		r.write("templates/wait.yml", lifecycleTemplate+"disabled: false\n")
		s.sync(DiffOptions{})
		if got := storedDoc(t, env, target.ID); got["disabled"] != false {
			t.Errorf("disabled = %v, want the template's false", got["disabled"])
		}
	})
}

// A stored pipeline that Front50 reads although Go's strict decoder would not (a UTF-8 byte
// order mark, data after the object) still holds its name: pipegen must not create a second
// pipeline with that name next to it.
func TestStoredObjectsReadAsFront50Reads(t *testing.T) {
	for _, tc := range []struct{ name, prefix, suffix string }{
		{"byte order mark", "\ufeff", ""},
		{"data after the object", "", "\n{garbage"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			forEachStore(t, func(t *testing.T, env storeEnv) {
				r := lifecycleRepo(t)
				s := newSyncer(t, r, env)
				body := `{"id":"ui-made","application":"a","name":"wait-dev","stages":[]}`
				env.put(t, env.prefix+"pipelines/ui-made/pipeline-metadata.json", []byte(tc.prefix+body+tc.suffix))
				res := s.diff(DiffOptions{})
				if len(res.State.Broken) != 0 {
					t.Errorf("reported broken: %+v", res.State.Broken)
				}
				it := itemNamed(t, res.Plan, "a", "wait-dev")
				if it.Action != plan.Conflict || !strings.Contains(it.Reason, "ui-made") {
					t.Fatalf("plan item %s %q, want a conflict with ui-made", it.Action, it.Reason)
				}
			})
		})
	}
}

// Front50 serves every key below pipelines/ that ends in pipeline-metadata.json, at any depth:
// a pipeline under a nested key holds its name too, and pipegen never writes there.
func TestNestedKeysHoldTheirNames(t *testing.T) {
	forEachStore(t, func(t *testing.T, env storeEnv) {
		r := lifecycleRepo(t)
		s := newSyncer(t, r, env)
		key := env.prefix + "pipelines/backup/ui-made/pipeline-metadata.json"
		body := []byte(`{"id":"ui-made","application":"a","name":"wait-dev","stages":[]}`)
		env.put(t, key, body)
		res := s.diff(DiffOptions{})
		it := itemNamed(t, res.Plan, "a", "wait-dev")
		if it.Action != plan.Conflict || !strings.Contains(it.Reason, "pipelines/backup/ui-made/") {
			t.Fatalf("plan item %s %q, want a conflict naming the nested key", it.Action, it.Reason)
		}
		// --adopt does not take a nested pipeline over, and nothing is written there.
		res = s.diff(DiffOptions{Adopt: true})
		if it := itemNamed(t, res.Plan, "a", "wait-dev"); it.Action != plan.Conflict {
			t.Fatalf("with --adopt: %s, want a conflict", it.Action)
		}
		if got := env.raw(t, key); string(got) != string(body) {
			t.Fatalf("nested object changed: %s", got)
		}
	})
}
