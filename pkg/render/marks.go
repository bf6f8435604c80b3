package render

import (
	"encoding/hex"
	"hash/crc32"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/flosch/pongo2/v6"
)

// Contextual escaping works like html/template's, but at the end of a render instead of at
// compile time: pongo2 cannot tell a filter where its output lands, and what surrounds a
// printed value in YAML (an include, a macro, a loop) is only known once the text is complete.
// So a render writes marks instead of values and places them afterwards (see place.go):
//
//   - the loader puts a position mark in the template text just before every {{ }}, naming
//     the file, line and column of the print;
//   - the escape filter, which pongo2's autoescape applies to every printed string, returns a
//     string mark holding the value;
//   - a list or map printed with {{ }} (its String method) becomes a collection mark holding
//     its JSON.
//
// A mark is NUL, a kind letter and 'q', the payload in lower-case hex, '~', a CRC-32 of kind
// and payload, and NUL. NUL never appears in valid YAML output, and a mark changed by a filter
// applied after printing (a {% filter upper %} block, |lower on a macro's output) fails its
// checksum or its case and is refused instead of being read wrongly.
const (
	markNUL        = '\x00'
	markString     = 'S'
	markCollection = 'L'
	markPosition   = 'P'
)

func encodeMark(kind byte, payload string) string {
	var b strings.Builder
	b.Grow(len(payload)*2 + 16)
	b.WriteByte(markNUL)
	b.WriteByte(kind)
	b.WriteByte('q')
	b.WriteString(hex.EncodeToString([]byte(payload)))
	b.WriteByte('~')
	var sum [8]byte
	crc := markSum(kind, payload)
	for i := 7; i >= 0; i-- {
		sum[i] = "0123456789abcdef"[crc&0xf]
		crc >>= 4
	}
	b.Write(sum[:])
	b.WriteByte(markNUL)
	return b.String()
}

// markSum is the CRC-32 of a mark's kind and payload.
func markSum(kind byte, payload string) uint32 {
	return crc32.Update(crc32.ChecksumIEEE([]byte{kind}), crc32.IEEETable, []byte(payload))
}

// decodeMark reads the mark starting at s[0] (a NUL). n is its length; ok is false when the
// text there is not an intact mark.
func decodeMark(s string) (kind byte, payload string, n int, ok bool) {
	end := strings.IndexByte(s[1:], markNUL)
	if end < 0 || len(s) < 3 {
		return 0, "", 0, false
	}
	body := s[1 : 1+end]
	n = end + 2
	if len(body) < 2+1+8 || body[1] != 'q' {
		return 0, "", n, false
	}
	kind = body[0]
	tilde := strings.LastIndexByte(body, '~')
	if tilde < 2 || len(body)-tilde-1 != 8 {
		return 0, "", n, false
	}
	hexPart, sum := body[2:tilde], body[tilde+1:]
	if strings.ToLower(hexPart) != hexPart || strings.ToLower(sum) != sum {
		return 0, "", n, false
	}
	raw, err := hex.DecodeString(hexPart)
	if err != nil {
		return 0, "", n, false
	}
	want, err := strconv.ParseUint(sum, 16, 32)
	if err != nil || uint32(want) != markSum(kind, string(raw)) {
		return 0, "", n, false
	}
	switch kind {
	case markString, markCollection, markPosition:
		return kind, string(raw), n, true
	}
	return 0, "", n, false
}

// srcPos is where a {{ }} stands in a template file (a path relative to the templates root).
type srcPos struct {
	file      string
	line, col int
}

func (p srcPos) payload() string {
	return p.file + "\x01" + strconv.Itoa(p.line) + "\x01" + strconv.Itoa(p.col)
}

func parsePos(payload string) (srcPos, bool) {
	parts := strings.Split(payload, "\x01")
	if len(parts) != 3 {
		return srcPos{}, false
	}
	line, err1 := strconv.Atoi(parts[1])
	col, err2 := strconv.Atoi(parts[2])
	if err1 != nil || err2 != nil {
		return srcPos{}, false
	}
	return srcPos{file: parts[0], line: line, col: col}, true
}

// filterMarkString replaces pongo2's HTML `escape` filter, which autoescape applies to every
// unsafe string printed by {{ }} (and which |escape and |e name explicitly): the value is
// escaped later, for the YAML context it lands in. The mark is safe so it is not marked twice.
//
// Text already holding marks is a macro's output passed through a layout filter (|indent,
// |trim; the check allows no other use): its marks are placed where it lands.
func filterMarkString(in *pongo2.Value, _ *pongo2.Value) (*pongo2.Value, *pongo2.Error) {
	if s := in.String(); holdsMark(s) {
		return pongo2.AsSafeValue(s), nil
	}
	return pongo2.AsSafeValue(encodeMark(markString, strings.ToValidUTF8(valueText(in), "\uFFFD"))), nil
}

// markCollectionJSON is what a list or map prints as: its JSON, marked so a list printed
// inside a string can be refused.
func markCollectionJSON(v any) string {
	var b strings.Builder
	if err := writeJSON(&b, v, 0); err != nil {
		return encodeMark(markString, "<"+err.Error()+">")
	}
	return encodeMark(markCollection, b.String())
}

// insertPositionMarks returns src with a position mark before every {{ }} (and before the
// whitespace a {{- trims, so trimming still reaches the text before it). Lines are unchanged;
// shifts records, per line, the byte column of each insertion and its length, so pongo2's
// error columns can be mapped back.
func insertPositionMarks(file, src string) (string, map[int][]colShift) {
	items, _ := scan(src)
	var vars []item
	for _, it := range items {
		if it.kind == itemVar {
			vars = append(vars, it)
		}
	}
	if len(vars) == 0 {
		return src, nil
	}
	lineStart := []int{0}
	for i := 0; i < len(src); i++ {
		if src[i] == '\n' {
			lineStart = append(lineStart, i+1)
		}
	}
	offset := func(line, col int) int {
		if line < 1 || line > len(lineStart) {
			return -1
		}
		off := lineStart[line-1]
		for c := 1; c < col && off < len(src); c++ {
			_, size := utf8.DecodeRuneInString(src[off:])
			off += size
		}
		return off
	}
	var b strings.Builder
	b.Grow(len(src) + len(vars)*(len(file)*2+40))
	shifts := map[int][]colShift{}
	last := 0
	for _, it := range vars {
		off := offset(it.line, it.col)
		if off < last || off+2 > len(src) || src[off:off+2] != "{{" {
			continue
		}
		at := off
		if off+2 < len(src) && src[off+2] == '-' {
			for at > last && strings.IndexByte(" \t\r\n", src[at-1]) >= 0 {
				at--
			}
		}
		mark := encodeMark(markPosition, srcPos{file: file, line: it.line, col: it.col}.payload())
		b.WriteString(src[last:at])
		b.WriteString(mark)
		line := 1 + strings.Count(src[:at], "\n")
		shifts[line] = append(shifts[line], colShift{col: at - lineStart[line-1] + 1, n: len(mark)})
		last = at
	}
	b.WriteString(src[last:])
	return b.String(), shifts
}

// colShift is text inserted on a line at a 1-based byte column.
type colShift struct{ col, n int }

// unshiftCol maps a byte column in the marked source back to the original; shifts hold
// original columns in increasing order.
func unshiftCol(shifts []colShift, col int) int {
	cum := 0
	for _, s := range shifts {
		start := s.col + cum
		switch {
		case col >= start+s.n:
			cum += s.n
		case col >= start:
			return s.col
		default:
			return col - cum
		}
	}
	return col - cum
}
