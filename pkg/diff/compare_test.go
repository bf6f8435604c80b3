package diff

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files")

// doc decodes JSON the way the store reader does (numbers as json.Number).
func doc(t testing.TB, s string) map[string]any {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("bad test document %s: %v", s, err)
	}
	return m
}

// canonJSON re-encodes a JSON text so that two equal values give equal bytes.
func canonJSON(t *testing.T, b []byte) string {
	t.Helper()
	var v any
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("decode %s: %v", b, err)
	}
	out, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

const base = `{
  "application": "app", "name": "deploy", "keepWaitingPipelines": false,
  "parameterConfig": [{"name": "version", "default": "1.0.0", "required": true}],
  "expectedArtifacts": [{"id": "3f1c0000-0000-4000-8000-000000000001", "displayName": "image",
    "matchArtifact": {"type": "docker/image", "name": "gcr.io/app"}}],
  "triggers": [{"id": "t1", "type": "docker", "enabled": true}],
  "notifications": [{"type": "slack", "address": "#a"}, {"type": "slack", "address": "#b"}],
  "stages": [
    {"refId": "bake", "type": "bakeManifest", "name": "Bake", "requisiteStageRefIds": [],
     "expectedArtifacts": [{"id": "a1", "displayName": "manifest", "defaultArtifact": {"reference": "r1"}}]},
    {"refId": "deploy", "type": "deployManifest", "name": "Deploy", "account": "staging",
     "requisiteStageRefIds": ["bake"], "overrides": {"image.tag": "v1", "replicas": 3},
     "manifests": [{"kind": "Deployment"}, {"kind": "Service"}]}
  ]
}`

// mutate returns base with fn applied.
func mutate(t testing.TB, fn func(d map[string]any)) map[string]any {
	d := doc(t, base)
	fn(d)
	return d
}

func stage(d map[string]any, i int) map[string]any {
	return d["stages"].([]any)[i].(map[string]any)
}

