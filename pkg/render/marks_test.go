package render

import (
	"encoding/hex"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
)

// refDecodeMark is the mark format read the plain way (encoding/hex, strconv): the reference
// the hand-written decoder must agree with on every input.
func refDecodeMark(s string) (kind byte, payload string, n int, ok bool) {
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
	if err != nil || uint32(want) != markSum(kind, raw) {
		return 0, "", n, false
	}
	switch kind {
	case markString, markCollection, markPosition:
		return kind, string(raw), n, true
	}
	return 0, "", n, false
}

func checkMarkAgainstRef(t *testing.T, s string) {
	t.Helper()
	k1, p1, n1, ok1 := decodeMark(s)
	k2, p2, n2, ok2 := refDecodeMark(s)
	if k1 != k2 || p1 != p2 || n1 != n2 || ok1 != ok2 {
		t.Fatalf("decodeMark(%q) = %q %q %d %v, reference %q %q %d %v", s, k1, p1, n1, ok1, k2, p2, n2, ok2)
	}
}

// TestDecodeMarkMatchesReference encodes random payloads, damages the marks in the ways a
// filter or a stray NUL would (case, bytes, lengths, kinds) and compares both decoders.
func TestDecodeMarkMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	alphabet := []byte("aAzZ09~q\x00\x01 é\"'\n")
	kinds := []byte{markString, markCollection, markPosition, 'X', 's'}
	for i := 0; i < 20000; i++ {
		var p []byte
		for n := rng.IntN(12); n > 0; n-- {
			p = append(p, alphabet[rng.IntN(len(alphabet))])
		}
		kind := kinds[rng.IntN(3)]
		mark := encodeMark(kind, string(p))
		if k, got, n, ok := decodeMark(mark); !ok || k != kind || got != string(p) || n != len(mark) {
			t.Fatalf("round trip of %q: %q %q %d %v", p, k, got, n, ok)
		}
		b := []byte(mark + "tail")
		switch rng.IntN(6) {
		case 0:
			b = []byte(strings.ToUpper(string(b)))
		case 1:
			b[1+rng.IntN(len(b)-1)] = alphabet[rng.IntN(len(alphabet))]
		case 2:
			b[1] = kinds[rng.IntN(len(kinds))]
		case 3:
			j := 1 + rng.IntN(len(b)-1)
			b = append(b[:j], b[j+1:]...)
		case 4:
			b = b[:1+rng.IntN(len(b)-1)]
		}
		checkMarkAgainstRef(t, string(b))
	}
}

func FuzzDecodeMark(f *testing.F) {
	f.Add(encodeMark(markString, "a: b"))
	f.Add(encodeMark(markPosition, "12"))
	f.Add("\x00Sq61~00000000\x00")
	f.Fuzz(func(t *testing.T, s string) {
		checkMarkAgainstRef(t, "\x00"+s)
	})
}
