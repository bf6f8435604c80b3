package front50

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
)

// Pipeline is one stored pipeline object, decoded.
type Pipeline struct {
	Info
	Doc map[string]any // decoded with json.Decoder.UseNumber
	Raw []byte
	// Nested is set for an object under a deeper folder (pipelines/backup/<id>/…): Front50
	// serves it as a live pipeline, so its name counts, but pipegen never writes or deletes it.
	Nested bool
	// Summary is set when Doc holds only the fields LoadOptions.Summarize kept and Raw is nil:
	// State.Document reads the whole object again.
	Summary bool
	// Digest is what LoadOptions.Summarize computed from the whole document; front50 does not
	// interpret it.
	Digest []byte
}

// Broken is an object that is listed but cannot be used: not JSON, not an
// object, or under a folder name Front50 cannot load. It is reported, not
// fatal, so that one bad object does not stop a sync that would fix it.
type Broken struct {
	ID   string
	ETag string // of the object as listed or read, so a saved plan can tell when it changes
	Err  error
}

// State is what the store holds now, indexed. Treat it as read-only: the
// name index is built by NewState.
type State struct {
	Pipelines []*Pipeline // sorted by ID; nested ones are not here
	ByID      map[string]*Pipeline
	Broken    []Broken
	// Nested are the pipelines under nested keys: in the name index (ByName), nowhere else.
	Nested []*Pipeline

	byName map[string][]*Pipeline
	// store reads a summarised pipeline again (Document).
	store Store
}

// NewState sorts and indexes pipelines.
func NewState(pipelines []*Pipeline, broken []Broken) *State {
	st := &State{
		Pipelines: pipelines,
		ByID:      make(map[string]*Pipeline, len(pipelines)),
		Broken:    broken,
		byName:    make(map[string][]*Pipeline, len(pipelines)),
	}
	sort.Slice(pipelines, func(i, j int) bool { return pipelines[i].ID < pipelines[j].ID })
	sort.Slice(st.Broken, func(i, j int) bool { return st.Broken[i].ID < st.Broken[j].ID })
	st.Pipelines = nil
	for _, p := range pipelines {
		if p.Nested {
			st.Nested = append(st.Nested, p)
		} else {
			st.Pipelines = append(st.Pipelines, p)
			st.ByID[p.ID] = p
		}
		if k, ok := nameKey(p.Doc); ok {
			st.byName[k] = append(st.byName[k], p)
		}
	}
	return st
}

// nameKey is Front50's uniqueness key: application and name compared without
// case, name trimmed as Front50 trims it on save.
func nameKey(doc map[string]any) (string, bool) {
	app, ok1 := doc["application"].(string)
	name, ok2 := doc["name"].(string)
	if !ok1 || !ok2 {
		return "", false
	}
	return foldKey(app, name), true
}

func foldKey(app, name string) string {
	return strings.ToLower(strings.TrimSpace(app)) + "\x00" + strings.ToLower(strings.TrimSpace(name))
}

// ByName returns the pipelines of application app named name, compared
// without case, sorted by ID. More than one means Front50's uniqueness rule
// is already broken in the store.
func (s *State) ByName(app, name string) []*Pipeline {
	if s.byName != nil {
		return s.byName[foldKey(app, name)]
	}
	// A State built by hand has no index.
	var out []*Pipeline
	k := foldKey(app, name)
	for _, p := range append(s.Pipelines[:len(s.Pipelines):len(s.Pipelines)], s.Nested...) {
		if pk, ok := nameKey(p.Doc); ok && pk == k {
			out = append(out, p)
		}
	}
	return out
}

// Document returns p's whole document: p.Doc, or for a summarised pipeline the object read
// again. An object that changed or went away since it was loaded is an error: what the caller
// would compare is no longer what the state says was read.
func (s *State) Document(ctx context.Context, p *Pipeline) (map[string]any, error) {
	if !p.Summary {
		return p.Doc, nil
	}
	if s.store == nil {
		return nil, fmt.Errorf("pipeline %s: only a summary was loaded", p.ID)
	}
	obj, err := s.store.Get(ctx, p.ID)
	switch {
	case errors.Is(err, ErrNotFound):
		return nil, fmt.Errorf("read pipeline %s again: %w: deleted since it was read; run again", p.ID, ErrPrecondition)
	case err != nil:
		return nil, fmt.Errorf("read pipeline %s again: %w", p.ID, err)
	case !SameETag(obj.ETag, p.ETag):
		return nil, fmt.Errorf("read pipeline %s again: %w: changed since it was read; run again", p.ID, ErrPrecondition)
	}
	doc, err := DecodeStored(obj.Body)
	if err != nil {
		return nil, fmt.Errorf("read pipeline %s again: %w", p.ID, err)
	}
	return doc, nil
}

