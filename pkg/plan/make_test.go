package plan

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/pipegen/pipegen/pkg/front50"
	"github.com/pipegen/pipegen/pkg/pipeline"
)

func marker(svc, stack, key string) pipeline.Marker {
	return pipeline.Marker{Service: svc, Stack: stack, Key: key, File: "services/" + svc + ".yaml"}
}

func doc(id, app, name string, m *pipeline.Marker, extra map[string]any) map[string]any {
	d := map[string]any{"id": id, "application": app, "name": name, "schema": "1", "triggers": []any{}}
	if m != nil {
		d[pipeline.MarkerKey] = map[string]any{"id": id, "service": m.Service, "stack": m.Stack, "key": m.Key, "file": m.File}
	}
	for k, v := range extra {
		d[k] = v
	}
	return d
}

// stored is a stored object; an owned one was last written by pipegen's sync unless the test
// says otherwise.
func stored(d map[string]any) *front50.Pipeline {
	if _, owned := d[pipeline.MarkerKey]; owned {
		if _, set := d[pipeline.FieldLastModifiedBy]; !set {
			d[pipeline.FieldLastModifiedBy] = pipeline.WrittenBy
		}
	}
	return &front50.Pipeline{Info: front50.Info{ID: d["id"].(string), ETag: `"e-` + d["id"].(string) + `"`}, Doc: d}
}

