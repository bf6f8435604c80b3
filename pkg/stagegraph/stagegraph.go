// Package stagegraph lays a pipeline's stages out the way Spinnaker's UI (Deck) draws a
// pipeline's configuration: a "Configuration" node first, then one column per dependency depth
// (a stage sits one column right of its deepest requisite stage), rows ordered so that links
// cross as little as Deck's own ordering makes them, and a link from every requisite stage to
// the stages that wait for it. It draws the layout as self-contained SVG with changed, added and
// removed stages marked, for the HTML plan and the local web view.
//
// Use: Stages (or StageOf for one stage object) to read a pipeline, set each Stage's Mark,
// Layout to place them, then (*Graph).SVG to draw.
package stagegraph

import (
	"fmt"
	"sort"
	"strings"

	"github.com/pipegen/pipegen/pkg/pipeline"
)

// Mark says how a stage differs between what is stored and what sync writes.
type Mark string

const (
	Same    Mark = ""
	Changed Mark = "changed"
	Added   Mark = "added"
	Removed Mark = "removed"
)

// Stage is one node of the graph, as read from a stage object.
type Stage struct {
	RefID      string
	Name       string
	Type       string
	Requisites []string // refIds of the stages this one waits for
	// RowOverride is the stage's graphRowOverride (Deck lets users pin a stage's row); 0: none.
	RowOverride int
	Mark        Mark
}

// Stages reads the stages of a pipeline document, in document order.
func Stages(doc map[string]any) ([]Stage, error) {
	raw, ok := doc["stages"]
	if !ok || raw == nil {
		return nil, nil
	}
	items, ok := raw.([]any)
	if !ok {
		return nil, fmt.Errorf("stages: not a list")
	}
	out := make([]Stage, 0, len(items))
	for i, it := range items {
		m, ok := it.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("stages[%d]: not an object", i)
		}
		s, err := StageOf(m)
		if err != nil {
			return nil, fmt.Errorf("stages[%d]: %w", i, err)
		}
		out = append(out, s)
	}
	return out, nil
}

// StageOf reads one stage object (a pipeline's stage, or the From of a removed-stage change).
func StageOf(m map[string]any) (Stage, error) {
	ref, ok := pipeline.RefID(m["refId"])
	if !ok {
		return Stage{}, fmt.Errorf("no refId")
	}
	s := Stage{RefID: ref}
	s.Name, _ = m["name"].(string)
	s.Type, _ = m["type"].(string)
	if v, ok := m["requisiteStageRefIds"]; ok && v != nil {
		reqs, ok := v.([]any)
		if !ok {
			return Stage{}, fmt.Errorf("stage %s: requisiteStageRefIds is not a list", ref)
		}
		for i, r := range reqs {
			id, ok := pipeline.RefID(r)
			if !ok {
				return Stage{}, fmt.Errorf("stage %s: requisiteStageRefIds[%d] is not a refId", ref, i)
			}
			s.Requisites = append(s.Requisites, id)
		}
	}
	switch v := m["graphRowOverride"].(type) {
	case float64:
		s.RowOverride = int(v)
	case int:
		s.RowOverride = v
	case int64:
		s.RowOverride = int(v)
	case interface{ Int64() (int64, error) }: // json.Number
		if n, err := v.Int64(); err == nil {
			s.RowOverride = int(n)
		}
	}
	return s, nil
}

// Node is a placed stage. Config marks the "Configuration" node (triggers, parameters) that
// Deck draws before the first stages; Placeholder nodes keep a long link clear of the nodes
// between its ends and are not drawn.
type Node struct {
	Stage
	Config      bool
	Placeholder bool
	Column, Row int
	X, Y        int // centre of the node's dot, in SVG user units

	parents, children []*Node
	lastColumn        int
}

// Link joins a requisite stage (From) to a stage that waits for it (To); indexes into Nodes.
type Link struct {
	From, To int
}

// Graph is a laid-out pipeline.
type Graph struct {
	Nodes         []Node // column by column, top to bottom, placeholders included
	Links         []Link // in Nodes order of From, then To
	Width, Height int    // of the drawing
	Columns       int
}

// ConfigRef is the refId of the Configuration node in a Graph; stage refIds never start with a
// NUL, so it cannot clash with one.
const ConfigRef = "\x00config"

