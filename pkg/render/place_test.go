package render

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/pipegen/pipegen/pkg/yamldoc"
)

// placeCase renders tpl with v and expects the document to decode to want, or (err != "") a
// refusal naming templates/t.yml:LINE and containing err.
type placeCase struct {
	name string
	tpl  string
	v    any
	want any    // decoded document
	out  string // exact output, when set
	err  string
	line int
}

func runPlaceCases(t *testing.T, cases []placeCase) {
	t.Helper()
	files := map[string]string{"inc.yml": "{{ v }}"}
	for i, c := range cases {
		files[fmt.Sprintf("t%d.yml", i)] = c.tpl
	}
	e, _ := newTestEngine(t, files)
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, err := e.Render(fmt.Sprintf("t%d", i), map[string]any{"v": c.v, "w": "w"}, nil)
			if c.err != "" {
				if err == nil {
					t.Fatalf("rendered %q, want a refusal containing %q", out, c.err)
				}
				prefix := fmt.Sprintf("templates/t%d.yml:%d:", i, c.line)
				if c.line == 0 {
					prefix = fmt.Sprintf("templates/t%d.yml: ", i)
				}
				if !strings.HasPrefix(err.Error(), prefix) || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("error %q, want %s… containing %q", err, prefix, c.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Render: %v", err)
			}
			if c.out != "" && string(out) != c.out {
				t.Errorf("output %q, want %q", out, c.out)
			}
			got, err := yamldoc.Decode(out)
			if err != nil {
				t.Fatalf("output %q does not parse: %v", out, err)
			}
			if !reflect.DeepEqual(got, c.want) {
				t.Errorf("output %q decodes to %#v, want %#v", out, got, c.want)
			}
		})
	}
}

func m(kv ...any) map[string]any {
	out := map[string]any{}
	for i := 0; i < len(kv); i += 2 {
		out[kv[i].(string)] = kv[i+1]
	}
	return out
}

func TestPlaceDoubleQuoted(t *testing.T) {
	runPlaceCases(t, []placeCase{
		{name: "quotes", tpl: `k: "{{ v }}"`, v: `say "hi"`, want: m("k", `say "hi"`), out: `k: "say \"hi\""`},
		{name: "backslashes", tpl: `k: "{{ v }}"`, v: `C:\dir\n`, want: m("k", `C:\dir\n`)},
		{name: "line breaks", tpl: `k: "a{{ v }}b"`, v: "\n\t\r", want: m("k", "a\n\t\rb")},
		{name: "key", tpl: `"{{ v }}": 1`, v: "a: b # c", want: m("a: b # c", float64Num("1"))},
		{name: "flow", tpl: `{"k": ["{{ v }}", "{{ w }}"]}`, v: "x,]}", want: m("k", []any{"x,]}", "w"})},
		{name: "after a backslash", tpl: `k: "\{{ v }}"`, v: `"`, err: "follows a backslash", line: 1},
		{name: "inside a \\u escape", tpl: `k: "\u00{{ v }}"`, v: "41", err: "escape sequence", line: 1},
		{name: "list inside", tpl: "a: 1\nk: \"items {{ v }}\"", v: []any{"a"}, err: "|tojson", line: 2},
		{name: "map inside", tpl: `k: "{{ v }}"`, v: map[string]any{"a": "b"}, err: `|join:", "`, line: 1},
		{name: "after the closing quote", tpl: `k: "a"{{ v }}`, v: "b", err: "after a closing quote", line: 1},
	})
}

func TestPlaceSingleQuoted(t *testing.T) {
	runPlaceCases(t, []placeCase{
		{name: "double quotes", tpl: `k: '{{ v }}'`, v: `say "hi"`, want: m("k", `say "hi"`), out: `k: 'say "hi"'`},
		{name: "single quotes", tpl: `k: '{{ v }}'`, v: `it's 'x'`, want: m("k", `it's 'x'`)},
		{name: "backslashes stay single", tpl: `k: '{{ v }}'`, v: `a\b\\c`, want: m("k", `a\b\\c`)},
		{name: "spaces and #", tpl: `k: '{{ v }}'`, v: " a: #b ", want: m("k", " a: #b ")},
		{name: "SpEL", tpl: `k: '${ {{ v }} }'`, v: `#stage('x')`, want: m("k", `${ #stage('x') }`)},
		{name: "line break", tpl: "a: 1\nk: '{{ v }}'", v: "a\nb", err: "single-quoted", line: 2},
		{name: "control", tpl: `k: '{{ v }}'`, v: "a\x07", err: "U+0007", line: 1},
	})
}

