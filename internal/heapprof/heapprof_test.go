package heapprof

import (
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

// peak holds what peakAlloc allocates, so that it is live until the test lets it go.
var peak [][]byte

//go:noinline
func peakAlloc(mb int) {
	for i := 0; i < mb; i++ {
		peak = append(peak, make([]byte, 1<<20))
	}
}

func collect(n int) {
	for i := 0; i < n; i++ {
		runtime.GC()
	}
}

// The profile kept is the one at the peak: written while 64 MB were live, not overwritten
// when they are freed, nor at Stop. The real pprof tool reads it and finds them in use.
func TestKeepsThePeak(t *testing.T) {
	path := filepath.Join(t.TempDir(), "heap.pprof")
	p, err := Start(path, time.Hour) // ticks by hand: collections are what the test controls
	if err != nil {
		t.Fatal(err)
	}
	defer p.Stop()
	peakAlloc(64)
	collect(3)
	p.tick()
	if p.writes != 1 || p.written < 64<<20 {
		t.Fatalf("after allocating 64 MB: %d writes, live heap written %d; want 1 write at >= 64 MB", p.writes, p.written)
	}
	peak = nil
	collect(3)
	p.tick()
	if err := p.Stop(); err != nil {
		t.Fatal(err)
	}
	if p.writes != 1 {
		t.Errorf("%d writes; the heap fell after the first, so want 1", p.writes)
	}
	checkGzip(t, path)
	if got := inuseMB(t, path, "peakAlloc"); got < 32 {
		t.Errorf("pprof shows %.1f MB in use in peakAlloc, want about 64", got)
	}
}

// A rise of less than 10 % writes nothing; a rise past it does; two collections after a write
// the profile is written once more if the heap has not fallen.
func TestWritesOnRise(t *testing.T) {
	p, err := Start(filepath.Join(t.TempDir(), "heap.pprof"), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { peak = nil; p.Stop() }()
	peakAlloc(40)
	collect(1)
	p.tick()
	if p.writes != 1 {
		t.Fatalf("%d writes after the first collection, want 1", p.writes)
	}
	p.tick()
	if p.writes != 1 {
		t.Fatalf("%d writes with nothing new, want 1", p.writes)
	}
	collect(2)
	p.tick()
	if p.writes != 2 || !p.refreshed {
		t.Fatalf("two collections later: %d writes (refreshed %v), want 2", p.writes, p.refreshed)
	}
	collect(2)
	p.tick()
	if p.writes != 2 {
		t.Fatalf("%d writes: the refresh is once per rise, want 2", p.writes)
	}
	before := p.written
	peakAlloc(int(before/10>>20) + 8)
	collect(1)
	p.tick()
	if p.writes != 3 || p.written <= before {
		t.Fatalf("after a rise past 10 %%: %d writes, live heap %d (was %d); want 3 writes", p.writes, p.written, before)
	}
}

// The sampler runs by itself; a run too short to collect garbage still gets a profile at Stop.
func TestSamplerAndStop(t *testing.T) {
	path := filepath.Join(t.TempDir(), "heap.pprof")
	p, err := Start(path, time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	placeholder, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	peakAlloc(16)
	collect(1)
	// Each write renames a new file into place: wait for one that is not Start's.
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if st, err := os.Stat(path); err == nil && !os.SameFile(st, placeholder) {
			break
		}
	}
	peak = nil
	if err := p.Stop(); err != nil {
		t.Fatal(err)
	}
	if p.writes == 0 {
		t.Fatal("the sampler wrote no profile in 10 s")
	}
	checkGzip(t, path)

	short := filepath.Join(t.TempDir(), "short.pprof")
	q, err := Start(short, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if err := q.Stop(); err != nil || q.writes != 1 {
		t.Fatalf("Stop of a short run: %v, %d writes; want 1", err, q.writes)
	}
	checkGzip(t, short)
}

func TestStartErrors(t *testing.T) {
	if _, err := Start("", time.Hour); err == nil {
		t.Error("Start with no path: no error")
	}
	if _, err := Start(filepath.Join(t.TempDir(), "missing", "heap.pprof"), time.Hour); err == nil {
		t.Error("Start in a folder that does not exist: no error")
	}
	t.Setenv(EnvVar, "")
	if p, err := FromEnv(); p != nil || err != nil {
		t.Errorf("FromEnv with the variable empty = %v, %v; want nil, nil", p, err)
	}
	var nilP *Profiler
	if err := nilP.Stop(); err != nil {
		t.Error(err)
	}
}

func checkGzip(t *testing.T, path string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("%s is not gzip: %v", path, err)
	}
	raw, err := io.ReadAll(zr)
	if err != nil || len(raw) == 0 {
		t.Fatalf("%s: %d bytes after gunzip, %v", path, len(raw), err)
	}
	if !bytes.Contains(raw, []byte("inuse_space")) {
		t.Errorf("%s names no inuse_space sample type: not a heap profile", path)
	}
}

var topLine = regexp.MustCompile(`(?m)^\s*([0-9.]+)([kMG]?B)\s.*\s(\S+)$`)

// inuseMB is the flat in-use space `go tool pprof -top` gives the functions matching fn.
func inuseMB(t *testing.T, path, fn string) float64 {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("go not on PATH: cannot read the profile with pprof")
		}
		t.Skip("go not on PATH: the profile is not read with pprof")
	}
	out, err := exec.Command(goBin, "tool", "pprof", "-top", "-sample_index=inuse_space", "-unit=MB", path).CombinedOutput()
	if err != nil {
		t.Fatalf("go tool pprof: %v\n%s", err, out)
	}
	var total float64
	for _, m := range topLine.FindAllStringSubmatch(string(out), -1) {
		if !strings.Contains(m[3], fn) {
			continue
		}
		v, _ := strconv.ParseFloat(m[1], 64)
		switch m[2] {
		case "kB":
			v /= 1024
		case "GB":
			v *= 1024
		case "B":
			v /= 1 << 20
		}
		total += v
	}
	if total == 0 {
		t.Logf("pprof -top:\n%s", out)
	}
	return total
}
