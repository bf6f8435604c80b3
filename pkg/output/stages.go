package output

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"sigs.k8s.io/yaml"
)

// stageRow is one line of a pipeline's stage list.
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

// stageCount describes a new pipeline's size for tables.
func stageCount(doc map[string]any) string {
	n := len(stageRows(doc))
	if n == 1 {
		return "1 stage"
	}
	return fmt.Sprintf("%d stages", n)
}

// documentYAML is a new pipeline as a reviewer reads it: every field sync will write, as YAML
// (keys sorted, multi-line strings as blocks), one entry per line.
func documentYAML(doc map[string]any) ([]string, error) {
	b, err := yaml.Marshal(doc)
	if err != nil {
		return nil, fmt.Errorf("print as YAML: %w", err)
	}
	return strings.Split(strings.TrimSuffix(string(b), "\n"), "\n"), nil
}
