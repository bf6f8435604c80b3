package output

import (
	"bytes"
	"fmt"
	"html"
	"io"
	"strconv"
	"strings"

	"github.com/pipegen/pipegen/pkg/diff"
	"github.com/pipegen/pipegen/pkg/plan"
	"github.com/pipegen/pipegen/pkg/stagegraph"
)

// PlanHTML writes the plan as one self-contained page for reviewers who look rather than read
// (CI keeps it as an artifact): the summary; what needs attention first (deletions,
// conflicts, changes made outside pipegen); one section per set of pipelines with identical
// changes and one per application; for every created or changed pipeline its stage graph, laid
// out as Spinnaker's UI draws it with the changed stages marked, and its changes with line
// diffs. Styles and graphs are inline; the page fetches nothing and has no script, so it reads
// the same offline, from a CI artifact or with scripts off. Output is deterministic.
//
// Every created or changed pipeline is an element with data-pipeline="APP/NAME" and
// data-graph naming the id of its graph, an <svg class="stagegraph">; pipelines with
// identical changes and identical graphs share one drawing.
func PlanHTML(w io.Writer, p *plan.Plan) error {
	h := &htmlPage{p: p, graphs: map[string]string{}, pending: map[string]pendingGraph{}}
	if err := h.build(); err != nil {
		return err
	}
	_, err := io.WriteString(w, h.b.String())
	return err
}

type htmlPage struct {
	p       *plan.Plan
	b       strings.Builder
	graphs  map[string]string // drawing (without id and label) → graph id
	pending map[string]pendingGraph
}

