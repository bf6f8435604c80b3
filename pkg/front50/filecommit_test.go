package front50

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pipegen/pipegen/internal/parallel"
)

// Writes of one group succeed or fail each on its own: one that cannot be written (a folder
// where the object goes, a lost condition) fails alone while the others of its group land.
func TestFileStoreGroupFailuresStayTheirOwn(t *testing.T) {
	ctx := context.Background()
	s := newFileStore(t)
	ids, bodies := benchBodies(200)
	if err := os.MkdirAll(s.objPath(ids[7]), 0o755); err != nil { // blocks the rename
		t.Fatal(err)
	}
	if _, err := s.Put(ctx, ids[8], bodies[8], PutOptions{}); err != nil { // makes the create lose
		t.Fatal(err)
	}
	errs := make([]error, len(ids))
	_ = parallel.Do(ctx, len(ids), 64, func(i int) {
		opt := PutOptions{IfNoneMatch: true}
		if i == 9 {
			opt = PutOptions{IfMatch: `"0123456789abcdef0123456789abcdef"`} // absent: must fail
		}
		_, errs[i] = s.Put(ctx, ids[i], bodies[i], opt)
	})
	for i, id := range ids {
		obj, gerr := s.Get(ctx, id)
		switch i {
		case 7:
			if errs[i] == nil {
				t.Errorf("%s: written over a folder", id)
			}
		case 8:
			if !errors.Is(errs[i], ErrPrecondition) {
				t.Errorf("%s: create of an existing object: %v", id, errs[i])
			}
		case 9:
			if !errors.Is(errs[i], ErrPrecondition) || !errors.Is(gerr, ErrNotFound) {
				t.Errorf("%s: update of an absent object: %v; stored: %v", id, errs[i], gerr)
			}
		default:
			if errs[i] != nil || gerr != nil || !bytes.Equal(obj.Body, bodies[i]) {
				t.Errorf("%s: put %v, get %v", id, errs[i], gerr)
			}
		}
	}
	assertNoTempFiles(t, s.dir)
}

