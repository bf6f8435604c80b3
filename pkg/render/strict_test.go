package render

import (
	"encoding/hex"
	"fmt"
	"github.com/flosch/pongo2/v6"
	"hash/crc32"
	"strings"
	"testing"

	"github.com/pipegen/pipegen/pkg/yamldoc"
)

// A |safe on one operand must not print the other operand unescaped: the value here would add
// a key to the document.
func TestSafeOnOneOperandKeepsEscaping(t *testing.T) {
	vars := map[string]any{"name": "q: z\nevil: 1"}
	for _, tmpl := range []string{
		`d: {{ "x"|safe + name }}` + "\n",
		`d: {{ name + "x"|safe }}` + "\n",
		`d: {{ ("x"|safe) ~ name }}` + "\n",
	} {
		out, err := renderPipegen(t, &jinjaCase{Vars: vars}, map[string]string{"main": tmpl})
		if err != nil {
			continue // refused: never silently wrong
		}
		v, derr := yamldoc.Decode([]byte(out))
		m, _ := v.(map[string]any)
		if derr != nil || len(m) != 1 {
			t.Errorf("%q rendered %q: the value escaped its string (%v)", tmpl, out, derr)
		}
	}
}

// A variable holding text shaped as a mark, with the checksum anyone can compute, is text like
// any other: between double quotes it renders, and reads back exactly.
func TestForgedMarkInValueIsText(t *testing.T) {
	forge := func(kind byte, payload string) string {
		var b strings.Builder
		b.WriteString("\x00" + string(kind) + "q")
		b.WriteString(hex.EncodeToString([]byte(payload)))
		fmt.Fprintf(&b, "~%08x\x00", crc32.ChecksumIEEE(append([]byte{kind}, payload...)))
		return b.String()
	}
	for _, v := range []string{
		forge(markString, "x\nevil: 1"),
		forge(markCollection, "[1]\nevil: 1"),
		"a" + forge(markString, "x\nevil: 1") + "b",
	} {
		out, err := renderPipegen(t, &jinjaCase{Vars: map[string]any{"name": v}}, map[string]string{"main": `d: "{{ name }}"` + "\n"})
		if err != nil {
			t.Errorf("%q: %v", v, err)
			continue
		}
		got, derr := yamldoc.Decode([]byte(out))
		if m, _ := got.(map[string]any); derr != nil || len(m) != 1 || m["d"] != v {
			t.Errorf("%q rendered %q: not the value (%v)", v, out, derr)
		}
	}
}

// A list or map turned into text carries its own mark inside the string; that text must never
// print raw, where its rest would add keys, and a macro's output keeps its marks through the
// layout filters.
func TestMarkInsideStringRefused(t *testing.T) {
	vars := map[string]any{"xs": []any{[]any{1}, "\nevil: 1"}, "m": map[string]any{"a": 1}}
	for _, tmpl := range []string{
		"d: {{ xs|join }}\n",
		"d: {{ xs|join|trim }}\n",
		"d: {{ xs|join|indent(2) }}\n",
		`d: "{{ xs|join }}"` + "\n",
		"d: {{ xs.0|add:xs.1 }}\n",
	} {
		out, err := renderPipegen(t, &jinjaCase{Vars: vars}, map[string]string{"main": tmpl})
		if err == nil {
			got, _ := yamldoc.Decode([]byte(out))
			if m, _ := got.(map[string]any); len(m) != 1 {
				t.Errorf("%q rendered %q: the text escaped its value", tmpl, out)
			}
			continue
		}
		if !strings.Contains(err.Error(), "inside a string") {
			t.Errorf("%q: %v, want the list-in-string refusal", tmpl, err)
		}
	}
	out, err := renderPipegen(t, &jinjaCase{Vars: map[string]any{"v": "a: b"}}, map[string]string{
		"main": "{% macro f(x) %}k: {{ x }}\n{% endmacro %}d:\n{{ f(v)|indent(2, true) }}\n"})
	if err != nil {
		t.Fatalf("a macro's output through |indent: %v", err)
	}
	got, derr := yamldoc.Decode([]byte(out))
	if d, _ := got.(map[string]any)["d"].(map[string]any); derr != nil || d["k"] != "a: b" {
		t.Fatalf("a macro's output through |indent rendered %q (%v)", out, derr)
	}
}

func TestIsSafe(t *testing.T) {
	if !isSafe(pongo2.AsSafeValue("x")) || isSafe(pongo2.AsValue("x")) {
		t.Fatal("isSafe no longer reads pongo2's safe flag: a macro's output would lose its marks through |indent and |trim")
	}
}
