package services

import "sort"

// Origin says where a template variable's value comes from.
type Origin struct {
	Name string
	// Layers are the places that set it, lowest first: "global" (pipegen.yaml), "service",
	// "stack", "entry", or "built-in". The last one wins; maps are merged from all of them.
	Layers []string
}

// Origins lists the variables Context gives an entry, sorted by name, with the layers that set
// each: the same layers, in the same order, as Context merges.
func Origins(global map[string]any, svc *Service, st *Stack, e *Entry) []Origin {
	set := map[string][]string{}
	for _, l := range []struct {
		name string
		vars map[string]any
	}{{"global", global}, {"service", svc.Vars}, {"stack", st.Vars}, {"entry", e.Vars}} {
		for k := range l.vars {
			set[k] = append(set[k], l.name)
		}
	}
	for k := range Context(global, svc, st, e) {
		if isBuiltin(k) {
			set[k] = []string{"built-in"}
		}
	}
	out := make([]Origin, 0, len(set))
	for k, layers := range set {
		out = append(out, Origin{Name: k, Layers: layers})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}
