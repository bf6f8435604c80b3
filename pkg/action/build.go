// Package action holds what each command does (render, validate, diff, sync), independent of
// flags and terminals: pkg/cmd wires flags to these functions, tests call them directly.
package action

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strings"

	"github.com/pipegen/pipegen/internal/cache"
	"github.com/pipegen/pipegen/internal/parallel"
	"github.com/pipegen/pipegen/internal/spool"
	"github.com/pipegen/pipegen/pkg/config"
	"github.com/pipegen/pipegen/pkg/front50"
	"github.com/pipegen/pipegen/pkg/pipeline"
	"github.com/pipegen/pipegen/pkg/plan"
	"github.com/pipegen/pipegen/pkg/render"
	"github.com/pipegen/pipegen/pkg/services"
	"github.com/pipegen/pipegen/pkg/yamldoc"
)

// Filter narrows a command to some services, stacks and pipelines (shell globs; each list
// matches when any of its globs does; an empty list matches everything). A pipeline glob
// matches the entry key or the rendered pipeline name.
type Filter struct {
	Services, Stacks, Pipelines []string
}

func (f Filter) match(service, stack, key, name string) bool {
	return matchAny(f.Services, service) && matchAny(f.Stacks, stack) &&
		(matchAny(f.Pipelines, key) || (name != "" && matchAny(f.Pipelines, name)))
}

func matchAny(globs []string, s string) bool {
	if len(globs) == 0 {
		return true
	}
	for _, g := range globs {
		if ok, _ := path.Match(g, s); ok {
			return true
		}
	}
	return false
}

// Empty reports whether the filter matches everything.
func (f Filter) Empty() bool { return len(f.Services)+len(f.Stacks)+len(f.Pipelines) == 0 }

// Pipeline is one rendered and prepared pipeline.
type Pipeline struct {
	plan.Desired
	Service, Stack, Key string
	Template            string // the template file as messages name it, e.g. "templates/deploy.yml"
	InScope             bool
	Warnings            []string

	// pinned is the id the service file's entry sets (`id:`, written by import); "" for none.
	pinned                string
	pinnedLine, pinnedCol int

	text []byte // rendered YAML, for mapping problems to lines (nil when spooled: see Text)
	raw  any    // decoded value before Prepare (nil when spooled)
	// A streaming build (Diff, sync) holds neither: the decoded value waits in a spool file
	// (value), and the text is rendered again in the rare case a problem needs its lines.
	spooled bool
	sp      *spool.File
	value   spool.Ref
	hasRefs bool          // the text holds pipeline_id() placeholders
	retext  func() []byte // renders the text again
	// Providers are the cloud providers the document names (for a minimal application).
	Providers []string
	// doc holds Doc in the spool once a streaming Render has let go of it (Document).
	doc *spooledDoc
	// dropped: a Render with DropDocuments let go of Doc without keeping it.
	dropped bool
	// The template file, read again only to map a problem back to its line: most builds have
	// no problem, and reading it for every pipeline cost a file read and a split per pipeline.
	templatesDir, templateFile string
}

// Build is the result of rendering a services repo.
type Build struct {
	Pipelines  []*Pipeline         // every pipeline that rendered, sorted by application, name
	Services   []*services.Service // every service loaded, sorted by name (for their applications)
	Identities map[pipeline.Marker]bool
	Problems   []error // bad input, each naming its file and line
	Warnings   []string

	spool *spool.File // a streaming Render's documents (BuildOptions.Stream); Close removes it
}

// Close lets go of what a streaming Render keeps on disk.
func (b *Build) Close() error {
	if b == nil {
		return nil
	}
	return b.spool.Close()
}

// Document is the pipeline's stored document: Doc, or, after a streaming Render, a copy read
// back from its spool. After a Render with DropDocuments there is none, and asking is an error.
func (p *Pipeline) Document() (map[string]any, error) {
	switch {
	case p.dropped:
		return nil, fmt.Errorf("%s: the render kept no document (DropDocuments)", p.Source)
	case p.Doc != nil || p.doc == nil:
		return p.Doc, nil
	}
	return p.doc.Document()
}

