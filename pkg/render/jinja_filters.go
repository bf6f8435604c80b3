package render

import (
	"errors"
	"fmt"
	"math"
	"reflect"
	"sort"
	"strconv"
	"strings"

	"github.com/flosch/pongo2/v6"
)

// Jinja2's filter call syntax, x|replace("a", "b"), and its tests `is defined`, on pongo2.
// pongo2 filters take one argument after a colon, but that argument may be a function call,
// so x|replace("a", "b") is compiled as x|replace:_jinja_args("a", "b"): _jinja_args packs
// the arguments and the filter, seeing a packed argument, applies Jinja2's meaning. A filter
// written the pongo2 way (x|default:"a") keeps pongo2's meaning. `x is defined` is compiled
// as x|_defined, a replacement of the same length, so columns do not move.

const argsFunc = "_jinja_args"

// jargs are the arguments of a Jinja2-style filter call.
type jargs []*pongo2.Value

func packArgs(args ...*pongo2.Value) *pongo2.Value { return pongo2.AsValue(jargs(args)) }

// jinjaFilter is a filter implemented with Jinja2's meaning for the call syntax; pongo2 is
// the filter for the colon syntax (nil: none, the call syntax only).
type jinjaFilter struct {
	min, max int // argument counts accepted
	fn       func(in *pongo2.Value, args jargs) (*pongo2.Value, error)
}

var jinjaFilterTable = map[string]jinjaFilter{
	"default": {0, 2, jinjaDefault},
	"d":       {0, 2, jinjaDefault},
	"replace": {2, 3, jinjaReplace},
	"trim":    {0, 1, jinjaTrim},
	"indent":  {0, 3, jinjaIndent},
	"join":    {0, 1, jinjaJoin},
	"int":     {0, 1, jinjaInt},
	"float":   {0, 1, jinjaFloat},
	"string":  {0, 0, func(in *pongo2.Value, _ jargs) (*pongo2.Value, error) { return pongo2.AsValue(pyStr(in)), nil }},
	"round":   {0, 1, jinjaRound},
	"abs":     {0, 0, jinjaAbs},
	"list":    {0, 0, jinjaList},
	"urlencode": {0, 0, func(in *pongo2.Value, _ jargs) (*pongo2.Value, error) {
		return pongo2.AsValue(pyQuoteURL(pyStr(in))), nil
	}},
	"sort":    {0, 2, jinjaSort},
	"reverse": {0, 0, jinjaReverse},
	"min":     {0, 0, func(in *pongo2.Value, _ jargs) (*pongo2.Value, error) { return jinjaExtreme(in, -1) }},
	"max":     {0, 0, func(in *pongo2.Value, _ jargs) (*pongo2.Value, error) { return jinjaExtreme(in, 1) }},
	"sum":     {0, 0, jinjaSum},
	"count":   {0, 0, func(in *pongo2.Value, _ jargs) (*pongo2.Value, error) { return pongo2.AsValue(in.Len()), nil }},
	"capitalize": {0, 0, func(in *pongo2.Value, _ jargs) (*pongo2.Value, error) {
		s := pyStr(in)
		if s == "" {
			return pongo2.AsValue(""), nil
		}
		r := []rune(strings.ToLower(s))
		return pongo2.AsValue(strings.ToUpper(string(r[0])) + string(r[1:])), nil
	}},
}

