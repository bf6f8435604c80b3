package render

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestREADMEJinjaTable: every row of the README's "Jinja → pongo2" table names differential
// cases, whose outcome matches the row's last-but-one column ("renders as Jinja2": pipegen
// renders them as Jinja2 does; "error": pipegen refuses them, or Jinja2 and pipegen both stop),
// and renders them against Jinja2.
func TestREADMEJinjaTable(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	text := string(data)
	start := strings.Index(text, "### Jinja → pongo2")
	if start < 0 {
		t.Fatal(`README has no "### Jinja → pongo2" section`)
	}
	text = text[start:]
	if end := strings.Index(text, "\n## "); end > 0 {
		text = text[:end]
	}
	byName := map[string]*jinjaCase{}
	for _, c := range loadJinjaCases(t) {
		byName[c.Name] = c
	}
	var rows [][]*jinjaCase
	var outcomes, firsts []string
	for _, line := range strings.Split(text, "\n") {
		if !strings.HasPrefix(line, "| ") || strings.HasPrefix(line, "| Jinja2 |") {
			continue
		}
		cells := splitRow(line)
		if len(cells) != 4 {
			t.Fatalf("row has %d columns, want 4: %s", len(cells), line)
		}
		outcome, names := cells[2], cells[3]
		if names == "—" {
			if outcome != "—" {
				t.Errorf("row names no cases: %s", line)
			}
			continue
		}
		var row []*jinjaCase
		for _, n := range strings.Split(names, ",") {
			c, ok := byName[strings.TrimSpace(n)]
			if !ok {
				t.Errorf("row names case %q, which testdata/jinja/cases does not have: %s", strings.TrimSpace(n), line)
				continue
			}
			row = append(row, c)
		}
		rows, outcomes, firsts = append(rows, row), append(outcomes, outcome), append(firsts, cells[0])
	}
	if len(rows) < 20 {
		t.Fatalf("found %d rows with cases; the table was not read", len(rows))
	}
	var all []*jinjaCase
	for _, row := range rows {
		all = append(all, row...)
	}
	ref := renderJinja2(t, all)
	for i, row := range rows {
		for _, c := range row {
			refused := c.Refused != "" || c.Error != ""
			switch {
			case strings.HasPrefix(outcomes[i], "renders as Jinja2") && refused:
				t.Errorf("row %s says it renders as Jinja2, but case %s is refused", firsts[i], c.Name)
			case strings.HasPrefix(outcomes[i], "error") && !refused:
				t.Errorf("row %s says error, but case %s renders", firsts[i], c.Name)
			case !strings.HasPrefix(outcomes[i], "renders as Jinja2") && !strings.HasPrefix(outcomes[i], "error"):
				t.Errorf("row %s: outcome %q is neither \"renders as Jinja2\" nor \"error…\"", firsts[i], outcomes[i])
			}
			t.Run(c.Name, func(t *testing.T) { checkJinjaCase(t, c, ref) })
		}
	}
}

// splitRow splits a Markdown table row on the pipes that are not escaped (\|).
func splitRow(line string) []string {
	line = strings.TrimSpace(line)
	line = strings.TrimPrefix(strings.TrimSuffix(line, "|"), "|")
	var cells []string
	var cur strings.Builder
	for i := 0; i < len(line); i++ {
		if line[i] == '\\' && i+1 < len(line) && line[i+1] == '|' {
			cur.WriteString(`\|`)
			i++
			continue
		}
		if line[i] == '|' {
			cells = append(cells, strings.TrimSpace(cur.String()))
			cur.Reset()
			continue
		}
		cur.WriteByte(line[i])
	}
	return append(cells, strings.TrimSpace(cur.String()))
}
