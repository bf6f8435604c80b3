// Command pipegen generates and manages Spinnaker pipelines as code.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"runtime/pprof"
	"syscall"

	"github.com/pipegen/pipegen/internal/heapprof"
	"github.com/pipegen/pipegen/pkg/cmd/root"
	"github.com/pipegen/pipegen/pkg/cmdutil"
)

// Set by the linker: -ldflags "-X main.version=… -X main.commit=…".
var (
	version string
	commit  string
)

func main() {
	os.Exit(run())
}

func run() int {
	// The first SIGINT/SIGTERM cancels the context: sync stops starting writes, lets the ones
	// in flight finish and reports. A second signal kills the process the usual way.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		stop()
	}()

	f := cmdutil.New(version, commit)
	// PIPEGEN_HEAPPROFILE=FILE: a heap profile near the peak of live heap (docs/PERFORMANCE.md).
	// A profile that cannot be written is reported but does not change the command's result.
	prof, err := heapprof.FromEnv()
	if err != nil {
		fmt.Fprintf(f.IOStreams.ErrOut, "warning: %v\n", err)
	}
	defer func() {
		if err := prof.Stop(); err != nil {
			fmt.Fprintf(f.IOStreams.ErrOut, "warning: %s: %v\n", heapprof.EnvVar, err)
		}
	}()
	// PIPEGEN_CPUPROFILE=FILE: a CPU profile of the whole command, for docs/PERFORMANCE.md.
	if path := os.Getenv("PIPEGEN_CPUPROFILE"); path != "" {
		if stopCPU, err := startCPUProfile(path); err != nil {
			fmt.Fprintf(f.IOStreams.ErrOut, "warning: PIPEGEN_CPUPROFILE: %v\n", err)
		} else {
			defer func() {
				if err := stopCPU(); err != nil {
					fmt.Fprintf(f.IOStreams.ErrOut, "warning: PIPEGEN_CPUPROFILE: %v\n", err)
				}
			}()
		}
	}
	cmd := root.NewCmd(f)
	err = cmd.ExecuteContext(ctx)
	if err != nil {
		var ee *cmdutil.ExitError
		if !errors.As(err, &ee) || ee.Err != nil {
			fmt.Fprintf(f.IOStreams.ErrOut, "error: %v\n", err)
		}
		var ue *cmdutil.UsageError
		if errors.As(err, &ue) {
			fmt.Fprintf(f.IOStreams.ErrOut, "Run '%s --help' for usage.\n", cmd.CommandPath())
		}
	}
	return cmdutil.ExitCode(err)
}

func startCPUProfile(path string) (stop func() error, err error) {
	out, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(out); err != nil {
		out.Close()
		return nil, err
	}
	return func() error {
		pprof.StopCPUProfile()
		return out.Close()
	}, nil
}
