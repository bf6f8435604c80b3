package render

import (
	"errors"
	"strings"
)

// Include, import, extends and block resolution for the static check: which file a tag names,
// cycles and depth, and which block definition runs.

// enter pushes a file on the chain; false (with an error at t) on a cycle or too deep a chain.
func (w *walker) enter(c *wctx, t token, what, file string) bool {
	for i, f := range w.stack {
		if f == file {
			chain := append(append([]string{}, w.stack[i:]...), file)
			for k := range chain {
				chain[k] = w.e.display(chain[k])
			}
			w.errorf(c.f, t.line, t.col, "%s cycle: %s", what, strings.Join(chain, " → "))
			w.unsafe = true
			return false
		}
	}
	if len(w.stack) >= maxIncludeDepth {
		w.errorf(c.f, t.line, t.col, "templates nest more than %d levels deep (%s %s)", maxIncludeDepth, what, w.e.display(file))
		w.unsafe = true
		return false
	}
	w.stack = append(w.stack, file)
	return true
}

func (w *walker) leave() { w.stack = w.stack[:len(w.stack)-1] }

// target resolves and loads the file a tag names; errors are reported at the tag.
func (w *walker) target(c *wctx, t token, ifExists bool) *parsedFile {
	name := t.val
	if err := checkRelPath(name); err != nil {
		w.errorf(c.f, t.line, t.col, "%v", err)
		w.unsafe = true
		return nil
	}
	file, err := w.e.resolveInclude(name)
	if err != nil {
		if ifExists && errors.Is(err, errNoTemplate) {
			return nil
		}
		w.errorf(c.f, t.line, t.col, "%v", err)
		w.unsafe = true
		return nil
	}
	f, err := w.e.parsed(file)
	if err != nil {
		w.errorf(c.f, t.line, t.col, "%v", err)
		w.unsafe = true
		return nil
	}
	return f
}

func mergeDefs(a map[string]defSite, f *parsedFile) map[string]defSite {
	out := make(map[string]defSite, len(a)+len(f.defs))
	for k, v := range a {
		out[k] = v
	}
	for k, line := range f.defs {
		if _, ok := out[k]; !ok {
			out[k] = defSite{file: f.file, line: line}
		}
	}
	return out
}

func (w *walker) includeTag(c *wctx, fr *frame, n *node) {
	args := n.args
	if len(args) == 0 || args[0].kind != tkString {
		w.errorf(c.f, n.it.line, n.it.col, `{%% include %%} needs the file name as a string literal, e.g. {%% include "stages/bake.yml" %%}`)
		w.unsafe = true
		return
	}
	target, rest := args[0], args[1:]
	ifExists := false
	if len(rest) > 0 && rest[0].is(tkIdent, "if_exists") {
		ifExists, rest = true, rest[1:]
	}
	switch {
	case len(rest) > 0 && rest[0].is(tkIdent, "ignore"):
		w.errorf(c.f, rest[0].line, rest[0].col, `"ignore missing" is Jinja; pongo2 writes {%% include "file" if_exists %%}`)
		w.target(c, target, true)
		return
	case len(rest) > 1 && (rest[0].is(tkIdent, "with") || rest[0].is(tkIdent, "without")) && rest[1].is(tkIdent, "context"):
		w.errorf(c.f, rest[0].line, rest[0].col, `"with/without context" is Jinja; pongo2 passes the variables by default, "with k=v … only" passes just those`)
		w.target(c, target, ifExists)
		return
	}
	only := false
	var names []token
	var exprs [][]token
	if len(rest) > 0 && rest[0].is(tkIdent, "with") {
		rest = rest[1:]
		if len(rest) > 0 && rest[len(rest)-1].is(tkIdent, "only") {
			only, rest = true, rest[:len(rest)-1]
		}
		var ok bool
		if names, exprs, ok = splitPairs(rest); !ok {
			return // pongo2 reports the malformed include
		}
	}
	for _, e := range exprs {
		w.expr(c, fr, e, false)
	}
	f := w.target(c, target, ifExists)
	if f == nil || !w.enter(c, target, "include", f.file) {
		return
	}
	defer w.leave()
	c2 := &wctx{f: f, shadow: mergeDefs(c.shadow, f), only: c.only}
	ifr := newFrame(fr)
	if only {
		c2.shadow = mergeDefs(nil, f)
		c2.only = true
		ifr = newFrame(nil)
	}
	for _, t := range names {
		ifr.bind(t.val, false)
	}
	w.walkFile(c2, ifr)
}

