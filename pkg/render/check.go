package render

import (
	"fmt"
	"sort"
	"strings"
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

	pongoSrc string      // what pongo2 compiles: src with strict-lookup filters
	inserted []insertion // where pongoSrc differs from src
}

type freeUse struct {
	name, file string
	line, col  int
}

type binding struct {
	fn       bool
	required []string // a macro's parameters without a default, in order (nil: unknown)
}

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
	refs      map[string]bool // every name the template may read from the variables
	stack     []string        // files on the include/import/extends chain
	blockSeen map[*node]bool
	walks     int
	cond      bool // the next expr is an if/elif condition
	// unsafe is set when pongo2 must not compile the template: cycles, paths leaving the
	// directory, include explosions, missing files (pongo2 would report those at the wrong place).
	unsafe bool
}

func newWalker(e *Engine) *walker {
	return &walker{
		e: e, errSeen: map[string]bool{}, reported: map[string]bool{}, fileOrder: map[string]int{},
		useSeen: map[string]bool{}, blockSeen: map[*node]bool{}, refs: map[string]bool{},
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
			w.macroOutputs(c, fr, n.it.toks, true)
			w.expr(c, fr, n.it.toks, false)
		case nodeTag:
			w.tag(c, fr, n)
		}
	}
}

func (w *walker) tag(c *wctx, fr *frame, n *node) {
	args := n.args
	if n.name != "macro" && n.name != "import" && n.name != "call" {
		w.macroOutputs(c, fr, args, false)
	}
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
			w.cond = b.tag == "if" || b.tag == "elif"
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
		if t.kind != tkIdent || i+2 >= len(toks) {
			continue
		}
		isDefault := toks[i+1].is(tkSymbol, "|") && (toks[i+2].is(tkIdent, "default") || toks[i+2].is(tkIdent, "d"))
		isDefined := toks[i+1].is(tkIdent, "is") && toks[i+2].is(tkIdent, "defined")
		if !isDefault && !isDefined {
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
	var params []string
	var defaults []bool
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
				params = append(params, param[0].val)
				defaults = append(defaults, len(param) > 1 && param[1].is(tkSymbol, "="))
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
	var required []string
	for k, p := range params {
		if !defaults[k] {
			required = append(required, p)
		}
	}
	// Jinja2 stops on a parameter without a default that a call leaves out; pongo2 would print
	// it empty. Parameters with defaults come last in Jinja2, so the first len(required) count.
	if len(required) == len(params) || !slicesHasDefaultBefore(defaults) {
		fr.names[name] = binding{fn: true, required: required}
	}
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

// slicesHasDefaultBefore reports a parameter with a default followed by one without.
func slicesHasDefaultBefore(defaults []bool) bool {
	seen := false
	for _, d := range defaults {
		if d {
			seen = true
		} else if seen {
			return true
		}
	}
	return false
}
