package diff

import (
	"sort"
	"strconv"
)

// unorderedLists are the lists whose items Spinnaker identifies, so their order carries no
// meaning: stages point at each other by refId and the UI lays them out from that; triggers
// and expected artifacts are referred to by id. Every other list is ordered (parameterConfig
// is the order of the run dialog's fields): moving its items is a change that sync writes.
var unorderedLists = map[string]bool{"stages": true, "expectedArtifacts": true, "triggers": true}

// reorders finds the ordered lists of objects, matched by item key, whose common items stand
// in another order in desired than in current. Lists of other values are compared with their
// order already (as one value), and so are lists matched by position.
func reorders(current, desired map[string]any) []resolved {
	var out []resolved
	walkOrder(current, desired, "", nil, "", &out)
	return out
}

func walkOrder(cur, des any, path string, key []segKey, name string, out *[]resolved) {
	switch c := cur.(type) {
	case map[string]any:
		d, ok := des.(map[string]any)
		if !ok {
			return
		}
		for k, cv := range c {
			dv, ok := d[k]
			if !ok || cv == nil || dv == nil {
				continue
			}
			p := path
			if isIdentifier(k) {
				if p != "" {
					p += "."
				}
				p += k
			} else {
				p += "[" + strconv.Quote(k) + "]"
			}
			walkOrder(cv, dv, p, append(key[:len(key):len(key)], segKey{s: k}), k, out)
		}
	case []any:
		d, ok := des.([]any)
		if !ok || !allObjects(c) || !allObjects(d) {
			return
		}
		ck, dk := itemKeys(name, c), itemKeys(name, d)
		curPos := make(map[string]int, len(ck))
		for i, k := range ck {
			curPos[k] = i
		}
		if !unorderedLists[name] && len(identityFields[name]) > 0 && !sameRelativeOrder(ck, dk, curPos) {
			*out = append(*out, resolved{
				change: Change{Kind: Reordered, Path: path, From: keyList(ck), To: keyList(dk)},
				key:    key,
			})
		}
		for i, k := range dk {
			if j, ok := curPos[k]; ok {
				walkOrder(c[j], d[i], path+"["+k+"]", append(key[:len(key):len(key)], segKey{pos: i, s: k}), "", out)
			}
		}
	}
}

// sameRelativeOrder reports whether the items present on both sides come in the same order.
// Added and removed items are changes of their own, not a reorder.
func sameRelativeOrder(cur, des []string, curPos map[string]int) bool {
	last := -1
	for _, k := range des {
		j, ok := curPos[k]
		if !ok {
			continue
		}
		if j < last {
			return false
		}
		last = j
	}
	return true
}

func keyList(keys []string) []any {
	l := make([]any, len(keys))
	for i, k := range keys {
		l[i] = k
	}
	return l
}

func sortResolved(out []resolved) {
	sort.SliceStable(out, func(i, j int) bool { return lessKey(out[i].key, out[j].key) })
}