// registerJinjaFilters installs the table: a filter pongo2 already has keeps its colon form.
func registerJinjaFilters() error {
	for name, jf := range jinjaFilterTable {
		var colon pongo2.FilterFunction
		if pongo2.FilterExists(name) {
			// pongo2 exposes no getter; keep the builtin through a closure over a probe.
			colon = builtinFilter(name)
		}
		jf, name := jf, name
		fn := func(in *pongo2.Value, param *pongo2.Value) (*pongo2.Value, *pongo2.Error) {
			args, ok := param.Interface().(jargs)
			if !ok && param.IsNil() {
				args, ok = jargs{}, true // |name with no argument: the same in both syntaxes
			}
			if !ok {
				if colon == nil {
					return nil, &pongo2.Error{Sender: "filter:" + name, OrigError: fmt.Errorf("write %s with Jinja2's call syntax: |%s(…)", name, name)}
				}
				return colon(in, param)
			}
			if len(args) < jf.min || len(args) > jf.max {
				return nil, &pongo2.Error{Sender: "filter:" + name, OrigError: fmt.Errorf("%s takes %d to %d arguments, not %d", name, jf.min, jf.max, len(args))}
			}
			out, err := jf.fn(in, args)
			if err != nil {
				return nil, &pongo2.Error{Sender: "filter:" + name, OrigError: err}
			}
			return out, nil
		}
		var err error
		if pongo2.FilterExists(name) {
			err = pongo2.ReplaceFilter(name, fn)
		} else {
			err = pongo2.RegisterFilter(name, fn)
		}
		if err != nil {
			return err
		}
	}
	for name, fn := range textFilters {
		if err := pongo2.ReplaceFilter(name, fn); err != nil {
			return err
		}
	}
	for name, fn := range map[string]pongo2.FilterFunction{
		"_defined":   func(in, _ *pongo2.Value) (*pongo2.Value, *pongo2.Error) { return pongo2.AsValue(!in.IsNil()), nil },
		"_undefined": func(in, _ *pongo2.Value) (*pongo2.Value, *pongo2.Error) { return pongo2.AsValue(in.IsNil()), nil },
	} {
		if !pongo2.FilterExists(name) {
			if err := pongo2.RegisterFilter(name, fn); err != nil {
				return err
			}
		}
	}
	return nil
}

// builtinFilter is the colon form of a pongo2 filter the table replaces: pongo2 has no way to
// read its registry, so the few it has are written again with pongo2's meaning.
func builtinFilter(name string) pongo2.FilterFunction {
	return pongo2Colon[name]
}

var pongo2Colon = map[string]pongo2.FilterFunction{
	// pongo2's default replaces every false value (Jinja2's default(x, true)).
	"default": func(in, param *pongo2.Value) (*pongo2.Value, *pongo2.Error) {
		if !in.IsTrue() {
			return param, nil
		}
		return in, nil
	},
	"join": func(in, param *pongo2.Value) (*pongo2.Value, *pongo2.Error) {
		if !in.CanSlice() {
			return in, nil
		}
		sep := param.String()
		parts := make([]string, 0, in.Len())
		for i := 0; i < in.Len(); i++ {
			parts = append(parts, in.Index(i).String())
		}
		return pongo2.AsValue(strings.Join(parts, sep)), nil
	},
	"float": func(in, _ *pongo2.Value) (*pongo2.Value, *pongo2.Error) { return pongo2.AsValue(in.Float()), nil },
}

// textFilters are pongo2's filters that turn a float into text, written again so the text is
// Python's ("a"|add:1.5 is "a1.5", not "a1.500000").
var textFilters = map[string]pongo2.FilterFunction{
	"add": func(in, param *pongo2.Value) (*pongo2.Value, *pongo2.Error) {
		if in.IsNumber() && param.IsNumber() {
			if in.IsFloat() || param.IsFloat() {
				return pongo2.AsValue(in.Float() + param.Float()), nil
			}
			return pongo2.AsValue(in.Integer() + param.Integer()), nil
		}
		return pongo2.AsValue(valueText(in) + valueText(param)), nil
	},
	"stringformat": func(in, param *pongo2.Value) (*pongo2.Value, *pongo2.Error) {
		return pongo2.AsValue(fmt.Sprintf(param.String(), pyFloat(in))), nil
	},
}

