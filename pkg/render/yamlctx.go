package render

import (
	"sort"
	"strings"
	"unicode/utf8"
)

// ylexer finds the YAML context of every mark in a rendered text. It reads the text with each
// printed value replaced by one placeholder byte, so the context comes from the template's
// text alone, never from a value (as html/template decides contexts from the template). It
// follows PyYAML's scanner where the two differ from the YAML spec, because Jinja2 + PyYAML is
// the reference pipegen renders like; it only needs to be exact around marks, and wherever it
// cannot be sure the caller refuses rather than guesses.

// markPlaceholder stands for a printed value in the text the lexer reads.
const markPlaceholder = 'x'

type ctxKind uint8

const (
	ctxUnknown ctxKind = iota
	ctxPlain           // an unquoted scalar, in block or flow context
	ctxDouble          // inside "…"
	ctxSingle          // inside '…'
	ctxBlock           // a content line of a | or > block scalar
	ctxComment         // after #
	ctxName            // an anchor, alias or tag name (&x, *x, !x)
	ctxBad             // a place where no value can stand; why says which
)

type yctx struct {
	kind ctxKind
	why  string

	// ctxPlain: the whole scalar's span in the placeholder text.
	start, end int
	flow       bool
	multiline  bool

	// ctxBlock
	indent    int  // content indentation of the block
	folded    bool // > rather than |
	explicit  bool // the header gave the indentation
	lineStart bool // the mark is the first character of its line's content
	firstLine bool // on the block's first content line
	next      byte // what follows the mark on its line: '\n' at the end, 0 for another mark
	restEmpty bool // nothing follows on the line

	// ctxComment
	header bool // the comment of a block scalar's header line
}

type ylexer struct {
	s        string
	offs     []int    // placeholder offsets, increasing; mark k stands at offs[k]
	isAt     []uint64 // bit i: a placeholder stands at offset i
	ctx      []yctx
	flow     int
	indents  []int
	after    bool // a quoted scalar, alias or flow collection just ended on this line
	lastLine int
}

// lexYAML returns the context of the placeholder at each of offs (increasing offsets).
func lexYAML(s string, offs []int) []yctx {
	l := &ylexer{s: s, offs: offs, isAt: make([]uint64, (len(s)+63)/64), ctx: make([]yctx, len(offs)), lastLine: -1}
	for _, o := range offs {
		l.isAt[o/64] |= 1 << (o % 64)
	}
	l.run()
	return l.ctx
}

func (l *ylexer) isMark(i int) bool {
	return i >= 0 && i < len(l.s) && l.isAt[i/64]&(1<<(i%64)) != 0
}

func (l *ylexer) set(i int, c yctx) {
	if !l.isMark(i) {
		return
	}
	if k := sort.SearchInts(l.offs, i); l.ctx[k].kind == ctxUnknown {
		l.ctx[k] = c
	}
}

// setRange gives c to every mark in [from, to) that has no context yet.
func (l *ylexer) setRange(from, to int, c yctx) {
	for k := sort.SearchInts(l.offs, from); k < len(l.offs) && l.offs[k] < to; k++ {
		if l.ctx[k].kind == ctxUnknown {
			l.ctx[k] = c
		}
	}
}

func (l *ylexer) bad(i int, why string) { l.set(i, yctx{kind: ctxBad, why: why}) }

func (l *ylexer) at(i int) byte {
	if i < len(l.s) {
		return l.s[i]
	}
	return '\n'
}

func (l *ylexer) indent() int {
	if len(l.indents) == 0 {
		return -1
	}
	return l.indents[len(l.indents)-1]
}

// column is the 0-based character column of offset i.
func (l *ylexer) column(i int) int {
	start := strings.LastIndexByte(l.s[:i], '\n') + 1
	return utf8.RuneCountInString(l.s[start:i])
}

func (l *ylexer) lineEnd(i int) int {
	if j := strings.IndexByte(l.s[i:], '\n'); j >= 0 {
		return i + j
	}
	return len(l.s)
}

