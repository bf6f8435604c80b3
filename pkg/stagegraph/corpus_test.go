package stagegraph

import (
	"bytes"
	"testing"

	"github.com/pipegen/pipegen/internal/testtool"
)

// TestCorpusPipelinesLayOut lays out every real pipeline in the shared corpus: each must lay
// out, keep the invariants and draw.
func TestCorpusPipelinesLayOut(t *testing.T) {
	laid := 0
	for _, cp := range testtool.CorpusPipelines(t, testtool.CorpusDir("../../.."), "A", "B", "C") {
		stages, err := Stages(cp.Doc)
		if err != nil {
			t.Errorf("%s/%s: %v", cp.Dir, cp.File, err)
			continue
		}
		g, err := Layout(stages, Same)
		if err != nil {
			t.Errorf("%s/%s: %v", cp.Dir, cp.File, err)
			continue
		}
		checkInvariants(t, stages, g)
		var buf bytes.Buffer
		if err := g.SVG(&buf, SVGOptions{Label: cp.File}); err != nil {
			t.Fatal(err)
		}
		laid++
	}
	t.Logf("%d corpus pipelines laid out", laid)
	if laid < 10 {
		t.Errorf("only %d corpus pipelines with stages found", laid)
	}
}
