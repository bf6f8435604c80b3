package output

import (
	"fmt"
	"sort"
	"strings"

	"github.com/pipegen/pipegen/pkg/action"
	"github.com/pipegen/pipegen/pkg/diff"
	"github.com/pipegen/pipegen/pkg/iostreams"
	"github.com/pipegen/pipegen/pkg/plan"
)

// AppSummaryLine is the applications' summary: "applications: N to create, N to update, N unchanged".
func AppSummaryLine(c plan.AppCounts) string {
	s := fmt.Sprintf("applications: %d to create, %d to update, %d unchanged", c.Create, c.Update, c.Unchanged)
	if c.Conflict == 1 {
		s += ", 1 conflict"
	} else if c.Conflict > 1 {
		s += fmt.Sprintf(", %d conflicts", c.Conflict)
	}
	if c.Kept > 0 {
		s += fmt.Sprintf(", %d not in source, kept", c.Kept)
	}
	return s
}

// appLine is one line of an application's block, with the kind that colours it.
type appLine struct {
	kind diff.Kind // "" for neutral text
	text string
}

// appHead is the first line of an application's entry.
func appHead(it plan.AppItem) (sym string, kind diff.Kind, note string) {
	switch it.Action {
	case plan.AppCreate:
		note = "create"
		if it.Minimal {
			note = "create (minimal: the service has no application block)"
		}
		return "+", diff.Added, note
	case plan.AppUpdate:
		return "~", diff.Changed, "update"
	case plan.AppAdopt:
		return "~", diff.Changed, "adopt: existing application taken over"
	case plan.AppConflict:
		return "!", diff.Removed, "conflict"
	case plan.AppKept:
		return " ", "", "not in source, kept"
	}
	return " ", "", "unchanged"
}

// appBody lists an application's changes, permissions first: who gains and who loses access.
func appBody(it plan.AppItem) ([]appLine, error) {
	var out []appLine
	if it.Reason != "" {
		out = append(out, appLine{text: it.Reason})
	}
	if pc := it.Permissions; pc != nil {
		out = append(out, permissionLines(pc)...)
	}
	for _, c := range it.Changes {
		cl, err := formatChange(c, 4)
		if err != nil {
			return nil, fmt.Errorf("print application %s: %w", it.Name, err)
		}
		out = append(out, appLine{kind: cl.kind, text: cl.head})
		for _, b := range cl.body {
			switch b.op {
			case opFrom:
				out = append(out, appLine{kind: diff.Removed, text: "  - " + b.text})
			case opTo:
				out = append(out, appLine{kind: diff.Added, text: "  + " + b.text})
			default:
				out = append(out, appLine{text: "  " + string(b.op) + " " + b.text})
			}
		}
	}
	return out, nil
}

// permissionLines says in words who gains and who loses which access.
func permissionLines(pc *plan.PermissionChange) []appLine {
	out := []appLine{{kind: diff.Changed, text: "permissions:"}}
	switch {
	case pc.FromUnrestricted && pc.ToUnrestricted:
		out = append(out, appLine{kind: diff.Changed, text: "  permission object written: unrestricted (everyone may read, write and execute)"})
	case pc.FromUnrestricted:
		out = append(out, appLine{kind: diff.Removed, text: "  ! was unrestricted (everyone could read, write and execute); only the groups below will have access"})
	case pc.ToUnrestricted:
		out = append(out, appLine{kind: diff.Added, text: "  ! becomes unrestricted: everyone may read, write and execute"})
	}
	for _, g := range groupGrants(pc.Gains) {
		out = append(out, appLine{kind: diff.Added, text: "  + " + g.group + " gains " + strings.Join(g.access, ", ")})
	}
	for _, g := range groupGrants(pc.Loses) {
		out = append(out, appLine{kind: diff.Removed, text: "  - " + g.group + " loses " + strings.Join(g.access, ", ")})
	}
	return out
}

type groupAccess struct {
	group  string
	access []string
}

func groupGrants(gs []plan.Grant) []groupAccess {
	by := map[string][]string{}
	for _, g := range gs {
		by[g.Group] = append(by[g.Group], g.Access)
	}
	out := make([]groupAccess, 0, len(by))
	for g, a := range by {
		out = append(out, groupAccess{g, a})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].group < out[j].group })
	return out
}

