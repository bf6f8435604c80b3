package action

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/pipegen/pipegen/pkg/pipeline"
	"github.com/pipegen/pipegen/pkg/yamldoc"
)

func seedRepo(t *testing.T, services string) *repo {
	t.Helper()
	tmpl, err := os.ReadFile("testdata/seed/templates/deploy.yml")
	if err != nil {
		t.Fatal(err)
	}
	return newRepo(t, map[string]string{
		"templates/deploy.yml":          string(tmpl),
		"services/my-microservice.yaml": services,
	})
}

const seedService = `name: my-microservice
product: azar
team: azar-backend1
namespace: azar-api
gitRepo: azar/my-microservice
stacks:
  dev:
    pipelines: [deploy]
`

// The seed's template, verbatim, renders to the same text and the same structure as the seed's
// Jinja2 + PyYAML tool (references made by testdata/seed/jinja2_reference.py).
func TestSeedMatchesJinja2(t *testing.T) {
	r := seedRepo(t, seedService)
	b := r.render(Filter{})
	if len(b.Problems) > 0 {
		t.Fatalf("problems:\n%s", problemsText(b))
	}
	if len(b.Pipelines) != 1 {
		t.Fatalf("got %d pipelines", len(b.Pipelines))
	}
	p := b.Pipelines[0]

	wantText, err := os.ReadFile("testdata/seed/jinja2-rendered.yml")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(p.text, wantText) {
		t.Errorf("rendered text differs from Jinja2's: %s", firstDifference(string(p.text), string(wantText)))
	}

	ref, err := os.ReadFile("testdata/seed/jinja2-reference.json")
	if err != nil {
		t.Fatal(err)
	}
	// Compare the structure before pipegen adds its own fields.
	got := roundTrip(t, mustDecode(t, p.text))
	if want := normalJSON(t, ref); !reflect.DeepEqual(got, want) {
		t.Errorf("structure differs from Jinja2 + PyYAML:\n got %v\nwant %v", got, want)
	}

	// SpEL untouched, artifact references resolved to the generated ids.
	doc := p.Doc
	arts := doc["expectedArtifacts"].([]any)
	if v := arts[1].(map[string]any)["defaultArtifact"].(map[string]any)["version"]; v != `${parameters["helmBranch"] ?: "master"}` {
		t.Errorf("SpEL changed: %v", v)
	}
	ids := map[string]string{}
	for _, a := range arts {
		m := a.(map[string]any)
		ids[m["displayName"].(string)] = m["id"].(string)
	}
	stages := doc["stages"].([]any)
	bake := stages[1].(map[string]any)
	manifestID := bake["expectedArtifacts"].([]any)[0].(map[string]any)["id"].(string)
	if !pipeline.LooksLikeID(manifestID) {
		t.Errorf("stage artifact id %q", manifestID)
	}
	inputs := bake["inputArtifacts"].([]any)
	for i, name := range []string{"hpcnt-workload-chart", "azar-azar-api-my-microservice-values", "azar-azar-api-my-microservice-dev-values"} {
		if got := inputs[i].(map[string]any)["id"]; got != ids[name] || !pipeline.LooksLikeID(ids[name]) {
			t.Errorf("inputArtifacts[%d].id = %v, want id of %s (%s)", i, got, name, ids[name])
		}
	}
	if got := stages[2].(map[string]any)["manifestArtifactId"]; got != manifestID {
		t.Errorf("manifestArtifactId = %v, want %s", got, manifestID)
	}
	if doc["id"] != pipeline.PipelineID("my-microservice", "dev", "deploy") {
		t.Errorf("id = %v", doc["id"])
	}
}

func mustDecode(t *testing.T, text []byte) any {
	t.Helper()
	v, err := yamldoc.Decode(text)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// The seed's template has a fixed name; used by two stacks of one service it would make two
// pipelines with one name in one application, which Front50 must never hold.
func TestDuplicateNameAcrossStacks(t *testing.T) {
	r := seedRepo(t, seedService+"  prod:\n    pipelines: [deploy]\n")
	b := r.render(Filter{})
	msg := problemsText(b)
	for _, want := range []string{
		`templates/deploy.yml:2: pipeline name "deploy" is used twice in application my-microservice`,
		"services/my-microservice.yaml: dev/deploy", "services/my-microservice.yaml: prod/deploy",
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("problems %q\nwant them to contain %q", msg, want)
		}
	}
}

func TestRenderDeterministicAndLocal(t *testing.T) {
	files := map[string]string{
		"templates/deploy.yml": "name: deploy-{{ stack }}\nstages:\n  - {refId: a, type: wait, waitTime: {{ wait }}}\n",
		"services/a.yaml":      "name: a\nvars: {wait: 1}\nstacks:\n  dev: {pipelines: [deploy]}\n  prod: {pipelines: [deploy]}\n",
		"services/b.yaml":      "name: b\nvars: {wait: 1}\nstacks:\n  dev: {pipelines: [deploy]}\n",
	}
	r := newRepo(t, files)
	first := docsJSON(t, r.render(Filter{}))
	second := docsJSON(t, r.render(Filter{}))
	if !bytes.Equal(first, second) {
		t.Fatal("two renders of the same input differ")
	}
	r.write("services/b.yaml", "name: b\nvars: {wait: 2}\nstacks:\n  dev: {pipelines: [deploy]}\n")
	b := r.render(Filter{})
	before := r.docsByID(t, first)
	for _, p := range b.Pipelines {
		changed := !reflect.DeepEqual(roundTrip(t, p.Doc), before[p.ID])
		if changed != (p.Service == "b") {
			t.Errorf("%s/%s changed=%v", p.Application, p.Name, changed)
		}
	}
}

