package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/pipegen/pipegen/internal/heapprof"
	"github.com/pipegen/pipegen/internal/s3server"
	"github.com/pipegen/pipegen/pkg/front50"
)

// Options configure a benchmark run.
type Options struct {
	Pipegen  string // the pipegen binary to measure
	Services []int  // repo sizes, in services (each service has PipelinesPerService pipelines)
	// Repeat runs the pipegen scenario this many times, each in a fresh bucket, for repos of
	// at most RepeatMax pipelines, and reports the median; bigger repos run once.
	Repeat, RepeatMax int
	// Baseline lists the repo sizes (services) on which the Python seed baseline runs; Python
	// is its interpreter and Script bench/seed_sync.py.
	Baseline       []int
	Python, Script string
	Env            []string // extra environment for pipegen, e.g. GOGC=400
	// HeapProfiles, when set, is a folder where each pipegen step writes a heap profile near
	// its peak (PIPEGEN_HEAPPROFILE), one file per step and size: <pipelines>-<step>.pprof.
	HeapProfiles string
	WorkDir      string // where repos and server data go; "" for a temporary folder
	Keep         bool   // keep WorkDir afterwards
	Log          io.Writer
}

// Step names, in scenario order. The cache is pipegen's .pipegen/cache in the repo.
const (
	StepRenderCold = "render (cold cache)"
	StepRenderWarm = "render (warm cache)"
	StepFirstSync  = "first sync: all creates (cold cache)"
	StepDiffCold   = "no-change diff (cold cache)"
	// A machine without a cache when the store holds no shared summaries either (a store no
	// pipegen sync has shared them in yet, or credentials that cannot read them).
	StepDiffBare    = "no-change diff (cold cache, no shared summaries)"
	StepDiffWarm    = "no-change diff (warm cache)"
	StepSyncNoop    = "no-change sync (warm cache)"
	StepChangedSync = "sync after a template change: all updates"
	// The embedded store (file://, the default .pipegen/front50 in the repo) on the work
	// folder's disk, emptied first.
	StepEmbeddedSync = "embedded store first sync: all creates (cold cache)"

	BaseFirstSync   = "seed sync(): all creates"
	BaseNoChange    = "seed sync(): no change"
	BaseChangedSync = "seed sync(): template change, all updates"
)

// Row is one measured step at one repo size.
type Row struct {
	Services, Pipelines int
	Step                string
	Baseline            bool // the Python seed baseline, not pipegen
	Runs                int
	M                   Measurement // the median run
}

// Report is a whole benchmark run.
type Report struct {
	Machine         Machine
	Pipegen         string // `pipegen version`
	Env             []string
	Rows            []Row
	HeapProfiles    string // the folder heap profiles were written to, "" when none were
	WorkFS          string // the file system the repos and the embedded store are on
	BaselineSkipped string // why the baseline did not run ("" if it did)
	Started         time.Time
	Took            time.Duration
	LoadBefore      string
	LoadAfter       string
}

// Run starts versitygw, runs every scenario and returns the measurements.
func Run(ctx context.Context, opt Options) (*Report, error) {
	if opt.Log == nil {
		opt.Log = io.Discard
	}
	if opt.Repeat < 1 {
		opt.Repeat = 1
	}
	pipegen, err := filepath.Abs(opt.Pipegen)
	if err != nil {
		return nil, err
	}
	rep := &Report{Machine: DescribeMachine(), Started: time.Now(), LoadBefore: loadAvg(), Env: opt.Env}
	if out, err := exec.CommandContext(ctx, pipegen, "version").Output(); err == nil {
		rep.Pipegen = strings.TrimSpace(string(out))
	} else {
		return nil, fmt.Errorf("run %s version: %w", pipegen, err)
	}

	work := opt.WorkDir
	if work == "" {
		if work, err = os.MkdirTemp("", "pipegen-bench-"); err != nil {
			return nil, err
		}
	}
	if !opt.Keep {
		defer os.RemoveAll(work)
	}
	rep.WorkFS = fsType(work)
	if opt.HeapProfiles != "" {
		if rep.HeapProfiles, err = filepath.Abs(opt.HeapProfiles); err != nil {
			return nil, err
		}
		if err := os.MkdirAll(rep.HeapProfiles, 0o755); err != nil {
			return nil, fmt.Errorf("heap profiles: %w", err)
		}
	}
	serverDir := filepath.Join(work, "s3")
	if err := os.MkdirAll(serverDir, 0o755); err != nil {
		return nil, err
	}
	srv, err := startServer(ctx, serverDir)
	if err != nil {
		return nil, fmt.Errorf("start versitygw: %w", err)
	}
	defer srv.close()
	fmt.Fprintf(opt.Log, "versitygw on %s (data in %s)\n", srv.Endpoint, serverDir)

	b := &bencher{opt: opt, pipegen: pipegen, srv: srv, log: &requestLog{path: srv.accessLog}, rep: rep}
	b.env = append(cleanEnv(srv.Server), opt.Env...)
	if why := b.baselineUsable(ctx); why != "" && len(opt.Baseline) > 0 {
		rep.BaselineSkipped = why
		fmt.Fprintf(opt.Log, "Python baseline skipped: %s\n", why)
	}

	for _, n := range opt.Services {
		repo := filepath.Join(work, fmt.Sprintf("repo-%d", n))
		if err := Generate(repo, n, 1); err != nil {
			return nil, err
		}
		if err := b.pipegenScenario(ctx, repo, n); err != nil {
			return nil, err
		}
		if rep.BaselineSkipped == "" && contains(opt.Baseline, n) {
			if err := b.baselineScenario(ctx, repo, n); err != nil {
				return nil, err
			}
		}
	}
	rep.Took = time.Since(rep.Started)
	rep.LoadAfter = loadAvg()
	return rep, nil
}

