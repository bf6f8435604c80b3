package root

import (
	"os"
	"strings"
	"testing"
)

// TestNestedTyposStopEveryCommand: a lookup that finds nothing, at any depth, stops validate,
// render and sync with exit 1 and the template's file:line, and a sync writes nothing: the
// pipeline synced before keeps its value (here spec.replicas) instead of losing it.
func TestNestedTyposStopEveryCommand(t *testing.T) {
	const service = "name: app\nvars:\n  spec:\n    replicas: 3\n    labels: {team: pay}\n  steps:\n    - {name: bake, wait: 5}\nstacks:\n  dev:\n    pipelines: [deploy]\n"
	const good = "name: deploy-{{ stack }}\nstages:\n  - refId: a\n    type: wait\n    waitTime: {{ spec.replicas }}\n"
	tests := []struct {
		name, template string
		want           []string
	}{
		{"service.vars key", "name: deploy-{{ stack }}\nstages:\n  - refId: a\n    type: wait\n    waitTime: {{ service.vars.spec.replcias }}\n",
			[]string{"templates/deploy.yml:5:", `service.vars.spec has no key "replcias"`}},
		{"nested map key", "name: deploy-{{ stack }}\nstages:\n  - refId: a\n    type: wait\n    waitTime: {{ spec.replcias }}\n",
			[]string{"templates/deploy.yml:5:", `spec has no key "replcias"`}},
		{"subscript key", "name: deploy-{{ stack }}\nstages:\n  - refId: a\n    type: wait\n    waitTime: {{ spec[\"replcias\"] }}\n",
			[]string{"templates/deploy.yml:5:", `spec["replcias"] is undefined`}},
		{"loop item key", "name: deploy-{{ stack }}\nstages:\n{% for s in steps %}\n  - refId: {{ s.name }}\n    type: wait\n    waitTime: {{ s.wiat }}\n{% endfor %}\n",
			[]string{"templates/deploy.yml:6:", "s.wiat is undefined"}},
		{"key in a condition", "name: deploy-{{ stack }}\nstages:\n  - refId: a\n    type: wait\n    waitTime: {% if spec.labels.tema == \"pay\" %}1{% else %}2{% endif %}\n",
			[]string{"templates/deploy.yml:5:", `spec.labels has no key "tema"`}},
		{"macro argument not passed", "{% macro wait(ref, secs) %}  - refId: {{ ref }}\n    type: wait\n    waitTime: {{ secs }}\n{% endmacro %}name: deploy-{{ stack }}\nstages:\n{{ wait(\"a\") }}\n",
			[]string{"templates/deploy.yml:6:", `parameter "secs" is not passed`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newCLI(t, map[string]string{"services/app.yaml": service, "templates/deploy.yml": good})
			if r := c.run("sync"); r.code != 0 {
				t.Fatalf("first sync: exit %d\n%s", r.code, r.errOut)
			}
			before := c.storeContents()
			c.write("templates/deploy.yml", tt.template)
			for _, args := range [][]string{{"validate"}, {"render"}, {"diff"}, {"sync"}} {
				expectError(t, args, c.run(args...), tt.want)
			}
			after := c.storeContents()
			if len(after) != len(before) {
				t.Fatalf("the store changed: %d files before, %d after", len(before), len(after))
			}
			for p, b := range before {
				if after[p] != b {
					t.Errorf("sync rewrote %s", p)
				}
			}
		})
	}
}

func (c *cli) storeContents() map[string]string {
	c.t.Helper()
	out := map[string]string{}
	for _, p := range c.storeFiles() {
		b, err := os.ReadFile(p)
		if err != nil {
			c.t.Fatal(err)
		}
		out[p] = string(b)
	}
	return out
}

// TestJinjaOptions: pipegen.yaml's jinja.trim_blocks changes what a block scalar holds, as it
// does in Jinja2.
func TestJinjaOptions(t *testing.T) {
	const tpl = "name: deploy\ndescription: |\n  {% if true %}\n  line\n  {% endif %}\n"
	for _, tt := range []struct {
		config, want string
	}{
		{"", `"description": "\nline\n"`},
		{"jinja: {trim_blocks: true}\n", `"description": "line\n"`},
	} {
		c := newCLI(t, map[string]string{"services/app.yaml": okService, "templates/deploy.yml": tpl, "pipegen.yaml": tt.config})
		r := c.run("render", "-o", "json")
		if r.code != 0 {
			t.Fatalf("%q: exit %d\n%s", tt.config, r.code, r.errOut)
		}
		if !strings.Contains(r.out, tt.want) {
			t.Errorf("%q: output does not hold %s:\n%.800s", tt.config, tt.want, r.out)
		}
	}
}

