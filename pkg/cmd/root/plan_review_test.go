package root

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
)

// storedDoc reads the one pipeline of the embedded store.
func (c *cli) storedDoc() (string, map[string]any) {
	c.t.Helper()
	files := c.storeFiles()
	var path string
	for _, f := range files {
		if strings.HasSuffix(f, "pipeline-metadata.json") {
			path = f
		}
	}
	if path == "" {
		c.t.Fatalf("no pipeline in the store: %v", files)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		c.t.Fatal(err)
	}
	var d map[string]any
	if err := json.Unmarshal(b, &d); err != nil {
		c.t.Fatal(err)
	}
	return path, d
}

const paramTemplate = "name: deploy-{{ stack }}\nparameterConfig:\n{% for p in params %}  - name: {{ p }}\n{% endfor %}stages:\n  - refId: a\n    type: wait\n    waitTime: 30\n"

// Moving a field of the run dialog (parameterConfig) is a change: diff shows it as a reorder,
// sync writes it, and then the plan is clean.
func TestReorderIsPlannedAndWritten(t *testing.T) {
	svc := "name: app\nstacks:\n  dev:\n    pipelines: [deploy]\n    vars:\n      params: [version, region]\n"
	c := newCLI(t, map[string]string{"services/app.yaml": svc, "templates/deploy.yml": paramTemplate})
	if r := c.run("sync"); r.code != 0 {
		t.Fatalf("sync: exit %d\n%s", r.code, r.errOut)
	}
	c.write("services/app.yaml", strings.Replace(svc, "[version, region]", "[region, version]", 1))
	r := c.run("diff", "--exit-code")
	if r.code != 2 || !strings.Contains(r.out, "~ parameterConfig: reordered\n      - name=version, name=region\n      + name=region, name=version") {
		t.Fatalf("diff after a reorder: exit %d\n%s%s", r.code, r.out, r.errOut)
	}
	if r := c.run("sync"); r.code != 0 {
		t.Fatalf("sync: exit %d\n%s", r.code, r.errOut)
	}
	_, d := c.storedDoc()
	params := d["parameterConfig"].([]any)
	if params[0].(map[string]any)["name"] != "region" || params[1].(map[string]any)["name"] != "version" {
		t.Errorf("stored order %v, want region, version", params)
	}
	if r := c.run("diff", "--exit-code"); r.code != 0 {
		t.Errorf("after sync: exit %d\n%s", r.code, r.out)
	}
}

// A value changed in the UI shows as changed outside pipegen, by whom and when, in every
// format; sync reverts it and the plan is clean again.
func TestDriftShownAndReverted(t *testing.T) {
	c := newCLI(t, map[string]string{"services/app.yaml": okService, "templates/deploy.yml": okTemplate})
	if r := c.run("sync"); r.code != 0 {
		t.Fatalf("sync: exit %d\n%s", r.code, r.errOut)
	}
	path, d := c.storedDoc()
	d["stages"].([]any)[0].(map[string]any)["waitTime"] = 600
	d["lastModifiedBy"] = "alice@example.com"
	d["updateTs"] = "1763000000000"
	b, _ := json.Marshal(d)
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	const said = "changed outside pipegen by alice@example.com at 2025-11-13 02:13:20 UTC; sync reverts it"
	r := c.run("diff", "--exit-code")
	if r.code != 2 || !strings.Contains(r.out, "! "+said) || !strings.Contains(r.out, "~ stages[refId=a].waitTime: 600 → 30") ||
		!strings.Contains(r.out, "1 changed outside pipegen") {
		t.Fatalf("text: exit %d\n%s%s", r.code, r.out, r.errOut)
	}
	md := c.run("diff", "-o", "markdown").out
	if i := strings.Index(md, said); i < 0 || i > strings.Index(md, "<details>") {
		t.Errorf("markdown does not call the drift out before the detail:\n%s", md)
	}
	if js := c.run("diff", "-o", "json").out; !strings.Contains(js, `"drift": {
        "by": "alice@example.com",
        "at": "2025-11-13T02:13:20Z"
      }`) {
		t.Errorf("json drift:\n%s", js)
	}
	if r := c.run("sync"); r.code != 0 {
		t.Fatalf("sync: exit %d\n%s", r.code, r.errOut)
	}
	_, d = c.storedDoc()
	if d["lastModifiedBy"] != "pipegen" || d["stages"].([]any)[0].(map[string]any)["waitTime"] != 30.0 {
		t.Errorf("not reverted: %v", d)
	}
	if r := c.run("diff", "--exit-code"); r.code != 0 || strings.Contains(r.out, "outside pipegen") {
		t.Errorf("after sync: exit %d\n%s", r.code, r.out)
	}
}