// InScopeApplications returns the applications of the pipelines the filter selected.
func (b *Build) InScopeApplications() map[string]bool {
	apps := map[string]bool{}
	for _, p := range b.InScope() {
		apps[p.Application] = true
	}
	return apps
}

// InScope returns the pipelines the filter selected.
func (b *Build) InScope() []*Pipeline {
	var out []*Pipeline
	for _, p := range b.Pipelines {
		if p.InScope {
			out = append(out, p)
		}
	}
	return out
}

// Problem is an input problem found after rendering: in a template's output, located at the
// template line that produced it where that can be told.
type Problem struct {
	File   string // the template, or the service file
	Line   int
	Source string // "services/x.yaml: prod/deploy"
	Msg    string
	// Renders counts the renders that hit the same problem (0 and 1: one); Source is the first.
	Renders int
}

func (p *Problem) Error() string {
	loc := p.File
	if p.Line > 0 {
		loc = fmt.Sprintf("%s:%d", p.File, p.Line)
	}
	if p.Source != "" {
		return fmt.Sprintf("%s: %s %s", loc, p.Msg, renders(p.Source, p.Renders))
	}
	return fmt.Sprintf("%s: %s", loc, p.Msg)
}

// renders says which renders hit a problem: the one, or how many and one example.
func renders(source string, n int) string {
	if n > 1 {
		return fmt.Sprintf("(in %d renders, e.g. rendering %s)", n, source)
	}
	return fmt.Sprintf("(rendering %s)", source)
}

// RenderProblem is a template error (a *render.Error) and the renders that hit it: one
// template problem is one message, however many services render the template.
type RenderProblem struct {
	Err     error
	Source  string // the first render that hit it
	Renders int
}

func (p *RenderProblem) Error() string {
	return fmt.Sprintf("%v %s", p.Err, renders(p.Source, p.Renders))
}

func (p *RenderProblem) Unwrap() error { return p.Err }

// groupProblems merges the problems several renders share into one each, in first-seen order.
func groupProblems(probs []error) []error {
	var out []error
	seen := map[string]int{}
	for _, e := range probs {
		var key string
		switch p := e.(type) {
		case *RenderProblem:
			key = "r\x00" + p.Err.Error()
		case *Problem:
			if p.Source == "" {
				out = append(out, e)
				continue
			}
			key = fmt.Sprintf("p\x00%s\x00%d\x00%s", p.File, p.Line, p.Msg)
			p.Renders = max(p.Renders, 1)
		default:
			out = append(out, e)
			continue
		}
		if i, ok := seen[key]; ok {
			switch p := out[i].(type) {
			case *RenderProblem:
				p.Renders++
			case *Problem:
				p.Renders++
			}
			continue
		}
		seen[key] = len(out)
		out = append(out, e)
	}
	return out
}

// BuildOptions say what a build may consult beyond the source.
type BuildOptions struct {
	Filter Filter
	// State is the store's current content; nil for offline commands (render, validate).
	State *front50.State
	// Adopt gives a planned pipeline the id of a same-named pipeline pipegen does not own.
	Adopt bool
	// NoCache turns off the decoded-render cache (see CacheDir).
	NoCache bool
	// Extra are services not written yet, checked as if their files were in the services
	// directory: a new service is validated before its file is written.
	Extra []*services.Service
	// Stream keeps each rendered value, then each document, in a spool file rather than in
	// memory: read them with Pipeline.Document, and Close the build. For render of large repos.
	Stream bool
	// DropDocuments, with Stream, keeps no document at all once it is checked: validate needs
	// only the problems.
	DropDocuments bool
}

// CacheDir is where pipegen keeps what the next run can reuse: decoded renders and store
// objects (internal/cache). It is inside the repo's .pipegen folder, next to the embedded
// store, which `pipegen init` lists in .gitignore.
func CacheDir(cfg *config.Config) string { return filepath.Join(cfg.Root, ".pipegen", "cache") }

func openCache(cfg *config.Config, off bool) *cache.Dir {
	if off {
		return nil
	}
	return cache.Open(CacheDir(cfg))
}

