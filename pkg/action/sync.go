package action

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/pipegen/pipegen/internal/cache"
	"github.com/pipegen/pipegen/internal/parallel"
	"github.com/pipegen/pipegen/internal/spool"
	"github.com/pipegen/pipegen/pkg/config"
	"github.com/pipegen/pipegen/pkg/front50"
	"github.com/pipegen/pipegen/pkg/pipeline"
	"github.com/pipegen/pipegen/pkg/plan"
)

// DefaultConcurrency sizes the store request pool for S3 latency (tens of ms per request):
// enough requests in flight to hide it, few enough not to be throttled.
const DefaultConcurrency = 32

// DiffOptions shape diff and sync.
type DiffOptions struct {
	Filter      Filter
	Prune       bool
	Adopt       bool
	Concurrency int
	// NoCache reads every object from the store and decodes every render afresh.
	NoCache bool
	// CacheDir overrides the cache folder (default: CacheDir(cfg)). Apply caches the objects
	// it writes only when it is set: pass Result.CacheDir.
	CacheDir string
	// KeepDocuments keeps every rendered and stored document in memory (Build.Pipelines'
	// Doc, State's Doc, items' Desired), for callers that show them (serve). Without it a
	// diff streams (see Diff).
	KeepDocuments bool
}

// Result is what diff computed.
type Result struct {
	Build *Build
	State *front50.State
	Plan  *plan.Plan // nil when the build has problems
	// CacheDir is the cache the diff used ("" for none), for SyncOptions.CacheDir.
	CacheDir string
	// SummariesErr is why the summaries a sync shared in the store could not be read (the
	// diff then read every pipeline): front50.ErrNotFound when none were shared yet.
	SummariesErr error

	spool *spool.File // where a streaming diff keeps documents; Close removes it
}

// Diff loads the store, renders the repo against it and plans.
//
// Unless opt.KeepDocuments is set it streams: the store is held as summaries and digests
// (plan.Summarize), each rendered value waits in a spool file until it is prepared and planned
// on its own, and the documents of changed pipelines wait there until sync writes them. What
// stays in memory per pipeline is its name, id, ETag and changes.
func Diff(ctx context.Context, cfg *config.Config, store front50.Store, opt DiffOptions) (*Result, error) {
	conc := opt.Concurrency
	if conc <= 0 {
		conc = DefaultConcurrency
	}
	var sp *spool.File
	load := front50.LoadOptions{Concurrency: conc}
	if !opt.KeepDocuments {
		var err error
		if sp, err = spool.New(""); err != nil {
			return nil, err
		}
		load.Summarize = plan.Summarize
	}
	res, err := diffWith(ctx, cfg, store, opt, sp, load)
	if err != nil || res.Plan == nil {
		_ = sp.Close()
		if res != nil {
			res.spool = nil
		}
	}
	return res, err
}

