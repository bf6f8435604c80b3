// Package sync is `pipegen sync`: apply the plan to the store.
package sync

import (
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/pipegen/pipegen/internal/gctune"
	"github.com/pipegen/pipegen/pkg/action"
	"github.com/pipegen/pipegen/pkg/cmdutil"
	"github.com/pipegen/pipegen/pkg/output"
	"github.com/pipegen/pipegen/pkg/plan"
	"github.com/pipegen/pipegen/pkg/planfile"
	"github.com/spf13/cobra"
)

// Options are the command's inputs.
type Options struct {
	Flags       cmdutil.Flags
	DryRun      bool
	Prune       bool
	Adopt       bool
	Concurrency int
	PlanFile    string
	LockTimeout time.Duration
	// AllowEmptyStore lets sync write into a location that holds no Front50 data.
	AllowEmptyStore bool
	MaxDeletes      int
}

// NewCmd builds the command.
func NewCmd(f *cmdutil.Factory) *cobra.Command {
	opts := &Options{}
	cmd := &cobra.Command{
		Use:   "sync",
		Short: "Write the changed pipelines to the store (--dry-run: only show the plan)",
		Long: `Render, compare with the store and write what changed: creates and updates in the
exact layout Front50 reads, then last-modified.json once so every Front50 replica picks
the change up on its next read. Unchanged pipelines are not rewritten. Writes are
conditional on what was read, so a concurrent change is reported, never overwritten.

A sync holds a lock on the store for its whole read-plan-write: a second sync exits 1
at once naming the holder (--lock-timeout waits for it instead); a lock left by a killed
sync is released with pipegen force-unlock LOCK_ID.

Nothing is written when any input has a problem, when a filter matches nothing, or when
the store location holds no Front50 data (a mistyped --store; --allow-empty-store for a
new store; the embedded default needs none). A planned pipeline with the name of one
pipegen does not own is a conflict: it is not written, nor is what refers to it, the rest
is, and sync exits 1 (use --adopt to take it over, keeping its id).
--prune also deletes pipelines pipegen owns whose source is gone (never UI-made ones);
it deletes nothing when the source has no pipeline in scope, and no sync deletes more
than --max-deletes pipelines (default 10).

--plan FILE applies exactly a plan saved by pipegen diff --out FILE (with the options
it was made with) instead of planning afresh, and refuses, writing nothing, when the
source or any store object changed since it was made; with --dry-run it only checks
(and -o html draws the saved plan as a page for review).`,
		Example: `  pipegen sync --dry-run
  pipegen sync --lock-timeout 10m
  pipegen sync --allow-empty-store --store s3://new-bucket/front50
  pipegen sync --plan plan.json
  pipegen sync --service my-microservice --stack prod --prune`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return run(cmd, f, opts)
		},
	}
	opts.Flags.AddRepoFlags(cmd, f)
	opts.Flags.AddStoreFlags(cmd)
	opts.Flags.AddOutputFlag(cmd, cmdutil.PlanFormats...)
	opts.Flags.AddFullPlanFlag(cmd)
	fl := cmd.Flags()
	fl.BoolVar(&opts.DryRun, "dry-run", false, "print the plan and write nothing")
	fl.BoolVar(&opts.Prune, "prune", false, "delete owned pipelines whose source is gone, within the filters")
	fl.BoolVar(&opts.Adopt, "adopt", false, "take over same-named pipelines pipegen does not own, keeping their ids")
	fl.IntVar(&opts.Concurrency, "concurrency", action.DefaultConcurrency, "store requests in flight at once")
	fl.StringVar(&opts.PlanFile, "plan", "", "apply exactly the plan saved by pipegen diff --out FILE")
	_ = cmd.MarkFlagFilename("plan", "json")
	for _, name := range []string{"prune", "adopt", "service", "stack", "pipeline"} {
		cmd.MarkFlagsMutuallyExclusive("plan", name)
	}
	fl.BoolVar(&opts.AllowEmptyStore, "allow-empty-store", false, "write into a store location that holds no Front50 data yet (a new bucket or folder)")
	fl.IntVar(&opts.MaxDeletes, "max-deletes", action.DefaultMaxDeletes, "refuse (write nothing) when the plan would delete more pipelines than this")
	fl.DurationVar(&opts.LockTimeout, "lock-timeout", 0, "wait this long (e.g. 5m) for another sync's lock, with backoff, instead of exiting 1 at once")
	return cmd
}

