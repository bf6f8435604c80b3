package render

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Operators that pongo2 parses like Jinja2 but evaluates to another value. Each is refused
// where the two differ, with a pongo2 form that gives Jinja2's value; where they agree (`or` in
// an if condition, where only truth counts) they pass. README "Jinja → pongo2" lists each.

// valueOps reports the operators of one expression whose pongo2 value differs from Jinja2's.
// cond is true for an {% if %}/{% elif %} condition.
func (w *walker) valueOps(c *wctx, toks []token, cond bool) {
	for i, t := range toks {
		switch {
		case t.is(tkKeyword, "or") || t.is(tkKeyword, "and"):
			if cond && boolContext(toks, i) {
				continue
			}
			w.boolValue(c, toks, i)
			return // one message per expression: the hint covers the whole chain
		case t.is(tkSymbol, "%") && i > 0 && toks[i-1].kind == tkString:
			w.errorf(c.f, t.line, t.col, `"%%" after a string is Python's string formatting in Jinja2 and a number's remainder in pongo2; write the value with |stringformat:%s`, pyQuote(toks[i-1].val))
		case t.is(tkSymbol, "/") && !(i+1 < len(toks) && toks[i+1].is(tkSymbol, "/") && toks[i+1].col == t.end) && !(i > 0 && toks[i-1].is(tkSymbol, "/") && toks[i-1].end == t.col):
			w.errorf(c.f, t.line, t.col, `"/" gives a float in Jinja2 (7 / 2 is 3.5, 4 / 2 is 2.0) and drops the remainder between integers in pongo2; compute the value in the variables`)
		case t.is(tkSymbol, "["):
			w.subscript(c, toks, i)
		}
	}
}

// boolContext reports whether the and/or at i only decides truth: at the top of a condition,
// or inside parentheses that are themselves operands of not/and/or.
func boolContext(toks []token, i int) bool {
	depth := 0
	for j := i - 1; j >= 0; j-- {
		switch {
		case toks[j].is(tkSymbol, ")") || toks[j].is(tkSymbol, "]"):
			depth++
		case toks[j].is(tkSymbol, "(") || toks[j].is(tkSymbol, "["):
			if depth > 0 {
				depth--
				continue
			}
			if toks[j].val == "[" || (j > 0 && (toks[j-1].kind == tkIdent || toks[j-1].is(tkSymbol, ")"))) {
				return false // a subscript or a call's argument: its value is used
			}
			closeAt := matching(toks, j)
			before := j == 0 || toks[j-1].is(tkKeyword, "not") || toks[j-1].is(tkKeyword, "and") ||
				toks[j-1].is(tkKeyword, "or") || toks[j-1].is(tkSymbol, "(")
			after := closeAt < 0 || closeAt == len(toks)-1 || toks[closeAt+1].is(tkKeyword, "and") ||
				toks[closeAt+1].is(tkKeyword, "or") || toks[closeAt+1].is(tkSymbol, ")")
			if !before || !after {
				return false
			}
			return boolContext(toks, j)
		}
	}
	return true
}

// matching returns the index of the parenthesis closing the one at open, or -1.
func matching(toks []token, open int) int {
	depth := 0
	for j := open; j < len(toks); j++ {
		switch {
		case toks[j].is(tkSymbol, "(") || toks[j].is(tkSymbol, "["):
			depth++
		case toks[j].is(tkSymbol, ")") || toks[j].is(tkSymbol, "]"):
			depth--
			if depth == 0 {
				return j
			}
		}
	}
	return -1
}

// boolValue refuses `a or b` / `a and b` whose value is used, with the pongo2 form when the
// expression is a plain chain of operands.
func (w *walker) boolValue(c *wctx, toks []token, i int) {
	t := toks[i]
	operands, ops, ok := splitBool(toks)
	const what = `gives the value of one of its operands in Jinja2 but True or False in pongo2`
	if !ok {
		w.errorf(c.f, t.line, t.col, `%q %s; where its value is printed or passed on, use {%% if %%}…{%% else %%}…{%% endif %%} or x|default:y (Jinja2's "x or y")`, t.val, what)
		return
	}
	texts := make([]string, len(operands))
	for k, o := range operands {
		texts[k] = tokText(c.f, o)
	}
	if ops == "or" {
		simple := true
		for _, o := range operands[1:] {
			simple = simple && filterArg(o)
		}
		if simple {
			w.errorf(c.f, t.line, t.col, `"or" %s; write %s (|default:y replaces a false, empty, zero or none value, as "or" does)`, what, texts[0]+"|default:"+strings.Join(texts[1:], "|default:"))
			return
		}
	}
	if ops == "and" && len(operands) == 2 {
		w.errorf(c.f, t.line, t.col, `"and" %s; write {%% if %s %%}{{ %s }}{%% else %%}{{ %s }}{%% endif %%}`, what, texts[0], texts[1], texts[0])
		return
	}
	w.errorf(c.f, t.line, t.col, `%q %s; where its value is printed or passed on, use {%% if %%}…{%% else %%}…{%% endif %%}`, t.val, what)
}

