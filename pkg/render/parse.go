package render

import (
	"fmt"
	"strings"
)

type nodeKind uint8

const (
	nodeText nodeKind = iota + 1
	nodeVar
	nodeTag
)

// node is a text, a {{ }}, or a tag; a block tag has one branch per section
// ({% if %}…{% elif %}…{% else %}…{% endif %} has three).
type node struct {
	kind     nodeKind
	it       *item
	name     string  // tag name
	args     []token // tag arguments (tokens after the name)
	branches []*branch
}

// body is the first section of a block tag (nil when parsing gave up on it).
func (n *node) body() []*node {
	if len(n.branches) == 0 {
		return nil
	}
	return n.branches[0].body
}

// rest is every section after the first.
func (n *node) rest() []*branch {
	if len(n.branches) < 2 {
		return nil
	}
	return n.branches[1:]
}

type branch struct {
	tag  string // "if", "elif", "else", "for", "empty", …
	args []token
	it   *item
	body []*node
}

// blockMiddles lists, per block tag, the tags that open its next section.
var blockMiddles = map[string][]string{
	"for":        {"empty", "else"}, // "else" is Jinja's, compiled as "empty" (forElseEdits)
	"if":         {"elif", "else"},
	"ifchanged":  {"else"},
	"ifequal":    {"else"},
	"ifnotequal": {"else"},
	"with":       nil,
	"macro":      nil,
	"block":      nil,
	"filter":     nil,
	"autoescape": nil,
	"spaceless":  nil,
	"call":       nil, // Jinja
}

// bannedTags are refused by the template set; pongo2 would also refuse them at compile time,
// the checker just says why.
var bannedTags = map[string]string{
	"ssi":   "{% ssi %} is disabled: it reads files outside the template loader; use {% include %}",
	"now":   "{% now %} is disabled: rendering must give the same output every time",
	"lorem": "{% lorem %} is disabled: rendering must give the same output every time",
}

var jinjaOnlyTags = map[string]string{
	"from":     `{% from "file" import m %} is Jinja; pongo2 writes {% import "file" m %} (the macro needs "export": {% macro m() export %})`,
	"call":     "{% call %} is Jinja and not supported by pongo2; call the macro with {{ m(…) }}",
	"do":       "{% do %} is Jinja and not supported by pongo2",
	"break":    "{% break %} is Jinja and not supported by pongo2; filter the list before the loop or wrap the body in {% if %}",
	"continue": "{% continue %} is Jinja and not supported by pongo2; wrap the rest of the body in {% if %}",
	"trans":    "{% trans %} is Jinja and not supported by pongo2",
	"elseif":   "{% elseif %} is not a tag; write {% elif %}",
}

// maxBlockDepth bounds nested block tags, for the same reason as maxTagDepth.
const maxBlockDepth = 100

type parser struct {
	items  []item
	i      int
	depth  int
	issues []issue
}

func (p *parser) errorf(line, col int, format string, args ...any) {
	p.issues = append(p.issues, issue{line: line, col: col, msg: fmt.Sprintf(format, args...)})
}

// parseItems builds the node tree of a template.
func parseItems(items []item) ([]*node, []issue) {
	p := &parser{items: items}
	nodes, stop, _ := p.parseNodes(nil)
	for stop != nil {
		// A stray end tag at top level: report it and keep going.
		more, next, _ := p.parseNodes(nil)
		nodes = append(nodes, more...)
		stop = next
	}
	return nodes, p.issues
}

func tagName(it *item) (string, bool) {
	if len(it.toks) == 0 || it.toks[0].kind != tkIdent {
		return "", false
	}
	return it.toks[0].val, true
}

func isEndTag(name string) bool {
	if !strings.HasPrefix(name, "end") {
		return false
	}
	base := strings.TrimPrefix(name, "end")
	_, ok := blockMiddles[base]
	return ok || base == "comment" || base == "set" || base == "raw" || base == "verbatim"
}

func isMiddleTag(name string) bool {
	return name == "elif" || name == "else" || name == "empty"
}

// parseNodes parses until one of stops; it returns the stopping item and its name, or nil at
// the end of the input. A stray end tag also stops it (returned with name "").
func (p *parser) parseNodes(stops []string) ([]*node, *item, string) {
	var nodes []*node
	for p.i < len(p.items) {
		it := &p.items[p.i]
		p.i++
		switch it.kind {
		case itemText:
			nodes = append(nodes, &node{kind: nodeText, it: it})
			continue
		case itemVar:
			nodes = append(nodes, &node{kind: nodeVar, it: it})
			continue
		}
		name, ok := tagName(it)
		if !ok {
			p.errorf(it.line, it.col, "a tag must start with its name, e.g. {%% if … %%}")
			continue
		}
		for _, s := range stops {
			if s == name {
				return nodes, it, name
			}
		}
		if isEndTag(name) || isMiddleTag(name) {
			if stops == nil {
				p.errorf(it.line, it.col, "{%% %s %%} has no matching opening tag", name)
				continue
			}
			p.errorf(it.line, it.col, "{%% %s %%} does not belong here (expected %s)", name, describeStops(stops))
			continue
		}
		n := &node{kind: nodeTag, it: it, name: name, args: it.toks[1:]}
		nodes = append(nodes, n)
		switch {
		case name == "comment":
			p.skipComment(it)
		case name == "set" && len(n.args) == 1 && n.args[0].kind == tkIdent:
			p.errorf(it.line, it.col, "{%% set x %%}…{%% endset %%} (block assignment) is Jinja; pongo2 writes {%% set x = … %%}")
			p.parseBlock(n, []string{"endset"})
		case hasKey(blockMiddles, name):
			stops := append(append([]string{}, blockMiddles[name]...), "end"+name)
			p.parseBlock(n, stops)
		}
	}
	return nodes, nil, ""
}

func hasKey(m map[string][]string, k string) bool {
	_, ok := m[k]
	return ok
}

func describeStops(stops []string) string {
	parts := make([]string, len(stops))
	for i, s := range stops {
		parts[i] = "{% " + s + " %}"
	}
	return strings.Join(parts, " or ")
}

// parseBlock fills n's branches up to its end tag.
func (p *parser) parseBlock(n *node, stops []string) {
	if p.depth >= maxBlockDepth {
		p.issues = append(p.issues, issue{line: n.it.line, col: n.it.col, fatal: true,
			msg: fmt.Sprintf("block tags nest more than %d deep", maxBlockDepth)})
		p.i = len(p.items)
		return
	}
	p.depth++
	defer func() { p.depth-- }()
	cur := &branch{tag: n.name, args: n.args, it: n.it}
	end := stops[len(stops)-1]
	for {
		body, stop, name := p.parseNodes(stops)
		cur.body = body
		n.branches = append(n.branches, cur)
		if stop == nil {
			p.errorf(n.it.line, n.it.col, "{%% %s %%} is not closed by {%% %s %%}", n.name, end)
			return
		}
		if name == end {
			return
		}
		cur = &branch{tag: name, args: stop.toks[1:], it: stop}
	}
}

// skipComment skips to {% endcomment %} without looking inside, as pongo2 does.
func (p *parser) skipComment(open *item) {
	for p.i < len(p.items) {
		it := &p.items[p.i]
		p.i++
		if it.kind == itemTag {
			if name, ok := tagName(it); ok && name == "endcomment" {
				return
			}
		}
	}
	p.errorf(open.line, open.col, "{%% comment %%} is not closed by {%% endcomment %%}")
}
