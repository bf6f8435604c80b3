package output

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/pipegen/pipegen/pkg/diff"
	"github.com/pipegen/pipegen/pkg/front50"
	"github.com/pipegen/pipegen/pkg/pipeline"
	"github.com/pipegen/pipegen/pkg/plan"
)

// templateChangePlan is the plan of one template change: a stage inserted into n pipelines,
// one per service, made by plan.Make from stored and desired documents.
func templateChangePlan(t *testing.T, n int) *plan.Plan {
	t.Helper()
	var desired []*plan.Desired
	var stored []*front50.Pipeline
	for i := 0; i < n; i++ {
		svc := fmt.Sprintf("svc-%02d", i)
		m := pipeline.Marker{Service: svc, Stack: "prod", Key: "deploy", File: "services/" + svc + ".yaml"}
		id := pipeline.PipelineID(svc, "prod", "deploy")
		base := func() map[string]any {
			return map[string]any{
				"id": id, "application": svc, "name": "deploy-prod", "schema": "1", "triggers": []any{},
				pipeline.MarkerKey: map[string]any{"id": id, "service": svc, "stack": "prod", "key": "deploy", "file": m.File},
				"stages": []any{
					map[string]any{"refId": "bake", "type": "bakeManifest", "name": "Bake"},
					map[string]any{"refId": "deploy", "type": "deployManifest", "name": "Deploy", "requisiteStageRefIds": []any{"bake"}},
				},
			}
		}
		cur := base()
		cur[pipeline.FieldLastModifiedBy] = pipeline.WrittenBy
		stored = append(stored, &front50.Pipeline{Info: front50.Info{ID: id, ETag: `"e"`}, Doc: cur})
		des := base()
		des["stages"] = []any{
			des["stages"].([]any)[0],
			map[string]any{"refId": "scan", "type": "wait", "name": "Scan image", "waitTime": json.Number("30"), "requisiteStageRefIds": []any{"bake"}},
			map[string]any{"refId": "deploy", "type": "deployManifest", "name": "Deploy", "requisiteStageRefIds": []any{"scan"}},
		}
		desired = append(desired, &plan.Desired{ID: id, Application: svc, Name: "deploy-prod", Source: m.Source(), Marker: m, Doc: des})
	}
	p, err := plan.Make(context.Background(), desired, front50.NewState(stored, nil), plan.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// One stage inserted into 50 pipelines reads as one change with its pipelines, in a few dozen
// lines, in every format.
func TestTemplateChangeFiftyPipelines(t *testing.T) {
	p := templateChangePlan(t, 50)

	var text bytes.Buffer
	if err := PlanText(&text, p, nil, false); err != nil {
		t.Fatal(err)
	}
	golden(t, "plan-50.txt", text.Bytes())
	if n := strings.Count(text.String(), "\n"); n > 40 {
		t.Errorf("text plan of one template change is %d lines", n)
	}
	var verbose bytes.Buffer
	if err := PlanText(&verbose, p, nil, true); err != nil {
		t.Fatal(err)
	}
	for _, it := range p.Items {
		if !strings.Contains(verbose.String(), fullName(it)+"  (") {
			t.Errorf("-v does not name %s", fullName(it))
		}
	}

	var md bytes.Buffer
	if err := PlanMarkdown(&md, p, MarkdownOptions{}); err != nil {
		t.Fatal(err)
	}
	golden(t, "plan-50.md", md.Bytes())
	checkMarkdown(t, md.String())
	if n := strings.Count(md.String(), "\n"); n > 40 {
		t.Errorf("markdown plan of one template change is %d lines", n)
	}
	for _, it := range p.Items {
		if strings.Count(md.String(), codeSpan(fullName(it))) != 1 {
			t.Errorf("markdown names %s %d times, want once", fullName(it), strings.Count(md.String(), codeSpan(fullName(it))))
		}
	}

	var js bytes.Buffer
	if err := PlanJSON(&js, p); err != nil {
		t.Fatal(err)
	}
	var got struct {
		Groups []struct {
			Count     int
			Pipelines []string
			Changes   []json.RawMessage
		}
		Pipelines []struct {
			ID    string
			Group *int
		}
	}
	if err := json.Unmarshal(js.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if len(got.Groups) != 1 || got.Groups[0].Count != 50 || len(got.Groups[0].Pipelines) != 50 || len(got.Groups[0].Changes) != 2 {
		t.Fatalf("groups: %+v", got.Groups)
	}
	for i, pl := range got.Pipelines {
		if pl.Group == nil || *pl.Group != 0 || got.Groups[0].Pipelines[i] != pl.ID {
			t.Errorf("pipeline %s not marked as a member of group 0", pl.ID)
		}
	}
}

// longPlan has one pipeline per application, each with a different change to a script of
// the given number of lines.
func longPlan(apps, lines int) *plan.Plan {
	p := &plan.Plan{}
	for i := 0; i < apps; i++ {
		var from, to strings.Builder
		for l := 0; l < lines; l++ {
			fmt.Fprintf(&from, "echo step %d of app %d\n", l, i)
			if l%10 == 3 {
				fmt.Fprintf(&to, "echo step %d of app %d, changed\n", l, i)
			} else {
				fmt.Fprintf(&to, "echo step %d of app %d\n", l, i)
			}
		}
		app := fmt.Sprintf("app-%03d", i)
		p.Items = append(p.Items, plan.Item{
			Action: plan.Update, ID: fmt.Sprintf("00000000-0000-5000-8000-%012d", i), Application: app, Name: "deploy",
			Source:  "services/" + app + ".yaml: prod/deploy",
			Changes: []diff.Change{{Kind: diff.Changed, Path: "stages[refId=run].command", From: from.String(), To: to.String(), Lines: diff.LineDiff(from.String(), to.String(), diff.LineContext)}},
		})
		p.Counts.Update++
	}
	return p
}

// Past the limit, the last sections lose their code blocks whole, the summary and the first
// sections stay, and the note says where the full plan is.
func TestPlanMarkdownShortened(t *testing.T) {
	var buf bytes.Buffer
	opt := MarkdownOptions{Limit: 6000, FullPlan: "https://ci.example.com/job/42/artifacts/plan.txt"}
	if err := PlanMarkdown(&buf, longPlan(12, 60), opt); err != nil {
		t.Fatal(err)
	}
	golden(t, "plan-short.md", buf.Bytes())
	md := buf.String()
	checkMarkdown(t, md)
	if len(md) > opt.Limit {
		t.Errorf("%d characters, limit %d", len(md), opt.Limit)
	}
	if !strings.HasPrefix(md, "### pipegen plan: 0 to create, 12 to update") {
		t.Errorf("summary not first: %.60q", md)
	}
	if !strings.Contains(md, "The full plan: https://ci.example.com/job/42/artifacts/plan.txt.") {
		t.Error("the note does not say where the full plan is")
	}
	if !strings.Contains(md, "step 3 of app 0, changed") {
		t.Error("the first section lost its detail")
	}
	if strings.Contains(md, "step 3 of app 11, changed") {
		t.Error("the last section kept its detail")
	}
	for i := 0; i < 12; i++ {
		if !strings.Contains(md, fmt.Sprintf("<b>app-%03d</b>", i)) {
			t.Errorf("app-%03d left out entirely although short forms fit", i)
		}
	}

	// Over a thousand applications: even one line each is too much; the end is left out, said so.
	buf.Reset()
	if err := PlanMarkdown(&buf, longPlan(1300, 4), MarkdownOptions{}); err != nil {
		t.Fatal(err)
	}
	md = buf.String()
	checkMarkdown(t, md)
	if !strings.Contains(md, "more section(s) left out for size") || !strings.Contains(md, "run `pipegen diff`") {
		t.Errorf("no note on what was left out:\n%s", md[len(md)-400:])
	}

	// Under the limit nothing is left out.
	buf.Reset()
	if err := PlanMarkdown(&buf, longPlan(3, 60), MarkdownOptions{}); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(buf.String(), "left out") || strings.Count(buf.String(), "```diff") != 3 {
		t.Error("a short plan lost detail")
	}
}
