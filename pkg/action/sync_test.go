package action

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/pipegen/pipegen/internal/s3server"
	"github.com/pipegen/pipegen/pkg/config"
	"github.com/pipegen/pipegen/pkg/diff"
	"github.com/pipegen/pipegen/pkg/front50"
	"github.com/pipegen/pipegen/pkg/pipeline"
	"github.com/pipegen/pipegen/pkg/plan"
)

var testS3 s3server.Env

// storeEnv is one store kind under test, with raw access for assertions.
type storeEnv struct {
	url      string
	endpoint string
	// keys lists every object key below the store root, relative to the bucket (S3) or the
	// folder (file), e.g. "front50/pipelines/<id>/pipeline-metadata.json".
	keys func(t *testing.T) []string
	raw  func(t *testing.T, key string) []byte
	// put writes an object as another writer would, with no checks.
	put func(t *testing.T, key string, body []byte)
	// prefix is what keys start with: "front50/" on S3, "" for the file store.
	prefix string
}

// forEachStore runs fn against the file store and against versitygw.
func forEachStore(t *testing.T, fn func(t *testing.T, env storeEnv)) {
	t.Run("file", func(t *testing.T) {
		dir := t.TempDir()
		fn(t, storeEnv{
			url: "file://" + dir,
			keys: func(t *testing.T) []string {
				var out []string
				filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
					if err == nil && !d.IsDir() && !strings.HasPrefix(d.Name(), ".") {
						rel, _ := filepath.Rel(dir, p)
						out = append(out, filepath.ToSlash(rel))
					}
					return nil
				})
				sort.Strings(out)
				return out
			},
			raw: func(t *testing.T, key string) []byte {
				b, err := os.ReadFile(filepath.Join(dir, key))
				if err != nil {
					t.Fatal(err)
				}
				return b
			},
			put: func(t *testing.T, key string, body []byte) {
				p := filepath.Join(dir, filepath.FromSlash(key))
				if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(p, body, 0o644); err != nil {
					t.Fatal(err)
				}
			},
		})
	})
	t.Run("s3", func(t *testing.T) {
		srv, bucket := testS3.Bucket(t)
		t.Setenv("AWS_ACCESS_KEY_ID", srv.AccessKey)
		t.Setenv("AWS_SECRET_ACCESS_KEY", srv.SecretKey)
		t.Setenv("AWS_REGION", s3server.Region)
		fn(t, storeEnv{
			url:      "s3://" + bucket,
			endpoint: srv.Endpoint,
			prefix:   "front50/",
			keys: func(t *testing.T) []string {
				k, err := srv.Keys(context.Background(), bucket, "")
				if err != nil {
					t.Fatal(err)
				}
				sort.Strings(k)
				return k
			},
			raw: func(t *testing.T, key string) []byte {
				b, err := srv.Object(context.Background(), bucket, key)
				if err != nil {
					t.Fatal(err)
				}
				return b
			},
			put: func(t *testing.T, key string, body []byte) {
				if _, err := srv.Client().PutObject(context.Background(), &s3.PutObjectInput{
					Bucket: &bucket, Key: &key, Body: bytes.NewReader(body),
				}); err != nil {
					t.Fatal(err)
				}
			},
		})
	})
}

// newS3Syncer is a syncer for r against a new versitygw bucket, its store counting requests.
func newS3Syncer(t *testing.T, r *repo) (*syncer, *front50.Stats, *s3server.Server, string) {
	t.Helper()
	srv, bucket := testS3.Bucket(t)
	t.Setenv("AWS_ACCESS_KEY_ID", srv.AccessKey)
	t.Setenv("AWS_SECRET_ACCESS_KEY", srv.SecretKey)
	t.Setenv("AWS_REGION", s3server.Region)
	s := newSyncer(t, r, storeEnv{url: "s3://" + bucket, endpoint: srv.Endpoint})
	counted, stats := front50.Counted(s.store)
	s.store = counted
	return s, stats, srv, bucket
}

// syncer runs diff and sync for one repo against one store.
type syncer struct {
	t     *testing.T
	repo  *repo
	env   storeEnv
	store front50.Store
	now   time.Time
}

