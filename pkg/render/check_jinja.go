package render

import (
	"fmt"

	"github.com/flosch/pongo2/v6"
)

// The Jinja2 hint tables: Jinja forms pongo2 lacks or reads differently, each with the pipegen
// way to write it.

var loopAttrs = map[string]string{
	"index": "forloop.Counter", "index0": "forloop.Counter0", "revindex": "forloop.Revcounter",
	"revindex0": "forloop.Revcounter0", "first": "forloop.First", "last": "forloop.Last",
	"length": "the list's |length", "cycle": "{% cycle %}", "changed": "{% ifchanged %}",
	"previtem": "", "nextitem": "", "depth": "", "depth0": "",
}

// jinjaName explains Jinja names and functions that pongo2 does not have.
func jinjaName(name string, call bool, attr string) string {
	switch name {
	case "loop":
		if repl, ok := loopAttrs[attr]; ok {
			if repl == "" {
				return fmt.Sprintf("Jinja's loop.%s has no pongo2 equivalent (pongo2's loop variable is forloop)", attr)
			}
			return fmt.Sprintf("Jinja's loop.%s is written %s in pongo2", attr, repl)
		}
		return "Jinja's loop is called forloop in pongo2 (forloop.Counter, forloop.Counter0, forloop.First, forloop.Last, forloop.Revcounter)"
	case "None":
		return name + ` is not a pongo2 literal; test for a missing value with {% if not x %} or x|default:"…"`
	case "True":
		return "True is written true in pongo2"
	case "False":
		return "False is written false in pongo2"
	}
	if !call {
		return ""
	}
	switch name {
	case "default":
		return `default(…) is Jinja call syntax; pongo2 writes the filter with a colon: x|default:"value"`
	case "range":
		return "range() does not exist in pongo2; loop over a list from the variables (e.g. steps: [1, 2, 3])"
	case "super":
		return "super() is Jinja; pongo2 writes {{ block.Super }}"
	case "dict", "namespace", "lipsum", "cycler", "joiner":
		return name + "() is Jinja and does not exist in pongo2"
	}
	return ""
}

var jinjaMethods = map[string]string{
	"items":      "{% for key, value in m sorted %}",
	"keys":       "{% for key in m sorted %}",
	"values":     "{% for key, value in m sorted %} and use value",
	"get":        `m.key or m[key], with |default:"…" for a missing key`,
	"upper":      "|upper",
	"lower":      "|lower",
	"strip":      "a value without surrounding spaces (pongo2 has no strip filter)",
	"split":      `|split:","`,
	"replace":    `|cut:"text" (removal only)`,
	"startswith": `{% if x|slice:":3" == "abc" %}`,
	"join":       `|join:", "`,
	"format":     `|stringformat:"%s"`,
	"title":      "|title",
	"capitalize": "|capfirst",
	"append":     "a list built in the variables",
}

func (w *walker) methodCall(c *wctx, t token) {
	if repl, ok := jinjaMethods[t.val]; ok {
		w.errorf(c.f, t.line, t.col, ".%s() is a Python method; pongo2 values have no methods: use %s", t.val, repl)
		return
	}
	w.errorf(c.f, t.line, t.col, ".%s() looks like a Python method call; pongo2 values have no methods (use a filter)", t.val)
}

// isTest explains Jinja's "x is …" tests; toks starts at "is".
func (w *walker) isTest(c *wctx, toks []token) {
	t := toks[0]
	neg, test := "", ""
	rest := toks[1:]
	if len(rest) > 0 && rest[0].is(tkKeyword, "not") {
		neg, rest = "not ", rest[1:]
	}
	if len(rest) > 0 {
		test = rest[0].val
	}
	switch test {
	case "defined", "undefined":
		// supported: compiled as |_defined or |_undefined (jinjaEdits)
	case "none":
		w.errorf(c.f, t.line, t.col, `"is %snone" is Jinja; pongo2 writes {%% if not x %%} / {%% if x %%}`, neg)
	case "divisibleby":
		w.errorf(c.f, t.line, t.col, `"is divisibleby" is Jinja; pongo2 writes x|divisibleby:n`)
	case "even", "odd":
		w.errorf(c.f, t.line, t.col, `"is %s" is Jinja; pongo2 writes x %% 2 == %d`, test, map[string]int{"even": 0, "odd": 1}[test])
	default:
		w.errorf(c.f, t.line, t.col, `Jinja tests ("x is %s%s") are not supported by pongo2`, neg, test)
	}
}

func (w *walker) badChar(c *wctx, t token) {
	switch t.val {
	case "~":
		w.errorf(c.f, t.line, t.col, `"~" (string concatenation) is Jinja; write the pieces side by side ({{ a }}-{{ b }}) or use |add: (a|add:"-"|add:b)`)
	case "{", "}":
		w.errorf(c.f, t.line, t.col, "dict literals are not supported by pongo2; put the map in the variables")
	case "?":
		w.errorf(c.f, t.line, t.col, `"?" is not an operator in templates; use {%% if %%}…{%% else %%}…{%% endif %%}`)
	default:
		w.errorf(c.f, t.line, t.col, "unexpected character %q in a template expression", t.val)
	}
}

var jinjaFilters = map[string]string{
	"d":            `|default:"…"`,
	"int":          "|integer",
	"string":       `|stringformat:"%v"`,
	"list":         "|make_list",
	"round":        `|floatformat:"2"`,
	"replace":      `|cut:"text" (removal only)`,
	"trim":         "a value without surrounding spaces (pongo2 has no trim filter)",
	"indent":       "no equivalent; indent the template text itself",
	"capitalize":   "|capfirst",
	"count":        "|length",
	"format":       `|stringformat:"…"`,
	"dictsort":     "{% for key, value in m sorted %}",
	"items":        "{% for key, value in m sorted %}",
	"to_json":      "|tojson",
	"to_yaml":      "|tojson (JSON is valid YAML)",
	"to_nice_json": "|tojson",
	"json":         "|tojson",
}

func (w *walker) checkFilter(c *wctx, t token, parenCall bool) {
	name := t.val
	if _, ok := jinjaFilterTable[name]; ok {
		return
	}
	if name == "e" || name == "forceescape" {
		w.errorf(c.f, t.line, t.col, "|%s gives HTML entities in Jinja2 (&lt; for <) and has no pipegen form: pipegen escapes every printed value for YAML already; drop |%s", name, name)
		return
	}
	if parenCall {
		if repl, ok := jinjaFilters[name]; ok {
			w.errorf(c.f, t.line, t.col, "Jinja2's |%s(…) is not supported by pipegen; use %s", name, repl)
			return
		}
		w.errorf(c.f, t.line, t.col, "Jinja2's |%s(…) is not supported by pipegen (pongo2's filters take one argument after a colon, with their own meaning); compute the value in the variables", name)
		return
	}
	if name == "random" {
		w.errorf(c.f, t.line, t.col, "the random filter is disabled: rendering must give the same output every time")
		return
	}
	if pongo2.FilterExists(name) {
		return
	}
	if repl, ok := jinjaFilters[name]; ok {
		w.errorf(c.f, t.line, t.col, "pongo2 has no filter %q; use %s", name, repl)
		return
	}
	w.errorf(c.f, t.line, t.col, "pongo2 has no filter %q", name)
}
