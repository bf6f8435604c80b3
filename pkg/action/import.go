package action

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/pipegen/pipegen/pkg/config"
	"github.com/pipegen/pipegen/pkg/front50"
	"github.com/pipegen/pipegen/pkg/importer"
	"github.com/pipegen/pipegen/pkg/pipeline"
	"github.com/pipegen/pipegen/pkg/services"
)

// DefaultImportStack is the stack of imported pipelines whose names name no stack.
const DefaultImportStack = "main"

// ImportOptions shape an import.
type ImportOptions struct {
	// Application is the Spinnaker application whose pipelines are imported; it becomes the
	// service name.
	Application string
	// Stack is the stack of pipelines whose names do not say one; DefaultImportStack if empty.
	Stack string
	// Stacks, when given, are the stack names pipeline names end (or start) with, instead of
	// the ones import finds by itself (deploy-dev, deploy-prod: dev and prod).
	Stacks      []string
	Concurrency int
}

// ImportedFile is a file import writes: a new one (Old nil), or the service file with entries
// added (Old is what it holds now; it is replaced only if it still does).
type ImportedFile struct {
	Path    string // absolute
	Display string // as messages name it, relative to the repo root
	Data    []byte
	Old     []byte
}

// ImportedPipeline is a stored pipeline the written files render.
type ImportedPipeline struct {
	ID, Name        string
	Stack, Key      string
	Template        string // the template file, as messages name it
	Vars            int    // variables its entry sets
	OwnershipChange []string
}

// SkippedPipeline is a stored pipeline of the application that import leaves alone.
type SkippedPipeline struct {
	ID, Name string
	Reason   string
	// Managed: pipegen manages it already (or the service file does, from the next sync):
	// not a problem, just not imported again.
	Managed bool
}

// ImportPlan is what an import writes: files only. The store is read, never written: the
// next sync takes the pipelines over (the service file pins their ids) and keeps their ids.
type ImportPlan struct {
	Application, Store string
	Service            string // the service file, as messages name it
	Incremental        bool   // the service existed: entries are added to its file
	Files              []ImportedFile
	Pipelines          []ImportedPipeline // sorted by name
	Templates          int
	Skipped            []SkippedPipeline

	existing []*importer.Existing
	// appBlock is the stored application as the new service file's `application:` block.
	appBlock *importer.Node
}

