package importer

import (
	"bytes"
	"encoding/json"
	"fmt"
	"path"
	"reflect"
	"sort"
	"strings"
	"unicode"

	"github.com/pipegen/pipegen/pkg/services"
)

// Pipeline is a stored pipeline on its way into a template: its tree without the fields
// pipegen or the server set, references to other pipelines already made by name.
type Pipeline struct {
	ID, Name string
	Tree     *Node
	Place    Placement
}

// Entry is one pipeline entry of the service file.
type Entry struct {
	Stack, Key, Template string
	ID, Name             string // the stored pipeline it renders
	Vars                 *Node  // an object, or nil
}

// Template is one template file and the entries that use it.
type Template struct {
	Name    string // as entries name it: imported/APP/KEY
	Text    []byte
	Entries []*Entry
	// Reused: an earlier import's template, unchanged; only entries are new.
	Reused bool
}

// Existing is a template an earlier import wrote and the stored pipelines it renders, in the
// order that import wrote their entries.
type Existing struct {
	Name    string
	Text    []byte // the file as it is now
	Key     string
	Members []*Pipeline
}

// Options shape Build.
type Options struct {
	App string
	// UsedKeys are the keys each stack already has; UsedTemplates the template names taken.
	// Build adds what it uses to both.
	UsedKeys      map[string]map[string]bool
	UsedTemplates map[string]bool
	// NoVerbatim: the templates are rendered with trim_blocks or lstrip_blocks (Emitter).
	NoVerbatim bool
	// Existing templates a new pipeline may use too, when it fits one without changing it.
	Existing []*Existing
}

// Dir is the folder, inside the templates folder, imported templates go to.
const Dir = "imported"

