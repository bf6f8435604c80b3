package cache

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/pipegen/pipegen/internal/bench"
	"github.com/pipegen/pipegen/pkg/yamldoc"
)

// randomValue builds a JSON-typed value of bounded size.
func randomValue(r *rand.Rand, depth int) any {
	kinds := 7
	if depth > 4 {
		kinds = 5
	}
	switch r.IntN(kinds) {
	case 0:
		return nil
	case 1:
		return r.IntN(2) == 0
	case 2:
		b := make([]byte, r.IntN(12))
		for i := range b {
			b[i] = byte(r.IntN(256))
		}
		return string(b) // any bytes: the codec does not care about UTF-8
	case 3:
		return json.Number(fmt.Sprint(r.Int64N(1<<62) - 1<<61))
	case 4:
		return "s"
	case 5:
		l := make([]any, r.IntN(5))
		for i := range l {
			l[i] = randomValue(r, depth+1)
		}
		return l
	}
	m := map[string]any{}
	for range r.IntN(5) {
		m[fmt.Sprintf("k%d", r.IntN(100))] = randomValue(r, depth+1)
	}
	return m
}

func TestCodecRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 7))
	for i := 0; i < 2000; i++ {
		v := randomValue(r, 0)
		b, ok := appendValue(nil, v)
		if !ok {
			t.Fatalf("appendValue refused %#v", v)
		}
		got, err := decodeValue(b)
		if err != nil {
			t.Fatalf("decode %#v: %v", v, err)
		}
		if !reflect.DeepEqual(got, v) {
			t.Fatalf("round trip changed the value:\n got %#v\nwant %#v", got, v)
		}
		// Every strict prefix is malformed, never a panic or a different value.
		for cut := 0; cut < len(b); cut++ {
			if _, err := decodeValue(b[:cut]); err == nil {
				t.Fatalf("prefix %d of %d bytes decoded without error", cut, len(b))
			}
		}
	}
}

func TestCodecRejects(t *testing.T) {
	for name, v := range map[string]any{
		"int": 3, "float": 1.5, "nil map": map[string]any(nil), "nil slice": []any(nil),
		"nested int": map[string]any{"a": []any{int64(1)}},
	} {
		if _, ok := appendValue(nil, v); ok {
			t.Errorf("%s: encoded a value JSON decoding would not give back", name)
		}
	}
	for _, b := range [][]byte{{99}, {tagString, 0xff}, {tagList, 5, tagNull}, {tagNull, tagNull}} {
		if _, err := decodeValue(b); err == nil {
			t.Errorf("decoded malformed %v", b)
		}
	}
}

func FuzzDecodeValue(f *testing.F) {
	b, _ := appendValue(nil, map[string]any{"a": []any{"x", json.Number("1"), nil, true}})
	f.Add(b)
	f.Fuzz(func(t *testing.T, data []byte) {
		v, err := decodeValue(data)
		if err != nil {
			return
		}
		// What decodes must encode back to the same bytes when it has no maps (map order varies).
		if _, isMap := v.(map[string]any); !isMap {
			if again, ok := appendValue(nil, v); ok && !bytes.Equal(again, data) && !hasMap(v) {
				t.Fatalf("re-encoding %#v gave %v, decoded from %v", v, again, data)
			}
		}
	})
}

func hasMap(v any) bool {
	switch x := v.(type) {
	case map[string]any:
		return true
	case []any:
		for _, e := range x {
			if hasMap(e) {
				return true
			}
		}
	}
	return false
}

func renderedValue(b *testing.B) any {
	text, err := bench.SampleDeploy(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	v, err := yamldoc.Decode(text)
	if err != nil {
		b.Fatal(err)
	}
	return v
}

// BenchmarkCodec compares the cache's binary form with encoding/json on one rendered
// pipeline, both ways.
func BenchmarkCodec(b *testing.B) {
	v := renderedValue(b)
	bin, _ := appendValue(nil, v)
	js, _ := json.Marshal(v)
	b.Run("encode/binary", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			appendValue(nil, v)
		}
	})
	b.Run("encode/json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := json.Marshal(v); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("decode/binary", func(b *testing.B) {
		b.SetBytes(int64(len(bin)))
		b.ReportAllocs()
		for b.Loop() {
			if _, err := decodeValue(bin); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("decode/json", func(b *testing.B) {
		b.SetBytes(int64(len(js)))
		b.ReportAllocs()
		for b.Loop() {
			dec := json.NewDecoder(bytes.NewReader(js))
			dec.UseNumber()
			var out any
			if err := dec.Decode(&out); err != nil {
				b.Fatal(err)
			}
		}
	})
}
