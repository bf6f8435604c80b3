// Package yamldoc turns YAML text into JSON-compatible Go values (map[string]any, []any,
// string, bool, nil, json.Number) while keeping source positions for error messages.
//
// It exists because neither YAML library does all of this at once: sigs.k8s.io/yaml loses
// positions and silently keeps the last of two duplicate keys; yaml.v3's decoder has positions
// but resolves `yes`/`on` as strings where the seed's Jinja2 + PyYAML tool (and every template
// written for it) gets booleans. We parse with yaml.v3's node API and resolve scalars ourselves.
// Decode first tries fast.go, which reads the plain shapes rendered pipelines have straight into
// values and hands everything else to that path.
package yamldoc

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/big"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	yaml "go.yaml.in/yaml/v3"
)

// Limits bound what one document may cost to decode.
type Limits struct {
	MaxDepth int // nesting of mappings and sequences
	MaxNodes int // nodes produced, aliases expanded (stops "billion laughs")
}

// DefaultLimits are generous for any real pipeline (the largest corpus pipeline nests 12 deep
// and has a few thousand nodes) and small enough that hostile input fails fast.
var DefaultLimits = Limits{MaxDepth: 100, MaxNodes: 2_000_000}

// Error is a problem at a position in the YAML text. Line and Col are 1-based; 0 is unknown.
type Error struct {
	Line, Col int
	Msg       string
}

func (e *Error) Error() string {
	switch {
	case e.Line > 0 && e.Col > 0:
		return fmt.Sprintf("line %d:%d: %s", e.Line, e.Col, e.Msg)
	case e.Line > 0:
		return fmt.Sprintf("line %d: %s", e.Line, e.Msg)
	}
	return e.Msg
}

func errAt(n *yaml.Node, format string, args ...any) *Error {
	return &Error{Line: n.Line, Col: n.Column, Msg: fmt.Sprintf(format, args...)}
}

var yamlLineRe = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// Parse parses exactly one YAML document into a node tree. An empty input gives a nil node.
// Duplicate mapping keys are rejected with both positions.
func Parse(data []byte) (*yaml.Node, error) {
	if !utf8.Valid(data) {
		line := 1 + bytes.Count(data[:firstInvalidUTF8(data)], []byte("\n"))
		return nil, &Error{Line: line, Msg: "invalid UTF-8"}
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, nil
		}
		return nil, convertParseError(err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		return nil, &Error{Line: extra.Line, Msg: "a second YAML document (---) is not allowed here: one file, one document"}
	} else if !errors.Is(err, io.EOF) {
		return nil, convertParseError(err)
	}
	if len(doc.Content) == 0 {
		return nil, nil
	}
	root := doc.Content[0]
	if err := checkDuplicates(root, 0); err != nil {
		return nil, err
	}
	return root, nil
}

func convertParseError(err error) error {
	msg := err.Error()
	if m := yamlLineRe.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		return &Error{Line: line, Msg: m[2]}
	}
	// yaml.v3 leaves the line out exactly when the problem is on the first line.
	return &Error{Line: 1, Msg: strings.TrimPrefix(msg, "yaml: ")}
}

func firstInvalidUTF8(b []byte) int {
	for i := 0; i < len(b); {
		r, size := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && size == 1 {
			return i
		}
		i += size
	}
	return len(b)
}

// checkDuplicates walks the tree once; aliases are not followed (their target is checked where
// it is defined). The depth bound protects the recursion itself.
func checkDuplicates(n *yaml.Node, depth int) error {
	if depth > DefaultLimits.MaxDepth {
		return errAt(n, "nested deeper than %d levels", DefaultLimits.MaxDepth)
	}
	switch n.Kind {
	case yaml.MappingNode:
		seen := make(map[string]*yaml.Node, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			if k.ShortTag() == "!!merge" {
				continue
			}
			if k.Kind != yaml.ScalarNode {
				return errAt(k, "mapping keys must be strings, not a %s", KindName(k))
			}
			if prev, ok := seen[k.Value]; ok {
				return errAt(k, "duplicate key %q (first set on line %d)", k.Value, prev.Line)
			}
			seen[k.Value] = k
			if err := checkDuplicates(n.Content[i+1], depth+1); err != nil {
				return err
			}
		}
	case yaml.SequenceNode:
		for _, c := range n.Content {
			if err := checkDuplicates(c, depth+1); err != nil {
				return err
			}
		}
	}
	return nil
}

