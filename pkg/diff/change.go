// Package diff compares two Spinnaker pipeline documents field by field, the way a reviewer
// reads them: stages are matched by refId, artifacts and triggers by id, so inserting one stage
// shows one added stage and key order never shows.
package diff

// Kind says what happened at a path.
type Kind string

const (
	Added   Kind = "add"
	Removed Kind = "remove"
	Changed Kind = "change"
)

// Change is one field-level difference between the current (From) and desired (To) document.
// Path segments are display strings: object keys as they are, list items identified by their
// identity where they have one (`stages[refId=deploy]`) or by position (`[2]`).
type Change struct {
	Kind Kind   `json:"kind"`
	Path string `json:"path"`
	From any    `json:"from,omitempty"`
	To   any    `json:"to,omitempty"`
}
