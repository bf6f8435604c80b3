package front50

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
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

// fieldKind is the JSON shape Front50's Pipeline class needs for a typed
// field; anything else fails Jackson's deserialization of the whole object.
type fieldKind int

const (
	kindString fieldKind = iota
	kindInt
	kindBool
	kindObject
	kindObjectList
	kindStringList
)

// typedFields lists the typed properties of Front50's Pipeline class
// (front50-api …/pipeline/Pipeline.java); other fields are kept as they are.
// null is accepted for all of them. Read-only; ordered for stable messages.
var typedFields = [...]struct {
	name string
	kind fieldKind
}{
	{"type", kindString},
	{"schema", kindString},
	{"createTs", kindString},
	{"updateTs", kindString},
	{"lastModifiedBy", kindString},
	{"email", kindString},
	{"serviceAccount", kindString},
	{"executionEngine", kindString},
	{"spelEvaluator", kindString},
	{"index", kindInt},
	{"stageCounter", kindInt},
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

// ValidatePipelineObject checks that body is a pipeline object Front50 can
// read under the key id. The error wraps ErrInvalidObject and says why.
func ValidatePipelineObject(id string, body []byte) error {
	if err := validatePipeline(id, body); err != nil {
		return fmt.Errorf("%w %q: %v", ErrInvalidObject, id, err)
	}
	return nil
}

func validatePipeline(id string, body []byte) error {
	if err := ValidateID(id); err != nil {
		return err
	}
	// Go's decoder silently replaces invalid UTF-8; Jackson rejects it.
	if !utf8.Valid(body) {
		return errors.New("body is not valid UTF-8")
	}
	doc, err := decodeObject(body)
	if err != nil {
		return err
	}
	return validateDoc(id, doc)
}

// ValidatePipelineDoc runs the checks of ValidatePipelineObject that concern the content on an
// already decoded document (JSON-like values, numbers as json.Number), so that offline commands
// report what a sync would refuse before anything reaches a store. The error says which field.
func ValidatePipelineDoc(id string, doc map[string]any) error {
	if err := ValidateID(id); err != nil {
		return err
	}
	return validateDoc(id, doc)
}

func validateDoc(id string, doc map[string]any) error {
	bodyID, ok := doc["id"].(string)
	if !ok {
		return fmt.Errorf(`"id" is %s, want a string`, describe(doc["id"]))
	}
	if bodyID != id {
		return fmt.Errorf(`"id" is %q but the key is %q; they must be equal`, bodyID, id)
	}
	for _, f := range []string{"application", "name"} {
		s, ok := doc[f].(string)
		if !ok {
			return fmt.Errorf("%q is %s, want a string", f, describe(doc[f]))
		}
		if strings.TrimSpace(s) == "" {
			return fmt.Errorf("%q is blank", f)
		}
	}
	if _, ok := doc["lastModified"]; ok {
		return errors.New(`"lastModified" is Front50's internal field and must not be written`)
	}
	// The typed fields are independent: report every one that is wrong (joined), so a template
	// author fixes them in one round.
	var errs []error
	triggersOK := true
	for _, f := range typedFields {
		v, ok := doc[f.name]
		if !ok || v == nil {
			continue
		}
		if err := checkKind(v, f.kind); err != nil {
			errs = append(errs, fmt.Errorf("%q %v", f.name, err))
			triggersOK = triggersOK && f.name != "triggers"
		}
	}
	if trig, ok := doc["triggers"].([]any); ok && triggersOK {
		for i, t := range trig {
			m := t.(map[string]any) // checkKind made sure
			for _, f := range []string{"type", "pipeline"} {
				if v, ok := m[f]; ok && v != nil {
					if _, ok := v.(string); !ok {
						errs = append(errs, fmt.Errorf("triggers[%d].%s is %s, want a string", i, f, describe(v)))
					}
				}
			}
		}
	}
	return errors.Join(errs...)
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

func checkKind(v any, kind fieldKind) error {
	switch kind {
	case kindString:
		if _, ok := v.(string); !ok {
			return fmt.Errorf("is %s, want a string", describe(v))
		}
	case kindInt:
		n, ok := v.(json.Number)
		if !ok {
			return fmt.Errorf("is %s, want an integer", describe(v))
		}
		i, err := n.Int64()
		if err != nil || i < math.MinInt32 || i > math.MaxInt32 {
			return fmt.Errorf("is %s, want a 32-bit integer", n)
		}
	case kindBool:
		if _, ok := v.(bool); !ok {
			return fmt.Errorf("is %s, want true or false", describe(v))
		}
	case kindObject:
		if _, ok := v.(map[string]any); !ok {
			return fmt.Errorf("is %s, want an object", describe(v))
		}
	case kindObjectList, kindStringList:
		list, ok := v.([]any)
		if !ok {
			return fmt.Errorf("is %s, want an array", describe(v))
		}
		for i, e := range list {
			if kind == kindObjectList {
				if _, ok := e.(map[string]any); !ok {
					return fmt.Errorf("element %d is %s, want an object", i, describe(e))
				}
			} else if _, ok := e.(string); !ok {
				return fmt.Errorf("element %d is %s, want a string", i, describe(e))
			}
		}
	}
	return nil
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