func run(cmd *cobra.Command, f *cmdutil.Factory, opts *Options) (err error) {
	gctune.ForStreaming()
	if opts.Concurrency < 1 {
		return cmdutil.UsageErrorf("--concurrency must be at least 1")
	}
	if opts.MaxDeletes < 0 {
		return cmdutil.UsageErrorf("--max-deletes must not be negative")
	}
	if opts.LockTimeout < 0 {
		return cmdutil.UsageErrorf("--lock-timeout must not be negative")
	}
	if err := opts.Flags.CheckOutput(cmdutil.PlanFormats...); err != nil {
		return err
	}
	ctx := cmd.Context()
	opened, err := opts.Flags.Open(ctx, f)
	if err != nil {
		return err
	}
	emptyStore, release, err := guard(cmd, f, opts, opened)
	if err != nil {
		return err
	}
	defer func() {
		if rerr := release(); rerr != nil && err == nil {
			err = cmdutil.ErrSilent
		}
	}()
	if opts.PlanFile != "" {
		return runPlan(cmd, f, opts, opened, emptyStore)
	}
	dopt := action.DiffOptions{Prune: opts.Prune, Adopt: opts.Adopt, Concurrency: opts.Concurrency,
		Filter: opts.Flags.Filter(), NoCache: opts.Flags.NoCache}
	p, err := opts.Flags.PlanOn(ctx, f, opened, dopt, false)
	if err != nil {
		return err
	}
	defer p.Result.Close()
	ios := f.IOStreams
	if !ios.IsQuiet() || opts.DryRun {
		if err := opts.Flags.PrintPlan(f, ios.Out, p.Plan); err != nil {
			return err
		}
	}
	// Deletes that look like a mistake stop the whole sync, dry run included.
	if err := action.GuardDeletes(p.Result, p.Config, opts.MaxDeletes); err != nil {
		opts.Flags.PrintStats(f, p)
		fmt.Fprintf(ios.ErrOut, "%s %v\n", ios.ErrColorScheme().Red("error:"), err)
		return cmdutil.ErrSilent
	}
	if opts.DryRun {
		opts.Flags.PrintStats(f, p)
		// A dry run answers "would sync succeed?": with conflicts it would not.
		if n := p.Plan.Counts.Conflict + p.Plan.AppCounts.Conflict; n > 0 {
			fmt.Fprintf(ios.ErrOut, "%s sync would write the rest and exit 1: %d conflict(s), see the plan\n", ios.ErrColorScheme().Red("error:"), n)
			return cmdutil.ErrSilent
		}
		if emptyStore {
			printEmptyStore(f, p.Store.Location())
			return cmdutil.ErrSilent
		}
		return nil
	}
	// Apply re-checks deletes against the same filters, and caches what it writes in the
	// cache the diff used, so the next diff needs no GETs.
	dopt.CacheDir = p.CacheDir
	err = apply(f, opts, p.Plan.Counts, "run pipegen sync again to converge", func(progress func()) (*action.Report, error) {
		return action.Apply(ctx, p.Store, p.Plan, action.SyncOptions{DiffOptions: dopt, Progress: progress})
	})
	opts.Flags.PrintStats(f, p)
	return err
}

// guard refuses a store location with no Front50 data (unless allowed), before anything is
// created, and takes the sync lock for the whole read-plan-write. A dry run takes no lock but
// says when one is held, and reports an empty store after its plan.
func guard(cmd *cobra.Command, f *cmdutil.Factory, opts *Options, p *cmdutil.Planned) (emptyStore bool, release func() error, err error) {
	ctx := cmd.Context()
	release = func() error { return nil }
	if !opts.AllowEmptyStore && !p.Config.IsDefaultStore() {
		has, err := action.StoreHasData(ctx, p.Store)
		if err != nil {
			return false, release, err
		}
		emptyStore = !has
	}
	if opts.DryRun {
		cmdutil.NoteLockHeld(ctx, f.IOStreams, p.Store)
		return emptyStore, release, nil
	}
	if emptyStore {
		printEmptyStore(f, p.Store.Location())
		return true, release, cmdutil.ErrSilent
	}
	release, err = cmdutil.TakeLock(ctx, f, cmd, p.Store, opts.LockTimeout)
	return false, release, err
}

