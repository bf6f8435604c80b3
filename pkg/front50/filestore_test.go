package front50

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

const helperEnv = "PIPEGEN_FRONT50_HELPER_DIR"

const (
	raceProcs     = 4
	raceIDs       = 30
	raceIncrement = 25
)

func counterBody(n int) []byte {
	b, _ := json.Marshal(map[string]any{"id": "counter", "application": "app", "name": "counter", "counter": n})
	return b
}

// helperProcess is a second pipegen writing the same file store: it races to
// create every raceIDs id, printing the ones it won, and increments the
// counter pipeline raceIncrement times with compare-and-swap.
func helperProcess() {
	ctx := context.Background()
	s, err := Open(ctx, Config{URL: "file://" + os.Getenv(helperEnv)})
	if err != nil {
		fmt.Println("error", err)
		os.Exit(2)
	}
	me := os.Getenv("PIPEGEN_FRONT50_HELPER_NAME")
	for i := range raceIDs {
		id := fmt.Sprintf("race-%d", i)
		_, err := s.Put(ctx, id, pipelineBody(id, "app", me), PutOptions{IfNoneMatch: true})
		switch {
		case err == nil:
			fmt.Println("won", id)
		case !errors.Is(err, ErrPrecondition):
			fmt.Println("error", err)
			os.Exit(2)
		}
	}
	for done := 0; done < raceIncrement; {
		obj, err := s.Get(ctx, "counter")
		if err != nil {
			fmt.Println("error", err)
			os.Exit(2)
		}
		var doc struct{ Counter int }
		if err := json.Unmarshal(obj.Body, &doc); err != nil {
			fmt.Println("error", err)
			os.Exit(2)
		}
		_, err = s.Put(ctx, "counter", counterBody(doc.Counter+1), PutOptions{IfMatch: obj.ETag})
		switch {
		case err == nil:
			done++
		case !errors.Is(err, ErrPrecondition):
			fmt.Println("error", err)
			os.Exit(2)
		}
	}
	os.Exit(0)
}

func TestFileStoreConditionalWritesAcrossProcesses(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "store")
	s, err := Open(context.Background(), Config{URL: "file://" + dir})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Put(context.Background(), "counter", counterBody(0), PutOptions{IfNoneMatch: true}); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	outputs := make([]string, raceProcs)
	errs := make([]error, raceProcs)
	for p := range raceProcs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cmd := exec.Command(os.Args[0], "-test.run=^$")
			cmd.Env = append(os.Environ(), helperEnv+"="+dir, fmt.Sprintf("PIPEGEN_FRONT50_HELPER_NAME=proc%d", p))
			out, err := cmd.CombinedOutput()
			outputs[p], errs[p] = string(out), err
		}()
	}
	wg.Wait()
	winners := map[string]string{}
	for p, out := range outputs {
		if errs[p] != nil {
			t.Fatalf("helper %d: %v\n%s", p, errs[p], out)
		}
		sc := bufio.NewScanner(strings.NewReader(out))
		for sc.Scan() {
			id, ok := strings.CutPrefix(sc.Text(), "won ")
			if !ok {
				continue
			}
			if prev, dup := winners[id]; dup {
				t.Errorf("%s created by proc%d and %s", id, p, prev)
			}
			winners[id] = fmt.Sprintf("proc%d", p)
		}
	}
	ctx := context.Background()
	for i := range raceIDs {
		id := fmt.Sprintf("race-%d", i)
		w, ok := winners[id]
		if !ok {
			t.Errorf("%s: nobody won", id)
			continue
		}
		obj, err := s.Get(ctx, id)
		if err != nil || !bytes.Equal(obj.Body, pipelineBody(id, "app", w)) {
			t.Errorf("%s: stored %s, winner %s (%v)", id, obj.Body, w, err)
		}
	}
	obj, err := s.Get(ctx, "counter")
	if err != nil {
		t.Fatal(err)
	}
	if want := counterBody(raceProcs * raceIncrement); !bytes.Equal(obj.Body, want) {
		t.Fatalf("counter = %s, want %s (lost updates)", obj.Body, want)
	}
	assertNoTempFiles(t, dir)
}

func assertNoTempFiles(t *testing.T, dir string) {
	t.Helper()
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && strings.Contains(d.Name(), ".tmp-") {
			t.Errorf("temporary file left: %s", p)
		}
		return nil
	})
}

