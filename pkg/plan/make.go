package plan

import (
	"context"
	"encoding/json"
	"fmt"
	"runtime"
	"sort"
	"strconv"
	"time"

	"github.com/pipegen/pipegen/internal/parallel"
	"github.com/pipegen/pipegen/pkg/diff"
	"github.com/pipegen/pipegen/pkg/front50"
	"github.com/pipegen/pipegen/pkg/pipeline"
)

// Desired is one pipeline as the source says it should be.
type Desired struct {
	ID          string
	Application string
	Name        string
	Source      string
	Marker      pipeline.Marker
	Doc         map[string]any
	// Pinned: the source names this pipeline's id (an `id:` written by import), so a stored
	// pipeline pipegen does not own yet is taken over without --adopt.
	Pinned bool
}

// Options shape a plan.
type Options struct {
	Prune bool // delete owned pipelines whose source is gone (within InScope)
	Adopt bool // take over same-named pipelines pipegen does not own, keeping their ids
	// Identities is every (service, stack, key) the source defines, filters ignored: a source
	// is "gone" only when it is gone from the whole repo, not just from the filtered view.
	Identities map[pipeline.Marker]bool
	// InScope reports whether a stored, owned pipeline is inside the command's filters.
	InScope func(m pipeline.Marker, name string) bool
}

// IdentityKey drops the file from a marker: moving a service file does not change identity.
func IdentityKey(m pipeline.Marker) pipeline.Marker { m.File = ""; return m }

// Make compares the desired pipelines with the store's state.
func Make(ctx context.Context, desired []*Desired, state *front50.State, opt Options) (*Plan, error) {
	// Comparing is CPU work on each pipeline alone (the state is only read): spread it over
	// the cores. The first error in desired's order is the one returned.
	items := make([]Item, len(desired))
	errs := make([]error, len(desired))
	_ = parallel.Do(context.Background(), len(desired), runtime.GOMAXPROCS(0), func(i int) {
		items[i], errs[i] = One(ctx, desired[i], state, opt)
	})
	for i := range desired {
		if errs[i] != nil {
			return nil, errs[i]
		}
	}
	return Assemble(items, state, opt), nil
}

// Assemble makes the plan from the items One made for every desired pipeline: it adds the
// owned pipelines whose source is gone, sorts and counts.
func Assemble(items []Item, state *front50.State, opt Options) *Plan {
	p := &Plan{Items: items}
	planned := make(map[string]bool, len(items))
	for _, it := range items {
		planned[it.ID] = true
	}

	// Owned pipelines whose source is gone.
	for _, sp := range state.Pipelines {
		if planned[sp.ID] {
			continue
		}
		m, owned := pipeline.MarkerOf(sp.Doc)
		if !owned || opt.Identities[IdentityKey(m)] {
			continue
		}
		name, _ := sp.Doc["name"].(string)
		if opt.InScope != nil && !opt.InScope(m, name) {
			continue
		}
		app, _ := sp.Doc["application"].(string)
		it := Item{ID: sp.ID, Application: app, Name: name, Source: m.Source(), ETag: sp.ETag}
		if opt.Prune {
			it.Action = Delete
			it.Reason = "source is gone"
		} else {
			it.Action = Orphan
			it.Reason = "not in source, kept"
		}
		p.Items = append(p.Items, it)
	}

	sort.SliceStable(p.Items, func(i, j int) bool {
		a, b := p.Items[i], p.Items[j]
		if a.Application != b.Application {
			return a.Application < b.Application
		}
		if a.Name != b.Name {
			return a.Name < b.Name
		}
		return a.ID < b.ID
	})
	p.Counts = Count(p.Items)
	return p
}

