package output

import (
	"fmt"
	"html"
	"io"
	"strconv"
	"strings"

	"github.com/pipegen/pipegen/pkg/plan"
)

// PlanMarkdown writes the plan as a GitHub pull-request comment: a heading with the summary, a
// table of the pipelines sync would touch or keeps as orphans (unchanged ones are only counted),
// then a collapsed ```diff block per created, updated or adopted pipeline. A plan without changes
// is the single line "No changes.".
func PlanMarkdown(w io.Writer, p *plan.Plan) error {
	ew := &errWriter{w: w}
	if !p.HasChanges() {
		ew.println("No changes.")
		return ew.err
	}
	ew.println("### pipegen plan: " + mdText(SummaryLine(p.Counts)))
	ew.println("")
	ew.println("| Action | Pipeline | Source | Changes |")
	ew.println("|---|---|---|---|")
	for _, it := range p.Items {
		if it.Action == plan.Unchanged {
			continue
		}
		action, changes := string(it.Action), ""
		switch it.Action {
		case plan.Create:
			changes = stageCount(it.Desired)
		case plan.Update, plan.Adopt:
			changes = strconv.Itoa(len(it.Changes))
		case plan.Orphan:
			action, changes = "kept", "not in source"
		case plan.Conflict, plan.Delete:
			changes = mdText(it.Reason)
		}
		source := "—"
		if it.Source != "" {
			source = codeSpan(it.Source)
		}
		ew.println("| " + action + " | " + codeSpan(fullName(it)) + " | " + source + " | " + changes + " |")
	}
	for _, it := range p.Items {
		var body []string
		var err error
		switch it.Action {
		case plan.Create:
			body = createBody(it)
		case plan.Update, plan.Adopt:
			if body, err = changesBody(it); err != nil {
				return err
			}
		default:
			continue
		}
		ew.println("")
		ew.println("<details><summary>" + string(it.Action) + " <code>" + html.EscapeString(fullName(it)) + "</code></summary>")
		ew.println("")
		fence := fenceFor(body)
		ew.println(fence + "diff")
		for _, l := range body {
			ew.println(l)
		}
		ew.println(fence)
		ew.println("")
		ew.println("</details>")
	}
	return ew.err
}

func createBody(it plan.Item) []string {
	rows := stageRows(it.Desired)
	if len(rows) == 0 {
		return []string{"+ (no stages)"}
	}
	body := []string{"+ " + stageCount(it.Desired) + ":"}
	for _, r := range alignRows(rows) {
		body = append(body, "+   "+r)
	}
	return body
}

func changesBody(it plan.Item) ([]string, error) {
	var body []string
	if it.Action == plan.Adopt {
		body = append(body, "! adopt: existing pipeline "+it.ID+" taken over, id kept")
	}
	for _, c := range it.Changes {
		cl, err := formatChange(c, 0)
		if err != nil {
			return nil, fmt.Errorf("print %s: %w", fullName(it), err)
		}
		body = append(body, cl.head)
		// Every folded line carries its own marker so GitHub colours the whole value.
		for _, l := range cl.from {
			body = append(body, "-   "+l)
		}
		for _, l := range cl.to {
			body = append(body, "+   "+l)
		}
	}
	if len(body) == 0 {
		body = append(body, "  (no field changes)")
	}
	return body, nil
}

// fenceFor returns a backtick fence longer than any backtick run in the body, so a value
// containing ``` cannot end the code block early.
func fenceFor(body []string) string {
	longest := 0
	for _, l := range body {
		run := 0
		for _, r := range l {
			if r == '`' {
				run++
				longest = max(longest, run)
			} else {
				run = 0
			}
		}
	}
	return strings.Repeat("`", max(3, longest+1))
}

// codeSpan wraps s in a Markdown code span that survives backticks and table pipes in s.
func codeSpan(s string) string {
	s = strings.ReplaceAll(s, "|", `\|`)
	s = strings.ReplaceAll(s, "\n", " ")
	ticks := 1
	for strings.Contains(s, strings.Repeat("`", ticks)) {
		ticks++
	}
	fence := strings.Repeat("`", ticks)
	if ticks > 1 || strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") {
		return fence + " " + s + " " + fence
	}
	return fence + s + fence
}

// mdText makes free text safe in a heading or table cell.
func mdText(s string) string {
	r := strings.NewReplacer("|", `\|`, "\n", " ", "\r", "", "<", "&lt;", ">", "&gt;", "&", "&amp;")
	return r.Replace(s)
}
