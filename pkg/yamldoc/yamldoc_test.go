package yamldoc

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestDecodeScalars(t *testing.T) {
	tests := []struct {
		in   string
		want any
	}{
		{"v: 3", json.Number("3")},
		{"v: -3", json.Number("-3")},
		{"v: 1_000", json.Number("1000")},
		{"v: 017", json.Number("15")},
		{"v: 0x1F", json.Number("31")},
		{"v: 12345678901234567890", json.Number("12345678901234567890")},
		{"v: 1.0", json.Number("1.0")},
		{"v: 1e3", json.Number("1e3")},
		{"v: +1.5", json.Number("1.5")},
		{"v: 1.0.0", "1.0.0"},
		{`v: "3"`, "3"},
		{"v: '3'", "3"},
		{"v: yes", true},
		{"v: Off", false},
		{"v: y", "y"},
		{"v: !!str yes", "yes"},
		{`v: "yes"`, "yes"},
		{"v: true", true},
		{"v: ~", nil},
		{"v:", nil},
		{"v: null", nil},
		{"v: 2001-12-14", "2001-12-14"},
		{`v: "${parameters[\"x\"] ?: \"master\"}"`, `${parameters["x"] ?: "master"}`},
		{"v: 190:20:30", "190:20:30"},
		{"v: |\n  a\n  b\n", "a\nb\n"},
		{"v: 안녕", "안녕"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := Decode([]byte(tt.in))
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			v := got.(map[string]any)["v"]
			if !reflect.DeepEqual(v, tt.want) {
				t.Errorf("got %#v (%T), want %#v (%T)", v, v, tt.want, tt.want)
			}
		})
	}
}

func TestDecodeErrors(t *testing.T) {
	tests := []struct {
		name, in string
		line     int
		msg      string
	}{
		{"duplicate key", "a: 1\nb:\n  c: 1\n  c: 2\n", 4, `duplicate key "c" (first set on line 3)`},
		{"syntax", "a: 1\nb: c: d\n", 2, "mapping values are not allowed"},
		{"syntax on line 1", "v: ${a ?: \"m\"}\n", 1, "mapping values are not allowed"},
		{"second document", "a: 1\n---\nb: 2\n", 0, "second YAML document"},
		{"invalid utf8", "a: 1\nb: \xff\n", 2, "invalid UTF-8"},
		{"inf", "a: .inf\n", 1, "cannot be written in JSON"},
		{"deep", strings.Repeat("[", 150) + strings.Repeat("]", 150), 1, "nested deeper"},
		{"non-scalar key", "? [a]\n: 1\n", 1, "mapping keys must be strings"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Decode([]byte(tt.in))
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("got %v, want *Error", err)
			}
			if tt.line != 0 && e.Line != tt.line {
				t.Errorf("line = %d, want %d (%v)", e.Line, tt.line, err)
			}
			if e.Line == 0 && tt.line == 0 && tt.name != "second document" && !strings.Contains(err.Error(), "line") {
				t.Errorf("error %q has no line", err)
			}
			if !strings.Contains(e.Msg, tt.msg) {
				t.Errorf("msg = %q, want it to contain %q", e.Msg, tt.msg)
			}
		})
	}
}

func TestMergeKeys(t *testing.T) {
	in := "base: &b {x: 1, y: 2}\nv:\n  <<: *b\n  y: 3\n"
	got, err := Decode([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"x": json.Number("1"), "y": json.Number("3")}
	if v := got.(map[string]any)["v"]; !reflect.DeepEqual(v, want) {
		t.Errorf("got %v, want %v", v, want)
	}
}

func TestAliasBomb(t *testing.T) {
	var b strings.Builder
	b.WriteString("a: &a [x,x,x,x,x,x,x,x,x,x]\n")
	prev := "a"
	for i := 0; i < 8; i++ {
		name := string(rune('b' + i))
		b.WriteString(name + ": &" + name + " [")
		for j := 0; j < 10; j++ {
			if j > 0 {
				b.WriteString(",")
			}
			b.WriteString("*" + prev)
		}
		b.WriteString("]\n")
		prev = name
	}
	_, err := Decode([]byte(b.String()))
	if err == nil || !strings.Contains(err.Error(), "expands to more than") {
		t.Fatalf("got %v, want an expansion limit error", err)
	}
}

func TestEmpty(t *testing.T) {
	for _, in := range []string{"", "# only a comment\n"} {
		got, err := Decode([]byte(in))
		if err != nil || got != nil {
			t.Errorf("Decode(%q) = %v, %v; want nil, nil", in, got, err)
		}
	}
}
