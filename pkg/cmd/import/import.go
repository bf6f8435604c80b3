// Package importcmd is `pipegen import`: write the service file and templates that reproduce
// an application's UI-made pipelines, for the next sync to take over.
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
	Stacks      []string
	DryRun      bool
	Concurrency int
}

// NewCmd builds the command.
func NewCmd(f *cmdutil.Factory) *cobra.Command {
	opts := &Options{}
	cmd := &cobra.Command{
		Use:   "import --service APP",
		Short: "Write a service file and templates that reproduce an application's pipelines",
		Long: `Read the pipelines of application APP from the store and write services/APP.yaml and
templates under templates/imported/APP/ that render them exactly. Only files are written;
the store is only read.

Templates are YAML in the order the UI shows a pipeline (name, refId, type and
requisiteStageRefIds first). Pipelines whose names differ only by a stack (deploy-dev,
deploy-prod) share one template, with {{ stack }} and variables set per stack for the
values that differ; other names go to the stack --stack (default "main"). --stacks names
the stacks the names carry when the guess is wrong. Links to other pipelines become
pipeline_id("name").

Each entry of the service file keeps the id of the pipeline it renders. Review and commit
the files: "pipegen diff" then shows each imported pipeline as "to adopt", with ownership
(marker and lock) as its only change, and the next "pipegen sync" takes them over,
keeping their ids.

Importing an application the repo already has adds only its pipelines pipegen does not
manage yet (new templates, entries added to the service file); nothing else is touched.
--dry-run prints what would be written and writes nothing.`,
		Example: `  pipegen import --service my-microservice --dry-run
  pipegen import --service my-microservice
  pipegen import --service my-microservice --stacks dev,prod --store s3://front50-bucket/front50
  pipegen diff --service my-microservice   # the imported pipelines, to adopt`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return run(cmd.Context(), f, opts)
		},
	}
	opts.Flags.AddBaseFlags(cmd)
	opts.Flags.AddStoreFlags(cmd)
	fl := cmd.Flags()
	fl.StringVar(&opts.Application, "service", "", "the Spinnaker application to import; it becomes the service name (required)")
	fl.StringVar(&opts.Stack, "stack", action.DefaultImportStack, "the stack of pipelines whose names name none")
	fl.StringSliceVar(&opts.Stacks, "stacks", nil, "the stack names pipeline names end or start with (default: found from the names)")
	fl.BoolVar(&opts.DryRun, "dry-run", false, "print what would be written and write nothing")
	fl.IntVar(&opts.Concurrency, "concurrency", action.DefaultConcurrency, "store requests in flight at once")
	_ = cmd.MarkFlagRequired("service")
	_ = cmd.RegisterFlagCompletionFunc("service", completeApplications(f, opts))
	_ = cmd.RegisterFlagCompletionFunc("stack", cobra.NoFileCompletions)
	_ = cmd.RegisterFlagCompletionFunc("stacks", cobra.NoFileCompletions)
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
	ip, err := action.PlanImport(ctx, p.Config, p.Store, action.ImportOptions{
		Application: opts.Application, Stack: opts.Stack, Stacks: opts.Stacks, Concurrency: opts.Concurrency,
	})
	if err != nil {
		return err
	}
	if !opts.DryRun && len(ip.Pipelines) > 0 {
		if err := action.ApplyImport(ip); err != nil {
			return err
		}
	}
	printPlan(f, opts, ip)
	opts.Flags.PrintStats(f, p)
	return nil
}

func printPlan(f *cmdutil.Factory, opts *Options, ip *action.ImportPlan) {
	out := f.IOStreams.Out
	cs := f.IOStreams.ColorScheme()
	if len(ip.Pipelines) == 0 {
		fmt.Fprintf(out, "Nothing to import from application %s in %s.\n", ip.Application, ip.Store)
		printSkipped(f, opts, ip)
		return
	}
	verb := "Wrote"
	if opts.DryRun {
		verb = "Would write"
	}
	fmt.Fprintf(out, "%s %d pipeline(s) of %s from %s as %d template(s):\n", verb, len(ip.Pipelines), ip.Application, ip.Store, ip.Templates)
	for _, file := range ip.Files {
		if file.Old != nil {
			fmt.Fprintf(out, "  %s %s  (entries added)\n", cs.Yellow("~"), file.Display)
			continue
		}
		fmt.Fprintf(out, "  %s %s\n", cs.Green("+"), file.Display)
	}
	for _, p := range ip.Pipelines {
		vars := ""
		if p.Vars > 0 {
			vars = fmt.Sprintf(", %d variable(s)", p.Vars)
		}
		fmt.Fprintf(out, "    %s  %s/%s from %s%s\n", p.Name, p.Stack, p.Key, p.Template, vars)
		if opts.Flags.Verbose {
			for _, c := range p.OwnershipChange {
				fmt.Fprintf(out, "        next sync: %s\n", c)
			}
		}
	}
	printSkipped(f, opts, ip)
	if opts.DryRun {
		fmt.Fprintln(out, "Nothing was written (--dry-run).")
		return
	}
	if !opts.Flags.Quiet {
		next := "pipegen diff --service " + ip.Application
		for _, fl := range []struct{ name, val string }{{"-C", opts.Flags.Dir}, {"--config", opts.Flags.ConfigFile}, {"--store", opts.Flags.Store}, {"--endpoint", opts.Flags.Endpoint}, {"--region", opts.Flags.Region}} {
			if fl.val != "" {
				next += " " + fl.name + " " + fl.val
			}
		}
		fmt.Fprintf(out, "The store was not changed. Next: review and commit the files; %s shows them as to adopt (ownership is the only change), and pipegen sync takes them over, keeping their ids.\n", next)
	}
}

func printSkipped(f *cmdutil.Factory, opts *Options, ip *action.ImportPlan) {
	managed := 0
	var other []action.SkippedPipeline
	for _, s := range ip.Skipped {
		if s.Managed {
			managed++
			continue
		}
		other = append(other, s)
	}
	if managed > 0 {
		fmt.Fprintf(f.IOStreams.Out, "Left alone: %d pipeline(s) pipegen manages already (or will, from the service file); -v lists them.\n", managed)
		if opts.Flags.Verbose {
			for _, s := range ip.Skipped {
				if s.Managed {
					fmt.Fprintf(f.IOStreams.Out, "  - %s (%s): %s\n", s.Name, s.ID, s.Reason)
				}
			}
		}
	}
	if len(other) == 0 {
		return
	}
	fmt.Fprintf(f.IOStreams.Out, "Skipped %d pipeline(s):\n", len(other))
	for _, s := range other {
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