// splitBool splits a top-level chain of one operator (a or b or c) into its operands.
func splitBool(toks []token) (operands [][]token, op string, ok bool) {
	depth, start := 0, 0
	for i, t := range toks {
		switch {
		case t.is(tkSymbol, "(") || t.is(tkSymbol, "["):
			depth++
		case t.is(tkSymbol, ")") || t.is(tkSymbol, "]"):
			depth--
		case depth == 0 && (t.is(tkKeyword, "or") || t.is(tkKeyword, "and")):
			if op != "" && op != t.val {
				return nil, "", false
			}
			op = t.val
			operands = append(operands, toks[start:i])
			start = i + 1
		case depth == 0 && (t.kind == tkSymbol && t.val != "." && t.val != "|" && t.val != ":" && t.val != "-" || t.kind == tkKeyword):
			return nil, "", false // a comparison or arithmetic next to the or: no short form
		}
	}
	operands = append(operands, toks[start:])
	for _, o := range operands {
		if len(o) == 0 {
			return nil, "", false
		}
	}
	return operands, op, op != ""
}

// filterArg reports whether an operand can be a pongo2 filter argument: one literal or a
// dotted name.
func filterArg(toks []token) bool {
	if len(toks) == 1 {
		return toks[0].kind == tkString || toks[0].kind == tkNumber || toks[0].kind == tkIdent || toks[0].kind == tkKeyword
	}
	if toks[0].kind != tkIdent || len(toks)%2 == 0 {
		return false
	}
	for k := 1; k < len(toks); k += 2 {
		if !toks[k].is(tkSymbol, ".") || toks[k+1].kind != tkIdent {
			return false
		}
	}
	return true
}

// subscript refuses the subscripts pongo2 reads differently: a negative index (pongo2: empty)
// and a subscript followed by more of the chain (pongo2 cannot parse it).
func (w *walker) subscript(c *wctx, toks []token, i int) {
	if i == 0 || operandStart(&toks[i-1]) {
		return // a list literal, reported elsewhere
	}
	if i+2 < len(toks) && toks[i+1].is(tkSymbol, "-") && toks[i+2].kind == tkNumber {
		if toks[i+2].val == "1" {
			w.errorf(c.f, toks[i].line, toks[i].col, `a negative index counts from the end in Jinja2 and finds nothing in pongo2; write |last for [-1]`)
		} else {
			w.errorf(c.f, toks[i].line, toks[i].col, `a negative index counts from the end in Jinja2 and finds nothing in pongo2; write |slice:"-%s:"|first`, toks[i+2].val)
		}
		return
	}
	end := matching(toks, i)
	if end < 0 || end+1 >= len(toks) || !(toks[end+1].is(tkSymbol, ".") || toks[end+1].is(tkSymbol, "[")) {
		return
	}
	// Only the last part of a pongo2 name may be a subscript.
	if inner := toks[i+1 : end]; len(inner) == 1 && inner[0].kind == tkString && validIdent(inner[0].val) {
		w.errorf(c.f, toks[i].line, toks[i].col, `pongo2 reads a ["key"] subscript only at the end of a name; write the key with a dot: .%s`, inner[0].val)
		return
	}
	w.errorf(c.f, toks[i].line, toks[i].col, `pongo2 reads a subscript only at the end of a name; take the part first: {%% with item=%s %%}…{%% endwith %%}`, tokText(c.f, toks[:end+1]))
}

// tokText is the source text of a run of tokens on one line.
func tokText(f *parsedFile, toks []token) string {
	if len(toks) == 0 {
		return ""
	}
	first, last := toks[0], toks[len(toks)-1]
	line := sourceLine(f.src, first.line)
	if first.line != last.line || line == "" {
		return first.val
	}
	return runeSlice(line, first.col-1, last.end-1)
}

func sourceLine(src string, n int) string {
	for l := 1; l < n; l++ {
		i := strings.IndexByte(src, '\n')
		if i < 0 {
			return ""
		}
		src = src[i+1:]
	}
	if i := strings.IndexByte(src, '\n'); i >= 0 {
		src = src[:i]
	}
	return src
}

// runeSlice returns s[from:to] counted in characters.
func runeSlice(s string, from, to int) string {
	start, end, k := len(s), len(s), 0
	for i := range s {
		if k == from {
			start = i
		}
		if k == to {
			end = i
			break
		}
		k++
	}
	if from >= utf8.RuneCountInString(s) {
		return ""
	}
	return s[start:end]
}

// pyQuote writes a template string literal back as pongo2 reads it.
func pyQuote(s string) string {
	return fmt.Sprintf("%q", s)
}
