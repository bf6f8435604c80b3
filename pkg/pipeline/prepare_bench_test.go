package pipeline_test

import (
	"testing"

	"github.com/pipegen/pipegen/internal/bench"
	"github.com/pipegen/pipegen/pkg/pipeline"
	"github.com/pipegen/pipegen/pkg/yamldoc"
)

// BenchmarkPrepare is id assignment and checks of one rendered pipeline (the synthetic deploy
// pipeline: 5 expected artifacts, 10 stages, artifact references by name).
func BenchmarkPrepare(b *testing.B) {
	text, err := bench.SampleDeploy(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	m := pipeline.Marker{Service: bench.ServiceName(2), Stack: "prod", Key: "deploy", File: "services/x.yaml"}
	id := pipeline.PipelineID(m.Service, m.Stack, m.Key)
	// Prepare changes the value it is given, so every round gets a fresh decode, outside
	// the timer.
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		v, err := yamldoc.Decode(text)
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		res := pipeline.Prepare(v, m.Service, id, m, pipeline.Options{Lock: true})
		if len(res.Errors) > 0 {
			b.Fatal(res.Errors)
		}
	}
}