func newSyncer(t *testing.T, r *repo, env storeEnv) *syncer {
	s := &syncer{t: t, repo: r, env: env, now: time.UnixMilli(1_700_000_000_000)}
	st, err := front50.Open(context.Background(), front50.Config{URL: env.url, Endpoint: env.endpoint, BaseDir: r.root})
	if err != nil {
		t.Fatal(err)
	}
	s.store = st
	return s
}

func (s *syncer) cfg() *config.Config {
	cfg := s.repo.config(nil)
	cfg.Store, cfg.Endpoint = s.env.url, s.env.endpoint
	return cfg
}

func (s *syncer) diff(opt DiffOptions) *Result {
	s.t.Helper()
	res, err := Diff(context.Background(), s.cfg(), s.store, opt)
	if err != nil {
		s.t.Fatal(err)
	}
	if len(res.Build.Problems) > 0 {
		s.t.Fatalf("problems:\n%s", problemsText(res.Build))
	}
	return res
}

func (s *syncer) sync(opt DiffOptions) (*Result, *Report) {
	s.t.Helper()
	res := s.diff(opt)
	s.now = s.now.Add(time.Second)
	rep, err := Apply(context.Background(), s.store, res.Plan, SyncOptions{DiffOptions: opt, Now: func() time.Time { return s.now }})
	if err != nil {
		s.t.Fatal(err)
	}
	if err := rep.Err(); err != nil {
		s.t.Fatalf("sync: %v (%+v)", err, rep.Failed)
	}
	return res, rep
}

func (s *syncer) lastModified() string {
	return string(s.env.raw(s.t, s.env.prefix+"pipelines/last-modified.json"))
}

const lifecycleTemplate = `name: "wait-{{ stack }}"
stages:
  - refId: a
    type: wait
    waitTime: {{ wait }}
  - refId: b
    type: wait
    requisiteStageRefIds: [a]
    waitTime: 5
`

func lifecycleRepo(t *testing.T) *repo {
	return newRepo(t, map[string]string{
		"templates/wait.yml": lifecycleTemplate,
		"services/a.yaml":    "name: a\nvars: {wait: 30}\nstacks:\n  dev: {pipelines: [wait]}\n  prod: {pipelines: [wait]}\n",
		"services/b.yaml":    "name: b\nvars: {wait: 10}\nstacks:\n  dev: {pipelines: [wait]}\n",
	})
}

