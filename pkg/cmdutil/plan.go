package cmdutil

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/pipegen/pipegen/pkg/action"
	"github.com/pipegen/pipegen/pkg/config"
	"github.com/pipegen/pipegen/pkg/front50"
	"github.com/pipegen/pipegen/pkg/output"
	"github.com/pipegen/pipegen/pkg/plan"
	"github.com/pipegen/pipegen/pkg/planfile"
)

// PlanFormats are the -o values of diff and sync.
var PlanFormats = []string{"text", "json", "markdown", "html"}

// Planned is a computed plan with the store it was made against.
type Planned struct {
	*action.Result
	Config *config.Config
	Store  front50.Store
	Stats  *front50.Stats
	// Source is the digest of the inputs, taken before rendering (nil unless asked for).
	Source *planfile.Source
}

// MakePlan resolves config, opens the store and computes the plan. Build problems are printed
// and returned as ErrSilent. digest takes the source digest a saved plan needs.
func (f *Flags) MakePlan(ctx context.Context, fac *Factory, opt action.DiffOptions, digest bool) (*Planned, error) {
	if err := f.CheckOutput(f.formats...); err != nil {
		return nil, err
	}
	p, err := f.Open(ctx, fac)
	if err != nil {
		return nil, err
	}
	return f.PlanOn(ctx, fac, p, opt, digest)
}

// PlanOn computes the plan against the store Open opened, for commands that do something
// with the store before planning (sync takes its lock).
func (f *Flags) PlanOn(ctx context.Context, fac *Factory, p *Planned, opt action.DiffOptions, digest bool) (*Planned, error) {
	cfg, counted := p.Config, p.Store
	opt.Filter = f.Filter()
	opt.NoCache = f.NoCache
	var src *planfile.Source
	if digest {
		d, err := action.SourceDigest(cfg)
		if err != nil {
			return nil, err
		}
		src = &d
	}
	res, err := action.Diff(ctx, cfg, counted, opt)
	if err != nil {
		return nil, err
	}
	ios := fac.IOStreams
	if !ios.IsQuiet() {
		if err := res.SummariesErr; err != nil && !errors.Is(err, front50.ErrNotFound) {
			fmt.Fprintf(ios.ErrOut, "%s the shared pipeline summaries could not be read, so this run read every pipeline: %v\n",
				ios.ErrColorScheme().Yellow("warning:"), err)
		}
		for _, b := range res.State.Broken {
			fmt.Fprintf(ios.ErrOut, "%s %s: pipeline %s is not a valid pipeline object (%v); Front50 cannot refresh while it is there\n",
				ios.ErrColorScheme().Yellow("warning:"), counted.Location(), b.ID, b.Err)
		}
	}
	if err := ReportBuild(ios, res.Build); err != nil {
		return nil, err
	}
	p.Result, p.Source = res, src
	return p, nil
}

// Open resolves the configuration and opens the store, counting its requests for -v.
func (f *Flags) Open(ctx context.Context, fac *Factory) (*Planned, error) {
	cfg, err := f.Config(fac)
	if err != nil {
		return nil, err
	}
	store, err := fac.OpenStore(ctx, cfg)
	if err != nil {
		return nil, err
	}
	counted, stats := front50.Counted(store)
	return &Planned{Config: cfg, Store: counted, Stats: stats}, nil
}

// PrintPlan writes the plan in the chosen format.
func (f *Flags) PrintPlan(fac *Factory, w io.Writer, p *plan.Plan) error {
	switch f.Output {
	case "json":
		return output.PlanJSON(w, p)
	case "markdown":
		return output.PlanMarkdown(w, p, output.MarkdownOptions{FullPlan: f.FullPlan})
	case "html":
		return output.PlanHTML(w, p)
	}
	return output.PlanText(w, p, fac.IOStreams.ColorScheme(), f.Verbose)
}

// PrintStats prints store request counts with -v.
func (f *Flags) PrintStats(fac *Factory, p *Planned) {
	if !f.Verbose || p.Stats == nil {
		return
	}
	s := p.Stats // read after every call has returned
	fmt.Fprintf(fac.IOStreams.ErrOut, "store requests: %d list, %d get, %d put, %d delete; applications: %d list, %d get, %d put (%s)\n",
		s.List, s.Get, s.Put, s.Delete, s.AppList, s.AppGet, s.AppPut, p.Store.Location())
}