func diffWith(ctx context.Context, cfg *config.Config, store front50.Store, opt DiffOptions, sp *spool.File, load front50.LoadOptions) (*Result, error) {
	// Reading the store is I/O and rendering is CPU: do both at once. Only finishing the build
	// (ids, pipeline_id lookups, adoption) needs the state.
	type loaded struct {
		state *front50.State
		err   error
	}
	c := opt.cache(cfg)
	done := make(chan loaded, 1)
	cs := cachedStore(store, c, load.Summarize != nil)
	if sc, ok := cs.(front50.SummaryCache); ok && load.Summarize != nil {
		load.Summaries = sc
	}
	go func() {
		st, err := front50.LoadWith(ctx, cs, load)
		done <- loaded{st, err}
	}()
	r, renderErr := renderSources(ctx, cfg, opt.Filter, c, nil, sp)
	l := <-done // a store failure is reported first, as when the two ran one after the other
	if l.err != nil {
		return nil, fmt.Errorf("read %s: %w", store.Location(), l.err)
	}
	if renderErr != nil {
		return nil, renderErr
	}
	// Everything the cache learns, it has learnt by now: save it while planning.
	saved := make(chan struct{})
	go func() { _ = c.Save(); close(saved) }()
	defer func() { <-saved }()
	state := l.state
	popt := plan.Options{
		Prune:      opt.Prune,
		Adopt:      opt.Adopt,
		Identities: identityKeys(r.b.Identities),
		InScope: func(m pipeline.Marker, name string) bool {
			return opt.Filter.match(m.Service, m.Stack, m.Key, name)
		},
	}
	// Each pipeline is planned as soon as it is prepared, and its document let go of.
	var items []plan.Item
	var mu sync.Mutex
	planned := func(p *Pipeline) error {
		if !p.InScope {
			if sp != nil {
				p.Doc = nil
			}
			return nil
		}
		it, err := plan.One(ctx, &p.Desired, state, popt)
		if err != nil {
			return err
		}
		if sp != nil && it.Desired != nil {
			if err := spoolItem(sp, &it); err != nil {
				return err
			}
			if it.Desired == nil {
				p.Doc = nil
			}
		}
		mu.Lock()
		items = append(items, it)
		mu.Unlock()
		return nil
	}
	b, err := r.finish(cfg, BuildOptions{Filter: opt.Filter, State: state, Adopt: opt.Adopt}, planned)
	if err != nil {
		return nil, err
	}
	res := &Result{Build: b, State: state, CacheDir: c.Path(), spool: sp}
	if s, ok := cs.(interface{ SharedSummariesErr() error }); ok {
		res.SummariesErr = s.SharedSummariesErr()
	}
	if len(b.Problems) > 0 {
		return res, nil
	}
	if err := b.CheckFilter(opt.Filter, state); err != nil {
		return nil, err
	}
	res.Plan = plan.Assemble(items, state, popt)
	res.Plan.Unmanaged = plan.FindUnmanaged(state, b.InScopeApplications(), res.Plan)
	res.Plan.Applications, res.Plan.AppCounts, err = planApps(ctx, store, c, b, opt.Filter, opt.Adopt, load.Concurrency)
	return res, err
}

// spoolItem moves an item's document to the spool when something reads it later, and drops
// it otherwise. A document the spool's form cannot hold stays in memory.
func spoolItem(sp *spool.File, it *plan.Item) error {
	if !needsDocument(it.Action) {
		it.Desired = nil
		return nil
	}
	d, ok, err := spoolDoc(sp, it.Desired)
	if err != nil {
		return fmt.Errorf("plan %s/%s: %w", it.Application, it.Name, err)
	}
	if ok {
		it.Desired, it.Body = nil, d
	}
	return nil
}

// needsDocument reports whether a plan item's document is read after planning: by sync to
// write it, by every format to show it, by the guards that look for references.
func needsDocument(a plan.Action) bool {
	switch a {
	case plan.Create, plan.Update, plan.Adopt, plan.Conflict:
		return true
	}
	return false
}

// Close lets go of what a streaming diff keeps on disk. The plan's documents cannot be read
// afterwards.
func (r *Result) Close() error {
	if r == nil || r.spool == nil {
		return nil
	}
	return r.spool.Close()
}

func (o DiffOptions) cache(cfg *config.Config) *cache.Dir {
	switch {
	case o.NoCache:
		return nil
	case o.CacheDir != "":
		return cache.Open(o.CacheDir)
	}
	return openCache(cfg, false)
}

// summarizer is how the cache summarises stored pipelines, tied to this build (when the build
// cannot be identified, no summary is kept).
var summarizer = cache.NewSummarizer(plan.Summarize)

// cachedStore puts the object cache in front of a remote store, and the summaries cache when
// summaries are read (a streaming diff) or written (sync). A file store is read from local disk
// already; caching it would only copy it.
func cachedStore(s front50.Store, c *cache.Dir, summaries bool) front50.Store {
	if c == nil || strings.HasPrefix(s.Location(), "file://") {
		return s
	}
	if !summaries {
		return cache.WrapStore(s, c)
	}
	return cache.WrapStoreWith(s, c, summarizer)
}