// idPlaceholder stands in for pipeline_id(app, name) until every pipeline's name is known:
// names are rendered too, so they cannot be looked up while rendering.
const idPlaceholder = "pipegen-pipeline-id-"

var idPlaceholderRe = regexp.MustCompile(idPlaceholder + `([0-9a-f]*)-([0-9a-f]*)`)

func placeholder(app, name string) string {
	return idPlaceholder + hex.EncodeToString([]byte(app)) + "-" + hex.EncodeToString([]byte(name))
}

// Render renders every pipeline of the repo. Input problems are returned in Build.Problems;
// the error is for failures to run at all.
func Render(ctx context.Context, cfg *config.Config, opt BuildOptions) (*Build, error) {
	c := openCache(cfg, opt.NoCache)
	var sp *spool.File
	var then func(*Pipeline) error
	if opt.Stream {
		var err error
		if sp, err = spool.New(""); err != nil {
			return nil, err
		}
		then = func(p *Pipeline) error {
			if opt.DropDocuments {
				p.Doc, p.dropped = nil, true
				return nil
			}
			d, ok, err := spoolDoc(sp, p.Doc)
			if err != nil {
				return fmt.Errorf("render %s: %w", p.Source, err)
			}
			if ok {
				p.doc, p.Doc = &d, nil
			}
			return nil
		}
	}
	r, err := renderSources(ctx, cfg, opt.Filter, c, opt.Extra, sp)
	if err != nil {
		_ = sp.Close()
		return nil, err
	}
	_ = c.Save() // best effort: a cache that cannot be written is only slower next time
	b, err := r.finish(cfg, opt, then)
	if err != nil {
		_ = sp.Close()
		return nil, err
	}
	b.spool = sp
	if len(b.Problems) == 0 {
		if err := b.CheckFilter(opt.Filter, opt.State); err != nil {
			_ = b.Close()
			return nil, err
		}
	}
	return b, nil
}

// rendered is a build halfway: every template rendered and decoded, nothing that depends on
// the store done yet. Diff renders while the store is being read and finishes once it is.
type rendered struct{ b *Build }

// renderSources loads the services and renders and decodes every entry, in parallel. None of
// it looks at the store. Decodings are reused from and saved to the cache (nil: none). With a
// spool, each decoded value is kept there instead of in the pipeline (a streaming build).
func renderSources(ctx context.Context, cfg *config.Config, f Filter, c *cache.Dir, extra []*services.Service, sp *spool.File) (*rendered, error) {
	b := &Build{Identities: map[pipeline.Marker]bool{}}
	repo, err := services.Load(ctx, cfg.Root, cfg.Services)
	skipped := map[string]bool{} // service files left out: broken, and outside --service
	if err != nil {
		var se *services.Error
		if !errors.As(err, &se) {
			return nil, err
		}
		for _, br := range repo.Broken {
			// A file whose service name cannot be read could be the service asked for.
			if len(f.Services) > 0 && br.Name != "" && !matchAny(f.Services, br.Name) {
				skipped[br.File] = true
				for _, e := range br.Errs {
					b.Warnings = append(b.Warnings, fmt.Sprintf("%v (service %q is outside --service; left out)", e, br.Name))
				}
			}
		}
		for _, e := range flatten(err) {
			var le *services.Error
			if errors.As(e, &le) && skipped[le.File] {
				continue
			}
			b.Problems = append(b.Problems, e)
		}
	}
	for _, svc := range extra {
		if prev := repo.Find(svc.Name); prev != nil {
			b.Problems = append(b.Problems, &services.Error{File: svc.File, Line: svc.Line, Col: svc.Col,
				Msg: fmt.Sprintf("service %q already exists: %s", svc.Name, prev.File)})
			continue
		}
		repo.Services = append(repo.Services, svc)
	}
	b.Services = repo.Services
	for k := range cfg.Vars {
		for _, builtin := range services.Builtins {
			if k == builtin {
				b.Problems = append(b.Problems, fmt.Errorf("%s: vars: variable %q would shadow the built-in %q; pick another name", displayPath(cfg.Root, cfg.File), k, k))
			}
		}
	}
	engine, err := render.New(cfg.Templates, displayPath(cfg.Root, cfg.Templates))
	if err != nil {
		return nil, fmt.Errorf("open templates: %w", err)
	}
	defer engine.Close()
	engine.SetOptions(render.Options{TrimBlocks: cfg.TrimBlocks, LstripBlocks: cfg.LstripBlocks})

	type job struct {
		svc   *services.Service
		stack *services.Stack
		entry *services.Entry
	}
	var jobs []job
	for _, svc := range repo.Services {
		if skipped[svc.File] {
			continue
		}
		for _, st := range svc.Stacks {
			for _, e := range st.Pipelines {
				b.Identities[pipeline.Marker{Service: svc.Name, Stack: st.Name, Key: e.Key}] = true
				jobs = append(jobs, job{svc, st, e})
			}
		}
	}

	jobs2entries := func(js []job) []varsJob {
		out := make([]varsJob, len(js))
		for i, j := range js {
			out[i] = varsJob(j)
		}
		return out
	}
	decoded := cache.NewDecoded(c)
	results := make([]*Pipeline, len(jobs))
	probs := make([][]error, len(jobs))
	if err := parallel.Do(ctx, len(jobs), runtime.GOMAXPROCS(0), func(i int) {
		j := jobs[i]
		results[i], probs[i] = renderOne(cfg, engine, decoded, j.svc, j.stack, j.entry, f, sp)
	}); err != nil {
		return nil, err
	}

	b.Warnings = append(b.Warnings, unusedVars(engine, jobs2entries(jobs))...)
	var renderProbs []error
	for i := range jobs {
		renderProbs = append(renderProbs, probs[i]...)
		if results[i] != nil {
			b.Pipelines = append(b.Pipelines, results[i])
		}
	}
	b.Problems = append(b.Problems, groupProblems(renderProbs)...)
	return &rendered{b: b}, nil
}

