package action

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/pipegen/pipegen/internal/bench"
	"github.com/pipegen/pipegen/pkg/config"
)

func benchConfig(b *testing.B, services int) *config.Config {
	b.Helper()
	dir := b.TempDir()
	if err := bench.Generate(dir, services, 1); err != nil {
		b.Fatal(err)
	}
	cfg, err := config.Load(config.Overrides{Dir: dir}, func(string) string { return "" }, dir)
	if err != nil {
		b.Fatal(err)
	}
	return cfg
}

// BenchmarkRender1000 renders a synthetic repo of 84 services (1008 pipelines): services,
// templates, YAML decoding, ids, checks. Cold: no cache; warm: decodings from the cache.
func BenchmarkRender1000(b *testing.B) {
	for _, tc := range []struct {
		name string
		warm bool
	}{{"cold", false}, {"warm", true}} {
		b.Run(tc.name, func(b *testing.B) {
			cfg := benchConfig(b, 84)
			render := func() {
				build, err := Render(context.Background(), cfg, BuildOptions{NoCache: !tc.warm})
				if err != nil || len(build.Problems) > 0 || len(build.Pipelines) != 1008 {
					b.Fatalf("render: %v %v, %d pipelines", err, build.Problems, len(build.Pipelines))
				}
			}
			if tc.warm {
				render() // fills the cache
			}
			b.ReportAllocs()
			for b.Loop() {
				render()
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/1008, "µs/pipeline")
			if !tc.warm {
				if _, err := os.Stat(filepath.Join(cfg.Root, ".pipegen")); !os.IsNotExist(err) {
					b.Fatal("NoCache wrote a cache")
				}
			}
		})
	}
}

// BenchmarkStoredBody is the encoding of one pipeline as sync writes it.
func BenchmarkStoredBody(b *testing.B) {
	cfg := benchConfig(b, 3)
	build, err := Render(context.Background(), cfg, BuildOptions{NoCache: true})
	if err != nil {
		b.Fatal(err)
	}
	doc := build.Pipelines[0].Doc
	for _, p := range build.Pipelines { // the largest
		if len(p.Doc["stages"].([]any)) > len(doc["stages"].([]any)) {
			doc = p.Doc
		}
	}
	b.Run("appendJSON", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := StoredBody(doc, "1700000000000"); err != nil {
				b.Fatal(err)
			}
		}
	})
	// What StoredBody cost before encode.go: encoding/json, same bytes.
	b.Run("encoding-json", func(b *testing.B) {
		obj := map[string]any{"updateTs": "1700000000000", "lastModifiedBy": "pipegen"}
		for k, v := range doc {
			obj[k] = v
		}
		b.ReportAllocs()
		for b.Loop() {
			encodingJSON(b, obj)
		}
	})
}
