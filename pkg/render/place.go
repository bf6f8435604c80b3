package render

import (
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"
)

// printed is one value a render printed, found by its mark.
type printed struct {
	off    int // offset of its placeholder in the placeholder text
	kind   byte
	val    string
	pos    srcPos
	hasPos bool
}

const listInString = `a list or map is printed inside a string here; print it as a value of its own with {{ x|tojson }} (not between quotes), or as text with {{ x|join:", " }}`

// place writes every printed value into the rendered text, escaped for the YAML context it
// landed in (see marks.go and README "Printed values"), or refuses the render naming the
// {{ }} whose value has no exact form there. file is the template rendered, for marks that
// carry no position.
func (e *Engine) place(out []byte, file string) ([]byte, error) {
	s := string(out)
	if strings.IndexByte(s, markNUL) < 0 {
		return out, nil
	}
	prints := e.positions()
	var sh strings.Builder
	sh.Grow(len(s))
	// Every mark is two NULs; about half of them are position marks.
	nuls := strings.Count(s, "\x00")
	marks := make([]printed, 0, nuls/4+1)
	offs := make([]int, 0, nuls/4+1)
	var pending, last srcPos
	var scratch []byte
	pendingAt, haveLast := -1, false
	for i := 0; i < len(s); {
		j := strings.IndexByte(s[i:], markNUL)
		if j < 0 {
			sh.WriteString(s[i:])
			break
		}
		sh.WriteString(s[i : i+j])
		i += j
		kind, payload, n, ok := decodeMarkTo(s[i:], scratch[:0])
		if !ok {
			m := printed{pos: last, hasPos: haveLast}
			return nil, e.markErr(m, file, "a printed value was changed after printing (a filter applied to a macro's output, or a {% filter %} block around {{ }}), or the output holds a NUL character; filter the values inside instead")
		}
		i += n
		if kind == markPosition {
			scratch = payload
			if p, ok := parsePosID(payload, prints); ok {
				pending, pendingAt, last, haveLast = p, sh.Len(), p, true
			}
			continue
		}
		m := printed{off: sh.Len(), kind: kind, val: string(payload)}
		if pendingAt == sh.Len() {
			m.pos, m.hasPos, pendingAt = pending, true, -1
		}
		if kind == markString && holdsMark(m.val) {
			return nil, e.markErr(m, file, listInString) // a list or map turned into text
		}
		marks = append(marks, m)
		offs = append(offs, m.off)
		sh.WriteByte(markPlaceholder)
	}
	text := sh.String()
	ctx := lexYAML(text, offs)
	var b strings.Builder
	b.Grow(len(text) + len(text)/8)
	cur := 0
	for k := 0; k < len(marks); {
		c := ctx[k]
		if c.kind == ctxPlain {
			k2 := k + 1
			for k2 < len(marks) && ctx[k2].kind == ctxPlain && ctx[k2].start == c.start {
				k2++
			}
			out, bad, msg := placePlain(text, marks[k:k2], c)
			if msg != "" {
				return nil, e.markErr(bad, file, msg)
			}
			b.WriteString(text[cur:c.start])
			b.WriteString(out)
			cur = c.end
			k = k2
			continue
		}
		m := marks[k]
		out, msg := escapeFor(m, c)
		if msg != "" {
			return nil, e.markErr(m, file, msg)
		}
		b.WriteString(text[cur:m.off])
		b.WriteString(out)
		cur = m.off + 1
		k++
	}
	b.WriteString(text[cur:])
	return []byte(b.String()), nil
}

// holdsMark reports whether a printed string holds another value's mark: a list or map turned
// into text.
func holdsMark(s string) bool {
	for {
		i := strings.IndexByte(s, markNUL)
		if i < 0 {
			return false
		}
		if _, _, _, ok := decodeMark(s[i:]); ok {
			return true
		}
		s = s[i+1:]
	}
}

func (e *Engine) markErr(m printed, file, msg string) *Error {
	if m.hasPos {
		return &Error{File: e.display(m.pos.file), Line: m.pos.line, Col: m.pos.col, Msg: msg}
	}
	return &Error{File: e.display(file), Msg: msg}
}

