package stagegraph

import (
	"fmt"
	"io"
	"testing"
)

// BenchmarkLayoutAndDraw: a 40-stage pipeline with fan-outs and joins, laid out and drawn, as
// the HTML plan does for every created or changed pipeline.
func BenchmarkLayoutAndDraw(b *testing.B) {
	var stages []Stage
	for i := 0; i < 40; i++ {
		s := st(fmt.Sprint(i+1), fmt.Sprintf("Stage number %d", i), "wait")
		if i > 0 {
			s.Requisites = append(s.Requisites, fmt.Sprint((i-1)/2+1))
		}
		if i > 3 && i%5 == 0 {
			s.Requisites = append(s.Requisites, fmt.Sprint(i-3))
		}
		stages = append(stages, s)
	}
	b.ReportAllocs()
	for b.Loop() {
		g, err := Layout(stages, Changed)
		if err != nil {
			b.Fatal(err)
		}
		if err := g.SVG(io.Discard, SVGOptions{Label: "bench"}); err != nil {
			b.Fatal(err)
		}
	}
}