// One plans one desired pipeline against the state. The state is only read: One runs on
// many pipelines at once. A summarised stored pipeline (front50.LoadOptions.Summarize with
// Summarize) is read again only when its digest does not show it unchanged.
func One(ctx context.Context, d *Desired, state *front50.State, opt Options) (Item, error) {
	it := Item{ID: d.ID, Application: d.Application, Name: d.Name, Source: d.Source, Desired: d.Doc}
	// Adopting takes over another pipeline's id; a source that already manages a stored
	// pipeline keeps that one, so --adopt cannot help it.
	managed := false
	if cur, ok := state.ByID[d.ID]; ok {
		_, managed = pipeline.MarkerOf(cur.Doc)
	}

	// Another stored pipeline with this name: Front50 must never hold two.
	for _, other := range state.ByName(d.Application, d.Name) {
		if other.ID == d.ID {
			continue
		}
		if other.Nested {
			otherName, _ := other.Doc["name"].(string)
			it.Action = Conflict
			it.Reason = fmt.Sprintf("a pipeline named %q is stored under the nested key pipelines/%s/, which Front50 serves as a live pipeline; pipegen never writes there: delete or rename that object", otherName, other.ID)
			return it, nil
		}
		m, owned := pipeline.MarkerOf(other.Doc)
		otherName, _ := other.Doc["name"].(string)
		inScope := opt.InScope == nil || opt.InScope(m, otherName)
		switch {
		case owned && opt.Identities[IdentityKey(m)] && inScope:
			// Still in source under its own identity and synced in this same run, so it is
			// renamed here too (the build step rejects two pipelines with one name).
			continue
		case owned && opt.Identities[IdentityKey(m)]:
			it.Action = Conflict
			it.Reason = fmt.Sprintf("pipeline %q (id %s) from %s still has this name in the store; it is renamed when its own source is synced, which these filters leave out: include it", otherName, other.ID, m.Source())
			return it, nil
		case owned && opt.Prune && inScope:
			continue // its source is gone and it is deleted in this same run
		case owned:
			it.Action = Conflict
			it.Reason = fmt.Sprintf("pipeline %q (id %s) from %s has this name; its source is gone, so sync --prune replaces it (with filters that include it)", otherName, other.ID, m.Source())
			return it, nil
		case opt.Adopt || managed:
			// Adopting keeps the existing id, but this source already manages a pipeline
			// under another id, and pipegen never deletes what it does not own.
			it.Action = Conflict
			it.Reason = fmt.Sprintf("a pipeline named %q (id %s) exists in %s and was not made by pipegen; --adopt cannot take it over because %s already manages pipeline %s: rename or delete the other one in the UI", otherName, other.ID, d.Application, d.Source, d.ID)
			return it, nil
		default:
			it.Action = Conflict
			it.Reason = fmt.Sprintf("a pipeline named %q (id %s) exists in %s and was not made by pipegen; sync --adopt takes it over and keeps its id", otherName, other.ID, d.Application)
			return it, nil
		}
	}

	cur, ok := state.ByID[d.ID]
	if !ok {
		if broken := isBroken(state, d.ID); broken != nil {
			it.Action = Update
			it.Reason = "the stored object is unreadable (" + broken.Error() + "); it is replaced"
			it.Changes = []diff.Change{{Kind: diff.Changed, Path: "(whole object)", From: "unreadable", To: "rendered pipeline"}}
			return it, nil
		}
		it.Action = Create
		return it, nil
	}
	it.ETag = cur.ETag
	it.Keep = keep(cur.Doc, d.Doc)
	if it.Keep[pipeline.FieldDisabled] == true {
		it.Reason = "disabled in the UI: stays disabled (the template does not set disabled)"
	}
	// Most pipelines of a plan are unchanged. Identical trees are the common case of that and
	// cost one walk to recognise, where a field-level diff builds two hashed trees; a
	// summarised stored pipeline is read again only when its digest does not show it
	// unchanged.
	stored, sameDigest := cur.Doc, cur.Summary && unchangedByDigest(cur.Doc, cur.Digest, d.Doc)
	if cur.Summary && !sameDigest {
		var err error
		if stored, err = state.Document(ctx, cur); err != nil {
			return it, fmt.Errorf("diff %s/%s: %w", d.Application, d.Name, err)
		}
	}
	if !sameDigest {
		if norm := Normalize(stored, d.Doc); !identical(norm, d.Doc) {
			changes, err := diff.Compare(withoutIdentical(norm, d.Doc))
			if err != nil {
				return it, fmt.Errorf("diff %s/%s: %w", d.Application, d.Name, err)
			}
			it.Changes = changes
		}
	}
	_, owned := pipeline.MarkerOf(cur.Doc)
	switch {
	case !owned:
		it.Action = Adopt
		it.Reason = adoptReason(d, opt)
	case len(it.Changes) == 0:
		it.Action = Unchanged
	default:
		it.Action = Update
		it.Drift = driftOf(cur.Doc)
	}
	return it, nil
}

