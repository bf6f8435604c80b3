package output

import (
	"io"

	"github.com/pipegen/pipegen/pkg/plan"
	"github.com/pipegen/pipegen/pkg/stagegraph"
)

// ItemGraphSVG draws one plan item's stage graph as the HTML report does, changed stages
// marked, for pages that show one pipeline at a time.
func ItemGraphSVG(w io.Writer, it plan.Item, o stagegraph.SVGOptions) error {
	g, err := itemGraph(it)
	if err != nil {
		return err
	}
	return g.SVG(w, o)
}
