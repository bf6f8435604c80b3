package render

import (
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/flosch/pongo2/v6"
)

// The static checker needs to see names, tags and Jinja idioms, but pongo2's lexer and parser
// are unexported. This scanner follows pongo2's lexer rules (same delimiters, verbatim, one-line
// comments, identifiers, strings with only \" and \\ escapes, the exported symbol and keyword
// lists) so positions agree, and it keeps going after a problem so one run reports several.
// Columns are counted in characters, not bytes.

type tokKind uint8

const (
	tkIdent tokKind = iota + 1
	tkKeyword
	tkNumber
	tkString
	tkSymbol
	tkBad // a character pongo2 has no token for (e.g. Jinja's ~)
)

type token struct {
	kind      tokKind
	val       string
	line, col int
	end       int // column just after the token, to tell `**` from `* *`
}

func (t token) is(kind tokKind, val string) bool { return t.kind == kind && t.val == val }

type itemKind uint8

const (
	itemText itemKind = iota + 1
	itemVar
	itemTag
)

// item is one piece of a template: text, a {{ }} or a {% %}.
type item struct {
	kind      itemKind
	line, col int
	text      string  // itemText only
	toks      []token // inside the delimiters
}

// issue is a problem found while scanning or parsing, before names are resolved. fatal issues
// keep the template away from pongo2's compiler.
type issue struct {
	line, col int
	msg       string
	fatal     bool
}

// pongo2's parser is recursive descent, and Go aborts the process (no recover) when a goroutine
// stack passes 1 GB: bound what one tag may ask of it.
const (
	maxTagTokens = 2000 // `a and a and …` recurses once per operator
	maxTagDepth  = 64   // nested ( and [
)

type scanner struct {
	src       string
	pos       int
	line, col int
	items     []item
	issues    []issue
}

var (
	rawOpenRe  = regexp.MustCompile(`^\{%[-+]?\s*raw\s*[-+]?%\}`)
	rawCloseRe = regexp.MustCompile(`\{%[-+]?\s*endraw\s*[-+]?%\}`)
)

// scan splits a (normalised) template source into items.
func scan(src string) ([]item, []issue) {
	s := &scanner{src: src, line: 1, col: 1}
	s.run()
	return s.items, s.issues
}

func (s *scanner) errorf(line, col int, msg string) {
	s.issues = append(s.issues, issue{line: line, col: col, msg: msg})
}

// advance moves n bytes forward, keeping line and column (in characters) current.
func (s *scanner) advance(n int) {
	end := s.pos + n
	for s.pos < end {
		r, size := utf8.DecodeRuneInString(s.src[s.pos:])
		s.pos += size
		if r == '\n' {
			s.line++
			s.col = 1
		} else {
			s.col++
		}
	}
}

func (s *scanner) run() {
	textStart, textLine, textCol := s.pos, s.line, s.col
	flushText := func() {
		if s.pos > textStart {
			s.items = append(s.items, item{kind: itemText, line: textLine, col: textCol, text: s.src[textStart:s.pos]})
		}
	}
	for s.pos < len(s.src) {
		rest := s.src[s.pos:]
		switch {
		case strings.HasPrefix(rest, "{% verbatim %}"):
			flushText()
			line, col := s.line, s.col
			s.advance(len("{% verbatim %}"))
			end := strings.Index(s.src[s.pos:], "{% endverbatim %}")
			if end < 0 {
				s.errorf(line, col, "{% verbatim %} is not closed by {% endverbatim %}")
				s.pos = len(s.src)
				return
			}
			s.items = append(s.items, item{kind: itemText, line: s.line, col: s.col, text: s.src[s.pos : s.pos+end]})
			s.advance(end + len("{% endverbatim %}"))
		case strings.HasPrefix(rest, "{%") && rawOpenRe.MatchString(rest):
			flushText()
			s.errorf(s.line, s.col, "{% raw %} is Jinja; pongo2 writes {% verbatim %}…{% endverbatim %}")
			open := rawOpenRe.FindString(rest)
			s.advance(len(open))
			if loc := rawCloseRe.FindStringIndex(s.src[s.pos:]); loc != nil {
				s.advance(loc[1])
			} else {
				s.pos = len(s.src)
			}
		case strings.HasPrefix(rest, "{#"):
			flushText()
			s.comment()
		case strings.HasPrefix(rest, "{{") || strings.HasPrefix(rest, "{%"):
			flushText()
			s.tag()
		default:
			_, size := utf8.DecodeRuneInString(rest)
			s.advance(size)
			continue
		}
		textStart, textLine, textCol = s.pos, s.line, s.col
	}
	flushText()
}

func (s *scanner) comment() {
	line, col := s.line, s.col
	rest := s.src[s.pos:]
	end := strings.Index(rest, "#}")
	nl := strings.IndexByte(rest, '\n')
	switch {
	case end < 0:
		s.errorf(line, col, "{# comment is not closed by #}")
		s.pos = len(s.src)
	case nl >= 0 && nl < end:
		s.errorf(line, col, "a {# … #} comment must end on the line it starts (Jinja allows more); use {% comment %}…{% endcomment %} for several lines")
		s.advance(end + 2)
	default:
		s.advance(end + 2)
	}
}

func isIdentStart(c byte) bool {
	return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
}

func isIdentChar(c byte) bool { return isIdentStart(c) || (c >= '0' && c <= '9') }

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isKeyword(s string) bool {
	for _, kw := range pongo2.TokenKeywords {
		if kw == s {
			return true
		}
	}
	return false
}

func isCloser(sym string) bool { return sym == "%}" || sym == "-%}" || sym == "}}" || sym == "-}}" }