func TestPlacePlain(t *testing.T) {
	runPlaceCases(t, []placeCase{
		{name: "simple", tpl: `k: {{ v }}`, v: "my-app", want: m("k", "my-app"), out: "k: my-app"},
		{name: "quotes stay raw", tpl: `k: {{ v }}`, v: `say "hi"`, want: m("k", `say "hi"`), out: `k: say "hi"`},
		{name: "part", tpl: `image: repo/{{ v }}:{{ w }}`, v: "app", want: m("image", "repo/app:w")},
		{name: "colon space is quoted", tpl: `k: {{ v }}`, v: "a: b", want: m("k", "a: b"), out: `k: "a: b"`},
		{name: "comment is quoted", tpl: `k: x {{ v }}`, v: "#1", want: m("k", "x #1"), out: `k: "x #1"`},
		{name: "leading hash", tpl: `k: {{ v }}`, v: "#1", want: m("k", "#1")},
		{name: "surrounding spaces", tpl: `k: {{ v }}`, v: " a ", want: m("k", " a ")},
		{name: "pipe", tpl: `k: {{ v }}`, v: "|", want: m("k", "|")},
		{name: "alias-like", tpl: `k: {{ v }}`, v: "*x", want: m("k", "*x")},
		{name: "dash space", tpl: `k: {{ v }}`, v: "- x", want: m("k", "- x")},
		{name: "tab", tpl: `k: {{ v }}`, v: "a\tb", want: m("k", "a\tb")},
		{name: "key", tpl: "{{ v }}: 1", v: "a: b", want: m("a: b", float64Num("1"))},
		{name: "sequence item", tpl: "- {{ v }}\n- b", v: "x # y", want: []any{"x # y", "b"}},
		{name: "unicode", tpl: `k: {{ v }}`, v: "héllo ☃ 𝄞", want: m("k", "héllo ☃ 𝄞")},
		{name: "0o is a string for PyYAML", tpl: `k: {{ v }}`, v: "0o17", want: m("k", "0o17"), out: `k: "0o17"`},
		{name: "number", tpl: `k: {{ v }}`, v: "30", err: "an integer", line: 1},
		{name: "version", tpl: "a: 1\nk: {{ v }}", v: "1.10", err: "a float", line: 2},
		{name: "octal", tpl: `k: {{ v }}`, v: "017", err: "an integer", line: 1},
		{name: "sexagesimal", tpl: `k: {{ v }}`, v: "1:30", err: "an integer", line: 1},
		{name: "yes", tpl: `k: {{ v }}`, v: "yes", err: "a boolean", line: 1},
		{name: "no in a key", tpl: `{{ v }}: 1`, v: "no", err: "a boolean", line: 1},
		{name: "null", tpl: `k: {{ v }}`, v: "~", err: "null", line: 1},
		{name: "empty", tpl: `k: {{ v }}`, v: "", err: "null", line: 1},
		{name: "date", tpl: `k: {{ v }}`, v: "2024-01-02", err: "a date", line: 1},
		{name: "parts make a number", tpl: `k: {{ v }}{{ v }}`, v: "1", err: "an integer", line: 1},
		{name: "flow sequence", tpl: `k: {{ v }}`, v: "[a, b]", err: "a flow sequence", line: 1},
		{name: "flow mapping", tpl: `k: {{ v }}`, v: "{a: 1}", err: "a flow mapping", line: 1},
		{name: "quoted", tpl: `k: {{ v }}`, v: "'x'", err: "a quoted string", line: 1},
		{name: "tag", tpl: `k: {{ v }}`, v: "!!int 3", err: "a tag", line: 1},
		{name: "multi-line", tpl: `k: {{ v }}`, v: "a\nb: 1", err: "a line break", line: 1},
		{name: "continued", tpl: "k: {{ v }}\n  more", v: "a", err: "continues on the next line", line: 1},
		{name: "flow comma", tpl: `k: [{{ v }}]`, v: "a, b", err: "flow collection", line: 1},
		{name: "flow item", tpl: `k: [{{ v }}, {{ w }}]`, v: "a b", want: m("k", []any{"a b", "w"})},
		{name: "flow colon space quoted", tpl: `k: {x: {{ v }}}`, v: "a: b", want: m("k", m("x", "a: b"))},
		{name: "list as value", tpl: `k: {{ v }}`, v: []any{"a", float64Num("1")}, want: m("k", []any{"a", float64Num("1")})},
		{name: "list in part", tpl: `k: items {{ v }}`, v: []any{"a"}, err: "|tojson", line: 1},
		{name: "tojson stays raw", tpl: `k: {{ v|tojson }}`, v: "a: b", want: m("k", "a: b")},
		{name: "safe stays raw", tpl: `k: {{ v|safe }}`, v: "[1, 2]", want: m("k", []any{float64Num("1"), float64Num("2")})},
		{name: "escape is contextual", tpl: `k: '{{ v|escape }}'`, v: `a"b`, want: m("k", `a"b`)},
	})
}