// Layout places the stages. config marks the Configuration node (changed triggers or
// parameters). A stage waiting for a refId no stage has, a refId used twice and a dependency
// cycle are errors, since Spinnaker could not run the pipeline either; a removed stage's links
// to stages that are gone too are dropped instead, as it is drawn only to show where it was.
func Layout(stages []Stage, config Mark) (*Graph, error) {
	nodes := make([]*Node, 0, len(stages)+1)
	root := &Node{Stage: Stage{RefID: ConfigRef, Name: "Configuration", Mark: config}, Config: true}
	nodes = append(nodes, root)
	byRef := map[string]*Node{}
	for i := range stages {
		s := stages[i]
		if _, dup := byRef[s.RefID]; dup {
			return nil, fmt.Errorf("refId %q is used by two stages", s.RefID)
		}
		n := &Node{Stage: s}
		byRef[s.RefID] = n
		nodes = append(nodes, n)
	}
	for _, n := range nodes[1:] {
		seen := map[string]bool{}
		for _, r := range n.Requisites {
			p, ok := byRef[r]
			if !ok {
				if n.Mark == Removed {
					continue
				}
				return nil, fmt.Errorf("stage %s waits for refId %q, which no stage has", n.RefID, r)
			}
			if !seen[r] {
				seen[r] = true
				n.parents = append(n.parents, p)
				p.children = append(p.children, n)
			}
		}
		if len(n.parents) == 0 {
			n.parents = []*Node{root}
			root.children = append(root.children, n)
		}
	}
	if err := assignColumns(nodes); err != nil {
		return nil, err
	}
	cols := orderRows(nodes)
	// Links are checked for overlaps in child order; ordering children by place rather than by
	// where they stand in the document makes the drawing the same for any stage order.
	for _, n := range nodes {
		sort.SliceStable(n.children, func(i, j int) bool {
			a, b := n.children[i], n.children[j]
			return a.Column < b.Column || a.Column == b.Column && a.Row < b.Row
		})
	}
	cols = fixOverlaps(cols)
	return place(cols), nil
}

// assignColumns puts every node one column right of its deepest parent, the depth Deck calls
// a phase.
func assignColumns(nodes []*Node) error {
	const unset = -1
	for _, n := range nodes {
		n.Column = unset
	}
	nodes[0].Column = 0
	for resolved, progress := 1, true; resolved < len(nodes); {
		if !progress {
			var stuck []string
			for _, n := range nodes {
				if n.Column == unset {
					stuck = append(stuck, n.RefID)
				}
			}
			return fmt.Errorf("stages %s wait for each other (a dependency cycle)", strings.Join(stuck, ", "))
		}
		progress = false
		for _, n := range nodes[1:] {
			if n.Column != unset {
				continue
			}
			col := 0
			ok := true
			for _, p := range n.parents {
				if p.Column == unset {
					ok = false
					break
				}
				col = max(col, p.Column+1)
			}
			if ok {
				n.Column = col
				resolved++
				progress = true
			}
		}
	}
	for _, n := range nodes {
		n.lastColumn = lastColumn(n, map[*Node]int{})
	}
	return nil
}

// lastColumn is the column of the farthest stage reachable from n.
func lastColumn(n *Node, memo map[*Node]int) int {
	if v, ok := memo[n]; ok {
		return v
	}
	last := n.Column
	for _, c := range n.children {
		last = max(last, lastColumn(c, memo))
	}
	memo[n] = last
	return last
}

// orderRows orders each column with the keys Deck sorts by, in its order: the position of the
// node's farthest, highest parent; a pinned row; the farthest reach; fewer leaf children;
// fewer parents; more children; more grandchildren; the nearest children by name; numeric
// refIds before others; the refId. Columns are ordered left to right, since a node's key
// reads its parents' rows.
func orderRows(nodes []*Node) [][]*Node {
	var cols [][]*Node
	for _, n := range nodes {
		for len(cols) <= n.Column {
			cols = append(cols, nil)
		}
		cols[n.Column] = append(cols[n.Column], n)
	}
	for _, col := range cols {
		keys := make(map[*Node]sortKey, len(col))
		for _, n := range col {
			keys[n] = keyOf(n)
		}
		sort.SliceStable(col, func(i, j int) bool { return keys[col[i]].less(keys[col[j]]) })
		for i, n := range col {
			n.Row = i
		}
	}
	return cols
}

type sortKey struct {
	parent, override, reach, leaves, parents, children, grandchildren int
	childNames                                                        string
	numeric                                                           bool
	number                                                            float64
	ref                                                               string
}

