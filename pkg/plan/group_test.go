package plan

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/pipegen/pipegen/pkg/diff"
)

func TestGroups(t *testing.T) {
	add := diff.Change{Kind: diff.Added, Path: "stages[refId=verify]", To: map[string]any{"refId": "verify", "type": "wait"}}
	acct := func(to any) diff.Change {
		return diff.Change{Kind: diff.Changed, Path: "stages[refId=deploy].account", From: "staging", To: to}
	}
	up := func(name string, changes ...diff.Change) Item {
		return Item{Action: Update, Application: "a", Name: name, Changes: changes}
	}
	p := &Plan{Items: []Item{
		up("p0", add),
		{Action: Create, Name: "new"},
		up("p2", add),
		up("p3", add, acct("prod")),
		up("p4", acct(json.Number("3"))),
		up("p5", acct(json.Number("3.0"))), // equal to p4 as a number, but printed otherwise: not grouped
		up("p6", add),                      //
		{Action: Unchanged, Name: "same"},  //
		{Action: Update, Name: "p8", Changes: []diff.Change{add}, Drift: &Drift{By: "alice"}}, // drift differs
		{Action: Adopt, Name: "p9", Changes: []diff.Change{add}},                              // action differs
		up("p10", add, acct("prod")),
		up("p11", acct("prod"), add), // same changes in another order: a different plan text
	}}
	var got [][]int
	for _, g := range p.Groups() {
		got = append(got, g.Items)
		for _, i := range g.Items {
			if !reflect.DeepEqual(p.Items[i].Changes, g.Changes) || p.Items[i].Action != g.Action || p.Items[i].Drift != g.Drift && *p.Items[i].Drift != *g.Drift {
				t.Errorf("group %v holds %s, which differs from it", g.Items, p.Items[i].Name)
			}
		}
	}
	want := [][]int{{0, 2, 6}, {3, 10}, {4}, {5}, {8}, {9}, {11}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("groups %v, want %v", got, want)
	}
}

// Fifty pipelines given the same new stage by one template change are one group.
func TestGroupsTemplateChange(t *testing.T) {
	p := &Plan{}
	for i := 0; i < 50; i++ {
		p.Items = append(p.Items, Item{Action: Update, Application: "a", Name: string(rune('A' + i)),
			Changes: []diff.Change{{Kind: diff.Added, Path: "stages[refId=scan]", To: map[string]any{"refId": "scan", "type": "wait", "waitTime": json.Number("30")}}}})
	}
	p.Items[17].Changes = []diff.Change{{Kind: diff.Added, Path: "stages[refId=scan]", To: map[string]any{"refId": "scan", "type": "wait", "waitTime": json.Number("31")}}}
	g := p.Groups()
	if len(g) != 2 || len(g[0].Items) != 49 || len(g[1].Items) != 1 || g[1].Items[0] != 17 {
		t.Errorf("groups: %d, first of %d", len(g), len(g[0].Items))
	}
}