// LoadOptions shape LoadWith.
type LoadOptions struct {
	// Concurrency bounds the Gets in flight (default 16).
	Concurrency int
	// Summarize, when set, is given each decoded pipeline's document and returns what to keep
	// of it (the new Doc) and a digest of the whole. The body is then dropped, so a state of
	// ten thousand pipelines holds summaries, not documents; State.Document reads one again.
	Summarize func(doc map[string]any) (summary map[string]any, digest []byte)
	// Summaries, with Summarize, serves the summary of an object the listing shows unchanged
	// since it was summarised, so that the object is not read at all, and keeps the summaries
	// of the objects read.
	Summaries SummaryCache
}

// SummaryCache keeps what LoadOptions.Summarize made of stored objects, each entry valid for
// the one version of its object it was made from.
type SummaryCache interface {
	// Summary returns the summary and digest of the object listed as info, when they are
	// provably those of that version.
	Summary(info Info) (summary map[string]any, digest []byte, ok bool)
	// RememberSummary records what Summarize made of obj.
	RememberSummary(obj *Object, summary map[string]any, digest []byte)
}

// Load lists the store once and reads every pipeline with at most
// concurrency Gets in flight (default 16). Objects deleted between the
// listing and the read are left out.
func Load(ctx context.Context, s Store, concurrency int) (*State, error) {
	return LoadWith(ctx, s, LoadOptions{Concurrency: concurrency})
}

// LoadWith is Load with options.
func LoadWith(ctx context.Context, s Store, opt LoadOptions) (*State, error) {
	infos, err := s.List(ctx)
	if err != nil {
		return nil, err
	}
	concurrency := opt.Concurrency
	if concurrency <= 0 {
		concurrency = 16
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)

	type result struct {
		p      *Pipeline
		broken *Broken
	}
	results := make([]result, len(infos))
	jobs := make(chan int)
	var wg sync.WaitGroup
	for range min(concurrency, len(infos)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				if p := cachedSummary(opt, infos[i]); p != nil {
					results[i] = result{p: p}
					continue
				}
				p, b, err := loadOne(ctx, s, infos[i])
				if err != nil {
					cancel(err)
					continue
				}
				if p != nil && opt.Summarize != nil {
					p.Doc, p.Digest = opt.Summarize(p.Doc)
					if opt.Summaries != nil {
						opt.Summaries.RememberSummary(&Object{Info: p.Info, Body: p.Raw}, p.Doc, p.Digest)
					}
					p.Raw, p.Summary = nil, true
				}
				results[i] = result{p, b}
			}
		}()
	}
feed:
	for i := range infos {
		select {
		case jobs <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(jobs)
	wg.Wait()
	if err := context.Cause(ctx); err != nil {
		return nil, fmt.Errorf("load %s: %w", s.Location(), err)
	}

	var pipelines []*Pipeline
	var broken []Broken
	for _, r := range results {
		switch {
		case r.p != nil:
			pipelines = append(pipelines, r.p)
		case r.broken != nil:
			broken = append(broken, *r.broken)
		}
	}
	st := NewState(pipelines, broken)
	st.store = s
	return st, nil
}

// cachedSummary is the summarised pipeline of info from opt.Summaries, or nil when it must be
// read. An object whose folder name Front50 cannot use is always read, to be reported.
func cachedSummary(opt LoadOptions, info Info) *Pipeline {
	if opt.Summarize == nil || opt.Summaries == nil {
		return nil
	}
	nested := strings.Contains(info.ID, "/")
	if !nested && ValidateID(info.ID) != nil {
		return nil
	}
	sum, digest, ok := opt.Summaries.Summary(info)
	if !ok {
		return nil
	}
	info.ID = strings.ToLower(info.ID) // as Get names it
	return &Pipeline{Info: info, Doc: sum, Digest: digest, Nested: nested, Summary: true}
}

func loadOne(ctx context.Context, s Store, info Info) (*Pipeline, *Broken, error) {
	// A nested key (pipelines/backup/<id>/…) is live to Front50 but counts for name checks
	// only, so its folder name is not held to the id rules.
	nested := strings.Contains(info.ID, "/")
	if !nested {
		if err := ValidateID(info.ID); err != nil {
			return nil, &Broken{ID: info.ID, ETag: info.ETag, Err: fmt.Errorf("folder name unusable by Front50: %w", err)}, nil
		}
	}
	obj, err := s.Get(ctx, info.ID)
	if errors.Is(err, ErrNotFound) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	doc, err := DecodeStored(obj.Body)
	if err != nil {
		return nil, &Broken{ID: info.ID, ETag: obj.ETag, Err: err}, nil
	}
	return &Pipeline{Info: obj.Info, Doc: doc, Raw: obj.Body, Nested: nested}, nil, nil
}
