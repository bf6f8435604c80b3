package web

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// The form, filled in and submitted in the browser as a person would: it writes a valid service
// file and shows its plan.
func TestBrowserForm(t *testing.T) {
	s := newSite(t, false)
	ctx := browser(t)
	run(t, ctx,
		chromedp.Navigate(s.srv.URL+"/new"),
		chromedp.SendKeys(`input[name=name]`, "payments"),
		chromedp.SendKeys(`input[name=product]`, "azar"),
		chromedp.SendKeys(`input[name=team]`, "pay"),
		chromedp.SendKeys(`input[name=namespace]`, "pay-ns"),
		chromedp.SendKeys(`input[name=gitRepo]`, "azar/payments"),
		chromedp.Click(`input[name=stack][value=dev]`),
		chromedp.Click(`input[name=template][value=deploy]`),
		chromedp.Click(`#create`),
	)
	// The post navigates: wait until the browser is on the page it led to.
	var loc string
	for i := 0; i < 100; i++ {
		time.Sleep(100 * time.Millisecond)
		if l, err := chromedp.Run(ctx, chromedp.Location()); err == nil && !strings.HasSuffix(l, "/new") {
			loc = l
			break
		}
	}
	run(t, ctx, chromedp.WaitReady("body"))
	body := get(t, ctx, chromedp.OuterHTML("html"))
	if !strings.HasSuffix(loc, "/plan?service=payments") {
		t.Fatalf("after the form: at %q:\n%s", loc, body)
	}
	mustContain(t, "plan after the form", body, "1 to create", `data-pipeline="payments/deploy-dev"`)
	got, err := os.ReadFile(filepath.Join(s.root, "services", "azar", "payments.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	mustContain(t, "payments.yaml", string(got), "name: payments\n", "team: pay\n", "namespace: pay-ns\n", "gitRepo: azar/payments\n", "    dev:\n        pipelines: [deploy]\n")
	if strings.Contains(string(got), "prod:") {
		t.Errorf("payments.yaml has a stack not chosen:\n%s", got)
	}
}