// PlanImport reads an application's pipelines and works out the service file entries and
// templates that render them exactly, checking that they do by rendering them. Pipelines the
// repo manages already are left alone, so importing again only adds the new ones.
func PlanImport(ctx context.Context, cfg *config.Config, store front50.Store, opt ImportOptions) (*ImportPlan, error) {
	app := opt.Application
	if !services.ValidName(app) {
		return nil, fmt.Errorf("application %q: a service name is lower-case letters, digits and -, at most 63 characters", app)
	}
	stack := opt.Stack
	if stack == "" {
		stack = DefaultImportStack
	}
	for _, s := range append([]string{stack}, opt.Stacks...) {
		if !services.ValidIdent(s) {
			return nil, fmt.Errorf("stack %q: use letters, digits, ., _ and -", s)
		}
	}
	conc := opt.Concurrency
	if conc <= 0 {
		conc = DefaultConcurrency
	}
	existing, err := existingService(ctx, cfg, app)
	if err != nil {
		return nil, err
	}
	state, err := front50.Load(ctx, store, conc)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", store.Location(), err)
	}
	var stored []*front50.Pipeline
	for _, p := range state.Pipelines {
		if a, _ := p.Doc[pipeline.FieldApplication].(string); a == app {
			stored = append(stored, p)
		}
	}
	if len(stored) == 0 {
		return nil, noPipelinesError(app, state)
	}
	sort.SliceStable(stored, func(i, j int) bool {
		a, b := docName(stored[i].Doc), docName(stored[j].Doc)
		if !strings.EqualFold(a, b) {
			return strings.ToLower(a) < strings.ToLower(b)
		}
		return stored[i].ID < stored[j].ID
	})

	ip := &ImportPlan{Application: app, Store: store.Location(), Incremental: existing != nil}
	if existing == nil {
		if ip.appBlock, err = importedApplication(ctx, store, app); err != nil {
			return nil, err
		}
	}
	serviceFile := filepath.Join(cfg.Services, app+".yaml")
	if existing != nil {
		serviceFile = filepath.Join(cfg.Root, filepath.FromSlash(existing.File))
	} else {
		for _, p := range []string{serviceFile, filepath.Join(cfg.Services, app+".yml")} {
			if _, err := os.Lstat(p); err == nil {
				return nil, fmt.Errorf("%s already exists but defines no service %q; move it away", displayPath(cfg.Root, p), app)
			} else if !errors.Is(err, fs.ErrNotExist) {
				return nil, fmt.Errorf("check %s: %w", displayPath(cfg.Root, p), err)
			}
		}
	}
	ip.Service = displayPath(cfg.Root, serviceFile)

	claimed, err := claimedByRepo(ctx, cfg, existing, state)
	if err != nil {
		return nil, err
	}
	var candidates []*importer.Pipeline
	names := map[string]string{} // name key → id of the first pipeline with that name
	var allNames []string
	for _, sp := range stored {
		name := docName(sp.Doc)
		allNames = append(allNames, name)
		skip := func(managed bool, format string, args ...any) {
			ip.Skipped = append(ip.Skipped, SkippedPipeline{ID: sp.ID, Name: name, Managed: managed, Reason: fmt.Sprintf(format, args...)})
		}
		if m, owned := pipeline.MarkerOf(sp.Doc); owned {
			skip(true, "already managed by pipegen from %s", m.Source())
			continue
		}
		if why, ok := claimed[sp.ID]; ok {
			skip(true, "%s", why)
			continue
		}
		if why := unimportable(sp, name); why != "" {
			skip(false, "%s", why)
			continue
		}
		nk := pipeline.NameKey(app, name)
		if first, dup := names[nk]; dup {
			skip(false, "pipeline %s has the same name; Front50 should hold only one: rename or delete one in the UI, then import it", first)
			continue
		}
		names[nk] = sp.ID
		if why, ok := claimed["name:"+nk]; ok {
			skip(false, "%s", why)
			continue
		}
		tree, err := templateTree(sp, state, cfg.Lock)
		if err != nil {
			skip(false, "%v", err)
			continue
		}
		candidates = append(candidates, &importer.Pipeline{ID: sp.ID, Name: name, Tree: tree})
	}
	places := importer.PlaceByName(allNames, opt.Stacks, stack)
	for _, c := range candidates {
		c.Place = places[c.Name]
	}
	if len(candidates) == 0 {
		return ip, nil
	}
	ip.existing = earlierTemplates(cfg, existing, state, places)
	if err := ip.build(ctx, cfg, state, existing, serviceFile, candidates); err != nil {
		return nil, err
	}
	return ip, nil
}

// existingService returns the repo's service for app, nil when there is none.
func existingService(ctx context.Context, cfg *config.Config, app string) (*services.Service, error) {
	if _, err := os.Stat(cfg.Services); errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	repo, err := services.Load(ctx, cfg.Root, cfg.Services)
	if repo == nil {
		return nil, err
	}
	s := repo.Find(app)
	if s != nil && err != nil {
		return nil, fmt.Errorf("the services folder has problems; fix them before importing into %s: %w", s.File, err)
	}
	return s, nil
}

