package render

import (
	"strconv"
	"strings"
)

// Error is a template problem at a position. Every failure of Render, and every problem Check
// returns, is an *Error.
type Error struct {
	File      string // displayDir-relative path, e.g. "templates/deploy.yml"
	Line, Col int    // 1-based; 0 when unknown
	Msg       string

	// cause keeps the original error (e.g. from an IDResolver) reachable through errors.Is/As,
	// because pongo2 flattens function errors to strings.
	cause error
}

// Error formats the problem as "file:line:col: msg", leaving out the parts that are unknown.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		b.WriteByte(':')
		b.WriteString(strconv.Itoa(e.Line))
		if e.Col > 0 {
			b.WriteByte(':')
			b.WriteString(strconv.Itoa(e.Col))
		}
	}
	if b.Len() > 0 {
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Unwrap returns the error that caused this one, if any (an IDResolver's error, for example).
func (e *Error) Unwrap() error { return e.cause }
