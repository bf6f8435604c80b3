// Package render is `pipegen render`: print the final documents, offline.
package render

import (
	"github.com/pipegen/pipegen/pkg/action"
	"github.com/pipegen/pipegen/pkg/cmdutil"
	"github.com/pipegen/pipegen/pkg/output"
	"github.com/spf13/cobra"
)

// Options are the command's inputs.
type Options struct {
	Flags cmdutil.Flags
}

// NewCmd builds the command.
func NewCmd(f *cmdutil.Factory) *cobra.Command {
	opts := &Options{}
	cmd := &cobra.Command{
		Use:   "render",
		Short: "Print the pipelines exactly as sync would store them, offline",
		Long: `Render every pipeline of the services repo through its template and print the
documents sync would store (without the per-run updateTs and lastModifiedBy), sorted by
application, then name. Nothing is read from or written to the store.`,
		Example: `  pipegen render
  pipegen render --service my-microservice --stack prod -o yaml
  pipegen render -C ../services-repo -o json | jq '.[].name'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return run(cmd, f, opts)
		},
	}
	opts.Flags.AddRepoFlags(cmd, f)
	// Shared with diff and sync (SPEC), so one set of flags works for every command; offline
	// commands check the store settings but never contact the store.
	opts.Flags.AddStoreFlags(cmd)
	opts.Flags.AddOutputFlag(cmd, "json", "yaml")
	return cmd
}

func run(cmd *cobra.Command, f *cmdutil.Factory, opts *Options) error {
	if err := opts.Flags.CheckOutput("json", "yaml"); err != nil {
		return err
	}
	cfg, err := opts.Flags.Config(f)
	if err != nil {
		return err
	}
	b, err := action.Render(cmd.Context(), cfg, action.BuildOptions{Filter: opts.Flags.Filter(), NoCache: opts.Flags.NoCache, Stream: true})
	if err != nil {
		return err
	}
	defer b.Close()
	if err := cmdutil.ReportBuild(f.IOStreams, b); err != nil {
		return err
	}
	// One document at a time: ten thousand are never in memory together.
	in := b.InScope()
	docs := output.Documents{N: len(in), At: func(i int) (map[string]any, error) { return in[i].Document() }}
	if opts.Flags.Output == "yaml" {
		return output.StreamYAML(f.IOStreams.Out, docs)
	}
	return output.StreamJSON(f.IOStreams.Out, docs)
}
