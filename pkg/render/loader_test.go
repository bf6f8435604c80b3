package render

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

const secret = "TOP-SECRET-6d1f0c"

// sandboxFixture makes base/templates plus a secret file next to it and returns the engine, the
// templates directory and the secret's absolute path.
func sandboxFixture(t *testing.T, files map[string]string) (*Engine, string, string) {
	t.Helper()
	base := t.TempDir()
	secretPath := filepath.Join(base, "secret.txt")
	if err := os.WriteFile(secretPath, []byte(secret), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(base, "outside"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(base, "outside", "x.yml"), []byte(secret), 0o644); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(base, "templates")
	writeFiles(t, dir, files)
	e, err := New(dir, "templates")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return e, dir, secretPath
}

func TestSandbox(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("symlinks")
	}
	tests := []struct {
		name  string
		files map[string]string
		links map[string]string // link name in templates → target
		tpl   string
		want  string // error substring
	}{
		{name: "dot-dot", files: map[string]string{"t.yml": `{% include "../secret.txt" %}`}, want: `t.yml:1:12: template path "../secret.txt" leaves the templates directory`},
		{name: "dot-dot inside", files: map[string]string{"t.yml": `{% include "a/../../secret.txt" %}`}, want: "leaves the templates directory"},
		{name: "absolute", files: map[string]string{"t.yml": `{% include "SECRET_ABS" %}`}, want: "is absolute"},
		{name: "extends dot-dot", files: map[string]string{"t.yml": `{% extends "../secret.txt" %}`}, want: "leaves the templates directory"},
		{name: "import dot-dot", files: map[string]string{"t.yml": `{% import "../secret.txt" m %}`}, want: "leaves the templates directory"},
		{name: "symlink to a file outside", files: map[string]string{"t.yml": `{% include "leak.yml" %}`},
			links: map[string]string{"leak.yml": "../secret.txt"}, want: "leak.yml: path escapes from parent"},
		{name: "symlink to a directory outside", files: map[string]string{"t.yml": `{% include "out/x.yml" %}`},
			links: map[string]string{"out": "../outside"}, want: "out/x.yml: path escapes from parent"},
		{name: "absolute symlink", files: map[string]string{"t.yml": `{% include "abs.yml" %}`},
			links: map[string]string{"abs.yml": "SECRET_ABS"}, want: "abs.yml: path escapes from parent"},
		{name: "ssi", files: map[string]string{"t.yml": `{% ssi "../secret.txt" %}`}, want: "{% ssi %} is disabled"},
		{name: "ssi absolute", files: map[string]string{"t.yml": `{% ssi "SECRET_ABS" parsed %}`}, want: "{% ssi %} is disabled"},
		{name: "self include", files: map[string]string{"t.yml": "a\n{% include \"t.yml\" %}"}, want: "t.yml:2:12: include cycle: templates/t.yml → templates/t.yml"},
		{name: "include cycle", files: map[string]string{
			"t.yml": `{% include "a.yml" %}`, "a.yml": `{% include "b.yml" %}`, "b.yml": `{% if x %}{% include "t" %}{% endif %}`},
			want: "b.yml:1:22: include cycle: templates/t.yml → templates/a.yml → templates/b.yml → templates/t.yml"},
		{name: "extends cycle", files: map[string]string{"t.yml": `{% extends "p.yml" %}`, "p.yml": `{% extends "t.yml" %}`}, want: "extends cycle"},
		{name: "import cycle", files: map[string]string{
			"t.yml": `{% import "lib.yml" m %}`, "lib.yml": `{% import "t.yml" m %}{% macro m() export %}{% endmacro %}`}, want: "import cycle"},
		{name: "variable include", files: map[string]string{"t.yml": `{% include x %}`}, want: "needs the file name as a string literal"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, dir, secretPath := sandboxFixture(t, nil)
			for name, content := range tt.files {
				content = strings.ReplaceAll(content, "SECRET_ABS", secretPath)
				writeFiles(t, dir, map[string]string{name: content})
			}
			for name, target := range tt.links {
				target = strings.ReplaceAll(target, "SECRET_ABS", secretPath)
				if err := os.Symlink(target, filepath.Join(dir, name)); err != nil {
					t.Fatal(err)
				}
			}
			// Reopen so the listing sees the files written after the fixture.
			e.Close()
			e, err := New(dir, "templates")
			if err != nil {
				t.Fatal(err)
			}
			defer e.Close()
			out, err := e.Render("t", map[string]any{"x": true}, nil)
			if err == nil {
				t.Fatalf("rendered %q", out)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not contain %q", err, tt.want)
			}
			assertNoLeak(t, err.Error(), dir, secretPath)
			for _, cerr := range e.Check("t", []string{"x"}) {
				assertNoLeak(t, cerr.Error(), dir, secretPath)
			}
		})
	}
}

