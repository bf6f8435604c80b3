package action

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/pipegen/pipegen/internal/faultproxy"
	"github.com/pipegen/pipegen/pkg/front50"
	"github.com/pipegen/pipegen/pkg/plan"
)

// rawEnv is a store under test with raw access below pipegen's abstraction.
type rawEnv struct {
	store    front50.Store
	prefix   string
	snapshot func(t testing.TB) map[string]string
	put      func(t testing.TB, key string, body []byte)
	proxy    *faultproxy.Proxy // S3 only: every request pipegen makes goes through it
}

func eachRawStore(t *testing.T, fn func(t *testing.T, env rawEnv)) {
	t.Run("file", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "front50")
		st, err := front50.Open(context.Background(), front50.Config{URL: "file://" + dir})
		if err != nil {
			t.Fatal(err)
		}
		fn(t, rawEnv{
			store:    st,
			snapshot: rawFile{dir: dir}.snapshot,
			put: func(t testing.TB, key string, body []byte) {
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
		px := newFaultProxy(t, srv)
		raw := rawS3{srv: srv, bucket: bucket, root: "front50"}
		fn(t, rawEnv{
			store:    s3StoreVia(t, srv, px.URL, bucket, "front50", nil),
			prefix:   "front50/",
			snapshot: raw.snapshot,
			put: func(t testing.TB, key string, body []byte) {
				if _, err := srv.Client().PutObject(context.Background(), &s3.PutObjectInput{Bucket: &bucket, Key: aws.String(key), Body: bytes.NewReader(body)}); err != nil {
					t.Fatal(err)
				}
			},
			proxy: px,
		})
	})
}

// Guarantee 4: whatever a plan holds, Apply never writes an object Front50 could not read. Each
// invalid object is refused with ErrInvalidObject before any request is sent; the valid ones
// of the same plan are written and last-modified.json is bumped with an integer.
func TestApplyNeverWritesInvalidObjects(t *testing.T) {
	valid := func(id string) map[string]any {
		return map[string]any{"id": id, "application": "app", "name": "ok-" + id[:4], "schema": "1", "triggers": []any{},
			"stages": []any{map[string]any{"refId": "1", "type": "wait", "waitTime": 1}}}
	}
	with := func(id string, edit func(map[string]any)) map[string]any {
		d := valid(id)
		edit(d)
		return d
	}
	const okID = "00000000-0000-4000-8000-000000000000"
	bad := []plan.Item{
		{ID: "10000000-0000-4000-8000-000000000001", Desired: with("10000000-0000-4000-8000-000000000001", func(d map[string]any) { delete(d, "name") })},
		{ID: "10000000-0000-4000-8000-000000000002", Desired: with("10000000-0000-4000-8000-000000000002", func(d map[string]any) { d["name"] = "   " })},
		{ID: "10000000-0000-4000-8000-000000000003", Desired: with("10000000-0000-4000-8000-000000000003", func(d map[string]any) { d["application"] = nil })},
		{ID: "10000000-0000-4000-8000-000000000004", Desired: with("10000000-0000-4000-8000-000000000004", func(d map[string]any) { d["lastModified"] = 1712345678901 })},
		{ID: "10000000-0000-4000-8000-000000000005", Desired: with("10000000-0000-4000-8000-000000000099", func(map[string]any) {})},
		{ID: "10000000-0000-4000-8000-000000000006", Desired: with("10000000-0000-4000-8000-000000000006", func(d map[string]any) { d["stages"] = "wait" })},
		{ID: "10000000-0000-4000-8000-000000000007", Desired: with("10000000-0000-4000-8000-000000000007", func(d map[string]any) { d["triggers"] = []any{"cron"} })},
		{ID: "10000000-0000-4000-8000-000000000008", Desired: with("10000000-0000-4000-8000-000000000008", func(d map[string]any) { d["index"] = "first" })},
		{ID: "10000000-0000-4000-8000-000000000009", Desired: with("10000000-0000-4000-8000-000000000009", func(d map[string]any) { d["id"] = nil })},
		{ID: "1000000A-0000-4000-8000-00000000000A", Desired: with("1000000A-0000-4000-8000-00000000000A", func(map[string]any) {})},
		{ID: "../escape", Desired: with("../escape", func(map[string]any) {})},
	}
	eachRawStore(t, func(t *testing.T, env rawEnv) {
		items := []plan.Item{{Action: plan.Create, ID: okID, Application: "app", Name: "ok", Desired: valid(okID)}}
		for i, it := range bad {
			it.Action, it.Application, it.Name = plan.Create, "app", "bad"
			if i%2 == 1 {
				it.Action, it.ETag = plan.Update, `"0123456789abcdef0123456789abcdef"`
			}
			items = append(items, it)
		}
		rep, err := Apply(context.Background(), env.store, &plan.Plan{Items: items}, SyncOptions{Now: func() time.Time { return time.UnixMilli(1_700_000_000_000) }})
		if err != nil {
			t.Fatal(err)
		}
		if len(rep.Done) != 1 || rep.Done[0].Item.ID != okID {
			t.Fatalf("done %+v", rep.Done)
		}
		if len(rep.Failed) != len(bad) {
			t.Fatalf("%d refused, want %d", len(rep.Failed), len(bad))
		}
		for _, o := range rep.Failed {
			if !errors.Is(o.Err, front50.ErrInvalidObject) {
				t.Errorf("%s: %v, want ErrInvalidObject", o.Item.ID, o.Err)
			}
		}
		snap := env.snapshot(t)
		if n := checkIntegrity(t, snap, env.prefix, false); n != 2 {
			t.Errorf("%d objects stored, want the valid pipeline and last-modified.json: %v", n, snapKeys(snap))
		}
		if !storeTimeNow(lastModifiedOf(snap, env.prefix)) {
			t.Errorf("last-modified.json = %q", snap[env.prefix+"pipelines/last-modified.json"])
		}
		if env.proxy != nil {
			n := env.proxy.Count(func(e faultproxy.Entry) bool {
				return e.Method == "PUT" && !strings.Contains(e.Key, okID) && !strings.HasSuffix(e.Key, "last-modified.json")
			})
			if n != 0 {
				t.Errorf("%d PUTs of invalid objects reached S3", n)
			}
		}
	})
}

// last-modified.json is always written as an integer that grows, whatever was there: a string
// or a float (which Front50 reads as 0), garbage, or a value ahead of the store's clock. The
// value is the store's time, not this machine's (whose clock the test sets years back).
func TestLastModifiedAlwaysAnInteger(t *testing.T) {
	const now = 1_700_000_000_000
	const storeTime = -1 // want: the store's clock, about the real time
	ahead := time.Now().Add(24 * time.Hour).UnixMilli()
	tests := []struct {
		name, before string
		want         int64
	}{
		{"absent", "", storeTime},
		{"string", `{"lastModified":"1712345678901"}`, storeTime},
		{"float", `{"lastModified":1.7e12}`, storeTime},
		{"garbage", `not json`, storeTime},
		{"ahead of the store's clock", fmt.Sprintf(`{"lastModified":%d}`, ahead), ahead + 1},
		{"behind", `{"lastModified":1600000000000}`, storeTime},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			eachRawStore(t, func(t *testing.T, env rawEnv) {
				if tc.before != "" {
					env.put(t, env.prefix+"pipelines/last-modified.json", []byte(tc.before))
				}
				r := newRepo(t, synthFiles(1, 1))
				rep := syncClean(t, r, env.store, DiffOptions{}, time.UnixMilli(now))
				snap := env.snapshot(t)
				checkIntegrity(t, snap, env.prefix, false)
				got := lastModifiedOf(snap, env.prefix)
				if tc.want == storeTime && got == rep.LastModified && storeTimeNow(got) {
					return
				}
				if got != tc.want || rep.LastModified != tc.want {
					t.Errorf("last-modified.json %q (report %d), want %d", snap[env.prefix+"pipelines/last-modified.json"], rep.LastModified, tc.want)
				}
			})
		})
	}
}

// storeTimeNow reports whether ms is the store's clock at about the time of the test: what a
// bump writes (never this machine's clock, which the tests set elsewhere).
func storeTimeNow(ms int64) bool { return time.Since(time.UnixMilli(ms)).Abs() < time.Minute }

func snapKeys(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
