// Package loc is the one error type for "this file, this line, this column: what is wrong",
// shared by every loader so that all of pipegen's input errors read the same way.
package loc

import "fmt"

// Error is a problem at a place in an input file. Line and Col are 1-based; 0 means unknown,
// and the part is left out of the message.
type Error struct {
	File      string
	Line, Col int
	Msg       string
}

func (e *Error) Error() string {
	switch {
	case e.Line > 0 && e.Col > 0:
		return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Line, e.Col, e.Msg)
	case e.Line > 0:
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	}
	return fmt.Sprintf("%s: %s", e.File, e.Msg)
}
