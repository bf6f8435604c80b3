package output

import (
	"encoding/json"
	"fmt"
	"io"

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
}

type jsonSummary struct {
	Create    int `json:"create"`
	Update    int `json:"update"`
	Delete    int `json:"delete"`
	Unchanged int `json:"unchanged"`
	Conflict  int `json:"conflict"`
	Kept      int `json:"kept"`
}

type jsonItem struct {
	Action      string       `json:"action"`
	ID          string       `json:"id"`
	Application string       `json:"application"`
	Name        string       `json:"name"`
	Source      string       `json:"source"`
	Reason      string       `json:"reason"`
	Changes     []jsonChange `json:"changes"`
}

// jsonChange has "from" exactly when the kind is "change" or "remove" and "to" exactly when it is
// "change" or "add"; a present value may be null only inside a list.
type jsonChange struct {
	Kind string           `json:"kind"`
	Path string           `json:"path"`
	From *json.RawMessage `json:"from,omitempty"`
	To   *json.RawMessage `json:"to,omitempty"`
}

// PlanJSON writes the plan in the stable schema documented in docs/output-json.md: every
// pipeline of the plan, unchanged ones included, in plan order; two-space indentation.
func PlanJSON(w io.Writer, p *plan.Plan) error {
	c := p.Counts
	out := jsonPlan{
		APIVersion: APIVersion,
		Summary: jsonSummary{Create: c.Create, Update: c.Update, Delete: c.Delete,
			Unchanged: c.Unchanged, Conflict: c.Conflict, Kept: c.Kept},
		Pipelines: make([]jsonItem, 0, len(p.Items)),
	}
	for _, it := range p.Items {
		ji := jsonItem{
			Action: string(it.Action), ID: it.ID, Application: it.Application, Name: it.Name,
			Source: it.Source, Reason: it.Reason, Changes: make([]jsonChange, 0, len(it.Changes)),
		}
		for _, ch := range it.Changes {
			jc := jsonChange{Kind: string(ch.Kind), Path: ch.Path}
			var err error
			if ch.Kind != diff.Added {
				if jc.From, err = rawJSON(ch.From); err != nil {
					return fmt.Errorf("print %s: %s: %w", fullName(it), ch.Path, err)
				}
			}
			if ch.Kind != diff.Removed {
				if jc.To, err = rawJSON(ch.To); err != nil {
					return fmt.Errorf("print %s: %s: %w", fullName(it), ch.Path, err)
				}
			}
			ji.Changes = append(ji.Changes, jc)
		}
		out.Pipelines = append(out.Pipelines, ji)
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

func rawJSON(v any) (*json.RawMessage, error) {
	s, err := compactJSON(v)
	if err != nil {
		return nil, err
	}
	r := json.RawMessage(s)
	return &r, nil
}
