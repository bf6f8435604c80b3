package web

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/pipegen/pipegen/pkg/action"
	"github.com/pipegen/pipegen/pkg/config"
	"github.com/pipegen/pipegen/pkg/front50"
	"github.com/pipegen/pipegen/pkg/services"
)

// site is the worked example (this repo's services/, templates/ and pipegen.yaml) copied to a
// temporary repo with an empty embedded store, served on loopback.
type site struct {
	root  string
	cfg   *config.Config
	store front50.Store
	srv   *httptest.Server
}

func newSite(t *testing.T, readOnly bool) *site {
	t.Helper()
	root := t.TempDir()
	for _, dir := range []string{"services", "templates"} {
		if err := os.CopyFS(filepath.Join(root, dir), os.DirFS(filepath.Join("..", "..", dir))); err != nil {
			t.Fatal(err)
		}
	}
	data, err := os.ReadFile(filepath.Join("..", "..", "pipegen.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	// The example's deploy template needs `replicas`, which the form (like the seed's) does not
	// ask for: a repo-wide default lets a service made with the form render.
	conf := strings.Replace(string(data), "vars:\n", "vars:\n  replicas: 1\n", 1)
	if conf == string(data) {
		t.Fatal("pipegen.yaml has no vars: section")
	}
	write(t, filepath.Join(root, "pipegen.yaml"), conf)
	cfg, err := config.Load(config.Overrides{Dir: root}, func(string) string { return "" }, root)
	if err != nil {
		t.Fatal(err)
	}
	store, err := front50.Open(context.Background(), front50.Config{URL: cfg.Store, BaseDir: cfg.Root})
	if err != nil {
		t.Fatal(err)
	}
	s := &site{root: root, cfg: cfg, store: store}
	s.srv = httptest.NewUnstartedServer(nil)
	srv, err := New(Options{Config: cfg, Store: store, ReadOnly: readOnly, Addr: s.srv.Listener.Addr().String()})
	if err != nil {
		t.Fatal(err)
	}
	s.srv.Config.Handler = srv.Handler()
	s.srv.Start()
	t.Cleanup(s.srv.Close)
	return s
}

func write(t *testing.T, name, data string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(name, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

// sync writes the repo's plan to the store, as `pipegen sync` does.
func (s *site) sync(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	res, err := action.Diff(ctx, s.cfg, s.store, action.DiffOptions{})
	if err != nil || res.Plan == nil {
		t.Fatalf("diff: %v %v", err, res.Build.Problems)
	}
	rep, err := action.Apply(ctx, s.store, res.Plan, action.SyncOptions{})
	if err == nil {
		err = rep.Err()
	}
	if err != nil {
		t.Fatal(err)
	}
}

// storeFiles lists every file under the embedded store, to show nothing was written there.
func (s *site) files(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	_ = filepath.WalkDir(filepath.Join(s.root, dir), func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			out = append(out, p)
		}
		return nil
	})
	return out
}

func (s *site) get(t *testing.T, path string) (int, string) {
	t.Helper()
	resp, err := http.Get(s.srv.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

var tokenRe = regexp.MustCompile(`name="token" value="([0-9a-f]+)"`)

func (s *site) token(t *testing.T) string {
	t.Helper()
	_, body := s.get(t, "/new")
	m := tokenRe.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no token in the form:\n%s", body)
	}
	return m[1]
}

func (s *site) post(t *testing.T, form url.Values, header map[string]string) (int, string) {
	t.Helper()
	req, err := http.NewRequest("POST", s.srv.URL+"/new", strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for k, v := range header {
		if k == "Host" {
			req.Host = v
			continue
		}
		req.Header.Set(k, v)
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func validForm(token string) url.Values {
	return url.Values{"token": {token}, "name": {"payments"}, "product": {"azar"}, "team": {"pay"},
		"namespace": {"pay-ns"}, "gitRepo": {"azar/payments"}, "stack": {"dev", "prod"}, "template": {"deploy"}}
}

// Forged posts write nothing: no token, a wrong token, another origin, no origin at all, and a
// Host that is not the server's (a DNS-rebinding page).
func TestForgedPostsWriteNothing(t *testing.T) {
	s := newSite(t, false)
	tok := s.token(t)
	self := s.srv.URL
	tests := []struct {
		name   string
		form   url.Values
		header map[string]string
		code   int
	}{
		{"no token", func() url.Values { f := validForm(tok); f.Del("token"); return f }(), map[string]string{"Origin": self}, http.StatusForbidden},
		{"wrong token", validForm(strings.Repeat("0", 64)), map[string]string{"Origin": self}, http.StatusForbidden},
		{"another origin", validForm(tok), map[string]string{"Origin": "http://evil.example"}, http.StatusForbidden},
		{"another origin in Referer", validForm(tok), map[string]string{"Referer": "http://evil.example/x"}, http.StatusForbidden},
		{"opaque origin", validForm(tok), map[string]string{"Origin": "null"}, http.StatusForbidden},
		{"no origin", validForm(tok), nil, http.StatusForbidden},
		{"rebound host", validForm(tok), map[string]string{"Host": "evil.example", "Origin": "http://evil.example"}, http.StatusMisdirectedRequest},
	}
	before := s.files(t, "services")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, body := s.post(t, tt.form, tt.header)
			if code != tt.code {
				t.Errorf("status %d, want %d: %s", code, tt.code, body)
			}
			if got := s.files(t, "services"); len(got) != len(before) {
				t.Errorf("files written: %v", got)
			}
		})
	}
	if got := s.files(t, ".pipegen/front50"); len(got) != 0 {
		t.Errorf("store written: %v", got)
	}
	// The same form, posted properly, is accepted: the refusals above are the checks, not a
	// form that never works.
	code, body := s.post(t, validForm(tok), map[string]string{"Origin": self})
	if code != http.StatusSeeOther {
		t.Fatalf("status %d: %s", code, body)
	}
	if _, err := os.Stat(filepath.Join(s.root, "services", "azar", "payments.yaml")); err != nil {
		t.Fatal(err)
	}
}

// A form that would make a broken repo is refused with validate's message and writes nothing;
// an existing service is never overwritten.
func TestNewRefusesInvalid(t *testing.T) {
	s := newSite(t, false)
	tok := s.token(t)
	hdr := map[string]string{"Origin": s.srv.URL}
	tests := []struct {
		name string
		edit func(url.Values)
		want string
	}{
		{"template needing variables", func(f url.Values) { f["template"] = []string{"deploy-canary"} }, "undefined"},
		{"existing service", func(f url.Values) { f.Set("name", "my-microservice"); f.Set("product", "other") }, `service &#34;my-microservice&#34; already exists: services/azar/my-microservice.yaml`},
		{"existing file", func(f url.Values) { f.Set("name", "my-microservice") }, "already exists"},
		{"bad name", func(f url.Values) { f.Set("name", "../x") }, "name &#34;../x&#34;"},
		{"bad product", func(f url.Values) { f.Set("product", "../x") }, "product &#34;../x&#34;"},
		{"no stack", func(f url.Values) { f.Del("stack") }, "choose at least one stack"},
		{"unknown template", func(f url.Values) { f["template"] = []string{"nope"} }, `template &#34;nope&#34; not found`},
	}
	before := s.files(t, "services")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := validForm(tok)
			tt.edit(f)
			code, body := s.post(t, f, hdr)
			if code != http.StatusUnprocessableEntity || !strings.Contains(body, tt.want) {
				t.Errorf("status %d, want 422 and %q in:\n%s", code, tt.want, body)
			}
			if got := s.files(t, "services"); len(got) != len(before) {
				t.Errorf("files written: %v", got)
			}
		})
	}
	data, _ := os.ReadFile(filepath.Join(s.root, "services", "azar", "my-microservice.yaml"))
	if !strings.Contains(string(data), "deploy-canary") {
		t.Errorf("the existing service file changed:\n%s", data)
	}
}

