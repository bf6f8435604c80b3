package iostreams

import (
	"os"
	"strings"
	"sync"
	"testing"
)

func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestColorEnabled(t *testing.T) {
	tests := []struct {
		name  string
		tty   bool
		env   map[string]string
		force *bool
		want  bool
	}{
		{name: "terminal", tty: true, want: true},
		{name: "not a terminal", tty: false, want: false},
		{name: "NO_COLOR", tty: true, env: map[string]string{"NO_COLOR": "1"}, want: false},
		{name: "empty NO_COLOR is ignored", tty: true, env: map[string]string{"NO_COLOR": ""}, want: true},
		{name: "TERM=dumb", tty: true, env: map[string]string{"TERM": "dumb"}, want: false},
		{name: "--no-color", tty: true, force: ptr(false), want: false},
		{name: "forced on", tty: false, env: map[string]string{"NO_COLOR": "1"}, force: ptr(true), want: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, w := pipe(t)
			s := newSystem(r, w, w, env(tt.env))
			s.SetStdoutTTY(tt.tty)
			if tt.force != nil {
				s.SetColorEnabled(*tt.force)
			}
			if got := s.ColorEnabled(); got != tt.want {
				t.Errorf("ColorEnabled() = %v, want %v", got, tt.want)
			}
			if got := s.ColorScheme().Enabled(); got != tt.want {
				t.Errorf("ColorScheme().Enabled() = %v, want %v", got, tt.want)
			}
		})
	}
}

func ptr(b bool) *bool { return &b }

func pipe(t *testing.T) (*os.File, *os.File) {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close(); w.Close() })
	return r, w
}

func TestTerminalDetection(t *testing.T) {
	r, w := pipe(t)
	s := newSystem(r, w, w, env(nil))
	if s.IsStdoutTTY() || s.IsStderrTTY() {
		t.Error("a pipe was detected as a terminal")
	}
	// /dev/null is a character device like a terminal, but not a terminal: `pipegen render
	// 2>/dev/null` must not be treated as interactive.
	null, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		t.Skip(err)
	}
	defer null.Close()
	s = newSystem(r, null, null, env(nil))
	if s.IsStdoutTTY() || s.IsStderrTTY() || s.ColorEnabled() || s.ErrColorScheme().Enabled() {
		t.Errorf("/dev/null taken for a terminal: stdout %v, stderr %v", s.IsStdoutTTY(), s.IsStderrTTY())
	}
}

func TestTest(t *testing.T) {
	s, in, out, errOut := Test()
	if s.IsStdoutTTY() || s.IsStderrTTY() || s.ColorEnabled() {
		t.Error("Test streams must not look like a terminal")
	}
	in.WriteString("hello")
	buf := make([]byte, 5)
	if n, _ := s.In.Read(buf); string(buf[:n]) != "hello" {
		t.Errorf("In reads %q", buf[:n])
	}
	s.Out.Write([]byte("o"))
	s.ErrOut.Write([]byte("e"))
	if out.String() != "o" || errOut.String() != "e" {
		t.Errorf("out %q errOut %q", out, errOut)
	}
	s.SetStdoutTTY(true)
	if !s.ColorEnabled() {
		t.Error("a terminal stdout in Test streams should enable colour")
	}
}

func TestColorScheme(t *testing.T) {
	on, off := NewColorScheme(true), NewColorScheme(false)
	var none *ColorScheme
	fns := map[string]func(*ColorScheme, string) string{
		"Green": (*ColorScheme).Green, "Red": (*ColorScheme).Red, "Yellow": (*ColorScheme).Yellow,
		"Cyan": (*ColorScheme).Cyan, "Bold": (*ColorScheme).Bold, "Gray": (*ColorScheme).Gray,
	}
	seen := map[string]string{}
	for name, f := range fns {
		got := f(on, "x")
		if !strings.HasPrefix(got, "\x1b[") || !strings.HasSuffix(got, "x\x1b[0m") {
			t.Errorf("%s enabled = %q", name, got)
		}
		if other, dup := seen[got]; dup {
			t.Errorf("%s and %s give the same code", name, other)
		}
		seen[got] = name
		if got := f(off, "x"); got != "x" {
			t.Errorf("%s disabled = %q, want identity", name, got)
		}
		if got := f(none, "x"); got != "x" {
			t.Errorf("%s on nil scheme = %q, want identity", name, got)
		}
		if got := f(on, ""); got != "" {
			t.Errorf("%s of empty string = %q", name, got)
		}
	}
}

func TestProgress(t *testing.T) {
	t.Run("terminal", func(t *testing.T) {
		s, _, out, errOut := Test()
		s.SetStderrTTY(true)
		p := s.StartProgress("uploading", 3)
		p.Add(2)
		p.Stop()
		p.Stop()
		p.Add(1)
		got := errOut.String()
		want := "\r\x1b[Kuploading 0/3\r\x1b[Kuploading 2/3\r\x1b[K"
		if got != want {
			t.Errorf("stderr = %q, want %q", got, want)
		}
		if out.Len() != 0 {
			t.Errorf("progress wrote to stdout: %q", out)
		}
	})
	for _, tc := range []struct {
		name       string
		tty, quiet bool
	}{{"not a terminal", false, false}, {"quiet", true, true}} {
		t.Run(tc.name, func(t *testing.T) {
			s, _, _, errOut := Test()
			s.SetStderrTTY(tc.tty)
			s.SetQuiet(tc.quiet)
			p := s.StartProgress("x", 2)
			p.Add(1)
			p.Stop()
			if errOut.Len() != 0 {
				t.Errorf("stderr = %q, want nothing", errOut)
			}
		})
	}
	t.Run("concurrent", func(t *testing.T) {
		s, _, _, errOut := Test()
		s.SetStderrTTY(true)
		p := s.StartProgress("n", 100)
		var wg sync.WaitGroup
		for i := 0; i < 100; i++ {
			wg.Go(func() { p.Add(1) })
		}
		wg.Wait()
		p.Stop()
		if !strings.Contains(errOut.String(), "n 100/100") {
			t.Errorf("final count missing from %q", errOut)
		}
	})
}