func keyOf(n *Node) sortKey {
	k := sortKey{override: 1000, ref: n.RefID}
	if len(n.parents) > 0 {
		best := n.parents[0]
		for _, p := range n.parents[1:] {
			if p.Column > best.Column || p.Column == best.Column && p.Row < best.Row {
				best = p
			}
		}
		k.parent = best.Column*100 + best.Row
	}
	if n.RowOverride != 0 {
		k.override = n.RowOverride
	}
	k.reach = -n.lastColumn
	k.leaves = 100
	leaves := 0
	for _, c := range n.children {
		if len(c.children) == 0 {
			leaves++
		}
		k.grandchildren -= len(c.children)
	}
	if leaves > 0 {
		k.leaves = leaves
	}
	k.parents = len(n.parents)
	k.children = -len(n.children)
	kids := append([]*Node(nil), n.children...)
	sort.SliceStable(kids, func(i, j int) bool {
		// Deck keeps document order among children of one column; name and refId make the
		// drawing independent of it.
		a, b := kids[i], kids[j]
		if a.Column != b.Column {
			return a.Column < b.Column
		}
		return a.Name < b.Name || a.Name == b.Name && a.RefID < b.RefID
	})
	names := make([]string, len(kids))
	for i, c := range kids {
		names[i] = fmt.Sprintf("%d-%s", c.Column-n.Column, c.Name)
	}
	k.childNames = strings.Join(names, ":")
	if f, err := parseNumber(n.RefID); err == nil {
		k.numeric, k.number = true, f
	}
	return k
}

func (a sortKey) less(b sortKey) bool {
	for _, d := range []int{a.parent - b.parent, a.override - b.override, a.reach - b.reach,
		a.leaves - b.leaves, a.parents - b.parents, a.children - b.children, a.grandchildren - b.grandchildren} {
		if d != 0 {
			return d < 0
		}
	}
	if a.childNames != b.childNames {
		return a.childNames < b.childNames
	}
	if a.numeric != b.numeric {
		return a.numeric
	}
	if a.numeric && a.number != b.number {
		return a.number < b.number
	}
	return a.ref < b.ref
}

// fixOverlaps inserts placeholders into the columns a link crosses when the link would run
// along its row straight through other nodes: a child more than one column away on its
// parent's row. The first pass is Deck's; as an insertion moves nodes down, it can put a node
// on another link's row, so further passes fix the links that still cross a stage (Deck
// leaves those drawn through it). Each pass only moves nodes down, and a bounded number of
// passes keeps a pathological graph from taking long; it is then drawn as Deck would.
func fixOverlaps(cols [][]*Node) [][]*Node {
	for pass := 0; pass < 4*len(cols)+1; pass++ {
		changed := false
		for _, col := range cols {
			for _, n := range col {
				for _, c := range n.children {
					if c.Column-n.Column <= 1 || c.Row != n.Row || pass > 0 && !crossesStage(cols, n, c) {
						continue
					}
					for ci := n.Column + 1; ci < c.Column; ci++ {
						if len(cols[ci]) < n.Row {
							continue
						}
						ph := &Node{Placeholder: true, Column: ci}
						cols[ci] = append(cols[ci][:n.Row], append([]*Node{ph}, cols[ci][n.Row:]...)...)
						for r, m := range cols[ci] {
							m.Row = r
						}
						changed = true
					}
				}
			}
		}
		if !changed {
			break
		}
	}
	return cols
}

// crossesStage reports whether the straight link from n to c passes through a stage.
func crossesStage(cols [][]*Node, n, c *Node) bool {
	for ci := n.Column + 1; ci < c.Column; ci++ {
		if n.Row < len(cols[ci]) && !cols[ci][n.Row].Placeholder {
			return true
		}
	}
	return false
}

// Drawing sizes, in SVG user units.
const (
	ColumnWidth = 200
	RowHeight   = 58
	Margin      = 16
	DotRadius   = 8
	labelWidth  = ColumnWidth - 3*DotRadius
)

func place(cols [][]*Node) *Graph {
	g := &Graph{Columns: len(cols)}
	index := map[*Node]int{}
	rows := 0
	for _, col := range cols {
		rows = max(rows, len(col))
		for _, n := range col {
			n.X = Margin + DotRadius + n.Column*ColumnWidth
			n.Y = Margin + DotRadius + n.Row*RowHeight
			index[n] = len(g.Nodes)
			g.Nodes = append(g.Nodes, *n)
		}
	}
	for _, col := range cols {
		for _, n := range col {
			for _, c := range n.children {
				g.Links = append(g.Links, Link{From: index[n], To: index[c]})
			}
		}
	}
	sort.SliceStable(g.Links, func(i, j int) bool {
		a, b := g.Links[i], g.Links[j]
		return a.From < b.From || a.From == b.From && a.To < b.To
	})
	g.Width = 2*Margin + (len(cols)-1)*ColumnWidth + 2*DotRadius + labelWidth
	g.Height = 2*Margin + (rows-1)*RowHeight + 2*DotRadius + 30
	for i := range g.Nodes {
		g.Nodes[i].parents, g.Nodes[i].children = nil, nil
	}
	return g
}

// Node returns the node of a refId (ConfigRef for the Configuration node).
func (g *Graph) Node(ref string) (Node, bool) {
	for _, n := range g.Nodes {
		if !n.Placeholder && n.RefID == ref {
			return n, true
		}
	}
	return Node{}, false
}
