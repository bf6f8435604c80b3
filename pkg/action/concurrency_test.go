package action

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pipegen/pipegen/pkg/front50"
	"github.com/pipegen/pipegen/pkg/plan"
)

// concurrencyFigures is what the concurrency tests measured, for docs/GUARANTEES.md.
type concurrencyFigures struct {
	rounds, contested, conflictsReported, lost int
}

// Guarantee 3: two syncs planned against the same store state and applied at the same time
// never both win a pipeline: for each pipeline both want to write, exactly one write lands,
// the other sync reports that pipeline as changed by someone else (naming it), and the store
// holds the winner's object. Runs the same repo twice and two different repos, from an empty
// store (both create) and from a synced one (both update).
func TestConcurrentSyncsNeverLoseAnUpdate(t *testing.T) {
	rounds := 8
	if testing.Short() {
		rounds = 4
	}
	a := newRepo(t, synthFiles(6, 1))
	b := newRepo(t, synthFiles(6, 2))
	base := newRepo(t, synthFiles(6, 3))
	forEachStore(t, func(t *testing.T, env storeEnv) {
		fig := concurrencyFigures{}
		for round := range rounds {
			e := env
			e.url = fmt.Sprintf("%s/conc-%02d", env.url, round)
			other, fromBase := a, round%2 == 1
			if round%4 >= 2 {
				other = b
			}
			open := func() front50.Store {
				st, err := front50.Open(context.Background(), front50.Config{URL: e.url, Endpoint: e.endpoint, RetryBaseDelay: time.Millisecond})
				if err != nil {
					t.Fatal(err)
				}
				return st
			}
			if fromBase {
				syncClean(t, base, open(), DiffOptions{}, time.UnixMilli(1_700_000_000_000))
			}
			runs := []struct {
				r    *repo
				st   front50.Store
				now  time.Time
				res  *Result
				rep  *Report
				want map[string][]byte
			}{{r: a, st: open(), now: time.UnixMilli(1_700_000_001_000)}, {r: other, st: open(), now: time.UnixMilli(1_700_000_002_000)}}
			// Both plan against the same state before either writes.
			for i := range runs {
				res, err := Diff(context.Background(), runs[i].r.config(nil), runs[i].st, DiffOptions{Concurrency: 4})
				if err != nil {
					t.Fatal(err)
				}
				runs[i].res = res
				runs[i].want = expectedBodies(t, res.Plan, runs[i].now)
			}
			var wg sync.WaitGroup
			start := make(chan struct{})
			for i := range runs {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					run := &runs[i]
					rep, err := Apply(context.Background(), run.st, run.res.Plan, SyncOptions{DiffOptions: DiffOptions{Concurrency: 4}, Now: func() time.Time { return run.now }})
					if err != nil {
						t.Error(err)
						return
					}
					run.rep = rep
				}()
			}
			close(start)
			wg.Wait()
			if t.Failed() {
				t.FailNow()
			}

			snap := snapshotOf(t, e, env)
			checkIntegrity(t, snap, prefixOf(e, env), false)
			stored := byID(snap, prefixOf(e, env))
			outcome := func(rep *Report, id string) (done bool, conflict error) {
				for _, o := range rep.Done {
					if o.Item.ID == id {
						return true, nil
					}
				}
				for _, o := range rep.Failed {
					if o.Item.ID == id {
						return false, o.Err
					}
				}
				return false, nil
			}
			for id, wantA := range runs[0].want {
				wantB, contested := runs[1].want[id]
				if !contested {
					continue
				}
				fig.contested++
				doneA, errA := outcome(runs[0].rep, id)
				doneB, errB := outcome(runs[1].rep, id)
				it := itemByID(runs[0].res.Plan, id)
				switch {
				case doneA && doneB:
					fig.lost++
					t.Errorf("round %d: both syncs wrote %s/%s: one update was lost silently", round, it.Application, it.Name)
				case !doneA && !doneB:
					t.Errorf("round %d: neither sync wrote %s/%s (%v; %v)", round, it.Application, it.Name, errA, errB)
				default:
					winner, loserErr := wantA, errB
					if doneB {
						winner, loserErr = wantB, errA
					}
					if stored[id] != string(winner) {
						t.Errorf("round %d: %s/%s holds %.60q, not the winner's object", round, it.Application, it.Name, stored[id])
					}
					if !errors.Is(loserErr, front50.ErrPrecondition) || !strings.Contains(loserErr.Error(), it.Application+"/"+it.Name) || !strings.Contains(loserErr.Error(), "changed by someone else") {
						t.Errorf("round %d: the losing sync reports %s/%s as %v", round, it.Application, it.Name, loserErr)
					} else {
						fig.conflictsReported++
					}
				}
			}
			for _, run := range runs {
				// Whoever lost anything says so; nothing else failed.
				for _, o := range run.rep.Failed {
					if !errors.Is(o.Err, front50.ErrPrecondition) {
						t.Errorf("round %d: unexpected failure %v", round, o.Err)
					}
				}
				if (len(run.rep.Failed) > 0) != (run.rep.Err() != nil) {
					t.Errorf("round %d: report error %v with %d failures", round, run.rep.Err(), len(run.rep.Failed))
				}
			}
			// The loser re-plans and converges.
			for _, run := range runs {
				if len(run.rep.Failed) > 0 {
					syncClean(t, run.r, run.st, DiffOptions{}, run.now.Add(time.Hour))
				}
			}
			fig.rounds++
			if t.Failed() {
				t.FailNow()
			}
		}
		if fig.contested == 0 || fig.conflictsReported != fig.contested {
			t.Errorf("figures: %+v", fig)
		}
		t.Logf("FIGURES concurrency (%s): %d rounds of two concurrent syncs, %d contested pipelines, each won by exactly one sync; %d conflicts reported by name; %d updates lost", filepath.Base(t.Name()), fig.rounds, fig.contested, fig.conflictsReported, fig.lost)
	})
}

func itemByID(p *plan.Plan, id string) plan.Item {
	for _, it := range p.Items {
		if it.ID == id {
			return it
		}
	}
	return plan.Item{ID: id}
}

// snapshotOf reads every object below a sub-root e of a forEachStore environment.
func snapshotOf(t *testing.T, e, env storeEnv) map[string]string {
	t.Helper()
	out := map[string]string{}
	prefix := prefixOf(e, env)
	for _, k := range env.keys(t) {
		if strings.HasPrefix(k, prefix) {
			out[k] = string(env.raw(t, k))
		}
	}
	return out
}

// prefixOf is the key prefix of a sub-root made by appending "/NAME" to env.url: the same
// "NAME/" for the file store (keys relative to its folder) and S3 (the root "NAME").
func prefixOf(e, env storeEnv) string {
	return strings.TrimPrefix(strings.TrimPrefix(e.url, env.url), "/") + "/"
}
