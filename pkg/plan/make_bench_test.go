package plan_test

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"

	"github.com/pipegen/pipegen/internal/bench"
	"github.com/pipegen/pipegen/pkg/action"
	"github.com/pipegen/pipegen/pkg/config"
	"github.com/pipegen/pipegen/pkg/diff"
	"github.com/pipegen/pipegen/pkg/front50"
	"github.com/pipegen/pipegen/pkg/pipeline"
	"github.com/pipegen/pipegen/pkg/plan"
)

// synthetic renders a synthetic repo of services*12 pipelines and returns them with a state
// holding exactly what sync would have stored for each: a plan of it is all "unchanged".
func synthetic(b *testing.B, services int) ([]*plan.Desired, *front50.State) {
	b.Helper()
	dir := b.TempDir()
	if err := bench.Generate(dir, services, 1); err != nil {
		b.Fatal(err)
	}
	cfg, err := config.Load(config.Overrides{Dir: dir}, func(string) string { return "" }, dir)
	if err != nil {
		b.Fatal(err)
	}
	build, err := action.Render(context.Background(), cfg, action.BuildOptions{})
	if err != nil {
		b.Fatal(err)
	}
	if len(build.Problems) > 0 {
		b.Fatal(build.Problems)
	}
	var desired []*plan.Desired
	var stored []*front50.Pipeline
	for _, p := range build.Pipelines {
		desired = append(desired, &p.Desired)
		body, err := action.StoredBody(p.Doc, "1700000000000")
		if err != nil {
			b.Fatal(err)
		}
		stored = append(stored, &front50.Pipeline{
			Info: front50.Info{ID: p.ID, ETag: `"etag-` + p.ID + `"`, Size: int64(len(body))},
			Doc:  decode(b, body), Raw: body,
		})
	}
	return desired, front50.NewState(stored, nil)
}

func decode(b *testing.B, body []byte) map[string]any {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		b.Fatal(err)
	}
	return m
}

func identities(desired []*plan.Desired) map[pipeline.Marker]bool {
	ids := map[pipeline.Marker]bool{}
	for _, d := range desired {
		ids[plan.IdentityKey(d.Marker)] = true
	}
	return ids
}

// largest picks the biggest desired pipeline (a deploy pipeline with four regions).
func largest(desired []*plan.Desired) *plan.Desired {
	var best *plan.Desired
	bestLen := 0
	for _, d := range desired {
		if b, _ := json.Marshal(d.Doc); len(b) > bestLen {
			best, bestLen = d, len(b)
		}
	}
	return best
}

// BenchmarkNormalizeDiff is what planning costs per pipeline: normalise the stored document
// and compare it with the desired one.
func BenchmarkNormalizeDiff(b *testing.B) {
	desired, state := synthetic(b, 3)
	d := largest(desired)
	cur := state.ByID[d.ID].Doc
	changed := decode(b, mustJSON(b, d.Doc))
	stages := changed["stages"].([]any)
	stages[1].(map[string]any)["name"] = "renamed"

	for _, tc := range []struct {
		name    string
		desired map[string]any
		changes int
	}{
		{"unchanged", d.Doc, 0},
		{"one-change", changed, 1},
	} {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				got, err := diff.Compare(plan.Normalize(cur, tc.desired), tc.desired)
				if err != nil {
					b.Fatal(err)
				}
				if len(got) != tc.changes {
					b.Fatalf("%d changes, want %d", len(got), tc.changes)
				}
			}
		})
	}
}

func mustJSON(b *testing.B, v any) []byte {
	data, err := json.Marshal(v)
	if err != nil {
		b.Fatal(err)
	}
	return data
}

// BenchmarkMake1000 plans 1008 pipelines (84 synthetic services) against a store that holds
// every one of them: unchanged (the planning half of a no-change diff), and with every
// pipeline's description changed (a template change).
func BenchmarkMake1000(b *testing.B) {
	desired, state := synthetic(b, 84)
	opt := plan.Options{Identities: identities(desired)}
	changed := make([]*plan.Desired, len(desired))
	for i, d := range desired {
		c := *d
		c.Doc = make(map[string]any, len(d.Doc))
		for k, v := range d.Doc {
			c.Doc[k] = v
		}
		c.Doc["description"] = "changed"
		changed[i] = &c
	}
	for _, tc := range []struct {
		name    string
		desired []*plan.Desired
		check   func(plan.Counts) bool
	}{
		{"unchanged", desired, func(c plan.Counts) bool { return c.Unchanged == len(desired) }},
		{"all-changed", changed, func(c plan.Counts) bool { return c.Update == len(desired) }},
	} {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				p, err := plan.Make(context.Background(), tc.desired, state, opt)
				if err != nil {
					b.Fatal(err)
				}
				if !tc.check(p.Counts) {
					b.Fatalf("%+v", p.Counts)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(desired))/1e3, "µs/pipeline")
		})
	}
}
