package pipeline

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

type stage struct {
	m     map[string]any
	refID string
	path  string
}

// RefID reads a refId or a requisiteStageRefIds entry; Deck writes strings, older exports
// numbers, and Orca compares their string forms.
func RefID(v any) (string, bool) {
	switch v := v.(type) {
	case string:
		return v, v != ""
	case json.Number:
		return v.String(), true
	}
	return "", false
}

func stageList(doc map[string]any) []stage {
	items, _ := doc["stages"].([]any)
	out := make([]stage, 0, len(items))
	for i, it := range items {
		m, ok := it.(map[string]any)
		if !ok {
			continue
		}
		ref, _ := RefID(m["refId"])
		path := fmt.Sprintf("stages[%d]", i)
		if ref != "" {
			path = fmt.Sprintf("stages[refId=%s]", ref)
		}
		out = append(out, stage{m: m, refID: ref, path: path})
	}
	return out
}

// validateStages checks what Orca needs to run the stage graph: unique refIds, every
// requisiteStageRefIds entry naming an existing refId, a type on every stage, and no cycle.
func validateStages(doc map[string]any, r *Result) {
	raw, present := doc["stages"]
	if !present || raw == nil {
		return
	}
	items, ok := raw.([]any)
	if !ok {
		r.Errors = append(r.Errors, Problem{Path: "stages", Msg: "must be a list"})
		return
	}
	byRef := map[string]int{}
	for i, it := range items {
		m, ok := it.(map[string]any)
		if !ok {
			r.Errors = append(r.Errors, Problem{Path: fmt.Sprintf("stages[%d]", i), Msg: "a stage must be a mapping"})
			continue
		}
		ref, ok := RefID(m["refId"])
		if !ok {
			r.Errors = append(r.Errors, Problem{Path: fmt.Sprintf("stages[%d]", i), Msg: "missing refId"})
			continue
		}
		if prev, dup := byRef[ref]; dup {
			r.Errors = append(r.Errors, Problem{Path: fmt.Sprintf("stages[%d]", i), Msg: fmt.Sprintf("refId %q is also used by stages[%d]", ref, prev)})
			continue
		}
		byRef[ref] = i
		if t, _ := m["type"].(string); t == "" {
			r.Errors = append(r.Errors, Problem{Path: fmt.Sprintf("stages[refId=%s].type", ref), Msg: "missing: every stage needs a type"})
		}
	}

	deps := map[string][]string{}
	for _, st := range stageList(doc) {
		if st.refID == "" {
			continue
		}
		reqs, ok := st.m["requisiteStageRefIds"].([]any)
		if !ok {
			if v := st.m["requisiteStageRefIds"]; v != nil {
				r.Errors = append(r.Errors, Problem{Path: st.path + ".requisiteStageRefIds", Msg: "must be a list"})
			}
			continue
		}
		for i, req := range reqs {
			ref, ok := RefID(req)
			if !ok {
				r.Errors = append(r.Errors, Problem{Path: fmt.Sprintf("%s.requisiteStageRefIds[%d]", st.path, i), Msg: "must be a refId"})
				continue
			}
			if _, ok := byRef[ref]; !ok {
				r.Errors = append(r.Errors, Problem{Path: fmt.Sprintf("%s.requisiteStageRefIds[%d]", st.path, i), Msg: fmt.Sprintf("no stage has refId %q (known: %s)", ref, knownRefs(byRef))})
				continue
			}
			deps[st.refID] = append(deps[st.refID], ref)
		}
	}
	if cycle := findCycle(deps); cycle != nil {
		r.Errors = append(r.Errors, Problem{Path: "stages", Msg: "the stage graph has a cycle: " + strings.Join(cycle, " → ")})
	}
}

func knownRefs(byRef map[string]int) string {
	refs := make([]string, 0, len(byRef))
	for r := range byRef {
		refs = append(refs, fmt.Sprintf("%q", r))
	}
	sort.Strings(refs)
	return strings.Join(refs, ", ")
}

// findCycle returns one cycle of the dependency graph (first node repeated at the end), or nil.
func findCycle(deps map[string][]string) []string {
	const (
		unvisited = iota
		inStack
		done
	)
	state := map[string]int{}
	var stack []string
	var visit func(n string) []string
	visit = func(n string) []string {
		state[n] = inStack
		stack = append(stack, n)
		for _, d := range deps[n] {
			switch state[d] {
			case inStack:
				for i, s := range stack {
					if s == d {
						return append(append([]string{}, stack[i:]...), d)
					}
				}
			case unvisited:
				if c := visit(d); c != nil {
					return c
				}
			}
		}
		stack = stack[:len(stack)-1]
		state[n] = done
		return nil
	}
	nodes := make([]string, 0, len(deps))
	for n := range deps {
		nodes = append(nodes, n)
	}
	sort.Strings(nodes)
	for _, n := range nodes {
		if state[n] == unvisited {
			if c := visit(n); c != nil {
				return c
			}
		}
	}
	return nil
}

// NameKey is how Front50 compares pipeline names within an application: case-insensitively.
func NameKey(app, name string) string {
	return strings.ToLower(app) + "\x00" + strings.ToLower(strings.TrimSpace(name))
}
