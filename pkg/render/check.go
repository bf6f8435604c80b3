package render

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/flosch/pongo2/v6"
)

// The static check walks a template the way pongo2 will execute it: included files with the
// scope of the include site, imported macro libraries, and {% extends %} chains with each
// block's most derived definition. It tracks the names tags bind (set, for, with, macro,
// import, cycle … as, widthratio … as), reports Jinja idioms, and collects the names the
// template expects from the variables ("free names"), which Render checks against vars.
//
// It also keeps pongo2 away from two fatal crashes: include/import/extends cycles (a stack
// overflow at compile time) and recursive macros (a stack overflow at render time). Macros may
// only be called, never passed around, and a macro body may only use names bound before the
// macro, so no macro can reach itself.

const (
	maxIncludeDepth = 32
	maxWalks        = 5000 // file and block walks per template: bounds include explosions
)

// parsedFile is one template file, scanned and parsed once per Engine.
type parsedFile struct {
	file    string // relative to the templates directory
	src     string
	nodes   []*node
	issues  []issue
	defs    map[string]int // names bound by set/macro/import/cycle/widthratio → first line
	exports map[string]bool
	blocks  map[string]*node
	extends *node
}

type freeUse struct {
	name, file string
	line, col  int
}

type binding struct{ fn bool }

// frame is one level of names; for/with/macro bodies and included files get their own
// (pongo2 gives them a child execution context), if-branches get one to see what they set.
type frame struct {
	names  map[string]binding
	parent *frame
}

func newFrame(parent *frame) *frame { return &frame{names: map[string]binding{}, parent: parent} }

func (f *frame) lookup(name string) (binding, bool) {
	for ; f != nil; f = f.parent {
		if b, ok := f.names[name]; ok {
			return b, true
		}
	}
	return binding{}, false
}

func (f *frame) bind(name string, fn bool) { f.names[name] = binding{fn: fn} }

type defSite struct {
	file string
	line int
}

type blockDef struct {
	n *node
	f *parsedFile
}

// wctx is what the walk knows about where it is.
type wctx struct {
	f      *parsedFile
	shadow map[string]defSite // names set somewhere in the files sharing this execution context
	only   bool               // inside {% include … only %}: the variables are not passed
	blocks map[string][]blockDef
	macro  string // innermost macro being defined
}

func (c *wctx) with(f *parsedFile) *wctx {
	c2 := *c
	c2.f = f
	return &c2
}

type walker struct {
	e         *Engine
	errs      []*Error
	errSeen   map[string]bool
	reported  map[string]bool // files whose scan/parse issues are already reported
	fileOrder map[string]int
	uses      []freeUse
	useSeen   map[string]bool
	stack     []string // files on the include/import/extends chain
	blockSeen map[*node]bool
	walks     int
	// unsafe is set when pongo2 must not compile the template: cycles, paths leaving the
	// directory, include explosions, missing files (pongo2 would report those at the wrong place).
	unsafe bool
}

func newWalker(e *Engine) *walker {
	return &walker{
		e: e, errSeen: map[string]bool{}, reported: map[string]bool{}, fileOrder: map[string]int{},
		useSeen: map[string]bool{}, blockSeen: map[*node]bool{},
	}
}

func (w *walker) errorf(f *parsedFile, line, col int, format string, args ...any) {
	w.addErr(f.file, line, col, fmt.Sprintf(format, args...))
}

func (w *walker) addErr(file string, line, col int, msg string) {
	key := fmt.Sprintf("%s:%d:%d:%s", file, line, col, msg)
	if w.errSeen[key] {
		return
	}
	w.errSeen[key] = true
	if _, ok := w.fileOrder[file]; !ok {
		w.fileOrder[file] = len(w.fileOrder)
	}
	w.errs = append(w.errs, &Error{File: w.e.display(file), Line: line, Col: col, Msg: msg})
}