// claimedByRepo lists the stored pipelines the repo's service already takes care of: by id
// (an entry pins it) or by name (an entry renders a pipeline with that name, which sync
// --adopt would take over). Keys are ids, or "name:" + name key.
func claimedByRepo(ctx context.Context, cfg *config.Config, svc *services.Service, state *front50.State) (map[string]string, error) {
	out := map[string]string{}
	if svc == nil {
		return out, nil
	}
	for _, st := range svc.Stacks {
		for _, e := range st.Pipelines {
			if e.ID != "" {
				out[e.ID] = fmt.Sprintf("%s: %s/%s takes it over on the next sync (its entry has its id)", svc.File, st.Name, e.Key)
			}
		}
	}
	b, err := Render(ctx, cfg, BuildOptions{Filter: Filter{Services: []string{svc.Name}}, State: state, NoCache: true})
	if err != nil {
		return nil, err
	}
	if len(b.Problems) > 0 {
		return nil, fmt.Errorf("service %s does not render; fix it before importing into it:\n%w", svc.Name, errors.Join(b.Problems...))
	}
	for _, p := range b.Pipelines {
		if _, pinned := out[p.ID]; !pinned {
			out["name:"+pipeline.NameKey(p.Application, p.Name)] = fmt.Sprintf("%s renders a pipeline with this name; pipegen sync --adopt takes it over", p.Source)
		}
	}
	return out, nil
}

// unimportable says why a stored pipeline cannot be imported as it is, or "".
func unimportable(sp *front50.Pipeline, name string) string {
	if v, has := sp.Doc[pipeline.MarkerKey]; has {
		if _, isMap := v.(map[string]any); !isMap {
			return fmt.Sprintf("has its own field %q, which pipegen's ownership marker would overwrite; rename that field first", pipeline.MarkerKey)
		}
	}
	if id, _ := sp.Doc[pipeline.FieldID].(string); id != sp.ID {
		return fmt.Sprintf("its id field %q differs from its folder %q; Front50 reloads it on every refresh: save it once in the UI, then import again", id, sp.ID)
	}
	if strings.TrimSpace(name) == "" {
		return "it has no name"
	}
	if strings.TrimSpace(name) != name {
		return "its name has leading or trailing spaces, which pipegen trims: rename it in the UI, then import it"
	}
	return ""
}

// templateTree is a stored pipeline as a template writes it: the fields a template never sets
// left out (pipegen's lock too when lock is on: pipegen sets it), references to other
// pipelines by name.
func templateTree(sp *front50.Pipeline, state *front50.State, lock bool) (*importer.Node, error) {
	tree, err := importer.Decode(sp.Raw)
	if err != nil {
		return nil, fmt.Errorf("read the stored object: %w", err)
	}
	if tree.Kind != importer.Object {
		return nil, errors.New("the stored object is not a JSON object")
	}
	for _, k := range append([]string(nil), tree.Keys...) {
		if pipeline.NotInTemplate(k) || (lock && k == pipeline.FieldLocked) {
			tree.Delete(k)
		}
	}
	// Front50's defaults need no line of their own: pipegen writes them anyway.
	if s, _ := tree.Get("schema").Str(); s == "1" {
		tree.Delete("schema")
	}
	if tr := tree.Get("triggers"); tr != nil && tr.Kind == importer.Array && len(tr.List) == 0 {
		tree.Delete("triggers")
	}
	app, _ := sp.Doc[pipeline.FieldApplication].(string)
	importer.LinkPipelines(tree, app, func(id string) (string, string, bool) {
		target, ok := state.ByID[id]
		if !ok {
			return "", "", false
		}
		a, _ := target.Doc[pipeline.FieldApplication].(string)
		n := docName(target.Doc)
		// Only a name that finds exactly this pipeline: pipeline_id resolves names.
		if found := state.ByName(a, n); len(found) != 1 || found[0].ID != id || strings.TrimSpace(n) != n {
			return "", "", false
		}
		return a, n, true
	})
	return tree, nil
}

