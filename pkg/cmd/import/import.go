// Package importcmd is `pipegen import`: bring an application's UI-made pipelines under
// management, as templates that reproduce them exactly.
package importcmd

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/pipegen/pipegen/pkg/action"
	"github.com/pipegen/pipegen/pkg/cmdutil"
	"github.com/pipegen/pipegen/pkg/front50"
	"github.com/spf13/cobra"
)

// Options are the command's inputs.
type Options struct {
	Flags       cmdutil.Flags
	Application string
	Stack       string
	DryRun      bool
	Concurrency int
}

// NewCmd builds the command.
func NewCmd(f *cmdutil.Factory) *cobra.Command {
	opts := &Options{}
	cmd := &cobra.Command{
		Use:   "import --service APP",
		Short: "Turn an application's existing pipelines into a service file and templates",
		Long: `Read the pipelines of application APP from the store and write services/APP.yaml and
one template per pipeline, templates/imported/APP/KEY.json, that render them exactly.
A template is the stored JSON without the fields pipegen sets itself (id, application,
updateTs, lastModifiedBy, createTs, lastModified, index); KEY is a slug of the pipeline's
name. Every pipeline goes into one stack (--stack, default "main").

Then each imported pipeline is marked as managed in the store: it is written back,
conditional on the version that was read, with only what pipegen needs added (its
ownership marker, the lock block when lock is on, and ids for triggers and expected
artifacts that have none; -v lists them), keeping its id, updateTs and lastModifiedBy.
last-modified.json is bumped once. A following "pipegen diff" shows no changes.

Pipelines pipegen already manages are skipped with a note. Existing files are never
overwritten. --dry-run prints what would happen and writes nothing.`,
		Example: `  pipegen import --service my-microservice --dry-run
  pipegen import --service my-microservice
  pipegen import --service my-microservice --stack prod --store s3://front50-bucket/front50
  pipegen diff --service my-microservice --exit-code   # 0: the import is exact`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return run(cmd.Context(), f, opts)
		},
	}
	opts.Flags.AddBaseFlags(cmd)
	opts.Flags.AddStoreFlags(cmd)
	fl := cmd.Flags()
	fl.StringVar(&opts.Application, "service", "", "the Spinnaker application to import; it becomes the service name (required)")
	fl.StringVar(&opts.Stack, "stack", action.DefaultImportStack, "the stack to put the imported pipelines in")
	fl.BoolVar(&opts.DryRun, "dry-run", false, "print what would be written and write nothing")
	fl.IntVar(&opts.Concurrency, "concurrency", action.DefaultConcurrency, "store requests in flight at once")
	_ = cmd.MarkFlagRequired("service")
	_ = cmd.RegisterFlagCompletionFunc("service", completeApplications(f, opts))
	_ = cmd.RegisterFlagCompletionFunc("stack", cobra.NoFileCompletions)
	return cmd
}

func run(ctx context.Context, f *cmdutil.Factory, opts *Options) error {
	if opts.Concurrency < 1 {
		return cmdutil.UsageErrorf("--concurrency must be at least 1")
	}
	p, err := opts.Flags.Open(ctx, f)
	if err != nil {
		return err
	}
	res, err := action.Import(ctx, p.Config, p.Store, action.ImportOptions{
		Application: opts.Application, Stack: opts.Stack, DryRun: opts.DryRun, Concurrency: opts.Concurrency,
	})
	if err != nil {
		return err
	}
	printResult(f, opts, res)
	opts.Flags.PrintStats(f, p)
	if err := res.Err(); err != nil {
		fmt.Fprintf(f.IOStreams.ErrOut, "%s %v\n", f.IOStreams.ErrColorScheme().Red("error:"), err)
		return cmdutil.ErrSilent
	}
	return nil
}