func contains(xs []int, x int) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

// cleanEnv is the environment every measured program gets: the server's credentials and no
// AWS configuration files or profiles from the machine, so nothing else is consulted.
func cleanEnv(srv *s3server.Server) []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "AWS_") || strings.HasPrefix(k, "PIPEGEN_") || k == "GOGC" || k == "GOMEMLIMIT" {
			continue
		}
		env = append(env, kv)
	}
	return append(env,
		"AWS_ACCESS_KEY_ID="+srv.AccessKey, "AWS_SECRET_ACCESS_KEY="+srv.SecretKey,
		"AWS_REGION="+s3server.Region, "AWS_CONFIG_FILE="+os.DevNull,
		"AWS_SHARED_CREDENTIALS_FILE="+os.DevNull, "NO_COLOR=1")
}

type bencher struct {
	opt     Options
	pipegen string
	srv     *server
	log     *requestLog
	env     []string
	rep     *Report
	buckets int
}

func (b *bencher) bucket(ctx context.Context, prefix string, n int) (string, error) {
	b.buckets++
	name := fmt.Sprintf("%s-%d-%d", prefix, n, b.buckets)
	return name, b.srv.CreateBucket(ctx, name)
}

var (
	appliedRe = regexp.MustCompile(`Applied: (\d+) created, (\d+) updated, (\d+) deleted`)
	summaryRe = regexp.MustCompile(`(\d+) to create, (\d+) to update, (\d+) to delete, (\d+) unchanged`)
)

// pipegenScenario measures every step, Repeat times for small repos, and records medians.
func (b *bencher) pipegenScenario(ctx context.Context, repo string, n int) error {
	p := n * PipelinesPerService()
	reps := 1
	if p <= b.opt.RepeatMax {
		reps = b.opt.Repeat
	}
	runs := map[string][]Measurement{}
	cacheDir := filepath.Join(repo, ".pipegen", "cache")
	embedded := filepath.Join(repo, ".pipegen", "front50") // config.DefaultStore
	for r := 0; r < reps; r++ {
		bucket, err := b.bucket(ctx, "pipegen", n)
		if err != nil {
			return err
		}
		storeArgs := []string{"-C", repo, "--store", "s3://" + bucket + "/front50", "--endpoint", b.srv.Endpoint}
		type stepRun struct {
			name, check string
			cold        bool
			args        []string
			before      func() error
			after       func() error
		}
		want := strconv.Itoa(p)
		plan := []stepRun{
			{name: StepRenderCold, cold: true, args: []string{"render", "-C", repo, "-o", "json"}},
			{name: StepRenderWarm, args: []string{"render", "-C", repo, "-o", "json"}},
			{name: StepFirstSync, cold: true, check: "created " + want, args: append([]string{"sync", "-q", "--allow-empty-store"}, storeArgs...)},
			{name: StepDiffCold, cold: true, check: "unchanged " + want, args: append([]string{"diff"}, storeArgs...)},
			{name: StepDiffBare, cold: true, check: "unchanged " + want, args: append([]string{"diff"}, storeArgs...),
				before: func() error { return removeSharedSummaries(ctx, b.srv.Server, bucket) }},
			{name: StepDiffWarm, check: "unchanged " + want, args: append([]string{"diff"}, storeArgs...)},
			{name: StepSyncNoop, check: "nothing", args: append([]string{"sync", "-q"}, storeArgs...)},
			{name: StepChangedSync, check: "updated " + want, args: append([]string{"sync", "-q"}, storeArgs...),
				before: func() error { return WriteTemplates(repo, 2) },
				after:  func() error { return WriteTemplates(repo, 1) }},
			// No --store: the repo's default, as a new user has it (exempt from the
			// empty-store check).
			{name: StepEmbeddedSync, cold: true, check: "created " + want, args: []string{"sync", "-q", "-C", repo},
				before: func() error { return os.RemoveAll(embedded) },
				after:  func() error { return countStored(embedded, p) }},
		}
		for _, s := range plan {
			if s.cold {
				if err := os.RemoveAll(cacheDir); err != nil {
					return err
				}
			}
			if s.before != nil {
				if err := s.before(); err != nil {
					return err
				}
			}
			env, profile, err := b.profileEnv(p, s.name)
			if err != nil {
				return err
			}
			outPath, m, err := run(ctx, b.log, env, repo, b.pipegen, s.args...)
			if err != nil {
				os.Remove(outPath)
				return fmt.Errorf("%d services, %s: %w", n, s.name, err)
			}
			if err := checkOutput(outPath, s.check, s.name == StepRenderCold || s.name == StepRenderWarm, p); err != nil {
				return fmt.Errorf("%d services, %s: %w", n, s.name, err)
			}
			if err := checkProfile(profile); err != nil {
				return fmt.Errorf("%d services, %s: %w", n, s.name, err)
			}
			if s.after != nil {
				if err := s.after(); err != nil {
					return err
				}
			}
			runs[s.name] = append(runs[s.name], m)
			fmt.Fprintf(b.opt.Log, "  %5d pipelines  %-52s %7.3fs  cpu %6.3fs  %4d MB  %s\n", p, s.name, m.Wall.Seconds(), m.CPU.Seconds(), m.MaxRSS>>20, m.Requests)
		}
	}
	for _, s := range PipegenSteps {
		b.rep.Rows = append(b.rep.Rows, Row{Services: n, Pipelines: p, Step: s, Runs: len(runs[s]), M: median(runs[s])})
	}
	return nil
}

