// Package sync is `pipegen sync`: apply the plan to the store.
package sync

import (
	"errors"
	"fmt"
	"io"

	"github.com/pipegen/pipegen/pkg/action"
	"github.com/pipegen/pipegen/pkg/cmdutil"
	"github.com/pipegen/pipegen/pkg/plan"
	"github.com/spf13/cobra"
)

// Options are the command's inputs.
type Options struct {
	Flags       cmdutil.Flags
	DryRun      bool
	Prune       bool
	Adopt       bool
	Concurrency int
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

Nothing is written when any input has a problem or when a planned pipeline has the name
of one pipegen does not own (use --adopt to take it over, keeping its id).
--prune also deletes pipelines pipegen owns whose source is gone (never UI-made ones).`,
		Example: `  pipegen sync --dry-run
  pipegen sync
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
	return cmd
}

func run(cmd *cobra.Command, f *cmdutil.Factory, opts *Options) error {
	if opts.Concurrency < 1 {
		return cmdutil.UsageErrorf("--concurrency must be at least 1")
	}
	ctx := cmd.Context()
	dopt := action.DiffOptions{Prune: opts.Prune, Adopt: opts.Adopt, Concurrency: opts.Concurrency,
		Filter: opts.Flags.Filter(), NoCache: opts.Flags.NoCache}
	p, err := opts.Flags.MakePlan(ctx, f, dopt)
	if err != nil {
		return err
	}
	ios := f.IOStreams
	if !ios.IsQuiet() || opts.DryRun {
		if err := opts.Flags.PrintPlan(f, ios.Out, p.Plan); err != nil {
			return err
		}
	}
	if opts.DryRun {
		opts.Flags.PrintStats(f, p)
		// A dry run answers "would sync succeed?": with conflicts it would not.
		if n := p.Plan.Counts.Conflict; n > 0 {
			fmt.Fprintf(ios.ErrOut, "%s sync would refuse: %d conflict(s), see the plan\n", ios.ErrColorScheme().Red("error:"), n)
			return cmdutil.ErrSilent
		}
		return nil
	}
	// Apply re-checks deletes against the same filters, and caches what it writes in the
	// cache the diff used, so the next diff needs no GETs.
	dopt.CacheDir = p.CacheDir
	todo := p.Plan.Counts.Create + p.Plan.Counts.Update + p.Plan.Counts.Delete
	prog := ios.StartProgress("syncing", todo)
	rep, err := action.Apply(ctx, p.Store, p.Plan, action.SyncOptions{DiffOptions: dopt, Progress: func() { prog.Add(1) }})
	prog.Stop()
	if err != nil {
		if errors.Is(err, action.ErrConflicts) {
			fmt.Fprintf(ios.ErrOut, "%s %v\n", ios.ErrColorScheme().Red("error:"), err)
			return cmdutil.ErrSilent
		}
		return err
	}
	// stdout carries the plan in the chosen format; with json or markdown it must stay exactly
	// that, so the outcome line goes to stderr.
	resultOut := ios.Out
	if opts.Flags.Output != "text" {
		resultOut = ios.ErrOut
	}
	printReport(f, rep, resultOut)
	opts.Flags.PrintStats(f, p)
	if err := rep.Err(); err != nil {
		fmt.Fprintf(ios.ErrOut, "%s %v; run pipegen sync again to converge\n", ios.ErrColorScheme().Red("error:"), err)
		return cmdutil.ErrSilent
	}
	return nil
}

func printReport(f *cmdutil.Factory, rep *action.Report, resultOut io.Writer) {
	ios := f.IOStreams
	cs := ios.ErrColorScheme()
	verb := map[plan.Action]string{plan.Create: "created", plan.Update: "updated", plan.Adopt: "adopted", plan.Delete: "deleted"}
	counts := map[plan.Action]int{}
	for _, o := range rep.Done {
		counts[o.Item.Action]++
		if !ios.IsQuiet() {
			fmt.Fprintf(ios.ErrOut, "%s %s/%s (%s)\n", verb[o.Item.Action], o.Item.Application, o.Item.Name, o.Item.ID)
		}
	}
	for _, o := range rep.Failed {
		fmt.Fprintf(ios.ErrOut, "%s %s/%s not %s: %v\n", cs.Red("failed:"), o.Item.Application, o.Item.Name, verb[o.Item.Action], o.Err)
	}
	for _, it := range rep.NotStarted {
		fmt.Fprintf(ios.ErrOut, "%s %s/%s not %s (interrupted before it started)\n", cs.Yellow("skipped:"), it.Application, it.Name, verb[it.Action])
	}
	if rep.BumpErr != nil {
		fmt.Fprintf(ios.ErrOut, "%s last-modified.json not updated: %v (Front50 still sees the changes within its refresh interval, about a minute)\n", cs.Red("error:"), rep.BumpErr)
	}
	if len(rep.Done) == 0 && len(rep.Failed) == 0 && len(rep.NotStarted) == 0 {
		fmt.Fprintln(resultOut, "Nothing to do: the store matches the source.")
		return
	}
	fmt.Fprintf(resultOut, "Applied: %d created, %d updated, %d deleted", counts[plan.Create], counts[plan.Update]+counts[plan.Adopt], counts[plan.Delete])
	if n := len(rep.Failed); n > 0 {
		fmt.Fprintf(resultOut, ", %d failed", n)
	}
	if n := len(rep.NotStarted); n > 0 {
		fmt.Fprintf(resultOut, ", %d not started", n)
	}
	fmt.Fprintln(resultOut, ".")
}
