package output

import (
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/pipegen/pipegen/pkg/diff"
	"github.com/pipegen/pipegen/pkg/plan"
)

// APIVersion identifies the JSON plan schema (docs/output-json.md). A change that could break
// a consumer gets a new version.
const APIVersion = "pipegen/v1"

// The JSON plan is built from its own structs rather than plan.Plan's tags, so that the
// documented schema does not move when the plan types do.
type jsonPlan struct {
	APIVersion string      `json:"apiVersion"`
	Summary    jsonSummary `json:"summary"`
	Pipelines  []jsonItem  `json:"pipelines"`
	Groups     []jsonGroup `json:"groups"`
	// Unmanaged is left out when empty: it was added to v1, and plans without it read as before.
	Unmanaged []jsonUnmanaged `json:"unmanaged,omitempty"`
	// Applications are written before the pipelines (applications.go).
	ApplicationSummary jsonAppSummary `json:"applicationSummary"`
	Applications       []jsonApp      `json:"applications"`
}

type jsonUnmanaged struct {
	ID          string `json:"id"`
	Application string `json:"application"`
	Name        string `json:"name"`
	Import      string `json:"import"`
}

type jsonSummary struct {
	Create    int `json:"create"`
	Update    int `json:"update"`
	Delete    int `json:"delete"`
	Unchanged int `json:"unchanged"`
	Conflict  int `json:"conflict"`
	Kept      int `json:"kept"`
	Drift     int `json:"drift"`
}

type jsonItem struct {
	Action      string       `json:"action"`
	ID          string       `json:"id"`
	Application string       `json:"application"`
	Name        string       `json:"name"`
	Source      string       `json:"source"`
	Reason      string       `json:"reason"`
	Changes     []jsonChange `json:"changes"`
	Drift       *jsonDrift   `json:"drift"`
	Group       *int         `json:"group"`
}

// jsonChange has "from" exactly when the kind is "change", "remove" or "reorder" and "to"
// exactly when it is "change", "add" or "reorder"; a present value may be null only inside a list.
type jsonChange struct {
	Kind  string           `json:"kind"`
	Path  string           `json:"path"`
	From  *json.RawMessage `json:"from,omitempty"`
	To    *json.RawMessage `json:"to,omitempty"`
	Lines []jsonHunk       `json:"lines,omitempty"`
}

// jsonHunk is a unified-diff hunk of a multi-line string: header numbers as in "@@ -a,b +c,d @@".
type jsonHunk struct {
	FromStart int        `json:"fromStart"`
	FromCount int        `json:"fromCount"`
	ToStart   int        `json:"toStart"`
	ToCount   int        `json:"toCount"`
	Lines     []jsonLine `json:"lines"`
}

type jsonLine struct {
	Op        string `json:"op"` // " ", "-" or "+"
	Text      string `json:"text"`
	NoNewline bool   `json:"noNewline,omitempty"`
}

type jsonDrift struct {
	By string  `json:"by"`
	At *string `json:"at"`
}

// jsonGroup is a set of two or more pipelines with identical changes.
type jsonGroup struct {
	Action    string       `json:"action"`
	Count     int          `json:"count"`
	Pipelines []string     `json:"pipelines"` // ids, in plan order
	Changes   []jsonChange `json:"changes"`
}

// PlanJSON writes the plan in the stable schema documented in docs/output-json.md: every
// pipeline of the plan, unchanged ones included, in plan order, then the groups of pipelines
// with identical changes; two-space indentation.
func PlanJSON(w io.Writer, p *plan.Plan) error {
	c := p.Counts
	out := jsonPlan{
		APIVersion: APIVersion,
		Summary: jsonSummary{Create: c.Create, Update: c.Update, Delete: c.Delete,
			Unchanged: c.Unchanged, Conflict: c.Conflict, Kept: c.Kept, Drift: c.Drift},
		Pipelines: make([]jsonItem, 0, len(p.Items)),
		Groups:    []jsonGroup{},
	}
	for _, u := range p.Unmanaged {
		out.Unmanaged = append(out.Unmanaged, jsonUnmanaged{ID: u.ID, Application: u.Application, Name: u.Name, Import: u.Import})
	}
	groupOf := map[int]int{}
	for _, g := range p.Groups() {
		if len(g.Items) < 2 {
			continue
		}
		jg := jsonGroup{Action: string(g.Action), Count: len(g.Items)}
		for _, i := range g.Items {
			groupOf[i] = len(out.Groups)
			jg.Pipelines = append(jg.Pipelines, p.Items[i].ID)
		}
		var err error
		if jg.Changes, err = jsonChanges(p.Items[g.Items[0]], g.Changes); err != nil {
			return err
		}
		out.Groups = append(out.Groups, jg)
	}
	for i, it := range p.Items {
		ji := jsonItem{
			Action: string(it.Action), ID: it.ID, Application: it.Application, Name: it.Name,
			Source: it.Source, Reason: it.Reason,
		}
		changes := it.Changes
		if it.Action == plan.Create {
			// Nothing is stored: every field of the new pipeline is added.
			doc, err := it.Document()
			if err != nil {
				return fmt.Errorf("print %s: %w", fullName(it), err)
			}
			if changes, err = diff.Compare(nil, doc); err != nil {
				return fmt.Errorf("print %s: %w", fullName(it), err)
			}
		}
		var err error
		if ji.Changes, err = jsonChanges(it, changes); err != nil {
			return err
		}
		if d := it.Drift; d != nil {
			ji.Drift = &jsonDrift{By: d.By}
			if !d.At.IsZero() {
				at := d.At.UTC().Format(time.RFC3339Nano)
				ji.Drift.At = &at
			}
		}
		if g, ok := groupOf[i]; ok {
			ji.Group = &g
		}
		out.Pipelines = append(out.Pipelines, ji)
	}
	var err error
	if out.Applications, out.ApplicationSummary, err = jsonApps(p); err != nil {
		return err
	}
	s, err := prettyJSON(out)
	if err != nil {
		return fmt.Errorf("print plan: %w", err)
	}
	if _, err := io.WriteString(w, s+"\n"); err != nil {
		return fmt.Errorf("print plan: %w", err)
	}
	return nil
}

func jsonChanges(it plan.Item, changes []diff.Change) ([]jsonChange, error) {
	out := make([]jsonChange, 0, len(changes))
	for _, ch := range changes {
		jc := jsonChange{Kind: string(ch.Kind), Path: ch.Path}
		for _, h := range ch.Lines {
			jh := jsonHunk{FromStart: h.FromStart, FromCount: h.FromCount, ToStart: h.ToStart, ToCount: h.ToCount, Lines: make([]jsonLine, len(h.Lines))}
			for i, l := range h.Lines {
				jh.Lines[i] = jsonLine{Op: string(l.Op), Text: l.Text, NoNewline: l.NoNewline}
			}
			jc.Lines = append(jc.Lines, jh)
		}
		var err error
		if ch.Kind != diff.Added {
			if jc.From, err = rawJSON(ch.From); err != nil {
				return nil, fmt.Errorf("print %s: %s: %w", fullName(it), ch.Path, err)
			}
		}
		if ch.Kind != diff.Removed {
			if jc.To, err = rawJSON(ch.To); err != nil {
				return nil, fmt.Errorf("print %s: %s: %w", fullName(it), ch.Path, err)
			}
		}
		out = append(out, jc)
	}
	return out, nil
}

func rawJSON(v any) (*json.RawMessage, error) {
	s, err := compactJSON(v)
	if err != nil {
		return nil, err
	}
	r := json.RawMessage(s)
	return &r, nil
}
