package cmdutil

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/pipegen/pipegen/pkg/action"
	"github.com/pipegen/pipegen/pkg/front50"
	"github.com/pipegen/pipegen/pkg/iostreams"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// TakeLock takes the store's sync lock for cmd, waiting up to timeout. A lock held by someone
// else is printed with its holder and the way out, and returned as ErrSilent. The release
// function prints why a release failed and returns that error.
func TakeLock(ctx context.Context, fac *Factory, cmd *cobra.Command, store front50.Store, timeout time.Duration) (func() error, error) {
	ios := fac.IOStreams
	cs := ios.ErrColorScheme()
	lk, err := action.AcquireLock(ctx, store, action.LockOptions{
		Timeout: timeout,
		Command: CommandLine(cmd),
		Version: fac.Version,
		Waiting: func(held *front50.HeldError) {
			fmt.Fprintf(ios.ErrOut, "waiting up to %s for the lock on %s: %s\n", timeout, store.Location(), held.Info.Describe())
		},
	})
	if err != nil {
		var held *front50.HeldError
		if errors.As(err, &held) {
			fmt.Fprintf(ios.ErrOut, "%s %v\n", cs.Red("error:"), err)
			if held.Unreadable == nil {
				fmt.Fprintf(ios.ErrOut, "Nothing was written. Wait for that sync to end (sync --lock-timeout 10m waits for it),\n"+
					"or, if it was killed and no sync is running: pipegen force-unlock %s\n", held.Info.ID)
			}
			return nil, ErrSilent
		}
		return nil, err
	}
	return func() error {
		// The lock is released even after an interrupt: the writes have ended by now.
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		if err := lk.Release(rctx); err != nil {
			fmt.Fprintf(ios.ErrOut, "%s %v\n", cs.Red("error:"), err)
			return err
		}
		return nil
	}, nil
}

// NoteLockHeld tells a command that reads without the lock (diff, sync --dry-run) that a
// sync holds it, so the store may be changing under the read.
func NoteLockHeld(ctx context.Context, ios *iostreams.IOStreams, store front50.Store) {
	held, err := action.LockHeld(ctx, store)
	if err != nil {
		fmt.Fprintf(ios.ErrOut, "%s could not read the sync lock: %v\n", ios.ErrColorScheme().Yellow("warning:"), err)
		return
	}
	if held == nil {
		return
	}
	fmt.Fprintf(ios.ErrOut, "%s a sync is running on %s (%s): the store may change while this reads it\n",
		ios.ErrColorScheme().Yellow("note:"), store.Location(), held.Info.Describe())
}

// CommandLine is the command with the flags given, for the lock object.
func CommandLine(cmd *cobra.Command) string {
	parts := []string{cmd.CommandPath()}
	cmd.Flags().Visit(func(fl *pflag.Flag) {
		v := fl.Value.String()
		if sv, ok := fl.Value.(pflag.SliceValue); ok {
			for _, e := range sv.GetSlice() {
				parts = append(parts, "--"+fl.Name+"="+e)
			}
			return
		}
		if fl.Value.Type() == "bool" && v == "true" {
			parts = append(parts, "--"+fl.Name)
			return
		}
		parts = append(parts, "--"+fl.Name+"="+v)
	})
	return strings.Join(parts, " ")
}

// NoteEmptyStore tells diff that the store holds no Front50 data at all (a new store, or a
// mistyped location), which sync would refuse without --allow-empty-store.
func NoteEmptyStore(ctx context.Context, ios *iostreams.IOStreams, p *Planned) {
	if p.Config.IsDefaultStore() || len(p.State.Pipelines) > 0 {
		return
	}
	has, err := action.StoreHasData(ctx, p.Store)
	if err != nil {
		fmt.Fprintf(ios.ErrOut, "%s could not tell whether %s holds Front50 data: %v\n",
			ios.ErrColorScheme().Yellow("warning:"), p.Store.Location(), err)
		return
	}
	if has {
		return
	}
	fmt.Fprintf(ios.ErrOut, "%s %s is empty: it holds no Front50 data (a new store, or a mistyped location?); sync writes into it only with --allow-empty-store\n",
		ios.ErrColorScheme().Yellow("note:"), p.Store.Location())
}