// publishSummaries gives the store the summaries the cache holds after a sync (see
// internal/cache/shared.go), bounded in time even after an interrupt: it is one request.
func publishSummaries(ctx context.Context, store front50.Store) error {
	p, ok := store.(interface{ PublishSummaries(context.Context) error })
	if !ok {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	return p.PublishSummaries(ctx)
}

func identityKeys(ids map[pipeline.Marker]bool) map[pipeline.Marker]bool {
	out := make(map[pipeline.Marker]bool, len(ids))
	for m := range ids {
		out[plan.IdentityKey(m)] = true
	}
	return out
}

// SyncOptions shape a sync.
type SyncOptions struct {
	DiffOptions
	DryRun bool
	Now    func() time.Time // the clock for updateTs and last-modified.json; time.Now if nil
	// Progress is called after each write or delete finishes (for a progress bar).
	Progress func()
}

// Outcome is what happened to one pipeline of the plan.
type Outcome struct {
	Item plan.Item
	Err  error // nil: written (or deleted)
}

// Report is what a sync did.
type Report struct {
	Done         []Outcome // succeeded, in plan order
	Failed       []Outcome // failed, in plan order
	NotStarted   []plan.Item
	LastModified int64 // the value written to last-modified.json, 0 if not bumped
	BumpErr      error
	Interrupted  bool
	// Conflicts are the plan's conflicts: not written, each named by the plan; what depends
	// on one is in Failed.
	Conflicts []plan.Item

	// Applications, written before the pipelines.
	AppDone, AppFailed []AppOutcome
	AppNotStarted      []plan.AppItem
	// AppConflicts are applications made in the UI that a service declares, not written
	// without --adopt; their pipelines are written all the same.
	AppConflicts     []plan.AppItem
	AppsLastModified int64 // the value written to applications/last-modified.json, 0 if not bumped
	AppsBumpErr      error

	// SummariesErr is why the store's copy of the pipeline summaries could not be updated:
	// nothing is wrong in Front50's objects, but diffs on machines without a cache read every
	// pipeline this sync wrote.
	SummariesErr error
}

// Err summarises a report as an error (nil when everything was applied).
func (r *Report) Err() error {
	var parts []string
	if len(r.Conflicts) > 0 {
		parts = append(parts, fmt.Sprintf("%d conflict(s) not written", len(r.Conflicts)))
	}
	if len(r.AppConflicts) > 0 {
		parts = append(parts, fmt.Sprintf("%d application conflict(s) not written", len(r.AppConflicts)))
	}
	if len(r.AppFailed) > 0 {
		parts = append(parts, fmt.Sprintf("%d application(s) failed", len(r.AppFailed)))
	}
	if len(r.AppNotStarted) > 0 {
		parts = append(parts, fmt.Sprintf("%d application(s) not started", len(r.AppNotStarted)))
	}
	if r.AppsBumpErr != nil {
		parts = append(parts, "applications/last-modified.json not updated")
	}
	if len(r.Failed) > 0 {
		parts = append(parts, fmt.Sprintf("%d failed", len(r.Failed)))
	}
	if len(r.NotStarted) > 0 {
		parts = append(parts, fmt.Sprintf("%d not started", len(r.NotStarted)))
	}
	if r.BumpErr != nil {
		parts = append(parts, "last-modified.json not updated")
	}
	if len(parts) == 0 && !r.Interrupted {
		return nil
	}
	msg := "sync incomplete"
	if r.Interrupted {
		msg = "sync interrupted"
	}
	for i, p := range parts {
		sep := ": "
		if i > 0 {
			sep = ", "
		}
		msg += sep + p
	}
	return errors.New(msg)
}

// Apply writes a plan's creates, updates and deletes, then bumps last-modified.json once if
// anything changed. Writes are conditional on what the plan read, so a concurrent change makes
// that pipeline fail instead of being overwritten. Once ctx is cancelled no new write starts;
// writes already started are allowed to finish, so every outcome is known and reported.
func Apply(ctx context.Context, store front50.Store, p *plan.Plan, opt SyncOptions) (rep *Report, err error) {
	if opt.CacheDir != "" && !opt.NoCache {
		// What is written is cached, so the next diff need not read it back, here or, through
		// the store's copy of the summaries, on another machine.
		c := cache.Open(opt.CacheDir)
		store = cachedStore(store, c, true)
		defer func() {
			if rep == nil {
				_ = c.Save()
				return
			}
			if err := c.Save(); err != nil {
				// Not shared either: what would be shared is the saved pack.
				rep.SummariesErr = fmt.Errorf("the cache could not be saved: %w", err)
				return
			}
			rep.SummariesErr = publishSummaries(ctx, store)
		}()
	}
	now := opt.Now
	if now == nil {
		now = time.Now
	}
	conc := opt.Concurrency
	if conc <= 0 {
		conc = DefaultConcurrency
	}
	var work []plan.Item
	for _, it := range p.Items {
		switch it.Action {
		case plan.Create, plan.Update, plan.Adopt, plan.Delete:
			work = append(work, it)
		}
	}
	rep = &Report{}
	for _, it := range p.Items {
		if it.Action == plan.Conflict {
			rep.Conflicts = append(rep.Conflicts, it)
		}
	}
	for _, it := range p.Applications {
		if it.Action == plan.AppConflict {
			rep.AppConflicts = append(rep.AppConflicts, it)
		}
	}
	// Writes in flight outlive an interrupt (bounded), so each one ends written or not written.
	writeCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Minute)
	defer cancel()
	// Applications first: a pipeline of an application Front50 does not know is invisible in
	// the UI. A pipeline whose application could not be written is not written either.
	stampMS := now().UnixMilli() // one createTs/updateTs for the run's applications and pipelines
	appFailed := applyApps(ctx, writeCtx, store, p.Applications, stampMS, conc, rep)
	if len(work) == 0 {
		rep.Interrupted = ctx.Err() != nil
		return rep, nil
	}
	outcomes := make([]*Outcome, len(work))
	for i, err := range refuseDeletes(ctx, store, work, opt.Filter, conc) {
		outcomes[i] = &Outcome{Item: work[i], Err: err}
	}
	// A conflict holds back only what depends on it; everything else is written.
	for i, err := range dependsOnConflict(work, rep.Conflicts) {
		outcomes[i] = &Outcome{Item: work[i], Err: err}
	}
	for i, it := range work {
		if err, ok := appFailed[it.Application]; ok && it.Action != plan.Delete && outcomes[i] == nil {
			outcomes[i] = &Outcome{Item: it, Err: fmt.Errorf("write %s/%s (%s): not written: its application was not written: %w", it.Application, it.Name, it.ID, err)}
		}
	}
	ts := strconv.FormatInt(stampMS, 10)
	run := func(phase func(plan.Item) bool) {
		// Once ctx is done parallel.Do starts nothing new; an outcome left nil was not started.
		_ = parallel.Do(ctx, len(work), conc, func(i int) {
			if !phase(work[i]) || ctx.Err() != nil || outcomes[i] != nil {
				return // another phase, cancelled while waiting for a slot, or already decided
			}
			outcomes[i] = &Outcome{Item: work[i], Err: applyOne(writeCtx, store, work[i], ts)}
			if opt.Progress != nil {
				opt.Progress()
			}
		})
	}
	// Deletes first: a plan may create a pipeline under the name of one it deletes (a renamed
	// key with --prune). Should such a delete fail, the write that needs its name must not
	// happen, or the application would hold two pipelines with one name.
	run(func(it plan.Item) bool { return it.Action == plan.Delete })
	held := map[string]plan.Item{}
	for i, it := range work {
		if it.Action == plan.Delete && (outcomes[i] == nil || outcomes[i].Err != nil) {
			held[pipeline.NameKey(it.Application, it.Name)] = it
		}
	}
	for i, it := range work {
		if other, ok := held[pipeline.NameKey(it.Application, it.Name)]; ok && it.Action != plan.Delete && outcomes[i] == nil {
			outcomes[i] = &Outcome{Item: it, Err: fmt.Errorf("write %s/%s (%s): not written: pipeline %s, which this sync was to delete, still holds the name", it.Application, it.Name, it.ID, other.ID)}
		}
	}
	run(func(it plan.Item) bool { return it.Action != plan.Delete })
	rep.Interrupted = ctx.Err() != nil

	for i, o := range outcomes {
		switch {
		case o == nil:
			rep.NotStarted = append(rep.NotStarted, work[i])
		case o.Err != nil:
			rep.Failed = append(rep.Failed, *o)
		default:
			rep.Done = append(rep.Done, *o)
		}
	}
	if len(rep.Done) > 0 {
		// Front50 replicas pick changes up on their next read once this grows.
		bumpCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		rep.LastModified, rep.BumpErr = front50.BumpLastModified(bumpCtx, store, now())
	}
	return rep, nil
}

