// Package cmdutil is what every command shares: the factory that builds IO, configuration and
// the store from flags, the common flags, and exit codes.
package cmdutil

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"github.com/pipegen/pipegen/pkg/config"
	"github.com/pipegen/pipegen/pkg/front50"
	"github.com/pipegen/pipegen/pkg/iostreams"
	"github.com/spf13/cobra"
)

// Factory builds what commands need; tests replace its parts.
type Factory struct {
	IOStreams *iostreams.IOStreams
	Getenv    func(string) string
	Getwd     func() (string, error)
	Version   string
	Commit    string
	// OpenStore opens the configured store; tests may wrap it (request counting, faults).
	OpenStore func(ctx context.Context, cfg *config.Config) (front50.Store, error)
}

// New returns the production factory.
func New(version, commit string) *Factory {
	return &Factory{
		IOStreams: iostreams.System(),
		Getenv:    os.Getenv,
		Getwd:     os.Getwd,
		Version:   version,
		Commit:    commit,
		OpenStore: OpenStore,
	}
}

// Env reads an environment variable through Getenv, or the process environment when the
// factory has none.
func (f *Factory) Env(key string) string {
	if f.Getenv == nil {
		return os.Getenv(key)
	}
	return f.Getenv(key)
}

// OpenStore opens the store named by the configuration.
func OpenStore(ctx context.Context, cfg *config.Config) (front50.Store, error) {
	s, err := front50.Open(ctx, front50.Config{
		URL: cfg.Store, BaseDir: cfg.Root, Endpoint: cfg.Endpoint, Region: cfg.Region,
		SSE: cfg.SSE, ACL: cfg.ACL,
	})
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", cfg.Store, err)
	}
	return s, nil
}

// Flags are the flags shared by render, validate, diff and sync.
type Flags struct {
	Dir, ConfigFile, Store, Endpoint, Region string
	Services, Stacks, Pipelines              []string
	Output                                   string
	NoColor, Verbose, Quiet                  bool
	NoCache                                  bool
	formats                                  []string // the -o values AddOutputFlag allowed
	FullPlan                                 string   // --full-plan-url, for -o markdown
}

// AddRepoFlags adds the flags that locate and filter the services repo.
func (f *Flags) AddRepoFlags(cmd *cobra.Command, fac *Factory) {
	f.AddBaseFlags(cmd)
	fl := cmd.Flags()
	fl.StringArrayVar(&f.Services, "service", nil, "only services matching this glob (repeatable)")
	fl.StringArrayVar(&f.Stacks, "stack", nil, "only stacks matching this glob (repeatable)")
	fl.StringArrayVar(&f.Pipelines, "pipeline", nil, "only pipelines whose key or name matches this glob (repeatable)")
	_ = cmd.RegisterFlagCompletionFunc("service", f.completeNames(fac, func(n names) []string { return n.services }))
	_ = cmd.RegisterFlagCompletionFunc("stack", f.completeNames(fac, func(n names) []string { return n.stacks }))
	_ = cmd.RegisterFlagCompletionFunc("pipeline", cobra.NoFileCompletions)
	fl.BoolVar(&f.NoCache, "no-cache", false, "ignore .pipegen/cache: decode every render afresh (diff and sync also read every object from the store)")
}

// AddBaseFlags adds the flags every repo command has, without the filters: -C, --config and
// the output switches.
func (f *Flags) AddBaseFlags(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVarP(&f.Dir, "dir", "C", "", "services repo root (default: the current directory)")
	fl.StringVar(&f.ConfigFile, "config", "", "config file (default: pipegen.yaml in the repo root)")
	f.AddOutputSwitches(cmd)
	_ = cmd.MarkFlagDirname("dir")
	_ = cmd.MarkFlagFilename("config", "yaml", "yml")
}

// AddOutputSwitches adds --no-color, -v and -q.
func (f *Flags) AddOutputSwitches(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.BoolVar(&f.NoColor, "no-color", false, "never colour the output (also: NO_COLOR=1)")
	fl.BoolVarP(&f.Verbose, "verbose", "v", false, "say more: unchanged pipelines, store request counts")
	fl.BoolVarP(&f.Quiet, "quiet", "q", false, "print only errors and the result")
	cmd.MarkFlagsMutuallyExclusive("verbose", "quiet")
}

