package yamldoc

import (
	"encoding/json"
	"strings"
	"unicode/utf8"
)

// decodeFast reads the YAML that templates render in practice, block mappings and sequences of
// one-line scalars and one-line flow collections, straight into values, without yaml.v3's
// token stream and node tree (most of a decode's time). It answers ok only where it is sure
// the full path (Parse, then Value) gives the same values; anything else, from a block scalar
// to a tab, an anchor or a number it does not know, makes it give up, and Decode takes the
// full path, which also finds every error with its position.
func decodeFast(data []byte) (v any, ok bool) {
	src := string(data)
	if !fastText(src) {
		return nil, false
	}
	p := &fastParser{}
	if !p.split(src) || len(p.lines) == 0 {
		return nil, false
	}
	v, ok = p.block(0)
	if !ok || p.i != len(p.lines) {
		return nil, false
	}
	return v, true
}

// fastText accepts text holding only what yaml.v3 reads as printable, with no tabs, carriage
// returns or characters YAML 1.1 counts as line breaks (U+0085, U+2028, U+2029) or byte order
// marks, so that lines are lines and every character stands for itself.
func fastText(s string) bool {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if (c < 0x20 && c != '\n') || c == 0x7f {
				return false
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			return false
		case r < 0xA0, r == 0x2028, r == 0x2029, r == 0xFEFF, r >= 0xD800 && r < 0xE000, r > 0xFFFD && r < 0x10000:
			return false
		}
		i += size
	}
	return true
}

type fastLine struct {
	indent int    // spaces before text
	text   string // the line after its indentation, not empty, not a comment
}

type fastParser struct {
	lines []fastLine
	i     int // next line
	depth int
	nodes int
}

// split keeps the lines that hold content. A first line "---" is the document's start marker;
// any other document marker or a directive gives up.
func (p *fastParser) split(src string) bool {
	p.lines = make([]fastLine, 0, strings.Count(src, "\n")+1)
	started := false
	for len(src) > 0 {
		line := src
		if j := strings.IndexByte(src, '\n'); j >= 0 {
			line, src = src[:j], src[j+1:]
		} else {
			src = ""
		}
		n := 0
		for n < len(line) && line[n] == ' ' {
			n++
		}
		text := line[n:]
		if text == "" || text[0] == '#' {
			continue
		}
		if n == 0 && (strings.HasPrefix(text, "---") || strings.HasPrefix(text, "...") || text[0] == '%') {
			if started || len(p.lines) > 0 || strings.TrimRight(text, " ") != "---" {
				return false
			}
			started = true
			continue
		}
		p.lines = append(p.lines, fastLine{indent: n, text: strings.TrimRight(text, " ")})
	}
	return true
}

// The bounds of DefaultLimits: past them the full path says what went wrong.
func (p *fastParser) enter() bool {
	p.depth++
	return p.depth <= DefaultLimits.MaxDepth && p.count()
}

// count counts one value of a collection.
func (p *fastParser) count() bool {
	p.nodes++
	return p.nodes < DefaultLimits.MaxNodes/2
}

func (p *fastParser) leave() { p.depth-- }

// lineAt returns the next line when it belongs to a collection at indentation ind (more);
// bad is a line indented more, which only a multi-line scalar or an error can hold.
func (p *fastParser) lineAt(ind int) (l fastLine, more, bad bool) {
	if p.i >= len(p.lines) {
		return fastLine{}, false, false
	}
	l = p.lines[p.i]
	return l, l.indent == ind, l.indent > ind
}

func isSeqEntry(text string) bool { return text == "-" || strings.HasPrefix(text, "- ") }

// block reads the mapping or sequence whose first line is the next one, at indentation ind.
func (p *fastParser) block(ind int) (any, bool) {
	if p.i >= len(p.lines) || p.lines[p.i].indent != ind {
		return nil, false
	}
	if isSeqEntry(p.lines[p.i].text) {
		return p.sequence(ind)
	}
	return p.mapping(ind)
}

