// Package importcmd is `pipegen import`: write the service file and templates that reproduce
// an application's UI-made pipelines, for the next sync to take over.
package importcmd

import (
	"context"
	"sort"
	"strings"
	"time"

	"github.com/pipegen/pipegen/pkg/action"
	"github.com/pipegen/pipegen/pkg/cmdutil"
	"github.com/pipegen/pipegen/pkg/front50"
	"github.com/pipegen/pipegen/pkg/output"
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
	if err := printPlan(f, opts, ip); err != nil {
		return err
	}
	opts.Flags.PrintStats(f, p)
	return nil
}

func printPlan(f *cmdutil.Factory, opts *Options, ip *action.ImportPlan) error {
	next := "pipegen diff --service " + ip.Application
	for _, fl := range []struct{ name, val string }{{"-C", opts.Flags.Dir}, {"--config", opts.Flags.ConfigFile}, {"--store", opts.Flags.Store}, {"--endpoint", opts.Flags.Endpoint}, {"--region", opts.Flags.Region}} {
		if fl.val != "" {
			next += " " + fl.name + " " + fl.val
		}
	}
	return output.ImportSummary(f.IOStreams.Out, ip, f.IOStreams.ColorScheme(), output.ImportOptions{
		DryRun: opts.DryRun, Verbose: opts.Flags.Verbose, Quiet: opts.Flags.Quiet, Next: next})
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