// KindName names a node's kind the way messages do: "mapping", "list", "alias", "null", or the
// scalar's type ("str", "int", "bool", …).
func KindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "mapping"
	case yaml.SequenceNode:
		return "list"
	case yaml.AliasNode:
		return "alias"
	}
	if n.ShortTag() == "!!null" {
		return "null"
	}
	return strings.TrimPrefix(n.ShortTag(), "!!")
}

// Decode parses one document and converts it to JSON-compatible values.
func Decode(data []byte) (any, error) {
	if v, ok := decodeFast(data); ok {
		return v, nil
	}
	return decodeFull(data)
}

// decodeFull is Decode through yaml.v3's node tree: every document, every error.
func decodeFull(data []byte) (any, error) {
	root, err := Parse(data)
	if err != nil {
		return nil, err
	}
	if root == nil {
		return nil, nil
	}
	return Value(root)
}

// Value converts a node tree to JSON-compatible values.
func Value(n *yaml.Node) (any, error) {
	c := converter{limits: DefaultLimits}
	return c.value(n, 0)
}

type converter struct {
	limits Limits
	nodes  int
}

func (c *converter) value(n *yaml.Node, depth int) (any, error) {
	c.nodes++
	if c.nodes > c.limits.MaxNodes {
		return nil, errAt(n, "document expands to more than %d values (alias expansion?)", c.limits.MaxNodes)
	}
	if depth > c.limits.MaxDepth {
		return nil, errAt(n, "nested deeper than %d levels", c.limits.MaxDepth)
	}
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			return nil, nil
		}
		return c.value(n.Content[0], depth)
	case yaml.AliasNode:
		return c.value(n.Alias, depth)
	case yaml.SequenceNode:
		out := make([]any, 0, len(n.Content))
		for _, item := range n.Content {
			v, err := c.value(item, depth+1)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, nil
	case yaml.MappingNode:
		return c.mapping(n, depth)
	case yaml.ScalarNode:
		return Scalar(n)
	}
	return nil, errAt(n, "unsupported YAML node")
}

func (c *converter) mapping(n *yaml.Node, depth int) (map[string]any, error) {
	out := make(map[string]any, len(n.Content)/2)
	var merges []*yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.ShortTag() == "!!merge" {
			merges = append(merges, v)
			continue
		}
		if k.Kind != yaml.ScalarNode {
			return nil, errAt(k, "mapping keys must be strings, not a %s", KindName(k))
		}
		key, err := keyString(k)
		if err != nil {
			return nil, err
		}
		val, err := c.value(v, depth+1)
		if err != nil {
			return nil, err
		}
		out[key] = val
	}
	// Explicit keys win over merged ones, and earlier merge sources over later ones, as in YAML 1.1.
	for _, m := range merges {
		srcs := []*yaml.Node{m}
		if m.Kind == yaml.SequenceNode {
			srcs = m.Content
		}
		for _, s := range srcs {
			v, err := c.value(s, depth+1)
			if err != nil {
				return nil, err
			}
			mm, ok := v.(map[string]any)
			if !ok {
				return nil, errAt(s, "a merge key (<<) needs a mapping or a list of mappings")
			}
			for k, val := range mm {
				if _, set := out[k]; !set {
					out[k] = val
				}
			}
		}
	}
	return out, nil
}