// build makes the templates and the service file, renders them in a scratch copy of the repo
// and keeps only the pipelines that render exactly as stored; the others are skipped.
func (ip *ImportPlan) build(ctx context.Context, cfg *config.Config, state *front50.State, existing *services.Service, serviceFile string, candidates []*importer.Pipeline) error {
	for attempt := 0; ; attempt++ {
		files, templates, err := ip.files(cfg, existing, serviceFile, candidates)
		if err != nil {
			return err
		}
		results, err := verifyImport(ctx, cfg, state, ip.Application, files, templates)
		if err != nil {
			return err
		}
		var ok []*importer.Pipeline
		bad := false
		for _, c := range candidates {
			if why := results[c.ID].mismatch; why != "" {
				bad = true
				ip.Skipped = append(ip.Skipped, SkippedPipeline{ID: c.ID, Name: c.Name, Reason: "its template would not render it exactly: " + why})
				continue
			}
			ok = append(ok, c)
		}
		if bad && attempt < 3 && len(ok) > 0 {
			candidates = ok
			continue
		}
		if bad {
			return fmt.Errorf("the imported templates do not render the stored pipelines exactly: %s", ip.Skipped[len(ip.Skipped)-1].Reason)
		}
		ip.Files = files
		for _, t := range templates {
			if !t.Reused {
				ip.Templates++
			}
		}
		for _, t := range templates {
			for _, e := range t.Entries {
				vars := 0
				if e.Vars != nil {
					vars = len(e.Vars.Keys)
				}
				ip.Pipelines = append(ip.Pipelines, ImportedPipeline{
					ID: e.ID, Name: e.Name, Stack: e.Stack, Key: e.Key, Vars: vars,
					Template: templateDisplay(cfg, t.Name), OwnershipChange: results[e.ID].changes,
				})
			}
		}
		sort.Slice(ip.Pipelines, func(i, j int) bool {
			return strings.ToLower(ip.Pipelines[i].Name) < strings.ToLower(ip.Pipelines[j].Name)
		})
		sort.SliceStable(ip.Skipped, func(i, j int) bool {
			return strings.ToLower(ip.Skipped[i].Name) < strings.ToLower(ip.Skipped[j].Name)
		})
		return nil
	}
}

func templateDisplay(cfg *config.Config, name string) string {
	return path.Join(displayPath(cfg.Root, cfg.Templates), name+".yml")
}

// files makes the files of an import: a template per group, and the service file (new, or
// the existing one with entries added).
func (ip *ImportPlan) files(cfg *config.Config, existing *services.Service, serviceFile string, candidates []*importer.Pipeline) ([]ImportedFile, []*importer.Template, error) {
	used := map[string]map[string]bool{}
	if existing != nil {
		for _, st := range existing.Stacks {
			keys := map[string]bool{}
			for _, e := range st.Pipelines {
				keys[strings.ToLower(e.Key)] = true
			}
			used[strings.ToLower(st.Name)] = keys
		}
	}
	usedTemplates, err := templateNames(cfg.Templates)
	if err != nil {
		return nil, nil, err
	}
	templates, err := importer.Build(candidates, importer.Options{
		App: ip.Application, UsedKeys: used, UsedTemplates: usedTemplates, NoVerbatim: cfg.TrimBlocks || cfg.LstripBlocks,
		Existing: ip.existing,
	})
	if err != nil {
		return nil, nil, err
	}
	var entries []*importer.Entry
	var files []ImportedFile
	for _, t := range templates {
		entries = append(entries, t.Entries...)
		if t.Reused {
			continue
		}
		p := filepath.Join(cfg.Templates, filepath.FromSlash(t.Name)+".yml")
		files = append(files, ImportedFile{Path: p, Display: displayPath(cfg.Root, p), Data: t.Text})
	}
	svc := ImportedFile{Path: serviceFile, Display: ip.Service}
	if existing != nil {
		old, err := os.ReadFile(serviceFile)
		if err != nil {
			return nil, nil, fmt.Errorf("read %s: %w", ip.Service, err)
		}
		svc.Old = old
		svc.Data, err = importer.AddEntries(old, entries)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: cannot add the new pipelines' entries (%v); write the stacks and pipelines of service %s in block style, one entry per line, as import does", ip.Service, err, ip.Application)
		}
	} else {
		sf := importer.ServiceFile{App: ip.Application, Entries: entries, Header: serviceHeader(ip), Application: ip.appBlock}
		svc.Data, err = sf.Text()
		if err != nil {
			return nil, nil, err
		}
	}
	return append([]ImportedFile{svc}, files...), templates, nil
}