// jinjaEdits returns the source changes that let pongo2 compile Jinja2's filter calls and
// definedness tests in one expression.
func jinjaEdits(toks []token) []edit {
	var out []edit
	for i := 0; i+2 < len(toks); i++ {
		t := toks[i]
		if t.is(tkSymbol, "|") && toks[i+1].kind == tkIdent && toks[i+2].is(tkSymbol, "(") && toks[i+2].col == toks[i+1].end {
			if _, ok := jinjaFilterTable[toks[i+1].val]; ok {
				out = append(out, edit{line: toks[i+2].line, col: toks[i+2].col, text: ":" + argsFunc})
			}
		}
	}
	for i := 0; i+2 < len(toks); i++ {
		if toks[i].is(tkIdent, "loop") && toks[i+1].is(tkSymbol, ".") && (i == 0 || !toks[i-1].is(tkSymbol, ".")) {
			if repl, ok := loopAttrEdits[toks[i+2].val]; ok && toks[i+2].line == toks[i].line {
				out = append(out, edit{line: toks[i].line, col: toks[i].col, text: repl, del: toks[i+2].end - toks[i].col})
			}
		}
	}
	for i := 1; i+1 < len(toks); i++ {
		if !toks[i].is(tkIdent, "is") || operandStart(&toks[i-1]) {
			continue
		}
		last, neg := i+1, false
		if toks[last].is(tkKeyword, "not") && last+1 < len(toks) {
			neg, last = true, last+1
		}
		var defined bool
		switch toks[last].val {
		case "defined":
			defined = true
		case "undefined":
		default:
			continue
		}
		if toks[last].line != toks[i].line {
			continue
		}
		name := "|_defined"
		if defined == neg {
			name = "|_undefined"
		}
		span := toks[last].end - toks[i].col
		if span < len(name) {
			continue
		}
		out = append(out, edit{line: toks[i].line, col: toks[i].col, text: name + strings.Repeat(" ", span-len(name)), del: span})
	}
	return out
}

// forElseEdits compiles Jinja2's {% for %}…{% else %} (run when the loop ran zero times) as
// pongo2's {% empty %}, which means the same.
func forElseEdits(nodes []*node) []edit {
	var out []edit
	for _, n := range nodes {
		for i, b := range n.branches {
			if i > 0 && n.name == "for" && b.tag == "else" && len(b.it.toks) > 0 {
				t := b.it.toks[0]
				out = append(out, edit{line: t.line, col: t.col, text: "empty", del: len("else")})
			}
			out = append(out, forElseEdits(b.body)...)
		}
	}
	return out
}

// loopAttrEdits maps Jinja2's loop variables to pongo2's forloop.
var loopAttrEdits = map[string]string{
	"index": "forloop.Counter", "index0": "forloop.Counter0", "revindex": "forloop.Revcounter",
	"revindex0": "forloop.Revcounter0", "first": "forloop.First", "last": "forloop.Last",
	"length": "forloop.Counter0|add:forloop.Revcounter",
}

// edit replaces del characters at line:col with text.
type edit struct {
	line, col int
	text      string
	del       int
}

func jinjaDefault(in *pongo2.Value, args jargs) (*pongo2.Value, error) {
	fallback := pongo2.AsValue("")
	if len(args) > 0 {
		fallback = args[0]
	}
	boolean := len(args) > 1 && args[1].IsTrue()
	if in.IsNil() || (boolean && !in.IsTrue()) {
		return fallback, nil
	}
	return in, nil
}

func jinjaReplace(in *pongo2.Value, args jargs) (*pongo2.Value, error) {
	s, old, repl := pyStr(in), pyStr(args[0]), pyStr(args[1])
	n := -1
	if len(args) > 2 {
		n = args[2].Integer()
	}
	if old == "" {
		// Python inserts the replacement between every character; strings.Replace does the same.
		return pongo2.AsValue(strings.Replace(s, old, repl, n)), nil
	}
	return pongo2.AsValue(strings.Replace(s, old, repl, n)), nil
}

func jinjaTrim(in *pongo2.Value, args jargs) (*pongo2.Value, error) {
	s := pyStr(in)
	if len(args) > 0 && !args[0].IsNil() {
		return layoutResult(in, strings.Trim(s, pyStr(args[0])))
	}
	return layoutResult(in, strings.TrimFunc(s, isPySpace))
}

// layoutResult is what a layout filter (|indent, |trim) gives for in: safe when in was, as
// Jinja2 keeps Markup, so that a macro's output, whose marks are placed where it lands, is
// not passed to the escape filter; any other text holding a mark is refused there.
func layoutResult(in *pongo2.Value, out string) (*pongo2.Value, error) {
	return layoutValue(isSafe(in), out), nil
}

func layoutValue(safe bool, out string) *pongo2.Value {
	if safe {
		return pongo2.AsSafeValue(out)
	}
	return pongo2.AsValue(out)
}

// isSafe reports whether v is marked safe (pongo2 keeps that unexported; TestIsSafe checks
// that this still reads it).
func isSafe(v *pongo2.Value) bool {
	if safeField == nil {
		return false
	}
	return reflect.ValueOf(v).Elem().FieldByIndex(safeField).Bool()
}

