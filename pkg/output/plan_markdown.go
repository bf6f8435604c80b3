package output

import (
	"fmt"
	"html"
	"io"
	"sort"
	"strconv"
	"strings"

	"github.com/pipegen/pipegen/pkg/plan"
)

// MarkdownLimit is the size past which the Markdown plan leaves out detail: GitHub refuses
// comments over 65 536 characters, and a job summary or a bot's wrapper needs some room.
const MarkdownLimit = 60000

// MarkdownOptions shape the Markdown plan.
type MarkdownOptions struct {
	// Limit overrides MarkdownLimit (tests); 0 means MarkdownLimit.
	Limit int
	// FullPlan says where the whole plan can be read (a CI job's URL or artifact) when the
	// comment has to be shortened; empty: the note says how to print it.
	FullPlan string
}

// mdListShown is how many pipelines a callout or group names before "and N more".
const mdListShown = 20

// PlanMarkdown writes the plan as a GitHub pull-request comment: the summary, then what needs
// a reviewer's attention first (deletions, conflicts, changes made outside pipegen), then one
// collapsed section per set of pipelines with identical changes and one per application with
// its own changes. Past the size limit, sections lose their detail, last first, and a note says
// where the full plan is; a code block is always left out whole, never cut. A plan without
// changes is the single line "No changes.".
func PlanMarkdown(w io.Writer, p *plan.Plan, opt MarkdownOptions) error {
	ew := &errWriter{w: w}
	if !p.HasChanges() {
		ew.println("No changes.")
		return ew.err
	}
	limit := opt.Limit
	if limit <= 0 {
		limit = MarkdownLimit
	}
	head := "### pipegen plan: " + mdText(SummaryLine(p.Counts)) + "\n" + mdCallouts(p)
	// Applications are never shortened: a permission change must always be read.
	apps, err := appsMarkdown(p)
	if err != nil {
		return err
	}
	head += apps
	sections, err := mdSections(p)
	if err != nil {
		return err
	}
	body, shortened := fitSections(sections, limit-len(head)-500)
	ew.println(strings.TrimSuffix(head, "\n"))
	for _, s := range body {
		ew.println("")
		ew.println(strings.TrimSuffix(s, "\n"))
	}
	if shortened > 0 {
		where := "run `pipegen diff` (or `-o json`) on this change"
		if opt.FullPlan != "" {
			where = mdText(opt.FullPlan)
		}
		ew.println("")
		ew.println(fmt.Sprintf("> [!NOTE]\n> This plan is longer than a pull-request comment allows: the detail of %d section(s) is left out. The full plan: %s.", shortened, where))
	}
	return ew.err
}

// mdCallouts lists, before any detail, what a reviewer must not miss.
func mdCallouts(p *plan.Plan) string {
	var dels, conflicts, drifts []string
	for _, it := range p.Items {
		switch attentionOf(it) {
		case plan.Delete:
			dels = append(dels, codeSpan(fullName(it)))
		case plan.Conflict:
			conflicts = append(conflicts, codeSpan(fullName(it))+": "+mdText(it.Reason))
		case driftAttention:
			drifts = append(drifts, codeSpan(fullName(it))+": "+mdText(DriftText(it.Drift)))
		}
	}
	var b strings.Builder
	callout := func(kind, title string, items []string) {
		if len(items) == 0 {
			return
		}
		b.WriteString("\n> [!" + kind + "]\n> **" + title + "**\n")
		for i, s := range items {
			if i == mdListShown && len(items) > mdListShown+1 {
				fmt.Fprintf(&b, "> - … and %d more (in the sections below)\n", len(items)-i)
				break
			}
			b.WriteString("> - " + s + "\n")
		}
	}
	callout("CAUTION", plural(len(dels), "pipeline", "pipelines")+" to delete", dels)
	callout("CAUTION", plural(len(conflicts), "conflict", "conflicts")+": sync refuses these", conflicts)
	callout("WARNING", plural(len(drifts), "pipeline", "pipelines")+" changed outside pipegen: sync reverts these changes", drifts)
	callout("NOTE", plural(len(p.Unmanaged), "pipeline", "pipelines")+" of these applications made in the UI, not managed (sync leaves them alone)", unmanagedItems(p))
	return b.String()
}

