package render

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/flosch/pongo2/v6"
)

// yamlNeedsEscape reports the runes that cannot appear as themselves inside a YAML
// double-quoted scalar: the quote and backslash, every C0/C1 control and DEL (YAML only allows
// printable characters), the line and paragraph separators (line breaks in YAML 1.1), the BOM
// and the two non-characters YAML excludes.
func yamlNeedsEscape(r rune) bool {
	switch {
	case r == '"' || r == '\\':
		return true
	case r < 0x20 || (r >= 0x7f && r <= 0x9f):
		return true
	case r == 0x2028 || r == 0x2029 || r == 0xfeff || r == 0xfffe || r == 0xffff:
		return true
	}
	return false
}

// writeEscapedRune writes r as an escape that YAML double-quoted scalars and JSON strings both
// understand.
func writeEscapedRune(b *strings.Builder, r rune) {
	switch r {
	case '"':
		b.WriteString(`\"`)
	case '\\':
		b.WriteString(`\\`)
	case '\n':
		b.WriteString(`\n`)
	case '\t':
		b.WriteString(`\t`)
	case '\r':
		b.WriteString(`\r`)
	default:
		fmt.Fprintf(b, `\u%04X`, r)
	}
}

// yamlEscape makes s safe between double quotes in YAML: `k: "{{ v }}"` parses back to exactly
// v, and no value can close the quotes and add keys. Invalid UTF-8 bytes become U+FFFD because
// a YAML stream must be valid UTF-8.
func yamlEscape(s string) string {
	clean := true
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			// ASCII fast path: the common case for names, ids and paths.
			if c < 0x20 || c == '"' || c == '\\' || c == 0x7f {
				clean = false
				break
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if (r == utf8.RuneError && size == 1) || yamlNeedsEscape(r) {
			clean = false
			break
		}
		i += size
	}
	if clean {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		switch {
		case r == utf8.RuneError && size == 1:
			b.WriteRune(utf8.RuneError)
		case yamlNeedsEscape(r):
			writeEscapedRune(&b, r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// filterToJSON encodes a value as JSON for unquoted positions (`steps: {{ steps|tojson }}`);
// JSON is YAML flow syntax. Unlike Jinja2's tojson it keeps non-ASCII text as is and does not
// HTML-escape <, > and &.
func filterToJSON(in *pongo2.Value, param *pongo2.Value) (*pongo2.Value, *pongo2.Error) {
	if param != nil && !param.IsNil() {
		return nil, &pongo2.Error{Sender: "filter:tojson", OrigError: errors.New("tojson takes no argument")}
	}
	var b strings.Builder
	if err := writeJSON(&b, in.Interface(), 0); err != nil {
		return nil, &pongo2.Error{Sender: "filter:tojson", OrigError: err}
	}
	return pongo2.AsSafeValue(b.String()), nil
}

const maxJSONDepth = 200

// writeJSON writes v with sorted keys and ", " / ": " separators (Python's json.dumps layout,
// which also keeps YAML 1.1 parsers happy with flow mappings).
func writeJSON(b *strings.Builder, v any, depth int) error {
	if depth > maxJSONDepth {
		return errors.New("tojson: value nested too deeply")
	}
	switch x := v.(type) {
	case nil, none:
		b.WriteString("null")
	case *pongo2.Value:
		return writeJSON(b, x.Interface(), depth+1)
	case bool:
		b.WriteString(strconv.FormatBool(x))
	case string:
		writeJSONString(b, x)
	case json.Number:
		return writeJSON(b, convertNumber(x), depth+1)
	case number:
		return writeJSONFloat(b, float64(x))
	case float64:
		return writeJSONFloat(b, x)
	case float32:
		return writeJSONFloat(b, float64(x))
	case int:
		b.WriteString(strconv.FormatInt(int64(x), 10))
	case int64:
		b.WriteString(strconv.FormatInt(x, 10))
	case uint64:
		b.WriteString(strconv.FormatUint(x, 10))
	case list:
		return writeJSON(b, []any(x), depth)
	case dict:
		return writeJSON(b, map[string]any(x), depth)
	case []any:
		b.WriteByte('[')
		for i, e := range x {
			if i > 0 {
				b.WriteString(", ")
			}
			if err := writeJSON(b, e, depth+1); err != nil {
				return err
			}
		}
		b.WriteByte(']')
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		b.WriteByte('{')
		for i, k := range keys {
			if i > 0 {
				b.WriteString(", ")
			}
			writeJSONString(b, k)
			b.WriteString(": ")
			if err := writeJSON(b, x[k], depth+1); err != nil {
				return err
			}
		}
		b.WriteByte('}')
	default:
		return writeJSONReflect(b, reflect.ValueOf(v), depth)
	}
	return nil
}

func writeJSONReflect(b *strings.Builder, rv reflect.Value, depth int) error {
	switch rv.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		b.WriteString(strconv.FormatInt(rv.Int(), 10))
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		b.WriteString(strconv.FormatUint(rv.Uint(), 10))
	case reflect.Float32, reflect.Float64:
		return writeJSONFloat(b, rv.Float())
	case reflect.Bool:
		b.WriteString(strconv.FormatBool(rv.Bool()))
	case reflect.String:
		writeJSONString(b, rv.String())
	case reflect.Pointer, reflect.Interface:
		if rv.IsNil() {
			b.WriteString("null")
			return nil
		}
		return writeJSON(b, rv.Elem().Interface(), depth+1)
	case reflect.Slice, reflect.Array:
		if rv.Kind() == reflect.Slice && rv.IsNil() {
			b.WriteString("null")
			return nil
		}
		items := make([]any, rv.Len())
		for i := range items {
			items[i] = rv.Index(i).Interface()
		}
		return writeJSON(b, items, depth)
	case reflect.Map:
		if rv.Type().Key().Kind() != reflect.String {
			return fmt.Errorf("tojson: map keys must be strings, not %s", rv.Type().Key())
		}
		m := make(map[string]any, rv.Len())
		iter := rv.MapRange()
		for iter.Next() {
			m[iter.Key().String()] = iter.Value().Interface()
		}
		return writeJSON(b, m, depth)
	default:
		if !rv.IsValid() {
			b.WriteString("null")
			return nil
		}
		return fmt.Errorf("tojson: cannot encode a value of type %s", rv.Type())
	}
	return nil
}

func writeJSONFloat(b *strings.Builder, f float64) error {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return fmt.Errorf("tojson: %v has no JSON form", f)
	}
	b.WriteString(formatFloat(f))
	return nil
}

// writeJSONString quotes s as JSON, escaping everything YAML would also reject unescaped, so
// the same text is a valid YAML double-quoted scalar.
func writeJSONString(b *strings.Builder, s string) {
	b.WriteByte('"')
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		switch {
		case r == utf8.RuneError && size == 1:
			b.WriteString(`\uFFFD`)
		case r == '\b':
			b.WriteString(`\b`)
		case r == '\f':
			b.WriteString(`\f`)
		case yamlNeedsEscape(r):
			writeEscapedRune(b, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
}