func (w *walker) importTag(c *wctx, fr *frame, n *node) {
	args := n.args
	if len(args) == 0 || args[0].kind != tkString {
		return // pongo2 reports it
	}
	if len(args) > 1 && args[1].is(tkKeyword, "as") {
		w.errorf(c.f, args[1].line, args[1].col, `{%% import "file" as name %%} is Jinja; pongo2 imports macros by name: {%% import "file" m1, m2 as alias %%}`)
		w.target(c, args[0], false)
		return
	}
	type imp struct{ name, alias token }
	var imps []imp
	for i := 1; i < len(args); i++ {
		if args[i].kind != tkIdent {
			continue
		}
		im := imp{name: args[i], alias: args[i]}
		if i+2 < len(args) && args[i+1].is(tkKeyword, "as") && args[i+2].kind == tkIdent {
			im.alias = args[i+2]
			i += 2
		}
		imps = append(imps, im)
	}
	lib := w.target(c, args[0], false)
	if lib == nil || !w.enter(c, args[0], "import", lib.file) {
		return
	}
	// Imported macros run in the importer's context: walk the library as if it were here.
	c2 := &wctx{f: lib, shadow: mergeDefs(c.shadow, lib), only: c.only}
	w.walkFile(c2, newFrame(fr))
	w.leave()
	for _, im := range imps {
		if !lib.exports[im.name.val] {
			w.errorf(c.f, im.name.line, im.name.col, "%s has no exported macro %q (declare it as {%% macro %s(…) export %%})",
				w.e.display(lib.file), im.name.val, im.name.val)
		}
		fr.bind(im.alias.val, true)
	}
}

func (w *walker) blockTag(c *wctx, fr *frame, n *node) {
	if len(n.args) == 0 || n.args[0].kind != tkIdent {
		return // pongo2 reports it
	}
	defs := c.blocks[n.args[0].val]
	if len(defs) == 0 {
		defs = []blockDef{{n: n, f: c.f}}
	}
	w.blockBody(c, fr, defs)
}

// blockBody walks the most derived definition of a block, and the next one down when it
// renders {{ block.Super }}. pongo2 runs blocks in the surrounding context, with `block` set.
func (w *walker) blockBody(c *wctx, fr *frame, defs []blockDef) {
	d := defs[0]
	if w.blockSeen[d.n] {
		w.errorf(d.f, d.n.it.line, d.n.it.col, "block %q contains itself", d.n.args[0].val)
		w.unsafe = true
		return
	}
	if !w.countWalk(c, d.n.it.line, d.n.it.col) {
		return
	}
	w.blockSeen[d.n] = true
	defer delete(w.blockSeen, d.n)
	w.reportIssues(d.f)
	fr.bind("block", false)
	w.walkNodes(c.with(d.f), fr, d.n.body())
	if len(defs) > 1 && usesSuper(d.n.body()) {
		w.blockBody(c, fr, defs[1:])
	}
}

func usesSuper(nodes []*node) bool {
	found := false
	visitNodes(nodes, func(n *node) {
		var toks []token
		if n.kind == nodeVar {
			toks = n.it.toks
		} else if n.kind == nodeTag {
			toks = n.args
		}
		for i := 0; i+2 < len(toks); i++ {
			if toks[i].is(tkIdent, "block") && toks[i+1].is(tkSymbol, ".") && toks[i+2].is(tkIdent, "Super") {
				found = true
			}
		}
	})
	return found
}