func TestSyncLifecycle(t *testing.T) {
	forEachStore(t, func(t *testing.T, env storeEnv) {
		r := lifecycleRepo(t)
		s := newSyncer(t, r, env)

		// Empty store: everything is a create.
		res := s.diff(DiffOptions{})
		if !res.Plan.HasChanges() || res.Plan.Counts.Create != 3 {
			t.Fatalf("first plan: %+v", res.Plan.Counts)
		}
		_, rep := s.sync(DiffOptions{})
		if len(rep.Done) != 3 {
			t.Fatalf("first sync did %d writes", len(rep.Done))
		}

		// Exact Front50 keys: folder name = lower-case id, plus last-modified.json.
		var want []string
		for _, it := range res.Plan.Items {
			want = append(want, env.prefix+"pipelines/"+it.ID+"/pipeline-metadata.json")
		}
		want = append(want, env.prefix+"pipelines/last-modified.json")
		// Their applications, minimal (the services have no application block), written first.
		for _, app := range []string{"a", "b"} {
			want = append(want, env.prefix+"applications/"+app+"/application-metadata.json")
		}
		want = append(want, env.prefix+"applications/last-modified.json")
		sort.Strings(want)
		if got := env.keys(t); strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Fatalf("keys\n got %v\nwant %v", got, want)
		}
		if lm := s.lastModified(); !regexp.MustCompile(`^\{"lastModified":\s*\d+\}$`).MatchString(lm) {
			t.Errorf("last-modified.json = %q, want an integer", lm)
		}
		for _, it := range res.Plan.Items {
			checkStored(t, env.raw(t, env.prefix+"pipelines/"+it.ID+"/pipeline-metadata.json"), it)
		}

		// A second sync writes nothing: same objects, same last-modified.
		before := snapshot(t, env)
		lm := s.lastModified()
		if res := s.diff(DiffOptions{}); res.Plan.HasChanges() || res.Plan.Counts.Unchanged != 3 {
			t.Fatalf("second plan: %+v", res.Plan.Counts)
		}
		if _, rep := s.sync(DiffOptions{}); len(rep.Done) != 0 || rep.LastModified != 0 {
			t.Fatalf("second sync wrote %d objects", len(rep.Done))
		}
		if after := snapshot(t, env); !equalMaps(before, after) || s.lastModified() != lm {
			t.Fatal("second sync changed the store")
		}

		// Edited behind pipegen's back, as the UI would: one stage field, updateTs and
		// lastModifiedBy. The diff shows exactly that field; sync restores it.
		target := itemNamed(t, res.Plan, "a", "wait-dev")
		obj, err := s.store.Get(context.Background(), target.ID)
		if err != nil {
			t.Fatal(err)
		}
		var doc map[string]any
		json.Unmarshal(obj.Body, &doc)
		doc["stages"].([]any)[0].(map[string]any)["waitTime"] = 99
		doc["updateTs"] = "1800000000000"
		doc["lastModifiedBy"] = "someone@example.com"
		body, _ := json.Marshal(doc)
		if _, err := s.store.Put(context.Background(), target.ID, body, front50.PutOptions{}); err != nil {
			t.Fatal(err)
		}
		res = s.diff(DiffOptions{})
		edited := itemNamed(t, res.Plan, "a", "wait-dev")
		wantChange := []diff.Change{{Kind: diff.Changed, Path: "stages[refId=a].waitTime", From: json.Number("99"), To: json.Number("30")}}
		if edited.Action != plan.Update || !sameChanges(edited.Changes, wantChange) {
			t.Fatalf("UI edit shows as %s %+v, want %+v", edited.Action, edited.Changes, wantChange)
		}
		if res.Plan.Counts.Update != 1 || res.Plan.Counts.Unchanged != 2 {
			t.Errorf("counts after UI edit: %+v", res.Plan.Counts)
		}
		s.sync(DiffOptions{})
		if res := s.diff(DiffOptions{}); res.Plan.HasChanges() {
			t.Fatalf("not restored: %+v", res.Plan.Counts)
		}

		// A pipeline made in the UI in a managed application survives everything.
		uiID := "0f5f6c1e-1111-4222-8333-944445555666"
		uiBody := `{"id":"` + uiID + `","application":"a","name":"made in the ui","schema":"1","triggers":[],"stages":[],"updateTs":"1","lastModifiedBy":"anonymous"}`
		if _, err := s.store.Put(context.Background(), uiID, []byte(uiBody), front50.PutOptions{}); err != nil {
			t.Fatal(err)
		}

		// Remove a source: kept without --prune, deleted with it; the UI pipeline stays.
		r.write("services/b.yaml", "name: b\nstacks: {}\n")
		res = s.diff(DiffOptions{})
		if res.Plan.HasChanges() || res.Plan.Counts.Kept != 1 {
			t.Fatalf("source removed, no prune: %+v", res.Plan.Counts)
		}
		s.sync(DiffOptions{})
		if _, err := s.store.Get(context.Background(), pipeline.PipelineID("b", "dev", "wait")); err != nil {
			t.Fatalf("deleted without --prune: %v", err)
		}
		_, rep = s.sync(DiffOptions{Prune: true})
		if len(rep.Done) != 1 || rep.Done[0].Item.Action != plan.Delete {
			t.Fatalf("prune did %+v", rep.Done)
		}
		if _, err := s.store.Get(context.Background(), pipeline.PipelineID("b", "dev", "wait")); !errors.Is(err, front50.ErrNotFound) {
			t.Fatalf("pruned pipeline still there: %v", err)
		}
		if _, err := s.store.Get(context.Background(), uiID); err != nil {
			t.Fatalf("UI-made pipeline did not survive --prune: %v", err)
		}
		if res := s.diff(DiffOptions{Prune: true}); res.Plan.HasChanges() {
			t.Fatalf("after prune: %+v", res.Plan.Counts)
		}
	})
}

