package plan

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"hash"
	"slices"

	"github.com/pipegen/pipegen/pkg/pipeline"
)

// A diff of ten thousand pipelines cannot hold ten thousand stored documents: Summarize keeps
// what the checks that span pipelines read (names, markers, drift, the fields a rewrite
// carries over) and a digest of the rest, so that an unchanged pipeline is recognised without
// its stored document; only a pipeline that differs is read again and compared field by field.

// summaryFields are the stored fields planning reads of every pipeline: the summary fields
// proper and the UserSet ones.
var summaryFields = append([]string{
	pipeline.FieldID, pipeline.FieldApplication, pipeline.FieldName, pipeline.MarkerKey,
	pipeline.FieldLastModifiedBy, pipeline.FieldUpdateTs, pipeline.FieldCreateTs,
}, pipeline.UserSet...)

// Summarize is front50.LoadOptions.Summarize for planning: the summary fields, the UserSet
// fields, and the digest of the stored document as Normalize leaves it for a desired
// document that sets no UserSet field (nil when the document holds a value the digest cannot
// describe exactly: then the pipeline is always compared in full).
func Summarize(doc map[string]any) (map[string]any, []byte) {
	sum := make(map[string]any, len(summaryFields))
	for _, f := range summaryFields {
		if v, ok := doc[f]; ok {
			sum[f] = v
		}
	}
	norm := Normalize(doc, nil)
	d, ok := digestOf(norm, nil)
	if !ok {
		return sum, nil
	}
	return sum, d
}

// unchangedByDigest reports whether the stored pipeline, summarised with its digest, is
// provably identical to desired as planOne compares them: identical (see identical) after
// Normalize. false means "compare in full", never "changed".
func unchangedByDigest(stored map[string]any, digest []byte, desired map[string]any) bool {
	if digest == nil {
		return false
	}
	var skip []string
	for _, f := range pipeline.UserSet {
		dv, ok := desired[f]
		if !ok {
			continue
		}
		// Normalize keeps a UserSet field the template sets: it must be identical on its own.
		sv, ok := stored[f]
		if !ok || !identical(sv, dv) {
			return false
		}
		skip = append(skip, f)
	}
	d, ok := digestOf(desired, skip)
	return ok && string(d) == string(digest)
}

// digestOf hashes v in a form that is equal for two values exactly when identical would call
// them the same: every value tagged with its type, map keys sorted, lengths written. skip
// names top-level keys left out. ok is false for a value of a type identical does not accept.
func digestOf(v map[string]any, skip []string) ([]byte, bool) {
	h := sha256.New()
	w := digestWriter{h: h}
	if !w.object(v, skip) {
		return nil, false
	}
	return h.Sum(nil), true
}

type digestWriter struct {
	h   hash.Hash
	buf [binary.MaxVarintLen64 + 1]byte
}

func (w *digestWriter) tag(t byte, n int) {
	w.buf[0] = t
	k := binary.PutUvarint(w.buf[1:], uint64(n))
	w.h.Write(w.buf[:1+k])
}

func (w *digestWriter) str(t byte, s string) {
	w.tag(t, len(s))
	w.h.Write([]byte(s))
}

func (w *digestWriter) object(m map[string]any, skip []string) bool {
	keys := make([]string, 0, len(m))
	for k := range m {
		if !slices.Contains(skip, k) {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	w.tag('{', len(keys))
	for _, k := range keys {
		w.str('k', k)
		if !w.value(m[k]) {
			return false
		}
	}
	return true
}

func (w *digestWriter) value(v any) bool {
	switch x := v.(type) {
	case nil:
		w.tag('z', 0)
	case bool:
		if x {
			w.tag('t', 0)
		} else {
			w.tag('f', 0)
		}
	case string:
		w.str('s', x)
	case json.Number:
		w.str('n', string(x))
	case []any:
		w.tag('[', len(x))
		for _, e := range x {
			if !w.value(e) {
				return false
			}
		}
	case map[string]any:
		return w.object(x, nil)
	default:
		return false
	}
	return true
}
