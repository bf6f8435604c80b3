// Package forceunlock is `pipegen force-unlock LOCK_ID`: release a sync lock left by a sync
// that was killed.
package forceunlock

import (
	"fmt"
	"time"

	"github.com/pipegen/pipegen/pkg/action"
	"github.com/pipegen/pipegen/pkg/cmdutil"
	"github.com/spf13/cobra"
)

// Options are the command's inputs.
type Options struct {
	Flags  cmdutil.Flags
	LockID string
}

// NewCmd builds the command.
func NewCmd(f *cmdutil.Factory) *cobra.Command {
	opts := &Options{}
	cmd := &cobra.Command{
		Use:   "force-unlock LOCK_ID",
		Short: "Release a sync lock left by a sync that was killed",
		Long: `Every sync holds a lock on the store for its whole read-plan-write, so that two syncs
never interleave their writes. A sync that is killed (SIGKILL, a lost CI runner) leaves its
lock behind, and every later sync exits 1 naming it. When you are sure that sync is no
longer running, release the lock with the id the error printed.

Only the lock with that id is released: if another sync holds the lock now, nothing is.`,
		Example: `  pipegen force-unlock 6f1c0d9e-3b7a-4b8e-9c1d-2a4f5e6b7c8d
  pipegen force-unlock --store s3://front50-bucket/front50 6f1c0d9e-3b7a-4b8e-9c1d-2a4f5e6b7c8d`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.LockID = args[0]
			p, err := opts.Flags.Open(cmd.Context(), f)
			if err != nil {
				return err
			}
			store := p.Store
			info, err := action.ForceUnlock(cmd.Context(), store, opts.LockID)
			if err != nil {
				return err
			}
			fmt.Fprintf(f.IOStreams.Out, "Released lock %s on %s (held by %s on %s since %s, running %q).\n",
				info.ID, store.Location(), info.Who, info.Host, info.Created.UTC().Format(time.RFC3339), info.Command)
			return nil
		},
	}
	opts.Flags.AddBaseFlags(cmd)
	opts.Flags.AddStoreFlags(cmd)
	return cmd
}
