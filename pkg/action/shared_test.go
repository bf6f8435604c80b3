package action

import (
	"bytes"
	"context"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/pipegen/pipegen/internal/cache"
	"github.com/pipegen/pipegen/pkg/front50"
	"github.com/pipegen/pipegen/pkg/plan"
)

// A diff on a machine with an empty cache starts from the summaries the last sync shared in
// the store, and plans exactly what a diff that reads every object plans, whatever other
// writers did to the objects or to the shared copy since. A diff never writes the copy; a sync
// writes it when it learnt something.
func TestSharedSummariesPlanAsFullRead(t *testing.T) {
	ctx := context.Background()
	r := benchRepo(t, 2)
	s, stats, srv, bucket := newS3Syncer(t, r)
	sharedKey := "front50/" + front50.SummariesName
	shared := func() []byte {
		b, err := srv.Object(ctx, bucket, sharedKey)
		if err != nil {
			t.Fatalf("the shared summaries: %v", err)
		}
		return b
	}
	putShared := func(b []byte) {
		if _, err := srv.Client().PutObject(ctx, &s3.PutObjectInput{Bucket: &bucket, Key: &sharedKey, Body: bytes.NewReader(b)}); err != nil {
			t.Fatal(err)
		}
	}
	newMachine := func() DiffOptions { return DiffOptions{CacheDir: t.TempDir()} }

	s.sync(newMachine())
	published := shared()
	checkSharedSummaries(t, s.store)

	// A new machine reads no pipeline, and writes nothing.
	gets := stats.Get
	res := s.diff(newMachine())
	if res.Plan.HasChanges() || res.Plan.Counts.Unchanged == 0 {
		t.Fatalf("diff after sync on a new machine: %+v", res.Plan.Counts)
	}
	if n := stats.Get - gets; n != 0 {
		t.Errorf("a new machine read %d pipelines; the shared summaries hold all", n)
	}
	_ = res.Close()
	if !bytes.Equal(shared(), published) {
		t.Error("a diff changed the shared summaries")
	}
	// A sync that writes nothing and learns nothing leaves the copy alone.
	s.sync(newMachine())
	if !bytes.Equal(shared(), published) {
		t.Error("a sync that learnt nothing rewrote the shared summaries")
	}

	compare := func(what string) {
		t.Helper()
		for _, prune := range []bool{false, true} {
			want := planView(t, s.diff(DiffOptions{KeepDocuments: true, Prune: prune, NoCache: true}).Plan)
			streamed := s.diff(DiffOptions{CacheDir: t.TempDir(), Prune: prune})
			got := planView(t, streamed.Plan)
			_ = streamed.Close()
			if len(got) != len(want) {
				t.Fatalf("%s, prune %v: %d items from shared summaries, %d from reading all", what, prune, len(got), len(want))
			}
			for i := range got {
				if got[i] != want[i] {
					t.Fatalf("%s, prune %v: the plan from shared summaries differs:\n got %s\nwant %s", what, prune, got[i], want[i])
				}
			}
		}
	}

	for round := range 3 {
		// Other writers edit the objects behind the shared copy.
		editStoredLikeUI(t, s.store, rand.New(rand.NewPCG(uint64(round), 61)), 1)
		compare("after edits")
		syncDir := t.TempDir()
		_, rep := s.sync(DiffOptions{CacheDir: syncDir})
		if len(rep.Done) == 0 || rep.SummariesErr != nil {
			t.Fatalf("round %d: sync wrote %d (%v)", round, len(rep.Done), rep.SummariesErr)
		}
		if bytes.Equal(shared(), published) {
			t.Fatalf("round %d: a sync that wrote did not share what it wrote", round)
		}
		published = shared()
		checkSharedSummaries(t, s.store)
		// A new machine reads what the syncing one would read without its object cache: the
		// pipelines whose digest cannot show them unchanged (stages the UI reordered).
		gets := stats.Get
		if res := s.diff(newMachine()); res.Plan.HasChanges() {
			t.Fatalf("round %d: after sync: %+v", round, res.Plan.Counts)
		}
		fresh := stats.Get - gets
		objects, _ := filepath.Glob(filepath.Join(syncDir, "objects-*.pack"))
		for _, f := range objects {
			if err := os.Remove(f); err != nil {
				t.Fatal(err)
			}
		}
		gets = stats.Get
		res := s.diff(DiffOptions{CacheDir: syncDir})
		if own := stats.Get - gets; fresh != own || int(fresh) >= res.Plan.Counts.Unchanged/2 {
			t.Errorf("round %d: after sync a new machine read %d pipelines, the syncing one %d of %d", round, fresh, own, res.Plan.Counts.Unchanged)
		}
		_ = res.Close()
	}

	// The shared copy itself damaged, or replaced by an older one: still the same plans.
	old := append([]byte(nil), published...)
	editStoredLikeUI(t, s.store, rand.New(rand.NewPCG(7, 7)), 0.5)
	compare("an old shared copy")
	for _, at := range []int{30, len(old) / 2, len(old) - 3} {
		damaged := append([]byte(nil), old...)
		damaged[at] ^= 0x01
		putShared(damaged)
		compare("a damaged shared copy")
	}
	putShared([]byte("not a pack"))
	compare("a shared copy that is not a pack")
}

