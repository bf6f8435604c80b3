package render

import (
	"bytes"
	"encoding/json"
	"regexp"
	"testing"
)

// FuzzUnrelatedNames: a template that passes the check renders the same bytes whatever an
// unrelated name holds, that is a variable the template never mentions, including names
// pongo2 or pipegen use inside (forloop, block, _strict, _defined…). The templates are the
// differential cases pipegen renders.
func FuzzUnrelatedNames(f *testing.F) {
	cases := loadJinjaCases(f)
	var usable []*jinjaCase
	for _, c := range cases {
		if c.Refused == "" && c.Error == "" {
			usable = append(usable, c)
		}
	}
	for i, name := range []string{"forloop", "loop", "block", "caller", "super", "range", "None", "True",
		"_strict", "_defined", "_undefined", "x", "zz", "self", "varargs", "kwargs", "namespace", "default", "d"} {
		for k, v := range []string{`"text"`, `3`, `null`, `[1, "a"]`, `{"a": {"b": 1}}`, `true`, `""`} {
			f.Add(uint(i*7+k), name, v)
		}
	}
	f.Fuzz(func(t *testing.T, pick uint, name, value string) {
		c := usable[pick%uint(len(usable))]
		if !validIdent(name) || name == "pipeline_id" || name == "pongo2" || name == argsFunc || name == printFunc {
			return // names Render refuses
		}
		word := regexp.MustCompile(`\b` + regexp.QuoteMeta(name) + `\b`)
		for _, src := range c.files(c.Template, nil) {
			if word.MatchString(src) {
				return // the template mentions it: not unrelated
			}
		}
		if _, taken := c.Vars[name]; taken {
			return
		}
		dec := json.NewDecoder(bytes.NewReader([]byte(value)))
		dec.UseNumber()
		var v any
		if err := dec.Decode(&v); err != nil {
			return
		}
		want, err := renderPipegen(t, c, c.files(c.Template, nil))
		if err != nil {
			t.Fatalf("%s: %v", c.Name, err)
		}
		vars := make(map[string]any, len(c.Vars)+1)
		for k, x := range c.Vars {
			vars[k] = x
		}
		vars[name] = v
		c2 := *c
		c2.Vars = vars
		got, err := renderPipegen(t, &c2, c.files(c.Template, nil))
		if err != nil {
			t.Fatalf("%s with %s=%s: %v", c.Name, name, value, err)
		}
		if got != want {
			t.Fatalf("%s: %s=%s changes the output:\nwithout: %q\nwith:    %q", c.Name, name, value, want, got)
		}
	})
}
