package action

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pipegen/pipegen/internal/s3server"
	"github.com/pipegen/pipegen/pkg/front50"
	"github.com/pipegen/pipegen/pkg/plan"
)

// Helpers shared by the reliability tests (faults, interruption, concurrency, pruning).

// synthTemplates are the templates of the synthetic repos: realistic enough to have stages,
// a trigger and an artifact reference, small enough to render fast.
var synthTemplates = map[string]string{
	"templates/deploy.yml": `name: "deploy-{{ stack }}"
triggers:
  - type: docker
    enabled: true
    account: dockerhub
    repository: "acme/{{ app_name }}"
expectedArtifacts:
  - displayName: manifest
    matchArtifact: {type: "embedded/base64", name: "{{ app_name }}"}
    useDefaultArtifact: false
stages:
  - refId: bake
    type: bakeManifest
    name: Bake
    outputName: "{{ app_name }}"
  - refId: deploy
    type: deployManifest
    name: Deploy
    requisiteStageRefIds: [bake]
    manifestArtifactId: manifest
    account: "k8s-{{ stack }}"
  - refId: wait
    type: wait
    requisiteStageRefIds: [deploy]
    waitTime: {{ wait }}
`,
	"templates/verify.yml": `name: "verify-{{ stack }}"
stages:
  - refId: a
    type: wait
    waitTime: {{ wait }}
  - refId: b
    type: manualJudgment
    requisiteStageRefIds: [a]
    instructions: "check {{ app_name }} {{ rev }}"
`,
}

// synthFiles is a services repo of n services with three pipelines each (dev/deploy,
// prod/deploy, prod/verify). variant 2 changes every third service, drops every fifth and
// adds n/4 new ones, so a sync from variant 1 to 2 creates, updates and deletes. variant 3
// has the services of variant 1, every pipeline different.
func synthFiles(n, variant int) map[string]string {
	files := map[string]string{}
	for k, v := range synthTemplates {
		files[k] = v
	}
	add := func(i int, wait int, rev string) {
		files[fmt.Sprintf("services/team-%d/svc-%03d.yaml", i%4, i)] = fmt.Sprintf(
			"name: svc-%03d\nvars: {wait: %d, rev: %s}\nstacks:\n  dev: {pipelines: [deploy]}\n  prod: {pipelines: [deploy, verify]}\n", i, wait, rev)
	}
	for i := range n {
		switch {
		case variant == 1:
			add(i, 30+i, "r1")
		case variant == 3:
			add(i, 90+i, "r3")
		case i%5 == 4:
			// dropped in variant 2
		case i%3 == 0:
			add(i, 60+i, "r2")
		default:
			add(i, 30+i, "r1")
		}
	}
	if variant == 2 {
		for i := n; i < n+n/4; i++ {
			add(i, 30+i, "r2")
		}
	}
	return files
}

// rawS3 reads one store root of a bucket directly, not through pipegen or the proxy.
type rawS3 struct {
	srv    *s3server.Server
	bucket string
	root   string // "front50" or a per-iteration root
}

func (r rawS3) keys(t testing.TB) []string {
	t.Helper()
	k, err := r.srv.Keys(context.Background(), r.bucket, r.root+"/")
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(k)
	return k
}

