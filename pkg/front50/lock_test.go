package front50

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// Front50's ObjectType groups (front50-core model/ObjectType.java). Front50 lists each with
// the prefix "<root>/<group>", without a trailing slash.
var front50Groups = []string{"projects", "pipelines", "pipeline-strategies", "pipeline-templates",
	"notifications", "serviceAccounts", "applications", "snapshots", "tags", "delivery",
	"pluginInfo", "pluginVersions"}

func TestLockKeyOutsideFront50Listings(t *testing.T) {
	for _, root := range []string{"front50", "", "/", "a/b/", "pipelines"} {
		lay := layout{root: root}
		testKeyOutsideFront50Listings(t, root, lay, lay.lockKey())
		testKeyOutsideFront50Listings(t, root, lay, lay.summariesKey())
	}
}

// testKeyOutsideFront50Listings checks that a key of pipegen's own lies in the root folder,
// outside every folder Front50 lists, and is not taken for Front50 data (HasData).
func testKeyOutsideFront50Listings(t *testing.T, root string, lay layout, key string) {
	t.Helper()
	if strings.HasSuffix(key, ".json") {
		t.Errorf("root %q: key %q ends in .json, which HasData takes for Front50 data", root, key)
	}
	for _, g := range front50Groups {
		prefix := strings.ReplaceAll(root+"/"+g, "//", "/")
		if strings.HasPrefix(key, prefix) {
			t.Errorf("root %q: key %q is inside Front50's listing prefix %q", root, key, prefix)
		}
	}
	if !strings.HasPrefix(key, lay.dataPrefix()) {
		t.Errorf("root %q: key %q is outside the root folder %q", root, key, lay.dataPrefix())
	}
}

func lockStores(t *testing.T, fn func(t *testing.T, s Store)) {
	t.Run("file", func(t *testing.T) { fn(t, newFileStore(t)) })
	t.Run("s3", func(t *testing.T) {
		st, _ := newS3Store(t)
		fn(t, st)
	})
}

func testInfo(id string) LockInfo {
	return LockInfo{ID: id, Who: "alice", Host: "ci-1", PID: 42, Created: time.Date(2026, 11, 26, 14, 0, 0, 0, time.UTC), Command: "pipegen sync --prune"}
}

