package pipeline

import (
	"fmt"
	"sort"
	"strings"
)

// artifact is one expected artifact found in a document.
type artifact struct {
	id, displayName, path string
}

type artifactIndex struct {
	byName map[string]*artifact
	byID   map[string]*artifact
}

// assignArtifactIDs finds every expected artifact (pipeline-level `expectedArtifacts`, each
// stage's `expectedArtifacts` and singular `expectedArtifact`), gives the ones without an id a
// derived one, and indexes them by displayName and id.
func assignArtifactIDs(doc map[string]any, pipelineID string, r *Result) artifactIndex {
	idx := artifactIndex{byName: map[string]*artifact{}, byID: map[string]*artifact{}}
	add := func(a map[string]any, path, fallback string) {
		dn, _ := a["displayName"].(string)
		id, _ := a["id"].(string)
		if id == "" {
			label := fallback
			if dn != "" {
				label = dn
			}
			id = ArtifactID(pipelineID, label)
			a["id"] = id
		}
		art := &artifact{id: id, displayName: dn, path: path}
		if dn != "" {
			if prev, ok := idx.byName[dn]; ok {
				r.Errors = append(r.Errors, Problem{Path: path, Msg: fmt.Sprintf("displayName %q is also used by %s: artifact names must be unique in a pipeline, since references by name must be unambiguous", dn, prev.path)})
			} else {
				idx.byName[dn] = art
			}
		}
		if prev, ok := idx.byID[id]; ok && prev != art {
			r.Errors = append(r.Errors, Problem{Path: path, Msg: fmt.Sprintf("id %q is also used by %s", id, prev.path)})
		}
		idx.byID[id] = art
	}
	list := func(v any, path, scope string) {
		items, ok := v.([]any)
		if !ok {
			if v != nil {
				r.Errors = append(r.Errors, Problem{Path: path, Msg: "must be a list"})
			}
			return
		}
		for i, it := range items {
			a, ok := it.(map[string]any)
			p := fmt.Sprintf("%s[%d]", path, i)
			if !ok {
				r.Errors = append(r.Errors, Problem{Path: p, Msg: "an expected artifact must be a mapping"})
				continue
			}
			add(a, p, fmt.Sprintf("%s#%d", scope, i))
		}
	}
	list(doc["expectedArtifacts"], "expectedArtifacts", "")
	for _, st := range stageList(doc) {
		list(st.m["expectedArtifacts"], st.path+".expectedArtifacts", "stage:"+st.refID)
		if a, ok := st.m["expectedArtifact"].(map[string]any); ok {
			add(a, st.path+".expectedArtifact", "stage:"+st.refID+"#expectedArtifact")
		}
	}
	return idx
}

// isArtifactIDKey reports whether a key holds artifact ids: `artifactId(s)` and anything
// ending in `ArtifactId(s)` (manifestArtifactId, requiredArtifactIds, expectedArtifactIds, …).
func isArtifactIDKey(k string) bool {
	return k == "artifactId" || k == "artifactIds" || strings.HasSuffix(k, "ArtifactId") || strings.HasSuffix(k, "ArtifactIds")
}

// resolveArtifactRefs replaces, in every artifact-id field, an artifact's displayName with its
// id. A value that is neither a known id nor a name is an error when it reads as a name, and a
// warning when it already looks like a UUID (real pipelines carry stale ids).
func resolveArtifactRefs(doc map[string]any, idx artifactIndex, r *Result) {
	resolve := func(v any, path string) any {
		s, ok := v.(string)
		if !ok || s == "" || strings.Contains(s, "${") {
			return v // SpEL is resolved by Spinnaker at run time
		}
		if _, ok := idx.byID[s]; ok {
			return s
		}
		if a, ok := idx.byName[s]; ok {
			return a.id
		}
		if LooksLikeID(s) {
			r.Warnings = append(r.Warnings, Problem{Path: path, Msg: fmt.Sprintf("artifact id %q matches no expected artifact of this pipeline; kept as is", s)})
			return s
		}
		r.Errors = append(r.Errors, Problem{Path: path, Msg: fmt.Sprintf("%q matches no expected artifact's displayName or id (known: %s)", s, knownNames(idx))})
		return s
	}
	var walk func(v any, path string)
	walk = func(v any, path string) {
		switch v := v.(type) {
		case map[string]any:
			for _, k := range sortedKeys(v) {
				p := joinPath(path, k)
				switch {
				case isArtifactIDKey(k):
					if list, ok := v[k].([]any); ok {
						for i := range list {
							list[i] = resolve(list[i], fmt.Sprintf("%s[%d]", p, i))
						}
					} else {
						v[k] = resolve(v[k], p)
					}
				case k == "inputArtifacts":
					if list, ok := v[k].([]any); ok {
						for i, it := range list {
							if m, ok := it.(map[string]any); ok {
								if _, has := m["id"]; has {
									m["id"] = resolve(m["id"], fmt.Sprintf("%s[%d].id", p, i))
								}
							}
						}
					}
					walk(v[k], p)
				default:
					walk(v[k], p)
				}
			}
		case []any:
			for i, it := range v {
				walk(it, itemPath(path, i, it))
			}
		}
	}
	walk(doc, "")
}

func knownNames(idx artifactIndex) string {
	if len(idx.byName) == 0 {
		return "this pipeline declares no expected artifacts"
	}
	names := make([]string, 0, len(idx.byName))
	for n := range idx.byName {
		names = append(names, fmt.Sprintf("%q", n))
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

func joinPath(base, key string) string {
	if base == "" {
		return key
	}
	return base + "." + key
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// itemPath names a list item the way diffs and messages do: stages by refId, the rest by position.
func itemPath(path string, i int, item any) string {
	if m, ok := item.(map[string]any); ok && (path == "stages" || strings.HasSuffix(path, ".stages")) {
		if ref, ok := RefID(m["refId"]); ok {
			return fmt.Sprintf("%s[refId=%s]", path, ref)
		}
	}
	return fmt.Sprintf("%s[%d]", path, i)
}