func TestMake(t *testing.T) {
	mDev := marker("a", "dev", "deploy")
	mGone := marker("a", "old", "deploy")
	mOther := marker("b", "old", "deploy")
	pProd := marker("a", "prod", "deploy")
	desired := func(id, name string, m pipeline.Marker, extra map[string]any) *Desired {
		return &Desired{ID: id, Application: "a", Name: name, Source: m.Source(), Marker: m, Doc: doc(id, "a", name, &m, extra)}
	}
	ids := map[pipeline.Marker]bool{IdentityKey(mDev): true, IdentityKey(marker("a", "new", "deploy")): true, IdentityKey(pProd): true}

	tests := []struct {
		name    string
		desired []*Desired
		stored  []map[string]any
		broken  []front50.Broken
		opt     Options
		want    map[string]Action // by id
		counts  Counts
	}{
		{
			name:    "create on an empty store",
			desired: []*Desired{desired("p1", "deploy-dev", mDev, nil)},
			want:    map[string]Action{"p1": Create},
			counts:  Counts{Create: 1},
		},
		{
			name:    "server-managed fields and defaults are not changes",
			desired: []*Desired{desired("p1", "deploy-dev", mDev, nil)},
			stored: []map[string]any{func() map[string]any {
				d := doc("p1", "a", "deploy-dev", &mDev, map[string]any{"updateTs": "5", "lastModifiedBy": "x", "createTs": "1", "index": 3})
				delete(d, "schema")
				delete(d, "triggers")
				return d
			}()},
			want:   map[string]Action{"p1": Unchanged},
			counts: Counts{Unchanged: 1},
		},
		{
			// Prepare and Normalize share pipeline.ApplyDefaults: a null is filled like a gap.
			name:    "null schema and triggers in the store are Front50's defaults",
			desired: []*Desired{desired("p1", "deploy-dev", mDev, nil)},
			stored:  []map[string]any{doc("p1", "a", "deploy-dev", &mDev, map[string]any{"schema": nil, "triggers": nil})},
			want:    map[string]Action{"p1": Unchanged},
			counts:  Counts{Unchanged: 1},
		},
		{
			name:    "index counts when the template sets it",
			desired: []*Desired{desired("p1", "deploy-dev", mDev, map[string]any{"index": 1})},
			stored:  []map[string]any{doc("p1", "a", "deploy-dev", &mDev, map[string]any{"index": 3})},
			want:    map[string]Action{"p1": Update},
			counts:  Counts{Update: 1},
		},
		{
			name:    "same name made in the UI is a conflict",
			desired: []*Desired{desired("p1", "deploy-dev", mDev, nil)},
			stored:  []map[string]any{doc("ui", "A", "DEPLOY-dev ", nil, nil)},
			want:    map[string]Action{"p1": Conflict},
			counts:  Counts{Conflict: 1},
		},
		{
			name:   "owned pipeline, source gone, kept without prune",
			stored: []map[string]any{doc("old", "a", "deploy-old", &mGone, nil)},
			opt:    Options{},
			want:   map[string]Action{"old": Orphan},
			counts: Counts{Kept: 1},
		},
		{
			name:   "owned pipeline, source gone, deleted with prune",
			stored: []map[string]any{doc("old", "a", "deploy-old", &mGone, nil)},
			opt:    Options{Prune: true},
			want:   map[string]Action{"old": Delete},
			counts: Counts{Delete: 1},
		},
		{
			name:   "prune outside the filter scope deletes nothing",
			stored: []map[string]any{doc("old", "a", "deploy-old", &mGone, nil), doc("oth", "b", "x", &mOther, nil)},
			opt:    Options{Prune: true, InScope: func(m pipeline.Marker, _ string) bool { return m.Service == "b" }},
			want:   map[string]Action{"oth": Delete},
			counts: Counts{Delete: 1},
		},
		{
			name:   "UI pipeline is never in the plan",
			stored: []map[string]any{doc("ui", "a", "hand made", nil, nil)},
			opt:    Options{Prune: true},
			want:   map[string]Action{},
		},
		{
			name:    "renamed key: old owned same-named pipeline conflicts without prune",
			desired: []*Desired{desired("p2", "deploy", marker("a", "new", "deploy"), nil)},
			stored:  []map[string]any{doc("old", "a", "deploy", &mGone, nil)},
			want:    map[string]Action{"p2": Conflict, "old": Orphan},
			counts:  Counts{Conflict: 1, Kept: 1},
		},
		{
			name:    "renamed key: with prune the old one is deleted and the new created",
			desired: []*Desired{desired("p2", "deploy", marker("a", "new", "deploy"), nil)},
			stored:  []map[string]any{doc("old", "a", "deploy", &mGone, nil)},
			opt:     Options{Prune: true},
			want:    map[string]Action{"p2": Create, "old": Delete},
			counts:  Counts{Create: 1, Delete: 1},
		},
		{
			// Stack renamed old -> new, but `sync --prune --stack new` does not reach the old
			// one: deleting it is out of scope, so creating the new one would make two.
			name:    "renamed key: the old one outside the filters is a conflict, even with prune",
			desired: []*Desired{desired("p2", "deploy", marker("a", "new", "deploy"), nil)},
			stored:  []map[string]any{doc("old", "a", "deploy", &mGone, nil)},
			opt:     Options{Prune: true, InScope: func(m pipeline.Marker, _ string) bool { return m.Stack == "new" }},
			want:    map[string]Action{"p2": Conflict},
			counts:  Counts{Conflict: 1},
		},
		{
			// dev takes prod's old name while prod (renamed in source) is filtered out.
			name:    "name still held by an owned pipeline synced outside the filters",
			desired: []*Desired{desired("p1", "deploy-y", mDev, nil)},
			stored:  []map[string]any{doc("pp", "a", "deploy-y", &pProd, nil)},
			opt:     Options{InScope: func(m pipeline.Marker, _ string) bool { return m.Stack == "dev" }},
			want:    map[string]Action{"p1": Conflict},
			counts:  Counts{Conflict: 1},
		},
		{
			name:    "same, with the other one in scope: it is renamed in this run",
			desired: []*Desired{desired("p1", "deploy-y", mDev, nil)},
			stored:  []map[string]any{doc("pp", "a", "deploy-y", &pProd, nil)},
			want:    map[string]Action{"p1": Create},
			counts:  Counts{Create: 1},
		},
		{
			name:    "adopt: same id, not owned",
			desired: []*Desired{desired("ui", "deploy-dev", mDev, nil)},
			stored:  []map[string]any{doc("ui", "a", "deploy-dev", nil, nil)},
			opt:     Options{Adopt: true},
			want:    map[string]Action{"ui": Adopt},
			counts:  Counts{Update: 1},
		},
		{
			name:    "unreadable stored object is replaced",
			desired: []*Desired{desired("p1", "deploy-dev", mDev, nil)},
			broken:  []front50.Broken{{ID: "p1", Err: errors.New("not JSON")}},
			want:    map[string]Action{"p1": Update},
			counts:  Counts{Update: 1},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var sp []*front50.Pipeline
			for _, d := range tt.stored {
				sp = append(sp, stored(d))
			}
			opt := tt.opt
			opt.Identities = ids
			p, err := Make(context.Background(), tt.desired, front50.NewState(sp, tt.broken), opt)
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]Action{}
			for _, it := range p.Items {
				got[it.ID] = it.Action
			}
			if len(got) != len(tt.want) {
				t.Errorf("plan %v, want %v", got, tt.want)
			}
			for id, a := range tt.want {
				if got[id] != a {
					t.Errorf("%s: %s, want %s (plan %v)", id, got[id], a, got)
				}
			}
			if p.Counts != tt.counts {
				t.Errorf("counts %+v, want %+v", p.Counts, tt.counts)
			}
		})
	}
}

