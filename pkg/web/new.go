package web

import (
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/pipegen/pipegen/pkg/action"
	"github.com/pipegen/pipegen/pkg/render"
	"github.com/pipegen/pipegen/pkg/services"
	yaml "go.yaml.in/yaml/v3"
)

// newService is the form, its fields named as the service file's keys.
type newService struct {
	Name, Product, Team, Namespace, GitRepo string
	Stacks, Templates                       []string
}

type choice struct {
	Name    string
	Checked bool
}

// defaultStacks are offered when no service names any stack yet.
var defaultStacks = []string{"dev", "qa", "stage", "prod"}

func (s *Server) newForm(w http.ResponseWriter, r *http.Request) {
	s.renderForm(w, r, newService{}, nil)
}

func (s *Server) renderForm(w http.ResponseWriter, r *http.Request, f newService, problems []string) {
	cfg := s.opt.Config
	repo, _ := services.Load(r.Context(), cfg.Root, cfg.Services)
	var stacks []string
	if repo != nil {
		for _, sv := range repo.Services {
			for _, st := range sv.Stacks {
				if !slices.Contains(stacks, st.Name) {
					stacks = append(stacks, st.Name)
				}
			}
		}
	}
	if len(stacks) == 0 {
		stacks = defaultStacks
	}
	names, err := s.templateNames()
	if err != nil {
		s.fail(w, err)
		return
	}
	mark := func(all, chosen []string) []choice {
		var out []choice
		for _, n := range all {
			out = append(out, choice{n, slices.Contains(chosen, n)})
		}
		return out
	}
	if problems != nil {
		w.WriteHeader(http.StatusUnprocessableEntity)
	}
	s.page(w, "new", "pipegen: new service", map[string]any{
		"Form": f, "Stacks": mark(stacks, f.Stacks), "Templates": mark(names, f.Templates),
		"Token": s.token, "Problems": problems, "Dir": s.relServices(),
	})
}

func (s *Server) templateNames() ([]string, error) {
	cfg := s.opt.Config
	e, err := render.New(cfg.Templates, s.rel(cfg.Templates))
	if err != nil {
		return nil, fmt.Errorf("open templates: %w", err)
	}
	defer e.Close()
	return e.Names(), nil
}

func (s *Server) rel(p string) string {
	if r, err := filepath.Rel(s.opt.Config.Root, p); err == nil && !strings.HasPrefix(r, "..") {
		return filepath.ToSlash(r)
	}
	return filepath.ToSlash(p)
}

func (s *Server) relServices() string { return s.rel(s.opt.Config.Services) }

// maxForm bounds a posted form: a real one is a few hundred bytes.
const maxForm = 64 << 10

func (s *Server) newPost(w http.ResponseWriter, r *http.Request) {
	// Cross-site request forgery: another page can make the browser post here, but cannot
	// read the form's token, and the browser names that page's origin.
	if !sameOrigin(r) {
		http.Error(w, "refused: the form was not posted from this page (Origin does not match)", http.StatusForbidden)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form: "+err.Error(), http.StatusBadRequest)
		return
	}
	if !s.tokenOK(r.PostForm.Get("token")) {
		http.Error(w, "refused: the form's token is missing or stale; reload the form", http.StatusForbidden)
		return
	}
	f := readForm(r.PostForm)
	file, data, problems := s.check(r, f)
	if len(problems) > 0 {
		s.renderForm(w, r, f, problems)
		return
	}
	if err := writeNew(filepath.Join(s.opt.Config.Root, filepath.FromSlash(file)), data); err != nil {
		s.renderForm(w, r, f, []string{err.Error()})
		return
	}
	http.Redirect(w, r, "/plan?service="+url.QueryEscape(f.Name), http.StatusSeeOther)
}

