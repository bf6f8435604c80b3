package cache

import (
	"encoding/binary"
	"encoding/json"
	"errors"
)

// A compact binary form of JSON-typed values (nil, bool, string, json.Number, []any,
// map[string]any) for the decoded-render cache. Measured against encoding/json on a rendered
// pipeline (BenchmarkCodec): several times faster both ways, because nothing is escaped,
// scanned for its end or parsed as a number; a render cache that costs a JSON encoding per
// pipeline on a cold run and a JSON decoding on a warm one gave back much of what it saved.
//
// Layout: a tag byte, then for strings and numbers a uvarint length and the bytes, for lists
// a uvarint count and the items, for maps a uvarint count and key (length, bytes) / value
// pairs.
const (
	tagNull byte = iota
	tagFalse
	tagTrue
	tagString
	tagNumber
	tagList
	tagMap
)

// maxDepth bounds nesting on decode, so a damaged entry cannot exhaust the stack.
const maxDepth = 10000

var errCodec = errors.New("cache: malformed value")

// appendValue appends v's binary form; ok is false for a value of any other type (or a nil
// map or slice, which JSON would turn into null).
func appendValue(b []byte, v any) ([]byte, bool) {
	switch x := v.(type) {
	case nil:
		return append(b, tagNull), true
	case bool:
		if x {
			return append(b, tagTrue), true
		}
		return append(b, tagFalse), true
	case string:
		b = append(b, tagString)
		b = binary.AppendUvarint(b, uint64(len(x)))
		return append(b, x...), true
	case json.Number:
		b = append(b, tagNumber)
		b = binary.AppendUvarint(b, uint64(len(x)))
		return append(b, x...), true
	case []any:
		if x == nil {
			return b, false
		}
		b = append(b, tagList)
		b = binary.AppendUvarint(b, uint64(len(x)))
		for _, e := range x {
			var ok bool
			if b, ok = appendValue(b, e); !ok {
				return b, false
			}
		}
		return b, true
	case map[string]any:
		if x == nil {
			return b, false
		}
		b = append(b, tagMap)
		b = binary.AppendUvarint(b, uint64(len(x)))
		for k, e := range x {
			b = binary.AppendUvarint(b, uint64(len(k)))
			b = append(b, k...)
			var ok bool
			if b, ok = appendValue(b, e); !ok {
				return b, false
			}
		}
		return b, true
	}
	return b, false
}

// decodeValue reads one value; the whole of b must be that value.
func decodeValue(b []byte) (any, error) {
	d := decoder{b: b}
	v, err := d.value(0)
	if err != nil {
		return nil, err
	}
	if d.off != len(d.b) {
		return nil, errCodec
	}
	return v, nil
}

type decoder struct {
	b   []byte
	off int
}

func (d *decoder) uvarint() (int, error) {
	n, k := binary.Uvarint(d.b[d.off:])
	if k <= 0 || n > uint64(len(d.b)) {
		return 0, errCodec
	}
	d.off += k
	return int(n), nil
}

func (d *decoder) bytes() ([]byte, error) {
	n, err := d.uvarint()
	if err != nil || n > len(d.b)-d.off {
		return nil, errCodec
	}
	s := d.b[d.off : d.off+n]
	d.off += n
	return s, nil
}

func (d *decoder) value(depth int) (any, error) {
	if d.off >= len(d.b) || depth > maxDepth {
		return nil, errCodec
	}
	tag := d.b[d.off]
	d.off++
	switch tag {
	case tagNull:
		return nil, nil
	case tagFalse:
		return false, nil
	case tagTrue:
		return true, nil
	case tagString:
		s, err := d.bytes()
		return string(s), err
	case tagNumber:
		s, err := d.bytes()
		return json.Number(s), err
	case tagList:
		n, err := d.uvarint()
		if err != nil {
			return nil, err
		}
		out := make([]any, n)
		for i := range out {
			if out[i], err = d.value(depth + 1); err != nil {
				return nil, err
			}
		}
		return out, nil
	case tagMap:
		n, err := d.uvarint()
		if err != nil {
			return nil, err
		}
		out := make(map[string]any, n)
		for range n {
			k, err := d.bytes()
			if err != nil {
				return nil, err
			}
			v, err := d.value(depth + 1)
			if err != nil {
				return nil, err
			}
			out[string(k)] = v
		}
		return out, nil
	}
	return nil, errCodec
}