func (w *walker) sortedErrs() []*Error {
	order := map[string]int{}
	for file, i := range w.fileOrder {
		order[w.e.display(file)] = i
	}
	sort.SliceStable(w.errs, func(i, j int) bool {
		a, b := w.errs[i], w.errs[j]
		if a.File != b.File {
			return order[a.File] < order[b.File]
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Col < b.Col
	})
	return w.errs
}

func (w *walker) addUse(name, file string, line, col int) {
	if w.useSeen[name] {
		return
	}
	w.useSeen[name] = true
	w.uses = append(w.uses, freeUse{name: name, file: file, line: line, col: col})
}

func (w *walker) reportIssues(f *parsedFile) {
	if w.reported[f.file] {
		return
	}
	w.reported[f.file] = true
	if _, ok := w.fileOrder[f.file]; !ok {
		w.fileOrder[f.file] = len(w.fileOrder)
	}
	for _, is := range f.issues {
		w.addErr(f.file, is.line, is.col, is.msg)
		if is.fatal {
			w.unsafe = true
		}
	}
}

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

// walkTop checks the template file at the top of a render.
func (w *walker) walkTop(f *parsedFile) {
	w.stack = []string{f.file}
	w.walkFile(&wctx{f: f, shadow: mergeDefs(nil, f)}, newFrame(nil))
}

func (w *walker) countWalk(c *wctx, line, col int) bool {
	w.walks++
	if w.walks > maxWalks {
		if w.walks == maxWalks+1 {
			w.errorf(c.f, line, col, "template expands to more than %d included files and blocks; is something included in a loop of includes?", maxWalks)
		}
		w.unsafe = true
		return false
	}
	return true
}

func (w *walker) walkFile(c *wctx, fr *frame) {
	f := c.f
	w.reportIssues(f)
	if !w.countWalk(c, 1, 1) {
		return
	}
	blocks := make(map[string][]blockDef, len(c.blocks)+len(f.blocks))
	for k, v := range c.blocks {
		blocks[k] = v
	}
	for name, n := range f.blocks {
		blocks[name] = append(append([]blockDef{}, blocks[name]...), blockDef{n: n, f: f})
	}
	if f.extends != nil {
		args := f.extends.args
		if len(args) != 1 || args[0].kind != tkString {
			return // reported by analyze
		}
		parent := w.target(c, args[0], false)
		if parent == nil || !w.enter(c, args[0], "extends", parent.file) {
			return
		}
		defer w.leave()
		c2 := c.with(parent)
		c2.shadow = mergeDefs(c.shadow, parent)
		c2.blocks = blocks
		w.walkFile(c2, fr)
		return
	}
	c2 := c.with(f)
	c2.blocks = blocks
	w.walkNodes(c2, fr, f.nodes)
}

func (w *walker) walkNodes(c *wctx, fr *frame, nodes []*node) {
	for _, n := range nodes {
		switch n.kind {
		case nodeVar:
			if len(n.it.toks) == 0 {
				continue // pongo2 reports the empty {{ }}
			}
			w.expr(c, fr, n.it.toks, false)
		case nodeTag:
			w.tag(c, fr, n)
		}
	}
}

func (w *walker) tag(c *wctx, fr *frame, n *node) {
	args := n.args
	switch n.name {
	case "if", "ifchanged", "ifequal", "ifnotequal":
		w.branches(c, fr, n)
	case "for":
		w.forTag(c, fr, n)
	case "with":
		w.withTag(c, fr, n)
	case "set":
		w.setTag(c, fr, n)
	case "macro":
		w.macroTag(c, fr, n)
	case "include":
		w.includeTag(c, fr, n)
	case "import":
		w.importTag(c, fr, n)
	case "block":
		w.blockTag(c, fr, n)
	case "extends":
		// handled by walkFile; a misplaced one is reported by analyze
	case "filter":
		w.filterArgs(c, fr, args)
		w.walkNodes(c, fr, n.body())
	case "autoescape", "spaceless":
		w.walkNodes(c, fr, n.body())
	case "cycle", "widthratio":
		exprs, name := splitAs(args)
		w.expr(c, fr, exprs, false)
		if name != nil {
			fr.bind(name.val, false)
		}
	case "firstof":
		// firstof exists to pick the first defined value: its names may be undefined.
		w.expr(c, fr, args, true)
	case "templatetag", "comment":
		// no names inside
	case "ssi", "now", "lorem":
		w.errorf(c.f, n.it.line, n.it.col, "%s", bannedTags[n.name])
		w.unsafe = true
	default:
		if msg, ok := jinjaOnlyTags[n.name]; ok {
			w.errorf(c.f, n.it.line, n.it.col, "%s", msg)
			return
		}
		w.errorf(c.f, n.it.line, n.it.col, "unknown tag {%% %s %%}", n.name)
	}
}

// branches walks if/ifchanged/ifequal/ifnotequal. A name set in every branch of a chain that
// has an else is set afterwards; a name set in only some branches is not.
func (w *walker) branches(c *wctx, fr *frame, n *node) {
	var sets []map[string]binding
	hasElse := false
	for _, b := range n.branches {
		if b.tag == "else" {
			hasElse = true
		} else {
			w.expr(c, fr, b.args, false)
		}
		bf := newFrame(fr)
		if b.tag != "else" {
			for _, name := range guardedNames(b.args) {
				bf.bind(name, false)
			}
		}
		w.walkNodes(c, bf, b.body)
		sets = append(sets, bf.names)
	}
	if !hasElse {
		return
	}
	for name, b := range sets[0] {
		inAll := true
		for _, s := range sets[1:] {
			if _, ok := s[name]; !ok {
				inAll = false
				break
			}
		}
		if inAll {
			fr.names[name] = b
		}
	}
}

// guardedNames returns the names a condition tests as `name|default:…`: inside the branch it
// guards, such a name is defined (a true `x|default:""` means x is set and truthy), which is the
// idiom for optional variables: {% if suffix|default:"" %}-{{ suffix }}{% endif %}. With `not`
// or `or` in the condition the branch can run without the name, so nothing is guarded.
func guardedNames(toks []token) []string {
	var names []string
	for i, t := range toks {
		if t.is(tkKeyword, "not") || t.is(tkKeyword, "or") {
			return nil
		}
		if t.kind != tkIdent || i+2 >= len(toks) || !toks[i+1].is(tkSymbol, "|") || !toks[i+2].is(tkIdent, "default") {
			continue
		}
		if i > 0 && toks[i-1].is(tkSymbol, ".") {
			continue // an attribute, not a root name
		}
		names = append(names, t.val)
	}
	return names
}

func (w *walker) forTag(c *wctx, fr *frame, n *node) {
	args := n.args
	in := -1
	for i, t := range args {
		if t.is(tkKeyword, "in") {
			in = i
			break
		}
	}
	var loopVars []token
	if in > 0 {
		for _, t := range args[:in] {
			if t.kind == tkIdent {
				loopVars = append(loopVars, t)
			}
		}
	}
	var coll []token
	if in >= 0 {
		coll = args[in+1:]
	}
	sorted := false
	for len(coll) > 0 {
		last := coll[len(coll)-1]
		if last.is(tkIdent, "sorted") {
			sorted = true
		} else if !last.is(tkIdent, "reversed") {
			break
		}
		coll = coll[:len(coll)-1]
	}
	for i, t := range coll {
		if t.is(tkIdent, "if") {
			w.errorf(c.f, t.line, t.col, "{%% for x in xs if cond %%} (loop filtering) is Jinja; put {%% if cond %%}…{%% endif %%} inside the loop")
			coll = coll[:i]
			break
		}
		if t.is(tkIdent, "recursive") {
			w.errorf(c.f, t.line, t.col, "recursive loops are Jinja and not supported by pongo2")
			coll = coll[:i]
			break
		}
	}
	w.expr(c, fr, coll, false)
	if len(loopVars) == 2 && !sorted {
		w.errorf(c.f, n.it.line, n.it.col, "{%% for %s, %s in … %%} visits a map in random order; write {%% for %s, %s in … sorted %%}",
			loopVars[0].val, loopVars[1].val, loopVars[0].val, loopVars[1].val)
	}
	body := newFrame(fr)
	for _, t := range loopVars {
		body.bind(t.val, false)
	}
	body.bind("forloop", false)
	w.walkNodes(c, body, n.body())
	for _, b := range n.rest() {
		empty := newFrame(fr)
		empty.bind("forloop", false)
		w.walkNodes(c, empty, b.body)
	}
}

// splitPairs splits `a=expr b=expr` into names and expressions.
func splitPairs(toks []token) (names []token, exprs [][]token, ok bool) {
	starts := []int{}
	for i := 0; i+1 < len(toks); i++ {
		if toks[i].kind == tkIdent && toks[i+1].is(tkSymbol, "=") {
			starts = append(starts, i)
		}
	}
	if len(toks) > 0 && (len(starts) == 0 || starts[0] != 0) {
		return nil, nil, false
	}
	for k, s := range starts {
		end := len(toks)
		if k+1 < len(starts) {
			end = starts[k+1]
		}
		names = append(names, toks[s])
		exprs = append(exprs, toks[s+2:end])
	}
	return names, exprs, true
}

// splitAs splits `expr… as name [silent]` (cycle, widthratio).
func splitAs(toks []token) ([]token, *token) {
	for i, t := range toks {
		if t.is(tkKeyword, "as") && i+1 < len(toks) && toks[i+1].kind == tkIdent {
			return toks[:i], &toks[i+1]
		}
	}
	return toks, nil
}

func (w *walker) withTag(c *wctx, fr *frame, n *node) {
	args := n.args
	body := newFrame(fr)
	oldStyle := false
	for _, t := range args {
		if t.is(tkKeyword, "as") {
			oldStyle = true
		}
	}
	if oldStyle {
		start := 0
		for i := 0; i < len(args); i++ {
			if args[i].is(tkKeyword, "as") && i+1 < len(args) {
				w.expr(c, fr, args[start:i], false)
				body.bind(args[i+1].val, false)
				start = i + 2
				i++
			}
		}
	} else if names, exprs, ok := splitPairs(args); ok {
		for i := range names {
			w.expr(c, fr, exprs[i], false)
			body.bind(names[i].val, false)
		}
	} else {
		w.expr(c, fr, args, false)
	}
	w.walkNodes(c, body, n.body())
}

func (w *walker) setTag(c *wctx, fr *frame, n *node) {
	args := n.args
	if len(n.branches) > 0 {
		// Jinja block assignment, already reported; still look inside.
		w.walkNodes(c, fr, n.body())
		return
	}
	if len(args) >= 2 && args[0].kind == tkIdent {
		switch {
		case args[1].is(tkSymbol, ","):
			w.errorf(c.f, args[1].line, args[1].col, "{%% set a, b = … %%} (unpacking) is Jinja; set each name on its own")
			return
		case args[1].is(tkSymbol, "."):
			w.errorf(c.f, args[1].line, args[1].col, "{%% set ns.x = … %%} (namespace attributes) is Jinja and not supported by pongo2")
			return
		case args[1].is(tkSymbol, "="):
			w.expr(c, fr, args[2:], false)
			fr.bind(args[0].val, false)
			return
		}
	}
	w.expr(c, fr, args, false)
}

func (w *walker) macroTag(c *wctx, fr *frame, n *node) {
	args := n.args
	if len(args) < 2 || args[0].kind != tkIdent || !args[1].is(tkSymbol, "(") {
		return // pongo2 reports the malformed macro
	}
	name := args[0].val
	body := newFrame(fr)
	// Parameters: name [= default], … up to the matching ")".
	depth := 0
	start := 2
	for i := 2; i < len(args); i++ {
		t := args[i]
		switch {
		case t.is(tkSymbol, "(") || t.is(tkSymbol, "["):
			depth++
		case (t.is(tkSymbol, ")") || t.is(tkSymbol, "]")) && depth > 0:
			depth--
		case depth == 0 && (t.is(tkSymbol, ",") || t.is(tkSymbol, ")")):
			param := args[start:i]
			if len(param) > 0 && param[0].kind == tkIdent {
				body.bind(param[0].val, false)
				if len(param) > 2 && param[1].is(tkSymbol, "=") {
					w.expr(c, fr, param[2:], false)
				}
			}
			start = i + 1
			if t.val == ")" {
				i = len(args)
			}
		}
	}
	mc := *c
	mc.macro = name
	w.walkNodes(&mc, body, n.body())
	fr.bind(name, true)
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

// visitNodes calls fn for every node, depth first, including every branch's tag.
func visitNodes(nodes []*node, fn func(*node)) {
	for _, n := range nodes {
		fn(n)
		for i, b := range n.branches {
			if i > 0 {
				fn(&node{kind: nodeTag, it: b.it, name: b.tag, args: b.args})
			}
			visitNodes(b.body, fn)
		}
	}
}

// filterArgs checks {% filter a:x|b %}.
func (w *walker) filterArgs(c *wctx, fr *frame, args []token) {
	for i := 0; i < len(args); i++ {
		t := args[i]
		if t.kind != tkIdent {
			continue
		}
		if i > 0 && !args[i-1].is(tkSymbol, "|") {
			continue
		}
		w.checkFilter(c, t, i+1 < len(args) && args[i+1].is(tkSymbol, "("))
		if i+1 < len(args) && args[i+1].is(tkSymbol, ":") {
			end := i + 2
			for end < len(args) && !args[end].is(tkSymbol, "|") {
				end++
			}
			w.expr(c, fr, args[i+2:end], false)
			i = end - 1
		}
	}
}

// analyze records what a file binds, exports and defines, and the misplaced-extends problems.
func analyze(f *parsedFile) {
	f.defs = map[string]int{}
	f.exports = map[string]bool{}
	f.blocks = map[string]*node{}
	def := func(name string, line int) {
		if _, ok := f.defs[name]; !ok {
			f.defs[name] = line
		}
	}
	top := map[*node]bool{}
	for _, n := range f.nodes {
		top[n] = true
	}
	visitNodes(f.nodes, func(n *node) {
		if n.kind != nodeTag {
			return
		}
		args := n.args
		line := n.it.line
		switch n.name {
		case "set":
			if len(args) >= 2 && args[0].kind == tkIdent && args[1].is(tkSymbol, "=") {
				def(args[0].val, line)
			}
		case "macro":
			if len(args) > 0 && args[0].kind == tkIdent {
				def(args[0].val, line)
				if last := args[len(args)-1]; last.is(tkKeyword, "export") {
					f.exports[args[0].val] = true
				}
			}
		case "import":
			for i := 1; i < len(args); i++ {
				if args[i].kind != tkIdent {
					continue
				}
				name := args[i].val
				if i+2 < len(args) && args[i+1].is(tkKeyword, "as") && args[i+2].kind == tkIdent {
					name = args[i+2].val
					i += 2
				}
				def(name, line)
			}
		case "cycle", "widthratio":
			if _, name := splitAs(args); name != nil {
				def(name.val, line)
			}
		case "block":
			if len(args) > 0 && args[0].kind == tkIdent {
				if _, ok := f.blocks[args[0].val]; !ok {
					f.blocks[args[0].val] = n
				}
			}
		case "extends":
			switch {
			case !top[n]:
				f.issues = append(f.issues, issue{line: line, col: n.it.col, msg: "{% extends %} must be at the top level of the template"})
			case f.extends != nil:
				f.issues = append(f.issues, issue{line: line, col: n.it.col, msg: "a template can extend only one other template"})
			case len(args) != 1 || args[0].kind != tkString:
				f.issues = append(f.issues, issue{line: line, col: n.it.col, msg: `{% extends %} needs the file name as a string literal, e.g. {% extends "base.yml" %}`})
				f.extends = n
			default:
				f.extends = n
			}
		}
	})
	if f.extends == nil {
		return
	}
	// pongo2 renders only the parent; whatever a child has outside its blocks is dropped.
	for _, n := range f.nodes {
		switch {
		case n.kind == nodeText && strings.TrimSpace(n.it.text) == "":
		case n.kind == nodeTag && (n.name == "extends" || n.name == "block" || n.name == "comment"):
		default:
			line, col := n.it.line, n.it.col
			if n.kind == nodeText {
				line, col = firstNonSpace(n.it)
			}
			f.issues = append(f.issues, issue{line: line, col: col,
				msg: "this is outside any {% block %} in a template that uses {% extends %}, so it is never rendered; move it into a block"})
		}
	}
}

// firstNonSpace returns the position of the first non-space character of a text item.
func firstNonSpace(it *item) (line, col int) {
	line, col = it.line, it.col
	for _, r := range it.text {
		switch r {
		case '\n':
			line, col = line+1, 1
		case ' ', '\t', '\r':
			col++
		default:
			return line, col
		}
	}
	return line, col
}

// expr checks one expression (or a tag's expression list): Jinja idioms, filters, and the
// names it uses. allProtected marks every name as optional (firstof).
func (w *walker) expr(c *wctx, fr *frame, toks []token, allProtected bool) {
	before := len(w.errs)
	type pending struct {
		t         token
		call      bool
		protected bool
		attr      string
	}
	var uses []pending
	var parens []bool // true for a call's parentheses
	badReported, inlineIfReported := map[string]bool{}, false
	at := func(i int) *token {
		if i >= 0 && i < len(toks) {
			return &toks[i]
		}
		return nil
	}
	for i := 0; i < len(toks); i++ {
		t := toks[i]
		prev, next := at(i-1), at(i+1)
		switch t.kind {
		case tkBad:
			key := t.val
			if key == "}" {
				key = "{"
			}
			if badReported[key] {
				continue
			}
			badReported[key] = true
			w.badChar(c, t)
		case tkKeyword:
			if t.val != "not" || next == nil {
				continue
			}
			if next.is(tkKeyword, "in") {
				w.errorf(c.f, t.line, t.col, `"x not in y" is not supported by pongo2; write "not (x in y)"`)
			} else if next.kind == tkIdent && operandStart(prev) {
				// pongo2 binds "not" tighter than "in": `not x in y` is `(not x) in y`.
				if j := skipPostfix(toks, i+2); j < len(toks) && toks[j].is(tkKeyword, "in") {
					w.errorf(c.f, t.line, t.col, `"not x in y" means "(not x) in y" in pongo2; write "not (x in y)"`)
				}
			}
		case tkSymbol:
			switch t.val {
			case "(":
				parens = append(parens, prev != nil && (prev.kind == tkIdent || prev.is(tkSymbol, ")") || prev.is(tkSymbol, "]")))
			case ")":
				if len(parens) > 0 {
					parens = parens[:len(parens)-1]
				}
			case "[":
				if operandStart(prev) {
					w.errorf(c.f, t.line, t.col, "list literals are not supported by pongo2; put the list in the variables")
				}
			case "*", "/":
				if next != nil && next.is(tkSymbol, t.val) && next.col == t.end {
					if t.val == "*" {
						w.errorf(c.f, t.line, t.col, `"**" is not supported by pongo2; write "^" for powers`)
					} else {
						w.errorf(c.f, t.line, t.col, `"//" is not supported by pongo2; "/" between two integers already drops the remainder`)
					}
					i++
				}
			case "|":
				if next != nil && next.kind == tkIdent {
					w.checkFilter(c, *next, at(i+2) != nil && at(i+2).is(tkSymbol, "("))
					i++
				}
			case ".":
				if next != nil && (next.kind == tkIdent || next.kind == tkNumber) {
					if next.kind == tkIdent && at(i+2) != nil && at(i+2).is(tkSymbol, "(") {
						w.methodCall(c, *next)
					}
					i++
				}
			}
		case tkIdent:
			switch t.val {
			case "if", "else":
				if !inlineIfReported {
					w.errorf(c.f, t.line, t.col, `inline "x if cond else y" is Jinja; pongo2 writes {%% if cond %%}x{%% else %%}y{%% endif %%}`)
					inlineIfReported = true
				}
				continue
			case "is":
				if prev != nil && !operandStart(prev) {
					w.isTest(c, toks[i:])
					for i+1 < len(toks) && (toks[i+1].kind == tkIdent || toks[i+1].is(tkKeyword, "not")) {
						i++
					}
					continue
				}
			}
			if next != nil && next.is(tkSymbol, "=") && len(parens) > 0 && parens[len(parens)-1] {
				w.errorf(c.f, t.line, t.col, "keyword arguments (%s=…) are not supported by pongo2; pass arguments by position", t.val)
				continue
			}
			p := pending{t: t, call: next != nil && next.is(tkSymbol, "(")}
			p.protected = allProtected || isProtected(toks, i)
			if next != nil && next.is(tkSymbol, ".") && at(i+2) != nil {
				p.attr = at(i + 2).val
			}
			uses = append(uses, p)
		}
	}
	idiom := len(w.errs) > before
	for _, u := range uses {
		w.use(c, fr, u.t, u.call, u.protected, u.attr, idiom)
	}
}

// operandStart reports whether a token after prev starts an operand (so "[" opens a list
// literal rather than a subscript).
func operandStart(prev *token) bool {
	if prev == nil {
		return true
	}
	switch prev.kind {
	case tkIdent, tkNumber, tkString:
		return false
	case tkSymbol:
		return prev.val != ")" && prev.val != "]"
	}
	return true
}

// isProtected reports whether the name at i is followed, in its own filter chain, by
// |default or |default_if_none, which make an undefined name legitimate.
func isProtected(toks []token, i int) bool {
	if i > 0 && toks[i-1].is(tkSymbol, ":") {
		return false // a filter argument: the chain after it belongs to the outer value
	}
	j := skipPostfix(toks, i+1)
	for j+1 < len(toks) && toks[j].is(tkSymbol, "|") {
		name := toks[j+1].val
		if name == "default" || name == "default_if_none" {
			return true
		}
		j += 2
		if j < len(toks) && toks[j].is(tkSymbol, ":") {
			j++
			if j < len(toks) && (toks[j].is(tkSymbol, "-") || toks[j].is(tkSymbol, "+")) {
				j++
			}
			if j < len(toks) {
				j = skipPostfix(toks, j+1)
			}
		}
	}
	return false
}

// skipPostfix skips attribute access, subscripts and calls starting at j.
func skipPostfix(toks []token, j int) int {
	for j < len(toks) {
		switch {
		case toks[j].is(tkSymbol, "."):
			j += 2
		case toks[j].is(tkSymbol, "[") || toks[j].is(tkSymbol, "("):
			open, closer := toks[j].val, map[string]string{"[": "]", "(": ")"}[toks[j].val]
			depth := 0
			for ; j < len(toks); j++ {
				if toks[j].is(tkSymbol, open) {
					depth++
				} else if toks[j].is(tkSymbol, closer) {
					depth--
					if depth == 0 {
						break
					}
				}
			}
			j++
		default:
			return j
		}
	}
	return j
}

var loopAttrs = map[string]string{
	"index": "forloop.Counter", "index0": "forloop.Counter0", "revindex": "forloop.Revcounter",
	"revindex0": "forloop.Revcounter0", "first": "forloop.First", "last": "forloop.Last",
	"length": "the list's |length", "cycle": "{% cycle %}", "changed": "{% ifchanged %}",
	"previtem": "", "nextitem": "", "depth": "", "depth0": "",
}

// use resolves one name.
func (w *walker) use(c *wctx, fr *frame, t token, call, protected bool, attr string, suppress bool) {
	name := t.val
	if b, ok := fr.lookup(name); ok {
		switch {
		case b.fn && !call:
			w.errorf(c.f, t.line, t.col, "%s is a macro; macros can only be called: %s(…)", name, name)
		case !b.fn && call:
			w.errorf(c.f, t.line, t.col, "%s is not a macro; only macros and pipeline_id can be called", name)
		}
		return
	}
	if msg := jinjaName(name, call, attr); msg != "" {
		w.errorf(c.f, t.line, t.col, "%s", msg)
		return
	}
	if d, ok := c.shadow[name]; ok && (!protected || call) && !suppress {
		switch {
		case c.macro == name:
			w.errorf(c.f, t.line, t.col, "macro %s calls itself; recursive macros are not supported", name)
		case c.macro != "":
			w.errorf(c.f, t.line, t.col, "macro %s uses %s, which is set only after the macro is defined (%s:%d); define %s first",
				c.macro, name, w.e.display(d.file), d.line, name)
		default:
			w.errorf(c.f, t.line, t.col, "%s is used where it is not set: it is set at %s:%d, after this line or in a block that does not cover it",
				name, w.e.display(d.file), d.line)
		}
		return
	}
	switch name {
	case "pipeline_id":
		switch {
		case !call:
			w.errorf(c.f, t.line, t.col, "pipeline_id is a function: pipeline_id(name) or pipeline_id(app, name)")
		case c.only:
			w.errorf(c.f, t.line, t.col, "pipeline_id is not available in a template included with \"only\"; pass the id with \"with id=pipeline_id(…)\"")
		}
		return
	case "pongo2":
		return
	case "forloop":
		w.errorf(c.f, t.line, t.col, "forloop exists only inside {%% for %%}")
		return
	case "block":
		if attr == "Super" {
			w.errorf(c.f, t.line, t.col, "block.Super exists only inside {%% block %%}")
			return
		}
	}
	if suppress {
		return
	}
	if call {
		w.errorf(c.f, t.line, t.col, "%s is not a macro defined before this line; only macros and pipeline_id can be called", name)
		return
	}
	if protected {
		return
	}
	if c.only {
		w.errorf(c.f, t.line, t.col, "%s is not passed to this template: it is included with \"only\" (add %s=… to its with)", name, name)
		return
	}
	w.addUse(name, c.f.file, t.line, t.col)
}

// jinjaName explains Jinja names and functions that pongo2 does not have.
func jinjaName(name string, call bool, attr string) string {
	switch name {
	case "loop":
		if repl, ok := loopAttrs[attr]; ok {
			if repl == "" {
				return fmt.Sprintf("Jinja's loop.%s has no pongo2 equivalent (pongo2's loop variable is forloop)", attr)
			}
			return fmt.Sprintf("Jinja's loop.%s is written %s in pongo2", attr, repl)
		}
		return "Jinja's loop is called forloop in pongo2 (forloop.Counter, forloop.Counter0, forloop.First, forloop.Last, forloop.Revcounter)"
	case "None":
		return name + ` is not a pongo2 literal; test for a missing value with {% if not x %} or x|default:"…"`
	case "True":
		return "True is written true in pongo2"
	case "False":
		return "False is written false in pongo2"
	}
	if !call {
		return ""
	}
	switch name {
	case "default":
		return `default(…) is Jinja call syntax; pongo2 writes the filter with a colon: x|default:"value"`
	case "range":
		return "range() does not exist in pongo2; loop over a list from the variables (e.g. steps: [1, 2, 3])"
	case "super":
		return "super() is Jinja; pongo2 writes {{ block.Super }}"
	case "dict", "namespace", "lipsum", "cycler", "joiner":
		return name + "() is Jinja and does not exist in pongo2"
	}
	return ""
}

var jinjaMethods = map[string]string{
	"items":      "{% for key, value in m sorted %}",
	"keys":       "{% for key in m sorted %}",
	"values":     "{% for key, value in m sorted %} and use value",
	"get":        `m.key or m[key], with |default:"…" for a missing key`,
	"upper":      "|upper",
	"lower":      "|lower",
	"strip":      "a value without surrounding spaces (pongo2 has no strip filter)",
	"split":      `|split:","`,
	"replace":    `|cut:"text" (removal only)`,
	"startswith": `{% if x|slice:":3" == "abc" %}`,
	"join":       `|join:", "`,
	"format":     `|stringformat:"%s"`,
	"title":      "|title",
	"capitalize": "|capfirst",
	"append":     "a list built in the variables",
}

func (w *walker) methodCall(c *wctx, t token) {
	if repl, ok := jinjaMethods[t.val]; ok {
		w.errorf(c.f, t.line, t.col, ".%s() is a Python method; pongo2 values have no methods: use %s", t.val, repl)
		return
	}
	w.errorf(c.f, t.line, t.col, ".%s() looks like a Python method call; pongo2 values have no methods (use a filter)", t.val)
}

// isTest explains Jinja's "x is …" tests; toks starts at "is".
func (w *walker) isTest(c *wctx, toks []token) {
	t := toks[0]
	neg, test := "", ""
	rest := toks[1:]
	if len(rest) > 0 && rest[0].is(tkKeyword, "not") {
		neg, rest = "not ", rest[1:]
	}
	if len(rest) > 0 {
		test = rest[0].val
	}
	switch test {
	case "defined", "undefined":
		w.errorf(c.f, t.line, t.col, `"is %s%s" is Jinja; pongo2 has no tests: write {%% if x|default:"" %%}…{%% endif %%} (x counts as defined inside), or x|default:"…" for an optional value`, neg, test)
	case "none":
		w.errorf(c.f, t.line, t.col, `"is %snone" is Jinja; pongo2 writes {%% if not x %%} / {%% if x %%}`, neg)
	case "divisibleby":
		w.errorf(c.f, t.line, t.col, `"is divisibleby" is Jinja; pongo2 writes x|divisibleby:n`)
	case "even", "odd":
		w.errorf(c.f, t.line, t.col, `"is %s" is Jinja; pongo2 writes x %% 2 == %d`, test, map[string]int{"even": 0, "odd": 1}[test])
	default:
		w.errorf(c.f, t.line, t.col, `Jinja tests ("x is %s%s") are not supported by pongo2`, neg, test)
	}
}

func (w *walker) badChar(c *wctx, t token) {
	switch t.val {
	case "~":
		w.errorf(c.f, t.line, t.col, `"~" (string concatenation) is Jinja; write the pieces side by side ({{ a }}-{{ b }}) or use |add: (a|add:"-"|add:b)`)
	case "{", "}":
		w.errorf(c.f, t.line, t.col, "dict literals are not supported by pongo2; put the map in the variables")
	case "?":
		w.errorf(c.f, t.line, t.col, `"?" is not an operator in templates; use {%% if %%}…{%% else %%}…{%% endif %%}`)
	default:
		w.errorf(c.f, t.line, t.col, "unexpected character %q in a template expression", t.val)
	}
}

var jinjaFilters = map[string]string{
	"d":            `|default:"…"`,
	"int":          "|integer",
	"string":       `|stringformat:"%v"`,
	"list":         "|make_list",
	"round":        `|floatformat:"2"`,
	"replace":      `|cut:"text" (removal only)`,
	"trim":         "a value without surrounding spaces (pongo2 has no trim filter)",
	"indent":       "no equivalent; indent the template text itself",
	"capitalize":   "|capfirst",
	"count":        "|length",
	"format":       `|stringformat:"…"`,
	"dictsort":     "{% for key, value in m sorted %}",
	"items":        "{% for key, value in m sorted %}",
	"to_json":      "|tojson",
	"to_yaml":      "|tojson (JSON is valid YAML)",
	"to_nice_json": "|tojson",
	"json":         "|tojson",
}

func (w *walker) checkFilter(c *wctx, t token, parenCall bool) {
	name := t.val
	if parenCall {
		w.errorf(c.f, t.line, t.col, `filter arguments are written with a colon in pongo2: |%s:"…" instead of |%s(…)`, name, name)
		return
	}
	if name == "random" {
		w.errorf(c.f, t.line, t.col, "the random filter is disabled: rendering must give the same output every time")
		return
	}
	if pongo2.FilterExists(name) {
		return
	}
	if repl, ok := jinjaFilters[name]; ok {
		w.errorf(c.f, t.line, t.col, "pongo2 has no filter %q; use %s", name, repl)
		return
	}
	w.errorf(c.f, t.line, t.col, "pongo2 has no filter %q", name)
}