// The lock's contract on both stores: one holder, the holder named, a release that only
// removes its own lock, and nothing Front50 lists.
func TestLockContract(t *testing.T) {
	ctx := context.Background()
	lockStores(t, func(t *testing.T, s Store) {
		l, ok := LockerOf(s)
		if !ok {
			t.Fatalf("%T is not a Locker", s)
		}
		if held, err := ReadHeld(ctx, l); err != nil || held != nil {
			t.Fatalf("ReadHeld on a new store = %v, %v", held, err)
		}
		a, err := TryLock(ctx, l, testInfo("lock-a"))
		if err != nil {
			t.Fatal(err)
		}
		_, err = TryLock(ctx, l, testInfo("lock-b"))
		var held *HeldError
		if !errors.As(err, &held) || held.Info != a.Info {
			t.Fatalf("second TryLock = %v, want HeldError naming lock-a", err)
		}
		for _, want := range []string{"lock-a", "alice", "ci-1", "pid 42", "2026-11-26T14:00:00Z", "pipegen sync --prune"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("%q does not say %q", err, want)
			}
		}
		// Front50 sees no pipeline, and the lock is not Front50 data.
		if infos, err := s.List(ctx); err != nil || len(infos) != 0 {
			t.Errorf("List with only the lock = %v, %v", infos, err)
		}
		if has, err := l.HasData(ctx); err != nil || has {
			t.Errorf("HasData with only the lock = %v, %v", has, err)
		}
		raw := rawObjects(t, s)
		if _, ok := raw[rawPrefix(s)+LockName]; !ok || len(raw) != 1 {
			t.Errorf("stored keys %v, want only %s", sortedKeys(raw), rawPrefix(s)+LockName)
		}

		// force-unlock with another id releases nothing.
		if _, err := ForceUnlock(ctx, l, "lock-b"); !errors.Is(err, ErrNoLock) {
			t.Fatalf("ForceUnlock(wrong id) = %v", err)
		}
		info, err := ForceUnlock(ctx, l, "lock-a")
		if err != nil || info.ID != "lock-a" {
			t.Fatalf("ForceUnlock = %+v, %v", info, err)
		}
		// Someone takes it; the force-unlocked holder's release must not remove theirs.
		b, err := TryLock(ctx, l, testInfo("lock-b"))
		if err != nil {
			t.Fatal(err)
		}
		if err := a.Release(ctx); err == nil || !strings.Contains(err.Error(), "released by someone else") {
			t.Fatalf("release of a force-unlocked lock = %v", err)
		}
		if h, err := ReadHeld(ctx, l); err != nil || h == nil || h.Info.ID != "lock-b" {
			t.Fatalf("after the stale release the lock is %v, %v; want lock-b", h, err)
		}
		if err := b.Release(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := ForceUnlock(ctx, l, "lock-b"); !errors.Is(err, ErrNoLock) {
			t.Fatalf("ForceUnlock with no lock = %v", err)
		}
		if raw := rawObjects(t, s); len(raw) != 0 {
			t.Errorf("after release: %v", sortedKeys(raw))
		}
		// Any Front50 object is data.
		rawPut(t, s, rawPrefix(s)+"applications/x/application-metadata.json", []byte(`{"name":"X"}`))
		if has, err := l.HasData(ctx); err != nil || !has {
			t.Errorf("HasData with an application = %v, %v", has, err)
		}
	})
}

// Many goroutines race for the lock: exactly one wins each round.
func TestLockOneWinner(t *testing.T) {
	ctx := context.Background()
	lockStores(t, func(t *testing.T, s Store) {
		l, _ := LockerOf(s)
		for round := range 5 {
			var mu sync.Mutex
			var winners []*Lock
			var wg sync.WaitGroup
			for i := range 8 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					lk, err := TryLock(ctx, l, testInfo(string(rune('a'+i))))
					var held *HeldError
					switch {
					case err == nil:
						mu.Lock()
						winners = append(winners, lk)
						mu.Unlock()
					case !errors.As(err, &held):
						t.Error(err)
					}
				}()
			}
			wg.Wait()
			if len(winners) != 1 {
				t.Fatalf("round %d: %d winners", round, len(winners))
			}
			if err := winners[0].Release(ctx); err != nil {
				t.Fatal(err)
			}
		}
	})
}

// On a versioned bucket the release deletes the lock's own version: no delete marker is left
// (some servers refuse If-None-Match over one), and the next lock can be taken.
func TestLockVersionedBucket(t *testing.T) {
	ctx := context.Background()
	st, srv := newS3Store(t)
	if _, err := srv.Client().PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{
		Bucket:                  &st.bucket,
		VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusEnabled},
	}); err != nil {
		t.Skipf("server cannot version buckets: %v", err)
	}
	for i := range 3 {
		lk, err := TryLock(ctx, st, testInfo("v"+string(rune('0'+i))))
		if err != nil {
			t.Fatalf("round %d: %v", i, err)
		}
		if lk.handle.VersionID == "" {
			t.Fatal("a versioned bucket returned no version id")
		}
		if err := lk.Release(ctx); err != nil {
			t.Fatal(err)
		}
	}
	out, err := srv.Client().ListObjectVersions(ctx, &s3.ListObjectVersionsInput{Bucket: &st.bucket, Prefix: aws.String(st.lay.lockKey())})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Versions)+len(out.DeleteMarkers) != 0 {
		t.Errorf("the lock left %d versions and %d delete markers", len(out.Versions), len(out.DeleteMarkers))
	}
}
