package render

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"

	yaml "go.yaml.in/yaml/v3"
	sigsyaml "sigs.k8s.io/yaml"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata/golden")

func seedVars() map[string]any {
	return map[string]any{
		"app_name":  "my-microservice",
		"product":   "azar",
		"namespace": "azar-api",
		"git_repo":  "azar/my-microservice",
		"stack":     "dev",
	}
}

func TestSeedGolden(t *testing.T) {
	e, err := New("testdata/seed", "templates")
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	got, err := e.Render("deploy", seedVars(), nil)
	if err != nil {
		t.Fatalf("Render: %v", err)
	}
	golden := filepath.Join("testdata", "golden", "seed-deploy.yml.golden")
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("rendering differs from %s:\n%s", golden, firstDiff(got, want))
	}
	jinja, err := os.ReadFile(filepath.Join("testdata", "golden", "seed-deploy.jinja2.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, jinja) {
		t.Errorf("rendering differs from Jinja2's:\n%s", firstDiff(got, jinja))
	}
	// The parts the seed is known for survive untouched.
	for _, s := range []string{
		`version: "${parameters[\"helmBranch\"] ?: \"master\"}"  ` + "\n",
		"# values.yaml이 포함된 repo의 branch",
		`name: "deploy-values/azar/azar-api/my-microservice/dev-values.yaml"`,
		"expectedArtifacts: # my-microservice-deploy로 rendering된 manifest 저장",
	} {
		if !bytes.Contains(got, []byte(s)) {
			t.Errorf("output lacks %q", s)
		}
	}
	var doc map[string]any
	if err := yaml.Unmarshal(got, &doc); err != nil {
		t.Fatalf("output is not YAML: %v", err)
	}
	if doc["application"] != "my-microservice" || len(doc["stages"].([]any)) != 3 {
		t.Errorf("unexpected document: application=%v stages=%d", doc["application"], len(doc["stages"].([]any)))
	}
}

func firstDiff(got, want []byte) string {
	gl, wl := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
	for i := 0; i < len(gl) || i < len(wl); i++ {
		var g, w string
		if i < len(gl) {
			g = gl[i]
		}
		if i < len(wl) {
			w = wl[i]
		}
		if g != w || i >= len(gl) || i >= len(wl) {
			return fmt.Sprintf("line %d:\n got: %q\nwant: %q", i+1, g, w)
		}
	}
	return "(same lines, different bytes)"
}