// safeField is where pongo2.Value keeps its safe flag, found once (nil if it is gone).
var safeField = func() []int {
	f, ok := reflect.TypeFor[pongo2.Value]().FieldByName("safe")
	if !ok || f.Type.Kind() != reflect.Bool {
		return nil
	}
	return f.Index
}()

func isPySpace(r rune) bool {
	switch r {
	case ' ', '\t', '\n', '\r', '\v', '\f', 0x1c, 0x1d, 0x1e, 0x1f, 0x85, 0xa0, 0x1680, 0x2028, 0x2029, 0x202f, 0x205f, 0x3000:
		return true
	}
	return r >= 0x2000 && r <= 0x200a
}

// jinjaIndent is Jinja2's indent(width=4, first=False, blank=False).
func jinjaIndent(in *pongo2.Value, args jargs) (*pongo2.Value, error) {
	s := pyStr(in)
	pad := "    "
	if len(args) > 0 {
		if args[0].IsString() {
			pad = args[0].String()
		} else {
			pad = strings.Repeat(" ", args[0].Integer())
		}
	}
	first := len(args) > 1 && args[1].IsTrue()
	blank := len(args) > 2 && args[2].IsTrue()
	newline := "\n"
	s += newline // Python's splitlines keeps a trailing empty line out; this mirrors Jinja2
	lines := strings.Split(s, "\n")
	lines = lines[:len(lines)-1]
	var b strings.Builder
	for i, l := range lines {
		if i > 0 {
			b.WriteString(newline)
		}
		if (i > 0 || first) && (blank || strings.TrimSpace(l) != "" || (l != "" && !blank && strings.TrimFunc(l, isPySpace) != "")) {
			b.WriteString(pad)
		}
		b.WriteString(l)
	}
	out := b.String()
	if strings.HasSuffix(pyStr(in), "\n") {
		out += "\n"
	}
	safe := isSafe(in)
	if safe && strings.IndexByte(pad, markNUL) >= 0 {
		return nil, errors.New("indent: the indentation must be a number or spaces, not a list or map")
	}
	return layoutValue(safe, out), nil
}

func jinjaJoin(in *pongo2.Value, args jargs) (*pongo2.Value, error) {
	sep := ""
	if len(args) > 0 {
		sep = pyStr(args[0])
	}
	if in.IsString() {
		return pongo2.AsValue(strings.Join(strings.Split(in.String(), ""), sep)), nil
	}
	if !in.CanSlice() {
		return nil, fmt.Errorf("join needs a list, not %s", pyStr(in))
	}
	parts := make([]string, 0, in.Len())
	for i := 0; i < in.Len(); i++ {
		parts = append(parts, pyStr(in.Index(i)))
	}
	return pongo2.AsValue(strings.Join(parts, sep)), nil
}

func jinjaInt(in *pongo2.Value, args jargs) (*pongo2.Value, error) {
	def := pongo2.AsValue(0)
	if len(args) > 0 {
		def = args[0]
	}
	switch {
	case in.IsInteger():
		return pongo2.AsValue(in.Integer()), nil
	case in.IsFloat():
		return pongo2.AsValue(int(in.Float())), nil
	case in.IsString():
		s := strings.TrimSpace(strings.ReplaceAll(in.String(), "_", ""))
		if i, err := strconv.ParseInt(s, 10, 64); err == nil {
			return pongo2.AsValue(i), nil
		}
		if f, err := strconv.ParseFloat(s, 64); err == nil && !math.IsInf(f, 0) && !math.IsNaN(f) {
			return pongo2.AsValue(int64(f)), nil
		}
	case in.IsBool():
		if in.IsTrue() {
			return pongo2.AsValue(1), nil
		}
		return pongo2.AsValue(0), nil
	}
	return def, nil
}

func jinjaFloat(in *pongo2.Value, args jargs) (*pongo2.Value, error) {
	def := pongo2.AsValue(number(0))
	if len(args) > 0 {
		def = args[0]
	}
	switch {
	case in.IsInteger() || in.IsFloat():
		return pongo2.AsValue(number(in.Float())), nil
	case in.IsString():
		if f, err := strconv.ParseFloat(strings.TrimSpace(in.String()), 64); err == nil {
			return pongo2.AsValue(number(f)), nil
		}
	}
	return def, nil
}