func (r *repo) docsByID(t *testing.T, data []byte) map[string]any {
	out := map[string]any{}
	for _, d := range normalJSON(t, data).([]any) {
		out[d.(map[string]any)["id"].(string)] = d
	}
	return out
}

func TestFilters(t *testing.T) {
	r := newRepo(t, map[string]string{
		"templates/deploy.yml": "name: deploy-{{ stack }}\n",
		"services/a.yaml":      "name: a\nstacks:\n  dev: {pipelines: [deploy]}\n  prod: {pipelines: [deploy]}\n",
		"services/b.yaml":      "name: b\nstacks:\n  dev: {pipelines: [deploy]}\n",
	})
	tests := []struct {
		f    Filter
		want []string
	}{
		{Filter{}, []string{"a/deploy-dev", "a/deploy-prod", "b/deploy-dev"}},
		{Filter{Services: []string{"a"}}, []string{"a/deploy-dev", "a/deploy-prod"}},
		{Filter{Stacks: []string{"dev"}}, []string{"a/deploy-dev", "b/deploy-dev"}},
		{Filter{Pipelines: []string{"*-prod"}}, []string{"a/deploy-prod"}},
		{Filter{Pipelines: []string{"deploy"}}, []string{"a/deploy-dev", "a/deploy-prod", "b/deploy-dev"}},
	}
	for _, tt := range tests {
		var got []string
		for _, p := range r.render(tt.f).InScope() {
			got = append(got, p.Application+"/"+p.Name)
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("filter %+v: got %v, want %v", tt.f, got, tt.want)
		}
	}

	// A filter that matches nothing is an error that names the closest names.
	noMatch := []struct {
		f    Filter
		want string
	}{
		{Filter{Services: []string{"nothing*"}}, `--service "nothing*" matches no service; closest: a, b; nothing was done`},
		{Filter{Services: []string{"a", "bb"}}, `--service "bb" matches no service; closest: b, a; nothing was done`},
		{Filter{Stacks: []string{"prdo"}}, `--stack "prdo" matches no stack; closest: prod, dev; nothing was done`},
		{Filter{Pipelines: []string{"deplyo-dev"}}, `--pipeline "deplyo-dev" matches no pipeline; closest: deploy-dev, deploy, deploy-prod; nothing was done`},
		{Filter{Services: []string{"b"}, Stacks: []string{"prod"}}, `the filters --service "b" --stack "prod" match no pipeline together; closest: b/dev/deploy; nothing was done`},
	}
	for _, tt := range noMatch {
		_, err := Render(context.Background(), r.config(nil), BuildOptions{Filter: tt.f})
		var nm *NoMatchError
		if !errors.As(err, &nm) || err.Error() != tt.want {
			t.Errorf("filter %+v:\n got %v\nwant %s", tt.f, err, tt.want)
		}
	}
}

func TestPipelineIDFunction(t *testing.T) {
	r := newRepo(t, map[string]string{
		"templates/deploy.yml":  "name: deploy-{{ stack }}\n",
		"templates/promote.yml": "name: promote\nstages:\n  - {refId: p, type: pipeline, application: b, pipeline: \"{{ pipeline_id(\"b\", \"deploy-dev\") }}\"}\n  - {refId: q, type: pipeline, pipeline: \"{{ pipeline_id(\"deploy-dev\") }}\"}\n",
		"services/a.yaml":       "name: a\nstacks:\n  dev: {pipelines: [deploy, promote]}\n",
		"services/b.yaml":       "name: b\nstacks:\n  dev: {pipelines: [deploy]}\n",
	})
	b := r.render(Filter{})
	if len(b.Problems) > 0 {
		t.Fatal(problemsText(b))
	}
	for _, p := range b.Pipelines {
		if p.Name != "promote" {
			continue
		}
		st := p.Doc["stages"].([]any)
		if got := st[0].(map[string]any)["pipeline"]; got != pipeline.PipelineID("b", "dev", "deploy") {
			t.Errorf("pipeline_id(b, deploy-dev) = %v", got)
		}
		if got := st[1].(map[string]any)["pipeline"]; got != pipeline.PipelineID("a", "dev", "deploy") {
			t.Errorf("pipeline_id(deploy-dev) = %v", got)
		}
	}

	r.write("templates/promote.yml", "name: promote\nstages:\n  - {refId: p, type: pipeline, pipeline: \"{{ pipeline_id(\"nope\") }}\"}\n")
	msg := problemsText(r.render(Filter{}))
	if !strings.Contains(msg, `templates/promote.yml: pipeline_id: no pipeline named "nope" in application a`) {
		t.Errorf("got %q", msg)
	}
}

func TestExampleRepoRenders(t *testing.T) {
	root, _ := filepath.Abs("../..")
	r := &repo{t: t, root: root}
	b, err := Render(context.Background(), r.config(nil), BuildOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Problems) > 0 {
		t.Fatalf("the worked example has problems:\n%s", problemsText(b))
	}
	var names []string
	for _, p := range b.Pipelines {
		names = append(names, p.Name)
	}
	if want := []string{"canary-prod", "deploy-dev", "deploy-prod"}; !reflect.DeepEqual(names, want) {
		t.Errorf("example pipelines %v, want %v", names, want)
	}
}