// ErrNotOwned is why a planned delete was refused: the object as stored now does not carry
// pipegen's complete ownership marker for this application, is outside the command's
// filters, or is a copy of a managed pipeline.
var ErrNotOwned = errors.New("not owned by pipegen")

// refuseDeletes checks every planned delete once more against the object as it is stored now,
// whatever the plan says: deleting is the one step that cannot be undone, and a pipeline made
// in the UI must survive every prune. It returns the refused deletes by index into work.
func refuseDeletes(ctx context.Context, store front50.Store, work []plan.Item, f Filter, conc int) map[int]error {
	var dels []int
	for i, it := range work {
		if it.Action == plan.Delete {
			dels = append(dels, i)
		}
	}
	markers := make([]pipeline.Marker, len(dels))
	errs := make([]error, len(dels))
	_ = parallel.Do(ctx, len(dels), conc, func(j int) {
		markers[j], errs[j] = deletable(ctx, store, work[dels[j]], f)
	})
	refused := map[int]error{}
	claims := map[pipeline.Marker][]int{}
	for j, i := range dels {
		if ctx.Err() != nil {
			break // interrupted: the rest is reported as not started
		}
		if it := work[i]; errs[j] != nil {
			refused[i] = fmt.Errorf("delete %s/%s (%s): %w", it.Application, it.Name, it.ID, errs[j])
			continue
		}
		k := plan.IdentityKey(markers[j])
		claims[k] = append(claims[k], i)
	}
	// A copy made in the UI keeps the marker of the pipeline it was copied from under a new
	// id. When several objects claim one identity, only the one under the id pipegen derives
	// is its own; the others are left for a human.
	for k, is := range claims {
		if len(is) < 2 {
			continue
		}
		derived := pipeline.PipelineID(k.Service, k.Stack, k.Key)
		for _, i := range is {
			if it := work[i]; it.ID != derived {
				refused[i] = fmt.Errorf("delete %s/%s (%s): %w: it carries the ownership marker of %s/%s/%s like %d other pipelines, so it is probably a copy made in the UI; delete it there, or remove its %q key to keep it",
					it.Application, it.Name, it.ID, ErrNotOwned, k.Service, k.Stack, k.Key, len(is)-1, pipeline.MarkerKey)
			}
		}
	}
	return refused
}

