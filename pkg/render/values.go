package render

import (
	"encoding/json"
	"math"
	"reflect"
	"strconv"
	"strings"
)

// number is a float that prints in shortest form. pongo2 prints every float64 with %f
// ("1.5" becomes "1.500000"), but it calls String() first on any fmt.Stringer; the kind stays
// Float64, so arithmetic, comparisons and filters still see a number.
//
// A float produced by pongo2 arithmetic ({{ ratio * 2 }}) or a literal is a plain float64 again;
// printed, it is given this type (printValue), and |add, |stringformat and |string write it
// with formatFloat. In an {% if %} condition a float variable is a plain float64 again
// (condFilter), so `ratio == 1.5` holds as in Jinja2.
type number float64

func (n number) String() string { return formatFloat(float64(n)) }

// formatFloat writes f as Jinja2 prints a Python float (str(f)), so templates render the same
// text the seed's tool did: the shortest digits that read back as f, a fraction always
// ("3.0", which YAML reads back as a float, as PyYAML did), and the exponent form, with at
// least two exponent digits, below 1e-4 and from 1e16 on.
func formatFloat(f float64) string {
	switch {
	case math.IsNaN(f):
		return ".nan"
	case math.IsInf(f, 1):
		return ".inf"
	case math.IsInf(f, -1):
		return "-.inf"
	}
	if abs := math.Abs(f); abs != 0 && (abs < 1e-4 || abs >= 1e16) {
		return strconv.FormatFloat(f, 'e', -1, 64) // Go writes e-07 and e+21, as Python does
	}
	s := strconv.FormatFloat(f, 'f', -1, 64)
	if !strings.ContainsAny(s, ".") {
		s += ".0"
	}
	return s
}

// list and dict keep their reflect kinds (Slice, Map), so pongo2 iterates, indexes and looks up
// keys as usual, but print as JSON: `steps: {{ steps }}` gives a YAML flow sequence, as Jinja2's
// repr of a list did, instead of pongo2's "<[]interface {} Value>". (A map key named "String"
// is shadowed by the method; such keys can be read with m["String"] only in Go, not in templates.)
type list []any

type dict map[string]any

// Printed, the JSON is marked (marks.go) so that a list printed inside a string is refused.
func (l list) String() string { return markCollectionJSON([]any(l)) }

func (d dict) String() string { return markCollectionJSON(map[string]any(d)) }

// convertNumber turns a json.Number into the Go number pongo2 handles best: int64 when it is
// an integer that fits (so arithmetic stays integral and it prints as "3"), otherwise number.
func convertNumber(n json.Number) any {
	s := string(n)
	if !strings.ContainsAny(s, ".eE") {
		if i, err := strconv.ParseInt(s, 10, 64); err == nil {
			return i
		}
		if u, err := strconv.ParseUint(s, 10, 64); err == nil {
			return u
		}
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		// Not a number at all; keep the text rather than inventing a value.
		return s
	}
	return number(f)
}

// convertValue copies a JSON-like value into the form the templates see: floats become number,
// json.Number becomes int64/uint64/number, containers are copied (the caller's maps are never
// modified or shared with a render).
func convertValue(v any) any {
	switch x := v.(type) {
	case nil:
		return none(false)
	case bool, string, number, list, dict, none,
		int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64:
		return x
	case float64:
		return number(x)
	case float32:
		return number(x)
	case json.Number:
		return convertNumber(x)
	case []any:
		out := make(list, len(x))
		for i, e := range x {
			out[i] = convertValue(e)
		}
		return out
	case map[string]any:
		out := make(dict, len(x))
		for k, e := range x {
			out[k] = convertValue(e)
		}
		return out
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Slice, reflect.Array:
		out := make(list, rv.Len())
		for i := range out {
			out[i] = convertValue(rv.Index(i).Interface())
		}
		return out
	case reflect.Map:
		if rv.Type().Key().Kind() != reflect.String {
			return v
		}
		out := make(dict, rv.Len())
		iter := rv.MapRange()
		for iter.Next() {
			out[iter.Key().String()] = convertValue(iter.Value().Interface())
		}
		return out
	}
	return v
}