func readForm(v url.Values) newService {
	get := func(k string) string { return strings.TrimSpace(v.Get(k)) }
	f := newService{Name: get("name"), Product: get("product"), Team: get("team"), Namespace: get("namespace"), GitRepo: get("gitRepo")}
	for _, st := range v["stack"] {
		if st = strings.TrimSpace(st); st != "" && !slices.Contains(f.Stacks, st) {
			f.Stacks = append(f.Stacks, st)
		}
	}
	for _, t := range v["template"] {
		if t = strings.TrimSpace(t); t != "" && !slices.Contains(f.Templates, t) {
			f.Templates = append(f.Templates, t)
		}
	}
	return f
}

// check builds the new file and validates it as validate would with the file in place: the
// service file's schema, then every pipeline it adds rendered and checked.
func (s *Server) check(r *http.Request, f newService) (file string, data []byte, problems []string) {
	if !services.ValidName(f.Name) {
		return "", nil, []string{fmt.Sprintf("name %q: lower-case letters, digits and '-', starting with a letter or digit, at most 63 characters", f.Name)}
	}
	if f.Product != "" && !services.ValidIdent(f.Product) {
		return "", nil, []string{fmt.Sprintf("product %q: letters, digits, '.', '_' and '-' only (it names the folder of the file)", f.Product)}
	}
	if len(f.Stacks) == 0 || len(f.Templates) == 0 {
		return "", nil, []string{"choose at least one stack and one template"}
	}
	file = path.Join(s.relServices(), f.Product, f.Name+".yaml")
	data, err := serviceYAML(f)
	if err != nil {
		return "", nil, []string{err.Error()}
	}
	svc, errs := services.Parse(file, data)
	for _, e := range errs {
		problems = append(problems, e.Error())
	}
	if len(problems) > 0 {
		return "", nil, problems
	}
	if _, err := os.Stat(filepath.Join(s.opt.Config.Root, filepath.FromSlash(file))); err == nil {
		return "", nil, []string{file + " already exists; pipegen never overwrites a service file"}
	}
	s.mu.Lock()
	b, err := action.Render(r.Context(), s.opt.Config, action.BuildOptions{
		Filter: action.Filter{Services: []string{f.Name}}, Extra: []*services.Service{svc},
	})
	s.mu.Unlock()
	if err != nil {
		return "", nil, []string{err.Error()}
	}
	for _, p := range b.Problems {
		problems = append(problems, p.Error())
	}
	return file, data, problems
}

// serviceYAML writes the service file: the keys in the order a person writes them, stacks in
// the order chosen, each listing every chosen template.
func serviceYAML(f newService) ([]byte, error) {
	str := func(v string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Value: v} }
	doc := &yaml.Node{Kind: yaml.MappingNode}
	add := func(k string, v *yaml.Node) { doc.Content = append(doc.Content, str(k), v) }
	add("name", str(f.Name))
	for _, kv := range [][2]string{{"product", f.Product}, {"team", f.Team}, {"namespace", f.Namespace}, {"gitRepo", f.GitRepo}} {
		if kv[1] != "" {
			add(kv[0], str(kv[1]))
		}
	}
	stacks := &yaml.Node{Kind: yaml.MappingNode}
	for _, st := range f.Stacks {
		list := &yaml.Node{Kind: yaml.SequenceNode, Style: yaml.FlowStyle}
		for _, t := range f.Templates {
			list.Content = append(list.Content, str(t))
		}
		stacks.Content = append(stacks.Content, str(st), &yaml.Node{Kind: yaml.MappingNode, Content: []*yaml.Node{str("pipelines"), list}})
	}
	add("stacks", stacks)
	out, err := yaml.Marshal(doc)
	if err != nil {
		return nil, fmt.Errorf("write service file: %w", err)
	}
	return append([]byte("# Added with pipegen serve's form.\n"), out...), nil
}

// writeNew creates the file, failing if it exists: a service file is never overwritten.
func writeNew(name string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		return fmt.Errorf("create folder: %w", err)
	}
	fh, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("%s already exists; pipegen never overwrites a service file", name)
	}
	if err != nil {
		return fmt.Errorf("write service file: %w", err)
	}
	if _, err := fh.Write(data); err != nil {
		fh.Close()
		os.Remove(name)
		return fmt.Errorf("write service file: %w", err)
	}
	return fh.Close()
}