func jinjaRound(in *pongo2.Value, args jargs) (*pongo2.Value, error) {
	prec := 0
	if len(args) > 0 {
		prec = args[0].Integer()
	}
	if !in.IsInteger() && !in.IsFloat() {
		return nil, errors.New("round needs a number")
	}
	// Python's round: correctly rounded to prec decimals, ties to even, as FormatFloat does.
	f, err := strconv.ParseFloat(strconv.FormatFloat(in.Float(), 'f', max(prec, 0), 64), 64)
	if err != nil {
		return nil, err
	}
	return pongo2.AsValue(number(f)), nil
}

func jinjaAbs(in *pongo2.Value, _ jargs) (*pongo2.Value, error) {
	switch {
	case in.IsInteger():
		i := in.Integer()
		if i < 0 {
			i = -i
		}
		return pongo2.AsValue(i), nil
	case in.IsFloat():
		return pongo2.AsValue(number(math.Abs(in.Float()))), nil
	}
	return nil, errors.New("abs needs a number")
}

func jinjaList(in *pongo2.Value, _ jargs) (*pongo2.Value, error) {
	if in.IsString() {
		var out list
		for _, r := range in.String() {
			out = append(out, string(r))
		}
		return pongo2.AsValue(out), nil
	}
	if !in.CanSlice() {
		return nil, fmt.Errorf("list needs a list or a string, not %s", pyStr(in))
	}
	if d, isMap := in.Interface().(dict); isMap {
		out := make(list, 0, len(d))
		for k := range d {
			out = append(out, k)
		}
		sort.Slice(out, func(i, j int) bool { return out[i].(string) < out[j].(string) })
		return pongo2.AsValue(out), nil
	}
	out := make(list, 0, in.Len())
	for i := 0; i < in.Len(); i++ {
		out = append(out, in.Index(i).Interface())
	}
	return pongo2.AsValue(out), nil
}

// pyStr is str(value) as Jinja2 prints it.
func pyStr(v *pongo2.Value) string {
	if v.IsNil() {
		return ""
	}
	return valueText(v)
}

// valueText is v as text, a float as Python writes it. pongo2 writes a plain float64 (the
// result of its arithmetic, a float literal, a value set from either) with %f: "3.500000".
func valueText(v *pongo2.Value) string {
	switch x := v.Interface().(type) {
	case float64:
		return formatFloat(x)
	case float32:
		return formatFloat(float64(x))
	}
	return v.String()
}

// printFunc wraps every printed expression (strict.go), so a float prints as Python writes it.
const printFunc = "_jinja_print"

// printValue keeps v, safe flag included, giving a plain float the number type.
func printValue(v *pongo2.Value) *pongo2.Value {
	if x, ok := pyFloat(v).(number); ok {
		if _, was := v.Interface().(number); !was {
			return pongo2.AsValue(x)
		}
	}
	return v
}

// pyFloat gives a plain float64 the number type, which fmt prints through its String method.
func pyFloat(v *pongo2.Value) any {
	switch x := v.Interface().(type) {
	case float64:
		return number(x)
	case float32:
		return number(x)
	}
	return v.Interface()
}

// pyQuoteURL is Python's urllib.parse.quote(s, safe="/"), which Jinja2's urlencode applies to
// a string.
func pyQuoteURL(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("_.-~/", c) >= 0 {
			b.WriteByte(c)
			continue
		}
		fmt.Fprintf(&b, "%%%02X", c)
	}
	return b.String()
}

// items lists a list's values, or a string's characters.
func items(in *pongo2.Value) ([]*pongo2.Value, error) {
	if in.IsString() {
		var out []*pongo2.Value
		for _, r := range in.String() {
			out = append(out, pongo2.AsValue(string(r)))
		}
		return out, nil
	}
	if _, isMap := in.Interface().(dict); isMap || !in.CanSlice() {
		return nil, fmt.Errorf("needs a list, not %s", pyStr(in))
	}
	out := make([]*pongo2.Value, in.Len())
	for i := range out {
		out[i] = in.Index(i)
	}
	return out, nil
}

