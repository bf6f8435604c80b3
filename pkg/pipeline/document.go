// Package pipeline is the Spinnaker pipeline document as pipegen produces it: the fields pipegen
// owns (id, application, ownership marker, lock), deterministic ids for artifacts and triggers
// (ids.go), references to artifacts by name (artifacts.go), and the checks Front50's API would
// make that a direct S3 writer has to make itself (validate.go).
package pipeline

import (
	"encoding/json"
	"fmt"
	"strings"
)

// Fields pipegen owns or the server manages. They never come from a template.
const (
	FieldID             = "id"
	FieldApplication    = "application"
	FieldName           = "name"
	FieldUpdateTs       = "updateTs"
	FieldLastModifiedBy = "lastModifiedBy"
	FieldCreateTs       = "createTs"
	FieldLastModified   = "lastModified"
	FieldIndex          = "index"
	FieldDisabled       = "disabled"
	FieldLocked         = "locked"
	// MarkerKey holds pipegen's ownership marker: the one extra top-level key pipegen adds.
	// Front50 keeps unknown fields, so it survives API and UI saves.
	MarkerKey = "pipegen"
	// WrittenBy is the lastModifiedBy of every object pipegen's sync writes; any other value
	// means the object was last saved by someone else.
	WrittenBy = "pipegen"
)

// ServerManaged are fields Front50 (or the UI) sets on save; a template's value is dropped and a
// stored value never counts as a change. `index` is handled apart: it counts when a template
// sets it.
var ServerManaged = []string{FieldUpdateTs, FieldLastModifiedBy, FieldCreateTs, FieldLastModified}

// UserSet are fields people set in Deck on a managed pipeline: `index` (the order of the
// application's pipelines) and `disabled` (the switch that stops a pipeline from running, used
// in emergencies). A rewrite keeps the stored value unless the template sets the field.
var UserSet = []string{FieldIndex, FieldDisabled}

// Marker is the ownership marker stored under MarkerKey.
type Marker struct {
	Service string `json:"service"`
	Stack   string `json:"stack"`
	Key     string `json:"key"`
	File    string `json:"file"`
}

// Source renders the marker the way every message names a source.
func (m Marker) Source() string { return fmt.Sprintf("%s: %s/%s", m.File, m.Stack, m.Key) }

// MarkerOf reads the ownership marker of a stored document; ok is false for pipelines pipegen
// does not own: made in the UI or by another tool, or copied in the UI from a managed one. A
// copy carries the original's marker but gets a new id, and the marker records the id of the
// pipeline it was written for, so a copy is told apart and never pruned or overwritten.
func MarkerOf(doc map[string]any) (Marker, bool) {
	raw, ok := doc[MarkerKey].(map[string]any)
	if !ok {
		return Marker{}, false
	}
	str := func(k string) string { s, _ := raw[k].(string); return s }
	m := Marker{Service: str("service"), Stack: str("stack"), Key: str("key"), File: str("file")}
	if id, _ := doc[FieldID].(string); str("id") != id {
		return m, false
	}
	// A service writes only its own application's pipelines, so a marker naming another
	// service was copied (or forged) into this application and is not pipegen's.
	if app, _ := doc[FieldApplication].(string); app != m.Service {
		return m, false
	}
	return m, m.Service != "" && m.Stack != "" && m.Key != ""
}

func (m Marker) value(id string) map[string]any {
	return map[string]any{"id": id, "service": m.Service, "stack": m.Stack, "key": m.Key, "file": m.File}
}

// Options are the project settings that shape every document.
type Options struct {
	Lock bool // add a `locked` block so the UI refuses edits (unlockable, with the reason shown)
}

// Problem is a finding about one document. Path is a JSON-ish path into the document
// (`stages[refId=deploy].manifestArtifactId`) or "" for the document as a whole.
type Problem struct {
	Path string
	Msg  string
}

func (p Problem) String() string {
	if p.Path == "" {
		return p.Msg
	}
	return p.Path + ": " + p.Msg
}

// Result is a prepared document plus what was noticed on the way.
type Result struct {
	Doc      map[string]any
	Errors   []Problem
	Warnings []Problem
}