func TestNumbers(t *testing.T) {
	vars := map[string]any{
		"i":     int64(3),
		"n":     json.Number("3"),
		"neg":   json.Number("-7"),
		"f":     1.5,
		"whole": 3.0,
		"nf":    json.Number("1.25"),
		"exp":   json.Number("1e3"),
		"big":   json.Number("12345678901234567890"),
		"tiny":  1e-7,
		"huge":  1e21,
		"list":  []any{json.Number("1"), 2.5, "a"},
		"m":     map[string]any{"replicas": json.Number("4")},
	}
	tests := []struct {
		name, tpl, want string
	}{
		{"int64", "{{ i }}", "3"},
		{"integral json.Number", "{{ n }}", "3"},
		{"negative", "{{ neg }}", "-7"},
		{"float shortest", "{{ f }}", "1.5"},
		{"integral float", "{{ whole }}", "3.0"},
		{"fractional json.Number", "{{ nf }}", "1.25"},
		{"exponent json.Number", "{{ exp }}", "1000.0"},
		{"beyond int64", "{{ big }}", "12345678901234567890"},
		{"tiny float", "{{ tiny }}", "1e-07"},
		{"huge float", "{{ huge }}", "1e+21"},
		{"nested", "{{ m.replicas }} {{ list.0 }} {{ list.1 }}", "4 1 2.5"},
		{"int arithmetic", "{{ i * 2 }} {{ n * 2 }} {{ n + 1 }} {{ n - 5 }} {{ n|add:1 }}", "6 6 4 -2 4"},
		{"comparisons", "{% if n > 2 %}a{% endif %}{% if i >= 3 %}b{% endif %}{% if n == 3 %}c{% endif %}{% if n < 3 %}x{% endif %}{% if f > 1 %}d{% endif %}", "abcd"},
		{"loop over numbers", "{% for x in list %}{{ x }};{% endfor %}", "1;2.5;a;"},
		{"in a quoted string", `k: "{{ n }}"`, `k: "3"`},
		{"list prints as JSON", "{{ list }}", `[1, 2.5, "a"]`},
		{"map prints as JSON", "{{ m }}", `{"replicas": 4}`},
		{"stringformat", `v{{ n|stringformat:"%03d" }}`, "v003"},
		{"floatformat", `v{{ f|floatformat:2 }}`, "v1.50"},
	}
	files := map[string]string{}
	for i, tt := range tests {
		files[fmt.Sprintf("t%d.yml", i)] = tt.tpl
	}
	e, _ := newTestEngine(t, files)
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := e.Render(fmt.Sprintf("t%d", i), vars, nil)
			if err != nil {
				t.Fatalf("Render: %v", err)
			}
			if string(got) != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

// trickyStrings are values that break naive YAML templating.
var trickyStrings = []string{
	"",
	"plain",
	`x"` + "\ninjected: true\nz: " + `"`,
	`back\slash`,
	`trailing\`,
	`"`,
	"tab\there",
	"cr\rlf\r\n",
	"nul\x00byte",
	"bell\a esc\x1b del\x7f",
	"c1 \u0080 nel \u0085 \u009f",
	"line sep \u2028 para sep \u2029",
	"bom \ufeff nonchars \ufffe \uffff",
	"한국어 ✓ 😀 \U0010FFFF",
	"${parameters[\"helmBranch\"] ?: \"master\"}",
	"key: value",
	"- item",
	"# comment",
	"&anchor *alias !tag",
	"{{ not a template }}",
	"{% raw %}",
	"'single'",
	"yes",
	"null",
	"~",
	"0x1F",
	"1e3",
	"  leading and trailing  ",
	"\n",
	"a&b<c>'d'",
	"\\n literal backslash n",
	"--- \n...",
	"%YAML 1.2",
	"@at `backtick`",
	"\ud7ff\ue000",
}

func TestQuotedValuesRoundTrip(t *testing.T) {
	e, _ := newTestEngine(t, map[string]string{
		"quoted.yml": `k: "{{ v }}"` + "\nother: fixed",
		"json.yml":   "k: {{ v|tojson }}\nother: fixed",
		"escape.yml": `k: "{{ v|escape }}"` + "\nother: fixed",
	})
	for _, v := range trickyStrings {
		for _, tpl := range []string{"quoted", "json", "escape"} {
			out, err := e.Render(tpl, map[string]any{"v": v}, nil)
			if err != nil {
				t.Fatalf("%s %q: %v", tpl, v, err)
			}
			for parser, got := range parseBoth(t, out) {
				if len(got) != 2 || got["k"] != v || got["other"] != "fixed" {
					t.Errorf("%s, %s parser, value %q: got %#v from %q", tpl, parser, v, got, out)
				}
			}
		}
	}
}

// parseBoth parses YAML with the two parsers pipegen uses (yaml.v3 and sigs.k8s.io/yaml).
func parseBoth(t testing.TB, doc []byte) map[string]map[string]any {
	t.Helper()
	out := map[string]map[string]any{}
	var v3 map[string]any
	if err := yaml.Unmarshal(doc, &v3); err != nil {
		t.Errorf("yaml.v3 cannot parse %q: %v", doc, err)
	}
	out["yaml.v3"] = v3
	var sigs map[string]any
	if err := sigsyaml.Unmarshal(doc, &sigs); err != nil {
		t.Errorf("sigs.k8s.io/yaml cannot parse %q: %v", doc, err)
	}
	out["sigs.k8s.io/yaml"] = sigs
	return out
}

func TestInjectionAddsNoKey(t *testing.T) {
	e, _ := newTestEngine(t, map[string]string{"t.yml": "a: \"{{ v }}\"\nb: {{ v|tojson }}\n"})
	out, err := e.Render("t", map[string]any{"v": "x\"\ninjected: true\nz: \""}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := yaml.Unmarshal(out, &doc); err != nil {
		t.Fatalf("%v in %q", err, out)
	}
	if _, ok := doc["injected"]; ok || len(doc) != 2 {
		t.Errorf("value added keys: %#v", doc)
	}
}

func TestYAMLEscape(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain ünïcode 한", "plain ünïcode 한"},
		{`a"b\c`, `a\"b\\c`},
		{"l1\nl2\tt\rr", `l1\nl2\tt\rr`},
		{"\x00\x1f\x7f\u0085\u2028\u2029\ufeff", `\u0000\u001F\u007F\u0085\u2028\u2029\uFEFF`},
		{"bad\xffbyte", "bad\ufffdbyte"},
	}
	for _, tt := range tests {
		if got := yamlEscape(tt.in); got != tt.want {
			t.Errorf("yamlEscape(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestToJSON(t *testing.T) {
	vars := map[string]any{
		"m": map[string]any{
			"b": []any{json.Number("1"), 2.5, true, nil, "s"},
			"a": map[string]any{"z": json.Number("10"), "y": "é<&>"},
		},
		"empty":  map[string]any{},
		"none":   []any{},
		"s":      "x\ny",
		"n":      json.Number("42"),
		"nested": []any{[]any{map[string]any{"k": 1.0}}},
	}
	tests := []struct{ tpl, want string }{
		{"{{ m|tojson }}", `{"a": {"y": "é<&>", "z": 10}, "b": [1, 2.5, true, null, "s"]}`},
		{"{{ empty|tojson }} {{ none|tojson }}", "{} []"},
		{"{{ s|tojson }}", `"x\ny"`},
		{"{{ n|tojson }}", "42"},
		{"{{ nested|tojson }}", `[[{"k": 1.0}]]`}, // json.dumps and Jinja2 print a float 1.0 this way
		{"{{ missing|default:\"d\"|tojson }}", `"d"`},
	}
	files := map[string]string{}
	for i, tt := range tests {
		files[fmt.Sprintf("t%d.yml", i)] = tt.tpl
	}
	e, _ := newTestEngine(t, files)
	for i, tt := range tests {
		got, err := e.Render(fmt.Sprintf("t%d", i), vars, nil)
		if err != nil {
			t.Fatalf("%s: %v", tt.tpl, err)
		}
		if string(got) != tt.want {
			t.Errorf("%s = %s, want %s", tt.tpl, got, tt.want)
		}
	}
	// A flow mapping made by tojson is a YAML mapping for both parsers.
	out, err := e.Render("t0", vars, nil)
	if err != nil {
		t.Fatal(err)
	}
	for parser, doc := range parseBoth(t, append([]byte("k: "), out...)) {
		want := map[string]any{"a": map[string]any{"y": "é<&>", "z": 10}, "b": []any{1, 2.5, true, nil, "s"}}
		if fmt.Sprint(doc["k"]) != fmt.Sprint(want) {
			t.Errorf("%s: got %v, want %v", parser, doc["k"], want)
		}
	}
}

func TestPipelineID(t *testing.T) {
	e, _ := newTestEngine(t, map[string]string{
		"one.yml":  `trigger: "{{ pipeline_id("build") }}"`,
		"two.yml":  `trigger: "{{ pipeline_id(other_app, "deploy") }}"`,
		"bad.yml":  "a: 1\nb: {{ pipeline_id(\"x\", \"y\", \"z\") }}",
		"sub.yml":  "id: {{ pipeline_id(target) }}",
		"main.yml": "x: 1\n{% include \"sub.yml\" %}",
	})
	resolver := func(app, name string) (string, error) {
		if name == "missing" {
			return "", errNotFoundForTest
		}
		return fmt.Sprintf("id(%s,%s)", app, name), nil
	}
	tests := []struct {
		tpl  string
		vars map[string]any
		ids  IDResolver
		want string
		err  string
	}{
		{tpl: "one", ids: resolver, want: `trigger: "id(,build)"`},
		{tpl: "two", vars: map[string]any{"other_app": "app2"}, ids: resolver, want: `trigger: "id(app2,deploy)"`},
		{tpl: "one", ids: nil, err: `templates/one.yml:1:14: pipeline_id("build"): pipeline ids are not available here`},
		{tpl: "bad", ids: resolver, err: "templates/bad.yml:2:7: pipeline_id takes 1 or 2 arguments"},
		{tpl: "main", vars: map[string]any{"target": "missing"}, ids: resolver, err: `templates/sub.yml:1:8: pipeline_id("missing"): no pipeline named that`},
	}
	for _, tt := range tests {
		got, err := e.Render(tt.tpl, tt.vars, tt.ids)
		if tt.err != "" {
			var re *Error
			if !errors.As(err, &re) || !strings.HasPrefix(err.Error(), tt.err) {
				t.Errorf("%s: error %v, want *Error starting with %q", tt.tpl, err, tt.err)
			}
			if got != nil {
				t.Errorf("%s: output %q alongside an error", tt.tpl, got)
			}
			continue
		}
		if err != nil || string(got) != tt.want {
			t.Errorf("%s: got %q, %v; want %q", tt.tpl, got, err, tt.want)
		}
	}
	_, err := e.Render("main", map[string]any{"target": "missing"}, resolver)
	if !errors.Is(err, errNotFoundForTest) {
		t.Errorf("resolver error is not reachable with errors.Is: %v", err)
	}
}

var errNotFoundForTest = errors.New("no pipeline named that")

func TestRenderStrictVariables(t *testing.T) {
	e, _ := newTestEngine(t, map[string]string{
		"t.yml":    "application: \"{{ app_name }}\"\nname: \"{{ name|default:\"deploy\" }}\"\nreplicas: {{ service.stacks.prod.replicas }}",
		"inc.yml":  "a: 1\n{% include \"part.yml\" %}",
		"part.yml": "b: {{ from_part }}",
	})
	vars := map[string]any{"app_name": "svc", "service": map[string]any{"stacks": map[string]any{"prod": map[string]any{"replicas": json.Number("3")}}}}
	out, err := e.Render("t", vars, nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := "application: \"svc\"\nname: \"deploy\"\nreplicas: 3"; string(out) != want {
		t.Errorf("got %q, want %q", out, want)
	}
	delete(vars, "app_name")
	_, err = e.Render("t", vars, nil)
	if err == nil || err.Error() != `templates/t.yml:1:18: undefined variable "app_name"; define it in the variables, or write app_name|default:"…" where it is optional` {
		t.Errorf("missing app_name: %v", err)
	}
	_, err = e.Render("inc", map[string]any{}, nil)
	if err == nil || !strings.HasPrefix(err.Error(), `templates/part.yml:1:7: undefined variable "from_part"`) {
		t.Errorf("undefined name in an included file: %v", err)
	}
	for _, bad := range []string{"with-dash", "pipeline_id", "pongo2"} {
		_, err := e.Render("t", map[string]any{"app_name": "x", "service": map[string]any{}, bad: 1}, nil)
		var re *Error
		if !errors.As(err, &re) || !strings.Contains(err.Error(), bad) {
			t.Errorf("variable %q: %v", bad, err)
		}
	}
}

func TestRenderRuntimeFeatures(t *testing.T) {
	e, _ := newTestEngine(t, map[string]string{
		"include.yml":        "{% for s in stages %}{% include \"stage.yml\" with idx=forloop.Counter %}\n{% endfor %}",
		"stage.yml":          "- {{ idx }}: \"{{ s }}\" in {{ app }}",
		"only.yml":           "{% include \"stage.yml\" with idx=1 s=\"x\" app=\"y\" only %}",
		"macros.yml":         "{% import \"lib.yml\" stage, header as h %}{{ h() }}\n{{ stage(\"bake\", 1) }}\n{{ stage(\"deploy\", 2) }}",
		"lib.yml":            "{% macro stage(name, n) export %}- name: \"{{ name }}\"\n  refId: \"{{ n }}\"{% endmacro %}{% macro header() export %}stages:{% endmacro %}",
		"child.yml":          "{% extends \"base.yml\" %}{% block stages %}{{ block.Super }}\n  - deploy {{ app }}{% endblock %}",
		"base.yml":           "name: x\nstages:{% block stages %}\n  - build{% endblock %}",
		"branch.yml":         "{% if n > 2 %}{% set size = \"big\" %}{% else %}{% set size = \"small\" %}{% endif %}size: {{ size }}",
		"sorted.yml":         "{% for k, v in m sorted %}{{ k }}={{ v }} {% endfor %}",
		"empty.yml":          "{% for s in none %}{{ s }}{% empty %}no stages{% endfor %}",
		"byname.yml":         "{% include \"parts/stage\" with idx=0 s=\"q\" %} {% import \"parts/lib\" hi %}{{ hi() }}",
		"parts/stage.yml.j2": "stage {{ idx }} {{ s }} {{ app }}",
		"parts/lib.j2":       "{% macro hi() export %}hi{% endmacro %}",
		"verbatim.yml":       "k: '{% verbatim %}{{ not rendered }}{% endverbatim %} {{ app }}'",
	})
	vars := map[string]any{
		"stages": []any{"a\"b", "c"}, "app": "svc", "n": json.Number("3"),
		"m": map[string]any{"b": json.Number("2"), "a": "x", "c": true}, "none": []any{},
	}
	tests := []struct{ tpl, want string }{
		{"include", "- 1: \"a\\\"b\" in svc\n- 2: \"c\" in svc\n"},
		{"only", `- 1: "x" in y`},
		{"macros", "stages:\n- name: \"bake\"\n  refId: \"1\"\n- name: \"deploy\"\n  refId: \"2\""},
		{"child", "name: x\nstages:\n  - build\n  - deploy svc"},
		{"branch", "size: big"},
		{"sorted", "a=x b=2 c=True "},
		{"empty", "no stages"},
		{"byname", "stage 0 q svc hi"},
		{"verbatim", "k: '{{ not rendered }} svc'"},
	}
	for _, tt := range tests {
		got, err := e.Render(tt.tpl, vars, nil)
		if err != nil {
			t.Errorf("%s: %v", tt.tpl, err)
			continue
		}
		if string(got) != tt.want {
			t.Errorf("%s: got %q, want %q", tt.tpl, got, tt.want)
		}
	}
}

func TestLookupAndNames(t *testing.T) {
	e, _ := newTestEngine(t, map[string]string{
		"deploy.yml":           "a",
		"deploy-canary.yml.j2": "a",
		"canary/deploy.yaml":   "a",
		"both.yml":             "a",
		"both.json":            "a",
		"exact.txt":            "a",
		"README.md":            "a",
		".hidden.yml":          "a",
		".git/config.yml":      "a",
	})
	tests := []struct {
		name, file, err string
	}{
		{name: "deploy", file: "deploy.yml"},
		{name: "deploy.yml", file: "deploy.yml"},
		{name: "deploy-canary", file: "deploy-canary.yml.j2"},
		{name: "deploy-canary.yml", file: "deploy-canary.yml.j2"},
		{name: "canary/deploy", file: "canary/deploy.yaml"},
		{name: "exact.txt", file: "exact.txt"},
		{name: "both", err: `templates: template "both" is ambiguous: templates/both.json and templates/both.yml both match`},
		{name: "deploi", err: `templates: template "deploi" not found (closest: deploy, both, canary/deploy)`},
		{name: "../deploy", err: `leaves the templates directory`},
		{name: "/etc/passwd", err: `is absolute`},
		{name: ".hidden", err: "not found"},
		{name: "", err: "empty template path"},
	}
	for _, tt := range tests {
		file, err := e.Lookup(tt.name)
		if tt.err != "" {
			var re *Error
			if !errors.As(err, &re) || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("Lookup(%q) = %q, %v; want error containing %q", tt.name, file, err, tt.err)
			}
			continue
		}
		if err != nil || file != tt.file {
			t.Errorf("Lookup(%q) = %q, %v; want %q", tt.name, file, err, tt.file)
		}
	}
	want := []string{"both", "canary/deploy", "deploy", "deploy-canary"}
	if got := e.Names(); !reflect.DeepEqual(got, want) {
		t.Errorf("Names() = %v, want %v", got, want)
	}
}

func TestErrorFormat(t *testing.T) {
	tests := []struct {
		e    Error
		want string
	}{
		{Error{File: "templates/deploy.yml", Line: 12, Col: 5, Msg: "m"}, "templates/deploy.yml:12:5: m"},
		{Error{File: "templates/deploy.yml", Line: 12, Msg: "m"}, "templates/deploy.yml:12: m"},
		{Error{File: "templates/deploy.yml", Col: 5, Msg: "m"}, "templates/deploy.yml: m"},
		{Error{File: "templates", Msg: "m"}, "templates: m"},
		{Error{Msg: "m"}, "m"},
	}
	for _, tt := range tests {
		if got := tt.e.Error(); got != tt.want {
			t.Errorf("%#v.Error() = %q, want %q", tt.e, got, tt.want)
		}
	}
}

func TestCompileErrorsArePositioned(t *testing.T) {
	e, _ := newTestEngine(t, map[string]string{
		"syntax.yml": "a: 1\nb: {% for x %}{% endfor %}",
		"korean.yml": "이름: {{ x == }}",
		"nested.yml": "a: 1\n{% include \"broken.yml\" %}",
		"broken.yml": "x: 1\ny: 2\nz: {{ a| }}",
	})
	tests := []struct{ tpl, want string }{
		{"syntax", "templates/syntax.yml:2:11: Expected keyword 'in'."},
		{"korean", "templates/korean.yml:1:13: Expected either a number, string, keyword or identifier."},
		{"nested", "templates/broken.yml:3:10: Filter name must be an identifier."},
	}
	for _, tt := range tests {
		_, err := e.Render(tt.tpl, map[string]any{"x": 1, "a": 1}, nil)
		var re *Error
		if !errors.As(err, &re) || !strings.HasPrefix(err.Error(), tt.want) {
			t.Errorf("%s: %v, want *Error starting with %q", tt.tpl, err, tt.want)
		}
		if errs := e.Check(tt.tpl, []string{"x", "a"}); len(errs) != 1 || errs[0].Error() != err.Error() {
			t.Errorf("%s: Check = %v, want the Render error once", tt.tpl, errs)
		}
	}
}

func TestCompiledOnce(t *testing.T) {
	e, dir := newTestEngine(t, map[string]string{"t.yml": "v: {{ v }}\n{% include \"inc.yml\" %}", "inc.yml": "w: 1"})
	first, err := e.Render("t", map[string]any{"v": 1}, nil)
	if err != nil {
		t.Fatal(err)
	}
	// Once compiled, a template no longer needs its files.
	for _, f := range []string{"t.yml", "inc.yml"} {
		if err := os.Remove(filepath.Join(dir, f)); err != nil {
			t.Fatal(err)
		}
	}
	second, err := e.Render("t", map[string]any{"v": 1}, nil)
	if err != nil || !bytes.Equal(first, second) {
		t.Errorf("second render: %q, %v; want %q", second, err, first)
	}
	if errs := e.Check("t", []string{"v"}); len(errs) != 0 {
		t.Errorf("Check after compile: %v", errs)
	}
}

func TestConcurrentRender(t *testing.T) {
	e, err := New("testdata/seed", "templates")
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	want, err := os.ReadFile(filepath.Join("testdata", "golden", "seed-deploy.jinja2.txt"))
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for g := 0; g < 16; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 20; i++ {
				got, err := e.Render("deploy", seedVars(), nil)
				if err != nil {
					errs <- err
					return
				}
				if !bytes.Equal(got, want) {
					errs <- fmt.Errorf("concurrent render differs")
					return
				}
				if len(e.Check("deploy", []string{"app_name", "product", "namespace", "git_repo", "stack"})) != 0 {
					errs <- fmt.Errorf("check failed")
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// Templates compiled for the first time from many goroutines at once, sharing an include.
func TestConcurrentFirstCompiles(t *testing.T) {
	files := map[string]string{"shared.yml": "shared {{ x }}"}
	for i := 0; i < 12; i++ {
		files[fmt.Sprintf("t%d.yml", i)] = fmt.Sprintf("t%d {%% include \"shared.yml\" %%} {{ pipeline_id(\"p%d\") }}", i, i)
	}
	e, _ := newTestEngine(t, files)
	ids := func(app, name string) (string, error) { return "id-" + name, nil }
	var wg sync.WaitGroup
	errs := make(chan error, 100)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 12; i++ {
				n := (i + g) % 12
				got, err := e.Render(fmt.Sprintf("t%d", n), map[string]any{"x": n}, ids)
				want := fmt.Sprintf("t%d shared %d id-p%d", n, n, n)
				if err != nil || string(got) != want {
					errs <- fmt.Errorf("t%d: %q, %v; want %q", n, got, err, want)
				}
			}
		}(g)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// Floats print as Jinja2 prints Python floats (str()), checked against Python's own output.
func TestFormatFloatLikePython(t *testing.T) {
	for _, tt := range []struct {
		f    float64
		want string
	}{
		{3, "3.0"}, {-0.5, "-0.5"}, {1.5, "1.5"}, {0.1, "0.1"}, {0.0001, "0.0001"}, {0.00001, "1e-05"},
		{1e-7, "1e-07"}, {1.5e-7, "1.5e-07"}, {1234567890123456, "1234567890123456.0"}, {1e16, "1e+16"},
		{1e21, "1e+21"}, {123456789.125, "123456789.125"}, {0, "0.0"}, {2.5e300, "2.5e+300"},
	} {
		if got := formatFloat(tt.f); got != tt.want {
			t.Errorf("formatFloat(%v) = %q, want %q", tt.f, got, tt.want)
		}
	}
}

func TestVarsAreNotModified(t *testing.T) {
	e, _ := newTestEngine(t, map[string]string{"t.yml": "{{ m.a }} {{ l.0 }}"})
	m := map[string]any{"a": json.Number("1")}
	l := []any{2.0}
	vars := map[string]any{"m": m, "l": l}
	if _, err := e.Render("t", vars, nil); err != nil {
		t.Fatal(err)
	}
	if _, ok := m["a"].(json.Number); !ok {
		t.Errorf("caller's map was modified: %#v", m)
	}
	if _, ok := l[0].(float64); !ok {
		t.Errorf("caller's slice was modified: %#v", l)
	}
}

func TestOutputCap(t *testing.T) {
	dir := t.TempDir()
	// 64 × 1024 × 256 bytes = 16 MiB from a 100-byte template.
	src := `{% for a in r %}{% for b in r2 %}{% for c in r3 %}` + strings.Repeat("x", 255) + "\n{% endfor %}{% endfor %}{% endfor %}"
	if err := os.WriteFile(filepath.Join(dir, "big.yml"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	e, err := New(dir, "templates")
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	list := func(n int) []any {
		out := make([]any, n)
		for i := range out {
			out[i] = int64(i)
		}
		return out
	}
	_, err = e.Render("big", map[string]any{"r": list(64), "r2": list(1024), "r3": list(1)}, nil)
	if err == nil || !strings.Contains(err.Error(), "templates/big.yml: renders more than 10 MiB") {
		t.Fatalf("got %v", err)
	}
	out, err := e.Render("big", map[string]any{"r": list(2), "r2": list(2), "r3": list(1)}, nil)
	if err != nil || len(out) != 4*256 {
		t.Fatalf("small render: %d bytes, %v", len(out), err)
	}
}

func TestAutoescapeTagBanned(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "a.yml"), []byte(`{% autoescape off %}k: "{{ v }}"{% endautoescape %}`), 0o644)
	e, err := New(dir, "templates")
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	if _, err := e.Render("a", map[string]any{"v": "x"}, nil); err == nil {
		t.Fatal("autoescape off must be refused: it disables YAML escaping")
	}
}

// Reads answers only for a template that passed its checks: a walk stopped by a problem has
// seen only part of the names, and the unused-variable warning would then be wrong.
func TestReadsRefusesATemplateWithProblems(t *testing.T) {
	e, _ := newTestEngine(t, map[string]string{
		"ok.yml":  `name: "{{ a }}-{{ b.c }}"`,
		"bad.yml": `name: "{{ a ~ b }}"`,
	})
	reads, err := e.Reads("ok")
	if err != nil || !reads["a"] || !reads["b"] {
		t.Fatalf("Reads(ok) = %v, %v; want a and b", reads, err)
	}
	reads["z"] = true
	if again, _ := e.Reads("ok"); again["z"] {
		t.Error("Reads hands out the engine's own map")
	}
	if reads, err := e.Reads("bad"); err == nil {
		t.Errorf("Reads(bad) = %v, nil; want the template's problem", reads)
	}
}
