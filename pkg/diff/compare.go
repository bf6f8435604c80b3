package diff

import (
	"encoding/json"
	"fmt"
	"hash/maphash"
	"math"
	"math/big"
	"reflect"
	"sort"
	"strconv"
	"strings"

	r3 "github.com/r3labs/diff/v3"
)

// Compare returns the field-level changes from current to desired, sorted by path in document
// order (list items by their position in desired, or in current when removed; object keys
// alphabetically). Both documents are JSON-like values: map[string]any, []any, string, bool,
// nil, json.Number, float64, float32, int and its sized variants.
//
// Numbers compare by value (json.Number("3"), 3.0 and int64(3) are equal), a null value and an
// absent key compare equal, and key order never matters. Lists of objects are matched by
// identity where Spinnaker has one (stages by refId, artifacts/triggers/notifications by id,
// parameterConfig by name) and by position otherwise; any other list is compared as one value.
// Stages, triggers and expected artifacts are unordered; the items of any other list of objects
// that stand in another order give one Reordered change at the list (see reorders).
// From and To hold the values exactly as they appear in current and desired; a changed
// multi-line string also gets its line diff (Lines).
func Compare(current, desired map[string]any) ([]Change, error) {
	n := newNormalizer()
	cur, err := n.normalize(current)
	if err != nil {
		return nil, fmt.Errorf("compare: current document: %w", err)
	}
	des, err := n.normalize(desired)
	if err != nil {
		return nil, fmt.Errorf("compare: desired document: %w", err)
	}

	// The normalized trees hold no slices, so r3labs never reaches its slice matching
	// (quadratic, and either order-blind or order-sensitive in the wrong places).
	cl, err := r3.Diff(cur, des,
		r3.AllowTypeMismatch(true),
		r3.CustomValueDiffers(&leafDiffer{n: n}),
	)
	if err != nil {
		return nil, fmt.Errorf("compare: %w", err)
	}

	rs := newResolver(current, desired)
	out := make([]resolved, 0, len(cl))
	for _, c := range cl {
		if last := len(c.Path) - 1; last >= 1 && c.Path[last] == orderKey {
			r, moved, err := rs.reorder(c.Path[:last])
			if err != nil {
				return nil, fmt.Errorf("compare: %w", err)
			}
			if moved {
				out = append(out, r)
			}
			continue
		}
		r, err := rs.resolve(c.Path)
		if err != nil {
			return nil, fmt.Errorf("compare: %w", err)
		}
		switch c.Type {
		case r3.CREATE:
			r.change.Kind = Added
			r.change.To = r.to
		case r3.DELETE:
			r.change.Kind = Removed
			r.change.From = r.from
		default:
			r.change.Kind = Changed
			r.change.From = r.from
			r.change.To = r.to
		}
		out = append(out, r)
	}
	sort.SliceStable(out, func(i, j int) bool { return lessKey(out[i].key, out[j].key) })

	changes := make([]Change, len(out))
	for i, r := range out {
		changes[i] = r.change
	}
	addLineDiffs(changes)
	return changes, nil
}

// --- normalized form ---------------------------------------------------------------------

// object is a normalized JSON object: null members dropped.
type object map[string]any

// keyedList is a list of objects re-keyed by item key (see itemKeys). It is a distinct map type
// so that an object and a list never get compared member by member.
type keyedList map[string]any

// leaf is an opaque value compared as a whole: a number, or a list that is not a list of
// objects. canon is a type-tagged canonical encoding in which equal values are equal strings.
// Strings and booleans stay as they are (r3labs compares them itself).
type leaf struct{ canon string }

// normalizer turns a document into the normalized tree and remembers a hash of every object
// and keyed list in it, so that leafDiffer can skip equal subtrees without walking them.
// Comparing documents that are mostly equal (the usual case in a plan) then costs little more
// than building the trees. Hashes are seeded per Compare call; a false "equal" needs a 64-bit
// collision.
type normalizer struct {
	seed   maphash.Seed
	hashes map[uintptr]uint64
}

func newNormalizer() *normalizer {
	return &normalizer{seed: maphash.MakeSeed(), hashes: map[uintptr]uint64{}}
}