// TestBrokenServiceOutsideFilter: a service file that fails to load does not stop a command
// filtered to another service (a warning names it), unless its service name cannot be read;
// an unfiltered command still fails on it.
func TestBrokenServiceOutsideFilter(t *testing.T) {
	files := map[string]string{
		"services/app.yaml":    okService,
		"services/other.yaml":  "name: other\nstackz: {}\nstacks:\n  dev:\n    pipelines: [deploy]\n",
		"templates/deploy.yml": okTemplate,
	}
	c := newCLI(t, files)
	for _, args := range [][]string{{"validate", "--service", "app"}, {"render", "--service", "app"}, {"sync", "--service", "app"}} {
		r := c.run(args...)
		if r.code != 0 {
			t.Fatalf("%v: exit %d, want 0\n%s", args, r.code, r.errOut)
		}
		if !strings.Contains(r.errOut, `services/other.yaml:2:1: unknown key "stackz"`) || !strings.Contains(r.errOut, "warning:") {
			t.Errorf("%v: no warning naming the broken file:\n%s", args, r.errOut)
		}
	}
	if len(c.storeFiles()) == 0 {
		t.Errorf("sync --service app wrote nothing")
	}
	for _, args := range [][]string{{"validate"}, {"validate", "--service", "other"}, {"validate", "--service", "o*"}} {
		expectError(t, args, c.run(args...), []string{`services/other.yaml:2:1: unknown key "stackz"`})
	}

	// A file whose name cannot be read could be app's: refuse.
	c2 := newCLI(t, map[string]string{"services/app.yaml": okService, "services/broken.yaml": "name: [\n", "templates/deploy.yml": okTemplate})
	for _, args := range [][]string{{"validate", "--service", "app"}, {"sync", "--service", "app"}} {
		expectError(t, args, c2.run(args...), []string{"services/broken.yaml:"})
	}
	if files := c2.storeFiles(); len(files) > 0 {
		t.Errorf("bad input wrote to the store: %v", files)
	}
}

// TestOneProblemOneMessage: a template problem hit by several renders is printed once, with
// the number of renders and one example; problems are grouped by file.
func TestOneProblemOneMessage(t *testing.T) {
	files := map[string]string{
		"templates/deploy.yml": "name: deploy-{{ stack }}\nstages:\n  - refId: a\n    type: wait\n    waitTime: {{ spec.replcias }}\n",
		"templates/other.yml":  "name: other-{{ stack }}\nstages: [\n",
	}
	for _, n := range []string{"a", "b", "c"} {
		files["services/"+n+".yaml"] = "name: " + n + "\nvars: {spec: {replicas: 1}}\nstacks:\n  dev: {pipelines: [deploy, other]}\n  prod: {pipelines: [other, deploy]}\n"
	}
	c := newCLI(t, files)
	r := c.run("validate")
	expectError(t, []string{"validate"}, r, []string{
		`templates/deploy.yml:5:18: spec.replcias is undefined: spec has no key "replcias"`,
		"(in 6 renders, e.g. rendering services/a.yaml: dev/deploy)",
		"(in 6 renders, e.g. rendering services/a.yaml: dev/other)",
		"2 problems found",
	})
	if n := strings.Count(r.errOut, "replcias is undefined"); n != 1 {
		t.Errorf("the template problem is printed %d times, want once:\n%s", n, r.errOut)
	}
	if i, j := strings.Index(r.errOut, "templates/deploy.yml"), strings.Index(r.errOut, "templates/other.yml"); i < 0 || j < 0 || i > j {
		t.Errorf("problems are not grouped by file:\n%s", r.errOut)
	}
}

// TestUnusedVarWarns: a variable set in a service, stack or entry that no template rendered
// with it reads is a warning naming the service file and line.
func TestUnusedVarWarns(t *testing.T) {
	const tpl = "name: deploy-{{ stack }}\nstages:\n  - refId: a\n    type: wait\n    waitTime: {{ replicas|default(1) }}\n"
	const svc = "name: app\nvars:\n  replicas: 2\n  owner: pay\nstacks:\n  dev:\n    vars:\n      replcias: 3\n    pipelines:\n      - template: deploy\n        vars: {replicas: 4, colour: blue}\n"
	c := newCLI(t, map[string]string{"services/app.yaml": svc, "templates/deploy.yml": tpl})
	r := c.run("validate")
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.errOut)
	}
	for _, w := range []string{
		`services/app.yaml:4:3: vars: "owner" is set but no template rendered with it reads it`,
		`services/app.yaml:8:7: vars: "replcias" is set but no template`,
		`services/app.yaml:11:29: vars: "colour" is set but no template`,
	} {
		if !strings.Contains(r.errOut, w) {
			t.Errorf("no warning %q:\n%s", w, r.errOut)
		}
	}
	if strings.Contains(r.errOut, `"replicas" is set`) {
		t.Errorf("a variable the template reads is reported:\n%s", r.errOut)
	}
}
