package importer

import (
	"encoding/json"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/pipegen/pipegen/pkg/render"
	"github.com/pipegen/pipegen/pkg/yamldoc"
)

// hostile are strings that break naive YAML or template writers.
var hostile = []string{
	"", " ", "plain", "two words", " lead", "trail ", "a: b", "a #b", "#c", "- x", "? x", ": x", "@x", "`x", "|", ">", "%x",
	"!x", "&a", "*a", "[x]", "{x}", "{{ x }}", "{% if %}", "{# c #}", "{% endverbatim %}", "a {% endverbatim %} {{ b }}", "{", "}}", "{{",
	"yes", "No", "on", "OFF", "y", "n", "~", "null", "Null", "true", "False", "1", "-1", "1.5", "1e3", "0x1F", "017", "0o17", ".inf", "-.NaN",
	"1_000", "2026-11-26", "12:30", "\"q\"", "'s'", "back\\slash", "tab\tin", "new\nline", "a\n\nb", "end\n", "end\n\n", "\n", "\nlead",
	" a\nb", "a \nb", "cr\r\nlf", "del\x7f", "nel\u0085", "ls\u2028", "bom\ufeff", "한국어 값", "emoji 🚀", "${parameters['x'] ?: \"m\"}",
	"#!/bin/sh\necho \"hi\" \\\n  && exit 0\n", "    indented\nblock", "- item\n- item", "key: value\nother: x",
}

func values(r *rand.Rand) any {
	switch r.Intn(8) {
	case 0:
		return nil
	case 1:
		return r.Intn(2) == 0
	case 2:
		return json.Number([]string{"0", "3", "1.0", "2.50", "-1e-07", "12345678901234567890", "1E+3"}[r.Intn(7)])
	}
	return hostile[r.Intn(len(hostile))]
}

// renderText renders template text with the real engine and decodes it as pipegen does.
func renderText(t *testing.T, text []byte, opt render.Options) (any, error) {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "t.yml"), text, 0o644); err != nil {
		t.Fatal(err)
	}
	e, err := render.New(dir, "templates")
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	e.SetOptions(opt)
	out, err := e.Render("t", map[string]any{"stack": "prod"}, func(app, name string) (string, error) { return "id:" + app + "/" + name, nil })
	if err != nil {
		return nil, err
	}
	return yamldoc.Decode(out)
}

// Every hostile value, as a value and as a key, in objects and lists, emitted as a template
// and rendered by the real engine (with and without Jinja's whitespace options), reads back as
// exactly the value emitted.
func TestEmitRoundTrips(t *testing.T) {
	r := rand.New(rand.NewSource(15))
	doc := map[string]any{}
	for i, h := range hostile {
		doc[fmt.Sprintf("k%02d", i)] = h
		if h != "" {
			doc[h+"-key"] = json.Number(fmt.Sprint(i))
		}
	}
	for i := 0; i < 40; i++ {
		doc[fmt.Sprintf("list%02d", i)] = []any{values(r), map[string]any{"x": values(r), hostile[r.Intn(len(hostile))] + "!": values(r)}, []any{values(r)}, []any{}, map[string]any{}}
	}
	n := FromValue(doc)
	for _, opt := range []render.Options{{}, {TrimBlocks: true, LstripBlocks: true}} {
		text, err := EmitDocument(n, true, opt.TrimBlocks)
		if err != nil {
			t.Fatal(err)
		}
		got, err := renderText(t, text, opt)
		if err != nil {
			t.Fatalf("%+v: %v\n%s", opt, err, text)
		}
		if !reflect.DeepEqual(got, n.Value()) {
			for k, v := range doc {
				if g := got.(map[string]any)[k]; !reflect.DeepEqual(g, FromValue(v).Value()) {
					t.Errorf("%+v: %q read back as %#v, want %#v", opt, k, g, v)
				}
			}
			t.Fatalf("round trip differs:\n%s", text)
		}
		if !opt.TrimBlocks && strings.Count(string(text), "{% verbatim %}") < 5 {
			t.Errorf("verbatim is not used:\n%s", text)
		}
	}
}

// Templated scalars print their expressions; literal text around them keeps tag syntax inert.
func TestTmplText(t *testing.T) {
	n := &Node{Kind: Object, Map: map[string]*Node{}}
	add := func(k string, v any) {
		n.Keys = append(n.Keys, k)
		n.Map[k] = &Node{Kind: Scalar, Scalar: v}
	}
	add("a", &Tmpl{String: true, Parts: []Part{{Lit: "k8s-{"}, {Expr: "stack"}, {Lit: "} \"{{x}}\""}}})
	add("b", &Tmpl{Parts: []Part{{Expr: "replicas"}}})
	add("c", &Tmpl{String: true, Parts: []Part{{Expr: `pipeline_id("deploy-prod")`}}})
	text, err := EmitDocument(n, true, false)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "t.yml"), text, 0o644)
	e, err := render.New(dir, "templates")
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	out, err := e.Render("t", map[string]any{"stack": "prod", "replicas": 3}, func(app, name string) (string, error) { return "id-" + name, nil })
	if err != nil {
		t.Fatalf("%v\n%s", err, text)
	}
	got, err := yamldoc.Decode(out)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"a": "k8s-{prod} \"{{x}}\"", "b": json.Number("3"), "c": "id-deploy-prod"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %#v, want %#v\n%s", got, want, text)
	}
}

