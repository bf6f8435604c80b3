package render

import (
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/flosch/pongo2/v6"
)

// Strict lookups. pongo2 turns a key that is not there (a.b.c, a["b"], item.key, an index past
// the end) into an empty value, where Jinja2 with StrictUndefined stops. pongo2 has no hook for
// a failed lookup, so every lookup chain in an expression gets a filter right after it in the
// source pongo2 compiles: {{ a.b.c }} is compiled as {{ a.b.c|_strict:7 }}, and _strict fails
// on an empty value, naming site 7 (file, line, column and the chain as written). A JSON null
// in the variables is the none value, never Go's nil, so an empty value always means "not
// there". |default and |default_if_none after a chain leave it optional.

const strictFilter = "_strict"

// condFilter is strictFilter for the lookups of an {% if %} or {% elif %} condition: it also
// gives a float variable back as a plain float64, because pongo2's == and != compare Go values
// as interfaces, and number(2.5) is not float64(2.5) there, where Jinja2's 2.5 == 2.5 is true.
// Printing is not affected: a condition's values are never printed. A bare name in a
// condition (whose definition the static check already ensures) gets condNumFilter, which only
// unwraps.
const (
	condFilter    = "_strict_cond"
	condNumFilter = "_cond_num"
)

// none is Jinja2's None: false in a condition, printed "None", null in |tojson. A bool kind
// keeps pongo2's truth test, negation and equality (none equals only none).
type none bool

func (none) String() string { return "None" }

// strictSite is one rewritten lookup chain.
type strictSite struct {
	file      string
	line, col int
	text      string // the chain as written
}

// insertion is text added to the source pongo2 compiles, after character column col.
type insertion struct{ line, col, n int }

// strictFailure is the error _strict returns; Render turns it into an *Error at the site.
type strictFailure struct {
	site int
	byte bool // a string indexed by number: pongo2 gives a byte, Jinja2 a character
}

func (s *strictFailure) Error() string {
	if s.byte {
		return "pipegen strict byte " + strconv.Itoa(s.site)
	}
	return "pipegen strict lookup " + strconv.Itoa(s.site)
}

// strictFailureRe finds a _strict failure that pongo2 flattened into a message (inside a macro).
var strictFailureRe = regexp.MustCompile(`pipegen strict (lookup|byte) (\d+)`)

func filterStrictLookup(in *pongo2.Value, param *pongo2.Value) (*pongo2.Value, *pongo2.Error) {
	if in.IsNil() {
		return nil, &pongo2.Error{Sender: "filter:" + strictFilter, OrigError: &strictFailure{site: param.Integer()}}
	}
	if _, ok := in.Interface().(uint8); ok {
		return nil, &pongo2.Error{Sender: "filter:" + strictFilter, OrigError: &strictFailure{site: param.Integer(), byte: true}}
	}
	return in, nil
}

func filterStrictCondition(in *pongo2.Value, param *pongo2.Value) (*pongo2.Value, *pongo2.Error) {
	out, err := filterStrictLookup(in, param)
	if err != nil {
		return nil, err
	}
	return filterCondNumber(out, nil)
}

func filterCondNumber(in *pongo2.Value, _ *pongo2.Value) (*pongo2.Value, *pongo2.Error) {
	if n, ok := in.Interface().(number); ok {
		return pongo2.AsValue(float64(n)), nil
	}
	return in, nil
}

// condNames returns the indexes of the bare names of a condition: variables read whole, not
// attributes, filter names or arguments, calls, or the subject of an `is` test.
func condNames(toks []token) []int {
	var out []int
	for i, t := range toks {
		if t.kind != tkIdent {
			continue
		}
		if i > 0 && (toks[i-1].is(tkSymbol, ".") || toks[i-1].is(tkSymbol, "|") || toks[i-1].is(tkSymbol, ":")) {
			continue
		}
		if i+1 < len(toks) && (toks[i+1].is(tkSymbol, "(") || toks[i+1].is(tkSymbol, ".") ||
			toks[i+1].is(tkSymbol, "[") || toks[i+1].is(tkIdent, "is")) {
			continue
		}
		switch t.val {
		case "forloop", "block", "pipeline_id", "loop", "pongo2":
			continue
		}
		out = append(out, i)
	}
	return out
}

