package output

import (
	"fmt"
	"io"
	"strings"

	"github.com/pipegen/pipegen/pkg/diff"
	"github.com/pipegen/pipegen/pkg/iostreams"
	"github.com/pipegen/pipegen/pkg/plan"
)

// OrphanHint follows every orphan in the text plan: the pipeline stays because --prune was not
// given, and this says how to see what pruning would do.
const OrphanHint = "not in source, kept (pipegen diff --prune shows what sync --prune deletes)"

// PlanText writes the plan for a terminal, in the spirit of `terraform plan`: one block per
// pipeline that sync would touch, one line per kept orphan (and per unchanged pipeline when
// verbose), then the summary line. Colour comes only from cs (nil or disabled: none).
func PlanText(w io.Writer, p *plan.Plan, cs *iostreams.ColorScheme, verbose bool) error {
	ew := &errWriter{w: w}
	prevBlock, prevLine := false, false
	for _, it := range p.Items {
		var lines []string
		block := true
		switch it.Action {
		case plan.Unchanged:
			if !verbose {
				continue
			}
			block = false
			lines = []string{"  " + fullName(it) + "  " + cs.Gray("("+sourceText(it)+")  unchanged")}
		case plan.Orphan:
			block = false
			lines = []string{"  " + cs.Bold(fullName(it)) + "  " + cs.Gray("("+sourceText(it)+")") + "  " + cs.Yellow("not in source, kept") + " " +
				cs.Gray(strings.TrimPrefix(OrphanHint, "not in source, kept "))}
		default:
			var err error
			if lines, err = textBlock(it, cs); err != nil {
				return err
			}
		}
		// Blocks are separated by blank lines; consecutive one-line entries are not.
		if prevBlock || (block && prevLine) {
			ew.println("")
		}
		for _, l := range lines {
			ew.println(l)
		}
		prevBlock, prevLine = block, !block
	}
	if prevBlock || prevLine {
		ew.println("")
	}
	ew.println(cs.Bold(SummaryLine(p.Counts)))
	return ew.err
}

func textBlock(it plan.Item, cs *iostreams.ColorScheme) ([]string, error) {
	head := func(sym string, color func(string) string, extra string) string {
		s := color(sym) + " " + cs.Bold(fullName(it)) + "  " + cs.Gray("("+sourceText(it)+")")
		if extra != "" {
			s += "  " + extra
		}
		return s
	}
	var lines []string
	switch it.Action {
	case plan.Create:
		lines = append(lines, head("+", cs.Green, ""))
		rows := stageRows(it.Desired)
		if len(rows) == 0 {
			lines = append(lines, "    "+cs.Gray("(no stages)"))
		} else {
			lines = append(lines, "    "+cs.Gray(stageCount(it.Desired)+":"))
			for _, r := range alignRows(rows) {
				lines = append(lines, "      "+cs.Green(r))
			}
		}
		return lines, nil
	case plan.Update, plan.Adopt:
		extra := ""
		if it.Action == plan.Adopt {
			extra = cs.Yellow("adopt: existing pipeline " + it.ID + " taken over, id kept")
		}
		lines = append(lines, head("~", cs.Yellow, extra))
		if it.Reason != "" {
			lines = append(lines, "    "+cs.Gray(it.Reason))
		}
		if len(it.Changes) == 0 {
			lines = append(lines, "    "+cs.Gray("(no field changes)"))
		}
		for _, c := range it.Changes {
			cl, err := formatChange(c, 4)
			if err != nil {
				return nil, fmt.Errorf("print %s: %w", fullName(it), err)
			}
			lines = append(lines, "    "+kindColor(cs, cl.kind)(cl.head))
			for _, l := range cl.from {
				lines = append(lines, "      "+cs.Red("- "+l))
			}
			for _, l := range cl.to {
				lines = append(lines, "      "+cs.Green("+ "+l))
			}
		}
		return lines, nil
	case plan.Delete:
		lines = append(lines, head("-", cs.Red, cs.Red("delete")))
		if it.Reason != "" {
			lines = append(lines, "    "+cs.Gray(it.Reason))
		}
		return lines, nil
	case plan.Conflict:
		lines = append(lines, head(cs.Bold("!"), cs.Red, cs.Red("conflict")))
		reason := it.Reason
		if reason == "" {
			reason = "a pipeline with this name exists and was not made by pipegen (sync --adopt takes it over)"
		}
		lines = append(lines, "    "+cs.Red(reason))
		return lines, nil
	default:
		return nil, fmt.Errorf("print %s: unknown plan action %q", fullName(it), it.Action)
	}
}

func kindColor(cs *iostreams.ColorScheme, k diff.Kind) func(string) string {
	switch k {
	case diff.Added:
		return cs.Green
	case diff.Removed:
		return cs.Red
	default:
		return cs.Yellow
	}
}

// sourceText is the item's source, or its id when it has none (pipelines found only in the store).
func sourceText(it plan.Item) string {
	if it.Source != "" {
		return it.Source
	}
	return "id " + it.ID
}

// errWriter keeps the first write error so printers can write line by line and check once.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) println(s string) {
	if e.err != nil {
		return
	}
	_, e.err = io.WriteString(e.w, s+"\n")
}
