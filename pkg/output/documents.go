package output

import (
	"bufio"
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
	return StreamJSON(w, Documents{N: len(docs), At: func(i int) (map[string]any, error) { return docs[i], nil }})
}

// DocumentsYAML writes the documents as a YAML stream, one document each, separated by "---"
// lines, keys sorted. No documents print nothing.
func DocumentsYAML(w io.Writer, docs []map[string]any) error {
	return StreamYAML(w, Documents{N: len(docs), At: func(i int) (map[string]any, error) { return docs[i], nil }})
}

// Documents are documents read one at a time (a streaming render keeps them on disk).
type Documents struct {
	N  int
	At func(i int) (map[string]any, error)
}

// StreamJSON writes what DocumentsJSON writes, byte for byte, one document at a time.
func StreamJSON(w io.Writer, docs Documents) error {
	if docs.N == 0 {
		_, err := io.WriteString(w, "[]\n")
		return err
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("  ", "  ") // the element indentation of a two-space array
	bw.WriteString("[\n")
	for i := range docs.N {
		d, err := docs.At(i)
		if err != nil {
			return fmt.Errorf("print documents as JSON: %w", err)
		}
		buf.Reset()
		if err := enc.Encode(d); err != nil {
			return fmt.Errorf("print %s as JSON: %w", docLabel(i, d), err)
		}
		if i > 0 {
			bw.WriteString(",\n")
		}
		bw.WriteString("  ")
		bw.Write(bytes.TrimSuffix(buf.Bytes(), []byte("\n")))
	}
	bw.WriteString("\n]\n")
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("print documents as JSON: %w", err)
	}
	return nil
}

// StreamYAML writes what DocumentsYAML writes, byte for byte, one document at a time.
func StreamYAML(w io.Writer, docs Documents) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	for i := range docs.N {
		d, err := docs.At(i)
		if err != nil {
			return fmt.Errorf("print documents as YAML: %w", err)
		}
		b, err := yaml.Marshal(d)
		if err != nil {
			return fmt.Errorf("print %s as YAML: %w", docLabel(i, d), err)
		}
		if i > 0 {
			bw.WriteString("---\n")
		}
		bw.Write(b)
	}
	if err := bw.Flush(); err != nil {
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