// strictTags lists, for each tag whose arguments hold expressions, where they start.
func strictArgs(name string, args []token) []token {
	switch name {
	case "if", "elif":
		return args
	case "for":
		for i, t := range args {
			if t.is(tkKeyword, "in") {
				return args[i+1:]
			}
		}
	case "set":
		if len(args) > 2 && args[1].is(tkSymbol, "=") {
			return args[2:]
		}
	case "with":
		return args
	case "include":
		for i, t := range args {
			if t.is(tkIdent, "with") {
				return args[i+1:]
			}
		}
	}
	return nil
}

// strictChains returns the [start, end) token ranges of the lookup chains in an expression
// that must find a value.
func strictChains(toks []token) [][2]int {
	var out [][2]int
	for i, t := range toks {
		if t.kind != tkIdent {
			continue
		}
		if i > 0 && (toks[i-1].is(tkSymbol, ".") || toks[i-1].is(tkSymbol, "|") || toks[i-1].is(tkSymbol, ":")) {
			continue // an attribute, a filter name, or a filter argument
		}
		switch t.val {
		case "forloop", "block", "pipeline_id", "loop", "pongo2":
			continue
		}
		j := skipPostfix(toks, i+1)
		if j == i+1 || j > len(toks) {
			continue
		}
		call := false
		depth := 0
		for k := i + 1; k < j; k++ {
			switch {
			case toks[k].is(tkSymbol, "(") || toks[k].is(tkSymbol, "["):
				if depth == 0 && toks[k].val == "(" {
					call = true
				}
				depth++
			case toks[k].is(tkSymbol, ")") || toks[k].is(tkSymbol, "]"):
				depth--
			}
		}
		if call {
			continue
		}
		if isProtected(toks, i) {
			continue
		}
		if j < len(toks) && toks[j].is(tkIdent, "is") {
			continue
		}
		out = append(out, [2]int{i, j})
	}
	return out
}