func TestCompare(t *testing.T) {
	tests := []struct {
		name    string
		current map[string]any
		desired map[string]any
		want    string // JSON array of changes
	}{
		{
			name:    "identical",
			current: doc(t, base),
			desired: doc(t, base),
			want:    `[]`,
		},
		{
			name:    "key order only",
			current: doc(t, `{"a": 1, "b": {"x": 1, "y": [1, 2]}}`),
			desired: doc(t, `{"b": {"y": [1, 2], "x": 1}, "a": 1}`),
			want:    `[]`,
		},
		{
			name:    "reordered stages, triggers and artifacts only",
			current: doc(t, `{"stages": [{"refId": "1", "a": 1}, {"refId": "2", "b": 2}], "triggers": [{"id": "x"}, {"id": "y"}]}`),
			desired: doc(t, `{"triggers": [{"id": "y"}, {"id": "x"}], "stages": [{"b": 2, "refId": "2"}, {"a": 1, "refId": "1"}]}`),
			want:    `[]`,
		},
		{
			name:    "one field in one stage",
			current: doc(t, base),
			desired: mutate(t, func(d map[string]any) { stage(d, 1)["account"] = "prod" }),
			want:    `[{"kind":"change","path":"stages[refId=deploy].account","from":"staging","to":"prod"}]`,
		},
		{
			name:    "inserted stage is one added change",
			current: doc(t, base),
			desired: mutate(t, func(d map[string]any) {
				s := d["stages"].([]any)
				v := map[string]any{"refId": "verify", "type": "wait", "waitTime": json.Number("30"), "requisiteStageRefIds": []any{"bake"}}
				d["stages"] = []any{s[0], v, s[1]}
			}),
			want: `[{"kind":"add","path":"stages[refId=verify]","to":{"refId":"verify","type":"wait","waitTime":30,"requisiteStageRefIds":["bake"]}}]`,
		},
		{
			name:    "removed stage is one removed change",
			current: doc(t, base),
			desired: mutate(t, func(d map[string]any) { d["stages"] = d["stages"].([]any)[1:] }),
			want: `[{"kind":"remove","path":"stages[refId=bake]","from":{"refId":"bake","type":"bakeManifest","name":"Bake","requisiteStageRefIds":[],
				"expectedArtifacts":[{"id":"a1","displayName":"manifest","defaultArtifact":{"reference":"r1"}}]}}]`,
		},
		{
			name:    "list of scalars changes as one value",
			current: doc(t, base),
			desired: mutate(t, func(d map[string]any) { stage(d, 1)["requisiteStageRefIds"] = []any{"bake", "verify"} }),
			want:    `[{"kind":"change","path":"stages[refId=deploy].requisiteStageRefIds","from":["bake"],"to":["bake","verify"]}]`,
		},
		{
			name:    "empty list to list of scalars",
			current: doc(t, base),
			desired: mutate(t, func(d map[string]any) { stage(d, 0)["requisiteStageRefIds"] = []any{"x"} }),
			want:    `[{"kind":"change","path":"stages[refId=bake].requisiteStageRefIds","from":[],"to":["x"]}]`,
		},
		{
			name:    "empty stage list to one stage",
			current: doc(t, `{"stages": []}`),
			desired: doc(t, `{"stages": [{"refId": "1", "type": "wait"}]}`),
			want:    `[{"kind":"add","path":"stages[refId=1]","to":{"refId":"1","type":"wait"}}]`,
		},
		{
			name:    "numbers compare by value",
			current: map[string]any{"a": json.Number("3"), "b": float64(3), "c": int64(3), "d": json.Number("1.50"), "e": []any{int(1), json.Number("2.0")}},
			desired: map[string]any{"a": float64(3), "b": int64(3), "c": json.Number("3.0"), "d": 1.5, "e": []any{float64(1), int64(2)}},
			want:    `[]`,
		},
		{
			name:    "large integers keep their precision",
			current: map[string]any{"n": json.Number("9007199254740993")},
			desired: map[string]any{"n": json.Number("9007199254740992")},
			want:    `[{"kind":"change","path":"n","from":9007199254740993,"to":9007199254740992}]`,
		},
		{
			name:    "number changed",
			current: doc(t, base),
			desired: mutate(t, func(d map[string]any) { stage(d, 1)["overrides"].(map[string]any)["replicas"] = json.Number("4") }),
			want:    `[{"kind":"change","path":"stages[refId=deploy].overrides.replicas","from":3,"to":4}]`,
		},
		{
			name:    "null and absent are equal",
			current: doc(t, `{"a": null, "s": [{"refId": "1", "x": null}]}`),
			desired: doc(t, `{"b": null, "s": [{"refId": "1"}]}`),
			want:    `[]`,
		},
		{
			name:    "null to value is an addition",
			current: doc(t, `{"a": null}`),
			desired: doc(t, `{"a": "x"}`),
			want:    `[{"kind":"add","path":"a","to":"x"}]`,
		},
		{
			name:    "string vs number is a change",
			current: doc(t, `{"waitTime": "30"}`),
			desired: doc(t, `{"waitTime": 30}`),
			want:    `[{"kind":"change","path":"waitTime","from":"30","to":30}]`,
		},
		{
			name:    "bool vs string is a change",
			current: doc(t, `{"enabled": true}`),
			desired: doc(t, `{"enabled": "true"}`),
			want:    `[{"kind":"change","path":"enabled","from":true,"to":"true"}]`,
		},
		{
			name:    "object vs array is a change",
			current: doc(t, `{"x": {"0": {"a": 1}}}`),
			desired: doc(t, `{"x": [{"a": 1}]}`),
			want:    `[{"kind":"change","path":"x","from":{"0":{"a":1}},"to":[{"a":1}]}]`,
		},
		{
			name:    "empty object vs empty array is a change",
			current: doc(t, `{"x": {}}`),
			desired: doc(t, `{"x": []}`),
			want:    `[{"kind":"change","path":"x","from":{},"to":[]}]`,
		},
		{
			name:    "scalar vs object is a change",
			current: doc(t, `{"x": "a"}`),
			desired: doc(t, `{"x": {"a": 1}}`),
			want:    `[{"kind":"change","path":"x","from":"a","to":{"a":1}}]`,
		},
		{
			name:    "pipeline artifact by id",
			current: doc(t, base),
			desired: mutate(t, func(d map[string]any) {
				a := d["expectedArtifacts"].([]any)[0].(map[string]any)
				a["matchArtifact"].(map[string]any)["name"] = "gcr.io/app2"
			}),
			want: `[{"kind":"change","path":"expectedArtifacts[displayName=image].matchArtifact.name","from":"gcr.io/app","to":"gcr.io/app2"}]`,
		},
		{
			name:    "stage-level artifact by id",
			current: doc(t, base),
			desired: mutate(t, func(d map[string]any) {
				arts := stage(d, 0)["expectedArtifacts"].([]any)
				arts[0].(map[string]any)["defaultArtifact"].(map[string]any)["reference"] = "r2"
				stage(d, 0)["expectedArtifacts"] = append([]any{map[string]any{"id": "a0", "displayName": "new"}}, arts...)
			}),
			want: `[
				{"kind":"add","path":"stages[refId=bake].expectedArtifacts[displayName=new]","to":{"id":"a0","displayName":"new"}},
				{"kind":"change","path":"stages[refId=bake].expectedArtifacts[displayName=manifest].defaultArtifact.reference","from":"r1","to":"r2"}]`,
		},
		{
			name:    "parameterConfig by name",
			current: doc(t, base),
			desired: mutate(t, func(d map[string]any) { d["parameterConfig"].([]any)[0].(map[string]any)["default"] = "2.0.0" }),
			want:    `[{"kind":"change","path":"parameterConfig[name=version].default","from":"1.0.0","to":"2.0.0"}]`,
		},
		{
			name:    "identity needing quotes",
			current: doc(t, `{"parameterConfig": [{"name": "my param", "default": "a"}]}`),
			desired: doc(t, `{"parameterConfig": [{"name": "my param", "default": "b"}]}`),
			want:    `[{"kind":"change","path":"parameterConfig[name=\"my param\"].default","from":"a","to":"b"}]`,
		},
		{
			name:    "trigger by id",
			current: doc(t, base),
			desired: mutate(t, func(d map[string]any) { d["triggers"].([]any)[0].(map[string]any)["enabled"] = false }),
			want:    `[{"kind":"change","path":"triggers[id=t1].enabled","from":true,"to":false}]`,
		},
		{
			name:    "trigger without id falls back to name then type",
			current: doc(t, `{"triggers": [{"type": "cron", "cronExpression": "a"}, {"name": "hook", "type": "webhook", "x": 1}]}`),
			desired: doc(t, `{"triggers": [{"name": "hook", "type": "webhook", "x": 2}, {"type": "cron", "cronExpression": "b"}]}`),
			want: `[{"kind":"change","path":"triggers[name=hook].x","from":1,"to":2},
				{"kind":"change","path":"triggers[type=cron].cronExpression","from":"a","to":"b"}]`,
		},
		{
			name:    "notifications with a shared type fall back to position",
			current: doc(t, base),
			desired: mutate(t, func(d map[string]any) { d["notifications"].([]any)[0].(map[string]any)["address"] = "#c" }),
			want:    `[{"kind":"change","path":"notifications[0].address","from":"#a","to":"#c"}]`,
		},
		{
			name:    "other lists of objects by position",
			current: doc(t, base),
			desired: mutate(t, func(d map[string]any) { stage(d, 1)["manifests"].([]any)[1].(map[string]any)["kind"] = "Ingress" }),
			want:    `[{"kind":"change","path":"stages[refId=deploy].manifests[1].kind","from":"Service","to":"Ingress"}]`,
		},
		{
			name:    "key that is not an identifier is quoted",
			current: doc(t, base),
			desired: mutate(t, func(d map[string]any) { stage(d, 1)["overrides"].(map[string]any)["image.tag"] = "v2" }),
			want:    `[{"kind":"change","path":"stages[refId=deploy].overrides[\"image.tag\"]","from":"v1","to":"v2"}]`,
		},
		{
			name:    "removed and added fields in a stage",
			current: doc(t, base),
			desired: mutate(t, func(d map[string]any) {
				delete(stage(d, 1), "account")
				stage(d, 1)["stageEnabled"] = map[string]any{"type": "expression", "expression": "${ a < b && c }"}
			}),
			want: `[{"kind":"remove","path":"stages[refId=deploy].account","from":"staging"},
				{"kind":"add","path":"stages[refId=deploy].stageEnabled","to":{"type":"expression","expression":"${ a < b && c }"}}]`,
		},
		{
			name:    "stages without refId or with duplicates match by position",
			current: doc(t, `{"stages": [{"type": "wait", "t": 1}, {"refId": "d", "x": 1}, {"refId": "d", "x": 2}]}`),
			desired: doc(t, `{"stages": [{"type": "wait", "t": 2}, {"refId": "d", "x": 1}, {"refId": "d", "x": 3}]}`),
			want: `[{"kind":"change","path":"stages[0].t","from":1,"to":2},
				{"kind":"change","path":"stages[2].x","from":2,"to":3}]`,
		},
		{
			name:    "changes follow stage order in desired",
			current: doc(t, `{"a": 1, "stages": [{"refId": "z", "v": 1}, {"refId": "a", "v": 1}, {"refId": "gone"}]}`),
			desired: doc(t, `{"a": 2, "stages": [{"refId": "z", "v": 2}, {"refId": "a", "v": 2, "b": true}]}`),
			want: `[{"kind":"change","path":"a","from":1,"to":2},
				{"kind":"change","path":"stages[refId=z].v","from":1,"to":2},
				{"kind":"add","path":"stages[refId=a].b","to":true},
				{"kind":"change","path":"stages[refId=a].v","from":1,"to":2},
				{"kind":"remove","path":"stages[refId=gone]","from":{"refId":"gone"}}]`,
		},
		{
			name:    "mixed list compares as one value",
			current: doc(t, `{"x": [{"a": 1}, "s"]}`),
			desired: doc(t, `{"x": [{"a": 2}, "s"]}`),
			want:    `[{"kind":"change","path":"x","from":[{"a":1},"s"],"to":[{"a":2},"s"]}]`,
		},
		{
			name:    "new document",
			current: nil,
			desired: doc(t, `{"name": "p", "stages": [{"refId": "1"}]}`),
			want:    `[{"kind":"add","path":"name","to":"p"},{"kind":"add","path":"stages","to":[{"refId":"1"}]}]`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Compare(tt.current, tt.desired)
			if err != nil {
				t.Fatalf("Compare: %v", err)
			}
			if got == nil {
				t.Fatal("Compare returned nil, want a non-nil slice")
			}
			gotJSON, err := json.Marshal(got)
			if err != nil {
				t.Fatal(err)
			}
			if g, w := canonJSON(t, gotJSON), canonJSON(t, []byte(tt.want)); g != w {
				t.Errorf("changes:\n got %s\nwant %s", g, w)
			}
			// From/To are the documents' own values, not a normalized copy.
			for _, c := range got {
				if c.Kind == Added && c.From != nil || c.Kind == Removed && c.To != nil {
					t.Errorf("%s %s carries the wrong side: %+v", c.Kind, c.Path, c)
				}
			}
		})
	}
}

