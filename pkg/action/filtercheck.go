package action

import (
	"fmt"
	"path"
	"sort"
	"strings"

	"github.com/pipegen/pipegen/pkg/front50"
	"github.com/pipegen/pipegen/pkg/pipeline"
)

// NoMatchError says a filter selects nothing: a typo in --service, --stack or --pipeline
// would otherwise make a CI job report "Nothing to do" forever.
type NoMatchError struct {
	Flag    string   // "--service", "--stack", "--pipeline", or "" for the filters together
	Glob    string   // the glob that matched nothing ("" for the filters together)
	Closest []string // the nearest names that exist
	Filter  Filter
}

func (e *NoMatchError) Error() string {
	var b strings.Builder
	if e.Flag == "" {
		fmt.Fprintf(&b, "the filters %s match no pipeline together", e.Filter.describe())
	} else {
		fmt.Fprintf(&b, "%s %q matches no %s", e.Flag, e.Glob, strings.TrimPrefix(e.Flag, "--"))
	}
	if len(e.Closest) == 0 {
		b.WriteString(" (there is none)")
	} else {
		fmt.Fprintf(&b, "; closest: %s", strings.Join(e.Closest, ", "))
	}
	b.WriteString("; nothing was done")
	return b.String()
}

func (f Filter) describe() string {
	var parts []string
	for _, l := range []struct {
		flag  string
		globs []string
	}{{"--service", f.Services}, {"--stack", f.Stacks}, {"--pipeline", f.Pipelines}} {
		for _, g := range l.globs {
			parts = append(parts, fmt.Sprintf("%s %q", l.flag, g))
		}
	}
	return strings.Join(parts, " ")
}

// filterNames are the names a filter can match: what the source has and, for diff and sync,
// what pipegen owns in the store (a service whose source is gone can still be pruned).
type filterNames struct {
	services, stacks, pipelines map[string]bool
	// identities: (service, stack, key-or-name) that exist, for the filters together.
	identities [][4]string
}

func (n *filterNames) add(service, stack, key, name string) {
	n.services[service] = true
	n.stacks[stack] = true
	n.pipelines[key] = true
	if name != "" {
		n.pipelines[name] = true
	}
	n.identities = append(n.identities, [4]string{service, stack, key, name})
}

// CheckFilter returns a *NoMatchError when a glob of f matches no name of its kind, or when
// the globs together select no pipeline. state adds the owned pipelines of the store (nil
// for offline commands).
func (b *Build) CheckFilter(f Filter, state *front50.State) error {
	if f.Empty() {
		return nil
	}
	n := &filterNames{services: map[string]bool{}, stacks: map[string]bool{}, pipelines: map[string]bool{}}
	names := map[pipeline.Marker]string{}
	for _, p := range b.Pipelines {
		names[pipeline.Marker{Service: p.Service, Stack: p.Stack, Key: p.Key}] = p.Name
	}
	for m := range b.Identities {
		n.add(m.Service, m.Stack, m.Key, names[m])
	}
	if state != nil {
		for _, sp := range state.Pipelines {
			if m, ok := pipeline.MarkerOf(sp.Doc); ok {
				name, _ := sp.Doc[pipeline.FieldName].(string)
				n.add(m.Service, m.Stack, m.Key, name)
			}
		}
	}
	for _, l := range []struct {
		flag  string
		globs []string
		names map[string]bool
	}{{"--service", f.Services, n.services}, {"--stack", f.Stacks, n.stacks}, {"--pipeline", f.Pipelines, n.pipelines}} {
		for _, g := range l.globs {
			if !matchSet(g, l.names) {
				return &NoMatchError{Flag: l.flag, Glob: g, Closest: closest(g, l.names, 3), Filter: f}
			}
		}
	}
	for _, id := range n.identities {
		if f.match(id[0], id[1], id[2], id[3]) {
			return nil
		}
	}
	// Each glob matches something, but not together: name the stacks and pipelines of the
	// services selected, which is where such a mix-up usually is.
	near := map[string]bool{}
	for _, id := range n.identities {
		if matchAny(f.Services, id[0]) {
			near[id[0]+"/"+id[1]+"/"+id[2]] = true
		}
	}
	return &NoMatchError{Filter: f, Closest: firstSorted(near, 5)}
}

func matchSet(glob string, names map[string]bool) bool {
	for s := range names {
		if ok, _ := path.Match(glob, s); ok {
			return true
		}
	}
	return false
}

// closest returns up to k names nearest to glob by edit distance (ties by name).
func closest(glob string, names map[string]bool, k int) []string {
	type scored struct {
		name string
		d    int
	}
	var all []scored
	for s := range names {
		all = append(all, scored{s, editDistance(strings.ToLower(glob), strings.ToLower(s))})
	}
	sort.Slice(all, func(i, j int) bool {
		if all[i].d != all[j].d {
			return all[i].d < all[j].d
		}
		return all[i].name < all[j].name
	})
	var out []string
	for i := 0; i < len(all) && i < k; i++ {
		out = append(out, all[i].name)
	}
	return out
}

func firstSorted(set map[string]bool, k int) []string {
	out := make([]string, 0, len(set))
	for s := range set {
		out = append(out, s)
	}
	sort.Strings(out)
	if len(out) > k {
		out = out[:k]
	}
	return out
}

// editDistance is Levenshtein's distance between a and b, by bytes.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
