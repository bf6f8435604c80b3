package render

import (
	"os"
	"path/filepath"
	"testing"
)

// newTestEngine writes files into a fresh templates directory and opens an Engine on it.
func newTestEngine(t testing.TB, files map[string]string) (*Engine, string) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "templates")
	writeFiles(t, dir, files)
	e, err := New(dir, "templates")
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { e.Close() })
	return e, dir
}

func writeFiles(t testing.TB, dir string, files map[string]string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func errStrings(errs []error) []string {
	out := make([]string, len(errs))
	for i, err := range errs {
		out[i] = err.Error()
	}
	return out
}
