// Package diff compares two Spinnaker pipeline documents field by field, the way a reviewer
// reads them: stages are matched by refId, artifacts and triggers by id, so inserting one stage
// shows one added stage and key order never shows. Lists Spinnaker does not identify by id keep
// their order: moving an item of one is a reorder.
package diff

// Kind says what happened at a path.
type Kind string

const (
	Added   Kind = "add"
	Removed Kind = "remove"
	Changed Kind = "change"
	// Reordered: the items of an ordered list (parameterConfig, notifications) are the same
	// ones in another order. From and To list the items' keys (what a path shows between the
	// brackets) in stored and desired order.
	Reordered Kind = "reorder"
)

// Change is one field-level difference between the current (From) and desired (To) document.
// Path segments are display strings: object keys as they are, list items identified by their
// identity where they have one (`stages[refId=deploy]`) or by position (`[2]`).
type Change struct {
	Kind Kind   `json:"kind"`
	Path string `json:"path"`
	From any    `json:"from,omitempty"`
	To   any    `json:"to,omitempty"`
	// Lines is the line-by-line difference of a changed string that spans several lines
	// (a script, a manifest): unified hunks with a few lines of context.
	Lines []Hunk `json:"lines,omitempty"`
}
