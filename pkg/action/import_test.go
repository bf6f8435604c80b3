package action

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/pipegen/pipegen/pkg/config"
	"github.com/pipegen/pipegen/pkg/front50"
	"github.com/pipegen/pipegen/pkg/pipeline"
	"github.com/pipegen/pipegen/pkg/plan"
	"github.com/pipegen/pipegen/pkg/services"
)

// uiStore is a file store seeded with pipelines as the UI would have saved them: raw objects
// written straight into the layout, nothing validated or added.
type uiStore struct {
	t     *testing.T
	dir   string
	store front50.Store
}

func newUIStore(t *testing.T) *uiStore {
	t.Helper()
	dir := t.TempDir()
	st, err := front50.Open(context.Background(), front50.Config{URL: "file://" + dir})
	if err != nil {
		t.Fatal(err)
	}
	return &uiStore{t: t, dir: dir, store: st}
}

func (u *uiStore) put(id string, doc map[string]any) {
	u.t.Helper()
	b, err := json.Marshal(doc)
	if err != nil {
		u.t.Fatal(err)
	}
	u.putRaw(id, b)
}

func (u *uiStore) putRaw(id string, body []byte) {
	u.t.Helper()
	p := filepath.Join(u.dir, "pipelines", id, "pipeline-metadata.json")
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		u.t.Fatal(err)
	}
	if err := os.WriteFile(p, body, 0o644); err != nil {
		u.t.Fatal(err)
	}
}

func (u *uiStore) get(id string) map[string]any {
	u.t.Helper()
	obj, err := u.store.Get(context.Background(), id)
	if err != nil {
		u.t.Fatal(err)
	}
	return normalJSON(u.t, obj.Body).(map[string]any)
}

// files returns every file of the store folder with its content.
func (u *uiStore) files() map[string]string {
	return dirFiles(u.t, u.dir)
}

func dirFiles(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() && !strings.HasPrefix(info.Name(), ".") {
			b, _ := os.ReadFile(p)
			rel, _ := filepath.Rel(dir, p)
			out[filepath.ToSlash(rel)] = string(b)
		}
		return nil
	})
	return out
}

// importFiles plans and applies an import and checks the one promise every import keeps:
// the store, read to plan, is left byte for byte as it was.
func importFiles(t *testing.T, cfg *config.Config, st front50.Store, snapshot func() map[string]string, opt ImportOptions) *ImportPlan {
	t.Helper()
	before := snapshot()
	ip, err := PlanImport(context.Background(), cfg, st, opt)
	if err != nil {
		t.Fatalf("import: %v", err)
	}
	if err := ApplyImport(ip); err != nil {
		t.Fatalf("write the import: %v", err)
	}
	if after := snapshot(); !reflect.DeepEqual(after, before) {
		t.Fatalf("import changed the store: %d objects before, %d after", len(before), len(after))
	}
	return ip
}

