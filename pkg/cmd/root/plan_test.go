package root

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSavedPlanCLI is the reviewed-plan workflow: diff --out on the pull request, sync --plan
// after the merge; a change to the source or the store in between refuses the plan.
func TestSavedPlanCLI(t *testing.T) {
	c := newCLI(t, map[string]string{"services/app.yaml": okService, "templates/deploy.yml": okTemplate})
	if r := c.run("diff", "--exit-code", "--out", "plan.json"); r.code != 2 {
		t.Fatalf("diff --out: exit %d\n%s", r.code, r.errOut)
	}
	if _, err := os.Stat(filepath.Join(c.root, "plan.json")); err != nil {
		t.Fatal(err)
	}
	if r := c.run("sync", "--plan", "plan.json", "--dry-run"); r.code != 0 || !strings.Contains(r.errOut, "The plan is current") || !strings.Contains(r.out, "1 to create") {
		t.Fatalf("sync --plan --dry-run: exit %d\n%s\n%s", r.code, r.out, r.errOut)
	}
	if len(c.storeFiles()) > 0 {
		t.Fatal("dry run wrote")
	}
	if r := c.run("sync", "--plan", "plan.json", "--prune"); r.code != 1 || !strings.Contains(r.errOut, "plan") {
		t.Fatalf("--plan with --prune: exit %d\n%s", r.code, r.errOut)
	}
	if r := c.run("sync", "--plan", "plan.json"); r.code != 0 || !strings.Contains(r.out, "Applied: 1 created") {
		t.Fatalf("sync --plan: exit %d\n%s\n%s", r.code, r.out, r.errOut)
	}
	if r := c.run("diff", "--exit-code"); r.code != 0 {
		t.Fatalf("after sync --plan: exit %d", r.code)
	}

	// A source change after the review: refused, nothing written.
	if r := c.run("diff", "--out", "plan2.json"); r.code != 0 {
		t.Fatal(r.errOut)
	}
	c.write("templates/deploy.yml", strings.Replace(okTemplate, "default:30", "default:45", 1))
	before := c.storeFiles()
	r := c.run("sync", "--plan", "plan2.json")
	expectError(t, []string{"sync", "--plan"}, r, []string{"the plan is out of date", "the source changed", "nothing written", "pipegen diff --out"})
	if after := c.storeFiles(); strings.Join(after, ",") != strings.Join(before, ",") {
		t.Fatal("files changed")
	}

	// A store change after the review.
	if r := c.run("diff", "--out", "plan3.json"); r.code != 0 {
		t.Fatal(r.errOut)
	}
	ui := `{"id":"0f5f6c1e-1111-4222-8333-944445555666","application":"other","name":"x","schema":"1","triggers":[],"stages":[]}`
	c.write(".pipegen/front50/pipelines/0f5f6c1e-1111-4222-8333-944445555666/pipeline-metadata.json", ui)
	r = c.run("sync", "--plan", "plan3.json")
	expectError(t, []string{"sync", "--plan"}, r, []string{"1 pipeline object(s) added in the store (0f5f6c1e-1111-4222-8333-944445555666)"})

	// Not a plan at all.
	c.write("services.json", `{"a":1}`)
	r = c.run("sync", "--plan", "services.json")
	expectError(t, []string{"sync", "--plan", "services.json"}, r, []string{"services.json", "not a pipegen plan file"})
	r = c.run("sync", "--plan", "missing.json")
	expectError(t, []string{"sync", "--plan", "missing.json"}, r, []string{"missing.json"})
}

// diff -o html is one page with each changed pipeline and its graph; sync --plan --dry-run
// -o html draws a saved plan.
func TestDiffHTML(t *testing.T) {
	c := newCLI(t, map[string]string{"services/app.yaml": okService, "templates/deploy.yml": okTemplate})
	r := c.run("diff", "-o", "html")
	if r.code != 0 || !strings.HasPrefix(r.out, "<!DOCTYPE html>") || !strings.Contains(r.out, `data-pipeline="app/deploy-dev"`) ||
		!strings.Contains(r.out, `<svg xmlns="http://www.w3.org/2000/svg" class="stagegraph"`) || !strings.HasSuffix(r.out, "</html>\n") {
		t.Fatalf("exit %d\n%.3000s\n%s", r.code, r.out, r.errOut)
	}
	if r := c.run("diff", "--out", "plan.json"); r.code != 0 {
		t.Fatal(r.errOut)
	}
	saved := c.run("sync", "--plan", "plan.json", "--dry-run", "-o", "html")
	if saved.code != 0 || saved.out != r.out {
		t.Fatalf("sync --plan --dry-run -o html: exit %d, the page differs from diff's:\n%.2000s\n%s", saved.code, saved.out, saved.errOut)
	}
	if r := c.run("diff", "-o", "pdf"); r.code != 1 || !strings.Contains(r.errOut, "unknown output format") {
		t.Fatalf("-o pdf: exit %d %s", r.code, r.errOut)
	}
}

// sync --plan keeps the delete guards: a saved prune plan over --max-deletes writes nothing.
func TestSavedPlanKeepsDeleteGuard(t *testing.T) {
	c := newCLI(t, map[string]string{"services/app.yaml": "name: app\nstacks:\n  dev: {pipelines: [deploy]}\n  qa: {pipelines: [deploy]}\n  prod: {pipelines: [deploy]}\n",
		"templates/deploy.yml": okTemplate})
	if r := c.run("sync"); r.code != 0 {
		t.Fatal(r.errOut)
	}
	c.write("services/app.yaml", "name: app\nstacks:\n  prod: {pipelines: [deploy]}\n")
	if r := c.run("diff", "--prune", "--out", "plan.json"); r.code != 0 || !strings.Contains(r.out, "2 to delete") {
		t.Fatalf("exit %d\n%s%s", r.code, r.out, r.errOut)
	}
	before := c.storeFiles()
	r := c.run("sync", "--plan", "plan.json", "--max-deletes", "1")
	expectError(t, []string{"sync", "--plan", "--max-deletes", "1"}, r, []string{"would delete 2 pipelines, more than --max-deletes 1", "nothing was written"})
	if after := c.storeFiles(); strings.Join(after, ",") != strings.Join(before, ",") {
		t.Fatal("the guard let a write through")
	}
	if r := c.run("sync", "--plan", "plan.json", "--max-deletes", "2"); r.code != 0 || !strings.Contains(r.out, "2 deleted") {
		t.Fatalf("exit %d\n%s%s", r.code, r.out, r.errOut)
	}
}