func TestSyncConflictAndAdopt(t *testing.T) {
	forEachStore(t, func(t *testing.T, env storeEnv) {
		r := lifecycleRepo(t)
		s := newSyncer(t, r, env)
		uiID := "0f5f6c1e-1111-4222-8333-944445555666"
		uiBody := `{"id":"` + uiID + `","application":"a","name":"Wait-Dev","schema":"1","triggers":[],"stages":[],"updateTs":"1","lastModifiedBy":"anonymous"}`
		if _, err := s.store.Put(context.Background(), uiID, []byte(uiBody), front50.PutOptions{}); err != nil {
			t.Fatal(err)
		}
		res := s.diff(DiffOptions{})
		if c := itemNamed(t, res.Plan, "a", "wait-dev"); c.Action != plan.Conflict || !strings.Contains(c.Reason, uiID) {
			t.Fatalf("same name (other case) as a UI pipeline: %s %q", c.Action, c.Reason)
		}
		// The conflict holds back only itself: the rest is written, the conflict named, and
		// the UI pipeline left byte for byte as it was.
		conflictID := itemNamed(t, res.Plan, "a", "wait-dev").ID
		rep, err := Apply(context.Background(), s.store, res.Plan, SyncOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if len(rep.Conflicts) != 1 || rep.Conflicts[0].ID != conflictID || rep.Err() == nil || !strings.Contains(rep.Err().Error(), "1 conflict(s) not written") {
			t.Fatalf("Apply with a conflict: conflicts %+v, err %v", rep.Conflicts, rep.Err())
		}
		if want := res.Plan.Counts.Create + res.Plan.Counts.Update; len(rep.Done) != want || want == 0 || len(rep.Failed) != 0 {
			t.Fatalf("Apply with a conflict wrote %d of %d others, %d failed", len(rep.Done), want, len(rep.Failed))
		}
		if obj, err := s.store.Get(context.Background(), uiID); err != nil || string(obj.Body) != uiBody {
			t.Fatalf("the UI pipeline changed: %v", err)
		}
		if _, err := s.store.Get(context.Background(), conflictID); !errors.Is(err, front50.ErrNotFound) {
			t.Fatalf("the conflicting pipeline was written: %v", err)
		}

		_, rep = s.sync(DiffOptions{Adopt: true})
		var adopted *Outcome
		for i, o := range rep.Done {
			if o.Item.Action == plan.Adopt {
				adopted = &rep.Done[i]
			}
		}
		if adopted == nil || adopted.Item.ID != uiID {
			t.Fatalf("adopt did not keep the id: %+v", rep.Done)
		}
		obj, err := s.store.Get(context.Background(), uiID)
		if err != nil {
			t.Fatal(err)
		}
		var doc map[string]any
		json.Unmarshal(obj.Body, &doc)
		if m, ok := pipeline.MarkerOf(doc); !ok || m.Stack != "dev" {
			t.Fatalf("adopted pipeline has no marker: %v", doc[pipeline.MarkerKey])
		}
		// From now on it is found by its marker: no conflict, no change, no second pipeline.
		res = s.diff(DiffOptions{})
		if res.Plan.HasChanges() || itemNamed(t, res.Plan, "a", "wait-dev").ID != uiID {
			t.Fatalf("after adopt: %+v", res.Plan.Counts)
		}
	})
}

// The embedded default: no store configured, sync writes .pipegen/front50 in the repo.
func TestDefaultStore(t *testing.T) {
	r := lifecycleRepo(t)
	cfg := r.config(nil)
	if cfg.Store != "file://"+filepath.ToSlash(filepath.Join(r.root, ".pipegen/front50")) {
		t.Fatalf("default store %s", cfg.Store)
	}
	s := newSyncer(t, r, storeEnv{url: cfg.Store})
	_, rep := s.sync(DiffOptions{})
	if len(rep.Done) != 3 {
		t.Fatalf("wrote %d", len(rep.Done))
	}
	p := filepath.Join(r.root, ".pipegen/front50/pipelines", pipeline.PipelineID("a", "dev", "wait"), "pipeline-metadata.json")
	if _, err := os.Stat(p); err != nil {
		t.Fatal(err)
	}
	if res := s.diff(DiffOptions{}); res.Plan.HasChanges() {
		t.Fatalf("re-diff not clean: %+v", res.Plan.Counts)
	}
}

// Every real pipeline of the corpus (A and C), used as a template and synced, is stored as
// written but for pipegen's fields, and re-diffs clean.
func TestCorpusSyncs(t *testing.T) {
	cases := append(corpusCases(t, "A"), corpusCases(t, "C")...)
	forEachStore(t, func(t *testing.T, env storeEnv) {
		for i, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				// A store root of its own per case: the corpus has same-named pipelines.
				e := env
				e.url = env.url + "/corpus-" + strconv.Itoa(i)
				s := newSyncer(t, c.repo(t), e)
				res, _ := s.sync(DiffOptions{})
				it := res.Plan.Items[0]
				obj, err := s.store.Get(context.Background(), it.ID)
				if err != nil {
					t.Fatal(err)
				}
				stored := normalJSON(t, obj.Body).(map[string]any)
				if stored["updateTs"] == nil || stored["lastModifiedBy"] != "pipegen" {
					t.Errorf("updateTs/lastModifiedBy not set: %v %v", stored["updateTs"], stored["lastModifiedBy"])
				}
				if d := ownedDiff(t, c.orig, stored); d != "" {
					t.Errorf("stored object differs beyond pipegen's fields: %s", d)
				}
				if res := s.diff(DiffOptions{}); res.Plan.HasChanges() {
					t.Errorf("re-diff not clean: %+v", res.Plan.Items[0].Changes)
				}
			})
		}
	})
}

