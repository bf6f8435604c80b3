package output

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"

	"sigs.k8s.io/yaml"
)

// DocumentsJSON writes the documents as one JSON array: two-space indentation, object keys
// sorted, no HTML escaping (SpEL expressions contain < > &), a trailing newline. No documents
// print as [].
func DocumentsJSON(w io.Writer, docs []map[string]any) error {
	if docs == nil {
		docs = []map[string]any{}
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(docs); err != nil {
		return fmt.Errorf("print documents as JSON: %w", err)
	}
	if _, err := w.Write(buf.Bytes()); err != nil {
		return fmt.Errorf("print documents as JSON: %w", err)
	}
	return nil
}

// DocumentsYAML writes the documents as a YAML stream, one document each, separated by "---"
// lines, keys sorted. No documents print nothing.
func DocumentsYAML(w io.Writer, docs []map[string]any) error {
	var buf bytes.Buffer
	for i, d := range docs {
		b, err := yaml.Marshal(d)
		if err != nil {
			return fmt.Errorf("print %s as YAML: %w", docLabel(i, d), err)
		}
		if i > 0 {
			buf.WriteString("---\n")
		}
		buf.Write(b)
	}
	if _, err := w.Write(buf.Bytes()); err != nil {
		return fmt.Errorf("print documents as YAML: %w", err)
	}
	return nil
}

// docLabel names a document in an error: application/name when it has them.
func docLabel(i int, d map[string]any) string {
	app, _ := d["application"].(string)
	name, _ := d["name"].(string)
	if app == "" && name == "" {
		return fmt.Sprintf("document %d", i+1)
	}
	return app + "/" + name
}
