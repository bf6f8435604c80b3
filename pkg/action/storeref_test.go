package action

import (
	"context"
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
		got := it.Desired["stages"].([]any)[0].(map[string]any)["pipeline"]
		if got != uiID {
			t.Fatalf("pipeline_id resolved to %v, want the stored pipeline's id %s", got, uiID)
		}
	})
}
