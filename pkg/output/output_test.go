package output

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pipegen/pipegen/pkg/diff"
	"github.com/pipegen/pipegen/pkg/iostreams"
	"github.com/pipegen/pipegen/pkg/plan"
	"sigs.k8s.io/yaml"
)

var update = flag.Bool("update", false, "rewrite golden files")

// golden compares got with testdata/name, rewriting the file under -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("output differs from %s (go test -update rewrites it after review):\n%s", path, got)
	}
}

func num(s string) json.Number { return json.Number(s) }

// bigStage is long enough that printing it folds onto several lines.
func bigStage() map[string]any {
	return map[string]any{
		"refId": "verify", "type": "webhook", "name": "Verify rollout",
		"requisiteStageRefIds": []any{"deploy"},
		"url":                  "https://ci.example.com/hooks/verify?app=app-a&stack=dev",
		"payload": map[string]any{
			"expr":  "${ #stage('Deploy')['status'] == 'SUCCEEDED' && trigger.tag < 'v2' }",
			"notes": "uses ```fences``` in text",
		},
		"stageTimeoutMs": num("600000"),
	}
}

func testPlan() *plan.Plan {
	return &plan.Plan{
		Items: []plan.Item{
			{
				Action: plan.Create, ID: "1b2c0000-0000-5000-8000-000000000001", Application: "app-a", Name: "deploy-prod",
				Source: "services/app-a.yaml: prod/deploy",
				Desired: map[string]any{
					"application": "app-a", "name": "deploy-prod",
					"stages": []any{
						map[string]any{"refId": "bake", "type": "bakeManifest", "name": "Bake manifests"},
						map[string]any{"refId": "deploy", "type": "deployManifest", "name": "Deploy", "requisiteStageRefIds": []any{"bake"}},
						map[string]any{"refId": num("3"), "type": "manualJudgment"},
					},
				},
			},
			{
				Action: plan.Update, ID: "1b2c0000-0000-5000-8000-000000000002", Application: "app-a", Name: "deploy-dev",
				Source: "services/app-a.yaml: dev/deploy",
				Changes: []diff.Change{
					{Kind: diff.Changed, Path: "stages[refId=deploy].account", From: "staging", To: "dev"},
					{Kind: diff.Changed, Path: "stages[refId=deploy].requisiteStageRefIds", From: []any{"bake"}, To: []any{"bake", "check"}},
					{Kind: diff.Changed, Path: `stages[refId=deploy].overrides["image.tag"]`, From: "v1", To: num("2")},
					{Kind: diff.Added, Path: "stages[refId=verify]", To: bigStage()},
					{Kind: diff.Removed, Path: "triggers[id=7a0e].branch", From: "main"},
					{Kind: diff.Changed, Path: "stages[refId=bake].manifests[0]",
						From: map[string]any{"kind": "Deployment", "metadata": map[string]any{"name": "app-a", "namespace": "dev", "labels": map[string]any{"team": "backend"}}},
						To:   map[string]any{"kind": "Deployment", "metadata": map[string]any{"name": "app-a", "namespace": "dev-2", "labels": map[string]any{"team": "backend"}}}},
					{Kind: diff.Removed, Path: "parameterConfig[name=version]", From: map[string]any{"name": "version", "default": nil}},
					{Kind: diff.Reordered, Path: "notifications", From: []any{"id=n1", "id=n2"}, To: []any{"id=n2", "id=n1"}},
					scriptChange(),
				},
				Drift: &plan.Drift{By: "alice@example.com", At: time.UnixMilli(1763000000000).UTC()},
			},

			{
				Action: plan.Adopt, ID: "0f9d8c7b-0000-4000-8000-000000000003", Application: "app-b", Name: "legacy",
				Source: "services/team/app-b.yaml: prod/legacy", Reason: "made in the UI; taken over by --adopt",
				Changes: []diff.Change{{Kind: diff.Added, Path: "pipegen", To: map[string]any{"source": "services/team/app-b.yaml: prod/legacy"}}},
			},
			{
				Action: plan.Delete, ID: "1b2c0000-0000-5000-8000-000000000004", Application: "app-b", Name: "old",
				Reason: "source services/team/app-b.yaml: prod/old is gone",
			},
			{
				Action: plan.Conflict, ID: "5e5e0000-0000-4000-8000-000000000005", Application: "app-c", Name: "deploy",
				Source: "services/app-c.yaml: prod/deploy",
				Reason: "a pipeline named \"deploy\" made in the UI exists (id 5e5e0000-0000-4000-8000-000000000005); sync --adopt takes it over",
			},
			{
				Action: plan.Orphan, ID: "1b2c0000-0000-5000-8000-000000000006", Application: "app-c", Name: "gone",
			},
			{
				Action: plan.Unchanged, ID: "1b2c0000-0000-5000-8000-000000000007", Application: "app-d", Name: "steady",
				Source: "services/app-d.yaml: prod/deploy",
			},
			sameChange("app-e", "svc-1"),
			sameChange("app-e", "svc-2"),
			sameChange("app-f", "svc-3"),
		},
		Counts: plan.Counts{Create: 1, Update: 5, Delete: 1, Unchanged: 1, Conflict: 1, Kept: 1, Drift: 1},
	}
}

