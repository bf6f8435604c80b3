// Package web is `pipegen serve`'s local web view of a services repo: the services with the
// status of each pipeline against the store, each service's rendered pipelines with their stage
// graphs and variables, the plan as the HTML report shows it, and a form that adds a service
// file. Every page renders the repo afresh (the render cache keeps that cheap), so the pages
// follow edits. Nothing here writes the store.
package web

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"net"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"

	"github.com/pipegen/pipegen/pkg/action"
	"github.com/pipegen/pipegen/pkg/config"
	"github.com/pipegen/pipegen/pkg/front50"
	"github.com/pipegen/pipegen/pkg/output"
	"github.com/pipegen/pipegen/pkg/plan"
	"github.com/pipegen/pipegen/pkg/services"
)

// Options configure a server.
type Options struct {
	Config *config.Config
	Store  front50.Store
	// ReadOnly leaves out /new: no page writes anything.
	ReadOnly bool
	// Addr is the address listened on ("host:port"). Requests must name it, or a loopback
	// name, as their Host: a page served under another name (DNS rebinding) gets nothing.
	Addr string
}

// Server serves the pages.
type Server struct {
	opt   Options
	token string // the form's CSRF token, one per server run
	// mu runs one render at a time: renders share the cache folder, and two at once would
	// only compete for the same two cores.
	mu sync.Mutex
}

// New makes a server.
func New(opt Options) (*Server, error) {
	if opt.Config == nil || opt.Store == nil {
		return nil, errors.New("web: a config and a store are required")
	}
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return nil, fmt.Errorf("make form token: %w", err)
	}
	return &Server{opt: opt, token: hex.EncodeToString(b[:])}, nil
}

// Handler returns the routes.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", s.index)
	mux.HandleFunc("GET /services/{name}", s.service)
	mux.HandleFunc("GET /plan", s.plan)
	if !s.opt.ReadOnly {
		mux.HandleFunc("GET /new", s.newForm)
		mux.HandleFunc("POST /new", s.newPost)
	}
	return s.guard(mux)
}

// guard refuses requests whose Host is not this server's (DNS rebinding) and sets headers that
// keep the pages from being framed or from loading anything from elsewhere.
func (s *Server) guard(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !s.hostAllowed(r.Host) {
			http.Error(w, "unknown host "+r.Host, http.StatusMisdirectedRequest)
			return
		}
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		// same-origin, not no-referrer: with no-referrer browsers send "Origin: null" on posts.
		h.Set("Referrer-Policy", "same-origin")
		next.ServeHTTP(w, r)
	})
}

func (s *Server) hostAllowed(host string) bool {
	name, port, err := net.SplitHostPort(host)
	if err != nil {
		name, port = host, ""
	}
	_, wantPort, err := net.SplitHostPort(s.opt.Addr)
	if err != nil || (port != "" && port != wantPort && wantPort != "0") {
		return false
	}
	if IsLoopback(name) {
		return true
	}
	want, _, _ := net.SplitHostPort(s.opt.Addr)
	// Bound to every interface: the server answers to whatever name the network gives it.
	return want == "" || want == "0.0.0.0" || want == "::" || strings.EqualFold(name, want)
}

