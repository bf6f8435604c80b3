package action

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
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

func importInto(t *testing.T, cfg *config.Config, st front50.Store, opt ImportOptions) *ImportResult {
	t.Helper()
	if opt.Now == nil {
		opt.Now = func() time.Time { return time.UnixMilli(1_800_000_000_000) }
	}
	res, err := Import(context.Background(), cfg, st, opt)
	if err != nil {
		t.Fatalf("import: %v", err)
	}
	return res
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
		t.Fatalf("problems after import:\n%s", problemsText(res.Build))
	}
	if res.Plan.HasChanges() {
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
// into an empty repo that diffs clean against it.
func TestImportSeedExample(t *testing.T) {
	root, _ := filepath.Abs("../..")
	example := &repo{t: t, root: root}
	u := newUIStore(t)
	src := example.config(nil)
	res, err := Diff(context.Background(), src, u.store, DiffOptions{})
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
	before := u.files()

	fresh := newRepo(t, map[string]string{"pipegen.yaml": "lock: true\n"})
	cfg := fresh.config(nil)

	dry := importInto(t, cfg, u.store, ImportOptions{Application: "my-microservice", DryRun: true})
	if got := dirFiles(t, fresh.root); len(got) != 1 {
		t.Errorf("dry run wrote files: %v", keysOf(got))
	}
	if !reflect.DeepEqual(u.files(), before) {
		t.Error("dry run changed the store")
	}
	if len(dry.Pipelines) != 3 || len(dry.Files) != 4 {
		t.Fatalf("dry run plans %d pipelines, %d files", len(dry.Pipelines), len(dry.Files))
	}

	got := importInto(t, cfg, u.store, ImportOptions{Application: "my-microservice"})
	if err := got.Err(); err != nil {
		t.Fatalf("%v: %v", err, got.Mismatches)
	}
	var keys []string
	for _, p := range got.Pipelines {
		keys = append(keys, p.Key)
		var adds []string
		for _, c := range p.Changes {
			adds = append(adds, c.Path)
		}
		// The example's triggers and artifacts already carry ids: only ownership is added.
		if want := []string{"locked", "pipegen"}; !reflect.DeepEqual(adds, want) {
			t.Errorf("%s: write-back adds %v, want %v", p.Name, adds, want)
		}
	}
	if want := []string{"canary-prod", "deploy-dev", "deploy-prod"}; !reflect.DeepEqual(keys, want) {
		t.Errorf("keys %v, want %v", keys, want)
	}
	svc, err := os.ReadFile(filepath.Join(fresh.root, "services", "my-microservice.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(svc, []byte("      - template: imported/my-microservice/deploy-prod\n        key: deploy-prod\n")) {
		t.Errorf("service file:\n%s", svc)
	}
	tmpl, err := os.ReadFile(filepath.Join(fresh.root, "templates", "imported", "my-microservice", "deploy-dev.json"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(tmpl, []byte("{\n  \"")) {
		t.Errorf("template does not start as indented JSON: %.40q", tmpl)
	}
	var tdoc map[string]any
	if err := json.Unmarshal(tmpl, &tdoc); err != nil {
		t.Fatalf("template is not JSON: %v", err)
	}
	for f := range importDropped {
		if _, ok := tdoc[f]; ok {
			t.Errorf("template keeps %q", f)
		}
	}

	if n := cleanDiff(t, cfg, u.store); n != 3 {
		t.Errorf("%d unchanged, want 3", n)
	}
	for id, o := range orig {
		after := u.get(id)
		if d := ownedDiff(t, o, after); d != "" {
			t.Errorf("write-back changed more than pipegen's fields: %s", d)
		}
		if after["lastModifiedBy"] != "someone@example.com" || after["updateTs"] != o["updateTs"] {
			t.Errorf("write-back lost updateTs/lastModifiedBy: %v %v", after["updateTs"], after["lastModifiedBy"])
		}
		m, ok := pipeline.MarkerOf(after)
		if !ok || m.File != "services/my-microservice.yaml" || m.Stack != "main" {
			t.Errorf("marker %+v", m)
		}
	}
	if lm, _ := u.store.LastModified(context.Background()); lm != got.LastModified || lm < 1_800_000_000_000 {
		t.Errorf("last-modified.json = %d, result says %d", lm, got.LastModified)
	}

	// A second import refuses to overwrite, and the files stay as they are.
	filesBefore := dirFiles(t, fresh.root)
	if _, err := Import(context.Background(), cfg, u.store, ImportOptions{Application: "my-microservice"}); err == nil || !strings.Contains(err.Error(), "services/my-microservice.yaml already exists") {
		t.Errorf("second import: %v", err)
	}
	if !reflect.DeepEqual(dirFiles(t, fresh.root), filesBefore) {
		t.Error("refused import changed files")
	}
}

func keysOf(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Every corpus pipeline (A: pipeline JSON, C: Front50 storage files), stored as the UI would have, imports into an empty repo that diffs
// clean, and the write-back adds nothing but pipegen's fields. Pipelines are imported per
// application; same-named ones go to separate stores, as Front50 holds only one.
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
			res := importInto(t, cfg, u.store, ImportOptions{Application: b.app})
			if err := res.Err(); err != nil {
				t.Fatalf("%v: %v", err, res.Mismatches)
			}
			for _, s := range res.Skipped {
				t.Errorf("skipped %s: %s", s.Name, s.Reason)
			}
			if len(res.Pipelines) != len(b.cases) {
				t.Fatalf("imported %d of %d", len(res.Pipelines), len(b.cases))
			}
			if n := cleanDiff(t, cfg, u.store); n != len(b.cases) {
				t.Errorf("%d unchanged, want %d", n, len(b.cases))
			}
			for id, o := range orig {
				if d := ownedDiff(t, o, u.get(id)); d != "" {
					t.Errorf("%s: write-back changed more than pipegen's fields: %s", o["name"], d)
				}
			}
		})
		total += len(b.cases)
	}
	if total < 20 {
		t.Errorf("only %d corpus pipelines imported", total)
	}
}

// Tricky stored objects: template syntax in strings, a verbatim end tag, names that slug to the
// same key, Front50's internal lastModified, triggers without ids; all import and diff clean.
func TestImportTrickyPipelines(t *testing.T) {
	u := newUIStore(t)
	ids := map[string]string{}
	add := func(name string, extra map[string]any) {
		id := uuid.NewSHA1(uuid.NameSpaceURL, []byte(name)).String()
		doc := map[string]any{"id": id, "application": "app", "name": name, "index": 3,
			"updateTs": "1700000000000", "lastModifiedBy": "anonymous",
			"stages": []any{map[string]any{"refId": "1", "type": "wait", "waitTime": 30, "requisiteStageRefIds": []any{}}}}
		for k, v := range extra {
			doc[k] = v
		}
		u.put(id, doc)
		ids[name] = id
	}
	add("Deploy: Prod", map[string]any{"description": "uses {{ jinja }} and {% tags %} and {# comments #}"})
	add("deploy/prod", map[string]any{"description": "ends a block: {% endverbatim %} {{ x }}", "lastModified": 1700000000000})
	add("Schön & <neu>", map[string]any{"triggers": []any{map[string]any{"type": "cron", "cronExpression": "0 0 * * * ?", "enabled": true}}})
	add("spel", map[string]any{"parameterConfig": []any{map[string]any{"name": "v", "default": "${ #stage('x')['context'] ?: \"a\" }"}}, "nullable": nil})

	fresh := newRepo(t, nil)
	cfg := fresh.config(nil)
	res := importInto(t, cfg, u.store, ImportOptions{Application: "app", Stack: "prod"})
	if err := res.Err(); err != nil {
		t.Fatalf("%v: %v", err, res.Mismatches)
	}
	keys := map[string]string{}
	for _, p := range res.Pipelines {
		keys[p.Name] = p.Key
	}
	// Sorted by name ("deploy/prod" < "deploy: prod"), the first one gets the plain key.
	want := map[string]string{"deploy/prod": "deploy-prod", "Deploy: Prod": "deploy-prod-2", "Schön & <neu>": "sch-n-neu", "spel": "spel"}
	if !reflect.DeepEqual(keys, want) {
		t.Errorf("keys %v, want %v", keys, want)
	}
	read := func(key string) string {
		b, err := os.ReadFile(filepath.Join(fresh.root, "templates", "imported", "app", key+".json"))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	if tx := read("deploy-prod-2"); !strings.HasPrefix(tx, "{% verbatim %}\n{") || !strings.HasSuffix(tx, "}\n{% endverbatim %}\n") {
		t.Errorf("template with tags not wrapped in verbatim:\n%s", tx)
	}
	if tx := read("deploy-prod"); strings.Contains(tx, "verbatim %}\n{") || !strings.Contains(tx, `\u007b% endverbatim %} \u007b{ x }}`) {
		t.Errorf("template with an end tag not escaped:\n%s", tx)
	}
	if tx := read("sch-n-neu"); !strings.Contains(tx, `"name": "Schön & <neu>"`) {
		t.Errorf("name not kept as written:\n%s", tx)
	}
	if n := cleanDiff(t, cfg, u.store); n != 4 {
		t.Errorf("%d unchanged, want 4", n)
	}
	after := u.get(ids["deploy/prod"])
	if _, ok := after["lastModified"]; ok {
		t.Error("lastModified written back")
	}
	if after["index"] != json.Number("3") {
		t.Errorf("index = %v, want the stored 3", after["index"])
	}
	cron := u.get(ids["Schön & <neu>"])["triggers"].([]any)[0].(map[string]any)
	if id, _ := cron["id"].(string); !pipeline.LooksLikeID(id) {
		t.Errorf("cron trigger id = %v", cron["id"])
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
	res := importInto(t, cfg, u.store, ImportOptions{Application: "app"})
	if len(res.Pipelines) != 1 || res.Pipelines[0].Name != "ui-made" {
		t.Fatalf("imported %d pipelines, want only ui-made", len(res.Pipelines))
	}
	reasons := map[string]string{}
	for _, s := range res.Skipped {
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
	// The owned pipeline of another repo is "not in source, kept": not a change. (The second
	// "ui-made" would be a conflict, rightly: Front50 must not hold two.)
	if err := u.store.Delete(context.Background(), "33333333-3333-4333-8333-333333333333", ""); err != nil {
		t.Fatal(err)
	}
	res2, err := Diff(context.Background(), cfg, u.store, DiffOptions{Filter: Filter{Services: []string{"app"}}})
	if err != nil {
		t.Fatal(err)
	}
	if c := res2.Plan.Counts; c.Unchanged != 1 || c.Kept != 1 || res2.Plan.HasChanges() {
		t.Errorf("plan after import: %+v", res2.Plan.Counts)
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
		{"existing service", ImportOptions{Application: "existing"}, `service "existing" is already defined in services/team/existing-svc.yaml:1`},
		{"existing files", ImportOptions{Application: "app"}, "services/app.yaml already exists"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Import(context.Background(), cfg, u.store, tc.opt)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want %q", err, tc.want)
			}
		})
	}
}

// racingStore changes an object behind import's back just before import writes it.
type racingStore struct {
	front50.Store
	victim string
}

func (r *racingStore) Put(ctx context.Context, id string, body []byte, opt front50.PutOptions) (string, error) {
	if id == r.victim {
		obj, err := r.Store.Get(ctx, id)
		if err != nil {
			return "", err
		}
		edited := bytes.Replace(obj.Body, []byte(`"waitTime":30`), []byte(`"waitTime":31`), 1)
		if _, err := r.Store.Put(ctx, id, edited, front50.PutOptions{}); err != nil {
			return "", err
		}
	}
	return r.Store.Put(ctx, id, body, opt)
}

func TestImportConcurrentEdit(t *testing.T) {
	u := newUIStore(t)
	for i, name := range []string{"a", "b"} {
		id := fmt.Sprintf("%d0000000-0000-4000-8000-000000000000", i+1)
		u.put(id, map[string]any{"id": id, "application": "app", "name": name,
			"stages": []any{map[string]any{"refId": "1", "type": "wait", "waitTime": 30}}})
	}
	fresh := newRepo(t, nil)
	cfg := fresh.config(nil)
	st := &racingStore{Store: u.store, victim: "20000000-0000-4000-8000-000000000000"}
	res, err := Import(context.Background(), cfg, st, ImportOptions{Application: "app"})
	if err != nil {
		t.Fatal(err)
	}
	if err := res.Err(); err == nil || !strings.Contains(err.Error(), "1 pipeline(s) not marked as managed") {
		t.Fatalf("Err() = %v", err)
	}
	for _, p := range res.Pipelines {
		switch p.Name {
		case "a":
			if p.Err != nil {
				t.Errorf("a: %v", p.Err)
			}
		case "b":
			if !errors.Is(p.Err, front50.ErrPrecondition) {
				t.Errorf("b: %v, want a precondition failure", p.Err)
			}
		}
	}
	if _, ok := pipeline.MarkerOf(u.get("20000000-0000-4000-8000-000000000000")); ok {
		t.Error("the concurrently edited pipeline was overwritten")
	}
	if res.LastModified == 0 {
		t.Error("last-modified.json not bumped after a successful write-back")
	}
}

func TestSlugKey(t *testing.T) {
	for in, want := range map[string]string{
		"Deploy to Prod":         "deploy-to-prod",
		"  --x--  ":              "x",
		"배포":                     "pipeline",
		"a.b_c":                  "a-b-c",
		strings.Repeat("ab", 40): strings.Repeat("ab", 30),
	} {
		if got := slugKey(in); got != want {
			t.Errorf("slugKey(%q) = %q, want %q", in, got, want)
		}
	}
}

// Import works the same against S3 (conditional writes with If-Match) as against a folder.
func TestImportOnBothStores(t *testing.T) {
	forEachStore(t, func(t *testing.T, env storeEnv) {
		fresh := newRepo(t, nil)
		s := newSyncer(t, fresh, env)
		ids := []string{"a1a1a1a1-0000-4000-8000-000000000001", "b2b2b2b2-0000-4000-8000-000000000002"}
		for i, id := range ids {
			body, _ := json.Marshal(map[string]any{"id": id, "application": "shop", "name": fmt.Sprintf("Deploy %d", i),
				"updateTs": "1700000000000", "lastModifiedBy": "alice",
				"stages": []any{map[string]any{"refId": "1", "type": "wait", "waitTime": 10 + i}}})
			if _, err := s.store.Put(context.Background(), id, body, front50.PutOptions{}); err != nil {
				t.Fatal(err)
			}
		}
		cfg := s.cfg()
		res := importInto(t, cfg, s.store, ImportOptions{Application: "shop"})
		if err := res.Err(); err != nil || len(res.Pipelines) != 2 {
			t.Fatalf("import: %v, %d pipelines", err, len(res.Pipelines))
		}
		if n := cleanDiff(t, cfg, s.store); n != 2 {
			t.Errorf("%d unchanged, want 2", n)
		}
		if got := s.lastModified(); got != `{"lastModified":1800000000000}` {
			t.Errorf("last-modified.json = %s", got)
		}
	})
}

func TestUnescapeHTML(t *testing.T) {
	for in, want := range map[string]string{
		`{"a":"x \u0026\u0026 y \u003c z \u003E"}`: `{"a":"x && y < z >"}`,
		`{"a":"\\u0026"}`:                          `{"a":"\\u0026"}`, // an escaped backslash, then text
		`{"a":"\u00e9\n\"q\""}`:                    `{"a":"\u00e9\n\"q\""}`,
		`{"\u0026":1}`:                             `{"&":1}`,
	} {
		got := string(unescapeHTML([]byte(in)))
		if got != want {
			t.Errorf("unescapeHTML(%s) = %s, want %s", in, got, want)
		}
		var a, b any
		if json.Unmarshal([]byte(in), &a) != nil || json.Unmarshal([]byte(got), &b) != nil || !reflect.DeepEqual(a, b) {
			t.Errorf("unescapeHTML(%s) changed the value", in)
		}
	}
}