func (n *normalizer) normalize(v map[string]any) (object, error) {
	o, _, err := n.value(v, "")
	if err != nil {
		return nil, err
	}
	if o == nil {
		o = n.register(object{}, hashObject)
	}
	return o.(object), nil
}

const (
	hashObject uint64 = 0x9e3779b97f4a7c15
	hashList   uint64 = 0xc2b2ae3d27d4eb4f
)

// mix is the splitmix64 finalizer: it spreads a member's (key, value) hash before the members
// are summed, so that the sum does not depend on key order but does on every pair.
func mix(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

func (n *normalizer) register(m any, h uint64) any {
	n.hashes[reflect.ValueOf(m).Pointer()] = h
	return m
}

func (n *normalizer) str(tag byte, s string) uint64 {
	var h maphash.Hash
	h.SetSeed(n.seed)
	h.WriteByte(tag)
	h.WriteString(s)
	return h.Sum64()
}

// value returns the normalized form of v (nil for null) and its hash.
func (n *normalizer) value(v any, name string) (any, uint64, error) {
	switch t := v.(type) {
	case nil:
		return nil, 0, nil
	case string:
		return v, n.str('s', t), nil
	case bool:
		if t {
			return v, n.str('b', "t"), nil
		}
		return v, n.str('b', "f"), nil
	case map[string]any:
		o := make(object, len(t))
		h := hashObject
		for k, e := range t {
			ne, eh, err := n.value(e, k)
			if err != nil {
				return nil, 0, fmt.Errorf("%s: %w", k, err)
			}
			if ne != nil {
				o[k] = ne
				h += mix(n.str('k', k) ^ mix(eh))
			}
		}
		h = mix(h)
		return n.register(o, h), h, nil
	case []any:
		if !allObjects(t) {
			var sb strings.Builder
			if err := writeCanon(&sb, t); err != nil {
				return nil, 0, err
			}
			return leaf{sb.String()}, n.str('l', sb.String()), nil
		}
		keys := itemKeys(name, t)
		l := make(keyedList, len(t))
		h := hashList
		for i, e := range t {
			ne, eh, err := n.value(e, "")
			if err != nil {
				return nil, 0, fmt.Errorf("[%d]: %w", i, err)
			}
			l[keys[i]] = ne
			h += mix(n.str('k', keys[i]) ^ mix(eh))
		}
		if len(t) > 1 && orderedList(name) {
			// The order of an ordered list is one more member, so that a list with its items
			// moved is neither equal by hash nor free of changes.
			order := strings.Join(keys, "\x00")
			l[orderKey] = leaf{order}
			h += mix(n.str('k', orderKey) ^ mix(n.str('o', order)))
		}
		h = mix(h)
		return n.register(l, h), h, nil
	default:
		c, ok, err := canonNumber(v)
		if err != nil {
			return nil, 0, err
		}
		if !ok {
			return nil, 0, fmt.Errorf("unsupported value of type %T", v)
		}
		return leaf{"#" + c}, n.str('n', c), nil
	}
}

// allObjects reports whether every item is an object. An empty list counts, so that [] -> [stage]
// shows one added stage; [] -> ["1"] still shows as one changed list (keyedList vs leaf).
func allObjects(l []any) bool {
	for _, e := range l {
		if _, ok := e.(map[string]any); !ok {
			return false
		}
	}
	return true
}

// writeCanon writes a type-tagged canonical encoding: numbers by value, object keys sorted,
// null members dropped (as in the rest of the comparison), list order kept.
func writeCanon(sb *strings.Builder, v any) error {
	switch t := v.(type) {
	case nil:
		sb.WriteString("null")
	case bool:
		if t {
			sb.WriteString("true")
		} else {
			sb.WriteString("false")
		}
	case string:
		sb.WriteString(strconv.Quote(t))
	case map[string]any:
		keys := make([]string, 0, len(t))
		for k, e := range t {
			if e != nil {
				keys = append(keys, k)
			}
		}
		sort.Strings(keys)
		sb.WriteByte('{')
		for i, k := range keys {
			if i > 0 {
				sb.WriteByte(',')
			}
			sb.WriteString(strconv.Quote(k))
			sb.WriteByte(':')
			if err := writeCanon(sb, t[k]); err != nil {
				return err
			}
		}
		sb.WriteByte('}')
	case []any:
		sb.WriteByte('[')
		for i, e := range t {
			if i > 0 {
				sb.WriteByte(',')
			}
			if err := writeCanon(sb, e); err != nil {
				return err
			}
		}
		sb.WriteByte(']')
	default:
		n, ok, err := canonNumber(v)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("unsupported value of type %T", v)
		}
		sb.WriteString("#")
		sb.WriteString(n)
	}
	return nil
}