// strictSource returns the source pongo2 compiles for f: the file with a position mark before
// every {{ }} of items (marks.go) and _strict after every lookup chain. Sites and positions are
// registered in the Engine (compileMu held).
func (e *Engine) strictSource(f *parsedFile, items []item) string {
	type ins struct {
		line, col int
		text      string
		del       int // characters of the source the text replaces
	}
	var all []ins
	starts := lineStarts(f.src)
	// The mark goes before the white space a {{- trims, so trimming still reaches the text
	// before it.
	last := 0
	for _, it := range items {
		if it.kind != itemVar {
			continue
		}
		off := offsetOf(f.src, starts, it.line, it.col)
		if off < last || off+2 > len(f.src) || f.src[off:off+2] != "{{" {
			continue
		}
		at := off
		if off+2 < len(f.src) && f.src[off+2] == '-' {
			for at > last && strings.IndexByte(" \t\r\n", f.src[at-1]) >= 0 {
				at--
			}
		}
		line, col := positionOf(f.src, starts, at)
		all = append(all, ins{line: line, col: col, text: e.positionMark(srcPos{file: f.file, line: it.line, col: it.col})})
		last = at
	}
	add := func(toks []token, filter string) {
		for _, ed := range jinjaEdits(toks) {
			all = append(all, ins(ed))
		}
		for _, ch := range strictChains(toks) {
			first, last := toks[ch[0]], toks[ch[1]-1]
			if first.line != last.line {
				continue
			}
			e.sitesMu.Lock()
			e.sites = append(e.sites, strictSite{file: f.file, line: first.line, col: first.col, text: tokText(f, toks[ch[0]:ch[1]])})
			id := len(e.sites) - 1
			e.sitesMu.Unlock()
			all = append(all, ins{line: last.line, col: last.end, text: "|" + filter + ":" + strconv.Itoa(id)})
		}
		if filter == condFilter {
			for _, i := range condNames(toks) {
				all = append(all, ins{line: toks[i].line, col: toks[i].end, text: "|" + condNumFilter})
			}
		}
	}
	visitNodes(f.nodes, func(n *node) {
		switch n.kind {
		case nodeVar:
			toks := n.it.toks
			if len(toks) == 0 {
				break
			}
			// {{ e }} is compiled as {{ _jinja_print(e) }}: pongo2 prints a float its arithmetic
			// or a literal made with %f, and calls no filter on a printed number.
			// The ")" goes just before the closing }}, so pongo2's errors there keep their column;
			// |safe, which pongo2 reads off the printed expression, is moved after the call.
			first, last := toks[0], toks[len(toks)-1]
			closing := ")"
			if printIsSafe(toks) {
				closing = ")|safe"
			}
			all = append(all, ins{line: first.line, col: first.col, text: printFunc + "("})
			add(toks, strictFilter)
			line, col := skipSpace(f.src, starts, last.line, last.end)
			all = append(all, ins{line: line, col: col, text: closing})
		case nodeTag:
			filter := strictFilter
			if n.name == "if" || n.name == "elif" {
				filter = condFilter
			}
			add(strictArgs(n.name, n.args), filter)
		}
	})
	for _, ed := range forElseEdits(f.nodes) {
		all = append(all, ins(ed))
	}
	if len(all) == 0 {
		return f.src
	}
	sort.SliceStable(all, func(i, j int) bool {
		if all[i].line != all[j].line {
			return all[i].line < all[j].line
		}
		return all[i].col < all[j].col
	})
	var b strings.Builder
	line, col := 1, 1
	k, skip := 0, 0
	for _, r := range f.src {
		for k < len(all) && all[k].line == line && all[k].col == col {
			b.WriteString(all[k].text)
			if n := len(all[k].text) - all[k].del; n > 0 {
				f.inserted = append(f.inserted, insertion{line: line, col: col, n: n})
			}
			skip = max(skip, all[k].del)
			k++
		}
		if skip > 0 {
			skip--
		} else {
			b.WriteRune(r)
		}
		if r == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
	}
	for ; k < len(all); k++ { // a chain ending the file
		b.WriteString(all[k].text)
		f.inserted = append(f.inserted, insertion{line: line, col: col, n: len(all[k].text)})
	}
	return b.String()
}

// skipSpace returns the position of the first character at or after line:col that is not
// white space (columns count characters, as the scanner's do).
func skipSpace(src string, starts []int, line, col int) (int, int) {
	off := offsetOf(src, starts, line, col)
	if off < 0 {
		return line, col
	}
	l, c := line, col
	for _, r := range src[off:] {
		if r != ' ' && r != '\t' && r != '\r' && r != '\n' {
			return l, c
		}
		if r == '\n' {
			l, c = l+1, 1
		} else {
			c++
		}
	}
	return line, col
}

// lineStarts lists the byte offset where each line of src starts.
func lineStarts(src string) []int {
	starts := make([]int, 1, 1+strings.Count(src, "\n"))
	for i := 0; i < len(src); i++ {
		if src[i] == '\n' {
			starts = append(starts, i+1)
		}
	}
	return starts
}

// offsetOf is the byte offset of line:col (columns count characters), or -1 past the last
// line; a column past the line's end gives the offset of its line break.
func offsetOf(src string, starts []int, line, col int) int {
	if line < 1 || line > len(starts) {
		return -1
	}
	off := starts[line-1]
	for c := 1; c < col && off < len(src) && src[off] != '\n'; c++ {
		_, size := utf8.DecodeRuneInString(src[off:])
		off += size
	}
	return off
}

// positionOf is the line:col (columns count characters) of byte offset off.
func positionOf(src string, starts []int, off int) (int, int) {
	line := sort.SearchInts(starts, off+1) // starts[line-1] <= off < starts[line]
	return line, 1 + utf8.RuneCountInString(src[starts[line-1]:off])
}