func TestCompareKeepsOriginalValues(t *testing.T) {
	cur := doc(t, base)
	des := mutate(t, func(d map[string]any) {
		d["stages"] = append(d["stages"].([]any), map[string]any{"refId": "v", "n": json.Number("1.0"), "z": nil})
	})
	got, err := Compare(cur, des)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 {
		t.Fatalf("got %d changes, want 1: %+v", len(got), got)
	}
	want := des["stages"].([]any)[2]
	if !reflect.DeepEqual(got[0].To, want) {
		t.Errorf("To = %#v, want the desired stage itself %#v", got[0].To, want)
	}
}

func TestCompareDoesNotModifyInputs(t *testing.T) {
	cur, des := doc(t, base), mutate(t, func(d map[string]any) { stage(d, 0)["name"] = "x" })
	cur2, des2 := doc(t, base), mutate(t, func(d map[string]any) { stage(d, 0)["name"] = "x" })
	if _, err := Compare(cur, des); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(cur, cur2) || !reflect.DeepEqual(des, des2) {
		t.Error("Compare modified its inputs")
	}
}

func TestCompareDeterministic(t *testing.T) {
	cur := largePipeline(60, 0)
	des := largePipeline(60, 1)
	first, err := Compare(cur, des)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 20; i++ {
		again, err := Compare(cur, des)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(first, again) {
			t.Fatalf("run %d gave a different order", i)
		}
	}
}

