package stagegraph

import (
	"fmt"
	"html"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"
)

// SVGOptions shape a drawing.
type SVGOptions struct {
	// ID is set as the svg element's id (and prefixes nothing else), so a page can link to it.
	ID string
	// Label names the graph for screen readers (aria-label and <title>).
	Label string
}

// Colours of the marks, shared with pages that draw a legend.
var MarkColors = map[Mark]string{
	Same:    "#6b7280",
	Changed: "#b45309",
	Added:   "#15803d",
	Removed: "#b91c1c",
}

// maxLabel is how many characters of a name or type fit under a dot; the full text is in the
// node's <title>.
const maxLabel = 24

// SVG writes the graph as one standalone <svg> element: no scripts, no outside references, the
// styles in attributes, so it reads the same inline in HTML, in a file, or in a browser with
// scripts off. Every stage is a <g class="stage"> carrying data-ref-id, data-mark and a
// <title> with its name, type and refId. Output is deterministic.
func (g *Graph) SVG(w io.Writer, o SVGOptions) error {
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" class="stagegraph" width="%d" height="%d" viewBox="0 0 %d %d" role="img"`,
		g.Width, g.Height, g.Width, g.Height)
	if o.ID != "" {
		fmt.Fprintf(&b, ` id="%s"`, attr(o.ID))
	}
	if o.Label != "" {
		fmt.Fprintf(&b, ` aria-label="%s"`, attr(o.Label))
	}
	b.WriteString(` font-family="system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif">` + "\n")
	if o.Label != "" {
		fmt.Fprintf(&b, "<title>%s</title>\n", text(o.Label))
	}
	for _, l := range g.Links {
		from, to := g.Nodes[l.From], g.Nodes[l.To]
		sx, tx := from.X+DotRadius, to.X-DotRadius
		mid := (sx + tx) / 2
		colour, dash := MarkColors[Same], ""
		if to.Mark == Removed || from.Mark == Removed {
			colour, dash = MarkColors[Removed], ` stroke-dasharray="4 3"`
		} else if to.Mark == Added {
			colour = MarkColors[Added]
		}
		fmt.Fprintf(&b, `<path class="link" data-from="%s" data-to="%s" d="M%d,%d C%d,%d %d,%d %d,%d" fill="none" stroke="%s" stroke-width="2"%s/>`+"\n",
			attr(refAttr(from)), attr(refAttr(to)), sx, from.Y, mid, from.Y, mid, to.Y, tx, to.Y, colour, dash)
	}
	for _, n := range g.Nodes {
		if n.Placeholder {
			continue
		}
		writeNode(&b, n)
	}
	b.WriteString("</svg>\n")
	_, err := io.WriteString(w, b.String())
	return err
}

func writeNode(b *strings.Builder, n Node) {
	class := "stage"
	if n.Config {
		class = "stage config"
	}
	ref := refAttr(n)
	mark := string(n.Mark)
	if mark == "" {
		mark = "same"
	}
	colour := MarkColors[n.Mark]
	fmt.Fprintf(b, `<g class="%s" data-ref-id="%s" data-mark="%s">`, class, attr(ref), mark)
	title := n.Name
	if !n.Config {
		title = fmt.Sprintf("%s (%s, refId %s)", n.Name, n.Type, n.RefID)
	}
	if n.Mark != Same {
		title += ": " + string(n.Mark)
	}
	fmt.Fprintf(b, "<title>%s</title>", text(title))
	fill, dash := colour, ""
	if n.Mark == Same {
		fill = "#ffffff"
	}
	if n.Mark == Removed {
		fill, dash = "#ffffff", ` stroke-dasharray="3 2"`
	}
	if n.Mark != Same {
		// A halo makes a marked stage findable at a glance, without relying on colour alone.
		fmt.Fprintf(b, `<circle cx="%d" cy="%d" r="%d" fill="none" stroke="%s" stroke-width="2" opacity="0.45"/>`, n.X, n.Y, DotRadius+5, colour)
	}
	fmt.Fprintf(b, `<circle cx="%d" cy="%d" r="%d" fill="%s" stroke="%s" stroke-width="2"%s/>`, n.X, n.Y, DotRadius, fill, colour, dash)
	lx, ly := n.X-DotRadius, n.Y+DotRadius+14
	deco := ""
	if n.Mark == Removed {
		deco = ` text-decoration="line-through"`
	}
	weight := "400"
	if n.Mark != Same {
		weight = "600"
	}
	fmt.Fprintf(b, `<text class="name" x="%d" y="%d" font-size="12" font-weight="%s" fill="#111827"%s>%s</text>`, lx, ly, weight, deco, text(clip(nameOrRef(n))))
	sub := n.Type
	if n.Mark != Same && !n.Config {
		sub = n.Type + " · " + string(n.Mark)
	} else if n.Mark != Same {
		sub = string(n.Mark)
	}
	if sub != "" {
		fmt.Fprintf(b, `<text class="type" x="%d" y="%d" font-size="10" fill="%s">%s</text>`, lx, ly+13, colour, text(clip(sub)))
	}
	b.WriteString("</g>\n")
}

func nameOrRef(n Node) string {
	if n.Name != "" {
		return n.Name
	}
	return "refId " + n.RefID
}

func clip(s string) string {
	if utf8.RuneCountInString(s) <= maxLabel {
		return s
	}
	r := []rune(s)
	return string(r[:maxLabel-1]) + "…"
}

// refAttr is a node's refId in data attributes: empty for the Configuration node, as a stage's
// refId never is.
func refAttr(n Node) string {
	if n.Config {
		return ""
	}
	return n.RefID
}

// text escapes s for XML text and attribute values and replaces what XML cannot hold at all
// (control characters a stored name might carry) with U+FFFD.
func text(s string) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 && r != '\t' && r != '\n' && r != '\r' || r == 0xFFFE || r == 0xFFFF {
			return utf8.RuneError
		}
		return r
	}, s)
	return html.EscapeString(s)
}

func attr(s string) string { return text(s) }

func parseNumber(s string) (float64, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, nil
	}
	return strconv.ParseFloat(s, 64)
}
