package plan

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"reflect"
	"sort"
	"testing"

	"github.com/pipegen/pipegen/internal/bench"
	"github.com/pipegen/pipegen/pkg/diff"
	"github.com/pipegen/pipegen/pkg/pipeline"
	"github.com/pipegen/pipegen/pkg/yamldoc"
)

// identical is the fast path of planning: it may say "not identical" for documents Compare
// finds equal, never "identical" for documents Compare finds different.
func TestIdenticalIsStricterThanCompare(t *testing.T) {
	base := func() map[string]any {
		return map[string]any{
			"name": "deploy", "n": json.Number("3"), "on": true, "none": nil,
			"stages": []any{
				map[string]any{"refId": "a", "type": "wait", "waitTime": json.Number("5")},
				map[string]any{"refId": "b", "requisiteStageRefIds": []any{"a"}},
			},
		}
	}
	tests := []struct {
		name      string
		mutate    func(d map[string]any)
		identical bool
	}{
		{"same", func(map[string]any) {}, true},
		{"string changed", func(d map[string]any) { d["name"] = "other" }, false},
		{"number changed", func(d map[string]any) { d["n"] = json.Number("4") }, false},
		{"number spelled differently", func(d map[string]any) { d["n"] = json.Number("3.0") }, false},
		{"bool changed", func(d map[string]any) { d["on"] = false }, false},
		{"null dropped", func(d map[string]any) { delete(d, "none") }, false},
		{"key added", func(d map[string]any) { d["extra"] = "x" }, false},
		{"stages reordered", func(d map[string]any) { s := d["stages"].([]any); s[0], s[1] = s[1], s[0] }, false},
		{"deep change", func(d map[string]any) { d["stages"].([]any)[0].(map[string]any)["waitTime"] = json.Number("6") }, false},
		{"list shorter", func(d map[string]any) { d["stages"] = d["stages"].([]any)[:1] }, false},
		{"type changed", func(d map[string]any) { d["n"] = "3" }, false},
		{"other Go number type", func(d map[string]any) { d["n"] = 3.0 }, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cur, des := base(), base()
			tc.mutate(des)
			if got := identical(cur, des); got != tc.identical {
				t.Fatalf("identical = %v, want %v", got, tc.identical)
			}
			changes, err := diff.Compare(cur, des)
			if err != nil {
				t.Fatal(err)
			}
			if tc.identical && len(changes) != 0 {
				t.Fatalf("identical, but Compare finds %v", changes)
			}
		})
	}
}

// Dropping identical top-level fields never changes what Compare finds: checked on the changes
// of a real-sized pipeline, one random edit at a time anywhere in it.
func TestWithoutIdenticalSameChanges(t *testing.T) {
	desired, state := syntheticDocs(t)
	r := rand.New(rand.NewPCG(3, 4))
	withChanges := 0
	for i := 0; i < 400; i++ {
		d := desired[r.IntN(len(desired))]
		cur := state[d.ID]
		des := deepCopy(d.Doc).(map[string]any)
		for k := 1 + r.IntN(3); k > 0; k-- {
			editRandom(r, des)
		}
		full, err := diff.Compare(Normalize(cur, des), des)
		if err != nil {
			t.Fatal(err)
		}
		pruned, err := diff.Compare(withoutIdentical(Normalize(cur, des), des))
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(full, pruned) {
			t.Fatalf("edit %d: changes differ\nfull   %v\npruned %v", i, full, pruned)
		}
		if len(full) > 0 {
			withChanges++
		}
	}
	if withChanges < 300 {
		t.Fatalf("only %d of 400 edits made a change: the test proves little", withChanges)
	}
}

func deepCopy(v any) any {
	switch x := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[k] = deepCopy(e)
		}
		return m
	case []any:
		l := make([]any, len(x))
		for i, e := range x {
			l[i] = deepCopy(e)
		}
		return l
	}
	return v
}

// editRandom changes, adds, removes or nulls one field somewhere in v, or reorders a list.
func editRandom(r *rand.Rand, v any) {
	for depth := 0; ; depth++ {
		switch x := v.(type) {
		case map[string]any:
			keys := make([]string, 0, len(x))
			for k := range x {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			if len(keys) == 0 || r.IntN(4) == 0 && depth > 0 {
				x[fmt.Sprintf("added%d", r.IntN(9))] = "new"
				return
			}
			k := keys[r.IntN(len(keys))]
			switch child := x[k].(type) {
			case map[string]any, []any:
				if r.IntN(3) > 0 {
					v = child
					continue
				}
			}
			switch r.IntN(4) {
			case 0:
				delete(x, k)
			case 1:
				x[k] = nil
			case 2:
				x[k] = json.Number("42")
			default:
				x[k] = "edited"
			}
			return
		case []any:
			if len(x) == 0 {
				return
			}
			if len(x) > 1 && r.IntN(5) == 0 {
				i, j := r.IntN(len(x)), r.IntN(len(x))
				x[i], x[j] = x[j], x[i]
				return
			}
			i := r.IntN(len(x))
			switch x[i].(type) {
			case map[string]any, []any:
				v = x[i]
				continue
			}
			x[i] = "edited"
			return
		default:
			return
		}
	}
}

// syntheticDocs are documents of the benchmark's templates for a few services (desired) and
// a stored copy of each, by id, as a sync would have left them.
func syntheticDocs(t *testing.T) ([]*Desired, map[string]map[string]any) {
	t.Helper()
	e, err := bench.SampleEngine(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	var desired []*Desired
	stored := map[string]map[string]any{}
	for i := 0; i < 3; i++ {
		for _, stack := range bench.Stacks {
			for key, tmpl := range bench.TemplateNames() {
				text, err := e.Render(tmpl, bench.SampleVars(i, stack), func(app, name string) (string, error) { return "id-of-" + name, nil })
				if err != nil {
					t.Fatal(err)
				}
				v, err := yamldoc.Decode(text)
				if err != nil {
					t.Fatal(err)
				}
				m := pipeline.Marker{Service: bench.ServiceName(i), Stack: stack, Key: key, File: "services/x.yaml"}
				id := pipeline.PipelineID(m.Service, m.Stack, m.Key)
				res := pipeline.Prepare(v, m.Service, id, m, pipeline.Options{Lock: true})
				if len(res.Errors) > 0 {
					t.Fatal(res.Errors)
				}
				desired = append(desired, &Desired{ID: id, Application: m.Service, Name: res.Doc["name"].(string), Marker: m, Doc: res.Doc})
				stored[id] = deepCopy(res.Doc).(map[string]any)
			}
		}
	}
	return desired, stored
}
