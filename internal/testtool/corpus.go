package testtool

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"testing"
)

// CorpusDir is the third-party pipelines shared with this repo (see its README and
// SOURCES.tsv): shared/ beside the checkout, or PIPEGEN_CORPUS. rel leads from the test's
// package directory to the checkout's parent.
func CorpusDir(rel string) string {
	if d := os.Getenv("PIPEGEN_CORPUS"); d != "" {
		return d
	}
	return filepath.Join(rel, "shared", "corpus")
}

// NoCorpus ends a test that found no corpus at dir: it skips, except in CI (or make test),
// where shared/ is always beside the clone and a missing corpus must not pass quietly.
func NoCorpus(t testing.TB, dir string) {
	t.Helper()
	if os.Getenv("CI") != "" || Required() {
		t.Fatalf("no corpus at %s (set PIPEGEN_CORPUS)", dir)
	}
	t.Skipf("SKIPPED: no corpus at %s (set PIPEGEN_CORPUS)", dir)
}

// CorpusPipeline is one pipeline object with stages found in a corpus file.
type CorpusPipeline struct {
	Dir, File string         // the corpus folder and the file's base name
	Index     int            // position in an array file; -1 when the file is the object itself
	Raw       []byte         // the whole file
	Doc       map[string]any // decoded with UseNumber
}

// CorpusPipelines returns every pipeline with stages in the given folders of the corpus at
// dir, in file order. Files that are not JSON (storage files with sed placeholders) and objects
// that are not pipelines are skipped. Without a corpus, NoCorpus.
func CorpusPipelines(t testing.TB, dir string, folders ...string) []CorpusPipeline {
	t.Helper()
	var out []CorpusPipeline
	for _, d := range folders {
		files, err := filepath.Glob(filepath.Join(dir, d, "*"))
		if err != nil {
			t.Fatal(err)
		}
		if len(files) == 0 {
			NoCorpus(t, filepath.Join(dir, d))
		}
		sort.Strings(files)
		for _, f := range files {
			raw, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			dec := json.NewDecoder(bytes.NewReader(raw))
			dec.UseNumber()
			var v any
			if dec.Decode(&v) != nil {
				continue
			}
			items, isArray := v.([]any)
			if !isArray {
				items = []any{v}
			}
			for i, it := range items {
				p, ok := it.(map[string]any)
				if !ok {
					continue
				}
				if st, ok := p["stages"].([]any); !ok || len(st) == 0 {
					continue
				}
				idx := i
				if !isArray {
					idx = -1
				}
				out = append(out, CorpusPipeline{Dir: d, File: filepath.Base(f), Index: idx, Raw: raw, Doc: p})
			}
		}
	}
	return out
}
