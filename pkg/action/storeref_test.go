package action

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/pipegen/pipegen/pkg/front50"
)

// pipeline_id() finds pipelines that exist only in the store (made in the UI, or by another
// repo) when diffing and syncing; render and validate, offline, say where they looked.
func TestPipelineIDFromStore(t *testing.T) {
	forEachStore(t, func(t *testing.T, env storeEnv) {
		r := newRepo(t, map[string]string{
			"templates/promote.yml": "name: promote\nstages:\n  - {refId: p, type: pipeline, application: other, pipeline: \"{{ pipeline_id(\"other\", \"Hand Made\") }}\"}\n",
			"services/a.yaml":       "name: a\nstacks:\n  dev: {pipelines: [promote]}\n",
		})
		msg := problemsText(r.render(Filter{}))
		if !strings.Contains(msg, `no pipeline named "Hand Made" in application other in this repo (render and validate look only at the repo`) {
			t.Fatalf("offline render: %q", msg)
		}

		s := newSyncer(t, r, env)
		uiID := "7c1d8a7e-0000-4000-8000-00000000abcd"
		body := `{"id":"` + uiID + `","application":"other","name":"hand made","schema":"1","triggers":[],"stages":[]}`
		if _, err := s.store.Put(context.Background(), uiID, []byte(body), front50.PutOptions{}); err != nil {
			t.Fatal(err)
		}
		res := s.diff(DiffOptions{})
		it := itemNamed(t, res.Plan, "a", "promote")
		got := desiredDoc(t, it)["stages"].([]any)[0].(map[string]any)["pipeline"]
		if got != uiID {
			t.Fatalf("pipeline_id resolved to %v, want the stored pipeline's id %s", got, uiID)
		}
	})
}

// A template that still calls pipeline_id() with the old name of a pipeline this repo renames
// must fail now, not resolve from the store once and break on the next run.
func TestPipelineIDOldNameOfRenamed(t *testing.T) {
	r := newRepo(t, map[string]string{
		"templates/deploy.yml":  "name: \"{{ deploy_name }}\"\n",
		"templates/promote.yml": "name: promote\nstages:\n  - {refId: p, type: pipeline, pipeline: \"{{ pipeline_id(\"deploy dev\") }}\"}\n",
		"services/a.yaml":       "name: a\nvars: {deploy_name: deploy dev}\nstacks:\n  dev: {pipelines: [deploy, promote]}\n",
	})
	s := newSyncer(t, r, storeEnv{url: "file://" + t.TempDir()})
	s.sync(DiffOptions{})
	r.write("services/a.yaml", "name: a\nvars: {deploy_name: deploy dev v2}\nstacks:\n  dev: {pipelines: [deploy, promote]}\n")
	res, err := Diff(context.Background(), s.cfg(), s.store, DiffOptions{})
	if err != nil {
		t.Fatal(err)
	}
	msg := problemsText(res.Build)
	if !strings.Contains(msg, `pipeline_id: "deploy dev" is the old name of pipeline`) || !strings.Contains(msg, `renames to "deploy dev v2"`) {
		t.Fatalf("got %q", msg)
	}
}

// The order users set in Deck (index) and createTs survive an update, on both stores.
func TestUpdateKeepsIndex(t *testing.T) {
	forEachStore(t, func(t *testing.T, env storeEnv) {
		r := lifecycleRepo(t)
		s := newSyncer(t, r, env)
		res, _ := s.sync(DiffOptions{})
		id := itemNamed(t, res.Plan, "a", "wait-dev").ID
		obj, err := s.store.Get(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		var doc map[string]any
		json.Unmarshal(obj.Body, &doc)
		doc["index"], doc["createTs"] = 7, "1600000000000"
		body, _ := json.Marshal(doc)
		if _, err := s.store.Put(context.Background(), id, body, front50.PutOptions{}); err != nil {
			t.Fatal(err)
		}
		if res := s.diff(DiffOptions{}); res.Plan.HasChanges() {
			t.Fatalf("index/createTs must not show as changes: %+v", res.Plan.Counts)
		}
		r.write("services/a.yaml", "name: a\nvars: {wait: 31}\nstacks:\n  dev: {pipelines: [wait]}\n  prod: {pipelines: [wait]}\n")
		s.sync(DiffOptions{})
		obj, err = s.store.Get(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		var after map[string]any
		json.Unmarshal(obj.Body, &after)
		if after["index"] != float64(7) || after["createTs"] != "1600000000000" || after["stages"].([]any)[0].(map[string]any)["waitTime"] != float64(31) {
			t.Fatalf("after update: index %v, createTs %v, stages %v", after["index"], after["createTs"], after["stages"])
		}
	})
}
