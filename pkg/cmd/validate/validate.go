// Package validate is `pipegen validate`: every offline check, every problem at once.
package validate

import (
	"fmt"

	"github.com/pipegen/pipegen/pkg/action"
	"github.com/pipegen/pipegen/pkg/cmdutil"
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
		Use:   "validate",
		Short: "Check the services repo offline and list every problem with file:line",
		Long: `Load every service file, render every pipeline and run every check pipegen makes
before writing: schema of the service files, template errors and undefined variables,
the rendered YAML, pipeline names unique per application, stage graph, artifact references.
All problems are listed; the exit code is 1 if there is any.`,
		Example: `  pipegen validate
  pipegen validate --service 'payments-*'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := opts.Flags.Config(f)
			if err != nil {
				return err
			}
			b, err := action.Render(cmd.Context(), cfg, action.BuildOptions{Filter: opts.Flags.Filter(), NoCache: opts.Flags.NoCache, Stream: true, DropDocuments: true})
			if err != nil {
				return err
			}
			defer b.Close()
			if err := cmdutil.ReportBuild(f.IOStreams, b); err != nil {
				return err
			}
			if !f.IOStreams.IsQuiet() {
				n := len(b.InScope())
				noun := "pipelines"
				if n == 1 {
					noun = "pipeline"
				}
				fmt.Fprintf(f.IOStreams.Out, "%d %s valid\n", n, noun)
			}
			return nil
		},
	}
	opts.Flags.AddRepoFlags(cmd, f)
	// Shared with diff and sync (SPEC), so one set of flags works for every command; offline
	// commands check the store settings but never contact the store.
	opts.Flags.AddStoreFlags(cmd)
	return cmd
}