func (h *htmlPage) build() error {
	p := h.p
	title := "pipegen plan: " + SummaryLine(p.Counts)
	h.w(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="pipegen">
<title>` + esc(title) + `</title>
<style>` + htmlStyle + `</style>
</head>
<body>
<header>
<h1>pipegen plan</h1>
<p class="summary" id="summary">` + esc(SummaryLine(p.Counts)) + `</p>
</header>
`)
	// Applications are written before their pipelines, and a permission change must be read.
	if err := h.applications(); err != nil {
		return err
	}
	if !p.HasChanges() {
		h.w("<p class=\"nochanges\">No changes: the store matches the source.</p>\n")
		h.orphans()
		h.w("</body>\n</html>\n")
		return nil
	}
	h.callouts()
	h.legend()
	groups := sharedGroups(p)
	for _, g := range groupsInOrder(p, groups) {
		if err := h.group(g); err != nil {
			return err
		}
	}
	apps, byApp := byApplication(p, groups, func(it plan.Item) bool {
		return it.Action != plan.Unchanged && it.Action != plan.Orphan // orphans are listed at the end
	})
	for _, app := range apps {
		if err := h.app(app, byApp[app]); err != nil {
			return err
		}
	}
	h.orphans()
	h.w("</body>\n</html>\n")
	return nil
}

func (h *htmlPage) w(s string) { h.b.WriteString(s) }

// callouts lists, before any detail, what a reviewer must not miss.
func (h *htmlPage) callouts() {
	var dels, conflicts, drifts []string
	for _, it := range h.p.Items {
		link := `<a href="#` + esc(anchor(it)) + `"><code>` + esc(fullName(it)) + `</code></a>`
		switch attentionOf(it) {
		case plan.Delete:
			dels = append(dels, link+": "+esc(it.Reason))
		case plan.Conflict:
			conflicts = append(conflicts, link+": "+esc(it.Reason))
		case driftAttention:
			drifts = append(drifts, link+": "+esc(DriftText(it.Drift)))
		}
	}
	callout := func(class, title string, items []string) {
		if len(items) == 0 {
			return
		}
		h.w(`<section class="callout ` + class + `"><h2>` + esc(title) + "</h2>\n<ul>\n")
		for _, s := range items {
			h.w("<li>" + s + "</li>\n")
		}
		h.w("</ul></section>\n")
	}
	callout("caution", plural(len(dels), "pipeline", "pipelines")+" to delete", dels)
	callout("caution", plural(len(conflicts), "conflict", "conflicts")+": sync refuses these", conflicts)
	callout("warning", plural(len(drifts), "pipeline", "pipelines")+" changed outside pipegen: sync reverts these changes", drifts)
}

func (h *htmlPage) legend() {
	h.w(`<p class="legend">Stage graphs: `)
	for _, m := range []stagegraph.Mark{stagegraph.Added, stagegraph.Changed, stagegraph.Removed} {
		h.w(`<span class="swatch" style="background:` + stagegraph.MarkColors[m] + `"></span>` + string(m) + " ")
	}
	h.w("stage; <em>Configuration</em> holds triggers, parameters and other pipeline settings.</p>\n")
}

func (h *htmlPage) group(g *plan.Group) error {
	p := h.p
	first := p.Items[g.Items[0]]
	title := fmt.Sprintf("%s: %d pipelines with the same changes", g.Action, len(g.Items))
	h.w(`<section class="group"><h2>` + esc(title) + "</h2>\n")
	if first.Drift != nil {
		h.w(`<p class="drift">` + esc(DriftText(first.Drift)) + "</p>\n")
	}
	if err := h.changes(first); err != nil {
		return err
	}
	// Members with the same drawing share it; each member names its graph.
	var members []string
	order := []string{}
	byGraph := map[string][]string{}
	for _, i := range g.Items {
		it := p.Items[i]
		id, err := h.graph(it)
		if err != nil {
			return err
		}
		if _, ok := byGraph[id]; !ok {
			order = append(order, id)
		}
		byGraph[id] = append(byGraph[id], fullName(it))
		members = append(members, `<li class="pipeline" id="`+esc(anchor(it))+`" data-pipeline="`+esc(fullName(it))+`" data-graph="`+esc(id)+`"><code>`+
			esc(fullName(it))+`</code> <span class="source">`+esc(sourceText(it))+"</span></li>")
	}
	h.w(`<details class="members" open><summary>` + esc(plural(len(members), "pipeline", "pipelines")) + "</summary>\n<ul>\n" + strings.Join(members, "\n") + "\n</ul></details>\n")
	for _, id := range order {
		names := byGraph[id]
		caption := "Stage graph of " + names[0]
		if len(names) > 1 {
			caption = fmt.Sprintf("Stage graph of %s and %d more with the same stages", names[0], len(names)-1)
		}
		if err := h.figure(id, caption); err != nil {
			return err
		}
	}
	h.w("</section>\n")
	return nil
}

func (h *htmlPage) app(app string, items []int) error {
	h.w(`<section class="app"><h2>` + esc(app) + "</h2>\n<table>\n<thead><tr><th>Action</th><th>Pipeline</th><th>Source</th><th>Changes</th></tr></thead>\n<tbody>\n")
	for _, i := range items {
		it := h.p.Items[i]
		action, changes, err := changesCell(it)
		if err != nil {
			return err
		}
		h.w(`<tr class="` + string(it.Action) + `"><td>` + action + `</td><td><a href="#` + esc(anchor(it)) + `"><code>` + esc(fullName(it)) +
			`</code></a></td><td>` + esc(sourceText(it)) + `</td><td>` + esc(changes) + "</td></tr>\n")
	}
	h.w("</tbody></table>\n")
	for _, i := range items {
		if err := h.pipeline(h.p.Items[i]); err != nil {
			return err
		}
	}
	h.w("</section>\n")
	return nil
}

// pipeline is one pipeline's detail: its graph and its changes (or its whole document, for a
// create).
func (h *htmlPage) pipeline(it plan.Item) error {
	attrs := ` id="` + esc(anchor(it)) + `"`
	var graphID string
	if it.Action == plan.Create || it.Action == plan.Update || it.Action == plan.Adopt {
		id, err := h.graph(it)
		if err != nil {
			return err
		}
		graphID = id
		attrs += ` data-pipeline="` + esc(fullName(it)) + `" data-graph="` + esc(id) + `"`
	}
	h.w(`<article class="pipeline ` + string(it.Action) + `"` + attrs + `><h3><span class="action">` + string(it.Action) + `</span> <code>` +
		esc(fullName(it)) + `</code></h3>` + "\n" + `<p class="source">` + esc(sourceText(it)) + ` · id <code>` + esc(it.ID) + "</code></p>\n")
	if it.Reason != "" {
		h.w(`<p class="reason">` + esc(it.Reason) + "</p>\n")
	}
	if it.Drift != nil {
		h.w(`<p class="drift">` + esc(DriftText(it.Drift)) + "</p>\n")
	}
	if graphID != "" {
		if err := h.figure(graphID, "Stage graph of "+fullName(it)); err != nil {
			return err
		}
	}
	switch it.Action {
	case plan.Create:
		doc, err := it.Document()
		if err != nil {
			return fmt.Errorf("print %s: %w", fullName(it), err)
		}
		lines, err := documentYAML(doc)
		if err != nil {
			return fmt.Errorf("print %s: %w", fullName(it), err)
		}
		h.w(`<details class="document" open><summary>` + esc(stageCount(doc)) + "; every field sync writes (YAML)</summary>\n<pre class=\"yaml\">")
		for _, l := range lines {
			h.w(`<span class="l to">` + esc(l) + "</span>\n")
		}
		h.w("</pre></details>\n")
	case plan.Update, plan.Adopt:
		if err := h.changes(it); err != nil {
			return err
		}
	}
	h.w("</article>\n")
	return nil
}

// changes writes an item's changes as a diff: one head line per change, then its values, line
// diff or new order.
func (h *htmlPage) changes(it plan.Item) error {
	h.w(`<pre class="diff">`)
	if it.Action == plan.Adopt {
		h.w(`<span class="l note">! adopt: existing pipeline ` + esc(it.ID) + " taken over, id kept</span>\n")
	}
	if len(it.Changes) == 0 {
		h.w(`<span class="l ctx">  (no field changes)</span>` + "\n")
	}
	for _, c := range it.Changes {
		cl, err := formatChange(c, 0)
		if err != nil {
			return fmt.Errorf("print %s: %w", fullName(it), err)
		}
		h.w(`<span class="l head ` + string(c.Kind) + `">` + esc(cl.head) + "</span>\n")
		for _, b := range cl.body {
			class, mark := "ctx", "    "
			switch b.op {
			case opFrom:
				class, mark = "from", "-   "
			case opTo:
				class, mark = "to", "+   "
			case opHunk:
				class, mark = "hunk", ""
			case opNote:
				class, mark = "note", `\   `
			}
			h.w(`<span class="l ` + class + `">` + esc(mark+b.text) + "</span>\n")
		}
	}
	h.w("</pre>\n")
	return nil
}

// graph lays out an item's stage graph and returns the id of its drawing; identical drawings
// (a template change reaching many pipelines) share one id. A graph that cannot be laid out (a
// refId no stage has, a cycle) becomes a note that says why: never a silently wrong drawing.
func (h *htmlPage) graph(it plan.Item) (string, error) {
	var buf bytes.Buffer
	g, err := itemGraph(it)
	if err == nil {
		err = g.SVG(&buf, stagegraph.SVGOptions{})
	}
	key := buf.String()
	if err != nil {
		key = "error: " + err.Error()
	}
	if id, ok := h.graphs[key]; ok {
		return id, nil
	}
	id := "graph-" + strconv.Itoa(len(h.graphs)+1)
	h.graphs[key] = id
	h.pending[id] = pendingGraph{g: g, err: err}
	return id, nil
}

type pendingGraph struct {
	g   *stagegraph.Graph
	err error
}

// figure draws a graph laid out by graph where it is first shown; later mentions link to it.
func (h *htmlPage) figure(id, caption string) error {
	pg, ok := h.pending[id]
	if !ok {
		h.w(`<p class="graphref">` + esc(caption) + `: <a href="#` + esc(id) + `">as drawn above</a></p>` + "\n")
		return nil
	}
	delete(h.pending, id)
	h.w(`<figure class="graph">`)
	if pg.err != nil {
		h.w(`<p class="nograph" id="` + esc(id) + `">No stage graph: ` + esc(pg.err.Error()) + "</p>")
	} else if err := pg.g.SVG(&h.b, stagegraph.SVGOptions{ID: id, Label: caption}); err != nil {
		return err
	}
	h.w(`<figcaption>` + esc(caption) + "</figcaption></figure>\n")
	return nil
}

func (h *htmlPage) orphans() {
	var rows []string
	for _, it := range h.p.Items {
		if it.Action == plan.Orphan {
			rows = append(rows, `<li id="`+esc(anchor(it))+`"><code>`+esc(fullName(it))+`</code> (`+esc(sourceText(it))+`): `+esc(OrphanHint)+"</li>")
		}
	}
	if len(rows) > 0 {
		h.w(`<section class="orphans"><h2>` + esc(plural(len(rows), "pipeline", "pipelines")) + " not in source, kept</h2>\n<ul>\n" + strings.Join(rows, "\n") + "\n</ul></section>\n")
	}
}

// itemGraph lays out the pipeline sync writes, with its changed, added and removed stages
// marked from the plan's changes (the same changes every other format shows, so a stage is
// marked exactly when the diff names it).
func itemGraph(it plan.Item) (*stagegraph.Graph, error) {
	doc, err := it.Document()
	if err != nil {
		return nil, fmt.Errorf("print %s: %w", fullName(it), err)
	}
	if doc == nil {
		return nil, fmt.Errorf("the plan holds no document for %s", fullName(it))
	}
	stages, err := stagegraph.Stages(doc)
	if err != nil {
		return nil, err
	}
	config := stagegraph.Same
	if it.Action == plan.Create {
		config = stagegraph.Added
		for i := range stages {
			stages[i].Mark = stagegraph.Added
		}
		return stagegraph.Layout(stages, config)
	}
	byRef := map[string]int{}
	for i, s := range stages {
		byRef[s.RefID] = i
	}
	mark := func(ref string, m stagegraph.Mark) {
		if i, ok := byRef[ref]; ok && stages[i].Mark != stagegraph.Added {
			stages[i].Mark = m
		}
	}
	for _, c := range it.Changes {
		ref, rest, ok := stageRef(c.Path)
		switch {
		case c.Path == "stages" || strings.HasPrefix(c.Path, "stages["):
			if !ok { // the whole list, or a stage known only by position
				for i := range stages {
					if stages[i].Mark == stagegraph.Same {
						stages[i].Mark = stagegraph.Changed
					}
				}
				continue
			}
			switch {
			case rest == "" && c.Kind == diff.Added:
				mark(ref, stagegraph.Added)
			case rest == "" && c.Kind == diff.Removed:
				old, _ := c.From.(map[string]any)
				s, err := stagegraph.StageOf(old)
				if err != nil {
					return nil, fmt.Errorf("removed stage %s: %w", ref, err)
				}
				s.Mark = stagegraph.Removed
				stages = append(stages, s)
			default:
				mark(ref, stagegraph.Changed)
			}
		default:
			config = stagegraph.Changed
		}
	}
	return stagegraph.Layout(stages, config)
}

// stageRef reads `stages[refId=X]` at the start of a change path: X and the rest of the path.
func stageRef(path string) (ref, rest string, ok bool) {
	const prefix = "stages[refId="
	if !strings.HasPrefix(path, prefix) {
		return "", "", false
	}
	s := path[len(prefix):]
	if strings.HasPrefix(s, `"`) {
		q, err := strconv.QuotedPrefix(s)
		if err != nil {
			return "", "", false
		}
		ref, _ = strconv.Unquote(q)
		s = s[len(q):]
	} else {
		i := strings.IndexByte(s, ']')
		if i < 0 {
			return "", "", false
		}
		ref, s = s[:i], s[i:]
	}
	if !strings.HasPrefix(s, "]") {
		return "", "", false
	}
	return ref, s[1:], true
}

