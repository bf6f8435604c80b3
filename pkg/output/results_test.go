package output

import (
	"bytes"
	"errors"
	"fmt"
	"testing"

	"github.com/pipegen/pipegen/pkg/action"
	"github.com/pipegen/pipegen/pkg/iostreams"
	"github.com/pipegen/pipegen/pkg/plan"
)

func TestSyncReport(t *testing.T) {
	item := func(a plan.Action, name string) plan.Item {
		return plan.Item{Action: a, ID: "id-" + name, Application: "app", Name: name}
	}
	full := &action.Report{
		Done:         []action.Outcome{{Item: item(plan.Create, "new")}, {Item: item(plan.Update, "changed")}, {Item: item(plan.Adopt, "taken")}, {Item: item(plan.Delete, "gone")}},
		Failed:       []action.Outcome{{Item: item(plan.Update, "raced"), Err: errors.New("write app/raced (id-raced): changed by someone else since it was read")}},
		NotStarted:   []plan.Item{item(plan.Create, "late")},
		BumpErr:      errors.New("access denied"),
		SummariesErr: errors.New("put s3://bucket/front50/pipegen.summaries: access denied"),
		Conflicts:    []plan.Item{{Action: plan.Conflict, ID: "id-taken-name", Application: "app", Name: "taken-name", Source: "services/app.yaml: dev/deploy", Reason: `a pipeline named "Taken-Name" (id 0f5f) exists in app and was not made by pipegen; sync --adopt takes it over and keeps its id`}},
	}
	for _, tc := range []struct {
		file  string
		rep   *action.Report
		color bool
		quiet bool
	}{
		{"sync-report.txt", full, false, false},
		{"sync-report-quiet.txt", full, false, true},
		{"sync-report-color.txt", full, true, false},
		{"sync-report-nothing.txt", &action.Report{}, false, false},
	} {
		t.Run(tc.file, func(t *testing.T) {
			var out, errOut bytes.Buffer
			if err := SyncReport(&out, &errOut, tc.rep, iostreams.NewColorScheme(tc.color), tc.quiet); err != nil {
				t.Fatal(err)
			}
			golden(t, tc.file, []byte(fmt.Sprintf("--- stdout\n%s--- stderr\n%s", out.String(), errOut.String())))
		})
	}
}

func TestImportSummary(t *testing.T) {
	ip := &action.ImportPlan{
		Application: "shop", Store: "s3://front50/front50", Service: "services/shop.yaml", Templates: 2,
		Files: []action.ImportedFile{{Display: "services/shop.yaml", Old: []byte("name: shop\n")}, {Display: "templates/shop-deploy.yml"}},
		Pipelines: []action.ImportedPipeline{
			{ID: "id-1", Name: "deploy-dev", Stack: "dev", Key: "deploy", Template: "templates/shop-deploy.yml", Vars: 2, OwnershipChange: []string{"adds the pipegen marker"}},
			{ID: "id-2", Name: "deploy-prod", Stack: "prod", Key: "deploy", Template: "templates/shop-deploy.yml"},
		},
		Skipped: []action.SkippedPipeline{
			{ID: "id-3", Name: "managed", Reason: "managed by pipegen (services/shop.yaml: dev/x)", Managed: true},
			{ID: "id-4", Name: "odd", Reason: "its stages cannot be rendered exactly"},
		},
	}
	next := "pipegen diff --service shop --store s3://front50/front50"
	for _, tc := range []struct {
		file string
		ip   *action.ImportPlan
		opt  ImportOptions
	}{
		{"import.txt", ip, ImportOptions{Next: next}},
		{"import-verbose-color.txt", ip, ImportOptions{Next: next, Verbose: true}},
		{"import-dry-run.txt", ip, ImportOptions{Next: next, DryRun: true}},
		{"import-quiet.txt", ip, ImportOptions{Next: next, Quiet: true}},
		{"import-nothing.txt", &action.ImportPlan{Application: "shop", Store: "s3://front50/front50", Skipped: ip.Skipped}, ImportOptions{Next: next}},
	} {
		t.Run(tc.file, func(t *testing.T) {
			var out bytes.Buffer
			if err := ImportSummary(&out, tc.ip, iostreams.NewColorScheme(tc.opt.Verbose), tc.opt); err != nil {
				t.Fatal(err)
			}
			golden(t, tc.file, out.Bytes())
		})
	}
}
