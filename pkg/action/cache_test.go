package action

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/pipegen/pipegen/internal/bench"
	"github.com/pipegen/pipegen/pkg/front50"
)

func benchRepo(t *testing.T, services int) *repo {
	t.Helper()
	r := &repo{t: t, root: t.TempDir()}
	if err := bench.Generate(r.root, services, 1); err != nil {
		t.Fatal(err)
	}
	return r
}

func renderJSON(t *testing.T, r *repo, noCache bool) []byte {
	t.Helper()
	b, err := Render(context.Background(), r.config(nil), BuildOptions{NoCache: noCache})
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Problems) > 0 {
		t.Fatalf("problems:\n%s", problemsText(b))
	}
	return docsJSON(t, b)
}

// The decoded-render cache changes nothing but speed: cold, warm, after a template change and
// with a damaged cache, a render gives exactly what a render without the cache gives.
func TestRenderCacheGivesSameDocuments(t *testing.T) {
	r := benchRepo(t, 2)
	want := renderJSON(t, r, true)
	cacheDir := filepath.Join(r.root, ".pipegen", "cache")
	if _, err := os.Stat(cacheDir); !os.IsNotExist(err) {
		t.Fatalf("NoCache wrote a cache (%v)", err)
	}

	if got := renderJSON(t, r, false); !bytes.Equal(got, want) {
		t.Fatal("cold cache: documents differ from an uncached render")
	}
	packs, _ := filepath.Glob(filepath.Join(cacheDir, "decoded*.pack"))
	if len(packs) != 1 {
		t.Fatalf("decoded cache packs: %v", packs)
	}
	if got := renderJSON(t, r, false); !bytes.Equal(got, want) {
		t.Fatal("warm cache: documents differ from an uncached render")
	}

	// Every template changes: nothing stale may come back.
	if err := bench.WriteTemplates(r.root, 2); err != nil {
		t.Fatal(err)
	}
	want2 := renderJSON(t, r, true)
	if bytes.Equal(want2, want) {
		t.Fatal("the template change changed nothing; the test proves nothing")
	}
	if got := renderJSON(t, r, false); !bytes.Equal(got, want2) {
		t.Fatal("after a template change: the cache gave stale documents")
	}

	// A damaged pack is ignored.
	data, err := os.ReadFile(packs[0])
	if err != nil {
		t.Fatal(err)
	}
	for i := len(data) / 2; i < len(data); i += 97 {
		data[i] ^= 0x5a
	}
	if err := os.WriteFile(packs[0], data, 0o644); err != nil {
		t.Fatal(err)
	}
	if got := renderJSON(t, r, false); !bytes.Equal(got, want2) {
		t.Fatal("damaged cache: documents differ")
	}
}

// With the object cache, a diff after a sync reads nothing back, and an object changed behind
// pipegen's back is read again and shown as changed: never a stale plan.
func TestDiffObjectCacheNeverStale(t *testing.T) {
	r := lifecycleRepo(t)
	s, stats, srv, bucket := newS3Syncer(t, r)

	res := s.diff(DiffOptions{})
	if res.CacheDir == "" {
		t.Fatal("the diff used no cache")
	}
	rep, err := Apply(context.Background(), s.store, res.Plan, SyncOptions{DiffOptions: DiffOptions{CacheDir: res.CacheDir}})
	if err != nil || rep.Err() != nil {
		t.Fatalf("sync: %v %v", err, rep.Err())
	}

	gets := stats.Get
	res = s.diff(DiffOptions{})
	if res.Plan.HasChanges() {
		t.Fatalf("after sync: %+v", res.Plan.Counts)
	}
	if n := stats.Get - gets; n != 0 {
		t.Errorf("diff after sync read %d objects; the cache holds what sync wrote", n)
	}

	// Another writer changes one pipeline.
	id := res.Plan.Items[0].ID
	key := "front50/pipelines/" + id + "/pipeline-metadata.json"
	body, err := srv.Object(context.Background(), bucket, key)
	if err != nil {
		t.Fatal(err)
	}
	changed := strings.Replace(string(body), `"waitTime":5`, `"waitTime":6`, 1)
	if changed == string(body) {
		t.Fatalf("test setup: no waitTime 5 in %s", body)
	}
	if _, err := srv.Client().PutObject(context.Background(), &s3.PutObjectInput{Bucket: &bucket, Key: &key, Body: strings.NewReader(changed)}); err != nil {
		t.Fatal(err)
	}

	gets = stats.Get
	res = s.diff(DiffOptions{})
	if res.Plan.Counts.Update != 1 {
		t.Fatalf("after another writer's change: %+v, want 1 update", res.Plan.Counts)
	}
	if n := stats.Get - gets; n != 1 {
		t.Errorf("read %d objects, want exactly the changed one", n)
	}
	if st := res.State.ByID[id]; st == nil {
		t.Error("the state does not hold the changed object")
	} else if doc, err := res.State.Document(context.Background(), st); err != nil || !reflect.DeepEqual(doc, mustDecodeStored(t, changed)) {
		t.Errorf("the state does not hold the object as stored now (%v)", err)
	}

	// NoCache reads everything, and the changed pipeline once more to compare it (the
	// state holds summaries, see Diff).
	gets = stats.Get
	s.diff(DiffOptions{NoCache: true})
	if n := stats.Get - gets; n != int64(len(res.Plan.Items))+1 {
		t.Errorf("NoCache read %d objects, want %d", n, len(res.Plan.Items)+1)
	}
}

func mustDecodeStored(t testing.TB, body string) map[string]any {
	t.Helper()
	doc, err := front50.DecodeStored([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	return doc
}