// nested reads the value of a key or entry whose own line ended after the indicator: a block
// on the next lines indented more than parent (or a sequence at the indentation of a mapping's
// keys, when seqAtParent), or null.
func (p *fastParser) nested(parent int, seqAtParent bool) (any, bool) {
	if p.i >= len(p.lines) {
		return nil, true
	}
	next := p.lines[p.i]
	switch {
	case next.indent > parent:
		return p.block(next.indent)
	case next.indent == parent && seqAtParent && isSeqEntry(next.text):
		return p.sequence(parent)
	}
	return nil, true
}

func (p *fastParser) sequence(ind int) (any, bool) {
	if !p.enter() {
		return nil, false
	}
	defer p.leave()
	out := make([]any, 0, 4)
	for {
		l, more, bad := p.lineAt(ind)
		if bad {
			return nil, false
		}
		if !more || !isSeqEntry(l.text) {
			break
		}
		rest := strings.TrimLeft(l.text[1:], " ")
		if rest == "" {
			p.i++
			v, ok := p.nested(ind, false)
			if !ok || !p.count() {
				return nil, false
			}
			out = append(out, v)
			continue
		}
		if isSeqEntry(rest) {
			return nil, false
		}
		col := ind + len(l.text) - len(rest)
		if _, _, isKey := splitKey(rest); isKey {
			// "- key: value": a mapping whose keys stand at the column after "- ".
			p.lines[p.i] = fastLine{indent: col, text: rest}
			v, ok := p.mapping(col)
			if !ok {
				return nil, false
			}
			out = append(out, v)
			continue
		}
		v, ok := p.inline(rest)
		if !ok || !p.count() {
			return nil, false
		}
		p.i++
		out = append(out, v)
	}
	return out, true
}

func (p *fastParser) mapping(ind int) (any, bool) {
	if !p.enter() {
		return nil, false
	}
	defer p.leave()
	out := make(map[string]any, 8)
	for {
		l, more, bad := p.lineAt(ind)
		if bad {
			return nil, false
		}
		if !more || isSeqEntry(l.text) {
			break
		}
		key, rest, isKey := splitKey(l.text)
		if !isKey {
			return nil, false
		}
		if _, dup := out[key]; dup {
			return nil, false
		}
		p.i++
		var v any
		var ok bool
		if rest == "" {
			v, ok = p.nested(ind, true)
		} else {
			v, ok = p.inline(rest)
		}
		if !ok || !p.count() {
			return nil, false
		}
		out[key] = v
	}
	return out, true
}

// splitKey reads "key: rest" (rest without its comment), the key plain or quoted.
func splitKey(text string) (key, rest string, ok bool) {
	var after string
	switch text[0] {
	case '"', '\'':
		k, n, ok := quoted(text)
		if !ok {
			return "", "", false
		}
		key, after = k, strings.TrimLeft(text[n:], " ")
		if !strings.HasPrefix(after, ":") {
			return "", "", false
		}
	default:
		if !isKeyStart(text[0]) {
			return "", "", false
		}
		j := 1
		for ; j < len(text); j++ {
			c := text[j]
			if c == ':' && (j+1 == len(text) || text[j+1] == ' ') {
				break
			}
			if !isKeyByte(c) {
				return "", "", false
			}
		}
		if j == len(text) {
			return "", "", false
		}
		key, after = strings.TrimRight(text[:j], " "), text[j:]
	}
	// yaml.v3 looks for the ':' of an implicit key within 1024 characters.
	if len(text)-len(after) > 1000 {
		return "", "", false
	}
	after = after[1:]
	if after != "" && after[0] != ' ' {
		return "", "", false
	}
	return key, stripComment(strings.TrimLeft(after, " ")), true
}

func isKeyStart(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '$' || c == '/'
}

func isKeyByte(c byte) bool {
	return isKeyStart(c) || c == '-' || c == '.' || c == ' '
}

// stripComment drops a " #…" comment from a value that starts there ("" stays "").
func stripComment(s string) string {
	if s == "" || s[0] == '#' {
		return ""
	}
	return s
}

