package render

import (
	"encoding/hex"
	"fmt"
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

// A variable holding text shaped as a mark, with the checksum anyone can compute, must not pass
// for one: it would print raw, and here add a key to the document.
func TestForgedMarkInValueKeepsEscaping(t *testing.T) {
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
		out, err := renderPipegen(t, &jinjaCase{Vars: map[string]any{"name": v}}, map[string]string{"main": "d: {{ name }}\n"})
		if err != nil {
			continue // refused: never silently wrong
		}
		got, derr := yamldoc.Decode([]byte(out))
		m, _ := got.(map[string]any)
		if derr != nil || len(m) != 1 || m["d"] != v {
			t.Errorf("%q rendered %q: the value did not stay one string (%v)", v, out, derr)
		}
	}
}
