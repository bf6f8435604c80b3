package action

import (
	"context"
	"fmt"

	"github.com/pipegen/pipegen/pkg/config"
	"github.com/pipegen/pipegen/pkg/front50"
	"github.com/pipegen/pipegen/pkg/plan"
	"github.com/pipegen/pipegen/pkg/planfile"
)

// StoreHasData reports whether the store holds any Front50 object. A store that cannot tell
// is taken to hold data (the guard it feeds then does not apply).
func StoreHasData(ctx context.Context, store front50.Store) (bool, error) {
	l, ok := front50.LockerOf(store)
	if !ok {
		return true, nil
	}
	has, err := l.HasData(ctx)
	if err != nil {
		return false, fmt.Errorf("read %s: %w", store.Location(), err)
	}
	return has, nil
}

// dependsOnConflict returns, by index into work, the writes held back because they refer to
// a pipeline that a conflict keeps from being created (a pipeline trigger or stage that
// pipeline_id() pointed at it), directly or through another held-back create.
func dependsOnConflict(work []plan.Item, conflicts []plan.Item) map[int]error {
	held := map[int]error{}
	missing := map[string]plan.Item{} // ids that will not exist after this sync
	for _, c := range conflicts {
		missing[c.ID] = c
	}
	for changed := len(missing) > 0; changed; {
		changed = false
		for i, it := range work {
			if _, done := held[i]; done || it.Action == plan.Delete {
				continue
			}
			doc, err := it.Document()
			if err != nil {
				held[i] = fmt.Errorf("write %s/%s (%s): %w", it.Application, it.Name, it.ID, err)
				continue
			}
			ref, ok := refersTo(doc, missing)
			if !ok {
				continue
			}
			held[i] = fmt.Errorf("write %s/%s (%s): not written: it refers to pipeline %s/%s (%s), which is not written because of a conflict", it.Application, it.Name, it.ID, ref.Application, ref.Name, ref.ID)
			if it.Action == plan.Create {
				missing[it.ID] = it
				changed = true
			}
		}
	}
	return held
}

// refersTo finds a string value of v that is one of the ids.
func refersTo(v any, ids map[string]plan.Item) (plan.Item, bool) {
	switch x := v.(type) {
	case string:
		it, ok := ids[x]
		return it, ok
	case map[string]any:
		for _, e := range x {
			if it, ok := refersTo(e, ids); ok {
				return it, true
			}
		}
	case []any:
		for _, e := range x {
			if it, ok := refersTo(e, ids); ok {
				return it, true
			}
		}
	}
	return plan.Item{}, false
}

// DefaultMaxDeletes is how many pipelines one sync may delete unless --max-deletes says
// otherwise: enough for a service or two taken out of the source, few enough that an emptied
// or mis-pointed services folder cannot wipe an installation.
const DefaultMaxDeletes = 10

// DeleteGuardError says why a sync with deletes was refused as a whole.
type DeleteGuardError struct {
	Deletes    int
	MaxDeletes int  // the limit exceeded, when that is the reason
	NoSource   bool // the source has no pipeline in scope
	Services   string
}

func (e *DeleteGuardError) Error() string {
	if e.NoSource {
		return fmt.Sprintf("sync --prune would delete %d pipeline(s) pipegen owns, but the source has no pipeline in scope (is %s empty or the wrong folder?); nothing was written", e.Deletes, e.Services)
	}
	return fmt.Sprintf("sync would delete %d pipelines, more than --max-deletes %d; nothing was written. Check the plan (pipegen diff --prune), then raise --max-deletes if that is meant", e.Deletes, e.MaxDeletes)
}

// GuardDeletes refuses a plan whose deletes look like a mistake rather than an intent: a
// prune while the source has nothing in scope, or more deletes than maxDeletes.
func GuardDeletes(res *Result, cfg *config.Config, maxDeletes int) error {
	return guardDeletes(res.Plan.Counts.Delete, len(res.Build.InScope()), cfg, maxDeletes)
}

// GuardSavedDeletes is GuardDeletes for a saved plan: the pipelines it plans from the source
// are its items other than deletes and orphans.
func GuardSavedDeletes(f *planfile.File, cfg *config.Config, maxDeletes int) error {
	inScope := 0
	for _, it := range f.Plan.Items {
		if it.Action != plan.Delete && it.Action != plan.Orphan {
			inScope++
		}
	}
	return guardDeletes(f.Plan.Summary.Delete, inScope, cfg, maxDeletes)
}

func guardDeletes(n, inScope int, cfg *config.Config, maxDeletes int) error {
	if n == 0 {
		return nil
	}
	if inScope == 0 {
		return &DeleteGuardError{Deletes: n, NoSource: true, Services: displayPath(cfg.Root, cfg.Services) + "/"}
	}
	if n > maxDeletes {
		return &DeleteGuardError{Deletes: n, MaxDeletes: maxDeletes}
	}
	return nil
}
