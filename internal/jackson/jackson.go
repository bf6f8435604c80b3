// Package jackson asks Java's Jackson, configured as Front50 configures it, whether it can read
// an object: the reference that pipegen's own checks of what it writes are compared with.
//
// The models are Java classes under testdata/pipegen/jackson, written here from the field lists
// of Front50's classes (names, types, which accessors exist, the mix-ins' annotations). They are
// compiled once per machine and source version (javac, against Debian's Jackson jars) into a
// cache directory, and one JVM per test binary serves every request of every model: a header
// line "MODEL LENGTH", the body, and one JSON line back.
//
// Adding a model: put Name.java (package pipegen.jackson) in testdata/pipegen/jackson and call
// Read(t, "Name", body). Nothing else changes.
package jackson

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"sync"
	"testing"

	"github.com/pipegen/pipegen/internal/testtool"
)

//go:embed testdata/pipegen/jackson/*.java
var sources embed.FS

// Verdict is Jackson's answer for one object.
type Verdict struct {
	// OK: Jackson read the object into the model.
	OK bool `json:"ok"`
	// Out is what Front50 would write back after reading it (the model serialized again).
	Out string `json:"out,omitempty"`
	// Msg is Jackson's message when it refused, without the source location.
	Msg string `json:"msg,omitempty"`
	// Path is where Jackson stopped ("stages[2].refId"), empty when it was not in a property.
	Path string `json:"path,omitempty"`
	// Harness is set when the failure is the harness's own (an unknown model), not Jackson's.
	Harness bool `json:"harness,omitempty"`
}

func (v Verdict) String() string {
	switch {
	case v.OK:
		return "accepted"
	case v.Path != "":
		return "refused at " + v.Path + ": " + v.Msg
	default:
		return "refused: " + v.Msg
	}
}

// Read asks Jackson to read body as the named model (a class in testdata/pipegen/jackson).
func Read(t testing.TB, model string, body []byte) Verdict {
	t.Helper()
	return ReadAll(t, model, [][]byte{body})[0]
}

// ReadAll asks about many bodies at once, streamed to the JVM while its answers are read, which
// is what makes a differential test over a hundred thousand objects take seconds.
func ReadAll(t testing.TB, model string, bodies [][]byte) []Verdict {
	t.Helper()
	s := server(t)
	out, err := s.ask(model, bodies)
	if err != nil {
		t.Fatalf("jackson: %v", err)
	}
	for _, v := range out {
		if v.Harness {
			t.Fatalf("jackson: %s", v.Msg)
		}
	}
	return out
}

// jvm is the one process per test binary. It exits when its stdin closes, which happens when
// the test binary exits however it ends.
type jvm struct {
	mu     sync.Mutex
	in     io.WriteCloser
	out    *bufio.Reader
	stderr *bytes.Buffer
	dead   error
}

var (
	once     sync.Once
	shared   *jvm
	startErr error
)

func server(t testing.TB) *jvm {
	t.Helper()
	java, javac, cp := testtool.Java(t)
	j, err := serve(java, javac, cp)
	if err != nil {
		t.Fatalf("jackson: %v", err)
	}
	return j
}

func serve(java, javac, cp string) (*jvm, error) {
	once.Do(func() { shared, startErr = start(java, javac, cp) })
	return shared, startErr
}

func start(java, javac, cp string) (*jvm, error) {
	classes, err := compile(javac, cp)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(java, "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xmx256m", "-Xss4m",
		"-cp", classes+string(os.PathListSeparator)+cp, "pipegen.jackson.Harness")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", java, err)
	}
	go func() { _ = cmd.Wait() }()
	return &jvm{in: stdin, out: bufio.NewReaderSize(stdout, 1<<16), stderr: &stderr}, nil
}

func (j *jvm) ask(model string, bodies [][]byte) ([]Verdict, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.dead != nil {
		return nil, j.dead
	}
	// Write in a goroutine while reading answers: the JVM's and our pipe buffers are finite.
	werr := make(chan error, 1)
	go func() {
		w := bufio.NewWriterSize(j.in, 1<<16)
		for _, b := range bodies {
			fmt.Fprintf(w, "%s %d\n", model, len(b))
			if _, err := w.Write(b); err != nil {
				werr <- err
				return
			}
		}
		werr <- w.Flush()
	}()
	out := make([]Verdict, len(bodies))
	for i := range out {
		line, err := j.out.ReadBytes('\n')
		if err == nil {
			err = json.Unmarshal(line, &out[i])
		}
		if err != nil {
			j.dead = fmt.Errorf("the JVM stopped answering (%v); its stderr:\n%s", err, j.stderr.String())
			return nil, j.dead
		}
	}
	if err := <-werr; err != nil {
		j.dead = fmt.Errorf("writing to the JVM: %v", err)
		return nil, j.dead
	}
	return out, nil
}

// compile builds the model classes into a directory named by the hash of the sources, the
// jars and javac, so that every test binary of a run (and later runs) shares one compilation.
// The directory is filled under a temporary name and renamed, so concurrent test binaries
// never see half a compilation.
func compile(javac, cp string) (string, error) {
	var names []string
	if err := fs.WalkDir(sources, "testdata", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			names = append(names, p)
		}
		return err
	}); err != nil {
		return "", err
	}
	sort.Strings(names)
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00", javac, cp)
	for _, jar := range filepath.SplitList(cp) {
		if st, err := os.Stat(jar); err == nil {
			fmt.Fprintf(h, "%d %d\x00", st.Size(), st.ModTime().UnixNano())
		}
	}
	for _, n := range names {
		b, _ := sources.ReadFile(n)
		fmt.Fprintf(h, "%s\x00%d\x00", n, len(b))
		h.Write(b)
	}
	dir := filepath.Join(os.TempDir(), "pipegen-jackson-"+hex.EncodeToString(h.Sum(nil))[:16])
	if _, err := os.Stat(filepath.Join(dir, "pipegen", "jackson", "Harness.class")); err == nil {
		return dir, nil
	}
	work, err := os.MkdirTemp(os.TempDir(), "pipegen-jackson-build-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(work)
	src := filepath.Join(work, "src")
	args := []string{"-nowarn", "-encoding", "UTF-8", "-cp", cp, "-d", filepath.Join(work, "classes")}
	for _, n := range names {
		b, _ := sources.ReadFile(n)
		p := filepath.Join(src, filepath.Base(n))
		if err := os.MkdirAll(src, 0o755); err != nil {
			return "", err
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			return "", err
		}
		args = append(args, p)
	}
	if out, err := exec.Command(javac, args...).CombinedOutput(); err != nil {
		return "", fmt.Errorf("javac: %v\n%s", err, out)
	}
	if err := os.Rename(filepath.Join(work, "classes"), dir); err != nil {
		// Another test binary renamed its identical compilation first.
		if _, serr := os.Stat(filepath.Join(dir, "pipegen", "jackson", "Harness.class")); serr == nil {
			return dir, nil
		}
		return "", err
	}
	return dir, nil
}