// ApplyOutput applies --no-color, NO_COLOR, TERM=dumb and -q to the factory's streams. The
// environment is read through the factory so that tests (and embedders) control it.
func (f *Flags) ApplyOutput(fac *Factory) {
	if f.NoColor || fac.Env("NO_COLOR") != "" || fac.Env("TERM") == "dumb" {
		fac.IOStreams.SetColorEnabled(false)
	}
	fac.IOStreams.SetQuiet(f.Quiet)
}

// AddStoreFlags adds the flags that locate the store.
func (f *Flags) AddStoreFlags(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&f.Store, "store", "", "store URL: s3://BUCKET[/ROOT] or file://DIR (default: file://.pipegen/front50)")
	fl.StringVar(&f.Endpoint, "endpoint", "", "S3-compatible endpoint URL (path-style addressing)")
	fl.StringVar(&f.Region, "region", "", "S3 region")
	for _, name := range []string{"store", "endpoint", "region"} {
		_ = cmd.RegisterFlagCompletionFunc(name, cobra.NoFileCompletions)
	}
}

// AddOutputFlag adds -o with the allowed formats, the first being the default.
func (f *Flags) AddOutputFlag(cmd *cobra.Command, formats ...string) {
	f.formats = formats
	cmd.Flags().StringVarP(&f.Output, "output", "o", formats[0], fmt.Sprintf("output format: %v", formats))
	_ = cmd.RegisterFlagCompletionFunc("output", cobra.FixedCompletions(formats, cobra.ShellCompDirectiveNoFileComp))
}

// AddFullPlanFlag adds --full-plan-url: a Markdown plan too long for a pull-request comment
// leaves detail out and names this as the place to read all of it.
func (f *Flags) AddFullPlanFlag(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.FullPlan, "full-plan-url", "", "with -o markdown: where the whole plan can be read (a CI job or artifact URL), named when the comment has to leave detail out")
}

// CheckOutput rejects an unknown -o value.
func (f *Flags) CheckOutput(formats ...string) error {
	for _, o := range formats {
		if f.Output == o {
			return nil
		}
	}
	return UsageErrorf("unknown output format %q; use one of %v", f.Output, formats)
}

// Config resolves the configuration for these flags and applies output settings.
func (f *Flags) Config(fac *Factory) (*config.Config, error) {
	f.ApplyOutput(fac)
	cwd, err := fac.Getwd()
	if err != nil {
		return nil, err
	}
	return config.Load(config.Overrides{
		Dir: f.Dir, ConfigFile: f.ConfigFile, Store: f.Store, Endpoint: f.Endpoint, Region: f.Region,
	}, fac.Env, cwd)
}

// ExitError carries a process exit code.
type ExitError struct {
	Code int
	Err  error // nil: the command already printed what went wrong
}

func (e *ExitError) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("exit %d", e.Code)
	}
	return e.Err.Error()
}
func (e *ExitError) Unwrap() error { return e.Err }

// Exit codes (SPEC): 0 success / no changes, 1 error, 2 diff --exit-code found changes.
const (
	ExitOK      = 0
	ExitError1  = 1
	ExitChanges = 2
)

// ErrSilent means: exit 1, the reason has been printed already.
var ErrSilent = &ExitError{Code: ExitError1}

// UsageError is a mistake in the command line.
type UsageError struct{ Msg string }

func (e *UsageError) Error() string { return e.Msg }

// UsageErrorf makes a UsageError.
func UsageErrorf(format string, args ...any) error {
	return &UsageError{Msg: fmt.Sprintf(format, args...)}
}

// ExitCode maps an error from a command to the process exit code.
func ExitCode(err error) int {
	var ee *ExitError
	if errors.As(err, &ee) {
		return ee.Code
	}
	if err != nil {
		return ExitError1
	}
	return ExitOK
}

type names struct{ services, stacks []string }

// completeNames completes service and stack names from the services repo, for shell completion.
func (f *Flags) completeNames(fac *Factory, pick func(names) []string) func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	return func(cmd *cobra.Command, _ []string, _ string) ([]string, cobra.ShellCompDirective) {
		cfg, err := f.Config(fac)
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		n, err := loadNames(cmd.Context(), cfg)
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		return pick(n), cobra.ShellCompDirectiveNoFileComp
	}
}

func sortedSet(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Path resolves a file path given on the command line against the working directory.
func (f *Factory) Path(p string) (string, error) {
	if p == "" || filepath.IsAbs(p) {
		return p, nil
	}
	wd, err := f.Getwd()
	if err != nil {
		return "", err
	}
	return filepath.Join(wd, p), nil
}