func TestCompareUnsupportedType(t *testing.T) {
	_, err := Compare(map[string]any{"a": struct{}{}}, map[string]any{})
	if err == nil || !strings.Contains(err.Error(), "unsupported") || !strings.Contains(err.Error(), "a:") {
		t.Errorf("err = %v, want an unsupported-type error naming the key", err)
	}
	_, err = Compare(map[string]any{}, map[string]any{"n": json.Number("x1")})
	if err == nil {
		t.Error("invalid json.Number accepted")
	}
}

func TestCompareCorpus(t *testing.T) {
	load := func(name string) map[string]any {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		return doc(t, string(b))
	}
	got, err := Compare(load("automated-canary.json"), load("automated-canary-1-10.json"))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	for _, c := range got {
		if err := enc.Encode(c); err != nil {
			t.Fatal(err)
		}
	}
	golden := filepath.Join("testdata", "automated-canary.golden")
	if *update {
		if err := os.WriteFile(golden, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with -update to create)", err)
	}
	if !bytes.Equal(buf.Bytes(), want) {
		t.Errorf("changes differ from %s:\n%s", golden, buf.String())
	}
	// The canary stage was renumbered 11 -> 16: one removed and one added stage, not a
	// field-by-field cascade through every stage.
	var paths []string
	for _, c := range got {
		paths = append(paths, string(c.Kind)+" "+c.Path)
	}
	for _, p := range []string{"remove stages[refId=11]", "add stages[refId=16]"} {
		if !strings.Contains(strings.Join(paths, "\n"), p) {
			t.Errorf("missing %q in %v", p, paths)
		}
	}
}

