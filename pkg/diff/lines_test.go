package diff

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os/exec"
	"strings"
	"testing"

	"github.com/pipegen/pipegen/internal/testtool"
)

// unified renders hunks the way Python's difflib.unified_diff prints them (without file
// headers), for comparison with it.
func unified(hunks []Hunk) string {
	var b strings.Builder
	for _, h := range hunks {
		b.WriteString(h.Header() + "\n")
		for _, l := range h.Lines {
			b.WriteString(string(l.Op) + l.Text)
			if !l.NoNewline {
				b.WriteString("\n")
			}
		}
	}
	return b.String()
}

const pythonUnified = `
import difflib, json, sys
def lines(s):
    parts = s.split("\n")
    out = [p + "\n" for p in parts[:-1]]
    if parts[-1]:
        out.append(parts[-1])
    return out
out = []
for a, b in json.load(sys.stdin):
    text = ""
    for l in list(difflib.unified_diff(lines(a), lines(b), n=3, lineterm=""))[2:]:
        text += l + "\n" if l.startswith("@@") else l
    out.append(text)
json.dump(out, sys.stdout)
`

// randomText is a few lines from a small vocabulary, so that texts share lines, repeat lines
// and sometimes lack the final line break.
func randomText(r *rand.Rand) string {
	words := []string{"set -e", "echo hi", "", "kubectl apply -f x", "  - name: a", "exit 0", "done"}
	var b strings.Builder
	n := r.IntN(12)
	for i := 0; i < n; i++ {
		b.WriteString(words[r.IntN(len(words))])
		if i < n-1 || r.IntN(3) > 0 {
			b.WriteString("\n")
		}
	}
	return b.String()
}

func mutateText(r *rand.Rand, s string) string {
	lines := strings.SplitAfter(s, "\n")
	for k := r.IntN(4); k >= 0; k-- {
		i := r.IntN(len(lines) + 1)
		switch r.IntN(3) {
		case 0:
			lines = append(lines[:i], append([]string{fmt.Sprintf("line %d\n", r.IntN(5))}, lines[i:]...)...)
		case 1:
			if i < len(lines) {
				lines = append(lines[:i], lines[i+1:]...)
			}
		default:
			if i < len(lines) {
				lines[i] = "changed " + lines[i]
			}
		}
	}
	return strings.Join(lines, "")
}

// LineDiff gives exactly the hunks of Python's difflib.unified_diff (n=3), on many generated
// pairs of texts; every hunk also applies: its "-" and " " lines are the old text, its "+"
// and " " lines the new one.
func TestLineDiffMatchesPythonDifflib(t *testing.T) {
	py := testtool.Python(t)
	r := rand.New(rand.NewPCG(12, 1))
	var pairs [][2]string
	for i := 0; i < 500; i++ {
		a := randomText(r)
		b := mutateText(r, a)
		if r.IntN(10) == 0 {
			b = randomText(r)
		}
		pairs = append(pairs, [2]string{a, b})
	}
	pairs = append(pairs, [2]string{"a\nb", "a\nb\n"}, [2]string{"", "x\n"}, [2]string{"x\n", ""}, [2]string{"same\n", "same\n"})
	in, _ := json.Marshal(pairs)
	cmd := exec.Command(py, "-c", pythonUnified)
	cmd.Stdin = strings.NewReader(string(in))
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("python difflib: %v", err)
	}
	var want []string
	if err := json.Unmarshal(out, &want); err != nil {
		t.Fatal(err)
	}
	for i, p := range pairs {
		hunks := LineDiff(p[0], p[1], LineContext)
		if got := unified(hunks); got != want[i] {
			t.Errorf("case %d %q -> %q:\n got %q\nwant %q", i, p[0], p[1], got, want[i])
			continue
		}
		if (p[0] == p[1]) != (len(hunks) == 0) {
			t.Errorf("case %d: %d hunks for %q -> %q", i, len(hunks), p[0], p[1])
		}
	}
}

func TestCompareLineDiff(t *testing.T) {
	script := "#!/bin/sh\nset -e\nhelm repo update\nhelm upgrade app ./chart \\\n  --install \\\n  --wait\necho done\n"
	changed := strings.Replace(script, "--wait", "--wait --timeout 10m", 1)
	got, err := Compare(
		map[string]any{"stages": []any{map[string]any{"refId": "run", "command": script, "name": "Run"}}},
		map[string]any{"stages": []any{map[string]any{"refId": "run", "command": changed, "name": "Run job"}}},
	)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("changes = %+v", got)
	}
	if got[1].Lines != nil {
		t.Errorf("a one-line string got a line diff: %+v", got[1])
	}
	want := "@@ -3,5 +3,5 @@\n helm repo update\n helm upgrade app ./chart \\\n   --install \\\n-  --wait\n+  --wait --timeout 10m\n echo done\n"
	if u := unified(got[0].Lines); u != want {
		t.Errorf("line diff:\n%s\nwant\n%s", u, want)
	}
	if got[0].From != script || got[0].To != changed {
		t.Error("From/To no longer hold the whole values")
	}
}
