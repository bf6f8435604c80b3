package action

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pipegen/pipegen/pkg/front50"
	"github.com/pipegen/pipegen/pkg/pipeline"
	"github.com/pipegen/pipegen/pkg/plan"
)

// A streaming diff (summaries, digests, spooled documents) must plan exactly what a diff
// holding every document plans. The store is synced, then each stored object is edited the
// way people and other tools edit them, at random, and both diffs are compared item by item,
// documents included.
func TestStreamingDiffPlansAsHeldDiff(t *testing.T) {
	r := benchRepo(t, 2)
	// One template sets a field people also set in the UI: Normalize keeps it for comparison.
	tmpl := filepath.Join(r.root, "templates", "rollback.yml")
	body, err := os.ReadFile(tmpl)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(tmpl, append(body, "\ndisabled: false\n"...), 0o644); err != nil {
		t.Fatal(err)
	}
	s := newSyncer(t, r, storeEnv{url: "file://" + t.TempDir()})
	if _, rep := s.sync(DiffOptions{}); rep.Err() != nil {
		t.Fatal(rep.Err())
	}
	ctx := context.Background()

	// An unchanged pipeline is read once, to load it; its digest spares the second read.
	counted, stats := front50.Counted(s.store)
	res, err := Diff(ctx, s.cfg(), counted, DiffOptions{NoCache: true})
	if err != nil {
		t.Fatal(err)
	}
	if n := int64(len(res.State.Pipelines)); res.Plan.Counts.Unchanged != int(n) || stats.Get != n {
		t.Fatalf("no-change diff: %+v, %d reads of %d pipelines; want all unchanged, each read once", res.Plan.Counts, stats.Get, n)
	}

	for round := range 6 {
		// Each round starts from what sync writes (so it writes from spooled documents too),
		// then edits every pipeline once or twice.
		if _, rep := s.sync(DiffOptions{}); rep.Err() != nil {
			t.Fatal(rep.Err())
		}
		editStoredLikeUI(t, s.store, rand.New(rand.NewPCG(uint64(round), 16)), 1)
		for _, prune := range []bool{false, true} {
			held := s.diff(DiffOptions{KeepDocuments: true, Prune: prune, NoCache: true})
			streamed := s.diff(DiffOptions{Prune: prune})
			if streamed.spool == nil {
				t.Fatal("the default diff did not stream")
			}
			got, want := planView(t, streamed.Plan), planView(t, held.Plan)
			if len(got) != len(want) {
				t.Fatalf("round %d, prune %v: %d items streaming, %d held", round, prune, len(got), len(want))
			}
			for i := range got {
				if got[i] != want[i] {
					t.Fatalf("round %d, prune %v: the streaming plan differs:\n got %s\nwant %s", round, prune, got[i], want[i])
				}
			}
			if c := streamed.Plan.Counts; c.Update == 0 || c.Unchanged == 0 {
				t.Fatalf("round %d: no update among the edits: %+v", round, c)
			}
			_ = streamed.Close()
		}
	}
}

// planView is everything a plan says, as comparable JSON: an item's document where sync or
// a format reads it, then the counts.
func planView(t *testing.T, p *plan.Plan) []string {
	t.Helper()
	type view struct {
		plan.Item
		Doc  map[string]any
		ETag string
		Keep map[string]any
	}
	var out []string
	add := func(v any) {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, string(b))
	}
	for _, it := range p.Items {
		v := view{Item: it, ETag: it.ETag, Keep: it.Keep}
		if needsDocument(it.Action) {
			v.Doc = desiredDoc(t, it)
			if v.Doc == nil {
				t.Fatalf("%s %s/%s: no document", it.Action, it.Application, it.Name)
			}
		}
		add(v)
	}
	add(p.Counts)
	return out
}

