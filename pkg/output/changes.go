package output

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/pipegen/pipegen/pkg/diff"
	"github.com/pipegen/pipegen/pkg/plan"
)

// foldWidth is the line length above which a change's values move to their own lines, pretty
// printed, so that an added stage reads like JSON rather than one 3 000-character line.
const foldWidth = 100

// bodyOp says what a line below a change's head is.
type bodyOp byte

const (
	opFrom    bodyOp = '-'  // a line of the old value
	opTo      bodyOp = '+'  // a line of the new value
	opContext bodyOp = ' '  // an unchanged line of a line diff
	opHunk    bodyOp = '@'  // a line diff's hunk header
	opNote    bodyOp = '\\' // "\ No newline at end of value"
)

type bodyLine struct {
	op   bodyOp
	text string
}

// changeLine is one change rendered for a human: a head line and, when the values do not fit
// on it, body lines: the pretty-printed old and new values, the hunks of a multi-line string,
// or the old and new order of a reordered list.
type changeLine struct {
	kind diff.Kind
	head string
	body []bodyLine
}

// formatChange renders c; indent is the width the head line will be printed at, so the fold
// decision accounts for it.
func formatChange(c diff.Change, indent int) (changeLine, error) {
	cl := changeLine{kind: c.Kind}
	if c.Kind == diff.Reordered {
		cl.head = "~ " + c.Path + ": reordered"
		cl.body = []bodyLine{{opFrom, orderText(c.From)}, {opTo, orderText(c.To)}}
		return cl, nil
	}
	if c.Kind == diff.Changed && len(c.Lines) > 0 {
		cl.head = "~ " + c.Path + ": " + lineCounts(c)
		cl.body = hunkLines(c.Lines)
		return cl, nil
	}
	var from, to string
	var err error
	if c.Kind != diff.Added {
		if from, err = compactJSON(c.From); err != nil {
			return cl, fmt.Errorf("%s: %w", c.Path, err)
		}
	}
	if c.Kind != diff.Removed {
		if to, err = compactJSON(c.To); err != nil {
			return cl, fmt.Errorf("%s: %w", c.Path, err)
		}
	}
	switch c.Kind {
	case diff.Added:
		cl.head = "+ " + c.Path + ": " + to
	case diff.Removed:
		cl.head = "- " + c.Path + ": " + from
	default:
		cl.head = "~ " + c.Path + ": " + from + " → " + to
	}
	// Fold on the values' length, not the path's: a short version bump under a deep path
	// reads best on one line.
	if utf8.RuneCountInString(from)+utf8.RuneCountInString(to) <= foldWidth-indent-40 {
		return cl, nil
	}
	cl.head = symbol(c.Kind) + " " + c.Path + ":"
	add := func(op bodyOp, v any) error {
		p, err := prettyJSON(v)
		if err != nil {
			return fmt.Errorf("%s: %w", c.Path, err)
		}
		for _, l := range strings.Split(p, "\n") {
			cl.body = append(cl.body, bodyLine{op, l})
		}
		return nil
	}
	if c.Kind != diff.Added {
		if err := add(opFrom, c.From); err != nil {
			return cl, err
		}
	}
	if c.Kind != diff.Removed {
		if err := add(opTo, c.To); err != nil {
			return cl, err
		}
	}
	return cl, nil
}

// lineCounts heads a line diff: how many lines the text had and has.
func lineCounts(c diff.Change) string {
	from, _ := c.From.(string)
	to, _ := c.To.(string)
	n := func(s string) string {
		k := strings.Count(s, "\n")
		if !strings.HasSuffix(s, "\n") {
			k++
		}
		if k == 1 {
			return "1 line"
		}
		return fmt.Sprintf("%d lines", k)
	}
	return "text of " + n(from) + " → " + n(to)
}

func hunkLines(hunks []diff.Hunk) []bodyLine {
	var out []bodyLine
	for _, h := range hunks {
		out = append(out, bodyLine{opHunk, h.Header()})
		for _, l := range h.Lines {
			op := opContext
			switch l.Op {
			case diff.LineRemoved:
				op = opFrom
			case diff.LineAdded:
				op = opTo
			}
			out = append(out, bodyLine{op, l.Text})
			if l.NoNewline {
				out = append(out, bodyLine{opNote, "No newline at end of value"})
			}
		}
	}
	return out
}

// orderText lists a reordered list's item keys.
func orderText(v any) string {
	l, _ := v.([]any)
	parts := make([]string, len(l))
	for i, e := range l {
		parts[i] = scalarText(e)
	}
	return strings.Join(parts, ", ")
}

func symbol(k diff.Kind) string {
	switch k {
	case diff.Added:
		return "+"
	case diff.Removed:
		return "-"
	default:
		return "~"
	}
}

// DriftText says who changed a pipeline outside pipegen, when, and what sync does about it.
func DriftText(d *plan.Drift) string {
	by := d.By
	if by == "" {
		by = "an unknown writer (no lastModifiedBy)"
	}
	at := "an unknown time (no updateTs)"
	if !d.At.IsZero() {
		at = d.At.UTC().Format(time.DateTime) + " UTC"
	}
	return "changed outside pipegen by " + by + " at " + at + "; sync reverts it"
}