// Prepare turns a rendered template value into the document pipegen stores (without the
// per-run updateTs/lastModifiedBy, which sync adds at write time). app is the service name;
// id the pipeline id (derived from the identity, or an adopted pipeline's existing id).
func Prepare(v any, app, id string, m Marker, opt Options) Result {
	var r Result
	doc, ok := v.(map[string]any)
	if !ok {
		r.Errors = append(r.Errors, Problem{Msg: fmt.Sprintf("the template must render one pipeline object (a mapping), not %s", describe(v))})
		return r
	}
	r.Doc = doc

	switch name := doc[FieldName].(type) {
	case string:
		// Front50's API trims names; a direct writer must, or " deploy" and "deploy" coexist.
		if t := strings.TrimSpace(name); t == "" {
			r.Errors = append(r.Errors, Problem{Path: FieldName, Msg: "must not be blank"})
		} else {
			doc[FieldName] = t
		}
	case nil:
		r.Errors = append(r.Errors, Problem{Path: FieldName, Msg: "missing: every pipeline needs a name"})
	default:
		r.Errors = append(r.Errors, Problem{Path: FieldName, Msg: fmt.Sprintf("must be a string, not %s", describe(name))})
	}

	switch a := doc[FieldApplication].(type) {
	case nil:
		doc[FieldApplication] = app
	case string:
		if a != app {
			r.Errors = append(r.Errors, Problem{Path: FieldApplication, Msg: fmt.Sprintf("is %q but this service is %q: a service can only write its own application's pipelines (leave application out, it defaults to the service name)", a, app)})
		}
	default:
		r.Errors = append(r.Errors, Problem{Path: FieldApplication, Msg: fmt.Sprintf("must be a string, not %s", describe(a))})
	}

	for _, f := range ServerManaged {
		delete(doc, f)
	}
	if _, ok := doc[MarkerKey]; ok {
		r.Errors = append(r.Errors, Problem{Path: MarkerKey, Msg: "is reserved for pipegen's ownership marker; rename this field"})
	}
	doc[FieldID] = id
	doc[MarkerKey] = m.value(id)
	ApplyDefaults(doc)
	if opt.Lock {
		// With lock on, the lock is pipegen's: a template's own `locked` would silently undo
		// the project setting.
		if _, ok := doc[FieldLocked]; ok {
			r.Warnings = append(r.Warnings, Problem{Path: FieldLocked, Msg: "replaced by pipegen's lock because lock is on in pipegen.yaml; set lock: false to manage it in templates"})
		}
		doc[FieldLocked] = LockBlock(m)
	}

	assignTriggerIDs(doc, id, &r)
	arts := assignArtifactIDs(doc, id, &r)
	resolveArtifactRefs(doc, arts, &r)
	validateStages(doc, &r)
	return r
}

// ApplyDefaults fills in what Front50 writes itself on every API save when it is missing or
// null (Front50 drops nulls): `schema` "1" and empty `triggers`. pipegen writes them too, and
// fills them into stored objects before comparing, so neither a UI save nor an old object
// ever shows them as a change.
func ApplyDefaults(doc map[string]any) {
	if doc["schema"] == nil {
		doc["schema"] = "1"
	}
	if doc["triggers"] == nil {
		doc["triggers"] = []any{}
	}
}

// LockBlock is the `locked` value of a managed pipeline: the UI shows the description and
// refuses edits until someone unlocks it on purpose.
func LockBlock(m Marker) map[string]any {
	return map[string]any{
		"ui":            true,
		"allowUnlockUi": true,
		"description":   "Managed by pipegen from " + m.Source(),
	}
}

func describe(v any) string {
	switch v := v.(type) {
	case nil:
		return "null"
	case map[string]any:
		return "a mapping"
	case []any:
		return "a list"
	case string:
		return fmt.Sprintf("the string %q", v)
	case bool:
		return fmt.Sprintf("the boolean %v", v)
	case json.Number:
		return "the number " + v.String()
	}
	return fmt.Sprintf("%T", v)
}

func assignTriggerIDs(doc map[string]any, pipelineID string, r *Result) {
	triggers, ok := doc["triggers"].([]any)
	if !ok {
		if doc["triggers"] != nil {
			r.Errors = append(r.Errors, Problem{Path: "triggers", Msg: "must be a list"})
		}
		return
	}
	seen := map[string]int{}
	for i, t := range triggers {
		tm, ok := t.(map[string]any)
		if !ok {
			r.Errors = append(r.Errors, Problem{Path: fmt.Sprintf("triggers[%d]", i), Msg: "must be a mapping"})
			continue
		}
		if s, _ := tm["id"].(string); s == "" {
			label := fmt.Sprintf("#%d", i)
			if dn, _ := tm["displayName"].(string); dn != "" {
				label = dn
			}
			tm["id"] = TriggerID(pipelineID, label)
		}
		// Orca and Echo tell triggers apart by id; two with one id (two explicit ones, or two
		// with one displayName) would be one trigger to them.
		id, _ := tm["id"].(string)
		if prev, dup := seen[id]; dup {
			r.Errors = append(r.Errors, Problem{Path: fmt.Sprintf("triggers[%d]", i), Msg: fmt.Sprintf("has the same id as triggers[%d] (%s); give them different ids or displayNames", prev, id)})
			continue
		}
		seen[id] = i
	}
}

// NotInTemplate reports whether a top-level field of a stored pipeline stays out of a template
// made from it: pipegen sets it (id, application, the marker), the server does
// (ServerManaged), or it is carried over from the stored object (index).
func NotInTemplate(field string) bool {
	switch field {
	case FieldID, FieldApplication, MarkerKey, FieldIndex:
		return true
	}
	for _, f := range ServerManaged {
		if f == field {
			return true
		}
	}
	return false
}
