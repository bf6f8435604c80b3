// Package diff is `pipegen diff`: the plan against the store, for terminals and code review.
package diff

import (
	"github.com/pipegen/pipegen/internal/gctune"
	"github.com/pipegen/pipegen/pkg/action"
	"github.com/pipegen/pipegen/pkg/cmdutil"
	"github.com/pipegen/pipegen/pkg/planfile"
	"github.com/spf13/cobra"
)

// Options are the command's inputs.
type Options struct {
	Flags       cmdutil.Flags
	ExitCode    bool
	Prune       bool
	Concurrency int
	Out         string
}

// NewCmd builds the command.
func NewCmd(f *cmdutil.Factory) *cobra.Command {
	opts := &Options{}
	cmd := &cobra.Command{
		Use:   "diff",
		Short: "Show what sync would change in the store, field by field",
		Long: `Compare the rendered pipelines with what Front50 holds and show, per pipeline,
what sync would create, update or delete. Stages are matched by refId and artifacts by id,
so a reviewer sees the fields that change, not a reshuffled JSON blob. Server-managed
fields (updateTs, lastModifiedBy, …) never show. Pipelines with identical changes (one
template change) are shown once with their names; a multi-line string shows the lines that
changed; a new pipeline shows every field; moving items of an ordered list (parameterConfig)
is a reorder; a pipeline last saved outside pipegen says by whom and when, as sync reverts it.

With --exit-code the exit status says whether there are changes: 0 none, 2 changes,
1 an error. Without it, 0 means the diff was computed.

-o html writes one self-contained page (inline styles and SVG, no scripts, nothing fetched)
with every created or changed pipeline's stage graph, changed stages marked: a CI artifact.

--out FILE also saves the plan: every document sync would write and the version of every
store object and source file it was made from. pipegen sync --plan FILE applies exactly
that plan, and refuses when the source or the store changed since (docs/plan-file.md).`,
		Example: `  pipegen diff
  pipegen diff --exit-code --service my-microservice
  pipegen diff -o markdown > plan.md     # for a pull-request comment
  pipegen diff -o markdown --full-plan-url "$CI_JOB_URL"   # named when the comment is shortened
  pipegen diff -o json | jq .summary
  pipegen diff -o html > plan.html         # one self-contained page with stage graphs
  pipegen diff --out plan.json             # review it, then: pipegen sync --plan plan.json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			gctune.ForStreaming()
			if opts.Concurrency < 1 {
				return cmdutil.UsageErrorf("--concurrency must be at least 1")
			}
			dopt := action.DiffOptions{Prune: opts.Prune, Concurrency: opts.Concurrency}
			p, err := opts.Flags.MakePlan(cmd.Context(), f, dopt, opts.Out != "")
			if err != nil {
				return err
			}
			defer p.Result.Close()
			if opts.Out != "" {
				dopt.Filter = opts.Flags.Filter()
				out, err := f.Path(opts.Out)
				if err != nil {
					return err
				}
				saved, err := action.SavePlan(p.Result, p.Store, *p.Source, dopt, f.Version)
				if err != nil {
					return err
				}
				if err := planfile.WriteFile(out, saved); err != nil {
					return err
				}
			}
			if err := opts.Flags.PrintPlan(f, f.IOStreams.Out, p.Plan); err != nil {
				return err
			}
			opts.Flags.PrintStats(f, p)
			cmdutil.NoteLockHeld(cmd.Context(), f.IOStreams, p.Store)
			cmdutil.NoteEmptyStore(cmd.Context(), f.IOStreams, p)
			if opts.ExitCode && p.Plan.HasChanges() {
				return &cmdutil.ExitError{Code: cmdutil.ExitChanges}
			}
			return nil
		},
	}
	opts.Flags.AddRepoFlags(cmd, f)
	opts.Flags.AddStoreFlags(cmd)
	opts.Flags.AddOutputFlag(cmd, cmdutil.PlanFormats...)
	opts.Flags.AddFullPlanFlag(cmd)
	cmd.Flags().BoolVar(&opts.ExitCode, "exit-code", false, "exit 2 when there are changes, 0 when there are none")
	cmd.Flags().BoolVar(&opts.Prune, "prune", false, "show the deletions sync --prune would make")
	cmd.Flags().IntVar(&opts.Concurrency, "concurrency", action.DefaultConcurrency, "store requests in flight at once")
	cmd.Flags().StringVar(&opts.Out, "out", "", "also save the plan to FILE, for pipegen sync --plan FILE")
	_ = cmd.MarkFlagFilename("out", "json")
	return cmd
}