// largePipeline builds a pipeline of n deploy stages of about 1 KB each. variant changes one
// field in every stage when non-zero.
func largePipeline(n, variant int) map[string]any {
	stages := make([]any, 0, n)
	for i := 0; i < n; i++ {
		var req []any
		if i > 0 {
			req = []any{fmt.Sprint(i - 1)}
		} else {
			req = []any{}
		}
		stages = append(stages, map[string]any{
			"refId":                fmt.Sprint(i),
			"type":                 "deployManifest",
			"name":                 fmt.Sprintf("Deploy %d", i),
			"account":              "k8s-prod",
			"cloudProvider":        "kubernetes",
			"requisiteStageRefIds": req,
			"moniker":              map[string]any{"app": "app", "cluster": fmt.Sprintf("app-%d", i)},
			"trafficManagement":    map[string]any{"enabled": false, "options": map[string]any{"enableTraffic": true, "services": []any{}}},
			"expectedArtifacts": []any{map[string]any{
				"id": fmt.Sprintf("00000000-0000-4000-8000-%012d", i), "displayName": fmt.Sprintf("manifest-%d", i),
				"matchArtifact":   map[string]any{"type": "embedded/base64", "name": "manifest"},
				"defaultArtifact": map[string]any{"type": "embedded/base64", "reference": strings.Repeat("QUJD", 20)},
			}},
			"manifests": []any{map[string]any{
				"apiVersion": "apps/v1", "kind": "Deployment",
				"metadata": map[string]any{"name": fmt.Sprintf("app-%d", i), "namespace": "prod",
					"labels": map[string]any{"app": "app", "stage": fmt.Sprint(i)}},
				"spec": map[string]any{
					"replicas": json.Number(fmt.Sprint(3 + variant)),
					"selector": map[string]any{"matchLabels": map[string]any{"app": "app"}},
					"template": map[string]any{
						"metadata": map[string]any{"labels": map[string]any{"app": "app"}},
						"spec": map[string]any{"containers": []any{map[string]any{
							"name": "app", "image": "gcr.io/project/app:${trigger['tag']}",
							"ports": []any{map[string]any{"containerPort": float64(8080)}},
							"env": []any{
								map[string]any{"name": "STAGE", "value": fmt.Sprint(i)},
								map[string]any{"name": "MODE", "value": "prod"},
							},
							"resources": map[string]any{"limits": map[string]any{"cpu": "500m", "memory": "512Mi"}},
						}}},
					},
				},
			}},
		})
	}
	return map[string]any{
		"application": "app", "name": "big", "keepWaitingPipelines": false, "limitConcurrent": true,
		"triggers": []any{map[string]any{"id": "t", "type": "docker", "enabled": true}},
		"stages":   stages,
	}
}

