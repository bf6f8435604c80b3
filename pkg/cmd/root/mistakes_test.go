package root

import (
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Each mistake of issue 11 on the command line: exit 1, a message that says what and what to
// do, and the store byte for byte as it was.

// storeSnapshot is every file of a file store with its content ("" for a missing folder).
func storeSnapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if os.IsNotExist(err) && p == dir {
			return filepath.SkipDir
		}
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		rel, _ := filepath.Rel(dir, p)
		out[filepath.ToSlash(rel)] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func (c *cli) embedded() string { return filepath.Join(c.root, ".pipegen", "front50") }

// expectUnchanged runs args, expects exit 1 with each of want on stderr, and the store as before.
func (c *cli) expectRefused(dir string, want []string, args ...string) result {
	c.t.Helper()
	before := storeSnapshot(c.t, dir)
	r := c.run(args...)
	expectError(c.t, args, r, want)
	if after := storeSnapshot(c.t, dir); !maps.Equal(before, after) {
		c.t.Errorf("%v changed the store:\nbefore %v\nafter  %v", args, keysOf(before), keysOf(after))
	}
	return r
}

func keysOf(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

const twoStackService = "name: payments\nstacks:\n  dev: {pipelines: [deploy]}\n  prod: {pipelines: [deploy]}\n"

func TestFilterMatchingNothing(t *testing.T) {
	c := newCLI(t, map[string]string{
		"services/payments.yaml": twoStackService,
		"services/payouts.yaml":  strings.Replace(twoStackService, "payments", "payouts", 1),
		"templates/deploy.yml":   okTemplate,
	})
	if r := c.run("sync", "-q"); r.code != 0 {
		t.Fatalf("sync: %s", r.errOut)
	}
	for _, cmd := range []string{"sync", "diff", "render", "validate"} {
		c.expectRefused(c.embedded(), []string{`--service "paymnts" matches no service; closest: payments, payouts`}, cmd, "--service", "paymnts")
		c.expectRefused(c.embedded(), []string{`--stack "prdo" matches no stack; closest: prod, dev`}, cmd, "--stack", "prdo")
		c.expectRefused(c.embedded(), []string{`--pipeline "deploy-prdo" matches no pipeline; closest: deploy-prod, deploy-dev`}, cmd, "--pipeline", "deploy-prdo")
	}
	// Matching names are fine, and "Nothing to do" is then true.
	if r := c.run("sync", "--service", "pay*", "--stack", "prod"); r.code != 0 || !strings.Contains(r.out, "Nothing to do") {
		t.Fatalf("a matching filter: exit %d\n%s%s", r.code, r.out, r.errOut)
	}
}

func TestEmptyStoreRefused(t *testing.T) {
	c := newCLI(t, map[string]string{"services/app.yaml": okService, "templates/deploy.yml": okTemplate})
	typo := filepath.Join(t.TempDir(), "front50x")
	store := "file://" + filepath.ToSlash(typo)
	want := []string{store + " holds no Front50 data, so sync wrote nothing", "--allow-empty-store"}
	c.expectRefused(typo, want, "sync", "--store", store)
	c.expectRefused(typo, want, "sync", "--dry-run", "--store", store)
	if _, err := os.Stat(typo); !os.IsNotExist(err) {
		t.Fatalf("the refused sync created %s: %v", typo, err)
	}
	r := c.run("diff", "--store", store)
	if r.code != 0 || !strings.Contains(r.errOut, "note: "+store+" is empty: it holds no Front50 data") {
		t.Fatalf("diff on an empty store: exit %d\n%s", r.code, r.errOut)
	}
	// A new store, on purpose.
	if r := c.run("sync", "--allow-empty-store", "--store", store); r.code != 0 || !strings.Contains(r.out, "1 created") {
		t.Fatalf("sync --allow-empty-store: exit %d\n%s%s", r.code, r.out, r.errOut)
	}
	if r := c.run("sync", "--store", store); r.code != 0 || !strings.Contains(r.out, "Nothing to do") {
		t.Fatalf("sync into the store it made: exit %d\n%s", r.code, r.errOut)
	}
	if r := c.run("diff", "--store", store); strings.Contains(r.errOut, "is empty") {
		t.Fatalf("diff calls a store with data empty:\n%s", r.errOut)
	}
	// The embedded default needs no flag: a new user's first sync.
	if r := c.run("sync"); r.code != 0 || !strings.Contains(r.out, "1 created") {
		t.Fatalf("first sync into the embedded default: exit %d\n%s", r.code, r.errOut)
	}
}

func TestPruneWithNoSourceInScope(t *testing.T) {
	c := newCLI(t, map[string]string{
		"services/payments.yaml": twoStackService,
		"templates/deploy.yml":   okTemplate,
	})
	if r := c.run("sync", "-q"); r.code != 0 {
		t.Fatalf("sync: %s", r.errOut)
	}
	want := []string{"sync --prune would delete 2 pipeline(s) pipegen owns, but the source has no pipeline in scope", "nothing was written"}
	// A services folder pointed elsewhere (an empty one), and the real one emptied.
	c.env["PIPEGEN_SERVICES"] = t.TempDir()
	c.expectRefused(c.embedded(), want, "sync", "--prune")
	c.expectRefused(c.embedded(), want, "sync", "--prune", "--dry-run")
	delete(c.env, "PIPEGEN_SERVICES")
	if err := os.Remove(filepath.Join(c.root, "services", "payments.yaml")); err != nil {
		t.Fatal(err)
	}
	c.expectRefused(c.embedded(), append(want, "(is services/ empty or the wrong folder?)"), "sync", "--prune")
	// Without --prune nothing is deleted anyway, and the run says what it keeps.
	if r := c.run("sync"); r.code != 0 {
		t.Fatalf("sync without --prune: exit %d\n%s", r.code, r.errOut)
	}
}

func TestMaxDeletes(t *testing.T) {
	files := map[string]string{"templates/deploy.yml": okTemplate}
	for _, s := range []string{"a", "b", "c", "d", "e", "f"} {
		files["services/"+s+".yaml"] = strings.Replace(twoStackService, "payments", s, 1)
	}
	c := newCLI(t, files)
	if r := c.run("sync", "-q"); r.code != 0 {
		t.Fatalf("sync: %s", r.errOut)
	}
	for _, s := range []string{"b", "c", "d", "e", "f"} {
		if err := os.Remove(filepath.Join(c.root, "services", s+".yaml")); err != nil {
			t.Fatal(err)
		}
	}
	want := []string{"sync would delete 10 pipelines, more than --max-deletes 9; nothing was written", "raise --max-deletes"}
	c.expectRefused(c.embedded(), want, "sync", "--prune", "--max-deletes", "9")
	c.expectRefused(c.embedded(), []string{"more than --max-deletes 0"}, "sync", "--prune", "--max-deletes", "0", "--dry-run")
	// A saved plan is held to the limit too.
	planFile := filepath.Join(t.TempDir(), "plan.json")
	if r := c.run("diff", "--prune", "--out", planFile); r.code != 0 {
		t.Fatalf("diff --out: exit %d\n%s", r.code, r.errOut)
	}
	c.expectRefused(c.embedded(), want, "sync", "--plan", planFile, "--max-deletes", "9")
	// The default (10) lets these 10 through; one more would not.
	r := c.run("sync", "--prune")
	if r.code != 0 || !strings.Contains(r.out, "Applied: 0 created, 0 updated, 10 deleted.") {
		t.Fatalf("sync --prune at the default limit: exit %d\n%s%s", r.code, r.out, r.errOut)
	}
	apps := 0
	snap := storeSnapshot(t, c.embedded())
	for k := range snap {
		if strings.Contains(k, "applications/") {
			apps++
		}
	}
	if got := len(snap) - apps; got != 2+2 { // a's two, last-modified.json, .lock
		t.Errorf("%d files left in the store, want a's two pipelines, last-modified.json and .lock", got)
	}
	// Applications are never deleted: the six services' applications and their last-modified.json.
	if apps != 6+1 {
		t.Errorf("%d application files left, want 7", apps)
	}
}

func TestConflictHoldsBackOnlyItsDependents(t *testing.T) {
	c := newCLI(t, map[string]string{
		"services/a.yaml":      okService,
		"services/b.yaml":      "name: b\nstacks:\n  dev: {pipelines: [deploy, promote]}\n",
		"services/z.yaml":      "name: z\nstacks:\n  dev: {pipelines: [deploy]}\n",
		"templates/deploy.yml": okTemplate,
		// b's promote triggers on a's deploy-dev: it cannot exist while a's is not written.
		"templates/promote.yml": "name: promote\ntriggers:\n  - {type: pipeline, application: a, pipeline: \"{{ pipeline_id(\"a\", \"deploy-dev\") }}\", status: [successful], enabled: true}\n",
		"services/zz.yaml":      "name: zz\nstacks:\n  dev: {pipelines: [deploy]}\n",
	})
	c.write("services/a.yaml", "name: a\nstacks:\n  dev: {pipelines: [deploy]}\n")
	ui := `{"id":"0f5f6c1e-1111-4222-8333-944445555666","application":"a","name":"Deploy-Dev","schema":"1","triggers":[],"stages":[]}`
	uiPath := ".pipegen/front50/pipelines/0f5f6c1e-1111-4222-8333-944445555666/pipeline-metadata.json"
	c.write(uiPath, ui)
	r := c.run("sync")
	if r.code != 1 {
		t.Fatalf("sync with a conflict: exit %d, want 1\n%s", r.code, r.errOut)
	}
	for _, w := range []string{
		`conflict: a/deploy-dev not written (services/a.yaml: dev/deploy): a pipeline named "Deploy-Dev" (id 0f5f6c1e-1111-4222-8333-944445555666) exists in a and was not made by pipegen; sync --adopt takes it over`,
		"failed: b/promote not created: write b/promote", "it refers to pipeline a/deploy-dev",
		"error: sync incomplete: 1 conflict(s) not written, 1 failed",
	} {
		if !strings.Contains(r.errOut, w) {
			t.Errorf("stderr does not say %q:\n%s", w, r.errOut)
		}
	}
	if !strings.Contains(r.out, "Applied: 3 created, 0 updated, 0 deleted, 1 conflict(s) not written, 1 failed.") {
		t.Errorf("stdout:\n%s", r.out)
	}
	snap := storeSnapshot(t, c.embedded())
	if snap["pipelines/0f5f6c1e-1111-4222-8333-944445555666/pipeline-metadata.json"] != ui {
		t.Error("the UI pipeline changed")
	}
	apps := map[string]int{}
	for k, body := range snap {
		if strings.HasSuffix(k, "/pipeline-metadata.json") {
			for _, app := range []string{"a", "b", "z", "zz"} {
				if strings.Contains(body, `"application":"`+app+`"`) {
					apps[app]++
				}
			}
		}
	}
	if want := map[string]int{"a": 1, "b": 1, "z": 1, "zz": 1}; !maps.Equal(apps, want) {
		t.Errorf("pipelines per application %v, want %v (the UI one in a, b's deploy, z's, zz's)", apps, want)
	}
	// Adopting resolves it and the held-back pipeline follows.
	if r := c.run("sync", "--adopt"); r.code != 0 || !strings.Contains(r.out, "1 created, 1 updated") {
		t.Fatalf("sync --adopt: exit %d\n%s%s", r.code, r.out, r.errOut)
	}
}
