package cache

import (
	"bytes"
	"crypto/sha256"
	"errors"
)

// Decoded caches the decoding of rendered templates: YAML text to JSON-compatible values.
// Parsing YAML is most of a render's CPU time; reading the value back from the cache's binary
// form (codec.go) costs a small fraction of it. An entry is used only for the exact text it was made from, by the exact
// pipegen build that made it.
type Decoded struct {
	pack  *Pack
	build string
}

// NewDecoded returns the decoded-render cache in d, or nil (disabled) when d is nil or the
// running build cannot be identified.
func NewDecoded(d *Dir) *Decoded {
	if d == nil {
		return nil
	}
	build := ExecutableID()
	if build == "" {
		return nil
	}
	return &Decoded{pack: d.pack(packName("decoded", "")), build: build}
}

var errMismatch = errors.New("cache: entry made from other text or by another build")

func (c *Decoded) validator(text []byte) []byte {
	sum := sha256.Sum256(text)
	return append([]byte(c.build+"\x00"), sum[:]...)
}

// Get returns the value decoded from text the last time this identity (any string naming one
// pipeline) was rendered, if the text is the same. The value is new: the caller may change it.
func (c *Decoded) Get(identity string, text []byte) (any, bool) {
	if c == nil {
		return nil, false
	}
	want := c.validator(text)
	var v any
	var err error
	if !c.pack.view(identity, func(validator, payload []byte) {
		if !bytes.Equal(validator, want) {
			err = errMismatch
			return
		}
		v, err = decodeValue(payload) // copies what it keeps: the payload's buffer is reused
	}) || err != nil {
		return nil, false
	}
	return v, true
}

// Put records v as the decoding of text. Values made of anything but nil, bool, string,
// json.Number, []any and map[string]any (what pkg/yamldoc produces) are not recorded.
func (c *Decoded) Put(identity string, text []byte, v any) {
	if c == nil {
		return
	}
	payload, ok := appendValue(nil, v)
	if !ok {
		return
	}
	c.PutPayload(identity, text, payload)
}

// GetPayload is Get without decoding: the value's binary form (EncodeValue).
func (c *Decoded) GetPayload(identity string, text []byte) ([]byte, bool) {
	if c == nil {
		return nil, false
	}
	validator, payload, ok := c.pack.Get(identity)
	if !ok || !bytes.Equal(validator, c.validator(text)) {
		return nil, false
	}
	return payload, true
}

// PutPayload is Put with the value already in its binary form.
func (c *Decoded) PutPayload(identity string, text []byte, payload []byte) {
	if c == nil {
		return
	}
	c.pack.Put(identity, c.validator(text), payload)
}