// removeSharedSummaries deletes the summaries the first sync shared, which must be there.
func removeSharedSummaries(ctx context.Context, srv *s3server.Server, bucket string) error {
	key := "front50/" + front50.SummariesName
	if _, err := srv.Object(ctx, bucket, key); err != nil {
		return fmt.Errorf("the first sync shared no summaries: %w", err)
	}
	_, err := srv.Client().DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &bucket, Key: &key})
	return err
}

// PipegenSteps are the pipegen steps, in the order the tables show them.
var PipegenSteps = []string{StepRenderCold, StepRenderWarm, StepFirstSync, StepDiffCold, StepDiffBare, StepDiffWarm, StepSyncNoop, StepChangedSync, StepEmbeddedSync}

// profileEnv is the environment of one step: with PIPEGEN_HEAPPROFILE naming its profile
// (returned, "" when none is asked for), removed first so that a stale one cannot pass for it.
func (b *bencher) profileEnv(pipelines int, step string) ([]string, string, error) {
	if b.rep.HeapProfiles == "" {
		return b.env, "", nil
	}
	path := filepath.Join(b.rep.HeapProfiles, ProfileName(pipelines, step))
	if err := os.Remove(path); err != nil && !os.IsNotExist(err) {
		return nil, "", err
	}
	return append(append([]string(nil), b.env...), heapprof.EnvVar+"="+path), path, nil
}

// ProfileName is the file name of a step's heap profile: "10008-no-change-diff-cold-cache.pprof".
func ProfileName(pipelines int, step string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(step) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			b.WriteRune(r)
			dash = false
		} else {
			dash = true
		}
	}
	return fmt.Sprintf("%d-%s.pprof", pipelines, b.String())
}

// countStored makes sure the embedded store at dir holds the pipelines a first sync reported
// created, so that the step cannot have written them elsewhere.
func countStored(dir string, want int) error {
	got, err := filepath.Glob(filepath.Join(dir, "pipelines", "*", "pipeline-metadata.json"))
	if err != nil {
		return err
	}
	if len(got) != want {
		return fmt.Errorf("the embedded store %s holds %d pipelines, want %d", dir, len(got), want)
	}
	return nil
}

// checkProfile makes sure the step wrote the heap profile it was asked for: a pipegen built
// before PIPEGEN_HEAPPROFILE existed writes none.
func checkProfile(path string) error {
	if path == "" {
		return nil
	}
	st, err := os.Stat(path)
	if err != nil || st.Size() == 0 {
		return fmt.Errorf("no heap profile written to %s (does this pipegen read %s?)", path, heapprof.EnvVar)
	}
	return nil
}