// short quotes a value for a message, cut to a readable length.
func short(v string) string {
	if utf8.RuneCountInString(v) > 40 {
		r := []rune(v)
		return fmt.Sprintf("%q…", string(r[:40]))
	}
	return fmt.Sprintf("%q", v)
}

func firstUnfit(v string, allowNewline bool) (rune, bool) {
	for _, r := range v {
		if r == '\n' && allowNewline {
			continue
		}
		if isBreakOrUnprintable(r) {
			return r, true
		}
	}
	return 0, false
}

func describeRune(r rune) string {
	if isLineBreak(r) {
		return "a line break"
	}
	return fmt.Sprintf("the control character U+%04X", r)
}

var nameRe = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

// escapeFor writes a value for every context but plain scalars; msg says why it cannot.
func escapeFor(m printed, c yctx) (out, msg string) {
	if m.kind == markCollection && c.kind != ctxComment {
		return "", listInString
	}
	switch c.kind {
	case ctxDouble:
		return yamlEscape(m.val), ""
	case ctxSingle:
		if r, bad := firstUnfit(m.val, false); bad {
			return "", fmt.Sprintf(`the value %s holds %s, which a single-quoted YAML string cannot hold exactly; write "{{ … }}" in double quotes`, short(m.val), describeRune(r))
		}
		return strings.ReplaceAll(m.val, "'", "''"), ""
	case ctxComment:
		return commentText(m.val, c)
	case ctxBlock:
		return blockText(m.val, c)
	case ctxName:
		if !nameRe.MatchString(m.val) {
			return "", fmt.Sprintf("the value %s is printed as a YAML anchor, alias or tag name, which holds only letters, digits, - and _", short(m.val))
		}
		return m.val, ""
	case ctxBad:
		return "", c.why
	}
	return "", "{{ }} stands where pipegen cannot tell what YAML will make of it; put it in a quoted string or a value of its own"
}

// commentText keeps a value inside the comment it is printed in: each line break starts a
// new comment line. (On a block scalar's header a new line would be the block's content.)
func commentText(v string, c yctx) (string, string) {
	for _, r := range v {
		if isBreakOrUnprintable(r) && !(isLineBreak(r) && !c.header) {
			return "", fmt.Sprintf("the value %s holds %s, which cannot stand in this YAML comment", short(v), describeRune(r))
		}
	}
	if !strings.ContainsFunc(v, isLineBreak) {
		return v, ""
	}
	var b strings.Builder
	for i := 0; i < len(v); {
		r, size := utf8.DecodeRuneInString(v[i:])
		i += size
		if !isLineBreak(r) {
			b.WriteRune(r)
			continue
		}
		if r == '\r' && i < len(v) && v[i] == '\n' {
			i++
		}
		b.WriteString("\n#")
	}
	return b.String(), ""
}

func isLineBreak(r rune) bool {
	return r == '\n' || r == '\r' || r == 0x85 || r == 0x2028 || r == 0x2029
}

// blockText indents every line of v after the first to the block's content indentation, so
// the value stays inside the | block whatever it holds.
func blockText(v string, c yctx) (string, string) {
	if r, bad := firstUnfit(v, !c.folded); bad {
		if c.folded && r == '\n' {
			return "", fmt.Sprintf("the value %s has a line break, which a folded block (>) turns into a space; use a literal block (|)", short(v))
		}
		return "", fmt.Sprintf("the value %s holds %s, which a YAML block scalar cannot hold exactly; write \"{{ … }}\" in double quotes", short(v), describeRune(r))
	}
	// What the line's content starts with decides the block's indentation (first line; yaml.v3
	// also rejects a tab there) and whether a folded block keeps its line breaks; an empty value
	// leaves that to what follows it.
	first := c.next
	if v != "" {
		first = v[0]
	}
	switch {
	case c.lineStart && c.folded && (first == ' ' || first == '\t' || first == '\n' || first == 0):
		return "", fmt.Sprintf("the value %s starts a line of a folded block (>) with a space, or leaves it empty, which changes how its lines are joined; use a literal block (|)", short(v))
	case c.lineStart && c.firstLine && !c.explicit && (first == ' ' || first == '\t' || first == '\n' || first == 0):
		return "", fmt.Sprintf("the value %s starts the first line of a block scalar with a space or line break, or leaves it empty, which changes the block's indentation; give the indentation in the header (|2) or start the line with text", short(v))
	}
	if !strings.Contains(v, "\n") {
		return v, ""
	}
	pad := strings.Repeat(" ", c.indent)
	lines := strings.Split(v, "\n")
	var b strings.Builder
	b.WriteString(lines[0])
	for i, line := range lines[1:] {
		b.WriteByte('\n')
		if line != "" || (i == len(lines)-2 && !c.restEmpty) {
			b.WriteString(pad)
		}
		b.WriteString(line)
	}
	return b.String(), ""
}

