// Package output prints plans (`pipegen diff`, `pipegen sync`) and rendered documents
// (`pipegen render`) as text, JSON, YAML and Markdown. Every printer is deterministic: the same
// input gives the same bytes, so outputs can be golden-tested and diffed in CI.
package output

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/pipegen/pipegen/pkg/diff"
	"github.com/pipegen/pipegen/pkg/plan"
)

// foldWidth is the line length above which a change's values move to their own lines, pretty
// printed, so that an added stage reads like JSON rather than one 3 000-character line.
const foldWidth = 100

// compactJSON renders v on one line, keys sorted, without HTML escaping (SpEL uses < > &).
func compactJSON(v any) (string, error) {
	return encodeJSON(v, "")
}

// prettyJSON renders v with two-space indentation.
func prettyJSON(v any) (string, error) {
	return encodeJSON(v, "  ")
}

func encodeJSON(v any, indent string) (string, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", indent)
	if err := enc.Encode(v); err != nil {
		return "", fmt.Errorf("encode value as JSON: %w", err)
	}
	return strings.TrimSuffix(buf.String(), "\n"), nil
}

// changeLine is one change rendered for a human: a head line and, when folded, the values on
// their own lines. For a folded change, from and to hold the pretty-printed values (one entry per
// line); otherwise the whole change is in head.
type changeLine struct {
	kind     diff.Kind
	head     string
	folded   bool
	from, to []string
}

// formatChange renders c; indent is the width the head line will be printed at, so the fold
// decision accounts for it.
func formatChange(c diff.Change, indent int) (changeLine, error) {
	cl := changeLine{kind: c.Kind}
	var from, to string
	var err error
	if c.Kind != diff.Added {
		if from, err = compactJSON(c.From); err != nil {
			return cl, fmt.Errorf("%s: %w", c.Path, err)
		}
	}
	if c.Kind != diff.Removed {
		if to, err = compactJSON(c.To); err != nil {
			return cl, fmt.Errorf("%s: %w", c.Path, err)
		}
	}
	switch c.Kind {
	case diff.Added:
		cl.head = "+ " + c.Path + ": " + to
	case diff.Removed:
		cl.head = "- " + c.Path + ": " + from
	default:
		cl.head = "~ " + c.Path + ": " + from + " → " + to
	}
	// Fold on the values' length, not the path's: a short version bump under a deep path
	// reads best on one line.
	if utf8.RuneCountInString(from)+utf8.RuneCountInString(to) <= foldWidth-indent-40 {
		return cl, nil
	}
	cl.folded = true
	cl.head = symbol(c.Kind) + " " + c.Path + ":"
	if c.Kind != diff.Added {
		p, err := prettyJSON(c.From)
		if err != nil {
			return cl, fmt.Errorf("%s: %w", c.Path, err)
		}
		cl.from = strings.Split(p, "\n")
	}
	if c.Kind != diff.Removed {
		p, err := prettyJSON(c.To)
		if err != nil {
			return cl, fmt.Errorf("%s: %w", c.Path, err)
		}
		cl.to = strings.Split(p, "\n")
	}
	return cl, nil
}

func symbol(k diff.Kind) string {
	switch k {
	case diff.Added:
		return "+"
	case diff.Removed:
		return "-"
	default:
		return "~"
	}
}

// stageRow is one line of a new pipeline's stage list.
type stageRow struct{ refID, typ, name string }

// stageRows lists the stages of a pipeline document in document order.
func stageRows(doc map[string]any) []stageRow {
	stages, _ := doc["stages"].([]any)
	rows := make([]stageRow, 0, len(stages))
	for _, s := range stages {
		m, _ := s.(map[string]any)
		rows = append(rows, stageRow{refID: scalarText(m["refId"]), typ: scalarText(m["type"]), name: scalarText(m["name"])})
	}
	return rows
}

// alignRows pads the columns of rows to equal widths, two spaces apart, with no trailing blanks.
func alignRows(rows []stageRow) []string {
	var wRef, wType int
	for _, r := range rows {
		wRef = max(wRef, utf8.RuneCountInString(r.refID))
		wType = max(wType, utf8.RuneCountInString(r.typ))
	}
	out := make([]string, len(rows))
	for i, r := range rows {
		line := pad(r.refID, wRef) + "  " + pad(r.typ, wType) + "  " + r.name
		out[i] = strings.TrimRight(line, " ")
	}
	return out
}

func pad(s string, w int) string {
	return s + strings.Repeat(" ", w-utf8.RuneCountInString(s))
}

// scalarText shows a string as it is and anything else as compact JSON ("-" when absent).
func scalarText(v any) string {
	switch t := v.(type) {
	case nil:
		return "-"
	case string:
		if t == "" {
			return `""`
		}
		return t
	}
	s, err := compactJSON(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return s
}

// fullName is how a pipeline is named in every output.
func fullName(it plan.Item) string {
	return it.Application + "/" + it.Name
}

// stageCount describes a new pipeline's size for tables.
func stageCount(doc map[string]any) string {
	n := len(stageRows(doc))
	if n == 1 {
		return "1 stage"
	}
	return fmt.Sprintf("%d stages", n)
}

// SummaryLine is the one-line plan summary that ends the text output:
// "N to create, N to update, N to delete, N unchanged", followed by ", N conflicts" and
// ", N not in source, kept" only when those are non-zero.
func SummaryLine(c plan.Counts) string {
	s := fmt.Sprintf("%d to create, %d to update, %d to delete, %d unchanged", c.Create, c.Update, c.Delete, c.Unchanged)
	if c.Conflict == 1 {
		s += ", 1 conflict"
	} else if c.Conflict > 1 {
		s += fmt.Sprintf(", %d conflicts", c.Conflict)
	}
	if c.Kept > 0 {
		s += fmt.Sprintf(", %d not in source, kept", c.Kept)
	}
	return s
}