// sync --plan on a machine without a cache (diff --out on one CI runner, sync --plan on
// another) adds what it writes to the shared summaries: it never replaces them with only that.
func TestSavedPlanOnNewMachineKeepsSharedSummaries(t *testing.T) {
	r := lifecycleRepo(t)
	s, stats, _, _ := newS3Syncer(t, r)
	s.sync(DiffOptions{CacheDir: t.TempDir()})
	r.write("services/a.yaml", "name: a\nvars: {wait: 31}\nstacks:\n  dev: {pipelines: [wait]}\n  prod: {pipelines: [wait]}\n")
	res, f := s.savePlan(DiffOptions{CacheDir: t.TempDir()})
	if res.Plan.Counts.Update == 0 || res.Plan.Counts.Unchanged == 0 {
		t.Fatalf("plan counts %+v, want updates and unchanged pipelines", res.Plan.Counts)
	}
	s.now = s.now.Add(time.Second)
	rep, err := ApplyPlan(context.Background(), s.cfg(), s.store, f, SyncOptions{DiffOptions: DiffOptions{CacheDir: t.TempDir()}, Now: func() time.Time { return s.now }})
	if err != nil || rep.Err() != nil || rep.SummariesErr != nil {
		t.Fatalf("sync --plan: %v %v %v", err, rep.Err(), rep.SummariesErr)
	}
	checkSharedSummaries(t, s.store)
	gets := stats.Get
	if res := s.diff(DiffOptions{CacheDir: t.TempDir()}); res.Plan.HasChanges() {
		t.Fatalf("after sync --plan: %+v", res.Plan.Counts)
	}
	if n := stats.Get - gets; n != 0 {
		t.Errorf("a new machine read %d pipelines after sync --plan; the shared summaries lost some", n)
	}
}

// checkSharedSummaries compares what a machine with an empty cache takes from the shared
// summaries a sync has just written with what summarising every stored object gives: there
// must be one for every pipeline, exactly the object's.
func checkSharedSummaries(t *testing.T, store front50.Store) {
	t.Helper()
	ctx := context.Background()
	cs := cachedStore(store, cache.Open(t.TempDir()), true)
	sc, ok := cs.(front50.SummaryCache)
	if !ok {
		t.Fatalf("%T keeps no summaries", cs)
	}
	counted, stats := front50.Counted(cs)
	shared, err := front50.LoadWith(ctx, counted, front50.LoadOptions{Summarize: plan.Summarize, Summaries: sc})
	if err != nil {
		t.Fatal(err)
	}
	read, err := front50.LoadWith(ctx, store, front50.LoadOptions{Summarize: plan.Summarize})
	if err != nil {
		t.Fatal(err)
	}
	if len(shared.Pipelines) != len(read.Pipelines) || len(shared.Pipelines) == 0 {
		t.Fatalf("%d pipelines from shared summaries, %d read", len(shared.Pipelines), len(read.Pipelines))
	}
	for i, p := range shared.Pipelines {
		q := read.Pipelines[i]
		if p.ID != q.ID || !reflect.DeepEqual(p.Doc, q.Doc) || !bytes.Equal(p.Digest, q.Digest) || !front50.SameETag(p.ETag, q.ETag) {
			t.Fatalf("pipeline %s: shared summary %v %x (%s), read %v %x (%s)", p.ID, p.Doc, p.Digest, p.ETag, q.Doc, q.Digest, q.ETag)
		}
	}
	if stats.Get != 0 {
		t.Fatalf("%d of %d pipelines were read: the shared copy a sync just wrote should hold them all", stats.Get, len(read.Pipelines))
	}
}
