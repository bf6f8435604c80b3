package action

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/pipegen/pipegen/internal/faultproxy"
	"github.com/pipegen/pipegen/internal/s3server"
	"github.com/pipegen/pipegen/pkg/front50"
)

func newFaultProxy(t testing.TB, srv *s3server.Server) *faultproxy.Proxy {
	t.Helper()
	px, err := faultproxy.New(srv.Endpoint)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(px.Close)
	return px
}

// faultFigures is what TestSyncUnderS3Faults measured, for docs/GUARANTEES.md.
type faultFigures struct {
	runs, diffFailed, complete, partial int
	requests, faults                    int64
	byKind                              map[faultproxy.Kind]int64
	written, reportedFailed, notStarted int
	objectsChecked, converged           int
}

func (f *faultFigures) String() string {
	var kinds []string
	for k, n := range f.byKind {
		kinds = append(kinds, fmt.Sprintf("%s %d", k, n))
	}
	sort.Strings(kinds)
	return fmt.Sprintf("%d faulty syncs: %d requests, %d faults injected (%s); %d runs failed before writing (store untouched), %d complete, %d partial (%d pipelines written, %d failed and named, %d not started); %d objects read back and validated; %d re-runs converged; none lost or corrupted (the test stops at the first)",
		f.runs, f.requests, f.faults, strings.Join(kinds, ", "), f.diffFailed, f.complete, f.partial,
		f.written, f.reportedFailed, f.notStarted, f.objectsChecked, f.converged)
}

func writesOnly(p faultproxy.Policy) faultproxy.Policy {
	return func(r faultproxy.Request) faultproxy.Kind {
		if r.Method == "PUT" || r.Method == "DELETE" {
			return p(r)
		}
		return faultproxy.Pass
	}
}

// faultScenario varies the fault rate, the retry budget and throttling with the seed, so that
// some runs recover from every fault and others run out of attempts and must report it.
func faultScenario(seed int) (rate float64, attempts, maxInFlight int) {
	rate = []float64{0.05, 0.15, 0.3}[seed%3]
	attempts = 5
	if seed%4 == 0 {
		attempts = 3
	}
	if seed%5 == 0 {
		maxInFlight = 3
	}
	return rate, attempts, maxInFlight
}

