package output

import (
	"github.com/pipegen/pipegen/pkg/iostreams"
	"github.com/pipegen/pipegen/pkg/plan"
)

// unmanagedLines lists the pipelines of managed applications that pipegen does not manage,
// each with the command that imports it. They are not changes: sync leaves them alone.
func unmanagedLines(p *plan.Plan, cs *iostreams.ColorScheme) []string {
	var lines []string
	for _, u := range p.Unmanaged {
		lines = append(lines, "  "+cs.Bold(u.Application+"/"+u.Name)+"  "+cs.Gray("("+u.ID+")")+"  "+
			cs.Yellow("unmanaged")+" "+cs.Gray("(made in the UI; "+u.Import+" brings it in)"))
	}
	return lines
}

// unmanagedItems are the unmanaged pipelines as markdown list items.
func unmanagedItems(p *plan.Plan) []string {
	var items []string
	for _, u := range p.Unmanaged {
		items = append(items, codeSpan(u.Application+"/"+u.Name)+": "+codeSpan(u.Import)+" brings it in")
	}
	return items
}