// anchor is the element id of an item's detail.
func anchor(it plan.Item) string { return "p-" + it.ID }

func esc(s string) string { return html.EscapeString(s) }

const htmlStyle = `
:root{color-scheme:light;--fg:#111827;--muted:#6b7280;--line:#e5e7eb;--add:#15803d;--del:#b91c1c;--chg:#b45309}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Helvetica,Arial,sans-serif;color:var(--fg);margin:0 auto;padding:1rem 1.5rem 3rem;max-width:1200px}
h1{font-size:1.5rem;margin:.2rem 0}h2{font-size:1.2rem;margin:0 0 .5rem}h3{font-size:1rem;margin:0 0 .3rem}
.summary{font-size:1.05rem;font-weight:600;margin:.2rem 0 1rem}
section{border:1px solid var(--line);border-radius:8px;padding:.8rem 1rem;margin:1rem 0}
.callout.caution{border-color:var(--del);background:#fef2f2}.callout.warning{border-color:var(--chg);background:#fffbeb}
article.pipeline{border-top:1px solid var(--line);padding:.8rem 0 .4rem;margin-top:.6rem}
.action{display:inline-block;font-size:.75rem;text-transform:uppercase;letter-spacing:.04em;padding:.05rem .4rem;border-radius:4px;background:#eef2ff}
.create .action{background:#dcfce7}.delete .action,.conflict .action{background:#fee2e2}.update .action,.adopt .action{background:#fef3c7}
.source,.graphref,.legend{color:var(--muted)}.reason{font-style:italic}
.drift{color:var(--chg);font-weight:600}
table{border-collapse:collapse;margin:.3rem 0 .6rem}th,td{border:1px solid var(--line);padding:.25rem .5rem;text-align:left;vertical-align:top}
pre{background:#f9fafb;border:1px solid var(--line);border-radius:6px;padding:.5rem .7rem;overflow-x:auto;font:12.5px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
.l{white-space:pre}.l.head{font-weight:600}.l.add,.l.to{color:var(--add)}.l.remove,.l.from{color:var(--del)}.l.change,.l.reorder{color:var(--chg)}
pre.diff .l.to{background:#f0fdf4}pre.diff .l.from{background:#fef2f2}.l.hunk{color:#6d28d9}.l.note,.l.ctx{color:var(--muted)}
pre.yaml .l.to{color:var(--fg)}
figure.graph{margin:.5rem 0;overflow-x:auto}figcaption{color:var(--muted);font-size:.85rem}
.swatch{display:inline-block;width:.8em;height:.8em;border-radius:50%;margin:0 .25em 0 .5em;vertical-align:-.05em}
.nograph{color:var(--del)}details>summary{cursor:pointer;color:var(--muted)}
ul{margin:.3rem 0;padding-left:1.3rem}
`
