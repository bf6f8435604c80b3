package render

import (
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
