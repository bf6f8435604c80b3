package output

import (
	"fmt"
	"strings"

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
