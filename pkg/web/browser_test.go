package web

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/pipegen/pipegen/internal/testtool"
)

// browser starts Debian's chromium, headless, for one test.
func browser(t *testing.T) context.Context {
	t.Helper()
	path := testtool.Chromium(t)
	opts := []chromedp.ExecAllocatorOption{chromedp.ExecPath(path)}
	for _, f := range testtool.ChromiumFlags {
		opts = append(opts, chromedp.Flag(strings.TrimPrefix(f, "--"), true))
	}
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelC := chromedp.NewContext(actx)
	ctx, cancelT := context.WithTimeout(ctx, 60*time.Second)
	t.Cleanup(func() { cancelT(); cancelC(); cancelA() })
	return ctx
}

func run(t *testing.T, ctx context.Context, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, actions...); err != nil {
		t.Fatal(err)
	}
}

func get[T any](t *testing.T, ctx context.Context, a chromedp.Action[T]) T {
	t.Helper()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func page(t *testing.T, ctx context.Context, url string) string {
	t.Helper()
	run(t, ctx, chromedp.Navigate(url))
	return get(t, ctx, chromedp.OuterHTML("html"))
}

func mustContain(t *testing.T, what, page string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(page, w) {
			t.Errorf("%s lacks %q", what, w)
		}
	}
}

// The worked example in a real browser: the services page before and after a sync, a service's
// pipelines with graphs and variables, and the plan after a template edit.
func TestBrowser(t *testing.T) {
	s := newSite(t, false)
	ctx := browser(t)
	base := s.srv.URL

	idx := page(t, ctx, base+"/")
	mustContain(t, "index", idx, "my-microservice", `class="product">azar<`, `class="team">azar-backend1<`,
		`data-pipeline="prod/canary"`, "deploy-prod", "to create", "3 to create")
	if n := strings.Count(idx, ">to create<"); n != 3 {
		t.Errorf("index: %d pipelines to create, want 3", n)
	}

	s.sync(t)
	idx = page(t, ctx, base+"/")
	if n := strings.Count(idx, ">unchanged<"); n != 3 {
		t.Errorf("index after sync: %d unchanged, want 3", n)
	}

	svc := page(t, ctx, base+"/services/my-microservice")
	mustContain(t, "service page", svc, `id="graph-prod-canary"`, `data-ref-id="build"`, "Rendered YAML",
		`data-var="replicas"`, "service &lt; stack", `data-var="chart_version"`, ">global<", `data-var="steps"`, ">entry<")
	if n := strings.Count(svc, `class="stagegraph"`); n != 3 {
		t.Errorf("service page: %d stage graphs, want 3", n)
	}

	// A template edit shows at once: the pages render the repo afresh.
	tmpl := filepath.Join(s.root, "templates", "deploy.yml")
	data, _ := os.ReadFile(tmpl)
	edited := strings.Replace(string(data), "name: Build Image", "name: Build The Image", 1)
	if edited == string(data) {
		t.Fatal("deploy.yml has no Build Image stage")
	}
	write(t, tmpl, edited)
	plan := page(t, ctx, base+"/plan")
	mustContain(t, "plan", plan, "2 to update", "Build The Image", `data-pipeline="my-microservice/deploy-dev"`, `data-mark="changed"`, `href="/new"`)
	idx = page(t, ctx, base+"/")
	if n := strings.Count(idx, ">to update<"); n != 2 {
		t.Errorf("index after the edit: %d to update, want 2", n)
	}
}

// A page on another origin that posts the form (with a guessed token) from the user's browser
// writes nothing.
func TestBrowserCrossSitePost(t *testing.T) {
	s := newSite(t, false)
	ctx := browser(t)
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		_, _ = w.Write([]byte(`<!DOCTYPE html><form id="f" method="post" action="` + s.srv.URL + `/new">
<input name="token" value="guess"><input name="name" value="evil"><input name="stack" value="dev">
<input name="template" value="deploy"></form><script>document.getElementById("f").submit()</script>`))
	}))
	defer evil.Close()
	run(t, ctx, chromedp.Navigate(evil.URL))
	_ = get(t, ctx, chromedp.Poll[bool](`location.href.endsWith("/new")`))
	text := get(t, ctx, chromedp.Text("body"))
	mustContain(t, "response to the forged post", text, "refused")
	if files := s.files(t, "services"); len(files) != 1 {
		t.Errorf("files written: %v", files)
	}
}
