// Package initcmd is `pipegen init`: scaffold a services repo that validates and syncs as it is.
package initcmd

import (
	"fmt"
	"path/filepath"

	"github.com/pipegen/pipegen/pkg/action"
	"github.com/pipegen/pipegen/pkg/cmdutil"
	"github.com/spf13/cobra"
)

// Options are the command's inputs.
type Options struct {
	Service string
	Quiet   bool
}

// NewCmd builds the command.
func NewCmd(f *cmdutil.Factory) *cobra.Command {
	opts := &Options{}
	cmd := &cobra.Command{
		Use:   "init [DIR]",
		Short: "Create pipegen.yaml, one service and one template in a new services repo",
		Long: `Scaffold a services repo in DIR (default: the current directory; created if missing):
pipegen.yaml, services/NAME.yaml with a dev and a prod stack, templates/deploy.yml, and a
.gitignore for the embedded store if there is none. Existing files are never overwritten:
if pipegen.yaml, the service file or the template exists, nothing is written.

The result validates and syncs as it is, against the embedded store (.pipegen/front50).`,
		Example: `  pipegen init
  pipegen init services-repo --service payments
  cd services-repo && pipegen validate && pipegen sync --dry-run`,
		Args: cobra.MaximumNArgs(1),
		ValidArgsFunction: func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
			return nil, cobra.ShellCompDirectiveFilterDirs
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			cwd, err := f.Getwd()
			if err != nil {
				return err
			}
			dir, shown := cwd, "."
			if len(args) == 1 {
				shown = args[0]
				dir = args[0]
				if !filepath.IsAbs(dir) {
					dir = filepath.Join(cwd, dir)
				}
			}
			f.IOStreams.SetQuiet(opts.Quiet)
			res, err := action.Init(action.InitOptions{Dir: dir, Service: opts.Service})
			if err != nil {
				return err
			}
			if opts.Quiet {
				return nil
			}
			out := f.IOStreams.Out
			cs := f.IOStreams.ColorScheme()
			fmt.Fprintf(out, "Created in %s:\n", shown)
			for _, p := range res.Created {
				fmt.Fprintf(out, "  %s %s\n", cs.Green("+"), p)
			}
			for _, p := range res.Kept {
				fmt.Fprintf(out, "  = %s (exists, left as it was)\n", p)
			}
			fmt.Fprintln(out, "\nNext:")
			if shown != "." {
				fmt.Fprintf(out, "  cd %s\n", shown)
			}
			fmt.Fprintln(out, "  pipegen validate          # every problem, with file:line")
			fmt.Fprintln(out, "  pipegen sync --dry-run    # the plan against the embedded store")
			fmt.Fprintln(out, "  pipegen sync              # write it; then set `store:` in pipegen.yaml for the real bucket")
			return nil
		},
	}
	cmd.Flags().StringVar(&opts.Service, "service", action.DefaultInitService, "name of the example service (the Spinnaker application)")
	cmd.Flags().BoolVarP(&opts.Quiet, "quiet", "q", false, "print only errors")
	_ = cmd.RegisterFlagCompletionFunc("service", cobra.NoFileCompletions)
	return cmd
}