func printEmptyStore(f *cmdutil.Factory, location string) {
	fmt.Fprintf(f.IOStreams.ErrOut, "%s %s holds no Front50 data, so sync wrote nothing: a mistyped --store (or PIPEGEN_STORE, or store in pipegen.yaml) would otherwise become a new, empty store.\n"+
		"If this is a new store, run the first sync with --allow-empty-store.\n", f.IOStreams.ErrColorScheme().Red("error:"), location)
}

// runPlan applies a plan saved by diff --out.
func runPlan(cmd *cobra.Command, f *cmdutil.Factory, opts *Options, p *cmdutil.Planned, emptyStore bool) error {
	ctx := cmd.Context()
	cfg, counted := p.Config, p.Store
	path, err := f.Path(opts.PlanFile)
	if err != nil {
		return err
	}
	saved, err := readPlan(path)
	if err != nil {
		return err
	}
	ios := f.IOStreams
	pl := saved.Plan.Unwrap()
	if !ios.IsQuiet() || opts.DryRun {
		if err := opts.Flags.PrintPlan(f, ios.Out, pl); err != nil {
			return err
		}
	}
	// A reviewed plan is held to the guards a plain sync has: --max-deletes is the operator's
	// limit, not the plan's, and a prune with nothing planned from the source is refused.
	if err := action.GuardSavedDeletes(saved, cfg, opts.MaxDeletes); err != nil {
		opts.Flags.PrintStats(f, p)
		fmt.Fprintf(ios.ErrOut, "%s %v\n", ios.ErrColorScheme().Red("error:"), err)
		return cmdutil.ErrSilent
	}
	dopt := action.DiffOptions{Concurrency: opts.Concurrency, NoCache: opts.Flags.NoCache}
	if !opts.Flags.NoCache {
		dopt.CacheDir = action.CacheDir(cfg)
	}
	if opts.DryRun {
		err := action.CheckPlan(ctx, cfg, counted, saved)
		opts.Flags.PrintStats(f, p)
		if err != nil {
			return planError(f, err)
		}
		if n := pl.Counts.Conflict + pl.AppCounts.Conflict; n > 0 {
			fmt.Fprintf(ios.ErrOut, "%s sync would write the rest and exit 1: %d conflict(s), see the plan\n", ios.ErrColorScheme().Red("error:"), n)
			return cmdutil.ErrSilent
		}
		if emptyStore {
			printEmptyStore(f, counted.Location())
			return cmdutil.ErrSilent
		}
		fmt.Fprintf(ios.ErrOut, "The plan is current: sync --plan %s would apply it as shown.\n", opts.PlanFile)
		return nil
	}
	err = apply(f, opts, pl.Counts, "the plan is now out of date: run pipegen diff --out again, review it and sync that plan", func(progress func()) (*action.Report, error) {
		return action.ApplyPlan(ctx, cfg, counted, saved, action.SyncOptions{DiffOptions: dopt, Progress: progress})
	})
	opts.Flags.PrintStats(f, p)
	return planError(f, err)
}

func readPlan(path string) (*planfile.File, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read plan: %w", err)
	}
	defer fh.Close()
	return planfile.Decode(fh, path)
}

// planError prints a stale plan's reasons as an error line (exit 1).
func planError(f *cmdutil.Factory, err error) error {
	if errors.Is(err, action.ErrStalePlan) {
		fmt.Fprintf(f.IOStreams.ErrOut, "%s %v\n", f.IOStreams.ErrColorScheme().Red("error:"), err)
		return cmdutil.ErrSilent
	}
	return err
}

// apply runs the writes with a progress bar and prints the report.
func apply(f *cmdutil.Factory, opts *Options, counts plan.Counts, again string, run func(progress func()) (*action.Report, error)) error {
	ios := f.IOStreams
	prog := ios.StartProgress("syncing", counts.Create+counts.Update+counts.Delete)
	rep, err := run(func() { prog.Add(1) })
	prog.Stop()
	if err != nil {
		return err
	}
	// stdout carries the plan in the chosen format; with json or markdown it must stay exactly
	// that, so the outcome line goes to stderr.
	resultOut := ios.Out
	if opts.Flags.Output != "text" {
		resultOut = ios.ErrOut
	}
	if err := output.SyncReport(resultOut, ios.ErrOut, rep, ios.ErrColorScheme(), ios.IsQuiet()); err != nil {
		return err
	}
	if err := rep.Err(); err != nil {
		fmt.Fprintf(ios.ErrOut, "%s %v; %s\n", ios.ErrColorScheme().Red("error:"), err, again)
		return cmdutil.ErrSilent
	}
	return nil
}