func TestPlaceBlock(t *testing.T) {
	runPlaceCases(t, []placeCase{
		{name: "script", tpl: "script: |\n  set -e\n  {{ v }}\nnext: 1", v: "echo \"a\\b\"\nexit 1",
			want: m("script", "set -e\necho \"a\\b\"\nexit 1\n", "next", float64Num("1"))},
		{name: "nested", tpl: "a:\n  - s: |-\n      x {{ v }} y\n  - b", v: "1\n\n  2",
			want: m("a", []any{m("s", "x 1\n\n  2 y"), "b"})},
		{name: "first line", tpl: "s: |\n    {{ v }}\nn: 1", v: "a\nb", want: m("s", "a\nb\n", "n", float64Num("1"))},
		{name: "keep", tpl: "s: |+\n  {{ v }}\n\nn: 1", v: "a\n", want: m("s", "a\n\n\n", "n", float64Num("1"))},
		{name: "explicit indent", tpl: "s: |2\n    {{ v }}", v: " a\n b", want: m("s", "   a\n b")},
		{name: "folded one line", tpl: "s: >\n  x {{ v }}\n  y", v: "a: #b", want: m("s", "x a: #b y")},
		{name: "folded line break", tpl: "s: >\n  {{ v }}", v: "a\nb", err: "folded", line: 2},
		{name: "first line space", tpl: "s: |\n  {{ v }}\n  x", v: " a", err: "indentation", line: 2},
		{name: "first line empty", tpl: "s: |\n  {{ v }}\n    x", v: "", err: "indentation", line: 2},
		{name: "header", tpl: "s: |{{ v }}\n  x", v: "-", err: "header", line: 1},
		{name: "carriage return", tpl: "s: |\n  {{ v }}", v: "a\r\nb", err: "a line break", line: 2},
		{name: "list", tpl: "s: |\n  {{ v }}", v: []any{"a"}, err: "|tojson", line: 2},
		{name: "less indented ends the block", tpl: "s: |\n  x\nk: {{ v }}", v: "a", want: m("s", "x\n", "k", "a")},
	})
}

