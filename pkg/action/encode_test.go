package action

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// encodingJSON is what appendJSON must reproduce byte for byte.
func encodingJSON(t testing.TB, v any) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return bytes.TrimRight(buf.Bytes(), "\n")
}

func randomString(r *rand.Rand) string {
	pieces := []string{"a", "Z", "<", ">", "&", `"`, `\`, "/", "\n", "\r", "\t", "\b", "\f", "\x00", "\x1f", "\x7f",
		"é", "ü", "😀", "\u2028", "\u2029", "\ufffd", "\xff", "\xc3", "\xe2\x80", "${parameters[\"x\"]}", " "}
	var sb strings.Builder
	for range r.IntN(12) {
		sb.WriteString(pieces[r.IntN(len(pieces))])
	}
	return sb.String()
}

func randomDoc(r *rand.Rand, depth int) any {
	n := 6
	if depth > 3 {
		n = 4
	}
	switch r.IntN(n) {
	case 0:
		return nil
	case 1:
		return r.IntN(2) == 1
	case 2:
		return randomString(r)
	case 3:
		return json.Number([]string{"0", "-1", "3.25", "1e+21", "12345678901234567890", "1.0E-7"}[r.IntN(6)])
	case 4:
		l := make([]any, r.IntN(4))
		for i := range l {
			l[i] = randomDoc(r, depth+1)
		}
		return l
	}
	m := map[string]any{}
	for range r.IntN(5) {
		m[randomString(r)] = randomDoc(r, depth+1)
	}
	return m
}

func TestAppendJSONMatchesEncodingJSON(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	for i := 0; i < 5000; i++ {
		v := randomDoc(r, 0)
		got, ok := appendJSON(nil, v)
		if !ok {
			t.Fatalf("appendJSON refused %#v", v)
		}
		if want := encodingJSON(t, v); !bytes.Equal(got, want) {
			t.Fatalf("value %#v:\n got %s\nwant %s", v, got, want)
		}
	}
	// Every byte value alone in a string.
	for c := 0; c < 256; c++ {
		s := string([]byte{byte(c)})
		if got, want := appendJSONString(nil, s), encodingJSON(t, s); !bytes.Equal(got, want) {
			t.Errorf("byte %#x: got %s, want %s", c, got, want)
		}
	}
}

// Real pipelines, as the corpus has them, encode the same way too.
func TestAppendJSONCorpus(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(corpusDir(), "*", "*.json"))
	if len(files) == 0 {
		t.Skip("no corpus on this machine")
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.UseNumber()
		var v any
		if err := dec.Decode(&v); err != nil {
			continue
		}
		got, ok := appendJSON(nil, v)
		if !ok {
			t.Errorf("%s: refused", f)
			continue
		}
		if want := encodingJSON(t, v); !bytes.Equal(got, want) {
			t.Errorf("%s: differs from encoding/json", f)
		}
	}
}

func TestAppendJSONRefusesOtherTypes(t *testing.T) {
	for _, v := range []any{3, 1.5, map[string]string{}, []string{"x"}, json.Number("01"), json.Number(""), json.Number("1."), map[string]any{"a": []any{int64(1)}}} {
		if _, ok := appendJSON(nil, v); ok {
			t.Errorf("appendJSON accepted %#v (%T)", v, v)
		}
	}
}

// StoredBody writes what encoding/json would, on the fast path and on the fallback.
func TestStoredBodySameBytes(t *testing.T) {
	for name, doc := range map[string]map[string]any{
		"fast path": {"name": "x <y> & \u2028", "n": json.Number("1.50"), "stages": []any{map[string]any{"refId": "1"}}},
		"fallback":  {"name": "x", "int": 7, "f": 1.5},
	} {
		got, err := StoredBody(doc, "1700000000000")
		if err != nil {
			t.Fatal(err)
		}
		obj := map[string]any{"updateTs": "1700000000000", "lastModifiedBy": "pipegen"}
		for k, v := range doc {
			obj[k] = v
		}
		if want := encodingJSON(t, obj); !bytes.Equal(got, want) {
			t.Errorf("%s:\n got %s\nwant %s", name, got, want)
		}
	}
}
