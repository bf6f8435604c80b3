package bench

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The embedded templates keep their placeholders, and each dialect gets only its own loop
// variables and the revision asked for.
func TestTemplateDialects(t *testing.T) {
	for _, name := range TemplateNames() {
		src, err := templateFS.ReadFile("templates/" + name + ".yml")
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(src), "@REV@") {
			t.Errorf("%s: the embedded template lost its @REV@ placeholder", name)
		}
		for d, banned := range map[Dialect]string{Pongo2: "{{ loop.", Jinja2: "forloop."} {
			text, err := Template(name, d, 7)
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range []string{"@I@", "@I0@", "@FIRST@", "@LAST@", "@REV@"} {
				if strings.Contains(text, p) {
					t.Errorf("%s (dialect %d): placeholder %s left", name, d, p)
				}
			}
			if strings.Contains(text, banned) || strings.Contains(text, strings.Replace(banned, "{{ ", "not ", 1)) {
				t.Errorf("%s (dialect %d): the other dialect's loop variable", name, d)
			}
			if !strings.Contains(text, "template revision 7") {
				t.Errorf("%s (dialect %d): revision not applied", name, d)
			}
		}
	}
}

func TestGenerate(t *testing.T) {
	dir := t.TempDir()
	if err := Generate(dir, 5, 1); err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "services", "*", "*.yaml"))
	if len(files) != 5 {
		t.Fatalf("%d service files, want 5", len(files))
	}
	b, err := os.ReadFile(files[0])
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(b), "      - "); n != PipelinesPerService() {
		t.Errorf("%d pipeline entries in %s, want %d", n, files[0], PipelinesPerService())
	}
	for _, folder := range []string{"templates", "templates-jinja2"} {
		got, _ := filepath.Glob(filepath.Join(dir, folder, "*.yml"))
		if len(got) != len(TemplateNames()) {
			t.Errorf("%s: %d templates, want %d", folder, len(got), len(TemplateNames()))
		}
	}
	if err := Generate("", 1, 1); err == nil {
		t.Error("Generate into no folder succeeded (it would write into the working directory)")
	}
}