func checkStored(t *testing.T, body []byte, it plan.Item) {
	t.Helper()
	if err := front50.ValidatePipelineObject(it.ID, body); err != nil {
		t.Errorf("stored object for %s is not valid: %v", it.Name, err)
	}
	var doc map[string]any
	if err := json.Unmarshal(body, &doc); err != nil {
		t.Fatal(err)
	}
	if _, ok := doc["updateTs"].(string); !ok {
		t.Errorf("updateTs must be a string: %#v", doc["updateTs"])
	}
	if doc["lastModifiedBy"] != "pipegen" || doc["id"] != it.ID || doc["schema"] != "1" {
		t.Errorf("stored %s: lastModifiedBy=%v id=%v schema=%v", it.Name, doc["lastModifiedBy"], doc["id"], doc["schema"])
	}
	if _, ok := doc["lastModified"]; ok {
		t.Error("lastModified must never be written")
	}
	if _, ok := pipeline.MarkerOf(doc); !ok {
		t.Error("no ownership marker")
	}
	lock, _ := doc["locked"].(map[string]any)
	if lock["ui"] != true || lock["allowUnlockUi"] != true || !strings.Contains(lock["description"].(string), it.Source) {
		t.Errorf("locked = %v", doc["locked"])
	}
}

func snapshot(t *testing.T, env storeEnv) map[string]string {
	out := map[string]string{}
	for _, k := range env.keys(t) {
		out[k] = string(env.raw(t, k))
	}
	return out
}

func equalMaps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func itemNamed(t *testing.T, p *plan.Plan, app, name string) plan.Item {
	t.Helper()
	for _, it := range p.Items {
		if it.Application == app && it.Name == name {
			return it
		}
	}
	t.Fatalf("no %s/%s in the plan", app, name)
	return plan.Item{}
}

func sameChanges(got, want []diff.Change) bool {
	if len(got) != len(want) {
		return false
	}
	for i := range got {
		g, w := got[i], want[i]
		if g.Kind != w.Kind || g.Path != w.Path || jsonText(g.From) != jsonText(w.From) || jsonText(g.To) != jsonText(w.To) {
			return false
		}
	}
	return true
}

func jsonText(v any) string { b, _ := json.Marshal(v); return string(b) }