// placePlain writes the unquoted scalar holding ms. It stays as Jinja2 would print it when it
// reads back as exactly its text; it is double-quoted when Jinja2's text would break the YAML
// or lose characters (so it reads back as what was printed); it is refused when YAML would read
// it as another type or as YAML syntax, because Jinja2 + YAML would then give that other value
// and pipegen cannot tell which one was meant.
func placePlain(text string, ms []printed, c yctx) (string, printed, string) {
	whole := len(ms) == 1 && c.start == ms[0].off && c.end == ms[0].off+1
	var sb strings.Builder
	next := 0
	for k := c.start; k < c.end; k++ {
		if next < len(ms) && ms[next].off == k {
			m := ms[next]
			next++
			if m.kind == markCollection {
				if whole {
					return m.val, m, ""
				}
				return "", m, listInString
			}
			if r, bad := firstUnfit(m.val, false); bad {
				return "", m, fmt.Sprintf(`the value %s holds %s, which an unquoted YAML scalar cannot hold; write "{{ … }}" in double quotes, or use a block scalar (key: |)`, short(m.val), describeRune(r))
			}
			sb.WriteString(m.val)
			continue
		}
		sb.WriteByte(text[k])
	}
	s := sb.String()
	first := ms[0]
	if c.multiline {
		return "", first, "this unquoted YAML scalar continues on the next line, and pipegen only places values in one-line unquoted scalars; put the scalar in double quotes"
	}
	quoted := `"` + yamlEscape(s) + `"`
	typeMsg := func(t string) string {
		return fmt.Sprintf(`%s would be read here as %s, not as text (Jinja2 + YAML read it so too, and pipegen cannot tell which was meant); write "{{ … }}" to keep the text, or give the variable a value of that type`, short(s), t)
	}
	if s == "" {
		return "", first, typeMsg("null")
	}
	if plainExact(s, c.flow) {
		switch t := pyType(s); t {
		case "":
			if readsAsString(s) {
				return s, first, ""
			}
			return quoted, first, ""
		case "broken":
			return quoted, first, ""
		default:
			return "", first, typeMsg(t)
		}
	}
	if c.flow && strings.ContainsAny(s, ",?[]{}") {
		return "", first, fmt.Sprintf(`%s holds a character that would split or end this flow collection's item ([…] or {…}), as in Jinja2's output; write "{{ … }}" to keep the text`, short(s))
	}
	if c.start == first.off {
		if what, ok := syntaxStarts[s[0]]; ok {
			return "", first, fmt.Sprintf(`%s starts with %q, which YAML reads as %s here (so does Jinja2 + YAML); write "{{ … }}" to keep the text, or {{ x|tojson }} for a list or map`, short(s), s[0], what)
		}
	}
	return quoted, first, ""
}

// syntaxStarts are the first characters that make an unquoted value YAML syntax a template
// might print on purpose.
var syntaxStarts = map[byte]string{
	'[': "a flow sequence", '{': "a flow mapping", '"': "a quoted string", '\'': "a quoted string",
	'!': "a tag", '&': "an anchor",
}
