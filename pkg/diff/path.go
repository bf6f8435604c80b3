package diff

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// identityFields names, per list key, the item fields that identify an item, tried in order.
// The key applies at any depth, so stage-level expectedArtifacts are matched the same way.
// Artifacts go by displayName first: a reviewer reads "the chart artifact", not a UUID, and
// pipegen derives artifact ids from displayNames, so the two identify the same item.
var identityFields = map[string][]string{
	"stages":            {"refId"},
	"expectedArtifacts": {"displayName", "id"},
	"triggers":          {"id", "name", "type"},
	"notifications":     {"id", "name", "type"},
	"parameterConfig":   {"name"},
}

// itemKeys returns one key per item of a list of objects. The key is the text shown between
// the brackets of a path: "refId=deploy" when the item has an identity that is unique within
// the list, its position ("3") otherwise. Identity keys contain "=" and positions never do, so
// the keys of one list are distinct.
func itemKeys(listName string, items []any) []string {
	keys := make([]string, len(items))
	fields := identityFields[listName]
	if len(fields) == 0 {
		for i := range items {
			keys[i] = strconv.Itoa(i)
		}
		return keys
	}
	seen := make(map[string]int, len(items))
	for i, it := range items {
		keys[i] = identityKey(fields, it)
		if keys[i] != "" {
			seen[keys[i]]++
		}
	}
	for i, k := range keys {
		// A duplicated identity (a broken stored pipeline) cannot match anything reliably.
		if k == "" || seen[k] > 1 {
			keys[i] = strconv.Itoa(i)
		}
	}
	return keys
}

func identityKey(fields []string, item any) string {
	m, ok := item.(map[string]any)
	if !ok {
		return ""
	}
	for _, f := range fields {
		var s string
		switch v := m[f].(type) {
		case string:
			s = v
		case json.Number, float64, float32, int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64:
			s, _, _ = canonNumber(v)
		}
		if s != "" {
			return f + "=" + quoteIdentity(s)
		}
	}
	return ""
}

func quoteIdentity(s string) string {
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' ||
			strings.ContainsRune("_.:/@+-", r)) {
			return strconv.Quote(s)
		}
	}
	return s
}

func isIdentifier(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r == '_' || i > 0 && r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

// segKey orders one path segment: list items by position (in desired, else in current),
// object keys by name.
type segKey struct {
	pos int
	s   string
}

func lessKey(a, b []segKey) bool {
	for i := 0; i < len(a) && i < len(b); i++ {
		if a[i].pos != b[i].pos {
			return a[i].pos < b[i].pos
		}
		if a[i].s != b[i].s {
			return a[i].s < b[i].s
		}
	}
	return len(a) < len(b)
}

type resolved struct {
	change   Change
	from, to any
	key      []segKey
}

// resolver turns an r3labs path (map keys of the normalized trees) back into a display path and
// the original values at that path in both documents.
type resolver struct {
	current, desired map[string]any
	keys             map[string][]string // item keys per side+path prefix, computed once
}

func newResolver(current, desired map[string]any) *resolver {
	return &resolver{current: current, desired: desired, keys: map[string][]string{}}
}

func (r *resolver) itemKeysAt(side string, prefix []string, name string, list []any) []string {
	ck := side + "\x00" + strings.Join(prefix, "\x00")
	if k, ok := r.keys[ck]; ok {
		return k
	}
	k := itemKeys(name, list)
	r.keys[ck] = k
	return k
}

func (r *resolver) resolve(path []string) (resolved, error) {
	var (
		out       resolved
		sb        strings.Builder
		cur, des  any = r.current, r.desired
		haveCur       = r.current != nil
		haveDes       = r.desired != nil
		parentKey string
	)
	out.key = make([]segKey, 0, len(path))
	for i, seg := range path {
		// Below the root, both sides that exist have the same shape: a shape mismatch is
		// reported at the mismatching node and never descended into.
		shape := des
		if !haveDes {
			shape = cur
		}
		switch shape.(type) {
		case map[string]any:
			if isIdentifier(seg) {
				if i > 0 {
					sb.WriteByte('.')
				}
				sb.WriteString(seg)
			} else {
				sb.WriteString("[" + strconv.Quote(seg) + "]")
			}
			out.key = append(out.key, segKey{s: seg})
			cur, haveCur = member(cur, haveCur, seg)
			des, haveDes = member(des, haveDes, seg)
			parentKey = seg
		case []any:
			sb.WriteString("[" + seg + "]")
			pos := -1
			var ci, di int
			cur, haveCur, ci = r.item(cur, haveCur, "cur", path[:i], parentKey, seg)
			des, haveDes, di = r.item(des, haveDes, "des", path[:i], parentKey, seg)
			switch {
			case haveDes:
				pos = di
			case haveCur:
				pos = ci
			}
			out.key = append(out.key, segKey{pos: pos, s: seg})
			parentKey = ""
		default:
			return out, fmt.Errorf("path %s: cannot descend into %T", sb.String(), shape)
		}
		if !haveCur && !haveDes {
			return out, fmt.Errorf("path %s: not found in either document", sb.String())
		}
	}
	out.change.Path = sb.String()
	if haveCur {
		out.from = cur
	}
	if haveDes {
		out.to = des
	}
	return out, nil
}

func member(v any, ok bool, key string) (any, bool) {
	if !ok {
		return nil, false
	}
	m, isMap := v.(map[string]any)
	if !isMap {
		return nil, false
	}
	e, found := m[key]
	if !found || e == nil {
		return nil, false
	}
	return e, true
}

func (r *resolver) item(v any, ok bool, side string, prefix []string, name, key string) (any, bool, int) {
	if !ok {
		return nil, false, -1
	}
	l, isList := v.([]any)
	if !isList {
		return nil, false, -1
	}
	for i, k := range r.itemKeysAt(side, prefix, name, l) {
		if k == key {
			return l[i], true, i
		}
	}
	return nil, false, -1
}
