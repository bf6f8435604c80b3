package action

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/pipegen/pipegen/pkg/config"
	"github.com/pipegen/pipegen/pkg/front50"
)

func TestInitScaffoldsAWorkingRepo(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "new-repo")
	res, err := Init(InitOptions{Dir: dir, Service: "payments"})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"pipegen.yaml", "services/payments.yaml", "templates/deploy.yml", ".gitignore"}
	if !reflect.DeepEqual(res.Created, want) {
		t.Errorf("created %v, want %v", res.Created, want)
	}
	cfg, err := config.Load(config.Overrides{}, func(string) string { return "" }, dir)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Render(context.Background(), cfg, BuildOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Problems) > 0 {
		t.Fatalf("the scaffold does not validate:\n%s", problemsText(b))
	}
	var names []string
	for _, p := range b.Pipelines {
		names = append(names, p.Application+"/"+p.Name)
	}
	if w := []string{"payments/deploy-dev", "payments/deploy-prod"}; !reflect.DeepEqual(names, w) {
		t.Errorf("pipelines %v, want %v", names, w)
	}
	if n := len(b.Pipelines[1].Doc["stages"].([]any)); n != 3 {
		t.Errorf("prod has %d stages, want 3 (approve, deploy, settle)", n)
	}
	st, err := front50.Open(context.Background(), front50.Config{URL: cfg.Store})
	if err != nil {
		t.Fatal(err)
	}
	d, err := Diff(context.Background(), cfg, st, DiffOptions{})
	if err != nil || d.Plan == nil || d.Plan.Counts.Create != 2 {
		t.Fatalf("diff of the scaffold: %v %+v", err, d)
	}
}

func TestInitNeverOverwrites(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "pipegen.yaml"), []byte("lock: false\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, ".gitignore"), []byte("x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Init(InitOptions{Dir: dir})
	if err == nil || !strings.Contains(err.Error(), "pipegen.yaml already exist") {
		t.Fatalf("err = %v", err)
	}
	if got := dirFiles(t, dir); len(got) != 1 || got["pipegen.yaml"] != "lock: false\n" {
		t.Errorf("refused init changed files: %v", got)
	}
	os.Remove(filepath.Join(dir, "pipegen.yaml"))
	res, err := Init(InitOptions{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(res.Kept, []string{".gitignore"}) || len(res.Created) != 3 {
		t.Errorf("created %v kept %v", res.Created, res.Kept)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, ".gitignore")); string(b) != "x\n" {
		t.Errorf(".gitignore rewritten: %q", b)
	}
	if _, err := Init(InitOptions{Dir: t.TempDir(), Service: "Bad_Name"}); err == nil || !strings.Contains(err.Error(), "lower-case") {
		t.Errorf("bad service name: %v", err)
	}
}