// driftOf returns who saved a stored pipeline last when it was not pipegen's sync, which
// always writes lastModifiedBy "pipegen".
func driftOf(stored map[string]any) *Drift {
	by, _ := stored[pipeline.FieldLastModifiedBy].(string)
	if by == pipeline.WrittenBy {
		return nil
	}
	d := &Drift{By: by}
	var ms int64
	var err error
	switch ts := stored[pipeline.FieldUpdateTs].(type) {
	case string:
		ms, err = strconv.ParseInt(ts, 10, 64)
	case json.Number:
		ms, err = ts.Int64()
	default:
		err = fmt.Errorf("no updateTs")
	}
	if err == nil && ms > 0 {
		d.At = time.UnixMilli(ms).UTC()
	}
	return d
}

// keep picks the server-managed fields of a stored pipeline that a rewrite carries over.
func keep(stored, desired map[string]any) map[string]any {
	var k map[string]any
	add := func(f string) {
		if v, ok := stored[f]; ok && v != nil {
			if k == nil {
				k = map[string]any{}
			}
			k[f] = v
		}
	}
	for _, f := range pipeline.UserSet {
		if _, ok := desired[f]; !ok {
			add(f)
		}
	}
	add(pipeline.FieldCreateTs)
	return k
}

func isBroken(state *front50.State, id string) error {
	for _, b := range state.Broken {
		if b.ID == id {
			return b.Err
		}
	}
	return nil
}

// Normalize returns a copy of a stored document prepared for comparison with desired: fields
// the server manages are dropped, `index` too unless desired sets it, and Front50's defaults
// filled in, so none of them ever shows as a change.
func Normalize(stored, desired map[string]any) map[string]any {
	out := make(map[string]any, len(stored))
	for k, v := range stored {
		out[k] = v
	}
	for _, f := range pipeline.ServerManaged {
		delete(out, f)
	}
	for _, f := range pipeline.UserSet {
		if _, ok := desired[f]; !ok {
			delete(out, f)
		}
	}
	pipeline.ApplyDefaults(out)
	return out
}

// withoutIdentical drops the top-level fields that are identical on both sides (in an updated
// pipeline, usually all but one or two). diff.Compare looks at each top-level field on its own,
// so it finds the same changes, without building hashed trees of the fields that did not
// change. cur is Normalize's copy and is changed; desired is copied.
func withoutIdentical(cur, desired map[string]any) (map[string]any, map[string]any) {
	des := make(map[string]any, len(desired))
	for k, v := range desired {
		if cv, ok := cur[k]; ok && identical(cv, v) {
			delete(cur, k)
			continue
		}
		des[k] = v
	}
	return cur, des
}

// identical reports whether a and b are the same JSON value with the same Go types, maps
// having the same keys and lists the same order: stricter than diff.Compare's equality (which
// also equates null with absent, 1 with 1.0, and stages by refId in any order), so true means
// Compare would find no change, and false only means Compare must look.
func identical(a, b any) bool {
	switch x := a.(type) {
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for k, xv := range x {
			yv, ok := y[k]
			if !ok || !identical(xv, yv) {
				return false
			}
		}
		return true
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !identical(x[i], y[i]) {
				return false
			}
		}
		return true
	case string:
		y, ok := b.(string)
		return ok && x == y
	case json.Number:
		y, ok := b.(json.Number)
		return ok && x == y
	case bool:
		y, ok := b.(bool)
		return ok && x == y
	case nil:
		return b == nil
	}
	return false // any other type: let Compare decide
}
