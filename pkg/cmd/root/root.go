// Package root assembles the pipegen command tree.
package root

import (
	"github.com/pipegen/pipegen/pkg/cmd/diff"
	"github.com/pipegen/pipegen/pkg/cmd/render"
	"github.com/pipegen/pipegen/pkg/cmd/sync"
	"github.com/pipegen/pipegen/pkg/cmd/validate"
	"github.com/pipegen/pipegen/pkg/cmd/version"
	"github.com/pipegen/pipegen/pkg/cmdutil"
	"github.com/spf13/cobra"
)

// NewCmd builds the root command.
func NewCmd(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "pipegen",
		Short: "Spinnaker pipelines as code: render, diff and sync to Front50's store",
		Long: `pipegen renders a services directory (microservice → stacks → pipeline templates)
through pongo2 templates into Spinnaker pipelines with deterministic ids, shows how they
differ from what Front50 keeps in S3, and writes exactly the changes.`,
		Example: `  pipegen validate
  pipegen sync --dry-run
  pipegen diff --exit-code -o markdown
  pipegen sync`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	cmd.SetOut(f.IOStreams.Out)
	cmd.SetErr(f.IOStreams.ErrOut)
	cmd.SetIn(f.IOStreams.In)
	cmd.AddCommand(
		render.NewCmd(f),
		validate.NewCmd(f),
		diff.NewCmd(f),
		sync.NewCmd(f),
		version.NewCmd(f),
	)
	return cmd
}