// checkOutput makes sure a step did what it is named for, so that a broken build is not
// measured as a fast one.
func checkOutput(outPath string, check string, isRender bool, pipelines int) error {
	if isRender {
		defer os.Remove(outPath)
		n, err := countArray(outPath)
		if err != nil {
			return fmt.Errorf("render output is not a JSON array: %w", err)
		}
		if n != pipelines {
			return fmt.Errorf("rendered %d pipelines, want %d", n, pipelines)
		}
		return nil
	}
	out, err := readOutput(outPath)
	if err != nil {
		return err
	}
	kind, want, _ := strings.Cut(check, " ")
	text := string(out)
	var got string
	switch kind {
	case "nothing":
		if !strings.Contains(text, "Nothing to do") {
			return fmt.Errorf("a sync with nothing changed did something:\n%s", tail(text, 500))
		}
		return nil
	case "created", "updated":
		m := appliedRe.FindStringSubmatch(text)
		if m == nil {
			return fmt.Errorf("no \"Applied:\" line in the output:\n%s", tail(text, 500))
		}
		got = map[string]string{"created": m[1], "updated": m[2]}[kind]
	case "unchanged":
		m := summaryRe.FindStringSubmatch(text)
		if m == nil {
			return fmt.Errorf("no summary line in the output:\n%s", tail(text, 500))
		}
		if m[1] != "0" || m[2] != "0" || m[3] != "0" {
			return fmt.Errorf("the diff has changes: %s", m[0])
		}
		got = m[4]
	}
	if got != want {
		return fmt.Errorf("%s %s pipelines, want %s", kind, got, want)
	}
	return nil
}

// baselineUsable says why the Python baseline cannot run ("" when it can).
func (b *bencher) baselineUsable(ctx context.Context) string {
	if b.opt.Python == "" || b.opt.Script == "" {
		return "no interpreter or script given"
	}
	if _, err := os.Stat(b.opt.Script); err != nil {
		return fmt.Sprintf("%s not found", b.opt.Script)
	}
	cmd := exec.CommandContext(ctx, b.opt.Python, "-c", "import jinja2, yaml, boto3, deepdiff")
	if out, err := cmd.CombinedOutput(); err != nil {
		msg := strings.TrimSpace(string(out))
		if i := strings.LastIndex(msg, "\n"); i >= 0 {
			msg = msg[i+1:]
		}
		if msg == "" {
			msg = err.Error()
		}
		return fmt.Sprintf("%s cannot import jinja2, yaml, boto3 and deepdiff (%s); on Debian: apt-get install python3-jinja2 python3-yaml python3-boto3 python3-deepdiff", b.opt.Python, msg)
	}
	return ""
}

type baselineResult struct {
	Pipelines int `json:"pipelines"`
	Changed   int `json:"changed"`
}

// baselineScenario runs the seed's sync() three times: into an empty bucket, again with
// nothing changed, and after the same template change pipegen's scenario makes.
func (b *bencher) baselineScenario(ctx context.Context, repo string, n int) error {
	p := n * PipelinesPerService()
	bucket, err := b.bucket(ctx, "seed", n)
	if err != nil {
		return err
	}
	script, err := filepath.Abs(b.opt.Script)
	if err != nil {
		return err
	}
	args := []string{script, "--repo", repo, "--bucket", bucket, "--endpoint", b.srv.Endpoint}
	for _, s := range []struct {
		name    string
		changed int
		rev     int
	}{{BaseFirstSync, p, 1}, {BaseNoChange, 0, 1}, {BaseChangedSync, p, 2}} {
		if err := WriteTemplates(repo, s.rev); err != nil {
			return err
		}
		outPath, m, err := run(ctx, b.log, b.env, repo, b.opt.Python, args...)
		out, rerr := readOutput(outPath)
		if err == nil {
			err = rerr
		}
		if err != nil {
			return fmt.Errorf("%d services, %s: %w", n, s.name, err)
		}
		var res baselineResult
		if err := json.Unmarshal(out, &res); err != nil {
			return fmt.Errorf("%d services, %s: output %q: %w", n, s.name, tail(string(out), 300), err)
		}
		if res.Pipelines != p || res.Changed != s.changed {
			return fmt.Errorf("%d services, %s: %d pipelines, %d changed; want %d and %d", n, s.name, res.Pipelines, res.Changed, p, s.changed)
		}
		b.rep.Rows = append(b.rep.Rows, Row{Services: n, Pipelines: p, Step: s.name, Baseline: true, Runs: 1, M: m})
		fmt.Fprintf(b.opt.Log, "  %5d pipelines  %-52s %7.3fs  cpu %6.3fs  %4d MB  %s\n", p, s.name, m.Wall.Seconds(), m.CPU.Seconds(), m.MaxRSS>>20, m.Requests)
	}
	return WriteTemplates(repo, 1)
}