func assertNoLeak(t *testing.T, s, dir, _ string) {
	t.Helper()
	if strings.Contains(s, secret) {
		t.Errorf("secret content leaked: %q", s)
	}
	// A path the template itself spells out may be quoted back; the sandbox's own location
	// must not appear.
	if strings.Contains(s, dir) {
		t.Errorf("absolute path of the templates directory leaked: %q", s)
	}
}

func TestSymlinkInsideRootWorks(t *testing.T) {
	e, dir, _ := sandboxFixture(t, map[string]string{"real.yml": "real {{ x }}", "t.yml": `{% include "alias.yml" %}`})
	if err := os.Symlink("real.yml", filepath.Join(dir, "alias.yml")); err != nil {
		t.Skip("symlinks not available:", err)
	}
	e.Close()
	e, err := New(dir, "templates")
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	out, err := e.Render("t", map[string]any{"x": 1}, nil)
	if err != nil || string(out) != "real 1" {
		t.Errorf("got %q, %v", out, err)
	}
	if file, err := e.Lookup("alias"); err != nil || file != "alias.yml" {
		t.Errorf("Lookup(alias) = %q, %v", file, err)
	}
}

// The loader is the last line of defence: pongo2 asks it for every file, whatever the
// static check saw.
func TestLoaderRefusesEscapes(t *testing.T) {
	e, dir, secretPath := sandboxFixture(t, map[string]string{"ok.yml": "fine"})
	if err := os.Symlink("../secret.txt", filepath.Join(dir, "leak.yml")); err != nil {
		t.Skip("symlinks not available:", err)
	}
	l := e.loader
	if _, err := l.Get("ok.yml"); err == nil || !strings.Contains(err.Error(), "only loaded while compiling") {
		t.Errorf("Get outside a compilation: %v", err)
	}
	l.begin()
	defer l.end()
	for _, name := range []string{"../secret.txt", secretPath, "leak.yml", "a/../../secret.txt", "", "./ok.yml", `..\secret.txt`} {
		r, err := l.Get(name)
		if err == nil {
			data, _ := io.ReadAll(r)
			t.Errorf("Get(%q) read %q", name, data)
			continue
		}
		assertNoLeak(t, err.Error(), dir, secretPath)
	}
	r, err := l.Get("ok.yml")
	if err != nil {
		t.Fatal(err)
	}
	if data, _ := io.ReadAll(r); string(data) != "fine" {
		t.Errorf("Get(ok.yml) = %q", data)
	}
	if got := l.Abs("some/base.yml", "ok"); got != "ok.yml" {
		t.Errorf("Abs resolves from the root by template name: got %q", got)
	}
	if got := l.Abs("", l.Abs("", "ok")); got != "ok.yml" {
		t.Errorf("Abs is not idempotent: %q", got)
	}
}