func printResult(f *cmdutil.Factory, opts *Options, res *action.ImportResult) {
	ios := f.IOStreams
	out, errOut := ios.Out, ios.ErrOut
	cs := ios.ColorScheme()
	quiet := opts.Flags.Quiet
	would := func(done, planned string) string {
		if opts.DryRun {
			return planned
		}
		return done
	}
	if !quiet {
		for _, p := range res.Pipelines {
			for _, w := range p.Warnings {
				fmt.Fprintf(errOut, "%s %s: %s\n", ios.ErrColorScheme().Yellow("warning:"), p.Template, w)
			}
		}
	}
	if len(res.Pipelines) == 0 {
		fmt.Fprintf(out, "Nothing to import from application %s in %s.\n", res.Application, res.Store)
		printSkipped(f, res)
		return
	}
	fmt.Fprintf(out, "%s %d pipeline(s) of %s from %s into stack %q:\n",
		would("Imported", "Would import"), len(res.Pipelines), res.Application, res.Store, res.Stack)
	fmt.Fprintf(out, "  %s %s\n", cs.Green("+"), res.Files[0].Display)
	for _, p := range res.Pipelines {
		status := ""
		if p.Err != nil {
			status = "  " + cs.Red("(not marked as managed)")
		}
		fmt.Fprintf(out, "  %s %s  %s (%s)%s\n", cs.Green("+"), p.Template, p.Name, p.ID, status)
		if opts.Flags.Verbose {
			for _, c := range p.Changes {
				fmt.Fprintf(out, "      %s %s\n", c.Kind, c.Path)
			}
		}
	}
	marked, extra, locked := 0, 0, false
	for _, p := range res.Pipelines {
		if p.Err == nil {
			marked++
		}
		other := false
		for _, c := range p.Changes {
			switch c.Path {
			case "pipegen":
			case "locked":
				locked = true
			default:
				other = true
			}
		}
		if other {
			extra++
		}
	}
	added := "the ownership marker"
	if locked {
		added += " and the lock"
	}
	if extra > 0 {
		added += fmt.Sprintf(" (and, for %d, ids for triggers or artifacts that had none; -v lists them)", extra)
	}
	fmt.Fprintf(out, "%s %d pipeline(s) as managed by pipegen in the store, keeping their ids: added %s.\n",
		would("Marked", "Would mark"), marked, added)
	printSkipped(f, res)
	for _, p := range res.Pipelines {
		if p.Err != nil {
			fmt.Fprintf(errOut, "%s %s/%s: %v\n", cs.Red("failed:"), res.Application, p.Name, p.Err)
		}
	}
	for _, m := range res.Mismatches {
		fmt.Fprintf(errOut, "%s %s\n", cs.Red("mismatch:"), m)
	}
	if res.BumpErr != nil {
		fmt.Fprintf(errOut, "%s last-modified.json not updated: %v (Front50 still sees the change within its refresh interval, about a minute)\n", cs.Red("error:"), res.BumpErr)
	}
	if opts.DryRun {
		fmt.Fprintln(out, "Nothing was written (--dry-run).")
	} else if !quiet && res.Err() == nil {
		next := "pipegen diff --service " + res.Application
		for _, fl := range []struct{ name, val string }{{"-C", opts.Flags.Dir}, {"--config", opts.Flags.ConfigFile}, {"--store", opts.Flags.Store}, {"--endpoint", opts.Flags.Endpoint}, {"--region", opts.Flags.Region}} {
			if fl.val != "" {
				next += " " + fl.name + " " + fl.val
			}
		}
		// Skipped pipelines (a duplicate name, say) still stand in the store and may show in
		// that diff; only the imported ones are sure to be clean.
		comment := "shows no changes; commit the new files"
		if len(res.Skipped) > 0 {
			comment = "the imported pipelines show no changes; the skipped ones above may; commit the new files"
		}
		fmt.Fprintf(out, "Next: %s   # %s\n", next, comment)
	}
}

func printSkipped(f *cmdutil.Factory, res *action.ImportResult) {
	if len(res.Skipped) == 0 {
		return
	}
	fmt.Fprintf(f.IOStreams.Out, "Skipped %d pipeline(s):\n", len(res.Skipped))
	for _, s := range res.Skipped {
		fmt.Fprintf(f.IOStreams.Out, "  - %s (%s): %s\n", s.Name, s.ID, s.Reason)
	}
}

// completeApplications offers the applications that have pipelines in the configured store.
func completeApplications(f *cmdutil.Factory, opts *Options) func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	return func(cmd *cobra.Command, _ []string, prefix string) ([]string, cobra.ShellCompDirective) {
		cfg, err := opts.Flags.Config(f)
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		ctx := cmd.Context()
		if ctx == nil {
			ctx = context.Background()
		}
		ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		store, err := f.OpenStore(ctx, cfg)
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		state, err := front50.Load(ctx, store, action.DefaultConcurrency)
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		seen := map[string]bool{}
		var apps []string
		for _, p := range state.Pipelines {
			a, _ := p.Doc["application"].(string)
			if a != "" && !seen[a] && strings.HasPrefix(a, prefix) {
				seen[a] = true
				apps = append(apps, a)
			}
		}
		sort.Strings(apps)
		return apps, cobra.ShellCompDirectiveNoFileComp
	}
}
