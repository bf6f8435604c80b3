package cache

// The binary value form (codec.go) is also how diff and sync hold a rendered value between
// rendering and planning (in a spool file): these give it to them.

// EncodeValue returns v's binary form; ok is false for a value of a type the form cannot hold.
func EncodeValue(v any) ([]byte, bool) { return appendValue(nil, v) }

// DecodeValue reads a value EncodeValue wrote.
func DecodeValue(b []byte) (any, error) { return decodeValue(b) }

// TopString returns the string under key in the binary form of a map, without decoding the
// rest: a build needs each pipeline's name long before it needs its document.
func TopString(b []byte, key string) (string, bool) {
	d := decoder{b: b}
	if len(b) == 0 || b[0] != tagMap {
		return "", false
	}
	d.off++
	n, err := d.uvarint()
	if err != nil {
		return "", false
	}
	for range n {
		k, err := d.bytes()
		if err != nil || d.off >= len(d.b) {
			return "", false
		}
		if string(k) == key {
			if d.b[d.off] != tagString {
				return "", false
			}
			d.off++
			s, err := d.bytes()
			return string(s), err == nil
		}
		if !d.skip(0) {
			return "", false
		}
	}
	return "", false
}

// skip moves past one value.
func (d *decoder) skip(depth int) bool {
	if d.off >= len(d.b) || depth > maxDepth {
		return false
	}
	tag := d.b[d.off]
	d.off++
	switch tag {
	case tagNull, tagFalse, tagTrue:
		return true
	case tagString, tagNumber:
		_, err := d.bytes()
		return err == nil
	case tagList, tagMap:
		n, err := d.uvarint()
		if err != nil {
			return false
		}
		for range n {
			if tag == tagMap {
				if _, err := d.bytes(); err != nil {
					return false
				}
			}
			if !d.skip(depth + 1) {
				return false
			}
		}
		return true
	}
	return false
}