// canonNumber renders a number so that equal values give equal text whatever their Go type.
func canonNumber(v any) (string, bool, error) {
	switch t := v.(type) {
	case json.Number:
		if i, err := strconv.ParseInt(string(t), 10, 64); err == nil {
			return strconv.FormatInt(i, 10), true, nil
		}
		r, ok := new(big.Rat).SetString(string(t))
		if !ok {
			return "", false, fmt.Errorf("invalid number %q", string(t))
		}
		return ratText(r), true, nil
	case float64:
		return floatText(t)
	case float32:
		return floatText(float64(t))
	case int:
		return strconv.FormatInt(int64(t), 10), true, nil
	case int8:
		return strconv.FormatInt(int64(t), 10), true, nil
	case int16:
		return strconv.FormatInt(int64(t), 10), true, nil
	case int32:
		return strconv.FormatInt(int64(t), 10), true, nil
	case int64:
		return strconv.FormatInt(t, 10), true, nil
	case uint:
		return strconv.FormatUint(uint64(t), 10), true, nil
	case uint8:
		return strconv.FormatUint(uint64(t), 10), true, nil
	case uint16:
		return strconv.FormatUint(uint64(t), 10), true, nil
	case uint32:
		return strconv.FormatUint(uint64(t), 10), true, nil
	case uint64:
		return strconv.FormatUint(t, 10), true, nil
	}
	return "", false, nil
}

func floatText(f float64) (string, bool, error) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return "", false, fmt.Errorf("number %v has no JSON form", f)
	}
	if f == math.Trunc(f) && math.Abs(f) < 1<<62 {
		return strconv.FormatInt(int64(f), 10), true, nil
	}
	return ratText(new(big.Rat).SetFloat64(f)), true, nil
}

func ratText(r *big.Rat) string {
	if r.IsInt() {
		return r.Num().String()
	}
	return r.RatString()
}

// leafDiffer decides every comparison that involves a leaf, every pair of values of different
// types (object vs list, string vs number), and every pair of equal subtrees (by hash), which it
// skips. r3labs recurses into the remaining pairs of objects and compares strings and booleans.
type leafDiffer struct{ n *normalizer }

func (*leafDiffer) InsertParentDiffer(func(path []string, a, b reflect.Value, p any) error) {}

func (d *leafDiffer) Match(a, b reflect.Value) bool {
	a, b = unwrap(a), unwrap(b)
	if !a.IsValid() || !b.IsValid() {
		return false // r3labs reports a whole added or removed value itself
	}
	if a.Type() != b.Type() || a.Type() == leafType {
		return true
	}
	return a.Kind() == reflect.Map && d.sameHash(a, b)
}

func (d *leafDiffer) Diff(_ r3.DiffType, _ r3.DiffFunc, cl *r3.Changelog, path []string, a, b reflect.Value, _ any) error {
	a, b = unwrap(a), unwrap(b)
	if a.Type() == b.Type() {
		switch {
		case a.Type() == leafType && a.Interface().(leaf) == b.Interface().(leaf):
			return nil
		case a.Kind() == reflect.Map && d.sameHash(a, b):
			return nil
		}
	}
	// From/To are taken from the original documents later; only the path matters here.
	cl.Add(r3.UPDATE, append([]string(nil), path...), nil, nil)
	return nil
}

func (d *leafDiffer) sameHash(a, b reflect.Value) bool {
	ha, okA := d.n.hashes[a.Pointer()]
	hb, okB := d.n.hashes[b.Pointer()]
	return okA && okB && ha == hb
}

var leafType = reflect.TypeOf(leaf{})

func unwrap(v reflect.Value) reflect.Value {
	for v.IsValid() && v.Kind() == reflect.Interface {
		if v.IsNil() {
			return reflect.Value{}
		}
		v = v.Elem()
	}
	return v
}
