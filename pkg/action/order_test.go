package action

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/pipegen/pipegen/pkg/front50"
	"github.com/pipegen/pipegen/pkg/pipeline"
)

// failingDeletes is a store whose deletes all fail.
type failingDeletes struct{ front50.Store }

func (failingDeletes) Delete(context.Context, string, string) error {
	return errors.New("injected: delete failed")
}

// A renamed key with --prune deletes the old pipeline and creates the new one under the same
// name. If the delete fails, the create must not happen: never two pipelines with one name.
func TestFailedDeleteBlocksCreateOfItsName(t *testing.T) {
	r := newRepo(t, map[string]string{
		"templates/deploy.yml": "name: deploy\nstages: []\n",
		"services/a.yaml":      "name: a\nstacks:\n  old: {pipelines: [deploy]}\n",
	})
	s := newSyncer(t, r, storeEnv{url: "file://" + t.TempDir()})
	s.sync(DiffOptions{})
	r.write("services/a.yaml", "name: a\nstacks:\n  new: {pipelines: [deploy]}\n")

	res := s.diff(DiffOptions{Prune: true})
	if res.Plan.Counts.Create != 1 || res.Plan.Counts.Delete != 1 {
		t.Fatalf("plan %+v", res.Plan.Counts)
	}
	rep, err := Apply(context.Background(), failingDeletes{s.store}, res.Plan, SyncOptions{DiffOptions: DiffOptions{Prune: true}})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Done) != 0 || len(rep.Failed) != 2 {
		t.Fatalf("done %d, failed %d", len(rep.Done), len(rep.Failed))
	}
	var blocked bool
	for _, o := range rep.Failed {
		blocked = blocked || strings.Contains(o.Err.Error(), "still holds the name")
	}
	if !blocked {
		t.Errorf("the create was not reported as blocked: %+v", rep.Failed)
	}
	if _, err := s.store.Get(context.Background(), pipeline.PipelineID("a", "new", "deploy")); !errors.Is(err, front50.ErrNotFound) {
		t.Fatalf("the new pipeline was written although the old one still holds its name: %v", err)
	}
}