func TestOrderedKeys(t *testing.T) {
	n, err := Decode([]byte(`{"stages":[],"triggers":[],"z":1,"type":"x","requisiteStageRefIds":[],"name":"n","a":2,"refId":"r","notifications":[],"expectedArtifacts":[],"parameterConfig":[]}`))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := orderedKeys(n, true), []string{"name", "refId", "type", "requisiteStageRefIds", "z", "a", "expectedArtifacts", "triggers", "parameterConfig", "notifications", "stages"}; !reflect.DeepEqual(got, want) {
		t.Errorf("top level: %v, want %v", got, want)
	}
	if got, want := orderedKeys(n, false), []string{"name", "refId", "type", "requisiteStageRefIds", "stages", "triggers", "z", "a", "notifications", "expectedArtifacts", "parameterConfig"}; !reflect.DeepEqual(got, want) {
		t.Errorf("nested: %v, want %v", got, want)
	}
}

func TestPlaceByName(t *testing.T) {
	for _, tc := range []struct {
		names    []string
		explicit []string
		want     map[string]string // name → stack/base
	}{
		{[]string{"deploy-dev", "deploy-prod", "canary-prod", "cleanup"}, nil,
			map[string]string{"deploy-dev": "dev/deploy", "deploy-prod": "prod/deploy", "canary-prod": "prod/canary", "cleanup": "main/"}},
		{[]string{"dev deploy", "prod deploy", "dev promote", "prod promote"}, nil,
			map[string]string{"dev deploy": "dev/deploy", "prod deploy": "prod/deploy", "dev promote": "dev/promote", "prod promote": "prod/promote"}},
		{[]string{"job-1", "job-2"}, nil, map[string]string{"job-1": "main/", "job-2": "main/"}},
		{[]string{"a-Prod", "a-dev", "b-prod", "b-dev"}, nil, map[string]string{"a-Prod": "main/", "b-prod": "main/", "a-dev": "dev/a", "b-dev": "dev/b"}},
		{[]string{"deploy_eu", "deploy_us", "other"}, []string{"eu"},
			map[string]string{"deploy_eu": "eu/deploy", "deploy_us": "main/", "other": "main/"}},
		{[]string{"배포-dev", "배포-prod"}, nil, map[string]string{"배포-dev": "dev/배포", "배포-prod": "prod/배포"}},
	} {
		got := map[string]string{}
		for n, p := range PlaceByName(tc.names, tc.explicit, "main") {
			got[n] = p.Stack + "/" + p.Base
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%v: %v, want %v", tc.names, got, tc.want)
		}
	}
}

func TestSlug(t *testing.T) {
	for in, want := range map[string]string{
		"Deploy to Prod":         "deploy-to-prod",
		"  --x--  ":              "x",
		"배포":                     "pipeline",
		"a.b_c":                  "a-b-c",
		strings.Repeat("ab", 40): strings.Repeat("ab", 30),
	} {
		if got := Slug(in); got != want {
			t.Errorf("Slug(%q) = %q, want %q", in, got, want)
		}
	}
}

// AddEntries appends to a stack's list or adds a stack, keeping every other line, comments
// included; a flow-style file is refused.
func TestAddEntries(t *testing.T) {
	old := "# mine\nname: app\nstacks:\n  dev:\n    vars: {a: 1}\n    pipelines:\n      - template: t\n        vars:\n          s: |\n            multi\n            line\n\n      # trailing comment\n    # stack comment\n  prod:\n    pipelines:\n    - x\nvars: {}\n"
	got, err := AddEntries([]byte(old), []*Entry{
		{Stack: "dev", Key: "k", Template: "imported/app/k", ID: "11111111-1111-4111-8111-111111111111", Name: "k-dev"},
		{Stack: "prod", Key: "k", Template: "imported/app/k", ID: "22222222-2222-4222-8222-222222222222", Name: "k-prod", Vars: FromValue(map[string]any{"v": "x: y"})},
		{Stack: "qa", Key: "k", Template: "imported/app/k", ID: "33333333-3333-4333-8333-333333333333", Name: "k-qa"},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := "# mine\nname: app\nstacks:\n  dev:\n    vars: {a: 1}\n    pipelines:\n      - template: t\n        vars:\n          s: |\n            multi\n            line\n" +
		"      - template: imported/app/k\n        key: k\n        id: 11111111-1111-4111-8111-111111111111  # the pipeline \"k-dev\"\n" +
		"\n      # trailing comment\n    # stack comment\n  prod:\n    pipelines:\n    - x\n" +
		"    - template: imported/app/k\n      key: k\n      id: 22222222-2222-4222-8222-222222222222  # the pipeline \"k-prod\"\n      vars:\n        v: \"x: y\"\n" +
		"  qa:\n    pipelines:\n      - template: imported/app/k\n        key: k\n        id: 33333333-3333-4333-8333-333333333333  # the pipeline \"k-qa\"\n" +
		"vars: {}\n"
	if string(got) != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
	if _, err := AddEntries([]byte("name: app\nstacks: {dev: {pipelines: [t]}}\n"), []*Entry{{Stack: "dev", Key: "k"}}); err == nil {
		t.Error("flow style accepted")
	}
}