// pyCompare orders two values as Python does for the types templates hold: numbers with
// numbers, strings with strings (case-insensitively unless caseSensitive, as Jinja2's sort).
func pyCompare(a, b *pongo2.Value, caseSensitive bool) (int, error) {
	num := func(v *pongo2.Value) bool { return (v.IsInteger() || v.IsFloat()) && !v.IsBool() }
	switch {
	case num(a) && num(b):
		x, y := a.Float(), b.Float()
		if a.IsInteger() && b.IsInteger() {
			x, y = float64(a.Integer()), float64(b.Integer())
		}
		switch {
		case x < y:
			return -1, nil
		case x > y:
			return 1, nil
		}
		return 0, nil
	case a.IsString() && b.IsString():
		x, y := a.String(), b.String()
		if !caseSensitive {
			x, y = strings.ToLower(x), strings.ToLower(y)
		}
		return strings.Compare(x, y), nil
	}
	return 0, fmt.Errorf("cannot compare %s with %s", pyStr(a), pyStr(b))
}

func jinjaSort(in *pongo2.Value, args jargs) (*pongo2.Value, error) {
	vals, err := items(in)
	if err != nil {
		return nil, fmt.Errorf("sort %w", err)
	}
	reverse := len(args) > 0 && args[0].IsTrue()
	caseSensitive := len(args) > 1 && args[1].IsTrue()
	var cmpErr error
	sort.SliceStable(vals, func(i, j int) bool {
		c, err := pyCompare(vals[i], vals[j], caseSensitive)
		if err != nil && cmpErr == nil {
			cmpErr = err
		}
		if reverse {
			return c > 0
		}
		return c < 0
	})
	if cmpErr != nil {
		return nil, fmt.Errorf("sort: %w", cmpErr)
	}
	return asList(vals), nil
}

func jinjaReverse(in *pongo2.Value, _ jargs) (*pongo2.Value, error) {
	if in.IsString() {
		r := []rune(in.String())
		for i, j := 0, len(r)-1; i < j; i, j = i+1, j-1 {
			r[i], r[j] = r[j], r[i]
		}
		return pongo2.AsValue(string(r)), nil
	}
	vals, err := items(in)
	if err != nil {
		return nil, fmt.Errorf("reverse %w", err)
	}
	for i, j := 0, len(vals)-1; i < j; i, j = i+1, j-1 {
		vals[i], vals[j] = vals[j], vals[i]
	}
	return asList(vals), nil
}

// jinjaExtreme is min (dir -1) or max (dir 1); strings compare case-insensitively, as in Jinja2.
func jinjaExtreme(in *pongo2.Value, dir int) (*pongo2.Value, error) {
	vals, err := items(in)
	if err != nil {
		return nil, err
	}
	if len(vals) == 0 {
		return nil, errors.New("min/max of an empty list is undefined in Jinja2")
	}
	best := vals[0]
	for _, v := range vals[1:] {
		c, err := pyCompare(v, best, false)
		if err != nil {
			return nil, err
		}
		if c*dir > 0 {
			best = v
		}
	}
	return best, nil
}

func jinjaSum(in *pongo2.Value, _ jargs) (*pongo2.Value, error) {
	vals, err := items(in)
	if err != nil {
		return nil, fmt.Errorf("sum %w", err)
	}
	// Python adds left to right from 0, in integers until the first float.
	var isum int64
	var fsum float64
	float := false
	for _, v := range vals {
		switch {
		case v.IsBool():
			return nil, errors.New("sum of booleans: put numbers in the list")
		case v.IsInteger() && !float:
			isum += int64(v.Integer())
		case v.IsInteger():
			fsum += float64(v.Integer())
		case v.IsFloat():
			if !float {
				float, fsum = true, float64(isum)
			}
			fsum += v.Float()
		default:
			return nil, fmt.Errorf("sum needs numbers, not %s", pyStr(v))
		}
	}
	if float {
		return pongo2.AsValue(number(fsum)), nil
	}
	return pongo2.AsValue(isum), nil
}

func asList(vals []*pongo2.Value) *pongo2.Value {
	out := make(list, len(vals))
	for i, v := range vals {
		out[i] = v.Interface()
	}
	return pongo2.AsValue(out)
}
