package output

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pipegen/pipegen/internal/testtool"
	"github.com/pipegen/pipegen/pkg/plan"
)

// htmlTestPlan is testPlan with the documents sync would write, so every created or changed
// pipeline has a graph.
func htmlTestPlan() *plan.Plan {
	p := testPlan()
	stage := func(ref, typ, name string, reqs ...any) map[string]any {
		s := map[string]any{"refId": ref, "type": typ, "name": name}
		if len(reqs) > 0 {
			s["requisiteStageRefIds"] = reqs
		}
		return s
	}
	for i := range p.Items {
		it := &p.Items[i]
		switch {
		case it.Name == "deploy-dev":
			verify := bigStage()
			it.Desired = map[string]any{"application": it.Application, "name": it.Name, "stages": []any{
				stage("bake", "bakeManifest", "Bake"), stage("check", "wait", "Check", "bake"),
				stage("deploy", "deployManifest", "Deploy <dev>", "bake", "check"), verify,
				stage("run", "runJobManifest", "Run script", "verify"),
			}}
		case it.Action == plan.Adopt:
			it.Desired = map[string]any{"application": it.Application, "name": it.Name, "stages": []any{stage("1", "wait", "Wait")}}
		case strings.HasPrefix(it.Name, "svc-"):
			it.Desired = map[string]any{"application": it.Application, "name": it.Name, "stages": []any{
				stage("bake", "bakeManifest", "Bake"), stage("scan", "wait", "", "bake"), stage("deploy", "deployManifest", "Deploy", "scan"),
			}}
		}
	}
	return p
}

func TestPlanHTMLGolden(t *testing.T) {
	var buf bytes.Buffer
	if err := PlanHTML(&buf, htmlTestPlan()); err != nil {
		t.Fatal(err)
	}
	golden(t, "plan.html", buf.Bytes())
	checkSelfContained(t, buf.String())

	buf.Reset()
	if err := PlanHTML(&buf, &plan.Plan{Counts: plan.Counts{Unchanged: 3}}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "No changes") || strings.Contains(buf.String(), "<svg") {
		t.Errorf("a plan without changes:\n%s", buf.String())
	}
}

// checkSelfContained: no script, and no URL the page would fetch (the SVG namespace is a name,
// never fetched).
func checkSelfContained(t *testing.T, page string) {
	t.Helper()
	if strings.Contains(strings.ToLower(page), "<script") {
		t.Error("the page has a script")
	}
	for _, m := range regexp.MustCompile(`(?i)(src|href|url\()\s*=?\s*["']?([a-z]+:)?//`).FindAllString(page, -1) {
		t.Errorf("the page refers outside itself: %q", m)
	}
	if n := strings.Count(page, "http"); n != strings.Count(page, `xmlns="http://www.w3.org/2000/svg"`)+strings.Count(page, "https://ci.example.com") {
		t.Errorf("unexpected http URLs in the page")
	}
}

func TestStageRef(t *testing.T) {
	for _, tc := range []struct{ path, ref, rest string }{
		{"stages[refId=deploy].account", "deploy", ".account"},
		{"stages[refId=deploy]", "deploy", ""},
		{`stages[refId="a ]b"].x`, "a ]b", ".x"},
		{"stages[2].x", "", ""},
		{"triggers[id=1]", "", ""},
	} {
		ref, rest, ok := stageRef(tc.path)
		if ref != tc.ref || rest != tc.rest || ok != (tc.ref != "") {
			t.Errorf("stageRef(%q) = %q, %q, %v", tc.path, ref, rest, ok)
		}
	}
}

// browserProbe runs in the page in Chromium and reports what a reviewer would see: every
// pipeline element, the graph it names as rendered (size, stages and their marks), any
// resource the page fetched and the summary.
const browserProbe = `<script>
(function () {
  var out = {pipelines: {}, resources: performance.getEntriesByType('resource').length,
    scripts: document.scripts.length, summary: document.getElementById('summary').textContent};
  document.querySelectorAll('[data-pipeline]').forEach(function (el) {
    var g = document.getElementById(el.getAttribute('data-graph'));
    var r = {graph: el.getAttribute('data-graph'), tag: g ? g.tagName : '', stages: {}};
    if (g && g.tagName === 'svg') {
      var box = g.getBoundingClientRect();
      r.width = box.width; r.height = box.height;
      g.querySelectorAll('g.stage').forEach(function (s) {
        var b = s.getBBox();
        r.stages[s.classList.contains('config') ? '(config)' : s.getAttribute('data-ref-id')] =
          s.getAttribute('data-mark') + (b.width > 0 && b.height > 0 ? '' : ' (not drawn)');
      });
    }
    out.pipelines[el.getAttribute('data-pipeline')] = r;
  });
  var pre = document.createElement('pre');
  pre.id = 'probe';
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
})();
</script>`

