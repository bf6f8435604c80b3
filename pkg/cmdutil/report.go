package cmdutil

import (
	"fmt"

	"github.com/pipegen/pipegen/pkg/action"
	"github.com/pipegen/pipegen/pkg/iostreams"
)

// Filter turns the filter flags into an action filter.
func (f *Flags) Filter() action.Filter {
	return action.Filter{Services: f.Services, Stacks: f.Stacks, Pipelines: f.Pipelines}
}

// ReportBuild prints a build's warnings and problems to stderr and returns ErrSilent when
// there are problems (exit 1, nothing written).
func ReportBuild(ios *iostreams.IOStreams, b *action.Build) error {
	cs := ios.ErrColorScheme()
	if !ios.IsQuiet() {
		for _, w := range b.Warnings {
			fmt.Fprintf(ios.ErrOut, "%s %s\n", cs.Yellow("warning:"), w)
		}
	}
	if len(b.Problems) == 0 {
		return nil
	}
	for _, p := range b.Problems {
		fmt.Fprintf(ios.ErrOut, "%s %s\n", cs.Red("error:"), p)
	}
	noun := "problems"
	if len(b.Problems) == 1 {
		noun = "problem"
	}
	fmt.Fprintf(ios.ErrOut, "%d %s found; nothing was written\n", len(b.Problems), noun)
	return ErrSilent
}