// inline reads a value written on its key's or entry's line: a quoted scalar, a flow
// collection or a plain scalar, with nothing but a comment after it.
func (p *fastParser) inline(s string) (any, bool) {
	switch s[0] {
	case '"', '\'':
		v, n, ok := quoted(s)
		if !ok || !onlyComment(s[n:]) {
			return nil, false
		}
		return v, true
	case '[', '{':
		v, n, ok := p.flow(s)
		if !ok || !onlyComment(s[n:]) {
			return nil, false
		}
		return v, true
	}
	end := len(s)
	if j := strings.Index(s, " #"); j >= 0 {
		end = j
	}
	text := strings.TrimRight(s[:end], " ")
	for j := 0; j < len(text); j++ {
		if text[j] == ':' && (j+1 == len(text) || text[j+1] == ' ') {
			return nil, false
		}
	}
	return plainValue(text)
}

// onlyComment reports whether what follows a closed scalar or collection is blank or a comment.
func onlyComment(s string) bool {
	t := strings.TrimLeft(s, " ")
	return t == "" || (t[0] == '#' && len(t) < len(s))
}

// quoted reads a one-line quoted scalar at s[0], returning its value and length.
func quoted(s string) (string, int, bool) {
	q := s[0]
	var b []byte // nil until an escape or '' needs a copy
	start := 1
	for j := 1; j < len(s); j++ {
		c := s[j]
		switch {
		case c == q && q == '\'' && j+1 < len(s) && s[j+1] == '\'':
			b = append(b, s[start:j+1]...)
			j++
			start = j + 1
		case c == q:
			if b == nil {
				return s[1:j], j + 1, true
			}
			return string(append(b, s[start:j]...)), j + 1, true
		case c == '\\' && q == '"':
			b = append(b, s[start:j]...)
			n, ok := unescape(&b, s[j+1:])
			if !ok {
				return "", 0, false
			}
			j += n
			start = j + 1
		}
	}
	return "", 0, false // continues on the next line
}

// unescape appends the character of the escape after a backslash; n is the escape's length.
func unescape(b *[]byte, s string) (n int, ok bool) {
	if s == "" {
		return 0, false
	}
	switch s[0] {
	case '"', '\\':
		*b = append(*b, s[0])
	case 'n':
		*b = append(*b, '\n')
	case 't':
		*b = append(*b, '\t')
	case 'r':
		*b = append(*b, '\r')
	case 'b':
		*b = append(*b, '\b')
	case 'f':
		*b = append(*b, '\f')
	case 'u':
		if len(s) < 5 {
			return 0, false
		}
		r := rune(0)
		for _, c := range []byte(s[1:5]) {
			d, ok := hexDigit(c)
			if !ok {
				return 0, false
			}
			r = r<<4 | rune(d)
		}
		if r >= 0xD800 && r < 0xE000 {
			return 0, false
		}
		*b = utf8.AppendRune(*b, r)
		return 5, true
	default:
		return 0, false
	}
	return 1, true
}

