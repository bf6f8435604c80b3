// Package serve is `pipegen serve`: the services repo as a local web view.
package serve

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/pipegen/pipegen/pkg/cmdutil"
	"github.com/pipegen/pipegen/pkg/web"
	"github.com/spf13/cobra"
)

// Options are the command's inputs.
type Options struct {
	Flags       cmdutil.Flags
	Addr        string
	AllowWrites bool
}

// NewCmd builds the command.
func NewCmd(f *cmdutil.Factory) *cobra.Command {
	opts := &Options{}
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Browse the services, their pipelines and the plan in a local web view",
		Long: `Serve the services repo as web pages: every service with its stacks and the status of
each pipeline against the store; each service's rendered pipelines with their stage graphs and
the variables each got (and from where); the plan as diff -o html shows it; and a form that
adds a service file. Every page renders the repo afresh, so the pages follow your edits.

Nothing here writes the store: sync stays in the terminal and in CI. The form writes only a
new service file, checked first as validate checks it, never over an existing one.

It binds to loopback. On any other address it serves read-only (no form) unless
--allow-writes is given. The form carries a token and posts are refused from other origins,
so another web page cannot make your browser write into your repo.`,
		Example: `  pipegen serve                       # http://127.0.0.1:8080
  pipegen serve -C ~/src/services --addr 127.0.0.1:9000`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return run(cmd.Context(), f, opts)
		},
	}
	opts.Flags.AddBaseFlags(cmd)
	opts.Flags.AddStoreFlags(cmd)
	cmd.Flags().StringVar(&opts.Addr, "addr", "127.0.0.1:8080", "address to listen on")
	cmd.Flags().BoolVar(&opts.AllowWrites, "allow-writes", false, "keep the new-service form on a non-loopback --addr")
	return cmd
}

func run(ctx context.Context, f *cmdutil.Factory, opts *Options) error {
	host, _, err := net.SplitHostPort(opts.Addr)
	if err != nil {
		return cmdutil.UsageErrorf("--addr %q: %v", opts.Addr, err)
	}
	p, err := opts.Flags.Open(ctx, f)
	if err != nil {
		return err
	}
	readOnly := !web.IsLoopback(host) && !opts.AllowWrites
	ln, err := net.Listen("tcp", opts.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", opts.Addr, err)
	}
	srv, err := web.New(web.Options{Config: p.Config, Store: p.Store, ReadOnly: readOnly, Addr: ln.Addr().String()})
	if err != nil {
		ln.Close()
		return err
	}
	hs := &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 10 * time.Second}
	mode := ""
	if readOnly {
		mode = " (read-only: not loopback; --allow-writes adds the form)"
	}
	fmt.Fprintf(f.IOStreams.ErrOut, "serving %s on http://%s%s; Ctrl-C stops\n", p.Config.Root, ln.Addr(), mode)
	done := make(chan error, 1)
	go func() { done <- hs.Serve(ln) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil {
		return err
	}
	if err := <-done; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