// tag scans one {{ … }} or {% … %}.
func (s *scanner) tag() {
	it := item{kind: itemVar, line: s.line, col: s.col}
	opener := "}}"
	if strings.HasPrefix(s.src[s.pos:], "{%") {
		it.kind, opener = itemTag, "%}"
	}
	if strings.HasPrefix(s.src[s.pos+2:], "-") {
		s.advance(3)
	} else {
		s.advance(2)
	}
	reportedNewline := false
	for {
		if s.pos >= len(s.src) {
			if it.kind == itemVar {
				s.errorf(it.line, it.col, "{{ is not closed by }}")
			} else {
				s.errorf(it.line, it.col, "{% is not closed by %}")
			}
			return
		}
		c := s.src[s.pos]
		switch {
		case c == ' ' || c == '\t' || c == '\r':
			s.advance(1)
		case c == '\n':
			if !reportedNewline {
				s.errorf(s.line, s.col, "a {{ }} or {% %} must fit on one line in pongo2 (Jinja allows line breaks inside)")
				reportedNewline = true
			}
			s.advance(1)
		case isIdentStart(c) || isDigit(c):
			s.word(&it)
		case c == '"' || c == '\'':
			if !s.str(&it) {
				// The rest of the tag cannot be tokenised reliably; skip to its end.
				s.skipToCloser()
				s.items = append(s.items, it)
				return
			}
		default:
			sym := ""
			for _, cand := range pongo2.TokenSymbols {
				if strings.HasPrefix(s.src[s.pos:], cand) {
					sym = cand
					break
				}
			}
			if sym == "" {
				r, size := utf8.DecodeRuneInString(s.src[s.pos:])
				it.toks = append(it.toks, token{kind: tkBad, val: string(r), line: s.line, col: s.col, end: s.col + 1})
				s.advance(size)
				continue
			}
			if isCloser(sym) {
				closer := strings.TrimPrefix(sym, "-")
				if closer != opener {
					s.errorf(s.line, s.col, "this "+map[itemKind]string{itemVar: "{{", itemTag: "{%"}[it.kind]+" is closed by "+closer)
				}
				s.advance(len(sym))
				s.limits(&it)
				s.items = append(s.items, it)
				return
			}
			line, col := s.line, s.col
			s.advance(len(sym))
			it.toks = append(it.toks, token{kind: tkSymbol, val: sym, line: line, col: col, end: s.col})
		}
	}
}

// limits reports tags too large or too deeply nested for pongo2's parser.
func (s *scanner) limits(it *item) {
	if len(it.toks) > maxTagTokens {
		s.issues = append(s.issues, issue{line: it.line, col: it.col, fatal: true,
			msg: fmt.Sprintf("this tag has more than %d tokens; split it up", maxTagTokens)})
		return
	}
	depth := 0
	for _, t := range it.toks {
		switch {
		case t.is(tkSymbol, "(") || t.is(tkSymbol, "["):
			depth++
			if depth > maxTagDepth {
				s.issues = append(s.issues, issue{line: t.line, col: t.col, fatal: true,
					msg: fmt.Sprintf("brackets nest more than %d deep", maxTagDepth)})
				return
			}
		case t.is(tkSymbol, ")") || t.is(tkSymbol, "]"):
			depth--
		}
	}
}

func (s *scanner) skipToCloser() {
	for s.pos < len(s.src) {
		rest := s.src[s.pos:]
		if strings.HasPrefix(rest, "%}") || strings.HasPrefix(rest, "}}") {
			s.advance(2)
			return
		}
		if rest[0] == '\n' {
			return
		}
		_, size := utf8.DecodeRuneInString(rest)
		s.advance(size)
	}
}

// word scans an identifier, keyword or number. Like pongo2, digits followed by letters form an
// identifier ("1abc").
func (s *scanner) word(it *item) {
	start, line, col := s.pos, s.line, s.col
	end := s.pos
	for end < len(s.src) && isDigit(s.src[end]) {
		end++
	}
	kind := tkNumber
	if end == s.pos || (end < len(s.src) && isIdentChar(s.src[end])) {
		for end < len(s.src) && isIdentChar(s.src[end]) {
			end++
		}
		kind = tkIdent
	}
	s.advance(end - start)
	val := s.src[start:end]
	if kind == tkIdent && isKeyword(val) {
		kind = tkKeyword
	}
	it.toks = append(it.toks, token{kind: kind, val: val, line: line, col: col, end: s.col})
}

// str scans a string literal; false when it is broken.
func (s *scanner) str(it *item) bool {
	line, col := s.line, s.col
	quote := s.src[s.pos]
	s.advance(1)
	var b strings.Builder
	for {
		if s.pos >= len(s.src) {
			s.errorf(line, col, "string is not closed")
			return false
		}
		c := s.src[s.pos]
		switch {
		case c == quote:
			s.advance(1)
			it.toks = append(it.toks, token{kind: tkString, val: b.String(), line: line, col: col, end: s.col})
			return true
		case c == '\n':
			s.errorf(line, col, "string is not closed on its line")
			return false
		case c == '\\':
			if s.pos+1 < len(s.src) && (s.src[s.pos+1] == '"' || s.src[s.pos+1] == '\\') {
				b.WriteByte(s.src[s.pos+1])
				s.advance(2)
				continue
			}
			next := ""
			if s.pos+1 < len(s.src) {
				r, _ := utf8.DecodeRuneInString(s.src[s.pos+1:])
				next = string(r)
			}
			s.errorf(s.line, s.col, `escape \`+next+` is not supported in template strings; pongo2 strings know only \" and \\`)
			return false
		default:
			_, size := utf8.DecodeRuneInString(s.src[s.pos:])
			b.WriteString(s.src[s.pos : s.pos+size])
			s.advance(size)
		}
	}
}