// IsLoopback reports whether a host name or address is this machine only.
func IsLoopback(host string) bool {
	host = strings.Trim(host, "[]")
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// state is one render of the repo against the store.
type state struct {
	res  *action.Result
	repo *services.Repo // the service files as loaded (broken ones left out)
	// items maps a pipeline's source ("FILE: STACK/KEY") to its plan item.
	items map[string]plan.Item
}

func (s *Server) load(ctx context.Context, f action.Filter) (*state, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	cfg := s.opt.Config
	res, err := action.Diff(ctx, cfg, s.opt.Store, action.DiffOptions{Filter: f, KeepDocuments: true})
	if err != nil {
		return nil, err
	}
	repo, lerr := services.Load(ctx, cfg.Root, cfg.Services)
	if repo == nil {
		return nil, lerr
	}
	st := &state{res: res, repo: repo, items: map[string]plan.Item{}}
	if res.Plan != nil {
		for _, it := range res.Plan.Items {
			if it.Source != "" {
				st.items[it.Source] = it
			}
		}
	}
	return st, nil
}

// status names what sync would do with a pipeline, as the index shows it.
func (st *state) status(source string) (label, class string) {
	if st.res.Plan == nil {
		return "not planned: see the problems", "problem"
	}
	it, ok := st.items[source]
	if !ok {
		return "not planned", "problem"
	}
	switch {
	case it.Drift != nil:
		by := it.Drift.By
		if by == "" {
			by = "someone"
		}
		return "drift: edited outside pipegen by " + by + "; sync reverts it", "drift"
	case it.Action == plan.Create:
		return "to create", "create"
	case it.Action == plan.Update, it.Action == plan.Adopt:
		return "to update", "update"
	case it.Action == plan.Conflict:
		return "conflict: " + it.Reason, "conflict"
	}
	return string(it.Action), string(it.Action)
}

// problems lists the build's problems, those naming file first when file is set (only them).
func (st *state) problems(file string) []string {
	var out []string
	for _, p := range st.res.Build.Problems {
		msg := p.Error()
		if file == "" || strings.Contains(msg, file) {
			out = append(out, msg)
		}
	}
	sort.Strings(out)
	return out
}

func (s *Server) index(w http.ResponseWriter, r *http.Request) {
	st, err := s.load(r.Context(), action.Filter{})
	if err != nil {
		s.fail(w, err)
		return
	}
	type row struct {
		Stack, Key, Name, Template, Status, Class string
	}
	type svc struct {
		*services.Service
		Rows []row
	}
	rendered := map[string]*action.Pipeline{}
	for _, p := range st.res.Build.Pipelines {
		rendered[p.Service+"/"+p.Stack+"/"+p.Key] = p
	}
	var list []svc
	for _, sv := range st.repo.Services {
		item := svc{Service: sv}
		for _, sk := range sv.Stacks {
			for _, e := range sk.Pipelines {
				r := row{Stack: sk.Name, Key: e.Key, Template: e.Template, Status: "did not render: see the problems", Class: "problem"}
				if p := rendered[sv.Name+"/"+sk.Name+"/"+e.Key]; p != nil {
					r.Name, r.Template = p.Name, p.Template
					r.Status, r.Class = st.status(p.Source)
				}
				item.Rows = append(item.Rows, r)
			}
		}
		list = append(list, item)
	}
	var summary string
	if st.res.Plan != nil {
		summary = output.SummaryLine(st.res.Plan.Counts)
	}
	s.page(w, "index", "pipegen: services", map[string]any{
		"Services": list, "Problems": st.problems(""), "Summary": summary, "Store": s.opt.Store.Location(),
	})
}

func (s *Server) service(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	if !services.ValidName(name) {
		http.NotFound(w, r)
		return
	}
	st, err := s.load(r.Context(), action.Filter{Services: []string{name}})
	if err != nil {
		s.fail(w, err)
		return
	}
	sv := st.repo.Find(name)
	if sv == nil {
		http.NotFound(w, r)
		return
	}
	type variable struct {
		Name, Value, From string
	}
	type pipe struct {
		Key, Name, Template, Status, Class, Anchor string
		Graph, GraphError, YAML, JSON              string
		Vars                                       []variable
	}
	type stack struct {
		Name      string
		Pipelines []pipe
	}
	rendered := map[string]*action.Pipeline{}
	for _, p := range st.res.Build.Pipelines {
		if p.Service == name {
			rendered[p.Stack+"/"+p.Key] = p
		}
	}
	var stacks []stack
	for _, sk := range sv.Stacks {
		out := stack{Name: sk.Name}
		for _, e := range sk.Pipelines {
			pp := pipe{Key: e.Key, Template: e.Template, Anchor: sk.Name + "-" + e.Key}
			ctx := services.Context(s.opt.Config.Vars, sv, sk, e)
			for _, o := range services.Origins(s.opt.Config.Vars, sv, sk, e) {
				pp.Vars = append(pp.Vars, variable{o.Name, compactJSON(ctx[o.Name]), strings.Join(o.Layers, " < ")})
			}
			p := rendered[sk.Name+"/"+e.Key]
			if p == nil {
				pp.Status, pp.Class = "did not render: see the problems", "problem"
				out.Pipelines = append(out.Pipelines, pp)
				continue
			}
			pp.Name, pp.Template = p.Name, p.Template
			pp.Status, pp.Class = st.status(p.Source)
			pp.YAML = string(p.Text())
			pp.JSON = prettyJSON(p.Doc)
			it, ok := st.items[p.Source]
			if !ok { // no plan (problems elsewhere): the graph as rendered, nothing marked
				it = plan.Item{Action: plan.Unchanged, Application: p.Application, Name: p.Name, Desired: p.Doc}
			}
			var buf bytes.Buffer
			if err := output.ItemGraphSVG(&buf, it, stagegraphOptions(pp.Anchor, p.Name)); err != nil {
				pp.GraphError = err.Error()
			} else {
				pp.Graph = buf.String()
			}
			out.Pipelines = append(out.Pipelines, pp)
		}
		stacks = append(stacks, out)
	}
	s.page(w, "service", "pipegen: "+name, map[string]any{
		"Service": sv, "Stacks": stacks, "Problems": st.problems(sv.File),
	})
}

func (s *Server) plan(w http.ResponseWriter, r *http.Request) {
	var f action.Filter
	if name := r.URL.Query().Get("service"); name != "" {
		if !services.ValidName(name) {
			http.Error(w, "no such service", http.StatusNotFound)
			return
		}
		f.Services = []string{name}
	}
	st, err := s.load(r.Context(), f)
	if err != nil {
		s.fail(w, err)
		return
	}
	if st.res.Plan == nil {
		s.page(w, "problems", "pipegen: plan", map[string]any{"Problems": st.problems("")})
		return
	}
	var buf bytes.Buffer
	if err := output.PlanHTML(&buf, st.res.Plan); err != nil {
		s.fail(w, err)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, _ = w.Write(withNav(buf.Bytes(), !s.opt.ReadOnly))
}

// withNav puts the site's links at the top of the report's body, leaving the report itself as
// `diff -o html` writes it.
func withNav(page []byte, writable bool) []byte {
	var nav bytes.Buffer
	if err := pages.ExecuteTemplate(&nav, "nav", writable); err != nil {
		return page
	}
	i := bytes.Index(page, []byte("<body>"))
	if i < 0 {
		return page
	}
	i += len("<body>")
	return append(append(append([]byte(nil), page[:i]...), nav.Bytes()...), page[i:]...)
}

func (s *Server) page(w http.ResponseWriter, name, title string, data map[string]any) {
	data["Title"] = title
	data["Writable"] = !s.opt.ReadOnly
	var buf bytes.Buffer
	if err := pages.ExecuteTemplate(&buf, name, data); err != nil {
		s.fail(w, err)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, _ = w.Write(buf.Bytes())
}

func (s *Server) fail(w http.ResponseWriter, err error) {
	http.Error(w, "error: "+err.Error(), http.StatusInternalServerError)
}

// sameOrigin reports whether a request's Origin (or, without one, its Referer) is this page's
// own: http://HOST as the request named it.
func sameOrigin(r *http.Request) bool {
	o := r.Header.Get("Origin")
	if o == "" || o == "null" {
		ref, err := url.Parse(r.Header.Get("Referer"))
		if err != nil || ref.Host == "" {
			return false
		}
		o = ref.Scheme + "://" + ref.Host
	}
	u, err := url.Parse(o)
	return err == nil && u.Scheme == "http" && u.Host == r.Host
}

func (s *Server) tokenOK(got string) bool {
	return subtle.ConstantTimeCompare([]byte(got), []byte(s.token)) == 1
}

// safeHTML marks markup pipegen itself generated (the stage graph, escaped by its writer).
func safeHTML(s string) template.HTML { return template.HTML(s) } //nolint:gosec // our own SVG
