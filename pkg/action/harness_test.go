package action

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pipegen/pipegen/pkg/config"
)

// repo is a services repo written into a temp dir for one test.
type repo struct {
	t    *testing.T
	root string
}

func newRepo(t *testing.T, files map[string]string) *repo {
	t.Helper()
	r := &repo{t: t, root: t.TempDir()}
	for name, body := range files {
		r.write(name, body)
	}
	return r
}

func (r *repo) write(name, body string) {
	r.t.Helper()
	p := filepath.Join(r.root, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		r.t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		r.t.Fatal(err)
	}
}

func (r *repo) config(env map[string]string) *config.Config {
	r.t.Helper()
	cfg, err := config.Load(config.Overrides{Dir: r.root}, func(k string) string { return env[k] }, r.root)
	if err != nil {
		r.t.Fatal(err)
	}
	return cfg
}

// render renders the repo offline and fails the test on problems unless wantProblems.
func (r *repo) render(filter Filter) *Build {
	r.t.Helper()
	b, err := Render(context.Background(), r.config(nil), BuildOptions{Filter: filter})
	if err != nil {
		r.t.Fatal(err)
	}
	return b
}

func problemsText(b *Build) string {
	var parts []string
	for _, p := range b.Problems {
		parts = append(parts, p.Error())
	}
	return strings.Join(parts, "\n")
}

// docsJSON is `render -o json`'s content for a build, for byte comparisons.
func docsJSON(t *testing.T, b *Build) []byte {
	t.Helper()
	var docs []map[string]any
	for _, p := range b.InScope() {
		docs = append(docs, p.Doc)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(docs); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// normalJSON decodes JSON into generic values with numbers kept exact.
func normalJSON(t *testing.T, data []byte) any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

// roundTrip re-encodes a value through JSON so that map/slice types and numbers compare
// the same way on both sides.
func roundTrip(t *testing.T, v any) any {
	t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return normalJSON(t, data)
}