// deletable returns the marker of the stored object when pipegen may delete it: unchanged
// since the plan read it, carrying a complete marker whose service is the object's own
// application (and whose id, when the marker records one, is the object's), within filter.
func deletable(ctx context.Context, store front50.Store, it plan.Item, f Filter) (pipeline.Marker, error) {
	obj, err := store.Get(ctx, it.ID)
	if err != nil {
		return pipeline.Marker{}, err
	}
	if it.ETag != "" && !front50.SameETag(obj.ETag, it.ETag) {
		return pipeline.Marker{}, fmt.Errorf("%w: changed since it was read; run pipegen diff again", front50.ErrPrecondition)
	}
	doc, err := front50.DecodeStored(obj.Body)
	if err != nil {
		return pipeline.Marker{}, fmt.Errorf("%w: the stored object is %v", ErrNotOwned, err)
	}
	m, ok := pipeline.MarkerOf(doc)
	if !ok {
		return m, fmt.Errorf("%w: no complete %q marker (service, stack and key)", ErrNotOwned, pipeline.MarkerKey)
	}
	if app, _ := doc[pipeline.FieldApplication].(string); app != m.Service {
		return m, fmt.Errorf("%w: its marker names service %q but it belongs to application %q", ErrNotOwned, m.Service, app)
	}
	if raw, _ := doc[pipeline.MarkerKey].(map[string]any); raw != nil {
		if id, ok := raw["id"].(string); ok && id != it.ID {
			return m, fmt.Errorf("%w: its marker was written for pipeline %s (a copy made in the UI?)", ErrNotOwned, id)
		}
	}
	name, _ := doc[pipeline.FieldName].(string)
	if !f.match(m.Service, m.Stack, m.Key, name) {
		return m, fmt.Errorf("%w within the filters given: it is %s, outside them", ErrNotOwned, m.Source())
	}
	return m, nil
}