// originalColumn maps a character column of the compiled source back to the file's own.
func (f *parsedFile) originalColumn(line, col int) int {
	shift := 0
	for _, in := range f.inserted {
		if in.line != line {
			continue
		}
		at := in.col + shift // where the insertion starts in the compiled line
		switch {
		case col >= at+in.n:
			shift += in.n
		case col >= at:
			return in.col
		}
	}
	return col - shift
}

// strictError turns a _strict failure into the error the user sees, naming the first key that
// is missing when the chain starts at a variable.
func (e *Engine) strictError(sf *strictFailure, vars map[string]any) *Error {
	e.sitesMu.RLock()
	defer e.sitesMu.RUnlock()
	if sf.site < 0 || sf.site >= len(e.sites) {
		return nil
	}
	s := e.sites[sf.site]
	err := &Error{File: e.display(s.file), Line: s.line, Col: s.col}
	if sf.byte {
		err.Msg = fmt.Sprintf(`%s indexes a string by number: Jinja2 gives a character, pongo2 a byte; write |first for [0], or |slice:"i:j"`, s.text)
		return err
	}
	err.Msg = fmt.Sprintf(`%s is undefined%s; write %s|default:"…" where it is optional`, s.text, missingKey(s.text, vars), s.text)
	return err
}

// missingKey names the first key of a dotted chain that vars lacks, when it can tell.
func missingKey(chain string, vars map[string]any) string {
	if strings.ContainsAny(chain, "[(") {
		return ""
	}
	parts := strings.Split(chain, ".")
	cur, ok := vars[parts[0]]
	if !ok {
		return ""
	}
	for i, p := range parts[1:] {
		switch m := cur.(type) {
		case map[string]any:
			v, found := m[p]
			if !found {
				return fmt.Sprintf(": %s has no key %q%s", strings.Join(parts[:i+1], "."), p, keyList(m))
			}
			cur = v
		case []any:
			n, err := strconv.Atoi(p)
			if err != nil || n >= len(m) {
				return fmt.Sprintf(": %s has %d items", strings.Join(parts[:i+1], "."), len(m))
			}
			cur = m[n]
		default:
			return ""
		}
	}
	return ""
}

func keyList(m map[string]any) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	if len(keys) > 8 {
		keys = append(keys[:8], "…")
	}
	return " (it has " + strings.Join(keys, ", ") + ")"
}

// asStrictFailure finds a _strict failure inside a pongo2 error.
func asStrictFailure(err error) *strictFailure {
	var sf *strictFailure
	if errors.As(err, &sf) {
		return sf
	}
	var pe *pongo2.Error
	if errors.As(err, &pe) && pe.OrigError != nil {
		if errors.As(pe.OrigError, &sf) {
			return sf
		}
	}
	if m := strictFailureRe.FindStringSubmatch(err.Error()); m != nil {
		n, _ := strconv.Atoi(m[2])
		return &strictFailure{site: n, byte: m[1] == "byte"}
	}
	return nil
}

// printIsSafe reports whether a printed expression is marked safe as a whole: `|safe` is its
// last filter and nothing outside brackets combines it with anything else. A `|safe` on one
// operand ({{ "x"|safe + name }}) leaves the print escaped, as pongo2 treats such an
// expression: moving it after the call would print name unescaped.
func printIsSafe(toks []token) bool {
	n := len(toks)
	if n < 3 || !toks[n-1].is(tkIdent, "safe") || !toks[n-2].is(tkSymbol, "|") {
		return false
	}
	depth := 0
	for _, t := range toks[:n-2] {
		switch {
		case t.kind == tkSymbol && (t.val == "(" || t.val == "[" || t.val == "{"):
			depth++
		case t.kind == tkSymbol && (t.val == ")" || t.val == "]" || t.val == "}"):
			depth--
		case depth > 0:
		case t.kind == tkKeyword:
			return false
		case t.kind == tkSymbol && t.val != "|" && t.val != "." && t.val != ":":
			return false
		}
	}
	return true
}