func hexDigit(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// flow reads a one-line flow sequence or mapping at s[0] (JSON, as |tojson writes it, or YAML's
// [a, b]), returning its value and length. Empty entries, a trailing comma, plain scalars
// holding ':' or '#', and anything that goes on to the next line give up.
func (p *fastParser) flow(s string) (any, int, bool) {
	if !p.enter() {
		return nil, 0, false
	}
	defer p.leave()
	closer := byte(']')
	var seq []any
	var m map[string]any
	if s[0] == '{' {
		closer = '}'
		m = make(map[string]any, 4)
	} else {
		seq = make([]any, 0, 4)
	}
	j := skipSpaces(s, 1)
	if j < len(s) && s[j] == closer {
		if m != nil {
			return m, j + 1, true
		}
		return seq, j + 1, true
	}
	for {
		var key string
		if m != nil {
			k, n, ok := p.flowKey(s[j:])
			if !ok {
				return nil, 0, false
			}
			if _, dup := m[k]; dup {
				return nil, 0, false
			}
			key = k
			j = skipSpaces(s, j+n)
		}
		v, n, ok := p.flowValue(s[j:])
		if !ok {
			return nil, 0, false
		}
		if !p.count() {
			return nil, 0, false
		}
		if m != nil {
			m[key] = v
		} else {
			seq = append(seq, v)
		}
		j = skipSpaces(s, j+n)
		if j >= len(s) {
			return nil, 0, false
		}
		switch s[j] {
		case closer:
			if m != nil {
				return m, j + 1, true
			}
			return seq, j + 1, true
		case ',':
			j = skipSpaces(s, j+1)
			if j >= len(s) || s[j] == closer || s[j] == ',' {
				return nil, 0, false
			}
		default:
			return nil, 0, false
		}
	}
}

// flowKey reads "key:" in a flow mapping; n is the length up to and including the ':' and
// the space a plain key needs after it.
func (p *fastParser) flowKey(s string) (string, int, bool) {
	if s == "" {
		return "", 0, false
	}
	var key string
	var n int
	if s[0] == '"' || s[0] == '\'' {
		k, kn, ok := quoted(s)
		if !ok {
			return "", 0, false
		}
		key, n = k, skipSpaces(s, kn)
		if n >= len(s) || s[n] != ':' {
			return "", 0, false
		}
		n++
	} else {
		if !isKeyStart(s[0]) {
			return "", 0, false
		}
		j := 1
		for j < len(s) && s[j] != ':' {
			if !isKeyByte(s[j]) {
				return "", 0, false
			}
			j++
		}
		if j+1 >= len(s) || s[j+1] != ' ' {
			return "", 0, false
		}
		key, n = strings.TrimRight(s[:j], " "), j+1
	}
	if n > 1000 {
		return "", 0, false
	}
	return key, n, true
}

func (p *fastParser) flowValue(s string) (any, int, bool) {
	if s == "" {
		return nil, 0, false
	}
	switch s[0] {
	case '"', '\'':
		v, n, ok := quoted(s)
		return v, n, ok
	case '[', '{':
		return p.flow(s)
	}
	j := 0
	for j < len(s) && strings.IndexByte(",[]{}", s[j]) < 0 {
		if s[j] == ':' || s[j] == '#' {
			return nil, 0, false
		}
		j++
	}
	text := strings.TrimRight(s[:j], " ")
	v, ok := plainValue(text)
	return v, j, ok
}

func skipSpaces(s string, j int) int {
	for j < len(s) && s[j] == ' ' {
		j++
	}
	return j
}

// plainValue resolves a plain scalar as yaml.v3 tags it and Scalar converts it, for the forms
// it is sure of: null and boolean words, PyYAML's booleans, decimal integers, and text that
// cannot be anything but a string. It gives up on every other number-like form.
func plainValue(s string) (any, bool) {
	if s == "" {
		return nil, false
	}
	switch s {
	case "~", "null", "Null", "NULL":
		return nil, true
	case "true", "True", "TRUE":
		return true, true
	case "false", "False", "FALSE":
		return false, true
	}
	if b, ok := pyYAMLBools[s]; ok {
		return b, true
	}
	c := s[0]
	switch {
	case c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || c == '/' || c == '$':
		return s, true
	case c >= '0' && c <= '9' || c == '-':
		if decimalInt(s) {
			return json.Number(s), true
		}
		if c != '-' && strings.ContainsFunc(s, notInNumber) {
			return s, true
		}
	}
	return nil, false
}

// decimalInt matches 0, [1-9][0-9]* and -[1-9][0-9]* short enough for an int64.
func decimalInt(s string) bool {
	if s[0] == '-' {
		s = s[1:]
		if s == "" || s[0] == '0' {
			return false
		}
	}
	if s == "" || len(s) > 18 || (s[0] == '0' && len(s) > 1) {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// notInNumber reports whether r cannot appear in anything yaml.v3 reads as a number or a
// timestamp (0x1F, 1_000, 0o17, 0b1, 1e+3, 2001-12-14t21:59:43.10-05:00): text starting with
// a digit and holding such a character is a string.
func notInNumber(r rune) bool {
	return r >= utf8.RuneSelf || strings.IndexByte("0123456789_.+-:xXoObBeEaAcCdDfFtTzZ ", byte(r)) < 0
}