// Guarantee 1: through an S3 that fails, drops, cuts and stalls requests, a sync either
// succeeds or says exactly which pipelines it did not write; no object is ever half-written
// or invalid; a clean re-run converges.
func TestSyncUnderS3Faults(t *testing.T) {
	srv, bucket := testS3.Bucket(t)
	px := newFaultProxy(t, srv)
	v1 := newRepo(t, synthFiles(8, 1))
	v2 := newRepo(t, synthFiles(8, 2))
	iterations := 36
	if testing.Short() {
		iterations = 6
	}
	ctx := context.Background()
	fig := &faultFigures{byKind: map[faultproxy.Kind]int64{}}
	for seed := 1; seed <= iterations; seed++ {
		root := fmt.Sprintf("faults-%03d", seed)
		prefix := root + "/"
		raw := rawS3{srv: srv, bucket: bucket, root: root}
		direct := s3StoreVia(t, srv, srv.Endpoint, bucket, root, nil)
		now := time.UnixMilli(1_700_000_000_000 + int64(seed)*100_000)
		syncClean(t, v1, direct, DiffOptions{Prune: true}, now)

		rate, attempts, maxInFlight := faultScenario(seed)
		faulty := s3StoreVia(t, srv, px.URL, bucket, root, func(c *front50.Config) {
			c.MaxAttempts = attempts
			c.AttemptTimeout = 300 * time.Millisecond
		})
		before := raw.snapshot(t)
		px.Reset()
		// Transient faults on any request; now and then a 403 on a write, as when a bucket
		// policy denies one prefix.
		px.SetPolicy(faultproxy.Chain(
			writesOnly(faultproxy.Seeded(uint64(seed)<<32, 0.02, faultproxy.Forbidden)),
			faultproxy.Seeded(uint64(seed), rate, faultproxy.Faults...)))
		px.SetMaxInFlight(maxInFlight)
		runNow := now.Add(time.Second)
		opt := DiffOptions{Prune: true, Concurrency: 8}
		res, err := Diff(ctx, v2.config(nil), faulty, opt)
		var rep *Report
		if err == nil {
			if len(res.Build.Problems) > 0 {
				t.Fatal(problemsText(res.Build))
			}
			rep, err = Apply(ctx, faulty, res.Plan, SyncOptions{DiffOptions: opt, Now: func() time.Time { return runNow }})
		}
		px.SetPolicy(nil)
		px.SetMaxInFlight(0)
		fig.runs++
		fig.requests += int64(len(px.Log()))
		for k, n := range px.Injected() {
			fig.byKind[k] += n
			fig.faults += n
		}

		after := raw.snapshot(t)
		fig.objectsChecked += checkIntegrity(t, after, prefix, false)
		switch {
		case err != nil:
			// Reading the store failed: nothing may have been written, and the error says where.
			fig.diffFailed++
			if !equalMaps(before, after) {
				t.Errorf("seed %d: a sync that failed before writing changed the store", seed)
			}
			if !strings.Contains(err.Error(), "s3://"+bucket) {
				t.Errorf("seed %d: error does not name the store: %v", seed, err)
			}
		default:
			checkReport(t, res.Plan, rep, expectedBodies(t, res.Plan, runNow), byID(before, prefix), byID(after, prefix))
			lmBefore, lmAfter := lastModifiedOf(before, prefix), lastModifiedOf(after, prefix)
			switch {
			case len(rep.Done) > 0 && rep.BumpErr == nil:
				if lmAfter != rep.LastModified || lmAfter <= lmBefore {
					t.Errorf("seed %d: last-modified.json %d -> %d, report says %d", seed, lmBefore, lmAfter, rep.LastModified)
				}
			case len(rep.Done) == 0:
				if lmAfter != lmBefore {
					t.Errorf("seed %d: nothing written but last-modified.json moved %d -> %d", seed, lmBefore, lmAfter)
				}
			}
			if rep.Err() == nil {
				fig.complete++
			} else {
				fig.partial++
			}
			fig.written += len(rep.Done)
			fig.reportedFailed += len(rep.Failed)
			fig.notStarted += len(rep.NotStarted)
		}

		// Whatever happened, a run without faults converges to a clean diff.
		syncClean(t, v2, direct, DiffOptions{Prune: true}, runNow.Add(time.Second))
		fig.converged++
		fig.objectsChecked += checkIntegrity(t, raw.snapshot(t), prefix, false)
		if t.Failed() {
			t.Fatalf("seed %d (rate %.2f, %d attempts, max in flight %d) broke a guarantee; faults: %v", seed, rate, attempts, maxInFlight, px.Injected())
		}
	}
	if fig.faults == 0 || fig.partial+fig.diffFailed == 0 || fig.complete == 0 {
		t.Errorf("the scenarios did not exercise both outcomes: %s", fig)
	}
	t.Logf("FIGURES faults: %s", fig)
}

// A 403 is final: the pipeline is reported failed after one attempt, the others are written
// and last-modified.json is bumped.
func TestSyncPermissionDeniedNotRetried(t *testing.T) {
	srv, bucket := testS3.Bucket(t)
	px := newFaultProxy(t, srv)
	r := newRepo(t, synthFiles(3, 1))
	store := s3StoreVia(t, srv, px.URL, bucket, "front50", nil)
	ctx := context.Background()
	res, err := Diff(ctx, r.config(nil), store, DiffOptions{})
	if err != nil {
		t.Fatal(err)
	}
	denied := itemNamed(t, res.Plan, "svc-001", "deploy-prod")
	deniedKey := denied.ID + "/pipeline-metadata.json"
	px.SetPolicy(faultproxy.OnKey("PUT", deniedKey, faultproxy.Forbidden))
	rep, err := Apply(ctx, store, res.Plan, SyncOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Failed) != 1 || rep.Failed[0].Item.ID != denied.ID || !errors.Is(rep.Failed[0].Err, front50.ErrAccessDenied) {
		t.Fatalf("failed = %+v, want only %s with access denied", rep.Failed, denied.Name)
	}
	if !strings.Contains(rep.Failed[0].Err.Error(), "svc-001/deploy-prod") {
		t.Errorf("the failure does not name the pipeline: %v", rep.Failed[0].Err)
	}
	if n := px.Count(func(e faultproxy.Entry) bool { return e.Method == "PUT" && strings.HasSuffix(e.Key, deniedKey) }); n != 1 {
		t.Errorf("%d PUTs of the denied key, want 1 (a 403 is not retried)", n)
	}
	if len(rep.Done) != len(res.Plan.Items)-1 || rep.LastModified == 0 || rep.BumpErr != nil {
		t.Errorf("done %d of %d, last-modified %d (%v)", len(rep.Done), len(res.Plan.Items), rep.LastModified, rep.BumpErr)
	}
	if rep.Err() == nil {
		t.Error("a sync with a failed pipeline reports success")
	}
	px.SetPolicy(nil)
	syncClean(t, r, store, DiffOptions{}, time.Now())
}

