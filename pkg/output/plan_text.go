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

// textGroupShown is how many pipelines of a group the text plan names before folding the rest
// into "… and N more" (verbose names all).
const textGroupShown = 10

// PlanText writes the plan for a terminal, in the spirit of `terraform plan`: the pipelines
// changed outside pipegen, then one block per pipeline that sync would touch (pipelines with
// identical changes share one block), one line per kept orphan (and per unchanged pipeline
// when verbose), then the summary line. Colour
// comes only from cs (nil or disabled: none).
func PlanText(w io.Writer, p *plan.Plan, cs *iostreams.ColorScheme, verbose bool) error {
	ew := &errWriter{w: w}
	// Applications come first, as sync writes them first.
	if err := appsText(ew, p, cs, verbose); err != nil {
		return err
	}
	groups := sharedGroups(p)
	prevBlock, prevLine := false, false
	// Edits made outside pipegen come first, apart from what the source changes: sync
	// reverts them, and the people who made them may not know.
	var drifted []string
	for _, it := range p.Items {
		if it.Drift != nil {
			drifted = append(drifted, "    "+cs.Bold(fullName(it))+": "+DriftText(it.Drift))
		}
	}
	if len(drifted) > 0 {
		ew.println(cs.Red("!") + " " + cs.Bold(plural(len(drifted), "pipeline", "pipelines")+" changed outside pipegen") + cs.Gray(" (sync reverts these changes; details below):"))
		for _, l := range drifted {
			ew.println(l)
		}
		prevBlock = true
	}
	for i, it := range p.Items {
		var lines []string
		block := true
		switch g := groups[i]; {
		case g != nil && g.Items[0] != i:
			continue // printed with its group
		case g != nil:
			var err error
			if lines, err = textGroup(p, g, cs, verbose); err != nil {
				return err
			}
		case it.Action == plan.Unchanged:
			if !verbose {
				continue
			}
			block = false
			lines = []string{"  " + fullName(it) + "  " + cs.Gray("("+sourceText(it)+")  unchanged")}
		case it.Action == plan.Orphan:
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
	if lines := unmanagedLines(p, cs); len(lines) > 0 {
		for _, l := range lines {
			ew.println(l)
		}
		ew.println("")
	}
	if len(p.Applications) > 0 {
		ew.println(cs.Bold(AppSummaryLine(p.AppCounts)))
	}
	ew.println(cs.Bold(SummaryLine(p.Counts)))
	return ew.err
}

// sharedGroups maps the index of every pipeline that shares its changes with others to its group.
func sharedGroups(p *plan.Plan) map[int]*plan.Group {
	m := map[int]*plan.Group{}
	for _, g := range p.Groups() {
		if len(g.Items) < 2 {
			continue
		}
		for _, i := range g.Items {
			m[i] = &g
		}
	}
	return m
}

func textGroup(p *plan.Plan, g *plan.Group, cs *iostreams.ColorScheme, verbose bool) ([]string, error) {
	first := p.Items[g.Items[0]]
	lines := []string{cs.Yellow("~") + " " + cs.Bold(fmt.Sprintf("%d pipelines", len(g.Items))) + " " + cs.Gray("with the same changes:")}
	for k, i := range g.Items {
		if k == textGroupShown && !verbose && len(g.Items) > textGroupShown+1 {
			lines = append(lines, "    "+cs.Gray(fmt.Sprintf("… and %d more (-v lists them)", len(g.Items)-k)))
			break
		}
		it := p.Items[i]
		lines = append(lines, "    "+cs.Bold(fullName(it))+"  "+cs.Gray("("+sourceText(it)+")"))
	}
	body, err := textChanges(first, cs)
	if err != nil {
		return nil, err
	}
	return append(lines, body...), nil
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
		desired, err := it.Document()
		if err != nil {
			return nil, fmt.Errorf("print %s: %w", fullName(it), err)
		}
		doc, err := documentYAML(desired)
		if err != nil {
			return nil, fmt.Errorf("print %s: %w", fullName(it), err)
		}
		for _, l := range doc {
			lines = append(lines, "    "+cs.Green("+ "+l))
		}
		return lines, nil
	case plan.Update, plan.Adopt:
		extra := ""
		if it.Action == plan.Adopt {
			extra = cs.Yellow("adopt: existing pipeline " + it.ID + " taken over, id kept")
		}
		lines = append(lines, head("~", cs.Yellow, extra))
		body, err := textChanges(it, cs)
		if err != nil {
			return nil, err
		}
		return append(lines, body...), nil
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

// textChanges is the body of an update: reason, drift, then each change.
func textChanges(it plan.Item, cs *iostreams.ColorScheme) ([]string, error) {
	var lines []string
	if it.Reason != "" {
		lines = append(lines, "    "+cs.Gray(it.Reason))
	}
	if it.Drift != nil {
		lines = append(lines, "    "+cs.Red("! "+DriftText(it.Drift)))
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
		for _, b := range cl.body {
			lines = append(lines, "      "+textBodyLine(cs, b))
		}
	}
	return lines, nil
}

func textBodyLine(cs *iostreams.ColorScheme, b bodyLine) string {
	switch b.op {
	case opFrom:
		return cs.Red("- " + b.text)
	case opTo:
		return cs.Green("+ " + b.text)
	case opHunk:
		return cs.Cyan(b.text)
	case opNote:
		return cs.Gray(`\ ` + b.text)
	default:
		return "  " + b.text
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
