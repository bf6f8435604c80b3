package importer

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/big"
	"regexp"
	"sort"
	"strings"

	"github.com/pipegen/pipegen/pkg/yamldoc"
)

// Tmpl is a template expression standing for a scalar: a string made of literal text and
// printed expressions (String), or one expression printed as JSON (a number, a boolean, null).
type Tmpl struct {
	Parts  []Part
	String bool
}

// Part is literal text or an expression (`stack`, `pipeline_id("deploy")`).
type Part struct {
	Lit, Expr string
}

// leadKeys come first in every object, in this order: how the UI's JSON view and stage
// editor lead with them. The rest keeps the stored order, except the top level's sections.
var leadKeys = []string{"name", "refId", "type", "requisiteStageRefIds"}

// tailKeys end a pipeline: its configuration sections in the order the UI's configuration
// screen shows them, then the stages.
var tailKeys = []string{"expectedArtifacts", "triggers", "parameterConfig", "notifications", "stages"}

// orderedKeys is n's keys in the order a template writes them.
func orderedKeys(n *Node, top bool) []string {
	rank := func(k string) int {
		for i, l := range leadKeys {
			if k == l {
				return i - len(leadKeys)
			}
		}
		if top {
			for i, t := range tailKeys {
				if k == t {
					return i + 1
				}
			}
		}
		return 0
	}
	keys := append([]string(nil), n.Keys...)
	sort.SliceStable(keys, func(i, j int) bool { return rank(keys[i]) < rank(keys[j]) })
	return keys
}

// Emitter writes YAML. With Template set, the text is a pongo2 template: literal text that
// pongo2 would read as a tag is protected, and Tmpl leaves print their expressions.
type Emitter struct {
	Template bool
	// NoVerbatim writes tag syntax with escapes instead of {% verbatim %}: with Jinja's
	// trim_blocks or lstrip_blocks on, a block tag would also eat the newline after it or
	// the indentation before it.
	NoVerbatim bool
	b          strings.Builder
	err        error
}

// EmitDocument writes a pipeline object as a template (or plain YAML with template false).
func EmitDocument(n *Node, template, noVerbatim bool) ([]byte, error) {
	e := &Emitter{Template: template, NoVerbatim: noVerbatim}
	if n.Kind != Object {
		return nil, fmt.Errorf("not an object")
	}
	e.mapping(n, 0, "", true)
	if e.err != nil {
		return nil, e.err
	}
	return []byte(e.b.String()), nil
}

// EmitMapping writes the members of an object at an indentation (for a service file's vars).
func EmitMapping(n *Node, indent int) (string, error) {
	e := &Emitter{}
	e.mapping(n, indent, "", false)
	return e.b.String(), e.err
}

func (e *Emitter) mapping(n *Node, indent int, first string, top bool) {
	for i, k := range orderedKeys(n, top) {
		if i == 0 && first != "" {
			e.b.WriteString(first)
		} else {
			e.b.WriteString(strings.Repeat(" ", indent))
		}
		e.b.WriteString(e.key(k))
		e.b.WriteString(":")
		e.afterKey(n.Map[k], indent)
	}
}

func (e *Emitter) afterKey(v *Node, indent int) {
	switch {
	case v.Kind == Object && len(v.Keys) == 0:
		e.b.WriteString(" {}\n")
	case v.Kind == Array && len(v.List) == 0:
		e.b.WriteString(" []\n")
	case v.Kind == Object:
		e.b.WriteString("\n")
		e.mapping(v, indent+2, "", false)
	case v.Kind == Array:
		e.b.WriteString("\n")
		e.sequence(v, indent+2)
	default:
		e.b.WriteString(" ")
		e.b.WriteString(e.scalar(v, indent+2))
		e.b.WriteString("\n")
	}
}