// finish gives every rendered pipeline its id and turns it into the stored document, using
// the store's state when opt has one, calling then (when set) for each prepared pipeline (see
// prepare).
func (r *rendered) finish(cfg *config.Config, opt BuildOptions, then func(*Pipeline) error) (*Build, error) {
	b := r.b
	b.assignIDs(opt)
	b.checkNames()
	if err := b.prepare(cfg, opt, then); err != nil {
		return nil, err
	}
	b.Problems = groupProblems(b.Problems)
	sort.SliceStable(b.Pipelines, func(i, j int) bool {
		x, y := b.Pipelines[i], b.Pipelines[j]
		if x.Application != y.Application {
			return x.Application < y.Application
		}
		return x.Name < y.Name
	})
	return b, nil
}

func flatten(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

func displayPath(root, p string) string {
	if p == "" {
		return config.FileName
	}
	if rel, err := filepath.Rel(root, p); err == nil && !strings.HasPrefix(rel, "..") {
		return filepath.ToSlash(rel)
	}
	return filepath.ToSlash(p)
}

func renderOne(cfg *config.Config, engine *render.Engine, decoded *cache.Decoded, svc *services.Service, st *services.Stack, e *services.Entry, f Filter, sp *spool.File) (*Pipeline, []error) {
	src := services.Source{File: svc.File, Stack: st.Name, Key: e.Key}
	at := func(msg string) error {
		return &services.Error{File: svc.File, Line: e.Line, Col: e.Col, Msg: msg}
	}
	file, err := engine.Lookup(e.Template)
	if err != nil {
		return nil, []error{at(err.Error())}
	}
	tmplDisplay := path.Join(displayPath(cfg.Root, cfg.Templates), filepath.ToSlash(file))
	ctx := services.Context(cfg.Vars, svc, st, e)
	ids := func(app, name string) (string, error) {
		if app == "" {
			app = svc.Name
		}
		return placeholder(app, name), nil
	}
	text, err := engine.Render(e.Template, ctx, ids)
	if err != nil {
		var re *render.Error
		if errors.As(err, &re) {
			return nil, []error{&RenderProblem{Err: err, Source: src.String(), Renders: 1}}
		}
		return nil, []error{fmt.Errorf("render %s for %s: %w", tmplDisplay, src, err)}
	}
	p := &Pipeline{
		Service: svc.Name, Stack: st.Name, Key: e.Key, Template: tmplDisplay, text: text,
		templatesDir: cfg.Templates, templateFile: file,
		pinned: e.ID, pinnedLine: e.IDLine, pinnedCol: e.IDCol,
	}
	p.Source = src.String()
	p.Application = svc.Name
	p.Marker = pipeline.Marker{Service: svc.Name, Stack: st.Name, Key: e.Key, File: svc.File}

	// The same text decodes to the same value: parsing YAML is most of a render's CPU, and an
	// unchanged pipeline renders the same text every run.
	slot := svc.Name + "/" + st.Name + "/" + e.Key
	if sp != nil {
		// The variables are made again rather than kept: ten thousand of them were a third
		// of a streaming diff's heap.
		p.retext = func() []byte {
			t, _ := engine.Render(e.Template, services.Context(cfg.Vars, svc, st, e), ids) // rendered fine once: renders the same
			return t
		}
		if err := p.spoolValue(sp, decoded, slot); err != nil {
			return nil, []error{err}
		}
	} else {
		v, hit := decoded.Get(slot, text)
		if !hit {
			if v, err = p.decodeYAML(); err != nil {
				return nil, []error{err}
			}
			decoded.Put(slot, text, v)
		}
		p.raw = v
		p.setName(v)
	}
	p.InScope = f.match(svc.Name, st.Name, e.Key, p.Name)
	return p, nil
}

// Text is the rendered YAML the pipeline was decoded from.
func (p *Pipeline) Text() []byte {
	if p.text == nil && p.retext != nil {
		return p.retext()
	}
	return p.text
}

// problem makes a Problem at a line of the rendered text, mapped back to the template.
func (p *Pipeline) problem(renderedLine int, msg string) *Problem {
	line := 0
	if renderedLine > 0 {
		var exact bool
		text := p.Text()
		line, exact = loadSource(p.templatesDir, p.templateFile).mapLine(text, renderedLine)
		if !exact {
			msg = fmt.Sprintf("%s (line %d of the rendered output: %s)", msg, renderedLine, strings.TrimSpace(lineOf(text, renderedLine)))
		}
	}
	return &Problem{File: p.Template, Line: line, Source: p.Source, Msg: msg}
}

// assignIDs decides each pipeline's id: the id of the stored pipeline that already carries its
// identity (an adopted pipeline keeps the id it had), else the id of a same-named pipeline
// pipegen does not own when adopting, else the derived id.
func (b *Build) assignIDs(opt BuildOptions) {
	owned := map[pipeline.Marker]string{}
	if opt.State != nil {
		for _, sp := range opt.State.Pipelines {
			if m, ok := pipeline.MarkerOf(sp.Doc); ok {
				k := plan.IdentityKey(m)
				// Prefer the derived id if a copy of the marker exists twice (a UI "duplicate").
				if _, seen := owned[k]; !seen || sp.ID == pipeline.PipelineID(m.Service, m.Stack, m.Key) {
					owned[k] = sp.ID
				}
			}
		}
	}
	pinnedBy := map[string]*Pipeline{}
	var keep []*Pipeline
	for _, p := range b.Pipelines {
		p.ID = pipeline.PipelineID(p.Service, p.Stack, p.Key)
		if id, ok := owned[plan.IdentityKey(p.Marker)]; ok {
			p.ID = id
			if p.pinned != "" && p.pinned != id {
				b.Problems = append(b.Problems, p.pinProblem(fmt.Sprintf("id %s: this entry already manages pipeline %s (it carries the ownership marker of %s); remove the id line or make it %s", p.pinned, id, p.Source, id)))
				continue
			}
			keep = append(keep, p)
			continue
		}
		if p.pinned != "" {
			if msg := b.checkPin(p, opt.State, pinnedBy); msg != "" {
				b.Problems = append(b.Problems, p.pinProblem(msg))
				continue
			}
			p.ID, p.Pinned = p.pinned, true
			keep = append(keep, p)
			continue
		}
		keep = append(keep, p)
		if opt.Adopt && opt.State != nil && p.Name != "" {
			for _, other := range opt.State.ByName(p.Application, p.Name) {
				if _, isOwned := pipeline.MarkerOf(other.Doc); !isOwned && !other.Nested {
					p.ID = other.ID
					break
				}
			}
		}
	}
	b.Pipelines = keep
}

// checkNames rejects two pipelines with one name in an application, naming both sources.
func (b *Build) checkNames() {
	seen := map[string]*Pipeline{}
	var keep []*Pipeline
	for _, p := range b.Pipelines {
		if p.Name == "" {
			keep = append(keep, p) // Prepare reports the missing name
			continue
		}
		k := pipeline.NameKey(p.Application, p.Name)
		if prev, ok := seen[k]; ok {
			if p.InScope || prev.InScope {
				b.Problems = append(b.Problems, p.problem(p.nameLine(), fmt.Sprintf("pipeline name %q is used twice in application %s: by %s and by %s (names are compared ignoring case); give one of them another name, e.g. with {{ stack }} in it", p.Name, p.Application, prev.Source, p.Source)))
			}
			continue
		}
		seen[k] = p
		keep = append(keep, p)
	}
	b.Pipelines = keep
}

func (p *Pipeline) nameLine() int {
	root, err := yamldoc.Parse(p.Text())
	if err != nil || root == nil {
		return 0
	}
	return lineOfPath(root, "name")
}

// sourceText is a template's source, read once, for mapping rendered lines back to it.
type sourceText struct{ lines []string }

func loadSource(templatesDir, file string) sourceText {
	root, err := os.OpenRoot(templatesDir)
	if err != nil {
		return sourceText{}
	}
	defer root.Close()
	data, err := root.ReadFile(file)
	if err != nil {
		return sourceText{}
	}
	return sourceText{lines: strings.Split(string(data), "\n")}
}

type varsJob struct {
	svc   *services.Service
	stack *services.Stack
	entry *services.Entry
}

// unusedVars warns about each variable set in a service, stack or entry `vars` that no
// template rendered with it can read: a misspelt override otherwise changes nothing, silently.
// A template that reads `service` may read the service's variables through service.vars.
func unusedVars(engine *render.Engine, jobs []varsJob) []string {
	type level struct {
		file  string
		vars  map[string]any
		at    map[string]services.Pos
		reads map[string]bool
		via   bool // the service level, reachable through service.vars
	}
	var order []*level
	levels := map[any]*level{}
	get := func(key any, file string, vars map[string]any, at map[string]services.Pos, via bool) *level {
		l, ok := levels[key]
		if !ok {
			l = &level{file: file, vars: vars, at: at, reads: map[string]bool{}, via: via}
			levels[key] = l
			order = append(order, l)
		}
		return l
	}
	for _, j := range jobs {
		reads, err := engine.Reads(j.entry.Template)
		if err != nil {
			return nil // a template problem is reported elsewhere; no guess about its reads
		}
		for _, l := range []*level{
			get(j.svc, j.svc.File, j.svc.Vars, j.svc.VarsAt, true),
			get(j.stack, j.svc.File, j.stack.Vars, j.stack.VarsAt, false),
			get(j.entry, j.svc.File, j.entry.Vars, j.entry.VarsAt, false),
		} {
			for name := range reads {
				l.reads[name] = true
			}
		}
	}
	var out []string
	for _, l := range order {
		if l.via && l.reads["service"] {
			continue
		}
		names := make([]string, 0, len(l.vars))
		for name := range l.vars {
			if !l.reads[name] {
				names = append(names, name)
			}
		}
		sort.Slice(names, func(a, b int) bool { return l.at[names[a]].Line < l.at[names[b]].Line })
		for _, name := range names {
			p := l.at[name]
			out = append(out, fmt.Sprintf("%s:%d:%d: vars: %q is set but no template rendered with it reads it (misspelt?)", l.file, p.Line, p.Col, name))
		}
	}
	return out
}
