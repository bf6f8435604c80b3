package render

// Expressions: the names one expression uses, resolved against the scope, and the Jinja forms
// it contains.

// expr checks one expression (or a tag's expression list): Jinja idioms, filters, and the
// names it uses. allProtected marks every name as optional (firstof).
func (w *walker) expr(c *wctx, fr *frame, toks []token, allProtected bool) {
	before := len(w.errs)
	cond := w.cond
	w.cond = false
	w.valueOps(c, toks, cond)
	type pending struct {
		t         token
		call      bool
		protected bool
		attr      string
		nargs     int
	}
	var uses []pending
	var parens []bool       // true for a call's parentheses
	var filterParens []bool // true for a filter call's parentheses
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
				filterParens = append(filterParens, i >= 2 && toks[i-2].is(tkSymbol, "|"))
			case ")":
				if len(parens) > 0 {
					parens = parens[:len(parens)-1]
					filterParens = filterParens[:len(filterParens)-1]
				}
			case "[":
				if operandStart(prev) {
					w.errorf(c.f, t.line, t.col, "list literals are not supported by pongo2; put the list in the variables")
				}
			case "*", "/":
				if next != nil && next.is(tkSymbol, t.val) && next.col == t.end {
					if t.val == "*" {
						w.errorf(c.f, t.line, t.col, `"**" is not supported by pongo2 (its "^" gives a float, groups from the right and binds tighter than "-"); write the product (n * n) or compute the value in the variables`)
					} else {
						w.errorf(c.f, t.line, t.col, `"//" is not supported by pongo2; compute the value in the variables`)
					}
					i++
				}
			case "^":
				w.errorf(c.f, t.line, t.col, `"^" is pongo2's power: it gives a float (3 ^ 2 is 9.0, where Jinja2's 3 ** 2 is 9), groups from the right and binds tighter than "-"; write the product (n * n) or compute the value in the variables`)
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
			if next != nil && next.is(tkSymbol, "=") && len(parens) > 0 && filterParens[len(filterParens)-1] {
				w.errorf(c.f, t.line, t.col, "keyword arguments of Jinja2 filters (%s=…) are not supported by pipegen; compute the value in the variables", t.val)
				continue
			}
			if next != nil && next.is(tkSymbol, "=") && len(parens) > 0 && parens[len(parens)-1] {
				w.errorf(c.f, t.line, t.col, "keyword arguments (%s=…) are not supported by pongo2; pass arguments by position", t.val)
				continue
			}
			p := pending{t: t, call: next != nil && next.is(tkSymbol, "(")}
			if p.call {
				p.nargs = countArgs(toks, i+1)
			}
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
		if b, ok := fr.lookup(u.t.val); ok && b.fn && u.call && u.nargs >= 0 && u.nargs < len(b.required) {
			w.errorf(c.f, u.t.line, u.t.col, "macro %s: parameter %q is not passed and has no default (Jinja2 stops here; pongo2 would print it empty); pass it or give it a default", u.t.val, b.required[u.nargs])
		}
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
	if definedTest(toks, j) {
		return true
	}
	for j+1 < len(toks) && toks[j].is(tkSymbol, "|") {
		name := toks[j+1].val
		if name == "default" || name == "default_if_none" || name == "d" {
			return true
		}
		if j+2 < len(toks) && toks[j+2].is(tkSymbol, "(") {
			j = skipPostfix(toks, j+2)
			continue
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

// use resolves one name.
func (w *walker) use(c *wctx, fr *frame, t token, call, protected bool, attr string, suppress bool) {
	name := t.val
	if _, bound := fr.lookup(name); !bound {
		w.refs[name] = true
	}
	if b, ok := fr.lookup(name); ok {
		switch {
		case b.fn && !call:
			w.errorf(c.f, t.line, t.col, "%s is a macro; macros can only be called: %s(…)", name, name)
		case !b.fn && call:
			w.errorf(c.f, t.line, t.col, "%s is not a macro; only macros and pipeline_id can be called", name)
		}
		return
	}
	if name == "loop" && !call {
		if _, ok := loopAttrEdits[attr]; ok {
			if _, inFor := fr.lookup("forloop"); inFor {
				return // compiled as forloop.… (jinjaEdits)
			}
			w.errorf(c.f, t.line, t.col, "loop.%s exists only inside {%% for %%}", attr)
			return
		}
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

// definedTest reports whether toks[j:] starts with "is [not] defined" or "is [not] undefined".
func definedTest(toks []token, j int) bool {
	if j >= len(toks) || !toks[j].is(tkIdent, "is") {
		return false
	}
	j++
	if j < len(toks) && toks[j].is(tkKeyword, "not") {
		j++
	}
	return j < len(toks) && (toks[j].is(tkIdent, "defined") || toks[j].is(tkIdent, "undefined"))
}

// countArgs counts the arguments of the call whose "(" is at open; -1 when it cannot tell.
func countArgs(toks []token, open int) int {
	end := matching(toks, open)
	if end < 0 {
		return -1
	}
	if end == open+1 {
		return 0
	}
	n, depth := 1, 0
	for k := open + 1; k < end; k++ {
		switch {
		case toks[k].is(tkSymbol, "(") || toks[k].is(tkSymbol, "["):
			depth++
		case toks[k].is(tkSymbol, ")") || toks[k].is(tkSymbol, "]"):
			depth--
		case depth == 0 && toks[k].is(tkSymbol, ","):
			n++
		case depth == 0 && toks[k].is(tkSymbol, "="):
			return -1 // keyword arguments, reported elsewhere
		}
	}
	return n
}