func TestFileStoreOpen(t *testing.T) {
	base := t.TempDir()
	file := filepath.Join(base, "plain")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		url, baseDir string
		want         string // Location, or "" for an error
	}{
		{"file://" + base + "/abs", "", "file://" + base + "/abs"},
		{"file://rel/dir", base, "file://" + base + "/rel/dir"},
		{"file://./rel/../x", base, "file://" + base + "/x"},
		{"file://", base, ""},
		{"file://" + file, "", ""},
	}
	for _, tc := range tests {
		s, err := Open(context.Background(), Config{URL: tc.url, BaseDir: tc.baseDir})
		if tc.want == "" {
			if err == nil {
				t.Errorf("Open(%q) = %s, want an error", tc.url, s.Location())
			}
			continue
		}
		if err != nil {
			t.Errorf("Open(%q): %v", tc.url, err)
			continue
		}
		if got := s.Location(); got != tc.want {
			t.Errorf("Open(%q).Location() = %s, want %s", tc.url, got, tc.want)
		}
	}
	// A relative path without BaseDir is taken from the working directory.
	s, err := Open(context.Background(), Config{URL: "file://rel"})
	wd, _ := os.Getwd()
	if err != nil || s.Location() != "file://"+filepath.ToSlash(filepath.Join(wd, "rel")) {
		t.Errorf("Open(file://rel) = %v, %v", s, err)
	}
}

func TestFileStoreCreatesDirectoryOnFirstWriteOnly(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "a", "b")
	s, err := Open(ctx, Config{URL: "file://" + dir})
	if err != nil {
		t.Fatal(err)
	}
	if infos, err := s.List(ctx); err != nil || len(infos) != 0 {
		t.Fatalf("List of missing dir = %v, %v", infos, err)
	}
	if v, err := s.LastModified(ctx); err != nil || v != 0 {
		t.Fatalf("LastModified of missing dir = %v, %v", v, err)
	}
	if err := s.Delete(ctx, "x", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Put(ctx, "bad", []byte("{"), PutOptions{}); !errors.Is(err, ErrInvalidObject) {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Fatalf("directory exists before the first write: %v", err)
	}
	if _, err := s.Put(ctx, "x", pipelineBody("x", "a", "n"), PutOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "pipelines", "x", "pipeline-metadata.json")); err != nil {
		t.Fatal(err)
	}
}

func TestFileStoreETagAndMtime(t *testing.T) {
	ctx := context.Background()
	s := newFileStore(t)
	body := pipelineBody("x", "a", "n")
	etag, err := s.Put(ctx, "x", body, PutOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// S3's ETag of a single-part upload: the quoted hex MD5.
	if want := fileETag(body); etag != want || len(etag) != 34 || etag[0] != '"' {
		t.Fatalf("ETag = %s, want %s", etag, want)
	}
	fi, err := os.Stat(s.objPath("x"))
	if err != nil {
		t.Fatal(err)
	}
	obj, err := s.Get(ctx, "x")
	if err != nil || !obj.LastModified.Equal(fi.ModTime()) || obj.Size != int64(len(body)) {
		t.Fatalf("Get = %+v, %v; mtime %v", obj.Info, err, fi.ModTime())
	}
	// Unquoted ETags match too.
	if _, err := s.Put(ctx, "x", pipelineBody("x", "a", "n2"), PutOptions{IfMatch: strings.Trim(etag, `"`)}); err != nil {
		t.Fatal(err)
	}
}

func TestFileStoreFailedWriteLeavesNoTempFile(t *testing.T) {
	ctx := context.Background()
	s := newFileStore(t)
	// A directory where the object should be makes the final rename fail.
	if err := os.MkdirAll(s.objPath("x"), 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Put(ctx, "x", pipelineBody("x", "a", "n"), PutOptions{}); err == nil {
		t.Fatal("Put over a directory succeeded")
	}
	assertNoTempFiles(t, s.dir)
	entries, _ := os.ReadDir(filepath.Dir(s.objPath("x")))
	if len(entries) != 1 {
		t.Fatalf("folder holds %d entries, want only the blocking directory", len(entries))
	}
}

func TestFileStoreRefusesUnsafeIDs(t *testing.T) {
	ctx := context.Background()
	s := newFileStore(t)
	for _, id := range []string{"../x", "a/../x", "a/b", "..", ""} {
		// A nested key is listed and read (Front50 serves it), never written or deleted.
		if _, err := s.Get(ctx, id); id != "a/b" && (err == nil || errors.Is(err, ErrNotFound)) {
			t.Errorf("Get(%q) = %v, want an invalid id error", id, err)
		}
		if err := s.Delete(ctx, id, ""); err == nil {
			t.Errorf("Delete(%q) succeeded", id)
		}
	}
}

func TestFileStoreLockHonoursContext(t *testing.T) {
	s := newFileStore(t)
	unlock, err := s.lock(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.Put(ctx, "x", pipelineBody("x", "a", "n"), PutOptions{}); !errors.Is(err, context.Canceled) {
		t.Fatalf("Put while locked with a cancelled context: %v", err)
	}
}