func applyOne(ctx context.Context, store front50.Store, it plan.Item, ts string) error {
	if it.Action == plan.Delete {
		if err := store.Delete(ctx, it.ID, it.ETag); err != nil {
			return fmt.Errorf("delete %s/%s (%s): %w", it.Application, it.Name, it.ID, err)
		}
		return nil
	}
	doc, err := it.Document()
	if err != nil {
		return fmt.Errorf("write %s/%s (%s): %w", it.Application, it.Name, it.ID, err)
	}
	if len(it.Keep) > 0 {
		withKept := make(map[string]any, len(doc)+len(it.Keep))
		maps.Copy(withKept, doc)
		maps.Copy(withKept, it.Keep)
		doc = withKept
	}
	body, err := StoredBody(doc, ts)
	if err != nil {
		return err
	}
	opt := front50.PutOptions{IfMatch: it.ETag}
	if it.Action == plan.Create {
		opt = front50.PutOptions{IfNoneMatch: true}
	}
	if _, err := store.Put(ctx, it.ID, body, opt); err != nil {
		if errors.Is(err, front50.ErrPrecondition) {
			return fmt.Errorf("write %s/%s (%s): changed by someone else since it was read; run pipegen diff again: %w", it.Application, it.Name, it.ID, err)
		}
		return fmt.Errorf("write %s/%s (%s): %w", it.Application, it.Name, it.ID, err)
	}
	return nil
}

// StoredBody is the exact object sync writes: the document plus updateTs (a string of epoch ms,
// as Front50 writes it) and lastModifiedBy.
func StoredBody(doc map[string]any, updateTs string) ([]byte, error) {
	obj := make(map[string]any, len(doc)+2)
	for k, v := range doc {
		obj[k] = v
	}
	obj[pipeline.FieldUpdateTs] = updateTs
	obj[pipeline.FieldLastModifiedBy] = pipeline.WrittenBy
	if b, ok := appendJSON(make([]byte, 0, 8<<10), obj); ok {
		return b, nil // the same bytes as below, without reflection (encode.go)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // SpEL has < > &; Front50 reads them either way, humans read this way
	if err := enc.Encode(obj); err != nil {
		return nil, fmt.Errorf("encode %v: %w", doc[pipeline.FieldName], err)
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}