type probed struct {
	Pipelines map[string]struct {
		Graph, Tag    string
		Width, Height float64
		Stages        map[string]string
	}
	Resources, Scripts int
	Summary            string
}

// loadInChromium opens the page in headless Chromium (Debian's) and returns what the probe saw.
func loadInChromium(t *testing.T, page string) probed {
	t.Helper()
	bin := testtool.Chromium(t)
	dir := t.TempDir()
	file := filepath.Join(dir, "plan.html")
	// The probe goes last, so it runs once the whole page is parsed.
	if err := os.WriteFile(file, []byte(strings.Replace(page, "</body>", browserProbe+"</body>", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	args := append(append([]string{}, testtool.ChromiumFlags...), "--user-data-dir="+filepath.Join(dir, "profile"), "--dump-dom", "file://"+file)
	var stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("chromium: %v\n%s", err, stderr.String())
	}
	m := regexp.MustCompile(`(?s)<pre id="probe">(.*?)</pre>`).FindSubmatch(out)
	if m == nil {
		t.Fatalf("the probe did not run in chromium; page as loaded:\n%.2000s\nstderr:\n%s", out, stderr.String())
	}
	var p probed
	text := strings.NewReplacer("&lt;", "<", "&gt;", ">", "&quot;", `"`, "&amp;", "&").Replace(string(m[1]))
	if err := json.Unmarshal([]byte(text), &p); err != nil {
		t.Fatalf("probe output %q: %v", text, err)
	}
	return p
}

// TestPlanHTMLInChromium loads the page in a real browser and finds every created or changed
// pipeline, its graph drawn, and the stages the plan changes marked. One page holds the
// fixture and one stage inserted into 50 pipelines: a browser start costs seconds.
func TestPlanHTMLInChromium(t *testing.T) {
	p := htmlTestPlan()
	p.Items = append(p.Items, templateChangePlan(t, 50).Items...)
	p.Counts = plan.Count(p.Items)
	for _, tc := range []struct {
		name  string
		p     *plan.Plan
		marks map[string]map[string]string // pipeline → refId → mark, for some pipelines
	}{
		{"fixture and 50 pipelines", p, map[string]map[string]string{
			"app-a/deploy-dev":   {"(config)": "changed", "bake": "changed", "check": "same", "deploy": "changed", "verify": "added", "run": "changed"},
			"app-a/deploy-prod":  {"(config)": "added", "bake": "added", "deploy": "added", "3": "added"},
			"app-e/svc-1":        {"(config)": "same", "bake": "same", "scan": "added", "deploy": "changed"},
			"svc-00/deploy-prod": {"(config)": "same", "bake": "same", "scan": "added", "deploy": "changed"},
			"svc-49/deploy-prod": {"(config)": "same", "bake": "same", "scan": "added", "deploy": "changed"},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := PlanHTML(&buf, tc.p); err != nil {
				t.Fatal(err)
			}
			checkSelfContained(t, buf.String())
			got := loadInChromium(t, buf.String())
			if got.Resources != 0 || got.Scripts != 1 {
				t.Errorf("the page fetched %d resources and has %d scripts besides the probe", got.Resources, got.Scripts-1)
			}
			if got.Summary != SummaryLine(tc.p.Counts) {
				t.Errorf("summary %q, want %q", got.Summary, SummaryLine(tc.p.Counts))
			}
			want := 0
			for _, it := range tc.p.Items {
				if it.Action != plan.Create && it.Action != plan.Update && it.Action != plan.Adopt {
					continue
				}
				want++
				r, ok := got.Pipelines[fullName(it)]
				switch {
				case !ok:
					t.Errorf("%s: not on the page", fullName(it))
				case r.Tag != "svg":
					t.Errorf("%s: graph %q is a %q, not a drawing", fullName(it), r.Graph, r.Tag)
				case r.Width < 50 || r.Height < 30 || len(r.Stages) < 2:
					t.Errorf("%s: graph drawn %vx%v with %d nodes", fullName(it), r.Width, r.Height, len(r.Stages))
				}
				for ref, mark := range r.Stages {
					if strings.Contains(mark, "not drawn") {
						t.Errorf("%s: stage %s %s", fullName(it), ref, mark)
					}
				}
				if wantMarks, ok := tc.marks[fullName(it)]; ok && fmt.Sprint(r.Stages) != fmt.Sprint(wantMarks) {
					t.Errorf("%s: stages %v, want %v", fullName(it), r.Stages, wantMarks)
				}
			}
			if len(got.Pipelines) != want {
				t.Errorf("%d pipelines on the page, want %d", len(got.Pipelines), want)
			}
		})
	}
}
