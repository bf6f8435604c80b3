// Package importer turns stored Spinnaker pipelines into what a person keeps in a services
// repo: YAML templates in the order the UI shows a pipeline, one template for the pipelines
// that differ only by stack, references to other pipelines by name, and the service file
// entries that render them back to exactly the stored objects.
package importer

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
)

// Node is a JSON value that remembers the order of its object's keys: a template keeps the
// order people wrote (and the UI shows), which a Go map would lose.
type Node struct {
	Keys []string         // object keys in order (Kind Object)
	Map  map[string]*Node // object members (Kind Object)
	List []*Node          // array items (Kind Array)
	// Scalar is nil, bool, json.Number or string (Kind Scalar).
	Scalar any
	Kind   Kind

	// Ref, when set, is what a string scalar becomes in a template: a reference to another
	// pipeline by name instead of its id.
	Ref *PipelineRef
}

// Kind is the JSON kind of a Node.
type Kind int

const (
	Scalar Kind = iota
	Object
	Array
)

// PipelineRef is a pipeline named by application and name, printed as pipeline_id(…).
type PipelineRef struct {
	App, Name string
	SameApp   bool // print pipeline_id("name") rather than pipeline_id("app", "name")
}

// Decode reads a JSON object keeping key order; numbers stay json.Number.
func Decode(raw []byte) (*Node, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	n, err := decodeValue(dec, 0)
	if err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, errors.New("text after the JSON value")
	}
	return n, nil
}

const maxDepth = 200

func decodeValue(dec *json.Decoder, depth int) (*Node, error) {
	if depth > maxDepth {
		return nil, errors.New("nested too deeply")
	}
	t, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch t := t.(type) {
	case json.Delim:
		switch t {
		case '{':
			n := &Node{Kind: Object, Map: map[string]*Node{}}
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, err
				}
				k, _ := kt.(string)
				v, err := decodeValue(dec, depth+1)
				if err != nil {
					return nil, err
				}
				if _, dup := n.Map[k]; dup {
					return nil, fmt.Errorf("the key %q is there twice", k)
				}
				n.Keys = append(n.Keys, k)
				n.Map[k] = v
			}
			_, err := dec.Token()
			return n, err
		case '[':
			n := &Node{Kind: Array, List: []*Node{}}
			for dec.More() {
				v, err := decodeValue(dec, depth+1)
				if err != nil {
					return nil, err
				}
				n.List = append(n.List, v)
			}
			_, err := dec.Token()
			return n, err
		}
		return nil, fmt.Errorf("unexpected %v", t)
	default:
		return &Node{Kind: Scalar, Scalar: t}, nil
	}
}

// Get returns the member k of an object, or nil.
func (n *Node) Get(k string) *Node {
	if n == nil || n.Kind != Object {
		return nil
	}
	return n.Map[k]
}

// Str returns a string scalar's value.
func (n *Node) Str() (string, bool) {
	if n == nil || n.Kind != Scalar || n.Ref != nil {
		return "", false
	}
	s, ok := n.Scalar.(string)
	return s, ok
}

// Delete removes the member k of an object.
func (n *Node) Delete(k string) {
	if _, ok := n.Map[k]; !ok {
		return
	}
	delete(n.Map, k)
	for i, x := range n.Keys {
		if x == k {
			n.Keys = append(n.Keys[:i:i], n.Keys[i+1:]...)
			break
		}
	}
}

// Value converts the node back to plain Go values (map[string]any, []any, scalars).
func (n *Node) Value() any {
	switch n.Kind {
	case Object:
		m := make(map[string]any, len(n.Keys))
		for _, k := range n.Keys {
			m[k] = n.Map[k].Value()
		}
		return m
	case Array:
		l := make([]any, len(n.List))
		for i, x := range n.List {
			l[i] = x.Value()
		}
		return l
	}
	return n.Scalar
}

// FromValue builds a node from plain Go values, object keys sorted.
func FromValue(v any) *Node {
	switch v := v.(type) {
	case map[string]any:
		n := &Node{Kind: Object, Map: map[string]*Node{}}
		for _, k := range slices.Sorted(maps.Keys(v)) {
			n.Keys = append(n.Keys, k)
			n.Map[k] = FromValue(v[k])
		}
		return n
	case []any:
		n := &Node{Kind: Array, List: make([]*Node, len(v))}
		for i, x := range v {
			n.List[i] = FromValue(x)
		}
		return n
	}
	return &Node{Kind: Scalar, Scalar: v}
}
