package action

import (
	"regexp"
	"strconv"
	"strings"

	yaml "go.yaml.in/yaml/v3"
)

func lineOf(text []byte, n int) string {
	lines := strings.Split(string(text), "\n")
	if n < 1 || n > len(lines) {
		return ""
	}
	return lines[n-1]
}

var exprRe = regexp.MustCompile(`\{\{.*?\}\}`)

// mapLine finds the template line that produced line n of the rendered text. A rendered line
// that stands verbatim in the template, or matches one template line's shape with its {{ … }}
// filled in, maps there (the nearest such line to n when several do). exact is false when no
// template line matches and n itself is returned.
func (s sourceText) mapLine(rendered []byte, n int) (line int, exact bool) {
	want := strings.TrimSpace(lineOf(rendered, n))
	if want == "" || len(s.lines) == 0 {
		return n, false
	}
	best, bestDist := 0, 0
	consider := func(i int) {
		d := i + 1 - n
		if d < 0 {
			d = -d
		}
		if best == 0 || d < bestDist {
			best, bestDist = i+1, d
		}
	}
	for i, l := range s.lines {
		if strings.TrimSpace(l) == want {
			consider(i)
		}
	}
	if best == 0 {
		for i, l := range s.lines {
			t := strings.TrimSpace(l)
			if !strings.Contains(t, "{{") || strings.Contains(t, "{%") {
				continue
			}
			parts := exprRe.Split(t, -1)
			for j := range parts {
				parts[j] = regexp.QuoteMeta(parts[j])
			}
			re, err := regexp.Compile("^" + strings.Join(parts, ".*") + "$")
			if err == nil && re.MatchString(want) {
				consider(i)
			}
		}
	}
	if best == 0 {
		return n, false
	}
	return best, true
}

// lineOfPath finds the rendered line of a document path as pkg/pipeline writes them
// (`stages[refId=deploy].manifestArtifactId`, `expectedArtifacts[1]`); it returns the line of
// the deepest part it could follow, 0 if none.
func lineOfPath(root *yaml.Node, path string) int {
	if root == nil {
		return 0
	}
	n, line := root, 0
	for _, seg := range splitPath(path) {
		switch {
		case strings.HasPrefix(seg, "["):
			inner := strings.TrimSuffix(strings.TrimPrefix(seg, "["), "]")
			if n.Kind != yaml.SequenceNode {
				return line
			}
			var next *yaml.Node
			if k, v, ok := strings.Cut(inner, "="); ok {
				for _, it := range n.Content {
					if f := field(it, k); f != nil && f.Value == v {
						next = it
						break
					}
				}
			} else if i, err := strconv.Atoi(inner); err == nil && i >= 0 && i < len(n.Content) {
				next = n.Content[i]
			}
			if next == nil {
				return line
			}
			n, line = next, next.Line
		default:
			if n.Kind != yaml.MappingNode {
				return line
			}
			found := false
			for i := 0; i+1 < len(n.Content); i += 2 {
				if n.Content[i].Value == seg {
					line, n, found = n.Content[i].Line, n.Content[i+1], true
					break
				}
			}
			if !found {
				return line
			}
		}
	}
	return line
}

func field(n *yaml.Node, key string) *yaml.Node {
	if n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

// splitPath splits `a.b[refId=x].c[2]` into a, b, [refId=x], c, [2].
func splitPath(p string) []string {
	var out []string
	for p != "" {
		switch {
		case p[0] == '.':
			p = p[1:]
		case p[0] == '[':
			end := strings.IndexByte(p, ']')
			if end < 0 {
				return append(out, p)
			}
			out = append(out, p[:end+1])
			p = p[end+1:]
		default:
			end := strings.IndexAny(p, ".[")
			if end < 0 {
				end = len(p)
			}
			out = append(out, p[:end])
			p = p[end:]
		}
	}
	return out
}
