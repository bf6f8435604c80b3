package cache

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"

	"github.com/pipegen/pipegen/pkg/front50"
)

// Summarizer is what a cached store makes its summaries with (front50.LoadOptions.Summarize).
// Summaries outlive the run that made them and are exchanged through the store (shared.go), so
// each is tied to a format that must change whenever Summarize could give another result for
// some document: NewSummarizer's is the build's identity, which is what pipegen uses; Format
// sets one by hand, for tests. An empty format keeps no summaries.
type Summarizer struct {
	Format    string
	Summarize func(doc map[string]any) (summary map[string]any, digest []byte)

	identity func() string // NewSummarizer's, computed once when first asked
}

// NewSummarizer is the Summarizer of this build for summarize: its format is the build's
// identity (BuildID), found the first time it is needed.
func NewSummarizer(summarize func(map[string]any) (map[string]any, []byte)) *Summarizer {
	return &Summarizer{Summarize: summarize, identity: sync.OnceValue(func() string {
		if id := BuildID(); id != "" {
			return "summaries/1 " + id
		}
		return ""
	})}
}

// format is what entries are tied to ("" for none).
func (z *Summarizer) format() string {
	if z.identity != nil {
		return z.identity()
	}
	return z.Format
}

// summaryPack holds what a Summarizer made of each stored pipeline, under the same kind of
// validator as an object entry, so that a diff whose listing shows an object unchanged since
// it was summarised neither reads nor decodes it.
type summaryPack struct {
	sh *sharedSummaries
	sz *Summarizer
}

// summaryMeta is an entry's validator: the object version's, and the Format.
type summaryMeta struct {
	entryMeta
	Format string `json:"format"`
}

// summary returns the entry for the version the listing shows as in.
func (p summaryPack) summary(key string, in front50.Info) (map[string]any, []byte, bool) {
	format := p.sz.format()
	if format == "" {
		return nil, nil, false
	}
	validator, payload, ok := p.sh.loaded().Get(key)
	if !ok {
		return nil, nil, false
	}
	var meta summaryMeta
	if err := json.Unmarshal(validator, &meta); err != nil || meta.Format != format || !meta.valid(in) {
		return nil, nil, false
	}
	sum, digest, err := decodeSummary(payload)
	if err != nil {
		return nil, nil, false
	}
	return sum, digest, true
}

// remember records the summary of the object version in and body.
func (p summaryPack) remember(key string, in front50.Info, body []byte, sum map[string]any, digest []byte) {
	if meta, ok := newEntryMeta(in, body); ok {
		p.put(key, meta, sum, digest)
	}
}

// put records a summary under the validator meta.
func (p summaryPack) put(key string, meta entryMeta, sum map[string]any, digest []byte) {
	format := p.sz.format()
	if format == "" {
		return
	}
	payload, ok := encodeSummary(sum, digest)
	if !ok {
		return
	}
	validator, err := json.Marshal(summaryMeta{entryMeta: meta, Format: format})
	if err != nil {
		return
	}
	p.sh.loaded().Put(key, validator, payload)
}

// written summarises what a write stored, its ETag proven the body's MD5 (meta), from doc:
// body as the store decoded it to validate it, which is what a read would decode; nil when the
// store did not say, and the body is decoded here.
func (p summaryPack) written(ctx context.Context, key string, meta entryMeta, body []byte, doc map[string]any) {
	if doc == nil {
		var err error
		if doc, err = front50.DecodeStored(body); err != nil {
			return
		}
	}
	sum, digest := p.sz.Summarize(doc)
	p.sh.load(ctx) // a cache without summaries starts from the shared ones before adding to them
	p.put(key, meta, sum, digest)
}

// A summary entry's payload: the digest's length as one byte (0: no digest), the digest,
// then the summary in the binary value form.
func encodeSummary(sum map[string]any, digest []byte) ([]byte, bool) {
	if len(digest) > 255 {
		return nil, false
	}
	b := append([]byte{byte(len(digest))}, digest...)
	return appendValue(b, sum)
}

func decodeSummary(b []byte) (map[string]any, []byte, error) {
	if len(b) == 0 || len(b) < 1+int(b[0]) {
		return nil, nil, fmt.Errorf("cache: summary entry cut short")
	}
	n := int(b[0])
	var digest []byte
	if n > 0 {
		digest = append([]byte(nil), b[1:1+n]...)
	}
	v, err := decodeValue(b[1+n:])
	if err != nil {
		return nil, nil, err
	}
	sum, ok := v.(map[string]any)
	if !ok {
		return nil, nil, fmt.Errorf("cache: summary entry is not a map")
	}
	return sum, digest, nil
}