// appsText writes the applications section of the text plan; unchanged applications only when
// verbose. It writes nothing when there is nothing to show.
func appsText(ew *errWriter, p *plan.Plan, cs *iostreams.ColorScheme, verbose bool) error {
	shown := false
	for _, it := range p.Applications {
		if it.Action == plan.AppUnchanged && !verbose {
			continue
		}
		sym, kind, note := appHead(it)
		source := ""
		if it.Source != "" {
			source = "  " + cs.Gray("("+it.Source+")")
		}
		ew.println(kindColor(cs, kind)(sym) + " " + cs.Bold("application "+it.Name) + source + "  " + kindColor(cs, kind)(note))
		lines, err := appBody(it)
		if err != nil {
			return err
		}
		for _, l := range lines {
			text := "    " + l.text
			if l.kind == "" {
				ew.println(cs.Gray(text))
			} else {
				ew.println(kindColor(cs, l.kind)(text))
			}
		}
		shown = true
	}
	if shown {
		ew.println("")
	}
	return ew.err
}

// appsMarkdown is the applications part of the Markdown plan: the summary, a table, and a
// diff block per changed application ("" when there are no applications).
func appsMarkdown(p *plan.Plan) (string, error) {
	if len(p.Applications) == 0 {
		return "", nil
	}
	var b strings.Builder
	b.WriteString("\n" + mdText(AppSummaryLine(p.AppCounts)) + "\n")
	var changed []plan.AppItem
	for _, it := range p.Applications {
		if it.Action != plan.AppUnchanged {
			changed = append(changed, it)
		}
	}
	if len(changed) == 0 {
		return b.String(), nil
	}
	b.WriteString("\n| Action | Application | Source | Permissions |\n|---|---|---|---|\n")
	for _, it := range changed {
		perms := "—"
		if pc := it.Permissions; pc != nil {
			perms = mdText(fmt.Sprintf("%d gained, %d lost", len(pc.Gains), len(pc.Loses)))
		}
		source := "—"
		if it.Source != "" {
			source = codeSpan(it.Source)
		}
		_, _, note := appHead(it)
		b.WriteString("| " + mdText(note) + " | " + codeSpan(it.Name) + " | " + source + " | " + perms + " |\n")
	}
	for _, it := range changed {
		lines, err := appBody(it)
		if err != nil {
			return "", err
		}
		if len(lines) == 0 {
			continue
		}
		body := make([]string, len(lines))
		for i, l := range lines {
			body[i] = mdDiffPrefix(l.kind) + mdDropSymbol(l)
		}
		fence := fenceFor(body)
		b.WriteString("\n<details open><summary>application <code>" + it.Name + "</code></summary>\n\n" + fence + "diff\n")
		for _, l := range body {
			b.WriteString(l + "\n")
		}
		b.WriteString(fence + "\n\n</details>\n")
	}
	return b.String(), nil
}

// mdDropSymbol drops a line's own leading "+"/"-" where the diff prefix already says it.
func mdDropSymbol(l appLine) string {
	trimmed := strings.TrimLeft(l.text, " ")
	indent := l.text[:len(l.text)-len(trimmed)]
	for _, sym := range []string{"+ ", "- "} {
		if strings.HasPrefix(trimmed, sym) && mdDiffPrefix(l.kind) == sym {
			return indent + strings.TrimPrefix(trimmed, sym)
		}
	}
	return l.text
}

// mdDiffPrefix makes GitHub colour a line: "+" green, "-" red.
func mdDiffPrefix(k diff.Kind) string {
	switch k {
	case diff.Added:
		return "+ "
	case diff.Removed:
		return "- "
	}
	return "  "
}

// jsonApp is an application in the JSON plan (docs/output-json.md).
type jsonApp struct {
	Action      string           `json:"action"`
	Name        string           `json:"name"`
	Source      string           `json:"source"`
	Minimal     bool             `json:"minimal"`
	Reason      string           `json:"reason"`
	Permissions *jsonPermissions `json:"permissions"`
	Changes     []jsonChange     `json:"changes"`
}

type jsonPermissions struct {
	FromUnrestricted bool                `json:"fromUnrestricted"`
	ToUnrestricted   bool                `json:"toUnrestricted"`
	Gains            []plan.Grant        `json:"gains"`
	Loses            []plan.Grant        `json:"loses"`
	From             map[string][]string `json:"from"`
	To               map[string][]string `json:"to"`
}