// changesCell is an item's action and what its row in a table of pipelines says about it.
func changesCell(it plan.Item) (action, changes string, err error) {
	switch it.Action {
	case plan.Create:
		doc, err := it.Document()
		if err != nil {
			return "", "", fmt.Errorf("print %s: %w", fullName(it), err)
		}
		return string(it.Action), stageCount(doc), nil
	case plan.Update, plan.Adopt:
		changes = strconv.Itoa(len(it.Changes))
		if it.Drift != nil {
			changes += ", changed outside pipegen"
		}
		return string(it.Action), changes, nil
	case plan.Orphan:
		return "kept", "not in source", nil
	case plan.Conflict, plan.Delete:
		return string(it.Action), it.Reason, nil
	}
	return "", "", fmt.Errorf("print %s: unknown plan action %q", fullName(it), it.Action)
}

// driftAttention marks an item changed outside pipegen in attentionOf.
const driftAttention plan.Action = "drift"

// attentionOf says which callout an item belongs in: Delete, Conflict, driftAttention, or ""
// for none.
func attentionOf(it plan.Item) plan.Action {
	switch {
	case it.Action == plan.Delete || it.Action == plan.Conflict:
		return it.Action
	case it.Drift != nil:
		return driftAttention
	}
	return ""
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}

// mdSection is one collapsible section in three sizes: full, without its code blocks, and
// one line.
type mdSection struct {
	full, short, line string
}

