package services

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

const good = `name: my-microservice
product: azar
team: azar-backend1
namespace: azar-api
gitRepo: azar/my-microservice
vars: {replicas: 1, chart: {name: c, version: "1.0.0"}}
stacks:
  dev:
    pipelines: [deploy]
  prod:
    vars: {replicas: 3, chart: {version: "2.0.0"}}
    pipelines:
      - deploy
      - template: deploy-canary
        key: canary
        vars: {steps: [1, 5, 10, 50]}
`

func TestParseGood(t *testing.T) {
	s, errs := Parse("services/my.yaml", []byte(good))
	if len(errs) > 0 {
		t.Fatalf("unexpected errors: %v", errs)
	}
	if s.Name != "my-microservice" || s.GitRepo != "azar/my-microservice" || len(s.Stacks) != 2 {
		t.Fatalf("parsed %+v", s)
	}
	prod := s.Stacks[1]
	if prod.Name != "prod" || len(prod.Pipelines) != 2 || prod.Pipelines[1].Key != "canary" || prod.Pipelines[0].Key != "deploy" {
		t.Fatalf("prod stack %+v", prod)
	}
	ctx := Context(map[string]any{"region": "ap"}, s, prod, prod.Pipelines[1])
	want := map[string]any{
		"region":   "ap",
		"replicas": json.Number("3"),
		"chart":    map[string]any{"name": "c", "version": "2.0.0"},
		"steps":    []any{json.Number("1"), json.Number("5"), json.Number("10"), json.Number("50")},
		"app_name": "my-microservice", "stack": "prod", "product": "azar", "team": "azar-backend1",
		"namespace": "azar-api", "git_repo": "azar/my-microservice",
	}
	svc := ctx["service"]
	delete(ctx, "service")
	if !reflect.DeepEqual(ctx, want) {
		t.Errorf("context\n got %#v\nwant %#v", ctx, want)
	}
	if svc.(map[string]any)["name"] != "my-microservice" {
		t.Errorf("service record %v", svc)
	}
	// The deep merge must not have written into the service's own vars.
	if s.Vars["chart"].(map[string]any)["version"] != "1.0.0" {
		t.Errorf("service vars were modified: %v", s.Vars)
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want string // "line:col: message part"
	}{
		{"unknown key", "name: a\nstackz: {}\nstacks: {}\n", `2:1: unknown key "stackz"`},
		{"wrong type", "name: a\nteam: [x]\nstacks: {}\n", "2:7: team must be a string, not a list"},
		{"name missing", "stacks: {}\n", "1:1: missing required key `name`"},
		{"bad name", "name: My_App\nstacks: {}\n", `1:7: name "My_App" must be lower-case`},
		{"shadow builtin", "name: a\nvars: {stack: x}\nstacks: {}\n", `2:8: variable "stack" would shadow`},
		{"bad entry", "name: a\nstacks:\n  dev:\n    pipelines: [{key: x}]\n", "4:17: pipeline entry needs `template`"},
		{"duplicate key in stack", "name: a\nstacks:\n  dev:\n    pipelines: [deploy, deploy]\n", `4:25: stack dev uses key "deploy" twice`},
		{"duplicate yaml key", "name: a\nname: b\nstacks: {}\n", `2:1: duplicate key "name"`},
		{"escape template", "name: a\nstacks:\n  dev:\n    pipelines: [../x]\n", `4:17: template name "../x"`},
		{"pipelines not list", "name: a\nstacks:\n  dev:\n    pipelines: deploy\n", "4:16: pipelines must be a list"},
		{"syntax", "name: a\nstacks: {\n", "a.yaml:2: did not find expected node content"},
		{"empty", "", "empty service file"},
		{"empty name", "name: \"\"\nstacks: {}\n", "1:7: name must not be empty"},
		{"stacks differing in case", "name: a\nstacks:\n  dev: {pipelines: [x]}\n  Dev: {pipelines: [x]}\n", `4:3: stack "Dev" is stack "dev" again (line 3)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, errs := Parse("services/a.yaml", []byte(tt.src))
			if len(errs) == 0 {
				t.Fatal("no error")
			}
			msg := errs[0].Error()
			if !strings.HasPrefix(msg, "services/a.yaml:") || !strings.Contains(msg, tt.want) {
				t.Errorf("got %q, want it to name services/a.yaml and contain %q", msg, tt.want)
			}
		})
	}
}

func TestLoadDuplicateService(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "services")
	for _, f := range []string{"a/one.yaml", "b/two.yml"} {
		p := filepath.Join(dir, f)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("name: same\nstacks: {}\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	_, err := Load(context.Background(), root, dir)
	if err == nil {
		t.Fatal("no error for duplicate service")
	}
	if msg := err.Error(); !strings.Contains(msg, "services/b/two.yml:1:7: duplicate service \"same\": also defined in services/a/one.yaml:1:7") {
		t.Errorf("got %q", msg)
	}
}

func TestLoadTooLarge(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "services")
	os.MkdirAll(dir, 0o755)
	big := "name: a\nstacks: {}\n# " + strings.Repeat("x", MaxFileSize) + "\n"
	os.WriteFile(filepath.Join(dir, "big.yaml"), []byte(big), 0o644)
	_, err := Load(context.Background(), root, dir)
	if err == nil || !strings.Contains(err.Error(), "services/big.yaml: file is") {
		t.Fatalf("got %v", err)
	}
}