type jsonAppSummary struct {
	Create    int `json:"create"`
	Update    int `json:"update"`
	Unchanged int `json:"unchanged"`
	Conflict  int `json:"conflict"`
	Kept      int `json:"kept"`
}

func jsonApps(p *plan.Plan) ([]jsonApp, jsonAppSummary, error) {
	c := p.AppCounts
	sum := jsonAppSummary{Create: c.Create, Update: c.Update, Unchanged: c.Unchanged, Conflict: c.Conflict, Kept: c.Kept}
	out := make([]jsonApp, 0, len(p.Applications))
	for _, it := range p.Applications {
		ja := jsonApp{Action: string(it.Action), Name: it.Name, Source: it.Source, Minimal: it.Minimal, Reason: it.Reason}
		if pc := it.Permissions; pc != nil {
			ja.Permissions = &jsonPermissions{FromUnrestricted: pc.FromUnrestricted, ToUnrestricted: pc.ToUnrestricted,
				Gains: orEmpty(pc.Gains), Loses: orEmpty(pc.Loses), From: pc.From, To: pc.To}
		}
		var err error
		if ja.Changes, err = jsonChanges(plan.Item{Application: "application", Name: it.Name}, it.Changes); err != nil {
			return nil, sum, err
		}
		out = append(out, ja)
	}
	return out, sum, nil
}

func orEmpty[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// appsReport names, on e, each application a sync wrote (unless quiet), and always every one
// that failed or was not started and a failed applications/last-modified.json bump.
func appsReport(e *errWriter, rep *action.Report, cs *iostreams.ColorScheme, quiet bool) {
	verb := map[plan.AppAction]string{plan.AppCreate: "created", plan.AppUpdate: "updated", plan.AppAdopt: "adopted"}
	for _, o := range rep.AppDone {
		switch {
		case quiet:
		case o.Existed:
			e.println(fmt.Sprintf("application %s was created meanwhile by someone else; left as it is", o.Item.Name))
		default:
			e.println(fmt.Sprintf("%s application %s", verb[o.Item.Action], o.Item.Name))
		}
	}
	for _, it := range rep.AppConflicts {
		e.println(fmt.Sprintf("%s application %s not written: it was made in the UI and a service declares it (sync --adopt takes it over)", cs.Red("conflict:"), it.Name))
	}
	for _, o := range rep.AppFailed {
		e.println(fmt.Sprintf("%s application %s not %s: %v", cs.Red("failed:"), o.Item.Name, verb[o.Item.Action], o.Err))
	}
	for _, it := range rep.AppNotStarted {
		e.println(fmt.Sprintf("%s application %s not %s (interrupted before it started)", cs.Yellow("skipped:"), it.Name, verb[it.Action]))
	}
	if rep.AppsBumpErr != nil {
		e.println(fmt.Sprintf("%s applications/last-modified.json not updated: %v (Front50 still sees the changes within its refresh interval, about a minute)", cs.Red("error:"), rep.AppsBumpErr))
	}
}

// applications writes the applications section of the HTML page: one article per application
// that sync would touch or keeps, permission changes first. Nothing when the plan has none.
func (h *htmlPage) applications() error {
	p := h.p
	if len(p.Applications) == 0 {
		return nil
	}
	h.w(`<section class="applications" id="applications"><h2>Applications</h2>` + "\n")
	h.w(`<p class="summary">` + esc(AppSummaryLine(p.AppCounts)) + "</p>\n")
	for _, it := range p.Applications {
		if it.Action == plan.AppUnchanged {
			continue
		}
		_, _, note := appHead(it)
		h.w(`<article class="pipeline ` + esc(string(it.Action)) + `" data-application="` + esc(it.Name) + `"><h3><span class="action">` +
			esc(note) + "</span> <code>" + esc(it.Name) + "</code>")
		if it.Source != "" {
			h.w(` <span class="source">` + esc(it.Source) + "</span>")
		}
		h.w("</h3>\n")
		lines, err := appBody(it)
		if err != nil {
			return err
		}
		if len(lines) > 0 {
			h.w(`<pre class="changes">`)
			for _, l := range lines {
				class := "l"
				if l.kind != "" {
					class += " " + string(l.kind)
				}
				h.w(`<span class="` + class + `">` + esc(l.text) + "</span>\n")
			}
			h.w("</pre>\n")
		}
		h.w("</article>\n")
	}
	h.w("</section>\n")
	return nil
}