// scriptChange is one changed line in a script: a line diff.
func scriptChange() diff.Change {
	from := "#!/bin/sh\nset -e\nhelm repo update\nhelm upgrade app ./chart \\\n  --install \\\n  --wait\necho done"
	to := strings.Replace(from, "--wait", "--wait --timeout 10m", 1)
	return diff.Change{Kind: diff.Changed, Path: "stages[refId=run].command", From: from, To: to, Lines: diff.LineDiff(from, to, diff.LineContext)}
}

// sameChange is a pipeline given the same new stage as others by one template change.
func sameChange(app, name string) plan.Item {
	return plan.Item{
		Action: plan.Update, ID: "9e9e0000-0000-5000-8000-0000000000" + name[len(name)-1:] + "0", Application: app, Name: name,
		Source: "services/" + app + ".yaml: prod/" + name,
		Changes: []diff.Change{
			{Kind: diff.Added, Path: "stages[refId=scan]", To: map[string]any{"refId": "scan", "type": "wait", "waitTime": num("30"), "requisiteStageRefIds": []any{"bake"}}},
			{Kind: diff.Changed, Path: "stages[refId=deploy].requisiteStageRefIds", From: []any{"bake"}, To: []any{"scan"}},
		},
	}
}

func TestPlanText(t *testing.T) {
	for _, tc := range []struct {
		file    string
		color   bool
		verbose bool
	}{
		{"plan.txt", false, false},
		{"plan-verbose.txt", false, true},
		{"plan-color.txt", true, false},
	} {
		t.Run(tc.file, func(t *testing.T) {
			var buf bytes.Buffer
			if err := PlanText(&buf, testPlan(), iostreams.NewColorScheme(tc.color), tc.verbose); err != nil {
				t.Fatal(err)
			}
			golden(t, tc.file, buf.Bytes())
		})
	}
}

func TestPlanTextColorOnlyWhenEnabled(t *testing.T) {
	ios, _, out, _ := iostreams.Test()
	if err := PlanText(out, testPlan(), ios.ColorScheme(), true); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out.String(), "\x1b[") {
		t.Errorf("colour codes on a non-terminal:\n%q", out.String())
	}

	ios.SetStdoutTTY(true)
	out.Reset()
	if err := PlanText(out, testPlan(), ios.ColorScheme(), true); err != nil {
		t.Fatal(err)
	}
	colored := out.String()
	for _, code := range []string{"\x1b[32m", "\x1b[31m", "\x1b[33m"} { // green, red, yellow
		if !strings.Contains(colored, code) {
			t.Errorf("terminal output lacks %q", code)
		}
	}

	ios.SetColorEnabled(false) // --no-color
	out.Reset()
	if err := PlanText(out, testPlan(), ios.ColorScheme(), true); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out.String(), "\x1b[") {
		t.Error("colour codes with --no-color")
	}
	// Without the codes, coloured output is the plain output.
	if stripANSI(colored) != out.String() {
		t.Errorf("coloured output differs from plain beyond colour codes:\n%s\n---\n%s", stripANSI(colored), out.String())
	}
}