func (r rawS3) get(t testing.TB, key string) []byte {
	t.Helper()
	b, err := r.srv.Object(context.Background(), r.bucket, key)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func (r rawS3) snapshot(t testing.TB) map[string]string {
	out := map[string]string{}
	for _, k := range r.keys(t) {
		out[k] = string(r.get(t, k))
	}
	return out
}

// rawFile reads a file store's folder directly.
type rawFile struct{ dir string }

func (r rawFile) snapshot(t testing.TB) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(r.dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			if os.IsNotExist(err) {
				return nil
			}
			return err
		}
		if d.IsDir() || d.Name() == ".lock" {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(r.dir, p)
		out[filepath.ToSlash(rel)] = string(b)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

var lastModifiedRe = regexp.MustCompile(`^\{"lastModified":(\d+)\}$`)

// checkIntegrity asserts what Front50 needs of a store, reading every object raw: each
// pipeline-metadata.json passes ValidatePipelineObject under its folder name, and
// last-modified.json is {"lastModified":<integer Front50 reads as a long>}. prefix is the
// store root with a trailing slash ("" for a file store). A file store may hold a temporary
// file left by a killed writer (never read); allowTemp says whether that is acceptable here.
// It returns the number of objects checked.
func checkIntegrity(t testing.TB, snap map[string]string, prefix string, allowTemp bool) int {
	t.Helper()
	n := 0
	for key, body := range snap {
		if key == prefix+front50.LockName || key == prefix+front50.SummariesName {
			continue // the sync lock and the shared summaries: not Front50's, outside its folders
		}
		rest, ok := strings.CutPrefix(key, prefix+"pipelines/")
		if !ok {
			if rest, ok := strings.CutPrefix(key, prefix+"applications/"); ok {
				n++
				checkAppObject(t, key, rest, body, allowTemp)
				continue
			}
			t.Errorf("unexpected key %s outside %spipelines/ and %sapplications/", key, prefix, prefix)
			continue
		}
		n++
		if rest == "last-modified.json" {
			m := lastModifiedRe.FindStringSubmatch(body)
			if m == nil {
				t.Errorf("%s = %q, want {\"lastModified\":<integer>}", key, body)
				continue
			}
			if v, err := strconv.ParseInt(m[1], 10, 64); err != nil || v <= math.MaxInt32 {
				t.Errorf("%s = %q: not a long Front50 reads as epoch ms", key, body)
			}
			continue
		}
		folder, file, ok := strings.Cut(rest, "/")
		if ok && strings.HasPrefix(file, ".") && allowTemp {
			continue // a killed writer's temporary file: never listed, never read
		}
		if !ok || file != "pipeline-metadata.json" {
			t.Errorf("unexpected key %s", key)
			continue
		}
		if err := front50.ValidatePipelineObject(folder, []byte(body)); err != nil {
			t.Errorf("%s: %v", key, err)
		}
	}
	return n
}

// checkAppObject is checkIntegrity for a key under applications/ (rest is the key below it):
// last-modified.json, or an application or permission object Front50's models read.
func checkAppObject(t testing.TB, key, rest, body string, allowTemp bool) {
	t.Helper()
	if rest == "last-modified.json" {
		m := lastModifiedRe.FindStringSubmatch(body)
		if v, err := strconv.ParseInt(m[1:][0], 10, 64); m == nil || err != nil || v <= math.MaxInt32 {
			t.Errorf("%s = %q, want {\"lastModified\":<epoch ms>}", key, body)
		}
		return
	}
	folder, file, _ := strings.Cut(rest, "/")
	var kind front50.AppKind
	switch {
	case strings.HasPrefix(file, ".") && allowTemp:
		return
	case file == "application-metadata.json":
		kind = front50.AppMetadata
	case file == "application-permission.json":
		kind = front50.AppPermission
	default:
		t.Errorf("unexpected key %s", key)
		return
	}
	if err := front50.ValidateAppObject(kind, folder, []byte(body)); err != nil {
		t.Errorf("%s: %v", key, err)
	}
}

// s3StoreVia opens the S3 store of bucket/root through endpoint (the proxy or the server),
// with retry timings short enough for many iterations.
func s3StoreVia(t testing.TB, srv *s3server.Server, endpoint, bucket, root string, tweak func(*front50.Config)) front50.Store {
	t.Helper()
	cfg := front50.Config{
		URL:            "s3://" + bucket + "/" + root,
		Endpoint:       endpoint,
		Region:         s3server.Region,
		Credentials:    srv.Credentials(),
		AttemptTimeout: 2 * time.Second,
		RetryBaseDelay: 2 * time.Millisecond,
	}
	if tweak != nil {
		tweak(&cfg)
	}
	st, err := front50.Open(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// desiredDoc is the document an item would write.
func desiredDoc(t testing.TB, it plan.Item) map[string]any {
	t.Helper()
	doc, err := it.Document()
	if err != nil {
		t.Fatalf("%s/%s: %v", it.Application, it.Name, err)
	}
	return doc
}

// expectedBodies maps pipeline id to the exact bytes Apply writes for each create/update item
// of p at the timestamp now.
func expectedBodies(t testing.TB, p *plan.Plan, now time.Time) map[string][]byte {
	t.Helper()
	ts := strconv.FormatInt(now.UnixMilli(), 10)
	out := map[string][]byte{}
	for _, it := range p.Items {
		switch it.Action {
		case plan.Create, plan.Update, plan.Adopt:
			b, err := StoredBody(desiredDoc(t, it), ts)
			if err != nil {
				t.Fatal(err)
			}
			out[it.ID] = b
		}
	}
	return out
}

// checkReport asserts that a report accounts for every item of the plan that needed work,
// once, and that it tells the truth: what it calls done is in the store exactly as planned;
// what it calls failed or not started is either untouched or (a write whose answer was lost)
// exactly as planned, never anything else. before and after are raw snapshots keyed by
// pipeline id ("" = absent).
func checkReport(t testing.TB, p *plan.Plan, rep *Report, want map[string][]byte, before, after map[string]string) {
	t.Helper()
	seen := map[string]string{}
	note := func(id, what string) {
		if prev, dup := seen[id]; dup {
			t.Errorf("%s reported twice (%s and %s)", id, prev, what)
		}
		seen[id] = what
	}
	for _, o := range rep.Done {
		note(o.Item.ID, "done")
		switch o.Item.Action {
		case plan.Delete:
			if _, ok := after[o.Item.ID]; ok {
				t.Errorf("%s/%s reported deleted but is still stored", o.Item.Application, o.Item.Name)
			}
		default:
			if after[o.Item.ID] != string(want[o.Item.ID]) {
				t.Errorf("%s/%s reported written but the store holds %.80q", o.Item.Application, o.Item.Name, after[o.Item.ID])
			}
		}
	}
	for _, o := range rep.Failed {
		note(o.Item.ID, "failed")
		if o.Err == nil || !strings.Contains(o.Err.Error(), o.Item.Name) {
			t.Errorf("failure of %s/%s does not name it: %v", o.Item.Application, o.Item.Name, o.Err)
		}
	}
	var notDone []plan.Item
	for _, o := range rep.Failed {
		notDone = append(notDone, o.Item)
	}
	for _, it := range rep.NotStarted {
		note(it.ID, "not started")
		notDone = append(notDone, it)
	}
	for _, it := range notDone {
		cur, was := after[it.ID], before[it.ID]
		switch {
		case cur == was:
		case it.Action == plan.Delete && cur == "":
			// a delete that happened but whose answer was lost
		case it.Action != plan.Delete && cur == string(want[it.ID]):
			// a write that landed but whose answer was lost
		default:
			t.Errorf("%s/%s reported not done but the store changed to %.80q", it.Application, it.Name, cur)
		}
	}
	for _, it := range p.Items {
		switch it.Action {
		case plan.Create, plan.Update, plan.Adopt, plan.Delete:
			if _, ok := seen[it.ID]; !ok {
				t.Errorf("%s/%s (%s) missing from the report", it.Application, it.Name, it.Action)
			}
		}
	}
	incomplete := len(rep.Failed) > 0 || len(rep.NotStarted) > 0 || rep.BumpErr != nil || rep.Interrupted ||
		len(rep.AppFailed) > 0 || len(rep.AppNotStarted) > 0 || rep.AppsBumpErr != nil
	if (rep.Err() != nil) != incomplete {
		t.Errorf("report error %v for %d failed, %d not started, bump error %v", rep.Err(), len(rep.Failed), len(rep.NotStarted), rep.BumpErr)
	}
}

// byID turns a raw snapshot of one root into pipeline id -> body.
func byID(snap map[string]string, prefix string) map[string]string {
	out := map[string]string{}
	for k, v := range snap {
		rest, ok := strings.CutPrefix(k, prefix+"pipelines/")
		if !ok {
			continue
		}
		if id, ok := strings.CutSuffix(rest, "/pipeline-metadata.json"); ok {
			out[id] = v
		}
	}
	return out
}

// lastModifiedOf returns the value of last-modified.json in a snapshot, 0 when absent.
func lastModifiedOf(snap map[string]string, prefix string) int64 {
	m := lastModifiedRe.FindStringSubmatch(snap[prefix+"pipelines/last-modified.json"])
	if m == nil {
		return 0
	}
	v, _ := strconv.ParseInt(m[1], 10, 64)
	return v
}

// syncClean diffs and applies with no faults and fails the test unless everything applied;
// then the store must diff clean.
func syncClean(t testing.TB, cfgRepo *repo, store front50.Store, opt DiffOptions, now time.Time) *Report {
	t.Helper()
	ctx := context.Background()
	res, err := Diff(ctx, cfgRepo.config(nil), store, opt)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Build.Problems) > 0 {
		t.Fatalf("problems: %s", problemsText(res.Build))
	}
	rep, err := Apply(ctx, store, res.Plan, SyncOptions{DiffOptions: opt, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	if err := rep.Err(); err != nil {
		t.Fatalf("clean sync: %v (%v)", err, rep.Failed)
	}
	res, err = Diff(ctx, cfgRepo.config(nil), store, opt)
	if err != nil {
		t.Fatal(err)
	}
	if res.Plan.HasChanges() {
		t.Fatalf("not converged after a clean sync: %+v", res.Plan.Counts)
	}
	return rep
}

// pipegenBinary builds cmd/pipegen once per test binary, for tests that run it as a process.
// It goes to one folder per checkout, reused from run to run like a cache (the build itself
// is incremental), and is renamed into place so that concurrent test runs do not collide.
var pipegenBinary = sync.OnceValues(func() (string, error) {
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256([]byte(wd))
	dir := filepath.Join(os.TempDir(), "pipegen-test-bin-"+hex.EncodeToString(sum[:6]))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	tmp, err := os.CreateTemp(dir, "build-*")
	if err != nil {
		return "", err
	}
	tmp.Close()
	// go test puts its own GOROOT/bin first on PATH.
	cmd := exec.Command("go", "build", "-o", tmp.Name(), "../../cmd/pipegen")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		os.Remove(tmp.Name())
		return "", fmt.Errorf("go build ./cmd/pipegen: %v\n%s", err, out.String())
	}
	bin := filepath.Join(dir, "pipegen")
	if err := os.Rename(tmp.Name(), bin); err != nil {
		return "", err
	}
	return bin, nil
})

func buildPipegen(t testing.TB) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and runs the pipegen binary")
	}
	bin, err := pipegenBinary()
	if err != nil {
		t.Fatal(err)
	}
	return bin
}

// awsEnv is the environment for a pipegen process talking to srv through endpoint.
func awsEnv(srv *s3server.Server) []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "AWS_") || strings.HasPrefix(kv, "PIPEGEN_") {
			continue
		}
		env = append(env, kv)
	}
	return append(env,
		"AWS_ACCESS_KEY_ID="+srv.AccessKey, "AWS_SECRET_ACCESS_KEY="+srv.SecretKey,
		"AWS_REGION="+s3server.Region, "AWS_EC2_METADATA_DISABLED=true", "NO_COLOR=1")
}