func serviceHeader(ip *ImportPlan) string {
	return fmt.Sprintf("# Imported by `pipegen import --service %s` from %s.\n", ip.Application, ip.Store) +
		"# Each entry's id is the stored pipeline it renders: the next `pipegen sync` takes it over\n" +
		"# (ownership marker and lock) and keeps that id, so links to it keep working. Keep the\n" +
		"# stack and key of an entry: with the service name they are the pipeline's identity.\n"
}

// templateNames lists the template names (paths without extensions, lower-case) a new
// template must not take.
func templateNames(dir string) (map[string]bool, error) {
	out := map[string]bool{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) && p == dir {
				return filepath.SkipDir
			}
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		rel = filepath.ToSlash(rel)
		if i := strings.Index(path.Base(rel), "."); i > 0 {
			rel = path.Join(path.Dir(rel), path.Base(rel)[:i])
		}
		out[strings.ToLower(rel)] = true
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list templates: %w", err)
	}
	return out, nil
}

func docName(doc map[string]any) string {
	s, _ := doc[pipeline.FieldName].(string)
	return s
}

func noPipelinesError(app string, state *front50.State) error {
	apps := map[string]bool{}
	for _, p := range state.Pipelines {
		if a, ok := p.Doc[pipeline.FieldApplication].(string); ok {
			apps[a] = true
		}
	}
	var similar []string
	for a := range apps {
		if strings.EqualFold(a, app) || strings.Contains(a, app) || strings.Contains(app, a) {
			similar = append(similar, a)
		}
	}
	sort.Strings(similar)
	msg := fmt.Sprintf("no pipelines of application %q in the store (%d applications have pipelines there)", app, len(apps))
	if len(similar) > 0 {
		msg += "; similar: " + strings.Join(similar, ", ")
	}
	return errors.New(msg)
}

// earlierTemplates are the templates an earlier import wrote for svc, with the stored
// pipelines they render, for new pipelines of the same group to use as they are.
func earlierTemplates(cfg *config.Config, svc *services.Service, state *front50.State, places map[string]importer.Placement) []*importer.Existing {
	if svc == nil {
		return nil
	}
	owned := map[pipeline.Marker]*front50.Pipeline{}
	for _, sp := range state.Pipelines {
		if m, ok := pipeline.MarkerOf(sp.Doc); ok {
			m.File = ""
			owned[m] = sp
		}
	}
	byName := map[string]*importer.Existing{}
	var out []*importer.Existing
	for _, st := range svc.Stacks {
		for _, e := range st.Pipelines {
			if !strings.HasPrefix(e.Template, importer.Dir+"/"+svc.Name+"/") {
				continue
			}
			ex := byName[e.Template]
			if ex == nil {
				text, err := os.ReadFile(filepath.Join(cfg.Templates, filepath.FromSlash(e.Template)+".yml"))
				if err != nil {
					continue
				}
				ex = &importer.Existing{Name: e.Template, Text: text, Key: e.Key}
				byName[e.Template] = ex
				out = append(out, ex)
			}
			sp := state.ByID[e.ID]
			if e.ID == "" {
				sp = owned[pipeline.Marker{Service: svc.Name, Stack: st.Name, Key: e.Key}]
			}
			var tree *importer.Node
			if sp != nil && ex.Key == e.Key {
				tree, _ = templateTree(sp, state, cfg.Lock)
			}
			if tree == nil {
				ex.Key = "" // a member that cannot be read back: the template is not offered
				continue
			}
			name := docName(sp.Doc)
			ex.Members = append(ex.Members, &importer.Pipeline{ID: sp.ID, Name: name, Tree: tree, Place: places[name]})
		}
	}
	var usable []*importer.Existing
	for _, ex := range out {
		if ex.Key == "" {
			continue
		}
		// In the order import wrote them: by name.
		sort.SliceStable(ex.Members, func(i, j int) bool {
			a, b := ex.Members[i], ex.Members[j]
			if !strings.EqualFold(a.Name, b.Name) {
				return strings.ToLower(a.Name) < strings.ToLower(b.Name)
			}
			return a.ID < b.ID
		})
		usable = append(usable, ex)
	}
	return usable
}