// The file the form writes is a service file as a person would write it, and loads.
func TestNewWritesServiceFile(t *testing.T) {
	s := newSite(t, false)
	code, body := s.post(t, validForm(s.token(t)), map[string]string{"Origin": s.srv.URL})
	if code != http.StatusSeeOther {
		t.Fatalf("status %d: %s", code, body)
	}
	data, err := os.ReadFile(filepath.Join(s.root, "services", "azar", "payments.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	want := `# Added with pipegen serve's form.
name: payments
product: azar
team: pay
namespace: pay-ns
gitRepo: azar/payments
stacks:
    dev:
        pipelines: [deploy]
    prod:
        pipelines: [deploy]
`
	if string(data) != want {
		t.Errorf("file:\n%s\nwant:\n%s", data, want)
	}
	svc, errs := services.Parse("x.yaml", data)
	if len(errs) > 0 || svc.Name != "payments" || len(svc.Stacks) != 2 {
		t.Fatalf("%v %+v", errs, svc)
	}
	if got := s.files(t, ".pipegen/front50"); len(got) != 0 {
		t.Errorf("store written: %v", got)
	}
}

// Read-only (a non-loopback address without --allow-writes) has no form at all.
func TestReadOnlyHasNoForm(t *testing.T) {
	s := newSite(t, true)
	if code, _ := s.get(t, "/new"); code != http.StatusNotFound && code != http.StatusMethodNotAllowed {
		t.Errorf("GET /new: %d", code)
	}
	code, _ := s.post(t, validForm("x"), map[string]string{"Origin": s.srv.URL})
	if code < 400 {
		t.Errorf("POST /new: %d", code)
	}
	if got := s.files(t, "services"); len(got) != 1 {
		t.Errorf("files: %v", got)
	}
	if code, body := s.get(t, "/"); code != 200 || strings.Contains(body, `href="/new"`) {
		t.Errorf("index: %d, links the form: %v", code, strings.Contains(body, `href="/new"`))
	}
}

func TestHostAllowed(t *testing.T) {
	tests := []struct {
		addr, host string
		want       bool
	}{
		{"127.0.0.1:8080", "127.0.0.1:8080", true},
		{"127.0.0.1:8080", "localhost:8080", true},
		{"127.0.0.1:8080", "[::1]:8080", true},
		{"127.0.0.1:8080", "evil.example:8080", false},
		{"127.0.0.1:8080", "127.0.0.1:9090", false},
		{"0.0.0.0:8080", "build-box:8080", true},
		{"10.0.0.5:8080", "10.0.0.5:8080", true},
		{"10.0.0.5:8080", "evil.example:8080", false},
	}
	for _, tt := range tests {
		s := &Server{opt: Options{Addr: tt.addr}}
		if got := s.hostAllowed(tt.host); got != tt.want {
			t.Errorf("addr %s host %s: %v, want %v", tt.addr, tt.host, got, tt.want)
		}
	}
}

func TestOrigins(t *testing.T) {
	svc := &services.Service{Name: "a", Vars: map[string]any{"replicas": 1, "m": map[string]any{"x": 1}}}
	st := &services.Stack{Name: "prod", Vars: map[string]any{"replicas": 3, "m": map[string]any{"y": 2}}}
	e := &services.Entry{Key: "k", Vars: map[string]any{"steps": []any{1}}}
	got := map[string]string{}
	for _, o := range services.Origins(map[string]any{"chart": "1"}, svc, st, e) {
		got[o.Name] = strings.Join(o.Layers, ",")
	}
	want := map[string]string{"chart": "global", "replicas": "service,stack", "m": "service,stack", "steps": "entry", "app_name": "built-in", "stack": "built-in", "service": "built-in"}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: %q, want %q", k, got[k], v)
		}
	}
}

// validate's problems show on the index, with file and line, and no pipeline claims a status.
func TestIndexShowsProblems(t *testing.T) {
	s := newSite(t, false)
	tmpl := filepath.Join(s.root, "templates", "deploy.yml")
	data, _ := os.ReadFile(tmpl)
	write(t, tmpl, strings.Replace(string(data), "{{ app_name }}", "{{ app_nmae }}", 1))
	code, body := s.get(t, "/")
	if code != 200 {
		t.Fatalf("status %d", code)
	}
	for _, want := range []string{`class="problems"`, "templates/deploy.yml:", "undefined variable &#34;app_nmae&#34;", `data-pipeline="prod/canary"`, "did not render: see the problems"} {
		if !strings.Contains(body, want) {
			t.Errorf("index lacks %q:\n%s", want, body)
		}
	}
	if strings.Contains(body, ">to create<") {
		t.Error("a pipeline claims a status while the repo has problems")
	}
	if code, body := s.get(t, "/plan"); code != 200 || !strings.Contains(body, "No plan") {
		t.Errorf("/plan: %d", code)
	}
	if code, _ := s.get(t, "/services/nope"); code != http.StatusNotFound {
		t.Errorf("/services/nope: %d", code)
	}
}

// A pipeline edited in the UI after pipegen wrote it shows as drift, naming who edited it.
func TestIndexShowsDrift(t *testing.T) {
	s := newSite(t, false)
	s.sync(t)
	files := s.files(t, ".pipegen/front50/pipelines")
	edited := 0
	for _, f := range files {
		if !strings.HasSuffix(f, "pipeline-metadata.json") {
			continue
		}
		data, _ := os.ReadFile(f)
		var d map[string]any
		if err := json.Unmarshal(data, &d); err != nil {
			t.Fatal(err)
		}
		if d["name"] != "deploy-dev" {
			continue
		}
		d["description"] = "edited in the UI"
		d["lastModifiedBy"] = "alice@example.com"
		b, _ := json.Marshal(d)
		write(t, f, string(b))
		edited++
	}
	if edited != 1 {
		t.Fatalf("edited %d stored objects, want 1 (of %v)", edited, files)
	}
	_, body := s.get(t, "/")
	if !strings.Contains(body, "drift: edited outside pipegen by alice@example.com; sync reverts it") {
		t.Errorf("index shows no drift:\n%s", body)
	}
	if n := strings.Count(body, ">unchanged<"); n != 2 {
		t.Errorf("%d unchanged, want 2", n)
	}
}

// SpEL's < > & reach the page as written (html/template escapes them for HTML), never as
// JSON's \u003c escapes.
func TestPageJSONKeepsSpEL(t *testing.T) {
	v := map[string]any{"when": "${a < b && c > d}"}
	if got, want := compactJSON(v), `{"when":"${a < b && c > d}"}`; got != want {
		t.Errorf("compactJSON = %s, want %s", got, want)
	}
	if got := prettyJSON(v); strings.Contains(got, `\u00`) {
		t.Errorf("prettyJSON = %s, HTML-escaped", got)
	}
}