func isBlankByte(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func isFlowIndicator(c byte) bool { return strings.IndexByte(",[]{}", c) >= 0 }

// markKey records a block mapping key that starts at column col, as PyYAML's add_indent does.
func (l *ylexer) markKey(end, col int) {
	j := end
	for j < len(l.s) && l.s[j] == ' ' {
		j++
	}
	if j < len(l.s) && l.s[j] == ':' && !l.isMark(j) && (l.flow > 0 || isBlankByte(l.at(j+1))) {
		if l.flow == 0 && col > l.indent() {
			l.indents = append(l.indents, col)
		}
	}
}

func (l *ylexer) run() {
	i := 0
	for i < len(l.s) {
		if (i == 0 || l.s[i-1] == '\n') && l.lastLine != i {
			l.lastLine = i
			l.after = false
			if l.flow == 0 {
				col := 0
				for i+col < len(l.s) && l.s[i+col] == ' ' {
					col++
				}
				if j := i + col; j < len(l.s) && l.s[j] != '\n' && l.s[j] != '#' {
					for len(l.indents) > 0 && l.indent() > col {
						l.indents = l.indents[:len(l.indents)-1]
					}
				}
				rest := l.s[i:]
				if (strings.HasPrefix(rest, "---") || strings.HasPrefix(rest, "...")) && isBlankByte(l.at(i+3)) && !l.isMark(i+3) {
					l.indents = nil
					i += 3
					continue
				}
				if col == 0 && l.at(i) == '%' && !l.isMark(i) {
					end := l.lineEnd(i)
					l.setRange(i, end, yctx{kind: ctxBad, why: "{{ }} stands in a YAML directive line"})
					i = end
					continue
				}
				i += col
				continue
			}
		}
		if l.isMark(i) {
			if l.after {
				l.bad(i, "{{ }} stands right after a closing quote or bracket, where YAML allows no more text")
				i++
				continue
			}
			i = l.plain(i)
			continue
		}
		c := l.s[i]
		switch c {
		case '\n':
			i++
		case ' ', '\t', '\r':
			i++
		case '#':
			i = l.comment(i)
		case '"':
			i = l.double(i)
		case '\'':
			i = l.single(i)
		case '[', '{':
			l.flow++
			l.after = false
			i++
		case ']', '}':
			if l.flow > 0 {
				l.flow--
			}
			l.after = true
			i++
		case ',':
			l.after = false
			i++
		case '-', '?', ':':
			next := l.at(i + 1)
			blank := isBlankByte(next) && !l.isMark(i+1)
			switch {
			case c == '-' && blank:
				if l.flow == 0 {
					if col := l.column(i); col > l.indent() {
						l.indents = append(l.indents, col)
					}
				}
				l.after = false
				i++
			case c != '-' && (blank || l.flow > 0):
				l.after = false
				i++
			default:
				i = l.plain(i)
			}
		case '|', '>':
			if l.flow == 0 {
				i = l.block(i)
			} else {
				i = l.token(i, ctxBad, "{{ }} stands where YAML expects a value")
			}
		case '&', '!':
			i = l.token(i, ctxName, "")
		case '*':
			i = l.token(i, ctxName, "")
			l.after = true
		case '%', '@', '`':
			i = l.token(i, ctxBad, "{{ }} follows a character YAML reserves ("+string(c)+")")
		default:
			i = l.plain(i)
		}
	}
}

// token skips an anchor, alias, tag or reserved token, giving its marks kind.
func (l *ylexer) token(i int, kind ctxKind, why string) int {
	j := i + 1
	for j < len(l.s) && (l.isMark(j) || (!isBlankByte(l.s[j]) && !(l.flow > 0 && isFlowIndicator(l.s[j])))) {
		l.set(j, yctx{kind: kind, why: why})
		j++
	}
	return j
}

func (l *ylexer) comment(i int) int {
	end := l.lineEnd(i)
	l.setRange(i, end, yctx{kind: ctxComment})
	return end
}

func (l *ylexer) double(start int) int {
	i := start + 1
	for i < len(l.s) {
		if l.isMark(i) {
			l.set(i, yctx{kind: ctxDouble})
			i++
			continue
		}
		switch l.s[i] {
		case '\\':
			if l.isMark(i + 1) {
				l.bad(i+1, `{{ }} follows a backslash inside "…", so the value would complete an escape sequence; remove the backslash or move it into the value`)
				i += 2
				continue
			}
			n := 0
			switch l.at(i + 1) {
			case 'x':
				n = 2
			case 'u':
				n = 4
			case 'U':
				n = 8
			}
			i += 2
			for k := 0; k < n && i < len(l.s); k++ {
				l.bad(i, `{{ }} stands inside a \x, \u or \U escape sequence`)
				i++
			}
			continue
		case '"':
			return l.closeQuoted(i+1, start)
		}
		i++
	}
	return i
}

func (l *ylexer) single(start int) int {
	for i := start + 1; i < len(l.s); i++ {
		if l.isMark(i) {
			l.set(i, yctx{kind: ctxSingle})
			continue
		}
		if l.s[i] == '\'' {
			if i+1 < len(l.s) && l.s[i+1] == '\'' && !l.isMark(i+1) {
				i++ // '' is a quote
				continue
			}
			return l.closeQuoted(i+1, start)
		}
	}
	return len(l.s)
}

// closeQuoted ends a quoted scalar that started at start; end is just after its closing quote.
func (l *ylexer) closeQuoted(end, start int) int {
	l.after = true
	l.markKey(end, l.column(start))
	return end
}

// plain scans an unquoted scalar as PyYAML's scan_plain does, continuation lines included.
func (l *ylexer) plain(start int) int {
	flow := l.flow > 0
	indent := l.indent()
	col0 := l.column(start)
	j, end := start, start
	multiline := false
scan:
	for {
		k := j
		for k < len(l.s) {
			if l.isMark(k) {
				k++
				continue
			}
			ch := l.s[k]
			if isBlankByte(ch) {
				break
			}
			if ch == ':' {
				n := l.at(k + 1)
				if !l.isMark(k+1) && (isBlankByte(n) || (flow && isFlowIndicator(n))) {
					break
				}
			}
			if flow && strings.IndexByte(",?[]{}", ch) >= 0 {
				break
			}
			_, size := utf8.DecodeRuneInString(l.s[k:])
			k += size
		}
		if k == j {
			break
		}
		end = k
		m := k
		for m < len(l.s) && l.s[m] == ' ' {
			m++
		}
		if m >= len(l.s) {
			break
		}
		switch ch := l.s[m]; {
		case ch == '#' && m > k:
			break scan
		case ch == '\n':
			p := m + 1
			for {
				sp := 0
				for p+sp < len(l.s) && l.s[p+sp] == ' ' {
					sp++
				}
				q := p + sp
				if q >= len(l.s) {
					break scan
				}
				if l.s[q] == '\n' && !l.isMark(q) {
					p = q + 1
					continue
				}
				if !flow && sp <= indent {
					break scan
				}
				rest := l.s[p:]
				if sp == 0 && (strings.HasPrefix(rest, "---") || strings.HasPrefix(rest, "...")) && isBlankByte(l.at(p+3)) {
					break scan
				}
				if !l.isMark(q) && (l.s[q] == '#' || l.s[q] == '\t' || l.s[q] == '\r' ||
					(l.s[q] == ':' && !l.isMark(q+1) && (isBlankByte(l.at(q+1)) || (flow && isFlowIndicator(l.at(q+1))))) ||
					(flow && strings.IndexByte(",?[]{}", l.s[q]) >= 0)) {
					break scan
				}
				multiline = true
				j = q
				continue scan
			}
		case m > k && ch != '\t' && ch != '\r':
			j = m
		default:
			break scan
		}
	}
	l.setRange(start, end, yctx{kind: ctxPlain, start: start, end: end, flow: flow, multiline: multiline})
	l.after = false
	if !multiline {
		l.markKey(end, col0)
	}
	return end
}

// block scans a | or > block scalar from its header to the first line indented less than its
// content, as PyYAML's scan_block_scalar does.
func (l *ylexer) block(i int) int {
	folded := l.s[i] == '>'
	hdrEnd := l.lineEnd(i)
	explicit := 0
	j := i + 1
	for j < hdrEnd && !l.isMark(j) && strings.IndexByte("+-123456789", l.s[j]) >= 0 {
		if l.s[j] >= '1' && l.s[j] <= '9' {
			explicit = int(l.s[j] - '0')
		}
		j++
	}
	for k := j; k < hdrEnd; k++ {
		if l.s[k] == '#' && !l.isMark(k) && k > j && l.s[k-1] == ' ' {
			for ; k < hdrEnd; k++ {
				l.set(k, yctx{kind: ctxComment, header: true})
			}
			break
		}
		l.bad(k, "{{ }} is on a block scalar's header line (after | or >), which holds only indicators and a comment")
	}
	minIndent := l.indent() + 1
	if minIndent < 1 {
		minIndent = 1
	}
	n := 0
	if explicit > 0 {
		n = minIndent + explicit - 1
	}
	p := hdrEnd + 1
	seen := false
	maxBlank := 0
	for p < len(l.s) {
		sp := 0
		for p+sp < len(l.s) && l.s[p+sp] == ' ' {
			sp++
		}
		q := p + sp
		end := l.lineEnd(q)
		if q >= len(l.s) || (l.s[q] == '\n' && !l.isMark(q)) {
			if !seen && sp > maxBlank {
				maxBlank = sp
			}
			p = end + 1
			continue
		}
		if n == 0 {
			n = max(minIndent, maxBlank, sp)
		}
		if sp < n {
			return p
		}
		for k := q; k < end; k++ {
			if !l.isMark(k) {
				continue
			}
			next := l.at(k + 1)
			if k+1 == end {
				next = '\n'
			} else if l.isMark(k + 1) {
				next = 0
			}
			l.set(k, yctx{kind: ctxBlock, indent: n, folded: folded, explicit: explicit > 0,
				lineStart: k == p+n, firstLine: !seen, next: next, restEmpty: k+1 == end})
		}
		seen = true
		p = end + 1
	}
	return len(l.s)
}