// index (the order users set in Deck) and createTs never show as changes, so an update must
// carry them over rather than drop them.
func TestUpdateKeepsServerFields(t *testing.T) {
	m := marker("a", "dev", "deploy")
	cur := doc("p1", "a", "x", &m, map[string]any{"index": 4, "createTs": "1", "stages": []any{}})
	want := doc("p1", "a", "x", &m, map[string]any{"stages": []any{map[string]any{"refId": "a", "type": "wait"}}})
	p, err := Make(context.Background(), []*Desired{{ID: "p1", Application: "a", Name: "x", Marker: m, Doc: want}}, front50.NewState([]*front50.Pipeline{stored(cur)}, nil), Options{})
	if err != nil {
		t.Fatal(err)
	}
	it := p.Items[0]
	if it.Action != Update || it.Keep["index"] != 4 || it.Keep["createTs"] != "1" {
		t.Fatalf("%s, keep %v", it.Action, it.Keep)
	}
	want["index"] = 1 // the template sets it: the template wins
	p, _ = Make(context.Background(), []*Desired{{ID: "p1", Application: "a", Name: "x", Marker: m, Doc: want}}, front50.NewState([]*front50.Pipeline{stored(cur)}, nil), Options{})
	if _, kept := p.Items[0].Keep["index"]; kept {
		t.Errorf("index kept although the template sets it: %v", p.Items[0].Keep)
	}
}

func TestDrift(t *testing.T) {
	m := marker("a", "dev", "deploy")
	want := doc("p1", "a", "x", &m, map[string]any{"stages": []any{map[string]any{"refId": "a", "type": "wait"}}})
	tests := []struct {
		name   string
		stored map[string]any
		drift  *Drift
	}{
		{"saved in the UI", map[string]any{"lastModifiedBy": "alice@example.com", "updateTs": "1763000000000"},
			&Drift{By: "alice@example.com", At: time.UnixMilli(1763000000000).UTC()}},
		{"updateTs as a number", map[string]any{"lastModifiedBy": "anonymous", "updateTs": json.Number("1763000000000")},
			&Drift{By: "anonymous", At: time.UnixMilli(1763000000000).UTC()}},
		{"no lastModifiedBy, unreadable updateTs", map[string]any{"lastModifiedBy": nil, "updateTs": "yesterday"}, &Drift{}},
		{"written by pipegen", map[string]any{"lastModifiedBy": "pipegen", "updateTs": "1763000000000"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cur := doc("p1", "a", "x", &m, tt.stored)
			cur["stages"] = []any{}
			p, err := Make(context.Background(), []*Desired{{ID: "p1", Application: "a", Name: "x", Marker: m, Doc: want}}, front50.NewState([]*front50.Pipeline{stored(cur)}, nil), Options{})
			if err != nil {
				t.Fatal(err)
			}
			it := p.Items[0]
			if it.Action != Update || !reflect.DeepEqual(it.Drift, tt.drift) {
				t.Errorf("%s, drift %+v, want %+v", it.Action, it.Drift, tt.drift)
			}
			if wantCount := map[bool]int{true: 1}[tt.drift != nil]; p.Counts.Drift != wantCount {
				t.Errorf("drift count %d, want %d", p.Counts.Drift, wantCount)
			}
		})
	}
	// An unchanged pipeline last saved in the UI has nothing to revert: no drift.
	same := doc("p1", "a", "x", &m, map[string]any{"lastModifiedBy": "bob", "stages": want["stages"]})
	p, _ := Make(context.Background(), []*Desired{{ID: "p1", Application: "a", Name: "x", Marker: m, Doc: want}}, front50.NewState([]*front50.Pipeline{stored(same)}, nil), Options{})
	if it := p.Items[0]; it.Action != Unchanged || it.Drift != nil || p.Counts.Drift != 0 {
		t.Errorf("unchanged: %s, drift %+v", it.Action, it.Drift)
	}
}
