package jackson

import (
	"crypto/sha256"
	"fmt"
	"os"
	"sort"
	"sync"

	"github.com/pipegen/pipegen/internal/testtool"
)

// Writes collects every object a test binary writes, to have Jackson read them all once the
// tests are done: the conformance check that nothing pipegen writes is refused by Front50.
//
//	var written = jackson.NewWrites("Pipeline")
//	func TestMain(m *testing.M) {
//		stop := front50.ObserveWrites(written.Add)
//		code := m.Run()
//		stop()
//		os.Exit(written.Check(code))
//	}
type Writes struct {
	model  string
	mu     sync.Mutex
	bodies map[[32]byte]write
}

type write struct {
	id   string
	body []byte
}

// NewWrites collects objects to be read as model.
func NewWrites(model string) *Writes {
	return &Writes{model: model, bodies: map[[32]byte]write{}}
}

// Add records one written object (the same body twice is read once). Safe for concurrent use.
func (w *Writes) Add(id string, body []byte) {
	k := sha256.Sum256(body)
	w.mu.Lock()
	defer w.mu.Unlock()
	if _, ok := w.bodies[k]; !ok {
		w.bodies[k] = write{id: id, body: append([]byte(nil), body...)}
	}
}

// Check has Jackson read every recorded object and returns the test binary's exit code: code,
// or 1 when an object was refused (each one printed) or when the check could not run although
// reference tools are required. Without a JDK elsewhere it says so and leaves code as it is.
func (w *Writes) Check(code int) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.bodies) == 0 {
		return code
	}
	java, javac, cp, what, err := testtool.JavaTools()
	if err != nil {
		msg := testtool.MissingMessage(what, err)
		if testtool.Required() {
			fmt.Fprintf(os.Stderr, "FAIL: Jackson conformance of %d written objects: %s\n", len(w.bodies), msg)
			return 1
		}
		fmt.Fprintf(os.Stderr, "SKIPPED: Jackson conformance of %d written objects: %s\n", len(w.bodies), msg)
		return code
	}
	writes := make([]write, 0, len(w.bodies))
	for _, x := range w.bodies {
		writes = append(writes, x)
	}
	sort.Slice(writes, func(i, j int) bool { return string(writes[i].body) < string(writes[j].body) })
	bodies := make([][]byte, len(writes))
	for i, x := range writes {
		bodies[i] = x.body
	}
	j, err := serve(java, javac, cp)
	var verdicts []Verdict
	if err == nil {
		verdicts, err = j.ask(w.model, bodies)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "FAIL: Jackson conformance: %v\n", err)
		return 1
	}
	refused := 0
	for i, v := range verdicts {
		if !v.OK {
			refused++
			fmt.Fprintf(os.Stderr, "FAIL: Jackson conformance: %s %s was written but Front50's reader %s\n%s\n", w.model, writes[i].id, v, writes[i].body)
		}
	}
	if refused > 0 {
		return 1
	}
	fmt.Fprintf(os.Stderr, "Jackson conformance: all %d distinct %s objects written were read by Jackson\n", len(writes), w.model)
	return code
}