func stripANSI(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == 0x1b {
			for i < len(s) && s[i] != 'm' {
				i++
			}
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func TestPlanTextEmpty(t *testing.T) {
	var buf bytes.Buffer
	if err := PlanText(&buf, &plan.Plan{}, nil, false); err != nil {
		t.Fatal(err)
	}
	if got, want := buf.String(), "0 to create, 0 to update, 0 to delete, 0 unchanged\n"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestPlanTextUnknownAction(t *testing.T) {
	p := &plan.Plan{Items: []plan.Item{{Action: "explode", Application: "a", Name: "b"}}}
	err := PlanText(&bytes.Buffer{}, p, nil, false)
	if err == nil || !strings.Contains(err.Error(), "a/b") {
		t.Errorf("err = %v, want an error naming the pipeline", err)
	}
}

func TestPlanJSON(t *testing.T) {
	var buf bytes.Buffer
	if err := PlanJSON(&buf, testPlan()); err != nil {
		t.Fatal(err)
	}
	golden(t, "plan.json", buf.Bytes())

	// The documented schema, checked on the decoded output rather than on the golden bytes.
	var got struct {
		APIVersion string         `json:"apiVersion"`
		Summary    map[string]int `json:"summary"`
		Pipelines  []map[string]json.RawMessage
	}
	if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if got.APIVersion != "pipegen/v1" {
		t.Errorf("apiVersion = %q", got.APIVersion)
	}
	for _, k := range []string{"create", "update", "delete", "unchanged", "conflict", "kept", "drift"} {
		if _, ok := got.Summary[k]; !ok {
			t.Errorf("summary lacks %q", k)
		}
	}
	if len(got.Pipelines) != len(testPlan().Items) {
		t.Fatalf("%d pipelines listed, want every item (%d)", len(got.Pipelines), len(testPlan().Items))
	}
	for _, p := range got.Pipelines {
		for _, k := range []string{"action", "id", "application", "name", "source", "reason", "changes", "drift", "group"} {
			if _, ok := p[k]; !ok {
				t.Errorf("pipeline %s lacks %q", p["name"], k)
			}
		}
		var changes []map[string]json.RawMessage
		if err := json.Unmarshal(p["changes"], &changes); err != nil || changes == nil {
			t.Errorf("changes of %s = %s, want an array", p["name"], p["changes"])
		}
		for _, c := range changes {
			var kind string
			json.Unmarshal(c["kind"], &kind)
			_, hasFrom := c["from"]
			_, hasTo := c["to"]
			if hasFrom != (kind != "add") || hasTo != (kind != "remove") {
				t.Errorf("%s change %s: from present %v, to present %v", kind, c["path"], hasFrom, hasTo)
			}
		}
	}
	if strings.Contains(buf.String(), `\u003c`) || strings.Contains(buf.String(), `\u0026`) {
		t.Error("HTML escaping in JSON output")
	}
}

func TestPlanMarkdown(t *testing.T) {
	var buf bytes.Buffer
	if err := PlanMarkdown(&buf, testPlan(), MarkdownOptions{}); err != nil {
		t.Fatal(err)
	}
	golden(t, "plan.md", buf.Bytes())
	md := buf.String()
	checkMarkdown(t, md)
	if strings.Contains(md, "app-d/steady") {
		t.Error("unchanged pipeline listed in the Markdown plan")
	}
	// What a reviewer must not miss comes before any detail.
	top := md[:strings.Index(md, "<details>")]
	for _, s := range []string{"`app-b/old`", "`app-c/deploy`", "`app-a/deploy-dev`: changed outside pipegen by alice@example.com"} {
		if !strings.Contains(top, s) {
			t.Errorf("%s not called out above the detail", s)
		}
	}
	// One collapsible section per application with changes of its own, one per group.
	for _, s := range []string{"<summary><b>app-a</b>", "<summary><b>app-b</b>", "<summary><b>app-c</b>", "<summary>update: 3 pipelines with the same changes</summary>"} {
		if strings.Count(md, s) != 1 {
			t.Errorf("%d sections %q, want 1", strings.Count(md, s), s)
		}
	}
	if strings.Contains(md, "<b>app-e</b>") || strings.Count(md, "`app-e/svc-1`") != 1 {
		t.Error("a grouped pipeline is shown outside its group")
	}
	// The added stage contains ``` so its block needs a longer fence.
	if !strings.Contains(md, "````diff\n") {
		t.Error("fence not lengthened around a value containing ```")
	}
}

// checkMarkdown checks what GitHub needs to render a plan: every code block closed, every
// <details> closed, nothing over the size limit.
func checkMarkdown(t *testing.T, md string) {
	t.Helper()
	if o, c := strings.Count(md, "<details>"), strings.Count(md, "</details>"); o != c {
		t.Errorf("%d <details>, %d </details>", o, c)
	}
	var fence string
	for _, l := range strings.Split(md, "\n") {
		run := l[:len(l)-len(strings.TrimLeft(l, "`"))]
		switch {
		case fence == "" && len(run) >= 3:
			fence = run
		case fence != "" && l == fence:
			fence = ""
		}
	}
	if fence != "" {
		t.Errorf("code block opened with %s never closed", fence)
	}
	if len(md) > MarkdownLimit {
		t.Errorf("%d characters, over %d", len(md), MarkdownLimit)
	}
}

func TestPlanMarkdownNoChanges(t *testing.T) {
	p := &plan.Plan{
		Items: []plan.Item{
			{Action: plan.Unchanged, Application: "a", Name: "x"},
			{Action: plan.Orphan, Application: "a", Name: "y"},
		},
		Counts: plan.Counts{Unchanged: 1, Kept: 1},
	}
	var buf bytes.Buffer
	if err := PlanMarkdown(&buf, p, MarkdownOptions{}); err != nil {
		t.Fatal(err)
	}
	if buf.String() != "No changes.\n" {
		t.Errorf("got %q", buf.String())
	}
}

func TestSummaryLine(t *testing.T) {
	tests := []struct {
		c    plan.Counts
		want string
	}{
		{plan.Counts{}, "0 to create, 0 to update, 0 to delete, 0 unchanged"},
		{plan.Counts{Create: 2, Update: 1, Delete: 3, Unchanged: 40}, "2 to create, 1 to update, 3 to delete, 40 unchanged"},
		{plan.Counts{Conflict: 1}, "0 to create, 0 to update, 0 to delete, 0 unchanged, 1 conflict"},
		{plan.Counts{Conflict: 2, Kept: 3}, "0 to create, 0 to update, 0 to delete, 0 unchanged, 2 conflicts, 3 not in source, kept"},
		{plan.Counts{Kept: 1}, "0 to create, 0 to update, 0 to delete, 0 unchanged, 1 not in source, kept"},
	}
	for _, tt := range tests {
		if got := SummaryLine(tt.c); got != tt.want {
			t.Errorf("SummaryLine(%+v) = %q, want %q", tt.c, got, tt.want)
		}
	}
}

func testDocs() []map[string]any {
	return []map[string]any{
		{
			"application": "app-a", "name": "deploy", "id": "1b2c0000-0000-5000-8000-000000000001",
			"keepWaitingPipelines": false, "limitConcurrent": true, "description": nil,
			"stages": []any{map[string]any{
				"refId": "1", "type": "checkPreconditions", "name": "Check",
				"preconditions": []any{map[string]any{"type": "expression",
					"context": map[string]any{"expression": "${ trigger.tag < 'v2' && parameters['a'] > 1 }"}}},
				"replicas": num("3"), "ratio": 0.25, "answer": "yes", "port": "8080",
			}},
		},
		{"application": "app-b", "name": "empty", "stages": []any{}, "triggers": []any{}},
	}
}

func TestDocumentsJSON(t *testing.T) {
	var buf bytes.Buffer
	if err := DocumentsJSON(&buf, testDocs()); err != nil {
		t.Fatal(err)
	}
	golden(t, "documents.json", buf.Bytes())
	if strings.Contains(buf.String(), `\u003c`) || !strings.Contains(buf.String(), "<") {
		t.Error("SpEL < > & must not be HTML-escaped")
	}

	buf.Reset()
	if err := DocumentsJSON(&buf, nil); err != nil {
		t.Fatal(err)
	}
	if buf.String() != "[]\n" {
		t.Errorf("no documents = %q, want []", buf.String())
	}
}

func TestDocumentsYAML(t *testing.T) {
	var buf bytes.Buffer
	if err := DocumentsYAML(&buf, testDocs()); err != nil {
		t.Fatal(err)
	}
	golden(t, "documents.yaml", buf.Bytes())

	// Each YAML document reads back as the same value as the JSON output.
	parts := strings.Split(buf.String(), "---\n")
	if len(parts) != len(testDocs()) {
		t.Fatalf("%d YAML documents, want %d", len(parts), len(testDocs()))
	}
	for i, part := range parts {
		j, err := yaml.YAMLToJSON([]byte(part))
		if err != nil {
			t.Fatalf("document %d: %v", i, err)
		}
		var want bytes.Buffer
		if err := DocumentsJSON(&want, testDocs()[i:i+1]); err != nil {
			t.Fatal(err)
		}
		if got, w := canon(t, "["+string(j)+"]"), canon(t, want.String()); got != w {
			t.Errorf("document %d round trip:\n got %s\nwant %s", i, got, w)
		}
	}

	buf.Reset()
	if err := DocumentsYAML(&buf, nil); err != nil || buf.Len() != 0 {
		t.Errorf("no documents: %q, %v", buf.String(), err)
	}
}

func canon(t *testing.T, s string) string {
	t.Helper()
	var v any
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(v)
	return string(b)
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestWriteErrors(t *testing.T) {
	p := testPlan()
	for name, f := range map[string]func() error{
		"text":     func() error { return PlanText(failWriter{}, p, nil, false) },
		"json":     func() error { return PlanJSON(failWriter{}, p) },
		"markdown": func() error { return PlanMarkdown(failWriter{}, p, MarkdownOptions{}) },
		"docjson":  func() error { return DocumentsJSON(failWriter{}, testDocs()) },
		"docyaml":  func() error { return DocumentsYAML(failWriter{}, testDocs()) },
	} {
		if err := f(); err == nil || !strings.Contains(err.Error(), "disk full") {
			t.Errorf("%s: err = %v, want the write error", name, err)
		}
	}
}

func TestDeterministic(t *testing.T) {
	render := func() string {
		var b bytes.Buffer
		PlanText(&b, testPlan(), nil, true)
		PlanJSON(&b, testPlan())
		PlanMarkdown(&b, testPlan(), MarkdownOptions{})
		DocumentsJSON(&b, testDocs())
		DocumentsYAML(&b, testDocs())
		return b.String()
	}
	first := render()
	for i := 0; i < 10; i++ {
		if render() != first {
			t.Fatal("output changed between runs")
		}
	}
}

// StreamJSON writes one document at a time; the bytes must be exactly those of encoding the
// whole array at once, as render -o json always printed it.
func TestStreamJSONIsTheArrayEncoding(t *testing.T) {
	docs := testDocs()
	docs = append(docs, map[string]any{}, map[string]any{"a": []any{}, "b": map[string]any{}, "c": "x<y&z>\u2028", "d": []any{map[string]any{"e": nil}}})
	for n := range len(docs) + 1 {
		var want bytes.Buffer
		enc := json.NewEncoder(&want)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		all := docs[:n]
		if n == 0 {
			all = []map[string]any{}
		}
		if err := enc.Encode(all); err != nil {
			t.Fatal(err)
		}
		var got bytes.Buffer
		if err := DocumentsJSON(&got, docs[:n]); err != nil {
			t.Fatal(err)
		}
		if got.String() != want.String() {
			t.Fatalf("%d documents:\n got %q\nwant %q", n, got.String(), want.String())
		}
	}
}