func TestLargePipelineAllStagesChanged(t *testing.T) {
	cur, des := largePipeline(200, 0), largePipeline(200, 1)
	b, _ := json.Marshal(cur)
	if len(b) < 200_000 {
		t.Fatalf("generated pipeline is %d bytes, want at least 200 KB", len(b))
	}
	got, err := Compare(cur, des)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 200 {
		t.Fatalf("got %d changes, want one per stage (200)", len(got))
	}
	for i, c := range got {
		want := fmt.Sprintf("stages[refId=%d].manifests[0].spec.replicas", i)
		if c.Path != want || c.Kind != Changed {
			t.Fatalf("change %d = %s %s, want change %s", i, c.Kind, c.Path, want)
		}
	}
}

func BenchmarkCompareOneChange(b *testing.B) {
	cur, des := largePipeline(200, 0), largePipeline(200, 0)
	stage(des, 100)["account"] = "k8s-staging"
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Compare(cur, des); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCompareAllStagesChanged(b *testing.B) {
	cur, des := largePipeline(200, 0), largePipeline(200, 1)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Compare(cur, des); err != nil {
			b.Fatal(err)
		}
	}
}

// TestCompareFindsEveryLeafChange changes each scalar of a real pipeline in turn and expects
// exactly that one change: equal subtrees are skipped by hash, and this checks that no changed
// subtree is ever taken for an equal one.
func TestCompareFindsEveryLeafChange(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("testdata", "automated-canary.json"))
	if err != nil {
		t.Fatal(err)
	}
	orig := doc(t, string(b))
	var setters []func(map[string]any) any // each changes one leaf of a fresh copy, returns the new value
	var collect func(v any, inList bool, at func(map[string]any) any)
	collect = func(v any, inList bool, at func(map[string]any) any) {
		switch c := v.(type) {
		case map[string]any:
			for k, e := range c {
				collect(e, false, func(d map[string]any) any { return at(d).(map[string]any)[k] })
				// Changing an item's identity is a removal and an addition, tested elsewhere.
				identity := inList && (k == "refId" || k == "id" || k == "name" || k == "type")
				if _, isContainer := e.(map[string]any); !isContainer && !identity {
					if _, isList := e.([]any); !isList {
						setters = append(setters, func(d map[string]any) any {
							nv := fmt.Sprint("changed:", e)
							at(d).(map[string]any)[k] = nv
							return nv
						})
					}
				}
			}
		case []any:
			for i, e := range c {
				collect(e, true, func(d map[string]any) any { return at(d).([]any)[i] })
			}
		}
	}
	collect(orig, false, func(d map[string]any) any { return d })
	if len(setters) < 100 {
		t.Fatalf("only %d leaves found", len(setters))
	}
	for i, set := range setters {
		des := doc(t, string(b))
		nv := set(des)
		got, err := Compare(orig, des)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 || got[0].Kind != Changed || got[0].To != nv {
			t.Fatalf("leaf %d: got %+v, want one change to %v", i, got, nv)
		}
	}
}
