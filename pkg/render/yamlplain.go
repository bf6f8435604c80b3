package render

import (
	"regexp"
	"strings"

	yaml "go.yaml.in/yaml/v3"

	"github.com/pipegen/pipegen/pkg/yamldoc"
)

// PyYAML's implicit resolvers (YAML 1.1), which decide what Jinja2 + PyYAML read an unquoted
// scalar as. A string value whose plain scalar matches one of them would not come back as the
// text it was.
var (
	pyBoolRe  = regexp.MustCompile(`^(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$`)
	pyFloatRe = regexp.MustCompile(`^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?` +
		`|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?` +
		`|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*` +
		`|[-+]?\.(?:inf|Inf|INF)` +
		`|\.(?:nan|NaN|NAN))$`)
	pyIntRe = regexp.MustCompile(`^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+` +
		`|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$`)
	pyNullRe      = regexp.MustCompile(`^(?:~|null|Null|NULL|)$`)
	pyTimestampRe = regexp.MustCompile(`^(?:[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]` +
		`|[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?(?:[Tt]|[ \t]+)[0-9][0-9]?:[0-9][0-9]:[0-9][0-9](?:\.[0-9]*)?` +
		`(?:[ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?)$`)
)

// pyType names the type PyYAML gives an unquoted scalar s, or "" for a string. "=" and "<<"
// resolve to tags PyYAML's safe loader cannot build as a value: Jinja2's output would fail.
func pyType(s string) string {
	if s != "" && strings.IndexByte("yYnNtTfFoO-+0123456789.<=~", s[0]) < 0 {
		return "" // no resolver starts with this character
	}
	switch {
	case pyNullRe.MatchString(s):
		return "null"
	case pyBoolRe.MatchString(s):
		return "a boolean"
	case pyIntRe.MatchString(s):
		return "an integer"
	case pyFloatRe.MatchString(s):
		return "a float"
	case pyTimestampRe.MatchString(s):
		return "a date"
	case s == "=" || s == "<<":
		return "broken"
	}
	return ""
}

// readsAsString reports whether pipegen's own YAML reading (yaml.v3 resolved by yamldoc) gives
// the plain scalar s back as the string s. Only scalars that could resolve to something else
// are parsed.
func readsAsString(s string) bool {
	// yaml.v3 reads a word as null or a boolean only when PyYAML does too (pyType), so only
	// what may be a number or a date needs parsing.
	if s == "" || strings.IndexByte("+-.0123456789", s[0]) < 0 {
		return true
	}
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte("- "+s), &doc); err != nil || len(doc.Content) != 1 {
		return false
	}
	seq := doc.Content[0]
	if seq.Kind != yaml.SequenceNode || len(seq.Content) != 1 || seq.Content[0].Kind != yaml.ScalarNode {
		return false
	}
	v, err := yamldoc.Scalar(seq.Content[0])
	return err == nil && v == s
}

// isBreakOrUnprintable reports the runes an unquoted or single-quoted scalar, a block scalar's
// line or a comment cannot hold as themselves: line breaks (YAML 1.1 has five), and what
// PyYAML rejects as non-printable, plus the BOM.
func isBreakOrUnprintable(r rune) bool {
	switch {
	case r == '\t':
		return false
	case r < 0x20 || r == 0x7f || (r >= 0x80 && r <= 0x9f):
		return true
	case r == 0x2028 || r == 0x2029 || r == 0xfeff || r == 0xfffe || r == 0xffff:
		return true
	case r >= 0xd800 && r <= 0xdfff:
		return true
	}
	return false
}

// plainExact reports whether s, written unquoted, is scanned by PyYAML as one plain scalar
// whose text is exactly s (ignoring what the text resolves to).
func plainExact(s string, flow bool) bool {
	if s == "" {
		return false
	}
	if strings.HasPrefix(s, "---") || strings.HasPrefix(s, "...") {
		return false
	}
	c0 := s[0]
	next := byte(' ')
	if len(s) > 1 {
		next = s[1]
	}
	if strings.IndexByte("-?:,[]{}#&*!|>'\"%@`", c0) >= 0 {
		if !(strings.IndexByte("-?:", c0) >= 0 && !isBlankByte(next) && (c0 == '-' || !flow)) {
			return false
		}
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\t' || c == '\n' || c == '\r':
			return false
		case c == ' ' && i+1 < len(s) && s[i+1] == '#':
			return false
		case c == ':' && (i+1 == len(s) || isBlankByte(s[i+1]) || (flow && isFlowIndicator(s[i+1]))):
			return false
		case flow && strings.IndexByte(",?[]{}", c) >= 0:
			return false
		}
	}
	if c0 == ' ' || s[len(s)-1] == ' ' {
		return false
	}
	for _, r := range s {
		if isBreakOrUnprintable(r) {
			return false
		}
	}
	return true
}
