package front50

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// MaxIDLength bounds a pipeline id so that its key stays well inside S3's
// 1024-byte limit whatever the root.
const MaxIDLength = 256

// ValidateID checks that id can be used as a Front50 key as it is: lower-case
// (Front50 loads the lower-cased folder, so anything else is invisible) and a
// single safe path segment.
func ValidateID(id string) error {
	switch {
	case id == "":
		return errors.New("id is empty")
	case len(id) > MaxIDLength:
		return fmt.Errorf("id is %d bytes long, more than %d", len(id), MaxIDLength)
	case !utf8.ValidString(id):
		return errors.New("id is not valid UTF-8")
	case strings.ToLower(id) != id:
		return fmt.Errorf("id %q is not lower-case (Front50 would not find it)", id)
	case strings.ContainsAny(id, `/\`):
		return fmt.Errorf("id %q contains a slash", id)
	case id == "." || strings.Contains(id, ".."):
		return fmt.Errorf("id %q contains a dot path segment", id)
	case strings.TrimSpace(id) != id:
		return fmt.Errorf("id %q has leading or trailing white space", id)
	}
	for _, r := range id {
		if r < 0x20 || r == 0x7f {
			return fmt.Errorf("id %q contains a control character", id)
		}
	}
	return nil
}

// fieldKind is the JSON shape pipegen writes for a typed property of Front50's Pipeline class.
// Jackson coerces some other shapes ("5" for an integer, 1 for a string); pipegen refuses them
// all the same: refusing what Jackson would coerce is safe, accepting what it refuses never is.
type fieldKind int

const (
	kindString fieldKind = iota
	kindInt
	kindBool
	kindObject
	kindObjectList
	kindStringList
)

// typedFields lists every typed property of front50-api's Pipeline as its Jackson mapper sees
// it (a property with an accessor; PipelineMixins' annotations applied). Other keys, createTs
// among them (it has no accessor, so Jackson keeps it in the any-map whatever its type), and
// config (typed Object) are kept as they are. null is accepted for all of them. The Jackson
// model in internal/jackson is written from the same list and the differential test in
// jackson_test.go compares the two. Read-only; ordered for stable messages.
var typedFields = [...]struct {
	name string
	kind fieldKind
}{
	{"type", kindString},
	{"schema", kindString},
	{"updateTs", kindString},
	{"lastModifiedBy", kindString},
	{"email", kindString},
	{"serviceAccount", kindString},
	{"executionEngine", kindString},
	{"spelEvaluator", kindString},
	{"index", kindInt},
	{"stageCounter", kindInt},
	{"maxConcurrentExecutions", kindInt},
	{"disabled", kindBool},
	{"keepWaitingPipelines", kindBool},
	{"limitConcurrent", kindBool},
	{"template", kindObject},
	{"constraints", kindObject},
	{"payloadConstraints", kindObject},
	{"triggers", kindObjectList},
	{"stages", kindObjectList},
	{"parameterConfig", kindObjectList},
	{"roles", kindStringList},
}

// Problem is one reason an object cannot be written: where in the document (a path such as
// "index" or "triggers[0].type"; empty for the object as a whole) and what is wrong there.
// Callers use Path directly, e.g. to find the template line that produced the field.
type Problem struct {
	Path string
	Msg  string
}

// String reads "\"index\" is a string, want an integer": a top-level field name is quoted.
func (p Problem) String() string {
	switch {
	case p.Path == "":
		return p.Msg
	case strings.ContainsAny(p.Path, ".["):
		return p.Path + " " + p.Msg
	}
	return strconv.Quote(p.Path) + " " + p.Msg
}

// InvalidError is why a body was refused before writing. It wraps ErrInvalidObject.
type InvalidError struct {
	ID       string
	Problems []Problem // at least one
}

func (e *InvalidError) Error() string {
	parts := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		parts[i] = p.String()
	}
	return fmt.Sprintf("%v %q: %s", ErrInvalidObject, e.ID, strings.Join(parts, "; "))
}

func (e *InvalidError) Unwrap() error { return ErrInvalidObject }

// ValidatePipelineObject checks that body is a pipeline object Front50 can read under the key
// id. The error is an *InvalidError (wrapping ErrInvalidObject) that lists every problem.
func ValidatePipelineObject(id string, body []byte) error {
	_, err := validatePipelineObject(id, body)
	return err
}

// validatePipelineObject is ValidatePipelineObject that also returns the document it decoded:
// for a body that passes, what DecodeStored gives.
func validatePipelineObject(id string, body []byte) (map[string]any, error) {
	doc, probs := pipelineObjectProblems(id, body)
	if len(probs) > 0 {
		return nil, &InvalidError{ID: id, Problems: probs}
	}
	return doc, nil
}

func pipelineObjectProblems(id string, body []byte) (map[string]any, []Problem) {
	if err := ValidateID(id); err != nil {
		return nil, []Problem{{Msg: err.Error()}}
	}
	// Go's decoder silently replaces invalid UTF-8; Jackson rejects it.
	if !utf8.Valid(body) {
		return nil, []Problem{{Msg: "body is not valid UTF-8"}}
	}
	doc, err := decodeObject(body)
	if err != nil {
		return nil, []Problem{{Msg: err.Error()}}
	}
	// Jackson sets a typed property once per occurrence, so a refused first value fails the
	// read even when a later one would pass; and which value counts is a reader's choice.
	if scannedKeys(body) != decodedKeys(doc) {
		if path, dup := duplicateKey(body); dup {
			return nil, []Problem{{Path: path, Msg: "appears twice in the object; write each key once"}}
		}
	}
	return doc, docProblems(id, doc)
}

// PipelineDocProblems runs the checks of ValidatePipelineObject that concern the content on an
// already decoded document (JSON-like values, numbers as json.Number), so that offline commands
// report what a sync would refuse before anything reaches a store: every problem, each with
// the path of the field.
func PipelineDocProblems(id string, doc map[string]any) []Problem {
	if err := ValidateID(id); err != nil {
		return []Problem{{Path: "id", Msg: err.Error()}}
	}
	return docProblems(id, doc)
}

func docProblems(id string, doc map[string]any) []Problem {
	bodyID, ok := doc["id"].(string)
	if !ok {
		return []Problem{{Path: "id", Msg: fmt.Sprintf("is %s, want a string", describe(doc["id"]))}}
	}
	if bodyID != id {
		return []Problem{{Path: "id", Msg: fmt.Sprintf("is %q but the key is %q; they must be equal", bodyID, id)}}
	}
	// The typed fields are independent: report every one that is wrong, so a template author
	// fixes them in one round.
	var probs []Problem
	for _, f := range []string{"application", "name"} {
		s, ok := doc[f].(string)
		if !ok {
			probs = append(probs, Problem{Path: f, Msg: fmt.Sprintf("is %s, want a string", describe(doc[f]))})
		} else if strings.TrimSpace(s) == "" {
			probs = append(probs, Problem{Path: f, Msg: "is blank"})
		}
	}
	if _, ok := doc["lastModified"]; ok {
		probs = append(probs, Problem{Path: "lastModified", Msg: "is Front50's internal field and must not be written"})
	}
	triggersOK := true
	for _, f := range typedFields {
		v, ok := doc[f.name]
		if !ok || v == nil {
			continue
		}
		if p, bad := checkKind(v, f.kind); bad {
			p.Path = f.name + p.Path
			probs = append(probs, p)
			triggersOK = triggersOK && f.name != "triggers"
		}
	}
	if trig, ok := doc["triggers"].([]any); ok && triggersOK {
		for i, t := range trig {
			m := t.(map[string]any) // checkKind made sure
			// Front50 casts these two to String when it serves and compares triggers.
			for _, f := range []string{"type", "pipeline"} {
				if v, ok := m[f]; ok && v != nil {
					if _, ok := v.(string); !ok {
						probs = append(probs, Problem{Path: fmt.Sprintf("triggers[%d].%s", i, f), Msg: fmt.Sprintf("is %s, want a string", describe(v))})
					}
				}
			}
		}
	}
	return probs
}

// scannedKeys counts the members of every object in body (valid JSON): the colons outside
// strings. Fewer keys in the decoded tree means a key appeared twice somewhere; counting is
// much cheaper than walking the tokens, which only then names the key.
func scannedKeys(body []byte) int {
	n, inString, escaped := 0, false, false
	for _, c := range body {
		switch {
		case escaped:
			escaped = false
		case inString && c == '\\':
			escaped = true
		case c == '"':
			inString = !inString
		case !inString && c == ':':
			n++
		}
	}
	return n
}

func decodedKeys(v any) int {
	switch v := v.(type) {
	case map[string]any:
		n := len(v)
		for _, x := range v {
			n += decodedKeys(x)
		}
		return n
	case []any:
		n := 0
		for _, x := range v {
			n += decodedKeys(x)
		}
		return n
	}
	return 0
}

// duplicateKey reports the first key that appears twice in one object anywhere in body (which
// must be valid JSON), with its path.
func duplicateKey(body []byte) (string, bool) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	type frame struct {
		keys    map[string]bool // nil for an array
		path    string
		key     string // in an object: the key whose value comes next, when haveKey
		haveKey bool
		index   int // in an array: the next element's index
	}
	var stack []*frame
	for {
		tok, err := dec.Token()
		if err != nil {
			return "", false
		}
		d, isDelim := tok.(json.Delim)
		if isDelim && (d == '}' || d == ']') {
			stack = stack[:len(stack)-1]
			continue
		}
		path := ""
		if n := len(stack); n > 0 {
			top := stack[n-1]
			switch {
			case top.keys != nil && !top.haveKey:
				k := tok.(string)
				if top.keys[k] {
					return joinPath(top.path, k), true
				}
				top.keys[k] = true
				top.key, top.haveKey = k, true
				continue
			case top.keys != nil:
				path = joinPath(top.path, top.key)
				top.haveKey = false
			default:
				path = fmt.Sprintf("%s[%d]", top.path, top.index)
				top.index++
			}
		}
		if isDelim {
			f := &frame{path: path}
			if d == '{' {
				f.keys = map[string]bool{}
			}
			stack = append(stack, f)
		}
	}
}

func joinPath(parent, key string) string {
	if parent == "" {
		return key
	}
	return parent + "." + key
}

// DecodeStored decodes a stored object the way Front50's Jackson reads it: a UTF-8 byte order
// mark is skipped and whatever follows the first value is never looked at. An error means
// Jackson could not read it either.
func DecodeStored(body []byte) (map[string]any, error) {
	b := bytes.TrimPrefix(body, []byte("\xef\xbb\xbf"))
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("not valid JSON: %v", err)
	}
	// Go's decoder replaces invalid UTF-8 where Jackson stops.
	if !utf8.Valid(b[:dec.InputOffset()]) {
		return nil, errors.New("not valid UTF-8")
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("not a JSON object but %s", describe(v))
	}
	return m, nil
}

// decodeObject decodes exactly one JSON object, numbers kept as json.Number.
func decodeObject(body []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("not valid JSON: %v", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("not valid JSON: data after the top-level value")
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("not a JSON object but %s", describe(v))
	}
	return m, nil
}

// checkKind returns the problem of a value of a typed field, with a Path relative to the field
// ("" or "[2]").
func checkKind(v any, kind fieldKind) (Problem, bool) {
	bad := func(path, format string, args ...any) (Problem, bool) {
		return Problem{Path: path, Msg: fmt.Sprintf(format, args...)}, true
	}
	switch kind {
	case kindString:
		if _, ok := v.(string); !ok {
			return bad("", "is %s, want a string", describe(v))
		}
	case kindInt:
		n, ok := v.(json.Number)
		if !ok {
			return bad("", "is %s, want an integer", describe(v))
		}
		i, err := strconv.ParseInt(n.String(), 10, 64)
		if err != nil || i < math.MinInt32 || i > math.MaxInt32 {
			return bad("", "is %s, want a 32-bit integer", n)
		}
	case kindBool:
		if _, ok := v.(bool); !ok {
			return bad("", "is %s, want true or false", describe(v))
		}
	case kindObject:
		if _, ok := v.(map[string]any); !ok {
			return bad("", "is %s, want an object", describe(v))
		}
	case kindObjectList, kindStringList:
		list, ok := v.([]any)
		if !ok {
			return bad("", "is %s, want an array", describe(v))
		}
		for i, e := range list {
			if kind == kindObjectList {
				if _, ok := e.(map[string]any); !ok {
					return bad(fmt.Sprintf("[%d]", i), "is %s, want an object", describe(e))
				}
			} else if _, ok := e.(string); !ok {
				return bad(fmt.Sprintf("[%d]", i), "is %s, want a string", describe(e))
			}
		}
	}
	return Problem{}, false
}

func describe(v any) string {
	switch v.(type) {
	case nil:
		return "null or missing"
	case string:
		return "a string"
	case json.Number, float64:
		return "a number"
	case bool:
		return "a boolean"
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("%T", v)
}
