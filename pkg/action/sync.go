package action

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/pipegen/pipegen/internal/parallel"
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
}

// Result is what diff computed.
type Result struct {
	Build *Build
	State *front50.State
	Plan  *plan.Plan // nil when the build has problems
}

// Diff loads the store, renders the repo against it and plans.
func Diff(ctx context.Context, cfg *config.Config, store front50.Store, opt DiffOptions) (*Result, error) {
	conc := opt.Concurrency
	if conc <= 0 {
		conc = DefaultConcurrency
	}
	state, err := front50.Load(ctx, store, conc)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", store.Location(), err)
	}
	b, err := Render(ctx, cfg, BuildOptions{Filter: opt.Filter, State: state, Adopt: opt.Adopt})
	if err != nil {
		return nil, err
	}
	res := &Result{Build: b, State: state}
	if len(b.Problems) > 0 {
		return res, nil
	}
	var desired []*plan.Desired
	for _, p := range b.InScope() {
		desired = append(desired, &p.Desired)
	}
	res.Plan, err = plan.Make(desired, state, plan.Options{
		Prune:      opt.Prune,
		Adopt:      opt.Adopt,
		Identities: identityKeys(b.Identities),
		InScope: func(m pipeline.Marker, name string) bool {
			return opt.Filter.match(m.Service, m.Stack, m.Key, name)
		},
	})
	return res, err
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
}

// Err summarises a report as an error (nil when everything was applied).
func (r *Report) Err() error {
	var parts []string
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

// ErrConflicts is returned when the plan has conflicts and nothing was written.
var ErrConflicts = errors.New("conflicts: nothing written")

// Apply writes a plan's creates, updates and deletes, then bumps last-modified.json once if
// anything changed. Writes are conditional on what the plan read, so a concurrent change makes
// that pipeline fail instead of being overwritten. Once ctx is cancelled no new write starts;
// writes already started are allowed to finish, so every outcome is known and reported.
func Apply(ctx context.Context, store front50.Store, p *plan.Plan, opt SyncOptions) (*Report, error) {
	if p.Counts.Conflict > 0 {
		return nil, fmt.Errorf("%w: %d pipeline(s) conflict with pipelines pipegen does not own (see the plan; --adopt takes them over, --prune replaces owned ones whose source is gone)", ErrConflicts, p.Counts.Conflict)
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
	rep := &Report{}
	if len(work) == 0 {
		return rep, nil
	}

	// Writes in flight outlive an interrupt (bounded), so each one ends written or not written.
	writeCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Minute)
	defer cancel()
	outcomes := make([]*Outcome, len(work))
	ts := strconv.FormatInt(now().UnixMilli(), 10)
	// Once ctx is done parallel.Do starts nothing new; an outcome left nil was not started.
	_ = parallel.Do(ctx, len(work), conc, func(i int) {
		if ctx.Err() != nil {
			return // cancelled while this one waited for a slot
		}
		outcomes[i] = &Outcome{Item: work[i], Err: applyOne(writeCtx, store, work[i], ts)}
		if opt.Progress != nil {
			opt.Progress()
		}
	})
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

func applyOne(ctx context.Context, store front50.Store, it plan.Item, ts string) error {
	if it.Action == plan.Delete {
		if err := store.Delete(ctx, it.ID, it.ETag); err != nil {
			return fmt.Errorf("delete %s/%s (%s): %w", it.Application, it.Name, it.ID, err)
		}
		return nil
	}
	body, err := StoredBody(it.Desired, ts)
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
	obj[pipeline.FieldLastModifiedBy] = "pipegen"
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // SpEL has < > &; Front50 reads them either way, humans read this way
	if err := enc.Encode(obj); err != nil {
		return nil, fmt.Errorf("encode %v: %w", doc[pipeline.FieldName], err)
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}