// Retries stop after the configured attempts, with growing waits in between.
func TestSyncRetriesBoundedWithBackoff(t *testing.T) {
	srv, bucket := testS3.Bucket(t)
	px := newFaultProxy(t, srv)
	r := newRepo(t, synthFiles(1, 1))
	const attempts, base = 5, 20 * time.Millisecond
	store := s3StoreVia(t, srv, px.URL, bucket, "front50", func(c *front50.Config) {
		c.MaxAttempts = attempts
		c.RetryBaseDelay = base
	})
	ctx := context.Background()
	res, err := Diff(ctx, r.config(nil), store, DiffOptions{})
	if err != nil {
		t.Fatal(err)
	}
	target := itemNamed(t, res.Plan, "svc-000", "verify-prod")
	key := target.ID + "/pipeline-metadata.json"
	px.SetPolicy(faultproxy.OnKey("PUT", key, faultproxy.SlowDown))
	rep, err := Apply(ctx, store, res.Plan, SyncOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Failed) != 1 || rep.Failed[0].Item.ID != target.ID || !strings.Contains(rep.Failed[0].Err.Error(), fmt.Sprintf("giving up after %d attempts", attempts)) {
		t.Fatalf("failed = %+v", rep.Failed)
	}
	var times []time.Time
	for _, e := range px.Log() {
		if e.Method == "PUT" && strings.HasSuffix(e.Key, key) {
			times = append(times, e.Time)
		}
	}
	if len(times) != attempts {
		t.Fatalf("%d attempts reached the server, want %d", len(times), attempts)
	}
	// Backoff before attempt n+1 is in [d/2, d) for d = base·2^(n-1): the gaps have a floor
	// that doubles.
	for i := 1; i < len(times); i++ {
		floor := (base << (i - 1)) / 2
		if gap := times[i].Sub(times[i-1]); gap < floor {
			t.Errorf("gap before attempt %d is %v, want at least %v", i+1, gap, floor)
		}
	}
}

// A cancelled context stops a run that is waiting on a stalled S3 promptly, and nothing is
// written.
func TestSyncFaultsHonourCancellation(t *testing.T) {
	srv, bucket := testS3.Bucket(t)
	px := newFaultProxy(t, srv)
	r := newRepo(t, synthFiles(2, 1))
	store := s3StoreVia(t, srv, px.URL, bucket, "front50", func(c *front50.Config) {
		c.AttemptTimeout = time.Minute
		c.RetryBaseDelay = time.Minute
	})
	px.SetPolicy(func(faultproxy.Request) faultproxy.Kind { return faultproxy.Stall })
	px.SetStallLimit(time.Minute)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := Diff(ctx, r.config(nil), store, DiffOptions{})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("error %v, want the context's", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Fatalf("took %v after the context ended", d)
	}
	px.SetPolicy(nil)
	if keys := (rawS3{srv: srv, bucket: bucket, root: "front50"}).keys(t); len(keys) != 0 {
		t.Fatalf("wrote %v", keys)
	}
}

// A listing whose XML body breaks off is read again, like any other cut body.
func TestSyncRetriesCutListing(t *testing.T) {
	srv, bucket := testS3.Bucket(t)
	px := newFaultProxy(t, srv)
	r := newRepo(t, synthFiles(2, 1))
	store := s3StoreVia(t, srv, px.URL, bucket, "front50", nil)
	syncClean(t, r, store, DiffOptions{}, time.Now())
	px.Reset()
	px.SetPolicy(func(req faultproxy.Request) faultproxy.Kind {
		if req.Method == "GET" && req.Key == "" && req.Occurrence == 0 {
			return faultproxy.CutBody
		}
		return faultproxy.Pass
	})
	res, err := Diff(context.Background(), r.config(nil), store, DiffOptions{})
	if err != nil {
		t.Fatalf("a cut listing was not retried: %v", err)
	}
	// Both listings are cut once: the pipelines' and the applications'.
	if res.Plan.HasChanges() || px.Injected()[faultproxy.CutBody] != 2 {
		t.Fatalf("plan %+v %+v, faults %v", res.Plan.Counts, res.Plan.AppCounts, px.Injected())
	}
}