// A streaming Render gives the documents, problems and warnings a held Render gives.
func TestStreamingRenderAsHeldRender(t *testing.T) {
	r := benchRepo(t, 2)
	// One template gets a problem Prepare finds after rendering: its message must name the
	// template line, which a streaming build finds by rendering the text again.
	tmpl := filepath.Join(r.root, "templates", "e2e.yml")
	body, err := os.ReadFile(tmpl)
	if err != nil {
		t.Fatal(err)
	}
	for _, broken := range []bool{false, true} {
		if broken {
			if err := os.WriteFile(tmpl, append(body, "\nkeepWaitingPipelines: \"sometimes\"\n"...), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		render := func(stream bool) (string, []string) {
			b, err := Render(context.Background(), r.config(nil), BuildOptions{Stream: stream, NoCache: true})
			if err != nil {
				t.Fatal(err)
			}
			defer b.Close()
			var docs []map[string]any
			for _, p := range b.Pipelines {
				d, err := p.Document()
				if err != nil {
					t.Fatal(err)
				}
				if stream && p.Doc != nil {
					t.Fatalf("%s: a streaming render kept the document in memory", p.Source)
				}
				docs = append(docs, d)
			}
			out, err := json.Marshal(docs)
			if err != nil {
				t.Fatal(err)
			}
			return string(out), append([]string{problemsText(b)}, b.Warnings...)
		}
		heldDocs, heldMsgs := render(false)
		docs, msgs := render(true)
		if docs != heldDocs {
			t.Fatalf("broken=%v: streaming documents differ", broken)
		}
		if fmt.Sprint(msgs) != fmt.Sprint(heldMsgs) {
			t.Fatalf("broken=%v: streaming messages differ:\n got %q\nwant %q", broken, msgs, heldMsgs)
		}
		if broken && !strings.Contains(heldMsgs[0], "e2e.yml:") {
			t.Fatalf("test setup: no problem at a line of e2e.yml:\n%s", heldMsgs[0])
		}

		// validate's build keeps no document, and finds the same problems.
		b, err := Render(context.Background(), r.config(nil), BuildOptions{Stream: true, DropDocuments: true, NoCache: true})
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range b.Pipelines {
			// Nothing is kept, and asking for it says so rather than giving a nil document.
			if d, err := p.Document(); d != nil || err == nil {
				t.Fatalf("%s: a build that drops documents kept one, or gave none silently (%v)", p.Source, err)
			}
		}
		if msgs := append([]string{problemsText(b)}, b.Warnings...); fmt.Sprint(msgs) != fmt.Sprint(heldMsgs) {
			t.Fatalf("broken=%v: messages without documents differ:\n got %q\nwant %q", broken, msgs, heldMsgs)
		}
		_ = b.Close()
	}
}

// uiEdits are the ways people and other tools edit stored pipelines, for differential tests.
var uiEdits = []func(doc map[string]any, rng *rand.Rand){
	func(doc map[string]any, _ *rand.Rand) {}, // unchanged
	func(doc map[string]any, rng *rand.Rand) {
		doc[pipeline.FieldIndex] = json.Number(fmt.Sprint(rng.IntN(5)))
	},
	func(doc map[string]any, _ *rand.Rand) { doc[pipeline.FieldDisabled] = true },
	func(doc map[string]any, _ *rand.Rand) { doc[pipeline.FieldDisabled] = false },
	func(doc map[string]any, _ *rand.Rand) { doc[pipeline.FieldLastModifiedBy] = "someone@example.com" },
	func(doc map[string]any, _ *rand.Rand) { delete(doc, "triggers") },
	func(doc map[string]any, _ *rand.Rand) { doc["schema"] = nil },
	func(doc map[string]any, _ *rand.Rand) { doc["keepWaitingPipelines"] = true },
	func(doc map[string]any, _ *rand.Rand) {
		doc["extraFromTheUI"] = map[string]any{"a": []any{json.Number("1.0")}}
	},
	func(doc map[string]any, _ *rand.Rand) { doc["limitConcurrent"] = false },
	func(doc map[string]any, _ *rand.Rand) { delete(doc, pipeline.MarkerKey) },
	func(doc map[string]any, _ *rand.Rand) { doc[pipeline.FieldCreateTs] = json.Number("1") },
	func(doc map[string]any, _ *rand.Rand) {
		if st, ok := doc["stages"].([]any); ok && len(st) > 0 {
			st[0].(map[string]any)["name"] = "renamed in the UI"
		}
	},
	func(doc map[string]any, _ *rand.Rand) {
		if st, ok := doc["stages"].([]any); ok && len(st) > 1 {
			st[0], st[1] = st[1], st[0]
		}
	},
}

// editStoredLikeUI edits the first fraction of the stored pipelines (by id) with editLikeUI,
// writing them back as another writer would.
func editStoredLikeUI(t *testing.T, store front50.Store, rng *rand.Rand, fraction float64) {
	t.Helper()
	ctx := context.Background()
	state, err := front50.Load(ctx, store, 4)
	if err != nil {
		t.Fatal(err)
	}
	for _, sp := range state.Pipelines[:int(fraction*float64(len(state.Pipelines)))] {
		editLikeUI(sp.Doc, rng)
		body, err := json.Marshal(sp.Doc)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := store.Put(ctx, sp.ID, body, front50.PutOptions{}); err != nil {
			t.Fatal(err)
		}
	}
}

// editLikeUI edits doc once with a random uiEdit, sometimes twice.
func editLikeUI(doc map[string]any, rng *rand.Rand) {
	uiEdits[rng.IntN(len(uiEdits))](doc, rng)
	if rng.IntN(4) == 0 {
		uiEdits[rng.IntN(len(uiEdits))](doc, rng)
	}
}
