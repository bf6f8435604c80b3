package render

import (
	"errors"
	"strings"
	"testing"
)

// defaultDefined are the variables the check tests pretend to pass.
var defaultDefined = []string{"app_name", "stages", "m", "c", "x", "y", "name", "stack"}

func TestCheckJinjaIdioms(t *testing.T) {
	tests := []struct {
		name string
		tpl  string
		want []string // "line:col: message substring", one per expected problem, in order
	}{
		{"loop.index", "{% for s in stages %}\n  - {{ loop.index }}{% endfor %}", nil},
		{"loop.first", "{% for s in stages %}{% if loop.first %}x{% endif %}{% endfor %}", nil},
		{"loop.length", "{% for s in stages %}{{ loop.length }}{% endfor %}", nil},
		{"loop.previtem", "{% for s in stages %}{{ loop.previtem }}{% endfor %}", []string{"1:25: Jinja's loop.previtem has no pongo2 equivalent"}},
		{"default call", `{{ default(x, "y") }}`, []string{`1:4: default(…) is Jinja call syntax; pongo2 writes the filter with a colon: x|default:"value"`}},
		{"filter call syntax", `{{ x|default("y") }}`, nil},
		{"join call syntax", `{{ stages|join(", ") }}`, nil},
		{"unsupported call syntax", `{{ stages|wordwrap(3) }}`, []string{`1:11: Jinja2's |wordwrap(…) is not supported by pipegen`}},
		{"is defined", "{% if x is defined %}a{% endif %}", nil},
		{"is not defined", "{% if x is not defined %}a{% endif %}", nil},
		{"is none", "{% if x is none %}a{% endif %}", []string{`1:9: "is none" is Jinja; pongo2 writes {% if not x %}`}},
		{"tilde", `name: "{{ app_name ~ "-" ~ stack }}"`, []string{`1:20: "~" (string concatenation) is Jinja; write the pieces side by side ({{ a }}-{{ b }}) or use |add:`}},
		{"raw", "a: 1\n{% raw %}{{ x }}{% endraw %}", []string{"2:1: {% raw %} is Jinja; pongo2 writes {% verbatim %}…{% endverbatim %}"}},
		{"for else", "{% for s in stages %}{{ s }}{% else %}none{% endfor %}", nil},
		{"if else inside for is fine", "{% for s in stages %}{% if s %}a{% else %}b{% endif %}{% endfor %}", nil},
		{"items()", "{% for k, v in m.items() %}{{ k }}{% endfor %}", []string{
			"1:1: {% for k, v in … %} visits a map in random order; write {% for k, v in … sorted %}",
			"1:18: .items() is a Python method; pongo2 values have no methods: use {% for key, value in m sorted %}"}},
		{"range", "{% for i in range(3) %}{{ i }}{% endfor %}", []string{"1:13: range() does not exist in pongo2"}},
		{"None", "{% if x == None %}a{% endif %}", []string{"1:12: None is not a pongo2 literal"}},
		{"True False", "a: {{ True }}\nb: {{ False }}", []string{"1:7: True is written true in pongo2", "2:7: False is written false in pongo2"}},
		{"inline if", `{{ "a" if c else "b" }}`, []string{`1:8: inline "x if cond else y" is Jinja; pongo2 writes {% if cond %}x{% else %}y{% endif %}`}},
		{"list literal", "{% for s in [1, 2] %}{% endfor %}", []string{"1:13: list literals are not supported by pongo2"}},
		{"dict literal", `{{ {"a": 1} }}`, []string{"1:4: dict literals are not supported by pongo2"}},
		{"subscript is fine", `{{ m["k"] }} {{ stages[0] }}`, nil},
		{"keyword argument", "{% macro st(n) %}{{ n }}{% endmacro %}{{ st(n=1) }}", []string{"1:45: keyword arguments (n=…) are not supported by pongo2"}},
		{"jinja filters", "{{ x|int }} {{ x|trim }}", nil},
		{"unknown jinja filter", "{{ x|filesizeformat }}", []string{`1:6: pongo2 has no filter "filesizeformat"`}},
		{"unknown filter", "{{ x|frobnicate }}", []string{`1:6: pongo2 has no filter "frobnicate"`}},
		{"string escape", `{{ x|default:"a\nb" }}`, []string{`1:16: escape \n is not supported in template strings`}},
		{"multi-line comment", "{# one\ntwo #}", []string{"1:1: a {# … #} comment must end on the line it starts"}},
		{"multi-line tag", "{{ x\n}}", []string{"1:5: a {{ }} or {% %} must fit on one line in pongo2"}},
		{"from import", `{% from "lib.yml" import m %}`, []string{`1:1: {% from "file" import m %} is Jinja; pongo2 writes {% import "file" m %}`}},
		{"import as", "{% import \"lib.yml\" as lib %}", []string{`1:21: {% import "file" as name %} is Jinja`}},
		{"power and floor division", "{{ 2 ** 3 }} {{ 7 // 2 }}", []string{`1:6: "**" is not supported by pongo2 (its "^" gives a float`, `1:19: "//" is not supported by pongo2`}},
		{"not in", "{% if x not in stages %}{% endif %}", []string{`1:9: "x not in y" is not supported by pongo2; write "not (x in y)"`}},
		{"not x in y", "{% if not x in stages %}{% endif %}", []string{`1:7: "not x in y" means "(not x) in y" in pongo2; write "not (x in y)"`}},
		{"not (x in y) is fine", "{% if not (x in stages) %}{% endif %}", nil},
		{"set block", "{% set x %}a{% endset %}", []string{"1:1: {% set x %}…{% endset %} (block assignment) is Jinja"}},
		{"set unpacking", "{% set a, b = 1, 2 %}", []string{"1:9: {% set a, b = … %} (unpacking) is Jinja"}},
		{"method call", "{{ name.upper() }}", []string{"1:9: .upper() is a Python method; pongo2 values have no methods: use |upper"}},
		{"super()", "{% block b %}{{ super() }}{% endblock %}", []string{"1:17: super() is Jinja; pongo2 writes {{ block.Super }}"}},
		{"loop filtering", "{% for s in stages if s %}{% endfor %}", []string{"1:20: {% for x in xs if cond %} (loop filtering) is Jinja"}},
		{"include ignore missing", `{% include "x.yml" ignore missing %}`, []string{`1:20: "ignore missing" is Jinja; pongo2 writes {% include "file" if_exists %}`}},
		{"break", "{% for s in stages %}{% break %}{% endfor %}", []string{"1:22: {% break %} is Jinja and not supported"}},
		{"call block", "{% call m() %}x{% endcall %}", []string{"1:1: {% call %} is Jinja and not supported by pongo2"}},
		{"unknown tag", "{% frobnicate %}", []string{"1:1: unknown tag {% frobnicate %}"}},
		{"unclosed if", "a\n{% if x %}", []string{"2:1: {% if %} is not closed by {% endif %}"}},
		{"stray endif", "{% endif %}", []string{"1:1: {% endif %} has no matching opening tag"}},
		{"unclosed var", "a: {{ x", []string{"1:4: {{ is not closed by }}"}},
		{"ssi", `{% ssi "/etc/passwd" %}`, []string{"1:1: {% ssi %} is disabled"}},
		{"now", `{% now "2006" %}`, []string{"1:1: {% now %} is disabled"}},
		{"lorem", `{% lorem %}`, []string{"1:1: {% lorem %} is disabled"}},
		{"random", "{{ stages|random }}", []string{"1:11: the random filter is disabled"}},
		{"random in filter tag", "{% filter random %}x{% endfilter %}", []string{"1:11: the random filter is disabled"}},
		{"map iteration without sorted", "{% for k, v in m %}{{ k }}{{ v }}{% endfor %}", []string{"1:1: {% for k, v in … %} visits a map in random order"}},
		{"korean text before", "이름: {{ loop.index }}", []string{"1:8: loop.index exists only inside {% for %}"}},
		{"pongo2 idioms are fine", `{% for s in stages sorted %}{{ forloop.Counter }} {{ s|default:"x"|upper }}{% empty %}none{% endfor %}{% verbatim %}{{ raw }}{% endverbatim %}{# c #}{% comment %}{{ nope }}{% endcomment %}`, nil},
	}
	files := map[string]string{
		"lib.yml": "{% macro m() export %}m{% endmacro %}",
		"x.yml":   "x",
	}
	for _, tt := range tests {
		files[fileFor(tt.name)] = tt.tpl
	}
	e, _ := newTestEngine(t, files)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkProblems(t, e, fileFor(tt.name), tt.want)
		})
	}
}