func (e *Emitter) sequence(n *Node, indent int) {
	pad := strings.Repeat(" ", indent)
	for _, it := range n.List {
		switch {
		case it.Kind == Object && len(it.Keys) == 0:
			e.b.WriteString(pad + "- {}\n")
		case it.Kind == Array && len(it.List) == 0:
			e.b.WriteString(pad + "- []\n")
		case it.Kind == Object:
			e.mapping(it, indent+2, pad+"- ", false)
		case it.Kind == Array:
			e.b.WriteString(pad + "-\n")
			e.sequence(it, indent+2)
		default:
			e.b.WriteString(pad + "- ")
			e.b.WriteString(e.scalar(it, indent+2))
			e.b.WriteString("\n")
		}
	}
}

// tagRe finds text pongo2 reads as the start of a tag, a print or a comment.
var tagRe = regexp.MustCompile(`\{[{%#]`)

var endVerbatimRe = regexp.MustCompile(`\{%-?\s*endverbatim\s*-?%\}`)

// protect makes YAML text survive a pongo2 render unchanged: {% verbatim %} around text that
// has tag syntax in it. ok is false when verbatim cannot hold the text (it has its own end tag).
func (e *Emitter) protect(text string) (string, bool) {
	if !e.Template || !tagRe.MatchString(text) {
		return text, true
	}
	if e.NoVerbatim || endVerbatimRe.MatchString(text) {
		return "", false
	}
	return "{% verbatim %}" + text + "{% endverbatim %}", true
}

func (e *Emitter) key(k string) string {
	text := quoted(k)
	if plainKeyOK(k) {
		text = k
	}
	if p, ok := e.protect(text); ok {
		return p
	}
	return escapeBraces(quoted(k))
}

// scalar is a scalar's text; block scalars continue on lines indented by indent.
func (e *Emitter) scalar(n *Node, indent int) string {
	if n.Ref != nil {
		return tmplText(&Tmpl{String: true, Parts: []Part{{Expr: n.Ref.Expr()}}})
	}
	switch v := n.Scalar.(type) {
	case nil:
		return "null"
	case bool:
		if v {
			return "true"
		}
		return "false"
	case json.Number:
		if numberOK(v) {
			return v.String()
		}
		e.fail(fmt.Errorf("the number %s cannot be written so that it reads back the same", v))
		return "0"
	case string:
		return e.str(v, indent)
	case *Tmpl:
		return tmplText(v)
	}
	e.fail(fmt.Errorf("cannot write a %T", n.Scalar))
	return ""
}

func (e *Emitter) fail(err error) {
	if e.err == nil {
		e.err = err
	}
}

// str picks the most readable style that reads back as exactly s: a literal block for text
// with line breaks, plain when nothing in s needs quoting, else double quotes.
func (e *Emitter) str(s string, indent int) string {
	candidates := []string{}
	if strings.Contains(s, "\n") {
		if blk, ok := literalBlock(s, indent); ok {
			candidates = append(candidates, blk)
		}
	} else if plainOK(s) {
		candidates = append(candidates, s)
	}
	for _, c := range candidates {
		if p, ok := e.protect(c); ok {
			return p
		}
	}
	q := quoted(s)
	if p, ok := e.protect(q); ok {
		return p
	}
	return escapeBraces(q)
}

// escapeBraces writes a "{" that starts tag syntax as the escape \u007B: inside YAML double
// quotes it is the same character, and pongo2 no longer sees a tag.
func escapeBraces(q string) string {
	return tagRe.ReplaceAllStringFunc(q, func(m string) string { return `\u007B` + m[1:] })
}

