package diff

// unorderedLists are the lists whose items Spinnaker identifies, so their order carries no
// meaning: stages point at each other by refId and the UI lays them out from that; triggers
// and expected artifacts are referred to by id. Every other list is ordered (parameterConfig
// is the order of the run dialog's fields): moving its items is a change that sync writes.
// Lists of other values are compared as one value, and lists of objects without identity by
// position, so both keep their order already.
var unorderedLists = map[string]bool{"stages": true, "expectedArtifacts": true, "triggers": true}

// orderKey is the member of a normalized ordered list that holds its item order. Item keys
// are positions or "field=value", so it never names an item.
const orderKey = "\x00order"

func orderedList(name string) bool {
	return len(identityFields[name]) > 0 && !unorderedLists[name]
}

// reorder resolves a change of an ordered list's item order. The order member also changes
// when items are only added or removed: that is no reorder (moved is false), as the items
// are changes of their own.
func (r *resolver) reorder(listPath []string) (resolved, bool, error) {
	res, err := r.resolve(listPath)
	if err != nil {
		return res, false, err
	}
	cur, ok1 := res.from.([]any)
	des, ok2 := res.to.([]any)
	if !ok1 || !ok2 {
		return res, false, nil
	}
	name := listPath[len(listPath)-1]
	ck, dk := itemKeys(name, cur), itemKeys(name, des)
	curPos := make(map[string]int, len(ck))
	for i, k := range ck {
		curPos[k] = i
	}
	if sameRelativeOrder(dk, curPos) {
		return res, false, nil
	}
	res.change = Change{Kind: Reordered, Path: res.change.Path, From: keyList(ck), To: keyList(dk)}
	return res, true, nil
}

// sameRelativeOrder reports whether the items present on both sides come in the same order.
func sameRelativeOrder(des []string, curPos map[string]int) bool {
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
