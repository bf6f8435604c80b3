package diff

import (
	"strconv"
	"strings"

	"github.com/pmezard/go-difflib/difflib"
)

// LineContext is how many unchanged lines surround each change in a line diff.
const LineContext = 3

// LineOp says what a line of a hunk is.
type LineOp string

const (
	LineSame    LineOp = " "
	LineRemoved LineOp = "-"
	LineAdded   LineOp = "+"
)

// Line is one line of a hunk, without its line break. NoNewline marks the last line of a
// value that does not end with a line break, so "a" and "a\n" never look the same.
type Line struct {
	Op        LineOp `json:"op"`
	Text      string `json:"text"`
	NoNewline bool   `json:"noNewline,omitempty"`
}

// Hunk is one block of a unified diff. Starts and counts are those of the "@@ -a,b +c,d @@"
// header: 1-based, and for an empty range the line before it.
type Hunk struct {
	FromStart int    `json:"fromStart"`
	FromCount int    `json:"fromCount"`
	ToStart   int    `json:"toStart"`
	ToCount   int    `json:"toCount"`
	Lines     []Line `json:"lines"`
}

// Header is the hunk's unified-diff header, "@@ -3,7 +3,8 @@" (",1" left out as diff -u does).
func (h Hunk) Header() string {
	return "@@ -" + unifiedRange(h.FromStart, h.FromCount) + " +" + unifiedRange(h.ToStart, h.ToCount) + " @@"
}

func unifiedRange(start, count int) string {
	if count == 1 {
		return strconv.Itoa(start)
	}
	return strconv.Itoa(start) + "," + strconv.Itoa(count)
}

// Multiline reports whether a string change is shown line by line.
func Multiline(from, to string) bool {
	return strings.Contains(from, "\n") || strings.Contains(to, "\n")
}

// LineDiff returns the unified hunks from one text to another, with context lines around each
// change. Lines are compared with their line breaks, so a missing final line break is a change.
// The matching is Python difflib's (go-difflib is a port of it), so the hunks are the ones
// Python's difflib.unified_diff gives; equal texts give none.
func LineDiff(from, to string, context int) []Hunk {
	a, b := splitKeepEnds(from), splitKeepEnds(to)
	m := difflib.NewMatcher(a, b)
	var hunks []Hunk
	for _, group := range m.GetGroupedOpCodes(context) {
		first, last := group[0], group[len(group)-1]
		h := Hunk{
			FromStart: first.I1 + 1, FromCount: last.I2 - first.I1,
			ToStart: first.J1 + 1, ToCount: last.J2 - first.J1,
		}
		if h.FromCount == 0 {
			h.FromStart--
		}
		if h.ToCount == 0 {
			h.ToStart--
		}
		for _, op := range group {
			switch op.Tag {
			case 'e':
				h.Lines = appendLines(h.Lines, LineSame, a[op.I1:op.I2])
			case 'd':
				h.Lines = appendLines(h.Lines, LineRemoved, a[op.I1:op.I2])
			case 'i':
				h.Lines = appendLines(h.Lines, LineAdded, b[op.J1:op.J2])
			case 'r':
				h.Lines = appendLines(h.Lines, LineRemoved, a[op.I1:op.I2])
				h.Lines = appendLines(h.Lines, LineAdded, b[op.J1:op.J2])
			}
		}
		hunks = append(hunks, h)
	}
	return hunks
}

// addLineDiffs attaches line-by-line hunks to changes of one multi-line string to another.
func addLineDiffs(changes []Change) {
	for i, c := range changes {
		if c.Kind != Changed {
			continue
		}
		from, ok1 := c.From.(string)
		to, ok2 := c.To.(string)
		if ok1 && ok2 && Multiline(from, to) {
			changes[i].Lines = LineDiff(from, to, LineContext)
		}
	}
}

func appendLines(out []Line, op LineOp, lines []string) []Line {
	for _, l := range lines {
		text, ok := strings.CutSuffix(l, "\n")
		out = append(out, Line{Op: op, Text: text, NoNewline: !ok})
	}
	return out
}

// splitKeepEnds splits s after each "\n"; a final line without a break is kept as it is.
func splitKeepEnds(s string) []string {
	if s == "" {
		return nil
	}
	lines := strings.SplitAfter(s, "\n")
	if lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	return lines
}