func fileFor(name string) string {
	return strings.NewReplacer(" ", "_", "(", "", ")", "", ".", "_").Replace(name) + ".yml"
}

// checkProblems asserts Check reports exactly the wanted problems of file, in order, and that
// Render fails with the first one.
func checkProblems(t *testing.T, e *Engine, file string, want []string) {
	t.Helper()
	errs := e.Check(file, defaultDefined)
	got := errStrings(errs)
	ok := len(got) == len(want)
	for i := 0; ok && i < len(want); i++ {
		ok = strings.HasPrefix(got[i], "templates/"+file+":"+want[i]) || strings.HasPrefix(got[i], "templates/"+want[i])
	}
	if !ok {
		t.Fatalf("Check problems:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
	for _, err := range errs {
		var re *Error
		if !errors.As(err, &re) || re.Line == 0 {
			t.Errorf("%v is not a positioned *Error", err)
		}
	}
	vars := map[string]any{}
	for _, d := range defaultDefined {
		vars[d] = "v"
	}
	vars["stages"] = []any{"a", "b"}
	vars["m"] = map[string]any{"k": "v"}
	out, err := e.Render(file, vars, func(app, name string) (string, error) { return "id", nil })
	if len(want) > 0 && (err == nil || err.Error() != got[0]) {
		t.Errorf("Render = %q, %v; want the first problem %q", out, err, got[0])
	}
	if len(want) == 0 && err != nil {
		t.Errorf("Render: %v", err)
	}
}

func TestCheckNames(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		want  []string // problems, as "file:line:col: message prefix" (file relative to templates/)
	}{
		{"undefined", map[string]string{"t.yml": "a: {{ app_name }}\nb: {{ nope }}\nc: {{ nope }}"},
			[]string{`t.yml:2:7: undefined variable "nope"`}},
		{"attribute checks the root only", map[string]string{"t.yml": "{{ service.stacks.prod }}"},
			[]string{`t.yml:1:4: undefined variable "service"`}},
		{"default makes it optional", map[string]string{"t.yml": `{{ nope|default:"x" }} {{ nope.a.b|upper|default:"" }} {% if flag|default:false %}{% endif %}`}, nil},
		{"default argument must exist", map[string]string{"t.yml": `{{ x|default:other }}`},
			[]string{`t.yml:1:14: undefined variable "other"`}},
		{"filter argument is not protected by a later default", map[string]string{"t.yml": `{{ x|add:other|default:"" }}`},
			[]string{`t.yml:1:10: undefined variable "other"`}},
		{"firstof names are optional", map[string]string{"t.yml": `{% firstof a b "c" %}`}, nil},
		{"a default-guarded branch may use the name", map[string]string{"t.yml": `{% if suffix|default:"" %}-{{ suffix }}{% elif other|default:false and x|default:0 %}{{ other }}{{ x }}{% endif %}`}, nil},
		{"the guard does not cover else", map[string]string{"t.yml": `{% if s|default:"" %}{% else %}{{ s }}{% endif %}`},
			[]string{`t.yml:1:35: undefined variable "s"`}},
		{"the guard does not cover what follows", map[string]string{"t.yml": `{% if s|default:"" %}{{ s }}{% endif %}{{ s }}`},
			[]string{`t.yml:1:43: undefined variable "s"`}},
		{"not and or guard nothing", map[string]string{"t.yml": `{% if not s|default:"" %}{{ s }}{% endif %}{% if a|default:0 or b %}{{ a }}{% endif %}`},
			[]string{`t.yml:1:29: undefined variable "s"`, `t.yml:1:65: undefined variable "b"`, `t.yml:1:72: undefined variable "a"`}},
		{"set binds after", map[string]string{"t.yml": "{% set v = x %}{{ v }}"}, nil},
		{"used before set", map[string]string{"t.yml": "{{ v }}\n{% set v = 1 %}"},
			[]string{"t.yml:1:4: v is used where it is not set: it is set at templates/t.yml:2"}},
		{"set in one branch only", map[string]string{"t.yml": "{% if c %}{% set v = 1 %}{% endif %}{{ v }}"},
			[]string{"t.yml:1:40: v is used where it is not set"}},
		{"set in all branches", map[string]string{"t.yml": "{% if c %}{% set v = 1 %}{% elif x %}{% set v = 2 %}{% else %}{% set v = 3 %}{% endif %}{{ v }}"}, nil},
		{"set in a loop does not leak", map[string]string{"t.yml": "{% for s in stages %}{% set v = s %}{{ v }}{% endfor %}{{ v }}"},
			[]string{"t.yml:1:59: v is used where it is not set"}},
		{"loop variables", map[string]string{"t.yml": "{% for k, v in m sorted %}{{ k }}{{ v }}{{ forloop.Counter }}{{ forloop.Parentloop }}{% endfor %}{{ k }}"},
			[]string{`t.yml:1:101: undefined variable "k"`}},
		{"forloop outside a loop", map[string]string{"t.yml": "{{ forloop.Counter }}"},
			[]string{"t.yml:1:4: forloop exists only inside {% for %}"}},
		{"with", map[string]string{"t.yml": "{% with a=x b=y|upper %}{{ a }}{{ b }}{% endwith %}{% with x as z %}{{ z }}{% endwith %}{{ a }}"},
			[]string{`t.yml:1:92: undefined variable "a"`}},
		{"cycle as", map[string]string{"t.yml": `{% for s in stages %}{% cycle "a" "b" as ab %}{{ ab }}{% endfor %}`}, nil},
		{"macro arguments and defaults", map[string]string{"t.yml": "{% macro st(n, kind=x) %}{{ n }}{{ kind }}{{ app_name }}{{ zz }}{% endmacro %}{{ st(1) }}"},
			[]string{`t.yml:1:60: undefined variable "zz"`}},
		{"macro recursion", map[string]string{"t.yml": "{% macro m(a) %}{{ m(a) }}{% endmacro %}{{ m(1) }}"},
			[]string{"t.yml:1:20: macro m calls itself; recursive macros are not supported"}},
		{"mutual recursion", map[string]string{"t.yml": "{% macro a() %}{{ b() }}{% endmacro %}{% macro b() %}{{ a() }}{% endmacro %}{{ a() }}"},
			[]string{"t.yml:1:19: macro a uses b, which is set only after the macro is defined"}},
		{"macro passed as a value", map[string]string{"t.yml": "{% macro a(f) %}{{ f(f) }}{% endmacro %}{{ a(a) }}"},
			[]string{"t.yml:1:20: f is not a macro", "t.yml:1:46: a is a macro; macros can only be called"}},
		{"macro aliased by set", map[string]string{"t.yml": "{% macro a() %}x{% endmacro %}{% set b = a %}"},
			[]string{"t.yml:1:42: a is a macro; macros can only be called"}},
		{"calling data", map[string]string{"t.yml": "{{ x() }}"},
			[]string{"t.yml:1:4: x is not a macro defined before this line"}},
		{"macro calls an earlier macro", map[string]string{"t.yml": "{% macro a() %}A{% endmacro %}{% macro b() %}{{ a() }}B{% endmacro %}{{ b() }}"}, nil},
		{"pipeline_id", map[string]string{"t.yml": `{{ pipeline_id("x") }} {{ pipeline_id(app_name, "y") }}`}, nil},
		{"pipeline_id not called", map[string]string{"t.yml": `{{ pipeline_id }}`},
			[]string{"t.yml:1:4: pipeline_id is a function"}},
		{"include sees the include site", map[string]string{
			"t.yml":   "{% for s in stages %}{% set v = 1 %}{% include \"inc.yml\" with extra=x %}{% endfor %}",
			"inc.yml": "{{ s }}{{ v }}{{ extra }}{{ forloop.Counter }}{{ app_name }}{{ zz }}"},
			[]string{`inc.yml:1:64: undefined variable "zz"`}},
		{"include only", map[string]string{
			"t.yml":   `{% include "inc.yml" with a=x only %}`,
			"inc.yml": `{{ a }}{{ app_name }}{{ pipeline_id("p") }}{{ opt|default:"" }}`},
			[]string{`inc.yml:1:11: app_name is not passed to this template: it is included with "only"`,
				`inc.yml:1:25: pipeline_id is not available in a template included with "only"`}},
		{"include inside a macro cannot call the macro", map[string]string{
			"t.yml":   "{% macro m() %}{% include \"inc.yml\" %}{% endmacro %}{{ m() }}",
			"inc.yml": "{{ m() }}"},
			[]string{"inc.yml:1:4: m is used where it is not set: it is set at templates/t.yml:1"}},
		{"include by template name", map[string]string{"t.yml": `{% include "parts/stage" %}`, "parts/stage.yml.j2": "{{ zz }}"},
			[]string{`parts/stage.yml.j2:1:4: undefined variable "zz"`}},
		{"missing include", map[string]string{"t.yml": "a: 1\n{% include \"stagez\" %}", "stages.yml": ""},
			[]string{`t.yml:2:12: no such template "stagez" in templates (closest: stages, t)`}},
		{"missing include if_exists", map[string]string{"t.yml": `{% include "nope.yml" if_exists %}ok`}, nil},
		{"variable include", map[string]string{"t.yml": `{% include name %}`},
			[]string{"t.yml:1:1: {% include %} needs the file name as a string literal"}},
		{"import", map[string]string{
			"t.yml":   "{% import \"lib.yml\" st, hd as header %}{{ header() }}{{ st(1) }}{{ nope() }}",
			"lib.yml": "{% macro st(n) export %}{{ n }}{{ app_name }}{{ zz }}{% endmacro %}{% macro hd() export %}h{% endmacro %}"},
			[]string{"t.yml:1:68: nope is not a macro defined before this line", `lib.yml:1:49: undefined variable "zz"`}},
		{"import of an unexported macro", map[string]string{
			"t.yml":   `{% import "lib.yml" st %}{{ st() }}`,
			"lib.yml": "{% macro st() %}x{% endmacro %}"},
			[]string{`t.yml:1:21: templates/lib.yml has no exported macro "st"`}},
		{"extends uses the parent's scope", map[string]string{
			"t.yml":    "{% extends \"base.yml\" %}{% block item %}{{ s }}{{ forloop.Counter }}{{ zz }}{% endblock %}",
			"base.yml": "{% for s in stages %}{% block item %}{{ unused_default }}{% endblock %}{% endfor %}{{ app_name }}"},
			[]string{`t.yml:1:72: undefined variable "zz"`}},
		{"extends with block.Super", map[string]string{
			"t.yml":    "{% extends \"base.yml\" %}{% block b %}{{ block.Super }}{% endblock %}",
			"base.yml": "{% block b %}{{ from_base }}{% endblock %}"},
			[]string{`base.yml:1:17: undefined variable "from_base"`}},
		{"three-level extends", map[string]string{
			"t.yml":    "{% extends \"mid.yml\" %}{% block inner %}leaf {{ leaf_var }}{% endblock %}",
			"mid.yml":  "{% extends \"base.yml\" %}{% block outer %}mid {% block inner %}{{ mid_unused }}{% endblock %}{% endblock %}",
			"base.yml": "root {% block outer %}{{ base_unused }}{% endblock %}"},
			[]string{`t.yml:1:49: undefined variable "leaf_var"`}},
		{"content outside blocks in a child", map[string]string{
			"t.yml":    "{% extends \"base.yml\" %}\nlost: {{ x }}\n{% block b %}{% endblock %}",
			"base.yml": "{% block b %}{% endblock %}"},
			[]string{"t.yml:2:1: this is outside any {% block %}", "t.yml:2:7: this is outside any {% block %}"}},
		{"block.Super outside a block", map[string]string{"t.yml": "{{ block.Super }}"},
			[]string{"t.yml:1:4: block.Super exists only inside {% block %}"}},
		{"errors in two files are ordered by first visit", map[string]string{
			"t.yml":   "{{ loop.index }}\n{% include \"inc.yml\" %}\n{{ True }}",
			"inc.yml": "{{ None }}"},
			[]string{"t.yml:1:4: loop.index exists only inside", "t.yml:3:4: True is written true", "inc.yml:1:4: None is not a pongo2 literal"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, _ := newTestEngine(t, tt.files)
			want := make([]string, len(tt.want))
			copy(want, tt.want)
			checkProblems(t, e, "t.yml", want)
		})
	}
}

func TestCheckUsesDefinedList(t *testing.T) {
	e, _ := newTestEngine(t, map[string]string{"t.yml": "{{ a }} {{ b }} {{ b }} {{ c|default:1 }}"})
	if errs := e.Check("t", []string{"a", "b"}); len(errs) != 0 {
		t.Errorf("Check with all defined: %v", errs)
	}
	errs := errStrings(e.Check("t", []string{"a"}))
	if len(errs) != 1 || !strings.HasPrefix(errs[0], `templates/t.yml:1:12: undefined variable "b"`) {
		t.Errorf("Check reports each undefined name once at its first use: %v", errs)
	}
	errs = errStrings(e.Check("nope", nil))
	if len(errs) != 1 || !strings.Contains(errs[0], `template "nope" not found`) {
		t.Errorf("Check of a missing template: %v", errs)
	}
}
