package cmdutil

import (
	"fmt"
	"slices"
	"sort"
	"strings"

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
	// Grouped by the file each names (the order within a file is kept), so a file's problems
	// read together.
	probs := slices.Clone(b.Problems)
	sort.SliceStable(probs, func(i, j int) bool { return problemFile(probs[i]) < problemFile(probs[j]) })
	for _, p := range probs {
		fmt.Fprintf(ios.ErrOut, "%s %s\n", cs.Red("error:"), p)
	}
	noun := "problems"
	if len(b.Problems) == 1 {
		noun = "problem"
	}
	fmt.Fprintf(ios.ErrOut, "%d %s found; nothing was written\n", len(b.Problems), noun)
	return ErrSilent
}

// problemFile is the file a problem names: every input problem starts with "file:".
func problemFile(err error) string {
	msg := err.Error()
	if i := strings.IndexByte(msg, ':'); i > 0 {
		return msg[:i]
	}
	return msg
}