// quoted is s as a YAML double-quoted scalar. JSON's escapes are YAML's too; YAML also wants
// DEL and the C1 controls escaped, which JSON leaves raw.
func quoted(s string) string {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)
	out := strings.TrimSuffix(buf.String(), "\n")
	if strings.IndexFunc(out, func(r rune) bool { return r >= 0x7f && r <= 0x9f || r == 0xfeff }) < 0 {
		return out
	}
	var b strings.Builder
	for _, r := range out {
		if r >= 0x7f && r <= 0x9f || r == 0xfeff {
			fmt.Fprintf(&b, `\u%04X`, r)
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// tmplText is a Tmpl as template text.
func tmplText(t *Tmpl) string {
	if !t.String {
		return "{{ " + t.Parts[0].Expr + "|tojson }}"
	}
	var b strings.Builder
	b.WriteString(`"`)
	for i, p := range t.Parts {
		if p.Expr != "" {
			b.WriteString("{{ " + p.Expr + " }}")
			continue
		}
		lit := strings.TrimSuffix(strings.TrimPrefix(quoted(p.Lit), `"`), `"`)
		lit = escapeBraces(lit)
		// A "{" just before a printed expression would make "{{{": write it escaped.
		if strings.HasSuffix(lit, "{") && i+1 < len(t.Parts) {
			lit = strings.TrimSuffix(lit, "{") + `\u007B`
		}
		b.WriteString(lit)
	}
	b.WriteString(`"`)
	return b.String()
}

// Expr is the pipeline_id call that names the pipeline.
func (r *PipelineRef) Expr() string {
	if r.SameApp {
		return "pipeline_id(" + strLit(r.Name) + ")"
	}
	return "pipeline_id(" + strLit(r.App) + ", " + strLit(r.Name) + ")"
}

// strLit is a pongo2 string literal; callers only pass text that needs no escapes (CanLiteral).
func strLit(s string) string { return `"` + s + `"` }

// CanLiteral reports whether s can be written as a pongo2 string literal as it is.
func CanLiteral(s string) bool {
	for _, r := range s {
		if r == '"' || r == '\\' || r < 0x20 || r == 0x7f {
			return false
		}
	}
	return !tagRe.MatchString(s) && !strings.Contains(s, "}}") && !strings.Contains(s, "%}")
}

func literalBlock(s string, indent int) (string, bool) {
	body := strings.TrimRight(s, "\n")
	trailing := len(s) - len(body)
	if body == "" || strings.HasPrefix(strings.TrimLeft(body, "\n"), " ") || strings.ContainsAny(s, "\r\t") {
		return "", false
	}
	chomp := "-"
	switch {
	case trailing == 1:
		chomp = ""
	case trailing > 1:
		chomp = "+"
	}
	pad := strings.Repeat(" ", indent)
	var b strings.Builder
	b.WriteString("|" + chomp)
	for _, line := range strings.Split(strings.TrimSuffix(s, "\n"), "\n") {
		b.WriteString("\n")
		if line != "" {
			b.WriteString(pad + line)
		}
	}
	text := b.String()
	// The block reads back through the YAML reader templates go through, at this indentation.
	doc := strings.Repeat(" ", max(indent-2, 0)) + "k: " + text + "\n"
	v, err := yamldoc.Decode([]byte(doc))
	if m, ok := v.(map[string]any); err != nil || !ok || m["k"] != s {
		return "", false
	}
	return text, true
}

// plainOK reports whether s, written without quotes, reads back as the string s.
func plainOK(s string) bool {
	if s == "" || strings.TrimSpace(s) != s || strings.ContainsAny(s, "\"'\\\t\r\n") {
		return false
	}
	v, err := yamldoc.Decode([]byte("k: " + s + "\n"))
	m, ok := v.(map[string]any)
	return err == nil && ok && len(m) == 1 && m["k"] == s
}

func plainKeyOK(k string) bool {
	if k == "" || strings.TrimSpace(k) != k || strings.ContainsAny(k, "\"'\\\t\r\n") {
		return false
	}
	v, err := yamldoc.Decode([]byte(k + ": 0\n"))
	m, ok := v.(map[string]any)
	if err != nil || !ok || len(m) != 1 {
		return false
	}
	_, has := m[k]
	return has
}

// numberOK reports whether a JSON number written plain reads back as the same number.
func numberOK(n json.Number) bool {
	v, err := yamldoc.Decode([]byte("k: " + n.String() + "\n"))
	m, ok := v.(map[string]any)
	if err != nil || !ok {
		return false
	}
	// The same number, maybe spelt otherwise (-0 reads as 0): what Front50's reader and
	// pipegen's diff see.
	back, isNum := m["k"].(json.Number)
	x, okx := new(big.Float).SetString(n.String())
	y, oky := new(big.Float).SetString(string(back))
	return isNum && okx && oky && x.Cmp(y) == 0 && strings.ContainsAny(string(back), ".eE") == strings.ContainsAny(n.String(), ".eE")
}
