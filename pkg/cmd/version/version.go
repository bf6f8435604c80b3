// Package version is `pipegen version`.
package version

import (
	"fmt"
	"runtime/debug"

	"github.com/pipegen/pipegen/pkg/cmdutil"
	"github.com/spf13/cobra"
)

// NewCmd builds the command.
func NewCmd(f *cmdutil.Factory) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print pipegen's version and commit",
		Long: `Print the version and the commit pipegen was built from: set by "make build", or read
from the module build info for "go install github.com/pipegen/pipegen/cmd/pipegen@VERSION".`,
		Example: "  pipegen version",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			v, c := Info(f.Version, f.Commit)
			fmt.Fprintf(f.IOStreams.Out, "pipegen %s (commit %s)\n", v, c)
			return nil
		},
	}
}

// Info fills in what the linker did not set from the module build info, so
// `go install …@v1.2.3` still reports v1.2.3.
func Info(version, commit string) (string, string) {
	if bi, ok := debug.ReadBuildInfo(); ok {
		if version == "" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			version = bi.Main.Version
		}
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && commit == "" {
				commit = s.Value
			}
		}
	}
	if version == "" {
		version = "dev"
	}
	if commit == "" {
		commit = "unknown"
	}
	return version, commit
}
