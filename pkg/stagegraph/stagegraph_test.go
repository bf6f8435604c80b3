package stagegraph

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files")

func st(ref, name, typ string, reqs ...string) Stage {
	return Stage{RefID: ref, Name: name, Type: typ, Requisites: reqs}
}

// where returns "column,row" per refId ("config" for the Configuration node).
func where(g *Graph) map[string]string {
	out := map[string]string{}
	for _, n := range g.Nodes {
		if n.Placeholder {
			continue
		}
		ref := n.RefID
		if n.Config {
			ref = "config"
		}
		out[ref] = fmt.Sprintf("%d,%d", n.Column, n.Row)
	}
	return out
}

func TestLayoutPositions(t *testing.T) {
	tests := []struct {
		name   string
		stages []Stage
		want   map[string]string
	}{
		{"empty pipeline: only Configuration", nil, map[string]string{"config": "0,0"}},
		{"linear", []Stage{st("1", "bake", "bake"), st("2", "deploy", "deploy", "1"), st("3", "verify", "wait", "2")},
			map[string]string{"config": "0,0", "1": "1,0", "2": "2,0", "3": "3,0"}},
		{"column is one past the deepest requisite", []Stage{st("a", "A", "wait"), st("b", "B", "wait", "a"), st("c", "C", "wait", "a", "b")},
			map[string]string{"config": "0,0", "a": "1,0", "b": "2,1", "c": "3,0"}}, // a→c keeps row 0 clear
		{
			// Both branches hang off "a"; the one reaching farther goes on top (Deck's third key).
			"fan out: the longer branch first",
			[]Stage{st("a", "A", "wait"), st("s", "short", "wait", "a"), st("l", "long", "wait", "a"), st("l2", "long 2", "wait", "l")},
			map[string]string{"config": "0,0", "a": "1,0", "l": "2,0", "s": "2,1", "l2": "3,0"},
		},
		{
			// Same parent, same reach: numeric refIds sort numerically, before names would.
			"siblings by numeric refId",
			[]Stage{st("10", "x", "wait"), st("9", "y", "wait"), st("b", "z", "wait")},
			map[string]string{"config": "0,0", "9": "1,0", "10": "1,1", "b": "1,2"},
		},
		{
			"pinned row wins over reach",
			[]Stage{st("a", "A", "wait"), st("s", "short", "wait", "a"), st("l", "long", "wait", "a"), st("l2", "long 2", "wait", "l")},
			nil, // filled below
		},
	}
	tests[len(tests)-1].stages[1].RowOverride = 1
	tests[len(tests)-1].want = map[string]string{"config": "0,0", "a": "1,0", "s": "2,0", "l": "2,1", "l2": "3,0"}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g, err := Layout(tt.stages, Same)
			if err != nil {
				t.Fatal(err)
			}
			got := where(g)
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("positions:\n got %v\nwant %v", got, tt.want)
			}
		})
	}
}

func TestLayoutPlaceholderKeepsLongLinkClear(t *testing.T) {
	// a → d skips two columns on a's row; b and c (a's chain) would sit on that line.
	stages := []Stage{st("a", "A", "wait"), st("d", "D", "wait", "a"), st("b", "B", "wait", "a"), st("c", "C", "wait", "b"), st("e", "E", "wait", "c", "d")}
	g, err := Layout(stages, Same)
	if err != nil {
		t.Fatal(err)
	}
	checkInvariants(t, stages, g)
}

