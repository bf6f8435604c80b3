package plan

import (
	"encoding/json"

	"github.com/pipegen/pipegen/pkg/diff"
)

// Group is a set of pipelines that sync changes in exactly the same way: the same action, the
// same reason and drift, and the same changes (same paths, same old and new values). A template
// change reaches many pipelines at once; a reviewer reads it once, with the list of pipelines.
type Group struct {
	Action  Action        `json:"action"`
	Reason  string        `json:"reason,omitempty"`
	Drift   *Drift        `json:"drift,omitempty"`
	Changes []diff.Change `json:"changes"`
	// Items are the members' indexes in Plan.Items, in plan order.
	Items []int `json:"items"`
}

// Groups gathers the updated and adopted pipelines whose changes are identical, in the order of
// each group's first member. A pipeline whose changes match no other's is a group of one.
// Values are compared by their JSON text, what every printer shows: two values that print
// differently anywhere (3 and 3.0 included) are never grouped. Other actions have no changes to share and are in no group.
func (p *Plan) Groups() []Group {
	var groups []Group
	byKey := map[string]int{}
	for i, it := range p.Items {
		if it.Action != Update && it.Action != Adopt {
			continue
		}
		key, err := groupKey(it)
		if err != nil {
			// Not encodable, so not comparable: shown on its own (the printer reports the error).
			groups = append(groups, Group{Action: it.Action, Reason: it.Reason, Drift: it.Drift, Changes: it.Changes, Items: []int{i}})
			continue
		}
		if g, ok := byKey[key]; ok {
			groups[g].Items = append(groups[g].Items, i)
			continue
		}
		byKey[key] = len(groups)
		groups = append(groups, Group{Action: it.Action, Reason: it.Reason, Drift: it.Drift, Changes: it.Changes, Items: []int{i}})
	}
	return groups
}

func groupKey(it Item) (string, error) {
	b, err := json.Marshal(struct {
		Action  Action
		Reason  string
		Drift   *Drift
		Changes []diff.Change
	}{it.Action, it.Reason, it.Drift, it.Changes})
	return string(b), err
}
