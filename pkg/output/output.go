// Package output prints plans (`pipegen diff`, `pipegen sync`) and rendered documents
// (`pipegen render`) as text, JSON, YAML and Markdown. Every printer is deterministic: the same
// input gives the same bytes, so outputs can be golden-tested and diffed in CI.
package output

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/pipegen/pipegen/pkg/plan"
)

// compactJSON renders v on one line, keys sorted, without HTML escaping (SpEL uses < > &).
func compactJSON(v any) (string, error) {
	return encodeJSON(v, "")
}

// prettyJSON renders v with two-space indentation.
func prettyJSON(v any) (string, error) {
	return encodeJSON(v, "  ")
}

// JSONText is the JSON every view shows, for views outside this package (the web pages): keys
// sorted, no HTML escaping, one line when indent is "".
func JSONText(v any, indent string) (string, error) { return encodeJSON(v, indent) }

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

// sourceText is the item's source, or its id when it has none (pipelines found only in the store).
func sourceText(it plan.Item) string {
	if it.Source != "" {
		return it.Source
	}
	return "id " + it.ID
}

// SummaryLine is the one-line plan summary that ends the text output:
// "N to create, N to update, N to delete, N unchanged", followed by ", N conflicts",
// ", N not in source, kept" and ", N changed outside pipegen" only when those are non-zero.
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
	if c.Drift > 0 {
		s += fmt.Sprintf(", %d changed outside pipegen", c.Drift)
	}
	return s
}