func mdSections(p *plan.Plan) ([]mdSection, error) {
	groups := sharedGroups(p)
	var out []mdSection
	for _, g := range groupsInOrder(p, groups) {
		s, err := mdGroup(p, g)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	apps, byApp := byApplication(p, groups, func(it plan.Item) bool { return it.Action != plan.Unchanged })
	for _, app := range apps {
		s, err := mdApp(p, app, byApp[app])
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

// groupsInOrder lists the shared groups in the order of their first members.
func groupsInOrder(p *plan.Plan, groups map[int]*plan.Group) []*plan.Group {
	var out []*plan.Group
	done := map[*plan.Group]bool{}
	for i := range p.Items {
		if g := groups[i]; g != nil && !done[g] {
			done[g] = true
			out = append(out, g)
		}
	}
	return out
}

// byApplication gathers the items in no shared group that keep accepts, by application; apps
// are sorted.
func byApplication(p *plan.Plan, groups map[int]*plan.Group, keep func(plan.Item) bool) (apps []string, items map[string][]int) {
	items = map[string][]int{}
	for i, it := range p.Items {
		if groups[i] != nil || !keep(it) {
			continue
		}
		if _, ok := items[it.Application]; !ok {
			apps = append(apps, it.Application)
		}
		items[it.Application] = append(items[it.Application], i)
	}
	sort.Strings(apps)
	return apps, items
}

func mdGroup(p *plan.Plan, g *plan.Group) (mdSection, error) {
	first := p.Items[g.Items[0]]
	title := fmt.Sprintf("%s: %d pipelines with the same changes", g.Action, len(g.Items))
	var names []string
	for _, i := range g.Items {
		names = append(names, codeSpan(fullName(p.Items[i])))
	}
	members := "Pipelines: " + strings.Join(names, ", ") + "\n"
	var b strings.Builder
	b.WriteString("<details><summary>" + html.EscapeString(title) + "</summary>\n\n" + members)
	if first.Drift != nil {
		b.WriteString("\n**" + mdText(DriftText(first.Drift)) + "**\n")
	}
	head := b.String()
	block, err := changesBlock(first)
	if err != nil {
		return mdSection{}, err
	}
	return mdSection{
		full:  head + "\n" + block + "\n</details>\n",
		short: head + "\n_(changes left out for size)_\n\n</details>\n",
		line:  "- " + mdText(title) + " (left out for size)\n",
	}, nil
}

func mdApp(p *plan.Plan, app string, items []int) (mdSection, error) {
	own := make([]plan.Item, len(items))
	for k, i := range items {
		own[k] = p.Items[i]
	}
	c := plan.Count(own)
	var parts []string
	for _, x := range []struct {
		n    int
		what string
	}{{c.Create, "to create"}, {c.Update, "to update"}, {c.Delete, "to delete"}, {c.Conflict, "in conflict"}, {c.Kept, "not in source, kept"}, {c.Drift, "changed outside pipegen"}} {
		if x.n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", x.n, x.what))
		}
	}
	summary := "<b>" + html.EscapeString(app) + "</b>: " + strings.Join(parts, ", ")
	var table strings.Builder
	table.WriteString("| Action | Pipeline | Source | Changes |\n|---|---|---|---|\n")
	var details strings.Builder
	for _, i := range items {
		it := p.Items[i]
		action, changes, err := changesCell(it)
		if err != nil {
			return mdSection{}, err
		}
		changes = mdText(changes)
		source := "—"
		if it.Source != "" {
			source = codeSpan(it.Source)
		}
		table.WriteString("| " + action + " | " + codeSpan(fullName(it)) + " | " + source + " | " + changes + " |\n")

		var block string
		switch it.Action {
		case plan.Create:
			block, err = createBlock(it)
		case plan.Update, plan.Adopt:
			block, err = changesBlock(it)
		default:
			continue
		}
		if err != nil {
			return mdSection{}, err
		}
		details.WriteString("\n<details><summary>" + string(it.Action) + " <code>" + html.EscapeString(fullName(it)) + "</code></summary>\n\n")
		if it.Drift != nil {
			details.WriteString("**" + mdText(DriftText(it.Drift)) + "**\n\n")
		}
		details.WriteString(block + "\n</details>\n")
	}
	open := "<details><summary>" + summary + "</summary>\n\n"
	return mdSection{
		full:  open + table.String() + details.String() + "\n</details>\n",
		short: open + table.String() + "\n_(changes left out for size)_\n\n</details>\n",
		line:  "- " + summary + " (left out for size)\n",
	}, nil
}

// fitSections keeps sections whole while they fit in limit, then, from the last section
// backwards, swaps in the shorter forms until they do. It returns the sections and how many
// lost detail.
func fitSections(sections []mdSection, limit int) ([]string, int) {
	out := make([]string, len(sections))
	total := 0
	for i, s := range sections {
		out[i] = s.full
		total += len(s.full) + 1
	}
	shortened := 0
	for _, form := range []func(mdSection) string{
		func(s mdSection) string { return s.short },
		func(s mdSection) string { return s.line },
	} {
		for i := len(sections) - 1; i >= 0 && total > limit; i-- {
			next := form(sections[i])
			if len(next) >= len(out[i]) {
				continue
			}
			if out[i] == sections[i].full {
				shortened++
			}
			total += len(next) - len(out[i])
			out[i] = next
		}
	}
	// Still too long (thousands of applications): the one-line forms are cut off at the end.
	for len(out) > 0 && total > limit {
		total -= len(out[len(out)-1]) + 1
		out = out[:len(out)-1]
	}
	if kept := len(out); kept < len(sections) {
		out = append(out, fmt.Sprintf("- … and %d more section(s) left out for size\n", len(sections)-kept))
		shortened += len(sections) - kept
	}
	return out, shortened
}

// createBlock is a new pipeline in full, as YAML in a collapsed block.
func createBlock(it plan.Item) (string, error) {
	doc, err := it.Document()
	if err != nil {
		return "", fmt.Errorf("print %s: %w", fullName(it), err)
	}
	lines, err := documentYAML(doc)
	if err != nil {
		return "", fmt.Errorf("print %s: %w", fullName(it), err)
	}
	rows := stageRows(doc)
	intro := stageCount(doc)
	if len(rows) > 0 {
		var refs []string
		for _, r := range rows {
			refs = append(refs, r.refID)
		}
		intro += " (" + strings.Join(refs, ", ") + ")"
	}
	return mdText(intro) + "; every field sync writes:\n\n" + fenced("yaml", lines), nil
}

func changesBlock(it plan.Item) (string, error) {
	var body []string
	if it.Action == plan.Adopt {
		body = append(body, "! adopt: existing pipeline "+it.ID+" taken over, id kept")
	}
	for _, c := range it.Changes {
		cl, err := formatChange(c, 0)
		if err != nil {
			return "", fmt.Errorf("print %s: %w", fullName(it), err)
		}
		body = append(body, cl.head)
		// Every body line carries its own marker so GitHub colours the whole value.
		for _, b := range cl.body {
			switch b.op {
			case opFrom:
				body = append(body, "-   "+b.text)
			case opTo:
				body = append(body, "+   "+b.text)
			case opHunk:
				body = append(body, b.text)
			case opNote:
				body = append(body, `\   `+b.text)
			default:
				body = append(body, "    "+b.text)
			}
		}
	}
	if len(body) == 0 {
		body = append(body, "  (no field changes)")
	}
	return fenced("diff", body), nil
}

// fenced wraps lines in a code block whose fence no line can close.
func fenced(lang string, lines []string) string {
	fence := fenceFor(lines)
	return fence + lang + "\n" + strings.Join(lines, "\n") + "\n" + fence + "\n"
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
