package render

import (
	"hash/maphash"
	"strconv"
	"strings"
	"unsafe"

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
// A mark is NUL, a kind letter and 'q', the payload in lower-case hex, '~', a checksum of kind
// and payload keyed per process (markSum), and NUL. NUL never appears in valid YAML output,
// and a mark changed by a filter applied after printing (a {% filter upper %} block, |lower on
// a macro's output) fails its checksum or its case and is refused instead of being read wrongly.
const (
	markNUL        = '\x00'
	markString     = 'S'
	markCollection = 'L'
	markPosition   = 'P'
)

const hexDigits = "0123456789abcdef"

func encodeMark(kind byte, payload string) string {
	var b strings.Builder
	b.Grow(len(payload)*2 + 13)
	b.WriteByte(markNUL)
	b.WriteByte(kind)
	b.WriteByte('q')
	for i := 0; i < len(payload); i++ {
		c := payload[i]
		b.WriteByte(hexDigits[c>>4])
		b.WriteByte(hexDigits[c&0xf])
	}
	b.WriteByte('~')
	crc := markSum(kind, bytesOf(payload))
	for shift := 28; shift >= 0; shift -= 4 {
		b.WriteByte(hexDigits[crc>>shift&0xf])
	}
	b.WriteByte(markNUL)
	return b.String()
}

// markSeed keys every mark's checksum, so that a value a template prints cannot pass for a
// mark: a variable written to hold NUL, a kind letter, hex and a checksum would otherwise be
// placed as what it claims to be. The seed is random per process and no mark outlives the
// process that wrote it (placed text holds none). The checksum is maphash rather than a CRC:
// a CRC is affine, so one mark seen (an error message may show one) would let another be
// made.
var markSeed = maphash.MakeSeed()

// markSum is the keyed checksum of a mark's kind and payload, as the mark's 8 hex digits.
func markSum(kind byte, payload []byte) uint32 {
	var h maphash.Hash
	h.SetSeed(markSeed)
	h.WriteByte(kind)
	h.Write(payload)
	return uint32(h.Sum64())
}

// bytesOf views s as bytes without copying, for functions that only read them.
func bytesOf(s string) []byte { return unsafe.Slice(unsafe.StringData(s), len(s)) }

// decodeMark reads the mark starting at s[0] (a NUL). n is its length; ok is false when the
// text there is not an intact mark.
func decodeMark(s string) (kind byte, payload string, n int, ok bool) {
	kind, raw, n, ok := decodeMarkTo(s, nil)
	if !ok {
		return 0, "", n, false
	}
	return kind, string(raw), n, true
}

// decodeMarkTo is decodeMark appending the payload to dst, so a caller can reuse one buffer.
// Only lower-case hex digits are accepted, in the payload and in the checksum: a filter that
// changed the case of a mark breaks it.
func decodeMarkTo(s string, dst []byte) (kind byte, payload []byte, n int, ok bool) {
	end := strings.IndexByte(s[1:], markNUL)
	if end < 0 || len(s) < 3 {
		return 0, nil, 0, false
	}
	body := s[1 : 1+end]
	n = end + 2
	if len(body) < 2+1+8 || body[1] != 'q' {
		return 0, nil, n, false
	}
	kind = body[0]
	tilde := strings.LastIndexByte(body, '~')
	if tilde < 2 || len(body)-tilde-1 != 8 {
		return 0, nil, n, false
	}
	hexPart, sum := body[2:tilde], body[tilde+1:]
	if len(hexPart)%2 != 0 {
		return 0, nil, n, false
	}
	for i := 0; i < len(hexPart); i += 2 {
		hi, ok1 := lowerHex(hexPart[i])
		lo, ok2 := lowerHex(hexPart[i+1])
		if !ok1 || !ok2 {
			return 0, nil, n, false
		}
		dst = append(dst, hi<<4|lo)
	}
	var want uint32
	for i := 0; i < len(sum); i++ {
		d, ok := lowerHex(sum[i])
		if !ok {
			return 0, nil, n, false
		}
		want = want<<4 | uint32(d)
	}
	switch kind {
	case markString, markCollection, markPosition:
	default:
		return 0, nil, n, false
	}
	payload = dst[len(dst)-len(hexPart)/2:]
	if want != markSum(kind, payload) {
		return 0, nil, n, false
	}
	return kind, payload, n, true
}

func lowerHex(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	}
	return 0, false
}

// srcPos is where a {{ }} stands in a template file (a path relative to the templates root).
type srcPos struct {
	file      string
	line, col int
}

// positionMark registers p and returns the mark naming it: marks carry the number of a
// position, which the Engine keeps, so a render writes and reads a few bytes per print.
func (e *Engine) positionMark(p srcPos) string {
	e.sitesMu.Lock()
	e.prints = append(e.prints, p)
	id := len(e.prints) - 1
	e.sitesMu.Unlock()
	return encodeMark(markPosition, strconv.Itoa(id))
}

// positions returns the registered positions; ids already handed out stay valid in it.
func (e *Engine) positions() []srcPos {
	e.sitesMu.RLock()
	defer e.sitesMu.RUnlock()
	return e.prints
}

// parsePosID reads a position mark's payload: a decimal id.
func parsePosID(payload []byte, prints []srcPos) (srcPos, bool) {
	if len(payload) == 0 || len(payload) > 9 {
		return srcPos{}, false
	}
	id := 0
	for _, c := range payload {
		if c < '0' || c > '9' {
			return srcPos{}, false
		}
		id = id*10 + int(c-'0')
	}
	if id >= len(prints) {
		return srcPos{}, false
	}
	return prints[id], true
}

// filterMarkString replaces pongo2's HTML `escape` filter, which autoescape applies to every
// unsafe string printed by {{ }} (and which |escape and |e name explicitly): the value is
// escaped later, for the YAML context it lands in. The mark is safe so it is not marked twice.
//
// A macro's output, which holds the marks of what was printed inside it, is safe (through
// |indent and |trim too), so it never comes here. An unsafe string holding a mark is a list or
// map turned into text (|join of a list of lists, ~): it is marked like any string, never
// printed raw (its text would escape the YAML around it), and place refuses it, naming the
// {{ }}.
func filterMarkString(in *pongo2.Value, _ *pongo2.Value) (*pongo2.Value, *pongo2.Error) {
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