// Build makes templates for pipelines: one per group of pipelines that share a base name in
// several stacks and differ only in a few values (those become variables set per entry), one
// for each other pipeline.
func Build(ps []*Pipeline, opt Options) ([]*Template, error) {
	if opt.UsedKeys == nil {
		opt.UsedKeys = map[string]map[string]bool{}
	}
	if opt.UsedTemplates == nil {
		opt.UsedTemplates = map[string]bool{}
	}
	type groupKey struct {
		base, sep string
		prefix    bool
	}
	groups := map[groupKey][]*Pipeline{}
	var order []groupKey
	var singles []*Pipeline
	for _, p := range ps {
		if p.Place.Base == "" {
			singles = append(singles, p)
			continue
		}
		k := groupKey{p.Place.cut.base, p.Place.cut.sep, p.Place.cut.prefix}
		if _, seen := groups[k]; !seen {
			order = append(order, k)
		}
		groups[k] = append(groups[k], p)
	}
	var out []*Template
	for _, k := range order {
		g := groups[k]
		if t, err := opt.reuse(g); err != nil || t != nil {
			if err != nil {
				return nil, err
			}
			out = append(out, t)
			continue
		}
		if len(g) >= 2 {
			if t, ok := unify(g); ok {
				tmpl, err := opt.finish(t, g, k.base)
				if err != nil {
					return nil, err
				}
				out = append(out, tmpl)
				continue
			}
		}
		singles = append(singles, g...)
	}
	for _, p := range singles {
		base := p.Name
		if p.Place.Base != "" {
			base = p.Place.Base
		}
		tmpl, err := opt.finish(&unified{tree: p.Tree}, []*Pipeline{p}, base)
		if err != nil {
			return nil, err
		}
		out = append(out, tmpl)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

func (opt Options) finish(u *unified, g []*Pipeline, base string) (*Template, error) {
	key := Slug(base)
	for i := 2; ; i++ {
		free := true
		for _, p := range g {
			if opt.UsedKeys[strings.ToLower(p.Place.Stack)][strings.ToLower(key)] {
				free = false
			}
		}
		if free {
			break
		}
		key = fmt.Sprintf("%s-%d", Slug(base), i)
	}
	tname := Slug(base)
	if len(g) == 1 {
		tname = Slug(g[0].Name)
	}
	name := path.Join(Dir, opt.App, tname)
	for i := 2; opt.UsedTemplates[strings.ToLower(name)]; i++ {
		name = path.Join(Dir, opt.App, fmt.Sprintf("%s-%d", tname, i))
	}
	opt.UsedTemplates[strings.ToLower(name)] = true
	text, err := EmitDocument(u.tree, true, opt.NoVerbatim)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", g[0].Name, err)
	}
	text = append([]byte(header(opt.App, u.vars)), text...)
	t := &Template{Name: name, Text: text}
	opt.addEntries(t, u, g, 0, key)
	return t, nil
}

// reuse returns the entries of g on an existing template that the pipelines of g and the
// template's own pipelines unify into exactly as it is written now: the file stays untouched.
func (opt Options) reuse(g []*Pipeline) (*Template, error) {
	for _, ex := range opt.Existing {
		if len(ex.Members) == 0 || !sameGroup(ex.Members[0].Place.cut, g[0].Place.cut) {
			continue
		}
		free := true
		for _, p := range g {
			free = free && p.Place.Base != "" && !opt.UsedKeys[strings.ToLower(p.Place.Stack)][strings.ToLower(ex.Key)]
		}
		if !free {
			continue
		}
		all := append(append([]*Pipeline(nil), ex.Members...), g...)
		u, ok := unify(all)
		if !ok {
			continue
		}
		text, err := EmitDocument(u.tree, true, opt.NoVerbatim)
		if err != nil {
			return nil, err
		}
		if !bytes.Equal(append([]byte(header(opt.App, u.vars)), text...), ex.Text) {
			continue
		}
		t := &Template{Name: ex.Name, Text: ex.Text, Reused: true}
		opt.addEntries(t, u, g, len(ex.Members), ex.Key)
		return t, nil
	}
	return nil, nil
}

func sameGroup(a, b affix) bool { return a.base == b.base && a.sep == b.sep && a.prefix == b.prefix }

// addEntries adds the entries of g to t; g's variable values start at offset in u.
func (opt Options) addEntries(t *Template, u *unified, g []*Pipeline, offset int, key string) {
	for i, p := range g {
		stack := strings.ToLower(p.Place.Stack)
		if opt.UsedKeys[stack] == nil {
			opt.UsedKeys[stack] = map[string]bool{}
		}
		opt.UsedKeys[stack][strings.ToLower(key)] = true
		e := &Entry{Stack: p.Place.Stack, Key: key, Template: t.Name, ID: p.ID, Name: p.Name}
		if len(u.vars) > 0 {
			e.Vars = &Node{Kind: Object, Map: map[string]*Node{}}
			for _, v := range u.vars {
				e.Vars.Keys = append(e.Vars.Keys, v.name)
				e.Vars.Map[v.name] = v.values[offset+i]
			}
		}
		t.Entries = append(t.Entries, e)
	}
}

func header(app string, vars []*variable) string {
	h := fmt.Sprintf("# Imported by `pipegen import --service %s`.\n", app)
	if len(vars) > 0 {
		names := make([]string, len(vars))
		for i, v := range vars {
			names[i] = v.name
		}
		h += "# Set per stack in the service file: " + strings.Join(names, ", ") + ".\n"
	}
	return h
}

// variable is a value that differs between the pipelines of a group.
type variable struct {
	name   string
	values []*Node // one per pipeline of the group
}

type unified struct {
	tree   *Node
	vars   []*variable
	leaves int
}

// unify makes one tree for pipelines of several stacks, or reports that their shapes differ
// (other keys, other list lengths) or that too many values differ for one template to help.
func unify(g []*Pipeline) (*unified, bool) {
	u := &unified{}
	stacks := make([]string, len(g))
	trees := make([]*Node, len(g))
	for i, p := range g {
		stacks[i], trees[i] = p.Place.Stack, p.Tree
	}
	t, ok := u.walk(trees, stacks, nil)
	// "A few values": up to a quarter of them (at least three, at most twenty).
	if !ok || len(u.vars) > min(20, max(3, u.leaves/4)) {
		return nil, false
	}
	u.tree = t
	return u, true
}

func (u *unified) walk(ns []*Node, stacks []string, at []string) (*Node, bool) {
	first := ns[0]
	for _, n := range ns[1:] {
		if n.Kind != first.Kind || (n.Ref == nil) != (first.Ref == nil) {
			return nil, false
		}
	}
	switch first.Kind {
	case Object:
		out := &Node{Kind: Object, Map: map[string]*Node{}, Keys: first.Keys}
		for _, n := range ns[1:] {
			if len(n.Keys) != len(first.Keys) {
				return nil, false
			}
		}
		for _, k := range first.Keys {
			kids := make([]*Node, len(ns))
			for i, n := range ns {
				if kids[i] = n.Map[k]; kids[i] == nil {
					return nil, false
				}
			}
			c, ok := u.walk(kids, stacks, append(at, label(first, k)))
			if !ok {
				return nil, false
			}
			out.Map[k] = c
		}
		return out, true
	case Array:
		out := &Node{Kind: Array, List: make([]*Node, len(first.List))}
		for _, n := range ns[1:] {
			if len(n.List) != len(first.List) {
				return nil, false
			}
		}
		for i := range first.List {
			kids := make([]*Node, len(ns))
			for j, n := range ns {
				kids[j] = n.List[i]
			}
			c, ok := u.walk(kids, stacks, append(at, itemLabel(first.List[i], i, stacks[0])))
			if !ok {
				return nil, false
			}
			out.List[i] = c
		}
		return out, true
	}
	u.leaves++
	same := true
	for _, n := range ns[1:] {
		if !sameScalar(n, first) {
			same = false
		}
	}
	if same {
		return first, true
	}
	if first.Ref != nil {
		vals := make([]*Node, len(ns))
		for i, n := range ns {
			if n.Ref.App != first.Ref.App || n.Ref.SameApp != first.Ref.SameApp {
				return nil, false
			}
			vals[i] = &Node{Kind: Scalar, Scalar: n.Ref.Name}
		}
		v := u.variable(at, vals)
		expr := "pipeline_id(" + v + ")"
		if !first.Ref.SameApp {
			expr = "pipeline_id(" + strLit(first.Ref.App) + ", " + v + ")"
		}
		return &Node{Kind: Scalar, Scalar: &Tmpl{String: true, Parts: []Part{{Expr: expr}}}}, true
	}
	strs := make([]string, len(ns))
	allStr := true
	for i, n := range ns {
		s, ok := n.Scalar.(string)
		allStr = allStr && ok
		strs[i] = s
	}
	if allStr {
		if parts, ok := byStack(strs, stacks); ok {
			return &Node{Kind: Scalar, Scalar: &Tmpl{String: true, Parts: parts}}, true
		}
	}
	v := u.variable(at, ns)
	return &Node{Kind: Scalar, Scalar: &Tmpl{String: allStr, Parts: []Part{{Expr: v}}}}, true
}

const sentinel = "\x00"

// byStack writes values that differ only where each says its own stack as one string with
// {{ stack }} in those places.
func byStack(vals, stacks []string) ([]Part, bool) {
	var common string
	for i, v := range vals {
		if stacks[i] == "" || strings.Contains(v, sentinel) {
			return nil, false
		}
		r := strings.ReplaceAll(v, stacks[i], sentinel)
		if i == 0 {
			common = r
		} else if r != common {
			return nil, false
		}
	}
	if !strings.Contains(common, sentinel) {
		return nil, false
	}
	var parts []Part
	for i, lit := range strings.Split(common, sentinel) {
		if i > 0 {
			parts = append(parts, Part{Expr: "stack"})
		}
		if lit != "" {
			parts = append(parts, Part{Lit: lit})
		}
	}
	return parts, true
}

// variable returns the variable holding vals, making one named after where it is used.
func (u *unified) variable(at []string, vals []*Node) string {
	for _, v := range u.vars {
		if reflect.DeepEqual(scalars(v.values), scalars(vals)) {
			return v.name
		}
	}
	// The key's own name when it says enough (replicas, account), else with where it is.
	base := snake(at[len(at)-1])
	if generic[base] || isNumber(at[len(at)-1]) || u.hasVar(base) {
		base = varName(at)
	}
	name := base
	for i := 2; u.hasVar(name); i++ {
		name = fmt.Sprintf("%s_%d", base, i)
	}
	u.vars = append(u.vars, &variable{name: name, values: vals})
	return name
}

func (u *unified) hasVar(name string) bool {
	for _, v := range u.vars {
		if v.name == name {
			return true
		}
	}
	return !services.ValidVarName(name) || name == "pipeline_id"
}

func scalars(ns []*Node) []any {
	out := make([]any, len(ns))
	for i, n := range ns {
		out[i] = n.Scalar
	}
	return out
}

func sameScalar(a, b *Node) bool {
	if a.Ref != nil || b.Ref != nil {
		return a.Ref != nil && b.Ref != nil && *a.Ref == *b.Ref
	}
	an, aNum := a.Scalar.(json.Number)
	bn, bNum := b.Scalar.(json.Number)
	if aNum || bNum {
		return aNum && bNum && an == bn
	}
	return a.Scalar == b.Scalar
}

// label names an object member in a variable name; itemLabel names a list item by what
// identifies it (a stage's refId, an artifact's displayName), else its position.
func label(_ *Node, k string) string { return k }

func itemLabel(n *Node, i int, stack string) string {
	for _, k := range []string{"refId", "displayName", "name"} {
		if s, ok := n.Get(k).Str(); ok && s != "" && stack != "" {
			// The label is the same for every stack: "x-dev-values" is "x-stack-values".
			return strings.ReplaceAll(s, stack, "stack")
		} else if ok && s != "" {
			return s
		}
	}
	return fmt.Sprintf("%d", i+1)
}

// varName makes a variable name from the last two steps of a path: stages[refId=deploy].account
// gives deploy_account.
func varName(at []string) string {
	// The last two named steps, and any numbered step between them (triggers_1_id).
	start, named := len(at), 0
	for start > 0 && named < 2 {
		start--
		if !isNumber(at[start]) {
			named++
		}
	}
	at = at[start:]
	var parts []string
	for _, a := range at {
		if s := snake(a); s != "" {
			parts = append(parts, s)
		}
	}
	name := strings.Join(parts, "_")
	if name == "" || unicode.IsDigit(rune(name[0])) {
		name = "v_" + name
	}
	return strings.TrimSuffix(name, "_")
}

// snake turns camelCase and other text into snake_case letters, digits and _.
func snake(s string) string {
	var b strings.Builder
	prevLower := false
	for _, r := range s {
		switch {
		case r < unicode.MaxASCII && unicode.IsUpper(r):
			if prevLower {
				b.WriteByte('_')
			}
			b.WriteRune(unicode.ToLower(r))
			prevLower = false
		case r < unicode.MaxASCII && (unicode.IsLower(r) || unicode.IsDigit(r)):
			b.WriteRune(r)
			prevLower = true
		default:
			if b.Len() > 0 && !strings.HasSuffix(b.String(), "_") {
				b.WriteByte('_')
			}
			prevLower = false
		}
	}
	return strings.Trim(b.String(), "_")
}

// Slug turns a pipeline name into an identity key or file name: lower-case letters and
// digits, other runs of characters folded into one "-".
func Slug(name string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(name) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
			dash = false
		} else if b.Len() > 0 && !dash {
			b.WriteByte('-')
			dash = true
		}
	}
	s := strings.TrimRight(b.String(), "-")
	if len(s) > 60 {
		s = strings.TrimRight(s[:60], "-")
	}
	if s == "" {
		s = "pipeline"
	}
	return s
}

func isNumber(s string) bool {
	return s != "" && strings.IndexFunc(s, func(r rune) bool { return r < '0' || r > '9' }) < 0
}

// generic are key names that say too little as a variable's name on their own.
var generic = map[string]bool{"id": true, "name": true, "type": true, "value": true, "enabled": true, "key": true}
