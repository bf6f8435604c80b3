package output

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/pipegen/pipegen/pkg/diff"
	"github.com/pipegen/pipegen/pkg/plan"
)

// appPlan has one application of each kind, a permission change among them.
func appPlan() *plan.Plan {
	items := []plan.AppItem{
		{Action: plan.AppCreate, Name: "cart", Source: "services/cart.yaml", Minimal: true,
			Changes: []diff.Change{{Kind: diff.Added, Path: "email", To: "nobody@pipegen.invalid"}, {Kind: diff.Added, Path: "cloudProviders", To: []any{"kubernetes"}}}},
		{Action: plan.AppUpdate, Name: "shop", Source: "services/shop.yaml",
			Permissions: &plan.PermissionChange{
				Gains: []plan.Grant{{Group: "release", Access: "READ"}, {Group: "release", Access: "WRITE"}},
				Loses: []plan.Grant{{Group: "devops", Access: "READ"}},
				From:  map[string][]string{"READ": {"devops", "shop-team"}, "WRITE": {"shop-team"}},
				To:    map[string][]string{"READ": {"release", "shop-team"}, "WRITE": {"release", "shop-team"}},
			},
			Changes: []diff.Change{{Kind: diff.Changed, Path: "description", From: "The shop", To: "The new shop"}}},
		{Action: plan.AppConflict, Name: "ui", Source: "services/ui.yaml", Reason: "this application exists and was not made by pipegen",
			Permissions: &plan.PermissionChange{FromUnrestricted: true, Gains: []plan.Grant{{Group: "ui-team", Access: "READ"}},
				From: map[string][]string{}, To: map[string][]string{"READ": {"ui-team"}}}},
		{Action: plan.AppUpdate, Name: "open", Source: "services/open.yaml",
			Permissions: &plan.PermissionChange{ToUnrestricted: true, Loses: []plan.Grant{{Group: "a", Access: "EXECUTE"}},
				From: map[string][]string{"EXECUTE": {"a"}}, To: map[string][]string{}}},
		{Action: plan.AppUnchanged, Name: "same", Source: "services/same.yaml"},
		{Action: plan.AppKept, Name: "gone", Source: "services/gone.yaml", Reason: "its service is gone from the source"},
	}
	return &plan.Plan{Items: []plan.Item{}, Applications: items,
		AppCounts: plan.AppCounts{Create: 1, Update: 2, Unchanged: 1, Conflict: 1, Kept: 1}}
}

func TestPlanApplications(t *testing.T) {
	p := appPlan()
	var text, md, js bytes.Buffer
	if err := PlanText(&text, p, nil, true); err != nil {
		t.Fatal(err)
	}
	golden(t, "apps.txt", text.Bytes())
	if err := PlanMarkdown(&md, p, MarkdownOptions{}); err != nil {
		t.Fatal(err)
	}
	golden(t, "apps.md", md.Bytes())
	if err := PlanJSON(&js, p); err != nil {
		t.Fatal(err)
	}
	golden(t, "apps.json", js.Bytes())
	var page bytes.Buffer
	if err := PlanHTML(&page, p); err != nil {
		t.Fatal(err)
	}
	golden(t, "apps.html", page.Bytes())

	// Permissions come first and say who gains and who loses, in every format.
	for name, out := range map[string]string{"text": text.String(), "markdown": md.String(), "html": page.String()} {
		perm := strings.Index(out, "release gains READ, WRITE")
		desc := strings.Index(out, "description")
		if perm < 0 || desc < 0 || perm > desc || !strings.Contains(out, "devops loses READ") ||
			!strings.Contains(out, "becomes unrestricted") || !strings.Contains(out, "was unrestricted") {
			t.Errorf("%s: permissions not first or not plain:\n%s", name, out)
		}
	}
	var doc struct {
		Applications []struct {
			Name        string
			Permissions *struct{ Gains, Loses []plan.Grant }
		}
		ApplicationSummary map[string]int
	}
	if err := json.Unmarshal(js.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Applications) != 6 || doc.Applications[1].Permissions == nil || len(doc.Applications[1].Permissions.Loses) != 1 || doc.ApplicationSummary["conflict"] != 1 {
		t.Errorf("json: %+v", doc)
	}
	// A plan whose only change is an application is not "No changes.".
	only := &plan.Plan{Applications: p.Applications[:1], AppCounts: plan.AppCounts{Create: 1}}
	md.Reset()
	if err := PlanMarkdown(&md, only, MarkdownOptions{}); err != nil || strings.HasPrefix(md.String(), "No changes") {
		t.Errorf("markdown of an application-only plan: %v\n%s", err, md.String())
	}
}
