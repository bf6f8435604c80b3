package render

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	yaml "go.yaml.in/yaml/v3"
	sigsyaml "sigs.k8s.io/yaml"
)

// FuzzQuotedRoundTrip: any valid UTF-8 value, printed between double quotes or through tojson,
// parses back to exactly itself, and adds no key.
func FuzzQuotedRoundTrip(f *testing.F) {
	for _, s := range trickyStrings {
		f.Add(s)
	}
	dir := filepath.Join(f.TempDir(), "templates")
	writeFiles(f, dir, map[string]string{
		"quoted.yml": "k: \"{{ v }}\"\nafter: 1",
		"json.yml":   "k: {{ v|tojson }}\nafter: 1",
		"nested.yml": "k:\n  - \"{{ v }}\"\n  - {{ v|tojson }}\nafter: 1",
	})
	e, err := New(dir, "templates")
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { e.Close() })
	f.Fuzz(func(t *testing.T, v string) {
		if !utf8.ValidString(v) {
			return
		}
		vars := map[string]any{"v": v}
		for _, name := range []string{"quoted", "json"} {
			out, err := e.Render(name, vars, nil)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			var v3 map[string]any
			if err := yaml.Unmarshal(out, &v3); err != nil {
				t.Fatalf("%s: yaml.v3 cannot parse %q: %v", name, out, err)
			}
			if len(v3) != 2 || v3["k"] != v || v3["after"] != 1 {
				t.Fatalf("%s: yaml.v3 gives %#v for %q", name, v3, v)
			}
			var sigs map[string]any
			if err := sigsyaml.Unmarshal(out, &sigs); err != nil {
				t.Fatalf("%s: sigs.k8s.io/yaml cannot parse %q: %v", name, out, err)
			}
			if len(sigs) != 2 || sigs["k"] != v {
				t.Fatalf("%s: sigs.k8s.io/yaml gives %#v for %q", name, sigs, v)
			}
		}
		out, err := e.Render("nested", vars, nil)
		if err != nil {
			t.Fatal(err)
		}
		var doc struct {
			K     []string `yaml:"k"`
			After int      `yaml:"after"`
		}
		if err := yaml.Unmarshal(out, &doc); err != nil || len(doc.K) != 2 || doc.K[0] != v || doc.K[1] != v || doc.After != 1 {
			t.Fatalf("nested: %#v, %v from %q", doc, err, out)
		}
	})
}

// FuzzSandbox: whatever a template says (hostile paths in include/extends/import/ssi, or any
// text), rendering and checking never read the secret planted next to the templates directory
// nor name where the directory is.
func FuzzSandbox(f *testing.F) {
	seeds := []struct{ path, tpl string }{
		{"../secret.txt", ""},
		{"../../secret.txt", "{{ x }}"},
		{"a/../../secret.txt", ""},
		{"/etc/passwd", ""},
		{"leak.yml", ""},
		{"out/x.yml", ""},
		{"inner/../../secret.txt", ""},
		{"./../secret.txt", ""},
		{`..\secret.txt`, ""},
		{"secret.txt", ""},
		{"t.yml", ""},
		{"self", `{% include "self.yml" %}`},
		{"ok.yml", `{% ssi "../secret.txt" %}`},
		{"ok.yml", `{% ssi "../secret.txt" parsed %}`},
		{"ok.yml", `{% include "leak.yml" if_exists %}`},
		{"ok.yml", `{% extends "../secret.txt" %}`},
		{"ok.yml", `{% import "out/x.yml" m %}`},
		{"ok.yml", `{% include x %}`},
		{"ok.yml", `{% for s in x %}{% include "ok.yml" %}{% endfor %}`},
		{"ok.yml", `{% macro m() %}{% include "leak.yml" %}{% endmacro %}{{ m() }}`},
		{"ok.yml", `{{ x|tojson }}{% verbatim %}{% include "../secret.txt" %}{% endverbatim %}`},
		{"ok.yml", "{% if x %}{% include \"ok.yml\" with y=x only %}{% else %}{% endif %}"},
		{"SECRET_ABS", ""},
	}
	for _, s := range seeds {
		f.Add(s.path, s.tpl)
	}
	base := f.TempDir()
	secretPath := filepath.Join(base, "secret.txt")
	if err := os.WriteFile(secretPath, []byte(secret), 0o644); err != nil {
		f.Fatal(err)
	}
	writeFiles(f, filepath.Join(base, "outside"), map[string]string{"x.yml": secret})
	f.Fuzz(func(t *testing.T, path, tpl string) {
		path = strings.ReplaceAll(path, "SECRET_ABS", secretPath)
		dir, err := os.MkdirTemp(base, "templates")
		if err != nil {
			t.Fatal(err)
		}
		defer os.RemoveAll(dir)
		writeFiles(t, dir, map[string]string{
			"ok.yml":      "ok {{ x|default:\"\" }}",
			"inner/a.yml": "a",
			"self.yml":    `{% include "self.yml" %}`,
			"t.yml": tpl + "\n" +
				`{% include "` + path + `" %}` + "\n" +
				`{% include "` + path + `" if_exists %}` + "\n" +
				`{% import "` + path + `" m %}` + "\n" +
				`{% ssi "` + path + `" %}`,
			"ext.yml": `{% extends "` + path + `" %}{% block b %}{% endblock %}`,
		})
		for link, target := range map[string]string{"leak.yml": secretPath, "out": "../outside", "rel.yml": "../secret.txt"} {
			if err := os.Symlink(target, filepath.Join(dir, link)); err != nil {
				t.Skip("symlinks not available:", err)
			}
		}
		e, err := New(dir, "templates")
		if err != nil {
			t.Fatal(err)
		}
		defer e.Close()
		for _, name := range []string{"t", "ext", path} {
			out, err := e.Render(name, map[string]any{"x": "v"}, nil)
			if strings.Contains(string(out), secret) {
				t.Fatalf("render %s leaked the secret: %q", name, out)
			}
			if err != nil {
				assertFuzzNoLeak(t, err.Error(), dir)
			}
			for _, cerr := range e.Check(name, []string{"x"}) {
				assertFuzzNoLeak(t, cerr.Error(), dir)
			}
		}
		if file, err := e.Lookup(path); err == nil && !strings.HasPrefix(filepath.Join(dir, file), dir+string(filepath.Separator)) {
			t.Fatalf("Lookup(%q) = %q, outside the directory", path, file)
		}
	})
}

func assertFuzzNoLeak(t *testing.T, s, dir string) {
	t.Helper()
	if strings.Contains(s, secret) {
		t.Fatalf("error leaked the secret: %q", s)
	}
	if strings.Contains(s, dir) {
		t.Fatalf("error names the templates directory: %q", s)
	}
}
