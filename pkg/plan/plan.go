// Package plan decides, for every pipeline in scope, what a sync would do with it: create,
// update, delete, leave alone, or refuse because of a conflict.
package plan

import (
	"time"

	"github.com/pipegen/pipegen/pkg/diff"
)

// Action is what sync does with one pipeline.
type Action string

const (
	Create    Action = "create"
	Update    Action = "update"
	Delete    Action = "delete"    // owned, source gone, --prune given
	Unchanged Action = "unchanged" //
	Orphan    Action = "orphan"    // owned, source gone, no --prune: "not in source, kept"
	Conflict  Action = "conflict"  // a UI-made pipeline has the planned name; sync refuses without --adopt
	Adopt     Action = "adopt"     // conflict resolved by --adopt: existing id kept, object rewritten as owned
)

// Item is the plan for one pipeline.
type Item struct {
	Action      Action        `json:"action"`
	ID          string        `json:"id"`
	Application string        `json:"application"`
	Name        string        `json:"name"`
	Source      string        `json:"source,omitempty"` // "FILE: STACK/KEY"; empty for store-only pipelines
	Reason      string        `json:"reason,omitempty"` // why a conflict or orphan is what it is
	Changes     []diff.Change `json:"changes,omitempty"`
	// Drift is set on an update of a pipeline whose stored object was last saved by someone
	// other than pipegen (in the UI, through the API): what differs from the source includes
	// their edits, which sync reverts.
	Drift *Drift `json:"drift,omitempty"`

	// Desired is the full object sync would write (nil for delete/orphan, and when Body holds
	// it): read it with Document.
	Desired map[string]any `json:"-"`
	// Body holds the desired object outside the heap: a plan of ten thousand creates would
	// otherwise hold ten thousand documents until the last is written.
	Body DocSource `json:"-"`
	// ETag of the stored object the plan was made from, for a conditional write ("" = absent).
	ETag string `json:"-"`
	// Keep holds fields of the stored object that an update carries over (pipeline.UserSet:
	// `index` and `disabled`, set in Deck, unless the template sets them; `createTs` as stored,
	// whatever its type): they never show in a diff, so a rewrite must not silently drop them.
	Keep map[string]any `json:"-"`
}

// DocSource gives a document held elsewhere, a new copy on every call.
type DocSource interface {
	Document() (map[string]any, error)
}

// Document returns the object sync would write: Desired, or what Body holds.
func (it *Item) Document() (map[string]any, error) {
	if it.Desired != nil || it.Body == nil {
		return it.Desired, nil
	}
	return it.Body.Document()
}

// Drift says who last saved a stored pipeline outside pipegen, and when, from the object's
// lastModifiedBy and updateTs (Front50 sets both on every save). A stored object records only
// its last writer, not who wrote each value, so drift belongs to the pipeline: its changes may
// also hold source changes made since pipegen last wrote it.
type Drift struct {
	// By is lastModifiedBy as stored; "" when the object has none.
	By string `json:"by"`
	// At is updateTs as a time; zero when the object has none or it is not epoch milliseconds.
	At time.Time `json:"at"`
}

// Counts is the summary line of a plan.
type Counts struct {
	Create    int `json:"create"`
	Update    int `json:"update"`
	Delete    int `json:"delete"`
	Unchanged int `json:"unchanged"`
	Conflict  int `json:"conflict"`
	Kept      int `json:"kept"`  // orphans kept because --prune was not given
	Drift     int `json:"drift"` // updates that revert changes made outside pipegen
}

// Plan is the ordered list of items (sorted by application, then name, then id).
type Plan struct {
	Items  []Item `json:"pipelines"`
	Counts Counts `json:"summary"`
	// Unmanaged lists what the plan leaves alone in the applications it manages (unmanaged.go).
	Unmanaged []Unmanaged `json:"-"`
	// Applications are written before the pipelines (applications.go).
	Applications []AppItem `json:"applications,omitempty"`
	AppCounts    AppCounts `json:"applicationSummary"`
}

// Count summarises items.
func Count(items []Item) Counts {
	var c Counts
	for _, it := range items {
		switch it.Action {
		case Create:
			c.Create++
		case Update, Adopt:
			c.Update++
		case Delete:
			c.Delete++
		case Unchanged:
			c.Unchanged++
		case Conflict:
			c.Conflict++
		case Orphan:
			c.Kept++
		}
		if it.Drift != nil {
			c.Drift++
		}
	}
	return c
}

// HasChanges reports whether applying the plan would write or delete anything.
func (p *Plan) HasChanges() bool {
	c, a := p.Counts, p.AppCounts
	return c.Create+c.Update+c.Delete+c.Conflict+a.Create+a.Update+a.Conflict > 0
}