func keysOf(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// diffToAdopt asserts the first diff after an import: every imported pipeline is to adopt,
// under its stored id, and what changes is only pipegen's own (marker, lock, and ids for
// triggers and artifacts that had none); nothing else is planned. It returns the plan.
func diffToAdopt(t *testing.T, cfg *config.Config, st front50.Store, stored map[string]map[string]any) *Result {
	t.Helper()
	res, err := Diff(context.Background(), cfg, st, DiffOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Build.Problems) > 0 {
		t.Fatalf("problems after import:\n%s", problemsText(res.Build))
	}
	for _, it := range res.Plan.Items {
		orig, imported := stored[it.ID]
		switch {
		case imported && it.Action == plan.Adopt && it.Reason == plan.ReasonToAdopt:
			o := roundTrip(t, orig).(map[string]any)
			doc := desiredDoc(t, it)
			if _, set := doc[pipeline.FieldIndex]; !set {
				delete(o, pipeline.FieldIndex) // kept from the store by sync
			}
			if d := ownedDiff(t, o, doc); d != "" {
				t.Errorf("%s: adopting changes more than ownership: %s", it.Name, d)
			}
		case !imported && it.Action == plan.Unchanged:
		default:
			t.Errorf("%s %s/%s (%s): %s", it.Action, it.Application, it.Name, it.ID, it.Reason)
		}
	}
	return res
}

// applyClean applies a plan and checks that the next diff is clean.
func applyClean(t *testing.T, cfg *config.Config, st front50.Store, res *Result) {
	t.Helper()
	rep, err := Apply(context.Background(), st, res.Plan, SyncOptions{Now: func() time.Time { return time.UnixMilli(1_800_000_000_000) }})
	if err != nil {
		t.Fatal(err)
	}
	if err := rep.Err(); err != nil {
		t.Fatalf("sync: %v %+v", err, rep.Failed)
	}
	cleanDiff(t, cfg, st)
}

// cleanDiff asserts that the repo, diffed against the store, has no change and no problem, and
// that every pipeline of the plan is unchanged; it returns the number of unchanged pipelines.
func cleanDiff(t *testing.T, cfg *config.Config, st front50.Store) int {
	t.Helper()
	res, err := Diff(context.Background(), cfg, st, DiffOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Build.Problems) > 0 {
		t.Fatalf("problems:\n%s", problemsText(res.Build))
	}
	// The UI stores these tests import from hold no application object, so the plan creates a
	// minimal one; anything else about applications is a change.
	for _, a := range res.Plan.Applications {
		if a.Action != "unchanged" && !(a.Action == "create" && a.Minimal) {
			t.Errorf("application %s: %s %s", a.Name, a.Action, a.Reason)
		}
	}
	if c := res.Plan.Counts; c.Create+c.Update+c.Delete+c.Conflict > 0 {
		for _, it := range res.Plan.Items {
			if it.Action != "unchanged" {
				t.Errorf("%s %s/%s: %s %+v", it.Action, it.Application, it.Name, it.Reason, it.Changes)
			}
		}
		t.FailNow()
	}
	return res.Plan.Counts.Unchanged
}

// The worked example, synced, then made to look UI-made (marker and lock stripped), imports
// into an empty repo as files only; the per-stack deploy pipelines share one template. The
// first diff shows them to adopt with ownership as the only change, sync takes them over under
// their ids, and the next diff is clean. A pipeline made later in the UI is listed by diff as
// unmanaged, and importing again adds it, touching no other file.
func TestImportSeedExample(t *testing.T) {
	root, _ := filepath.Abs("../..")
	example := &repo{t: t, root: root}
	u := newUIStore(t)
	res, err := Diff(context.Background(), example.config(nil), u.store, DiffOptions{})
	if err != nil || len(res.Build.Problems) > 0 {
		t.Fatalf("diff of the example: %v %s", err, problemsText(res.Build))
	}
	if _, err := Apply(context.Background(), u.store, res.Plan, SyncOptions{}); err != nil {
		t.Fatal(err)
	}
	orig := map[string]map[string]any{}
	for _, it := range res.Plan.Items {
		doc := u.get(it.ID)
		delete(doc, pipeline.MarkerKey)
		delete(doc, pipeline.FieldLocked)
		doc["lastModifiedBy"] = "someone@example.com"
		u.put(it.ID, doc)
		orig[it.ID] = doc
	}

	fresh := newRepo(t, map[string]string{"pipegen.yaml": "lock: true\n"})
	cfg := fresh.config(nil)
	ip := importFiles(t, cfg, u.store, u.files, ImportOptions{Application: "my-microservice"})
	if len(ip.Pipelines) != 3 || ip.Templates != 2 || len(ip.Skipped) != 0 {
		t.Fatalf("imported %d pipelines as %d templates, skipped %v", len(ip.Pipelines), ip.Templates, ip.Skipped)
	}
	got := map[string]string{}
	for _, p := range ip.Pipelines {
		got[p.Name] = p.Stack + "/" + p.Key + " " + p.Template
		if orig[p.ID] == nil {
			t.Errorf("%s: id %s is not the stored one", p.Name, p.ID)
		}
	}
	want := map[string]string{
		"canary-prod": "prod/canary templates/imported/my-microservice/canary-prod.yml",
		"deploy-dev":  "dev/deploy templates/imported/my-microservice/deploy.yml",
		"deploy-prod": "prod/deploy templates/imported/my-microservice/deploy.yml",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("placed %v, want %v", got, want)
	}
	read := func(name string) string {
		b, err := os.ReadFile(filepath.Join(fresh.root, filepath.FromSlash(name)))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	deploy := read("templates/imported/my-microservice/deploy.yml")
	for _, want := range []string{
		"name: \"deploy-{{ stack }}\"\n",
		"  - name: Build Image\n    refId: build\n    type: jenkins\n    requisiteStageRefIds: []\n",
		"account: \"k8s-azar-{{ stack }}\"",
		"replicaCount: {{ replica_count|tojson }}",
	} {
		if !strings.Contains(deploy, want) {
			t.Errorf("deploy template lacks %q:\n%s", want, deploy)
		}
	}
	if canary := read("templates/imported/my-microservice/canary-prod.yml"); !strings.Contains(canary, `pipeline: "{{ pipeline_id("deploy-prod") }}"`) {
		t.Errorf("the canary's pipeline stage is not linked by name:\n%s", canary)
	}
	svc, errs := services.Parse("services/my-microservice.yaml", []byte(read("services/my-microservice.yaml")))
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	for _, st := range svc.Stacks {
		for _, e := range st.Pipelines {
			if orig[e.ID] == nil {
				t.Errorf("%s/%s pins %q, not a stored id", st.Name, e.Key, e.ID)
			}
		}
	}

	adopt := diffToAdopt(t, cfg, u.store, orig)
	if c := adopt.Plan.Counts; c.Update != 3 || c.Create != 0 {
		t.Errorf("first diff: %+v", c)
	}
	// The example's triggers and artifacts carry ids, as the UI gives them: only ownership.
	for _, it := range adopt.Plan.Items {
		var paths []string
		for _, c := range it.Changes {
			paths = append(paths, string(c.Kind)+" "+c.Path)
		}
		if want := []string{"add locked", "add pipegen"}; !reflect.DeepEqual(paths, want) {
			t.Errorf("%s: first diff shows %v, want %v", it.Name, paths, want)
		}
	}
	applyClean(t, cfg, u.store, adopt)
	for id, o := range orig {
		after := u.get(id)
		if m, ok := pipeline.MarkerOf(after); !ok || m.File != "services/my-microservice.yaml" {
			t.Errorf("%s: marker %+v after sync", o["name"], m)
		}
	}

	// Later, someone makes deploy-qa in the UI: diff lists it with the command that imports it.
	qaID := "aaaaaaaa-0000-4000-8000-000000000001"
	var devID string
	for id, o := range orig {
		if o["name"] == "deploy-dev" {
			devID = id
		}
	}
	qa := u.get(devID)
	delete(qa, pipeline.MarkerKey)
	delete(qa, pipeline.FieldLocked)
	qa["id"], qa["name"] = qaID, "deploy-qa"
	u.put(qaID, qa)
	res, err = Diff(context.Background(), cfg, u.store, DiffOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if want := []plan.Unmanaged{{ID: qaID, Application: "my-microservice", Name: "deploy-qa", Import: "pipegen import --service my-microservice"}}; !reflect.DeepEqual(res.Plan.Unmanaged, want) || res.Plan.HasChanges() {
		t.Errorf("unmanaged %+v, want %+v", res.Plan.Unmanaged, want)
	}

	filesBefore := dirFiles(t, fresh.root)
	ip = importFiles(t, cfg, u.store, u.files, ImportOptions{Application: "my-microservice"})
	if len(ip.Pipelines) != 1 || ip.Pipelines[0].ID != qaID || ip.Pipelines[0].Stack != "qa" {
		t.Fatalf("second import: %+v", ip.Pipelines)
	}
	filesAfter := dirFiles(t, fresh.root)
	for name, body := range filesBefore {
		if name == "services/my-microservice.yaml" {
			continue
		}
		if filesAfter[name] != body {
			t.Errorf("second import changed %s", name)
		}
	}
	if len(filesAfter) != len(filesBefore)+1 {
		t.Errorf("second import wrote %v", keysOf(filesAfter))
	}
	// The service file only gains lines.
	oldSvc, newSvc := filesBefore["services/my-microservice.yaml"], filesAfter["services/my-microservice.yaml"]
	if !linesKept(oldSvc, newSvc) || !strings.Contains(newSvc, "  qa:\n    pipelines:\n") {
		t.Errorf("service file after the second import:\n%s", newSvc)
	}
	orig = map[string]map[string]any{qaID: qa}
	applyClean(t, cfg, u.store, diffToAdopt(t, cfg, u.store, orig))

	// With nothing new, importing again writes nothing.
	filesBefore = dirFiles(t, fresh.root)
	ip = importFiles(t, cfg, u.store, u.files, ImportOptions{Application: "my-microservice"})
	if len(ip.Pipelines) != 0 || len(ip.Files) != 0 || !reflect.DeepEqual(dirFiles(t, fresh.root), filesBefore) {
		t.Errorf("third import: %d pipelines, %d files", len(ip.Pipelines), len(ip.Files))
	}
}

// linesKept reports whether every line of old is in new, in order.
func linesKept(old, new string) bool {
	nl := strings.Split(new, "\n")
	j := 0
	for _, l := range strings.Split(old, "\n") {
		for j < len(nl) && nl[j] != l {
			j++
		}
		if j == len(nl) {
			return false
		}
		j++
	}
	return true
}

// Every corpus pipeline (A: pipeline JSON, C: Front50 storage files), stored as the UI would
// have, imports into an empty repo as files only; the first diff shows it to adopt with only
// pipegen's fields changing, and after a sync the diff is clean. Same-named pipelines go to
// separate stores, as Front50 holds only one per application.
func TestImportCorpus(t *testing.T) {
	cases := append(corpusCases(t, "A"), corpusCases(t, "C")...)
	type batch struct {
		app   string
		cases []corpusCase
		names map[string]bool
	}
	var batches []*batch
	for _, c := range cases {
		nk := pipeline.NameKey(c.app, c.orig["name"].(string))
		var b *batch
		for _, x := range batches {
			if x.app == c.app && !x.names[nk] {
				b = x
				break
			}
		}
		if b == nil {
			b = &batch{app: c.app, names: map[string]bool{}}
			batches = append(batches, b)
		}
		b.names[nk] = true
		b.cases = append(b.cases, c)
	}
	total := 0
	for i, b := range batches {
		t.Run(fmt.Sprintf("%s#%d", b.app, i), func(t *testing.T) {
			u := newUIStore(t)
			orig := map[string]map[string]any{}
			for j, c := range b.cases {
				doc := roundTrip(t, c.orig).(map[string]any)
				id := uuid.NewSHA1(uuid.NameSpaceURL, []byte(fmt.Sprintf("%s/%d", c.name, j))).String()
				doc["id"] = id
				doc["application"] = b.app
				u.put(id, doc)
				orig[id] = doc
			}
			fresh := newRepo(t, nil)
			cfg := fresh.config(nil)
			ip := importFiles(t, cfg, u.store, u.files, ImportOptions{Application: b.app})
			for _, s := range ip.Skipped {
				t.Errorf("skipped %s: %s", s.Name, s.Reason)
			}
			if len(ip.Pipelines) != len(b.cases) {
				t.Fatalf("imported %d of %d", len(ip.Pipelines), len(b.cases))
			}
			applyClean(t, cfg, u.store, diffToAdopt(t, cfg, u.store, orig))
			for id, o := range orig {
				if d := ownedDiff(t, o, u.get(id)); d != "" {
					t.Errorf("%s: sync changed more than pipegen's fields: %s", o["name"], d)
				}
			}
		})
		total += len(b.cases)
	}
	if total < 20 {
		t.Errorf("only %d corpus pipelines imported", total)
	}
}

// A set of per-stack pipelines imports into fewer templates than pipelines: the values that
// differ become {{ stack }} or variables, links to the same stack's pipeline a variable
// holding its name, and each stack's trigger id a variable; every pipeline renders back
// exactly (the first diff is ownership only).
func TestImportPerStackTemplates(t *testing.T) {
	for _, tc := range []struct {
		name   string
		format string // the pipeline name for kind and stack
		opt    ImportOptions
	}{
		{"suffix", "%[1]s-%[2]s", ImportOptions{}},
		{"prefix", "%[2]s %[1]s", ImportOptions{}},
		{"explicit stacks", "%[1]s_%[2]s", ImportOptions{Stacks: []string{"dev", "stage", "prod"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			u := newUIStore(t)
			orig := map[string]map[string]any{}
			n := 0
			add := func(doc map[string]any) {
				n++
				id := fmt.Sprintf("%08d-0000-4000-8000-000000000000", n)
				doc["id"], doc["application"] = id, "shop"
				doc["updateTs"], doc["lastModifiedBy"] = "1700000000000", "alice"
				u.put(id, doc)
				orig[id] = roundTrip(t, doc).(map[string]any)
			}
			name := func(kind, stack string) string { return fmt.Sprintf(tc.format, kind, stack) }
			for i, st := range []string{"dev", "stage", "prod"} {
				add(map[string]any{"name": name("deploy", st), "keepWaitingPipelines": false,
					"triggers": []any{map[string]any{"type": "cron", "cronExpression": "0 0 * * * ?", "enabled": st != "prod",
						"id": uuid.NewSHA1(uuid.NameSpaceURL, []byte("t"+st)).String()}},
					"stages": []any{map[string]any{"refId": "1", "type": "deployManifest", "requisiteStageRefIds": []any{},
						"account": "k8s-" + st, "replicas": i + 1, "note": "line one\nline two {{ not a var }}\n"}}})
			}
			for _, st := range []string{"dev", "stage", "prod"} {
				add(map[string]any{"name": name("promote", st),
					"stages": []any{map[string]any{"requisiteStageRefIds": []any{}, "type": "pipeline", "refId": "1",
						"application": "shop", "pipeline": "", "waitForCompletion": true}}})
			}
			add(map[string]any{"name": "cleanup", "stages": []any{map[string]any{"refId": "1", "type": "wait", "waitTime": 5}}})
			// Point each promote pipeline at its stack's deploy pipeline.
			byName := map[string]string{}
			for id, d := range orig {
				byName[d["name"].(string)] = id
			}
			for _, st := range []string{"dev", "stage", "prod"} {
				id := byName[name("promote", st)]
				d := orig[id]
				d["stages"].([]any)[0].(map[string]any)["pipeline"] = byName[name("deploy", st)]
				u.put(id, d)
			}

			fresh := newRepo(t, map[string]string{"pipegen.yaml": "lock: false\n"})
			cfg := fresh.config(nil)
			opt := tc.opt
			opt.Application = "shop"
			ip := importFiles(t, cfg, u.store, u.files, opt)
			if len(ip.Pipelines) != 7 || ip.Templates != 3 {
				t.Fatalf("%d pipelines as %d templates, want 7 as 3 (skipped %v)", len(ip.Pipelines), ip.Templates, ip.Skipped)
			}
			stacks := map[string]string{}
			for _, p := range ip.Pipelines {
				stacks[p.Name] = p.Stack + "/" + p.Key
			}
			if stacks[name("deploy", "stage")] != "stage/deploy" || stacks[name("promote", "prod")] != "prod/promote" || stacks["cleanup"] != "main/cleanup" {
				t.Errorf("placed %v", stacks)
			}
			deploy, err := os.ReadFile(filepath.Join(fresh.root, "templates/imported/shop/deploy.yml"))
			if err != nil {
				t.Fatal(err)
			}
			for _, want := range []string{`account: "k8s-{{ stack }}"`, "replicas: {{ replicas|tojson }}", "note: {% verbatim %}|\n      line one\n      line two {{ not a var }}{% endverbatim %}\n"} {
				if !bytes.Contains(deploy, []byte(want)) {
					t.Errorf("deploy template lacks %q:\n%s", want, deploy)
				}
			}
			promote, err := os.ReadFile(filepath.Join(fresh.root, "templates/imported/shop/promote.yml"))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Contains(promote, []byte(`pipeline: "{{ pipeline_id(pipeline) }}"`)) {
				t.Errorf("promote template does not link by name:\n%s", promote)
			}
			applyClean(t, cfg, u.store, diffToAdopt(t, cfg, u.store, orig))

			// A new stack's pipeline that fits the template uses it as it is: one entry added,
			// no new file, no other file touched.
			qa := map[string]any{"name": name("deploy", "qa"), "keepWaitingPipelines": false,
				"triggers": []any{map[string]any{"type": "cron", "cronExpression": "0 0 * * * ?", "enabled": true,
					"id": uuid.NewSHA1(uuid.NameSpaceURL, []byte("tqa")).String()}},
				"stages": []any{map[string]any{"refId": "1", "type": "deployManifest", "requisiteStageRefIds": []any{},
					"account": "k8s-qa", "replicas": 9, "note": "line one\nline two {{ not a var }}\n"}}}
			orig = map[string]map[string]any{}
			add(qa)
			if tc.opt.Stacks != nil {
				opt.Stacks = append(opt.Stacks, "qa")
			}
			before := dirFiles(t, fresh.root)
			ip = importFiles(t, cfg, u.store, u.files, opt)
			after := dirFiles(t, fresh.root)
			if len(ip.Pipelines) != 1 || ip.Templates != 0 || ip.Pipelines[0].Template != "templates/imported/shop/deploy.yml" || ip.Pipelines[0].Vars != 3 {
				t.Fatalf("second import: %+v, %d new templates", ip.Pipelines, ip.Templates)
			}
			for f, body := range before {
				if after[f] != body && f != "services/shop.yaml" {
					t.Errorf("second import changed %s", f)
				}
			}
			if len(after) != len(before) || !linesKept(before["services/shop.yaml"], after["services/shop.yaml"]) {
				t.Errorf("second import wrote %v", keysOf(after))
			}
			applyClean(t, cfg, u.store, diffToAdopt(t, cfg, u.store, orig))
		})
	}
}

// Tricky stored objects: template syntax in strings (verbatim around those values only), a
// verbatim end tag, names that slug to the same key, multi-line text, Front50's internal
// lastModified, triggers without ids; all import and adopt with ownership only.
func TestImportTrickyPipelines(t *testing.T) {
	for _, jinja := range []string{"", "jinja: {trim_blocks: true, lstrip_blocks: true}\n"} {
		t.Run(fmt.Sprintf("%q", jinja), func(t *testing.T) { testImportTricky(t, jinja) })
	}
}

func testImportTricky(t *testing.T, jinja string) {
	u := newUIStore(t)
	orig := map[string]map[string]any{}
	add := func(name string, extra map[string]any) {
		id := uuid.NewSHA1(uuid.NameSpaceURL, []byte(name)).String()
		doc := map[string]any{"id": id, "application": "app", "name": name, "index": 3,
			"updateTs": "1700000000000", "lastModifiedBy": "anonymous",
			"stages": []any{map[string]any{"waitTime": 30, "requisiteStageRefIds": []any{}, "type": "wait", "refId": "1"}}}
		for k, v := range extra {
			doc[k] = v
		}
		u.put(id, doc)
		orig[id] = roundTrip(t, doc).(map[string]any)
	}
	add("Deploy: Prod", map[string]any{"description": "uses {{ jinja }} and {% tags %} and {# comments #}"})
	add("deploy/prod", map[string]any{"description": "ends a block: {% endverbatim %} {{ x }}", "lastModified": 1700000000000})
	add("Schön & <neu>", map[string]any{"triggers": []any{map[string]any{"type": "cron", "cronExpression": "0 0 * * * ?", "enabled": true}}})
	add("spel", map[string]any{"parameterConfig": []any{map[string]any{"name": "v", "default": "${ #stage('x')['context'] ?: \"a\" }"}},
		"nullable": nil, "yes": "no", "script": "#!/bin/sh\necho \"hi\" \\\n  && exit 0\n\n", "odd": " lead\ttab\u0085", "{{key}}": 1.50})

	fresh := newRepo(t, map[string]string{"pipegen.yaml": jinja})
	cfg := fresh.config(nil)
	ip := importFiles(t, cfg, u.store, u.files, ImportOptions{Application: "app", Stack: "prod"})
	if len(ip.Pipelines) != 4 || len(ip.Skipped) != 0 {
		t.Fatalf("imported %d, skipped %v", len(ip.Pipelines), ip.Skipped)
	}
	keys := map[string]string{}
	for _, p := range ip.Pipelines {
		keys[p.Name] = p.Key
	}
	want := map[string]string{"deploy/prod": "deploy-prod", "Deploy: Prod": "deploy-prod-2", "Schön & <neu>": "sch-n-neu", "spel": "spel"}
	if !reflect.DeepEqual(keys, want) {
		t.Errorf("keys %v, want %v", keys, want)
	}
	read := func(key string) string {
		b, err := os.ReadFile(filepath.Join(fresh.root, "templates", "imported", "app", key+".yml"))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	if tx := read("deploy-prod-2"); jinja != "" {
		if !strings.Contains(tx, `description: "uses \u007B{ jinja }} and \u007B% tags %} and \u007B# comments #}"`) {
			t.Errorf("with trim_blocks, tag syntax not escaped:\n%s", tx)
		}
	} else if !strings.Contains(tx, "\ndescription: {% verbatim %}\"uses {{ jinja }} and {% tags %} and {# comments #}\"{% endverbatim %}\n") || strings.Count(tx, "verbatim %}") != 2 {
		t.Errorf("verbatim not around exactly the value that needs it:\n%s", tx)
	}
	if tx := read("deploy-prod"); strings.Contains(tx, "{% verbatim") || !strings.Contains(tx, `"ends a block: \u007B% endverbatim %} \u007B{ x }}"`) {
		t.Errorf("a value with an end tag not escaped:\n%s", tx)
	}
	if tx := read("sch-n-neu"); !strings.HasPrefix(tx, "# Imported by `pipegen import --service app`.\nname: Schön & <neu>\n") {
		t.Errorf("name not first and as written:\n%s", tx)
	}
	spel := read("spel")
	if !strings.Contains(spel, "script: |+\n  #!/bin/sh\n  echo \"hi\" \\\n    && exit 0\n\n") || !strings.Contains(spel, "  - refId: \"1\"\n    type: wait\n    requisiteStageRefIds: []\n    waitTime: 30\n") {
		t.Errorf("spel template:\n%s", spel)
	}
	applyClean(t, cfg, u.store, diffToAdopt(t, cfg, u.store, orig))
	for id, o := range orig {
		after := u.get(id)
		if _, ok := after["lastModified"]; ok {
			t.Errorf("%s: lastModified written", o["name"])
		}
		if after["index"] != json.Number("3") {
			t.Errorf("%s: index = %v, want the stored 3", o["name"], after["index"])
		}
	}
}

func TestImportSkipsAndRefuses(t *testing.T) {
	u := newUIStore(t)
	owned := map[string]any{"id": "11111111-1111-4111-8111-111111111111", "application": "app", "name": "owned",
		"pipegen": map[string]any{"id": "11111111-1111-4111-8111-111111111111", "service": "app", "stack": "prod", "key": "owned", "file": "services/elsewhere.yaml"}}
	u.put(owned["id"].(string), owned)
	u.put("22222222-2222-4222-8222-222222222222", map[string]any{"id": "22222222-2222-4222-8222-222222222222", "application": "app", "name": "ui-made"})
	u.put("33333333-3333-4333-8333-333333333333", map[string]any{"id": "33333333-3333-4333-8333-333333333333", "application": "app", "name": "UI-MADE"})
	u.put("44444444-4444-4444-8444-444444444444", map[string]any{"id": "44444444-4444-4444-8444-444444444444", "application": "other-app", "name": "x"})
	u.put("55555555-5555-4555-8555-555555555555", map[string]any{"id": "55555555-5555-4555-8555-555555555555", "application": "app", "name": "broken graph",
		"stages": []any{map[string]any{"refId": "1", "type": "wait", "requisiteStageRefIds": []any{"nope"}}}})

	fresh := newRepo(t, map[string]string{"services/team/existing-svc.yaml": "name: existing\nstacks: {}\n"})
	cfg := fresh.config(nil)
	ip := importFiles(t, cfg, u.store, u.files, ImportOptions{Application: "app"})
	if len(ip.Pipelines) != 1 || ip.Pipelines[0].Name != "ui-made" {
		t.Fatalf("imported %d pipelines, want only ui-made", len(ip.Pipelines))
	}
	reasons := map[string]string{}
	for _, s := range ip.Skipped {
		reasons[s.Name] = s.Reason
	}
	for name, want := range map[string]string{
		"owned":        "already managed by pipegen from services/elsewhere.yaml: prod/owned",
		"UI-MADE":      "pipeline 22222222-2222-4222-8222-222222222222 has the same name",
		"broken graph": `no stage has refId "nope"`,
	} {
		if !strings.Contains(reasons[name], want) {
			t.Errorf("%s skipped for %q, want %q", name, reasons[name], want)
		}
	}

	for _, tc := range []struct {
		name string
		opt  ImportOptions
		want string
	}{
		{"no pipelines", ImportOptions{Application: "ap"}, `no pipelines of application "ap"`},
		{"similar names", ImportOptions{Application: "ap"}, "similar: app, other-app"},
		{"bad name", ImportOptions{Application: "App"}, "lower-case"},
		{"bad stack", ImportOptions{Application: "app", Stack: "a/b"}, `stack "a/b"`},
		{"bad stacks", ImportOptions{Application: "app", Stacks: []string{"ok", "not ok"}}, `stack "not ok"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := dirFiles(t, fresh.root)
			_, err := PlanImport(context.Background(), cfg, u.store, tc.opt)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want %q", err, tc.want)
			}
			if !reflect.DeepEqual(dirFiles(t, fresh.root), before) {
				t.Error("a refused import changed files")
			}
		})
	}

	// A service file the import cannot add to (flow style) is refused, naming what to do.
	flow := newRepo(t, map[string]string{
		"services/app.yaml": "name: app\nstacks: {main: {pipelines: [w]}}\n",
		"templates/w.yml":   "name: w\nstages: []\n",
	})
	before := dirFiles(t, flow.root)
	if _, err := PlanImport(context.Background(), flow.config(nil), u.store, ImportOptions{Application: "app"}); err == nil || !strings.Contains(err.Error(), "block style") {
		t.Errorf("flow-style service file: %v", err)
	}
	if !reflect.DeepEqual(dirFiles(t, flow.root), before) {
		t.Error("a refused import changed files")
	}
}

// An entry's pinned id is checked: a malformed one, one used twice, and the id of a pipeline
// another source owns are problems at the id's line.
func TestPinnedIDProblems(t *testing.T) {
	u := newUIStore(t)
	u.put("11111111-1111-4111-8111-111111111111", map[string]any{"id": "11111111-1111-4111-8111-111111111111", "application": "app", "name": "theirs",
		"pipegen": map[string]any{"id": "11111111-1111-4111-8111-111111111111", "service": "app", "stack": "s", "key": "theirs", "file": "services/app.yaml"}})
	for _, tc := range []struct{ entries, want string }{
		{"      - {template: w, key: a, id: Not-An-Id}\n", "services/app.yaml:5:35: id: id \"Not-An-Id\" is not lower-case"},
		{"      - {template: w, key: a, id: 22222222-2222-4222-8222-222222222222}\n      - {template: v, key: b, id: 22222222-2222-4222-8222-222222222222}\n", "is also the id of services/app.yaml: main/a"},
		{"      - {template: w, key: a, id: 11111111-1111-4111-8111-111111111111}\n", `is pipeline "theirs", managed from services/app.yaml: s/theirs`},
	} {
		r := newRepo(t, map[string]string{
			"services/app.yaml": "name: app\nstacks:\n  main:\n    pipelines:\n" + tc.entries,
			"templates/w.yml":   "name: w\nstages: []\n",
			"templates/v.yml":   "name: v\nstages: []\n",
		})
		res, err := Diff(context.Background(), r.config(nil), u.store, DiffOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(problemsText(res.Build), tc.want) {
			t.Errorf("problems %q, want %q", problemsText(res.Build), tc.want)
		}
	}
}

// Import works the same against S3 as against a folder: it reads, never writes.
func TestImportOnBothStores(t *testing.T) {
	forEachStore(t, func(t *testing.T, env storeEnv) {
		fresh := newRepo(t, nil)
		s := newSyncer(t, fresh, env)
		ids := []string{"a1a1a1a1-0000-4000-8000-000000000001", "b2b2b2b2-0000-4000-8000-000000000002"}
		orig := map[string]map[string]any{}
		for i, id := range ids {
			doc := map[string]any{"id": id, "application": "shop", "name": fmt.Sprintf("Deploy %d", i),
				"updateTs": "1700000000000", "lastModifiedBy": "alice",
				"stages": []any{map[string]any{"refId": "1", "type": "wait", "waitTime": 10 + i}}}
			body, _ := json.Marshal(doc)
			if _, err := s.store.Put(context.Background(), id, body, front50.PutOptions{}); err != nil {
				t.Fatal(err)
			}
			orig[id] = roundTrip(t, doc).(map[string]any)
		}
		snapshot := func() map[string]string {
			out := map[string]string{}
			for _, k := range env.keys(t) {
				out[k] = string(env.raw(t, k))
			}
			return out
		}
		cfg := s.cfg()
		ip := importFiles(t, cfg, s.store, snapshot, ImportOptions{Application: "shop"})
		if len(ip.Pipelines) != 2 {
			t.Fatalf("imported %d pipelines", len(ip.Pipelines))
		}
		applyClean(t, cfg, s.store, diffToAdopt(t, cfg, s.store, orig))
	})
}