func TestLoaderBudget(t *testing.T) {
	e, _ := newTestEngine(t, map[string]string{"a.yml": "a"})
	l := e.loader
	l.begin()
	defer l.end()
	var err error
	for i := 0; i <= maxLoadsPerCompile && err == nil; i++ {
		_, err = l.Get("a.yml")
	}
	if err == nil || !strings.Contains(err.Error(), "template loads in one compilation") {
		t.Errorf("budget not enforced: %v", err)
	}
}

// pongo2 itself refuses the banned tags and filter in this Engine's set.
func TestSetBans(t *testing.T) {
	e, _ := newTestEngine(t, map[string]string{"a.yml": "a"})
	for _, src := range []string{`{% ssi "a.yml" %}`, `{% now "2006" %}`, `{% lorem %}`, `{{ "ab"|random }}`} {
		if _, err := e.set.FromString(src); err == nil || !strings.Contains(err.Error(), "sandbox restriction") {
			t.Errorf("%s compiled: %v", src, err)
		}
	}
}

func TestIncludeExplosionIsBounded(t *testing.T) {
	files := map[string]string{"t.yml": `{% include "l0.yml" %}{% include "l0.yml" %}`}
	for i := 0; i < 20; i++ {
		files[fmt.Sprintf("l%d.yml", i)] = fmt.Sprintf(`{%% include "l%d.yml" %%}{%% include "l%d.yml" %%}`, i+1, i+1)
	}
	files["l20.yml"] = "leaf"
	e, _ := newTestEngine(t, files)
	start := time.Now()
	_, err := e.Render("t", nil, nil)
	if err == nil || !strings.Contains(err.Error(), "template expands to more than") {
		t.Errorf("got %v", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("took %v", d)
	}
}

func TestFilesAreClosed(t *testing.T) {
	if _, err := os.ReadDir("/proc/self/fd"); err != nil {
		t.Skip("no /proc/self/fd")
	}
	files := map[string]string{"inc.yml": "inc {{ x }}"}
	for i := 0; i < 40; i++ {
		files[fmt.Sprintf("t%d.yml", i)] = `{% include "inc.yml" %}{% include "inc.yml" %}`
	}
	e, _ := newTestEngine(t, files)
	count := func() int {
		ents, err := os.ReadDir("/proc/self/fd")
		if err != nil {
			t.Fatal(err)
		}
		return len(ents)
	}
	before := count()
	for i := 0; i < 40; i++ {
		if _, err := e.Render(fmt.Sprintf("t%d", i), map[string]any{"x": 1}, nil); err != nil {
			t.Fatal(err)
		}
	}
	if after := count(); after > before+2 {
		t.Errorf("open files grew from %d to %d after compiling 40 templates", before, after)
	}
}

func TestCheckRelPath(t *testing.T) {
	ok := []string{"a.yml", "dir/a.yml", "a..b.yml", "...yml"}
	bad := []string{"", "/a", "../a", "a/../b", "./a", "a//b", "a/", `a\b`, "C:/x", "a\x00b", "."}
	for _, p := range ok {
		if err := checkRelPath(p); err != nil {
			t.Errorf("checkRelPath(%q) = %v", p, err)
		}
	}
	for _, p := range bad {
		if err := checkRelPath(p); err == nil {
			t.Errorf("checkRelPath(%q) accepted", p)
		}
	}
}

func TestNormalizeSource(t *testing.T) {
	tests := []struct{ in, want string }{
		{"a\n", "a"},
		{"a\n\n", "a\n"},
		{"a\r\nb\r\n", "a\nb"},
		{"a\rb", "a\nb"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := string(normalizeSource([]byte(tt.in))); got != tt.want {
			t.Errorf("normalizeSource(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestInvalidUTF8Template(t *testing.T) {
	e, _ := newTestEngine(t, map[string]string{"t.yml": "ok: 1\nbad: \xff\n"})
	_, err := e.Render("t", nil, nil)
	if err == nil || err.Error() != "templates/t.yml:2:6: the file is not valid UTF-8" {
		t.Errorf("got %v", err)
	}
}
