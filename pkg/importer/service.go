package importer

import (
	"bytes"
	"fmt"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"
)

// ServiceFile is a new service file.
type ServiceFile struct {
	App    string
	Header string // comment lines, each starting with "# "
	// Application holds the application's own attributes for the `application:` block; nil
	// writes none.
	Application *Node
	Entries     []*Entry
}

// Text is the file's YAML.
func (f *ServiceFile) Text() ([]byte, error) {
	var b strings.Builder
	b.WriteString(f.Header)
	fmt.Fprintf(&b, "name: %s\n", f.App)
	if f.Application != nil {
		s, err := EmitMapping(f.Application, 2)
		if err != nil {
			return nil, fmt.Errorf("application: %w", err)
		}
		b.WriteString("application:\n" + s)
	}
	b.WriteString("stacks:\n")
	for _, st := range stackOrder(f.Entries) {
		fmt.Fprintf(&b, "  %s:\n    pipelines:\n", st)
		for _, e := range f.Entries {
			if e.Stack == st {
				s, err := e.text(6)
				if err != nil {
					return nil, err
				}
				b.WriteString(s)
			}
		}
	}
	return []byte(b.String()), nil
}

func stackOrder(es []*Entry) []string {
	seen := map[string]bool{}
	var out []string
	for _, e := range es {
		if !seen[e.Stack] {
			seen[e.Stack] = true
			out = append(out, e.Stack)
		}
	}
	sort.Strings(out)
	return out
}

// text is the entry as a block sequence item whose dash is at indent.
func (e *Entry) text(indent int) (string, error) {
	pad := strings.Repeat(" ", indent)
	var b strings.Builder
	fmt.Fprintf(&b, "%s- template: %s\n", pad, e.Template)
	fmt.Fprintf(&b, "%s  key: %s\n", pad, e.Key)
	fmt.Fprintf(&b, "%s  id: %s  # %s\n", pad, e.ID, comment(e.Name))
	if e.Vars != nil && len(e.Vars.Keys) > 0 {
		vars, err := EmitMapping(e.Vars, indent+4)
		if err != nil {
			return "", fmt.Errorf("%s: vars: %w", e.Name, err)
		}
		b.WriteString(pad + "  vars:\n" + vars)
	}
	return b.String(), nil
}

// comment makes a name safe in a YAML comment: one line.
func comment(s string) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s)
	return "the pipeline " + quoted(s)
}

// AddEntries adds entries to an existing service file, touching nothing else: each goes at
// the end of its stack's pipelines list, or into a new stack at the end of stacks. The file
// must write these in block style (as import does); otherwise it says what to add by hand.
func AddEntries(text []byte, entries []*Entry) ([]byte, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(text, &doc); err != nil {
		return nil, err
	}
	if len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, fmt.Errorf("not a mapping")
	}
	stacks := member(doc.Content[0], "stacks")
	if stacks == nil || stacks.Kind != yaml.MappingNode || stacks.Style&yaml.FlowStyle != 0 || len(stacks.Content) == 0 {
		return nil, fmt.Errorf("its stacks are not a block mapping")
	}
	lines := strings.SplitAfter(string(text), "\n")
	if !strings.HasSuffix(string(text), "\n") {
		lines[len(lines)-1] += "\n"
	}
	inserts := map[int][]string{} // after line n (1-based), these texts
	for _, st := range stackOrder(entries) {
		var es []*Entry
		for _, e := range entries {
			if e.Stack == st {
				es = append(es, e)
			}
		}
		var stackKey, stackVal *yaml.Node
		for i := 0; i+1 < len(stacks.Content); i += 2 {
			if strings.EqualFold(stacks.Content[i].Value, st) {
				stackKey, stackVal = stacks.Content[i], stacks.Content[i+1]
			}
		}
		if stackKey == nil {
			last := stacks.Content[len(stacks.Content)-1]
			col := stacks.Content[0].Column - 1
			var b strings.Builder
			fmt.Fprintf(&b, "%s%s:\n%s  pipelines:\n", strings.Repeat(" ", col), st, strings.Repeat(" ", col))
			for _, e := range es {
				s, err := e.text(col + 4)
				if err != nil {
					return nil, err
				}
				b.WriteString(s)
			}
			at := endLine(lines, last.Line, col)
			inserts[at] = append(inserts[at], b.String())
			continue
		}
		pipes := member(stackVal, "pipelines")
		if pipes == nil || pipes.Kind != yaml.SequenceNode || pipes.Style&yaml.FlowStyle != 0 || len(pipes.Content) == 0 {
			return nil, fmt.Errorf("the pipelines of stack %s are not a block list", stackKey.Value)
		}
		lastItem := pipes.Content[len(pipes.Content)-1]
		// A block sequence item's dash is two columns left of its content.
		dash := lastItem.Column - 3
		if dash < 0 || !strings.HasPrefix(strings.TrimLeft(lines[lastItem.Line-1], " "), "-") {
			return nil, fmt.Errorf("the pipelines of stack %s are not written one item per line", stackKey.Value)
		}
		var b strings.Builder
		for _, e := range es {
			s, err := e.text(dash)
			if err != nil {
				return nil, err
			}
			b.WriteString(s)
		}
		at := endLine(lines, lastItem.Line, dash)
		inserts[at] = append(inserts[at], b.String())
	}
	var out bytes.Buffer
	for i, l := range lines {
		out.WriteString(l)
		for _, s := range inserts[i+1] {
			out.WriteString(s)
		}
	}
	return out.Bytes(), nil
}

func member(m *yaml.Node, key string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

// endLine is the last line (1-based) of the node starting at line start whose text is
// indented by col: following lines that are more indented, or blank or comments followed by
// more indented lines, belong to it.
func endLine(lines []string, start, col int) int {
	end := start
	for i := start; i < len(lines); i++ { // lines[i] is line i+1
		l := strings.TrimRight(lines[i], "\r\n")
		t := strings.TrimLeft(l, " ")
		if t == "" || strings.HasPrefix(t, "#") {
			continue
		}
		if len(l)-len(t) <= col {
			break
		}
		end = i + 1
	}
	return end
}