func TestPlaceOther(t *testing.T) {
	runPlaceCases(t, []placeCase{
		{name: "comment", tpl: "k: 1 # {{ v }}", v: "a: \"b\" # c", want: m("k", float64Num("1"))},
		{name: "comment line break", tpl: "# {{ v }}\nk: 1", v: "a\nb: 2\r\nc: 3", want: m("k", float64Num("1")), out: "# a\n#b: 2\n#c: 3\nk: 1"},
		{name: "header comment line break", tpl: "s: | # {{ v }}\n  x", v: "a\nb", err: "this YAML comment", line: 1},
		{name: "comment control", tpl: "k: 1 # {{ v }}", v: "\x1b", err: "U+001B", line: 1},
		{name: "anchor", tpl: "a: &{{ v }} 1\nb: *{{ v }}", v: "x-1", want: m("a", float64Num("1"), "b", float64Num("1"))},
		{name: "bad anchor", tpl: "a: &{{ v }} 1", v: "x y", err: "anchor", line: 1},
		{name: "directive", tpl: "%YAML {{ v }}\n---\nk: 1", v: "1.1", err: "directive", line: 1},
		{name: "macro output lands in context", tpl: "{% macro q(x) %}'{{ x }}'{% endmacro %}k: {{ q(v) }}", v: "it's", want: m("k", "it's")},
		{name: "include lands in context", tpl: "k: \"{% include \"inc.yml\" %}\"", v: `a"b`, want: m("k", `a"b`)},
		{name: "macro output measured", tpl: "{% macro q(x) %}{{ x }}{% endmacro %}k: {{ q(v)|length }}", v: "ab", err: "can only be printed", line: 1},
		{name: "macro output compared", tpl: "{% macro q(x) %}{{ x }}{% endmacro %}\nk: {% if q(v) == \"ab\" %}1{% endif %}", v: "ab", err: "can only be printed", line: 2},
		{name: "macro output set", tpl: "{% macro q(x) %}{{ x }}{% endmacro %}{% set s = q(v) %}k: {{ s }}", v: "ab", err: "can only be printed", line: 1},
		{name: "macro output indented", tpl: "{% macro q(x) %}s: |\n  {{ x }}{% endmacro %}k:\n  {{ q(v)|indent(2) }}", v: "a\nb", want: m("k", m("s", "a\nb"))},
		{name: "filter block refused", tpl: "{% filter upper %}k: {{ v }}{% endfilter %}", v: "a", err: "changed after printing"},
		{name: "joined lists refused", tpl: `k: "{{ v|join:"," }}"`, v: []any{[]any{"a"}}, err: "inside a string", line: 1},
		{name: "whitespace control", tpl: "k: [  {{- v }}]", v: "a b", want: m("k", []any{"a b"})},
		{name: "trim after", tpl: "k: '{{ v -}}   '", v: "a", want: m("k", "a")},
	})
}

// float64Num is how yamldoc decodes a YAML number.
func float64Num(s string) any {
	v, _ := yamldoc.Decode([]byte(s))
	return v
}

func TestPositionMarkColumns(t *testing.T) {
	// Errors name the {{ }} at its column in the file as written: neither the position marks
	// nor the strict-lookup and print rewrites on the same line may shift it.
	cases := []struct {
		name, tpl string
		vars      map[string]any
		want      string
	}{
		{"pongo2 error after marks", `k: "{{ a }}" {{ b }} {{ c|nosuchfilter }}`, map[string]any{"a": "1", "b": "2", "c": "3"}, "templates/t.yml:1:"},
		{"placement after a rewritten chain", `k: [{{ a.b }}, {{ v }}]`, map[string]any{"a": map[string]any{"b": "z"}, "v": "[x"}, "templates/t.yml:1:16:"},
		{"placement after two prints", `k: ["{{ a }}", {{ a|upper }}, é{{ v }}]`, map[string]any{"a": "z", "v": "[x"}, "templates/t.yml:1:32:"},
		{"trimmed print", "k: [a,\n   {{- v }}]", map[string]any{"v": "[x"}, "templates/t.yml:2:4:"},
		{"strict lookup after prints", `k: "{{ a }}{{ a }}{{ a.nokey }}"`, map[string]any{"a": map[string]any{"b": "z"}}, "templates/t.yml:1:22:"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e, _ := newTestEngine(t, map[string]string{"t.yml": c.tpl})
			_, err := e.Render("t", c.vars, nil)
			if err == nil || !strings.HasPrefix(err.Error(), c.want) {
				t.Fatalf("error %v, want it to start with %s", err, c.want)
			}
		})
	}
}
