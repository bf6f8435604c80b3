package render

// A macro's output holds the marks of the values printed inside it (marks.go): they are
// escaped where the output finally lands. Printed, or re-indented or trimmed on the way, the
// output stays intact; used as data (compared, measured, filtered, set to a name) the marks
// would be seen in place of the text, so the check refuses those uses.

// layoutFilters change only the text around marks.
var layoutFilters = map[string]bool{"safe": true, "indent": true, "trim": true}

// macroOutputs reports every macro call in toks that is not the whole of a {{ }} (printed).
func (w *walker) macroOutputs(c *wctx, fr *frame, toks []token, printed bool) {
	for i := 0; i+1 < len(toks); i++ {
		t := toks[i]
		if t.kind != tkIdent || !toks[i+1].is(tkSymbol, "(") || (i > 0 && toks[i-1].is(tkSymbol, ".")) {
			continue
		}
		if b, ok := fr.lookup(t.val); !ok || !b.fn {
			continue
		}
		if printed && i == 0 && onlyLayoutAfter(toks, closeParen(toks, i+1)+1) {
			continue
		}
		w.errorf(c.f, t.line, t.col, "the output of macro %s can only be printed, as {{ %s(…) }} (optionally |indent or |trim): the values printed inside it are escaped where it lands, and are not text yet", t.val, t.val)
	}
}

// closeParen returns the index of the ) matching the ( at open, or len(toks).
func closeParen(toks []token, open int) int {
	depth := 0
	for j := open; j < len(toks); j++ {
		switch {
		case toks[j].is(tkSymbol, "("):
			depth++
		case toks[j].is(tkSymbol, ")"):
			depth--
			if depth == 0 {
				return j
			}
		}
	}
	return len(toks)
}

// onlyLayoutAfter reports whether toks[i:] is nothing or a chain of layout filters.
func onlyLayoutAfter(toks []token, i int) bool {
	for i < len(toks) {
		if !toks[i].is(tkSymbol, "|") || i+1 >= len(toks) || toks[i+1].kind != tkIdent || !layoutFilters[toks[i+1].val] {
			return false
		}
		i += 2
		switch {
		case i < len(toks) && toks[i].is(tkSymbol, "("):
			i = closeParen(toks, i) + 1
		case i+1 < len(toks) && toks[i].is(tkSymbol, ":"):
			i += 2
		}
	}
	return true
}
