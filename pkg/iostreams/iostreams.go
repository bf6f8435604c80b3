// Package iostreams bundles the standard streams with what the printers need to know about them:
// whether they are terminals and whether colour and progress output are wanted. Commands take
// an *IOStreams instead of touching os.Stdout, so tests can capture everything.
package iostreams

import (
	"bytes"
	"io"
	"os"

	"golang.org/x/term"
)

// IOStreams is the input and outputs of one command run.
type IOStreams struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer

	stdoutTTY bool
	stderrTTY bool
	// colorEnv is false when the environment asks for no colour (NO_COLOR, TERM=dumb).
	colorEnv bool
	// colorForced, when non-nil, overrides terminal detection and the environment.
	colorForced *bool
	quiet       bool
}

// System returns the process's standard streams. Colour is on when stdout is a terminal, unless
// NO_COLOR is set to a non-empty value (https://no-color.org) or TERM is "dumb".
func System() *IOStreams {
	return newSystem(os.Stdin, os.Stdout, os.Stderr, os.Getenv)
}

func newSystem(in io.Reader, out, errOut *os.File, getenv func(string) string) *IOStreams {
	return &IOStreams{
		In:        in,
		Out:       out,
		ErrOut:    errOut,
		stdoutTTY: isTerminal(out),
		stderrTTY: isTerminal(errOut),
		colorEnv:  getenv("NO_COLOR") == "" && getenv("TERM") != "dumb",
	}
}

// isTerminal asks the terminal driver (isatty), so /dev/null and other character devices that
// are not terminals get no colour codes or progress bars.
func isTerminal(f *os.File) bool {
	return f != nil && term.IsTerminal(int(f.Fd()))
}

// Test returns streams over buffers, none of them a terminal, colour off.
func Test() (ios *IOStreams, in *bytes.Buffer, out *bytes.Buffer, errOut *bytes.Buffer) {
	in, out, errOut = &bytes.Buffer{}, &bytes.Buffer{}, &bytes.Buffer{}
	return &IOStreams{In: in, Out: out, ErrOut: errOut, colorEnv: true}, in, out, errOut
}

// IsStdoutTTY reports whether Out is a terminal.
func (s *IOStreams) IsStdoutTTY() bool { return s.stdoutTTY }

// IsStderrTTY reports whether ErrOut is a terminal.
func (s *IOStreams) IsStderrTTY() bool { return s.stderrTTY }

// SetStdoutTTY overrides terminal detection for Out (tests).
func (s *IOStreams) SetStdoutTTY(v bool) { s.stdoutTTY = v }

// SetStderrTTY overrides terminal detection for ErrOut (tests).
func (s *IOStreams) SetStderrTTY(v bool) { s.stderrTTY = v }

// SetColorEnabled forces colour off (--no-color) or on, whatever the terminal and environment.
func (s *IOStreams) SetColorEnabled(v bool) { s.colorForced = &v }

// ColorEnabled reports whether output to Out should be coloured: forced by SetColorEnabled,
// otherwise when Out is a terminal and the environment does not disable colour.
func (s *IOStreams) ColorEnabled() bool {
	if s.colorForced != nil {
		return *s.colorForced
	}
	return s.stdoutTTY && s.colorEnv
}

// SetQuiet turns progress output off.
func (s *IOStreams) SetQuiet(v bool) { s.quiet = v }

// IsQuiet reports whether SetQuiet(true) was called.
func (s *IOStreams) IsQuiet() bool { return s.quiet }

// ColorScheme returns the colour functions for Out, decided now: they are the identity when
// colour is off.
func (s *IOStreams) ColorScheme() *ColorScheme {
	return &ColorScheme{enabled: s.ColorEnabled()}
}

// ErrColorScheme is ColorScheme for ErrOut: stderr is coloured when it is a terminal, whatever
// stdout is (`pipegen diff > plan.txt` still shows coloured errors; `2> log` gets none).
func (s *IOStreams) ErrColorScheme() *ColorScheme {
	if s.colorForced != nil {
		return &ColorScheme{enabled: *s.colorForced}
	}
	return &ColorScheme{enabled: s.stderrTTY && s.colorEnv}
}