// keyString gives the JSON key for a scalar key. Keys are kept as written: Spinnaker field names
// are strings, and turning `on:` into "true" (what sigs.k8s.io/yaml does) only ever surprises.
func keyString(k *yaml.Node) (string, error) {
	if k.ShortTag() == "!!null" && k.Value == "" {
		return "", errAt(k, "empty mapping key")
	}
	return k.Value, nil
}

// pyYAMLBools are the YAML 1.1 booleans PyYAML (the seed tool's parser) accepts; yaml.v3 treats
// all but true/false as strings. `y`/`n` are not among them in PyYAML either.
var pyYAMLBools = map[string]bool{
	"yes": true, "Yes": true, "YES": true, "on": true, "On": true, "ON": true,
	"no": false, "No": false, "NO": false, "off": false, "Off": false, "OFF": false,
}

// Scalar resolves one scalar node. Quoted scalars and explicit !!str are always strings.
func Scalar(n *yaml.Node) (any, error) {
	if n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle|yaml.LiteralStyle|yaml.FoldedStyle) != 0 {
		return n.Value, nil
	}
	switch n.ShortTag() {
	case "!!null":
		return nil, nil
	case "!!bool":
		switch strings.ToLower(n.Value) {
		case "true":
			return true, nil
		case "false":
			return false, nil
		}
		if b, ok := pyYAMLBools[n.Value]; ok {
			return b, nil
		}
		return nil, errAt(n, "%q is not a boolean", n.Value)
	case "!!int":
		return parseInt(n)
	case "!!float":
		return parseFloat(n)
	case "!!str":
		if b, ok := pyYAMLBools[n.Value]; ok && n.Style&yaml.TaggedStyle == 0 {
			return b, nil
		}
		return n.Value, nil
	case "!!timestamp", "!!binary":
		// Kept as text: JSON has no such types, and Spinnaker reads dates as strings.
		return n.Value, nil
	}
	return nil, errAt(n, "unsupported YAML tag %s", n.Tag)
}

func parseInt(n *yaml.Node) (any, error) {
	s := strings.ReplaceAll(n.Value, "_", "")
	neg := false
	switch {
	case strings.HasPrefix(s, "-"):
		neg, s = true, s[1:]
	case strings.HasPrefix(s, "+"):
		s = s[1:]
	}
	base := 10
	switch {
	case strings.HasPrefix(s, "0x"), strings.HasPrefix(s, "0X"):
		base, s = 16, s[2:]
	case strings.HasPrefix(s, "0o"), strings.HasPrefix(s, "0O"):
		base, s = 8, s[2:]
	case strings.HasPrefix(s, "0b"), strings.HasPrefix(s, "0B"):
		base, s = 2, s[2:]
	case len(s) > 1 && s[0] == '0':
		base, s = 8, s[1:] // YAML 1.1 octal, as PyYAML and sigs.k8s.io/yaml read it
	}
	v, ok := new(big.Int).SetString(s, base)
	if !ok {
		return nil, errAt(n, "%q is not a valid integer", n.Value)
	}
	if neg {
		v.Neg(v)
	}
	return json.Number(v.String()), nil
}

var jsonNumberRe = regexp.MustCompile(`^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$`)

func parseFloat(n *yaml.Node) (any, error) {
	s := strings.ReplaceAll(n.Value, "_", "")
	if jsonNumberRe.MatchString(s) {
		return json.Number(s), nil // keeps "1.0" as written, like json.dumps of a Python float
	}
	switch strings.ToLower(strings.TrimLeft(s, "+-")) {
	case ".inf", ".nan":
		return nil, errAt(n, "%s cannot be written in JSON; quote it if you meant a string", n.Value)
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return nil, errAt(n, "%q is not a valid number", n.Value)
	}
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return nil, errAt(n, "%s cannot be written in JSON; quote it if you meant a string", n.Value)
	}
	out := strconv.FormatFloat(f, 'g', -1, 64)
	if !strings.ContainsAny(out, ".eE") {
		out += ".0"
	}
	return json.Number(out), nil
}
