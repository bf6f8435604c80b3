package yamldoc_test

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/pipegen/pipegen/internal/bench"
	"github.com/pipegen/pipegen/pkg/yamldoc"
)

// renderedPipeline is one synthetic deploy pipeline as a template renders it (YAML, ~7 KB).
func renderedPipeline(b *testing.B) []byte {
	b.Helper()
	text, err := bench.SampleDeploy(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	return text
}

// BenchmarkDecodePipeline is YAML→JSON values of one rendered pipeline: the largest share of
// a render's CPU time.
func BenchmarkDecodePipeline(b *testing.B) {
	text := renderedPipeline(b)
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := yamldoc.Decode(text); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecodePipelineAsJSON decodes the same pipeline from its JSON form with
// encoding/json, for scale: what a stored object costs to read.
func BenchmarkDecodePipelineAsJSON(b *testing.B) {
	v, err := yamldoc.Decode(renderedPipeline(b))
	if err != nil {
		b.Fatal(err)
	}
	data, err := json.Marshal(v)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.UseNumber()
		var out any
		if err := dec.Decode(&out); err != nil {
			b.Fatal(err)
		}
	}
}
