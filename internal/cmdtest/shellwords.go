// Package cmdtest holds what the tests that read pipegen command lines out of documentation
// (README.md, examples/) share.
package cmdtest

import "strings"

// ShellWords splits the start of a shell command line into words the way a shell would for
// the simple lines documentation shows: quotes group, and the command ends at a pipe,
// redirection, list operator, closing parenthesis or comment.
func ShellWords(line string) []string {
	var words []string
	var cur strings.Builder
	inWord := false
	var quote rune
	flush := func() {
		if inWord {
			words = append(words, cur.String())
			cur.Reset()
			inWord = false
		}
	}
	for _, r := range line {
		switch {
		case quote != 0:
			if r == quote {
				quote = 0
			} else {
				cur.WriteRune(r)
			}
		case r == '\'' || r == '"':
			quote = r
			inWord = true
		case r == ' ' || r == '\t':
			flush()
		case strings.ContainsRune("#|>;&<)", r) && !inWord:
			flush()
			return words
		case strings.ContainsRune("|>;&<", r):
			flush()
			return words
		default:
			cur.WriteRune(r)
			inWord = true
		}
	}
	flush()
	return words
}