// Many goroutines of one process racing on the same objects: every create has one winner,
// whose body is stored, and compare-and-swap increments lose no update, although their
// writes share groups.
func TestFileStoreConditionalWritesInGroups(t *testing.T) {
	ctx := context.Background()
	s := newFileStore(t)
	if _, err := s.Put(ctx, "counter", counterBody(0), PutOptions{IfNoneMatch: true}); err != nil {
		t.Fatal(err)
	}
	const writers, increments, ids = 24, 10, 20
	var mu sync.Mutex
	winners := map[string]int{}
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := range ids {
				id := fmt.Sprintf("race-%d", i)
				_, err := s.Put(ctx, id, pipelineBody(id, "app", fmt.Sprint(w)), PutOptions{IfNoneMatch: true})
				switch {
				case err == nil:
					mu.Lock()
					if prev, dup := winners[id]; dup {
						t.Errorf("%s created by writers %d and %d", id, prev, w)
					}
					winners[id] = w
					mu.Unlock()
				case !errors.Is(err, ErrPrecondition):
					t.Error(err)
					return
				}
			}
			for done := 0; done < increments; {
				obj, err := s.Get(ctx, "counter")
				if err != nil {
					t.Error(err)
					return
				}
				var n int
				if _, err := fmt.Sscanf(string(obj.Body[bytes.Index(obj.Body, []byte(`"counter":`))+len(`"counter":`):]), "%d", &n); err != nil {
					t.Error(err)
					return
				}
				_, err = s.Put(ctx, "counter", counterBody(n+1), PutOptions{IfMatch: obj.ETag})
				switch {
				case err == nil:
					done++
				case !errors.Is(err, ErrPrecondition):
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	for i := range ids {
		id := fmt.Sprintf("race-%d", i)
		w, ok := winners[id]
		obj, err := s.Get(ctx, id)
		if !ok || err != nil || !bytes.Equal(obj.Body, pipelineBody(id, "app", fmt.Sprint(w))) {
			t.Errorf("%s: winner %d (%v), stored %v", id, w, ok, err)
		}
	}
	obj, err := s.Get(ctx, "counter")
	if err != nil || !bytes.Equal(obj.Body, counterBody(writers*increments)) {
		t.Fatalf("counter = %s (%v), want %d: lost updates", obj.Body, err, writers*increments)
	}
	assertNoTempFiles(t, s.dir)
}

// A write whose context ends while it waits for the store lock is withdrawn and says so; the
// writes queued behind it, with live contexts, go on once the lock is free.
func TestFileStoreCancelledWriteWithdrawn(t *testing.T) {
	s := newFileStore(t)
	unlock, err := s.lock(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	var cancelledErr, liveErr error
	wg.Go(func() { _, cancelledErr = s.Put(ctx, "gone", pipelineBody("gone", "a", "n"), PutOptions{}) })
	wg.Go(func() { _, liveErr = s.Put(context.Background(), "kept", pipelineBody("kept", "a", "n"), PutOptions{}) })
	time.Sleep(50 * time.Millisecond) // both queued, one of them polling the lock
	cancel()
	time.Sleep(50 * time.Millisecond)
	unlock()
	wg.Wait()
	if !errors.Is(cancelledErr, context.Canceled) {
		t.Errorf("cancelled write: %v", cancelledErr)
	}
	if _, err := s.Get(context.Background(), "gone"); !errors.Is(err, ErrNotFound) {
		t.Errorf("the cancelled write was stored (%v)", err)
	}
	if obj, err := s.Get(context.Background(), "kept"); liveErr != nil || err != nil || !bytes.Equal(obj.Body, pipelineBody("kept", "a", "n")) {
		t.Errorf("live write: put %v, get %v", liveErr, err)
	}
}

const killedWriterEnv = "PIPEGEN_FRONT50_KILLED_WRITER_DIR"

// killedWriter writes killedObjects objects 32 at a time, printing the index of each one
// whose Put returned, until it is killed.
func killedWriter() {
	ctx := context.Background()
	s, err := Open(ctx, Config{URL: "file://" + os.Getenv(killedWriterEnv)})
	if err != nil {
		fmt.Println("error", err)
		os.Exit(2)
	}
	ids, bodies := killedBodies()
	var mu sync.Mutex
	_ = parallel.Do(ctx, len(ids), 32, func(i int) {
		if _, err := s.Put(ctx, ids[i], bodies[i], PutOptions{}); err != nil {
			fmt.Println("error", err)
			os.Exit(2)
		}
		mu.Lock()
		fmt.Println("written", i)
		mu.Unlock()
	})
	os.Exit(0)
}

const killedObjects = 3000

// killedBodies: every object twice the size of a page, so that a torn write would show.
func killedBodies() ([]string, [][]byte) {
	ids := make([]string, killedObjects)
	bodies := make([][]byte, killedObjects)
	for i := range ids {
		ids[i] = fmt.Sprintf("killed-%d", i)
		bodies[i] = pipelineBody(ids[i], "app", ids[i], "description", strings.Repeat("z", 8000+i%1000))
	}
	return ids, bodies
}

// A writer killed while its groups are in flight leaves every object absent or exactly as
// written (a temporary file at most beside it), and every object it was told was written is
// there. Of a power loss only the order of flush and rename is seen here, not the flush.
func TestFileStoreKilledWriterLeavesWholeObjects(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "store")
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), killedWriterEnv+"="+dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	acked := map[int]bool{}
	sc := bufio.NewScanner(out)
	for sc.Scan() && len(acked) < killedObjects/10 {
		var i int
		if _, err := fmt.Sscanf(sc.Text(), "written %d", &i); err != nil {
			t.Fatalf("writer: %s", sc.Text())
		}
		acked[i] = true
	}
	_ = cmd.Process.Kill()
	_, _ = io.Copy(io.Discard, out)
	_ = cmd.Wait()
	if len(acked) < killedObjects/10 {
		t.Fatalf("the writer stopped after %d writes", len(acked))
	}
	s, err := Open(context.Background(), Config{URL: "file://" + dir})
	if err != nil {
		t.Fatal(err)
	}
	infos, err := s.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	ids, bodies := killedBodies()
	index := map[string]int{}
	for i, id := range ids {
		index[id] = i
	}
	stored := map[int]bool{}
	for _, in := range infos {
		i, ok := index[in.ID]
		if !ok {
			t.Errorf("unexpected object %s", in.ID)
			continue
		}
		stored[i] = true
		obj, err := s.Get(context.Background(), in.ID)
		if err != nil || !bytes.Equal(obj.Body, bodies[i]) {
			t.Errorf("%s: not as written (%d bytes of %d, %v)", in.ID, len(obj.Body), len(bodies[i]), err)
		}
	}
	for i := range acked {
		if !stored[i] {
			t.Errorf("%s: reported written, absent", ids[i])
		}
	}
	if len(stored) == killedObjects {
		t.Logf("the writer finished before the kill")
	}
	t.Logf("killed after %d writes reported, %d objects stored", len(acked), len(stored))
}