func TestLayoutErrors(t *testing.T) {
	tests := []struct {
		name   string
		stages []Stage
		want   string
	}{
		{"unknown requisite", []Stage{st("1", "a", "wait", "9")}, `waits for refId "9"`},
		{"duplicate refId", []Stage{st("1", "a", "wait"), st("1", "b", "wait")}, `refId "1" is used by two stages`},
		{"cycle", []Stage{st("1", "a", "wait", "2"), st("2", "b", "wait", "1"), st("3", "c", "wait")}, "stages 1, 2 wait for each other"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Layout(tt.stages, Same)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestRemovedStageKeepsOnlyLinksToStagesStillThere(t *testing.T) {
	removed := st("old", "old check", "wait", "gone", "1")
	removed.Mark = Removed
	g, err := Layout([]Stage{st("1", "a", "wait"), removed}, Same)
	if err != nil {
		t.Fatal(err)
	}
	if got := where(g)["old"]; got != "2,0" {
		t.Errorf("removed stage at %s, want 2,0 (after 1)", got)
	}
}

// checkInvariants states what any Deck-style layout guarantees: a stage is one column past its
// deepest requisite (the first column when it has none), rows in a column are distinct and
// dense, links run left to right between the stages that depend on each other, and a link that
// stays on its row crosses no node.
func checkInvariants(t *testing.T, stages []Stage, g *Graph) {
	t.Helper()
	pos := map[string]Node{}
	occupied := map[[2]int]bool{}
	perCol := map[int]int{}
	for _, n := range g.Nodes {
		k := [2]int{n.Column, n.Row}
		if occupied[k] {
			t.Fatalf("two nodes at column %d row %d", n.Column, n.Row)
		}
		occupied[k] = true
		perCol[n.Column]++
		if !n.Placeholder {
			pos[n.RefID] = n
		}
	}
	for _, n := range g.Nodes {
		if n.Row >= perCol[n.Column] {
			t.Fatalf("row %d in column %d of %d nodes", n.Row, n.Column, perCol[n.Column])
		}
	}
	want := 0
	for _, s := range stages {
		col := 1
		for _, r := range s.Requisites {
			col = max(col, pos[r].Column+1)
		}
		if pos[s.RefID].Column != col {
			t.Errorf("stage %s in column %d, want %d", s.RefID, pos[s.RefID].Column, col)
		}
		want += max(1, len(unique(s.Requisites)))
	}
	if len(g.Links) != want {
		t.Errorf("%d links, want %d", len(g.Links), want)
	}
	for _, l := range g.Links {
		from, to := g.Nodes[l.From], g.Nodes[l.To]
		if from.Column >= to.Column || from.X >= to.X {
			t.Errorf("link %s→%s does not run left to right", from.RefID, to.RefID)
		}
		if from.Row == to.Row {
			for c := from.Column + 1; c < to.Column; c++ {
				for _, n := range g.Nodes {
					if n.Column == c && n.Row == from.Row && !n.Placeholder {
						t.Errorf("link %s→%s runs through %s", from.RefID, to.RefID, n.RefID)
					}
				}
			}
		}
	}
}

func unique(s []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, v := range s {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}

// TestLayoutRandomDAGs checks the invariants on many generated pipelines.
func TestLayoutRandomDAGs(t *testing.T) {
	rng := rand.New(rand.NewSource(12))
	for i := 0; i < 400; i++ {
		n := 1 + rng.Intn(14)
		stages := make([]Stage, n)
		for j := range stages {
			stages[j] = st(fmt.Sprint(j+1), fmt.Sprintf("stage %d", j), "wait")
			for k := 0; k < j; k++ {
				if rng.Intn(4) == 0 {
					stages[j].Requisites = append(stages[j].Requisites, fmt.Sprint(k+1))
				}
			}
		}
		rng.Shuffle(len(stages), func(a, b int) { stages[a], stages[b] = stages[b], stages[a] })
		g, err := Layout(stages, Same)
		if err != nil {
			t.Fatalf("case %d: %v", i, err)
		}
		checkInvariants(t, stages, g)
		// The same pipeline in another document order lays out the same.
		rev := append([]Stage(nil), stages...)
		for a, b := 0, len(rev)-1; a < b; a, b = a+1, b-1 {
			rev[a], rev[b] = rev[b], rev[a]
		}
		g2, err := Layout(rev, Same)
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(where(g)) != fmt.Sprint(where(g2)) {
			t.Fatalf("case %d: layout depends on stage order:\n%v\n%v", i, where(g), where(g2))
		}
		if t.Failed() {
			t.Fatalf("case %d: %+v", i, stages)
		}
	}
}

func TestStagesFromDocument(t *testing.T) {
	var doc map[string]any
	dec := json.NewDecoder(strings.NewReader(`{"stages":[
		{"refId":"1","name":"Bake","type":"bake"},
		{"refId":2,"name":"Deploy","type":"deploy","requisiteStageRefIds":[1],"graphRowOverride":3}]}`))
	dec.UseNumber()
	if err := dec.Decode(&doc); err != nil {
		t.Fatal(err)
	}
	got, err := Stages(doc)
	if err != nil {
		t.Fatal(err)
	}
	want := []Stage{{RefID: "1", Name: "Bake", Type: "bake"}, {RefID: "2", Name: "Deploy", Type: "deploy", Requisites: []string{"1"}, RowOverride: 3}}
	if fmt.Sprintf("%+v", got) != fmt.Sprintf("%+v", want) {
		t.Errorf("got %+v\nwant %+v", got, want)
	}
	for _, bad := range []string{`{"stages":{}}`, `{"stages":[1]}`, `{"stages":[{"name":"x"}]}`, `{"stages":[{"refId":"1","requisiteStageRefIds":"2"}]}`} {
		var d map[string]any
		_ = json.Unmarshal([]byte(bad), &d)
		if _, err := Stages(d); err == nil {
			t.Errorf("Stages(%s): no error", bad)
		}
	}
}

func TestSVGGolden(t *testing.T) {
	mark := func(s Stage, m Mark) Stage { s.Mark = m; return s }
	tests := []struct {
		name   string
		stages []Stage
		config Mark
	}{
		{"linear", []Stage{st("1", "Bake <ami>\x00", "bake"), st("2", "Deploy to prod & staging", "deploy", "1")}, Same},
		{"marked", []Stage{
			st("1", "Find image", "findImageFromTags"),
			mark(st("2", "Deploy canary with a rather long stage name", "deployManifest", "1"), Changed),
			mark(st("3", "Smoke test", "runJobManifest", "2"), Added),
			mark(st("4", "Manual judgment", "manualJudgment", "2"), Removed),
			st("5", "Deploy prod", "deployManifest", "3"),
		}, Changed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g, err := Layout(tt.stages, tt.config)
			if err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			if err := g.SVG(&buf, SVGOptions{ID: "graph-" + tt.name, Label: "app/" + tt.name}); err != nil {
				t.Fatal(err)
			}
			golden(t, filepath.Join("testdata", tt.name+".svg"), buf.Bytes())
		})
	}
}

func golden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from golden file (run go test -update and review):\n%s", path, got)
	}
}
