package pipeline

import (
	"strings"
	"testing"

	"github.com/pipegen/pipegen/pkg/yamldoc"
)

func TestPipelineIDStable(t *testing.T) {
	// Pinned: the same value Python's uuid.uuid5 gives (see Namespace). If this changes, every
	// user's pipelines would be re-keyed.
	if got, want := PipelineID("my-microservice", "prod", "deploy"), "48ce8671-8d6c-5824-a939-2270d9c0e6b5"; got != want {
		t.Fatalf("PipelineID = %s, want %s", got, want)
	}
	if PipelineID("My-Microservice", " Prod", "deploy") != PipelineID("my-microservice", "prod", "deploy") {
		t.Error("identity must be case- and space-insensitive")
	}
	if PipelineID("a", "b", "c") == PipelineID("a", "bc", "") {
		t.Error("separator must keep identities apart")
	}
}

func prepare(t *testing.T, src string) Result {
	t.Helper()
	v, err := yamldoc.Decode([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	return Prepare(v, "app", PipelineID("app", "dev", "deploy"), Marker{Service: "app", Stack: "dev", Key: "deploy", File: "services/app.yaml"}, Options{Lock: true})
}

func TestPrepareArtifacts(t *testing.T) {
	r := prepare(t, `
name: deploy
expectedArtifacts:
  - displayName: chart
    matchArtifact: {type: helm/chart}
  - displayName: kept
    id: 11111111-2222-3333-4444-555555555555
triggers:
  - type: cron
    cronExpression: "0 0 * * * ?"
  - type: webhook
    id: fixed
    expectedArtifactIds: [chart, kept]
stages:
  - refId: bake
    type: bakeManifest
    requisiteStageRefIds: []
    expectedArtifacts:
      - displayName: manifest
    inputArtifacts:
      - {account: harbor, id: chart}
  - refId: deploy
    type: deployManifest
    requisiteStageRefIds: [bake]
    manifestArtifactId: manifest
    requiredArtifactIds: ["${trigger.x}", aaaaaaaa-2222-3333-4444-555555555555]
`)
	if len(r.Errors) > 0 {
		t.Fatalf("errors: %v", r.Errors)
	}
	pid := PipelineID("app", "dev", "deploy")
	chart := ArtifactID(pid, "chart")
	manifest := ArtifactID(pid, "manifest")
	doc := r.Doc
	arts := doc["expectedArtifacts"].([]any)
	if arts[0].(map[string]any)["id"] != chart || arts[1].(map[string]any)["id"] != "11111111-2222-3333-4444-555555555555" {
		t.Errorf("artifact ids: %v", arts)
	}
	trig := doc["triggers"].([]any)
	if trig[0].(map[string]any)["id"] != TriggerID(pid, "#0") || trig[1].(map[string]any)["id"] != "fixed" {
		t.Errorf("trigger ids: %v", trig)
	}
	if ids := trig[1].(map[string]any)["expectedArtifactIds"].([]any); ids[0] != chart || ids[1] != "11111111-2222-3333-4444-555555555555" {
		t.Errorf("trigger artifact refs: %v", ids)
	}
	stages := doc["stages"].([]any)
	if in := stages[0].(map[string]any)["inputArtifacts"].([]any)[0].(map[string]any)["id"]; in != chart {
		t.Errorf("inputArtifacts id = %v, want %v", in, chart)
	}
	if m := stages[1].(map[string]any)["manifestArtifactId"]; m != manifest {
		t.Errorf("manifestArtifactId = %v, want %v", m, manifest)
	}
	if len(r.Warnings) != 1 || !strings.Contains(r.Warnings[0].String(), "aaaaaaaa-") {
		t.Errorf("warnings: %v", r.Warnings)
	}
	if doc["application"] != "app" || doc["id"] != pid || doc["schema"] != "1" {
		t.Errorf("owned fields: %v %v %v", doc["application"], doc["id"], doc["schema"])
	}
	if m, ok := MarkerOf(doc); !ok || m.Source() != "services/app.yaml: dev/deploy" {
		t.Errorf("marker %v %v", m, ok)
	}
	if l := doc["locked"].(map[string]any); l["ui"] != true || l["description"] != "Managed by pipegen from services/app.yaml: dev/deploy" {
		t.Errorf("locked %v", l)
	}
}

func TestPrepareErrors(t *testing.T) {
	tests := []struct{ name, src, want string }{
		{"not a mapping", "[1]", "must render one pipeline object"},
		{"no name", "stages: []", "name: missing"},
		{"blank name", "name: ' '", "name: must not be blank"},
		{"other app", "name: x\napplication: other", `application: is "other" but this service is "app"`},
		{"dup artifact name", "name: x\nexpectedArtifacts: [{displayName: a}, {displayName: a}]", `expectedArtifacts[1]: displayName "a" is also used by expectedArtifacts[0]`},
		{"unknown artifact name", "name: x\nstages: [{refId: a, type: t, manifestArtifactId: nope}]", `stages[refId=a].manifestArtifactId: "nope" matches no expected artifact`},
		{"missing requisite", "name: x\nstages: [{refId: a, type: t, requisiteStageRefIds: [b]}]", `stages[refId=a].requisiteStageRefIds[0]: no stage has refId "b"`},
		{"dup refId", "name: x\nstages: [{refId: a, type: t}, {refId: a, type: t}]", `stages[1]: refId "a" is also used by stages[0]`},
		{"cycle", "name: x\nstages: [{refId: a, type: t, requisiteStageRefIds: [b]}, {refId: b, type: t, requisiteStageRefIds: [a]}]", "cycle: a → b → a"},
		{"no type", "name: x\nstages: [{refId: a}]", "stages[refId=a].type: missing"},
		{"reserved marker field", "name: x\npipegen: mine\n", "pipegen: is reserved for pipegen's ownership marker"},
		{"triggers with one displayName", "name: x\ntriggers: [{type: cron, displayName: t}, {type: cron, displayName: t}]", "triggers[1]: has the same id as triggers[0]"},
		{"triggers with one explicit id", "name: x\ntriggers: [{type: cron, id: a}, {type: cron, id: a}]", "triggers[1]: has the same id as triggers[0] (a)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := prepare(t, tt.src)
			var all []string
			for _, p := range r.Errors {
				all = append(all, p.String())
			}
			if !strings.Contains(strings.Join(all, "\n"), tt.want) {
				t.Errorf("errors %q, want one containing %q", all, tt.want)
			}
		})
	}
}

func TestServerManagedDropped(t *testing.T) {
	r := prepare(t, "name: x\nupdateTs: '1'\nlastModifiedBy: me\nlastModified: 3\ncreateTs: '2'\nid: other\nindex: 4\n")
	for _, f := range ServerManaged {
		if _, ok := r.Doc[f]; ok {
			t.Errorf("%s kept", f)
		}
	}
	if r.Doc["index"] == nil {
		t.Error("index set by the template must be kept")
	}
	if r.Doc["id"] != PipelineID("app", "dev", "deploy") {
		t.Error("id must be pipegen's")
	}
}

func TestDefaultsReplaceNulls(t *testing.T) {
	r := prepare(t, "name: x\nschema: null\ntriggers: null\nlocked: {ui: false}\n")
	if r.Doc["schema"] != "1" || r.Doc["triggers"] == nil {
		t.Errorf("schema %v, triggers %v", r.Doc["schema"], r.Doc["triggers"])
	}
	if l := r.Doc["locked"].(map[string]any); l["ui"] != true || len(r.Warnings) != 1 {
		t.Errorf("lock on must win over the template's locked: %v, warnings %v", l, r.Warnings)
	}
}

// A pipeline copied in the UI from a managed one keeps the marker but gets a new id: it is not
// pipegen's, so it is never pruned, adopted by identity or overwritten.
func TestMarkerOfCopy(t *testing.T) {
	r := prepare(t, "name: x\n")
	if _, ok := MarkerOf(r.Doc); !ok {
		t.Fatal("the original must be owned")
	}
	cp := map[string]any{}
	for k, v := range r.Doc {
		cp[k] = v
	}
	cp["id"] = "0f5f6c1e-1111-4222-8333-944445555666"
	cp["name"] = "x (copy)"
	if _, ok := MarkerOf(cp); ok {
		t.Error("a UI copy carrying the marker must not count as owned")
	}
}
