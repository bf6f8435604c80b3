package cmdtest

import (
	"os"
	"path/filepath"
	"testing"
)

// CopyExample copies the worked example at the repo root (pipegen.yaml, services/,
// templates/) from repoRoot into dst, for tests that run commands the docs show.
func CopyExample(t testing.TB, repoRoot, dst string) {
	t.Helper()
	for _, name := range []string{"pipegen.yaml", "services", "templates"} {
		copyTree(t, filepath.Join(repoRoot, name), filepath.Join(dst, name))
	}
}

func copyTree(t testing.TB, src, dst string) {
	t.Helper()
	err := filepath.Walk(src, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		if info.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(target, b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}
