package iostreams

import (
	"fmt"
	"io"
	"sync"
)

// Progress is a one-line "label done/total" counter redrawn in place on stderr. It is safe for
// concurrent use (sync counts finished uploads from several goroutines). Nothing else should be
// written to stderr between StartProgress and Stop, or the line gets mixed into it.
type Progress struct {
	mu      sync.Mutex
	w       io.Writer // nil: disabled
	label   string
	done    int
	total   int
	stopped bool
}

// StartProgress shows a counter on ErrOut when it is a terminal and quiet mode is off;
// otherwise it returns a Progress that does nothing, so callers need no checks.
func (s *IOStreams) StartProgress(label string, total int) *Progress {
	p := &Progress{label: label, total: total}
	if s.stderrTTY && !s.quiet {
		p.w = s.ErrOut
		p.draw()
	}
	return p
}

// Add counts n more items done.
func (p *Progress) Add(n int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done += n
	if p.w != nil && !p.stopped {
		p.draw()
	}
}

// Stop erases the line. Calling it again does nothing.
func (p *Progress) Stop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.w != nil && !p.stopped {
		fmt.Fprint(p.w, "\r\x1b[K")
	}
	p.stopped = true
}

func (p *Progress) draw() {
	// Write errors are ignored: progress is decoration, and stderr failing is not worth
	// failing the command over.
	fmt.Fprintf(p.w, "\r\x1b[K%s %d/%d", p.label, p.done, p.total)
}
