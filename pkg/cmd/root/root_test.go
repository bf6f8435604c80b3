package root

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pipegen/pipegen/pkg/cmdutil"
)

// cli runs pipegen in-process against a repo folder, like a user in a shell would.
type cli struct {
	t    *testing.T
	root string
	env  map[string]string
}

type result struct {
	code        int
	out, errOut string
}

func newCLI(t *testing.T, files map[string]string) *cli {
	t.Helper()
	c := &cli{t: t, root: t.TempDir(), env: map[string]string{}}
	for name, body := range files {
		c.write(name, body)
	}
	return c
}

func (c *cli) write(name, body string) {
	c.t.Helper()
	p := filepath.Join(c.root, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		c.t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		c.t.Fatal(err)
	}
}

// run runs pipegen with neither stdout nor stderr a terminal (runTTY, cli_test.go).
func (c *cli) run(args ...string) result {
	c.t.Helper()
	return c.runTTY(false, false, args...)
}

func asExit(err error, target **cmdutil.ExitError) bool {
	e, ok := err.(*cmdutil.ExitError)
	if ok {
		*target = e
	}
	return ok
}

// storeFiles lists what is in the embedded store, to prove nothing was written.
func (c *cli) storeFiles() []string {
	var out []string
	filepath.Walk(filepath.Join(c.root, ".pipegen", "front50"), func(p string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() {
			out = append(out, p)
		}
		return nil
	})
	return out
}

const okTemplate = "name: deploy-{{ stack }}\nstages:\n  - refId: a\n    type: wait\n    waitTime: {{ wait|default:30 }}\n"
const okService = "name: app\nstacks:\n  dev:\n    pipelines: [deploy]\n"

func TestBadInput(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		want  []string // each must appear in stderr
	}{
		{"unknown key in service", map[string]string{"services/app.yaml": "name: app\nstackz: {}\nstacks: {}\n"},
			[]string{`services/app.yaml:2:1: unknown key "stackz"`}},
		{"wrong type in service", map[string]string{"services/app.yaml": "name: app\nstacks:\n  dev:\n    pipelines: deploy\n"},
			[]string{"services/app.yaml:4:16: pipelines must be a list"}},
		{"duplicate service", map[string]string{"services/a.yaml": okService, "services/b/a.yaml": okService},
			[]string{`services/b/a.yaml:1:7: duplicate service "app": also defined in services/a.yaml:1:7`}},
		{"missing template", map[string]string{"services/app.yaml": "name: app\nstacks:\n  dev:\n    pipelines: [deploy, nope]\n"},
			[]string{"services/app.yaml:4:25:", `"nope"`}},
		{"malformed service yaml", map[string]string{"services/app.yaml": "name: app\nstacks: [\n"},
			[]string{"services/app.yaml:2: did not find expected node content"}},
		{"template syntax error", map[string]string{"templates/deploy.yml": "name: x\n{% if %}\n"},
			[]string{"templates/deploy.yml:2"}},
		{"undefined variable", map[string]string{"templates/deploy.yml": "name: x\nstages:\n  - refId: a\n    type: wait\n    waitTime: {{ wiat }}\n"},
			[]string{"templates/deploy.yml:5", "wiat"}},
		{"jinja idiom", map[string]string{"templates/deploy.yml": "name: x-{{ loop.index }}\n"},
			[]string{"templates/deploy.yml:1", "loop.index exists only inside {% for %}"}},
		{"rendered yaml invalid", map[string]string{"templates/deploy.yml": "name: x\nstages: [\n"},
			[]string{"templates/deploy.yml", "the rendered YAML is invalid"}},
		{"duplicate key in rendered yaml", map[string]string{"templates/deploy.yml": "name: x\nkeepWaitingPipelines: true\nname: y\n"},
			[]string{"templates/deploy.yml:3:", `duplicate key "name"`}},
		{"other application", map[string]string{"templates/deploy.yml": "name: x\napplication: other\n"},
			[]string{"templates/deploy.yml:2:", `application: is "other"`}},
		{"unknown artifact name", map[string]string{"templates/deploy.yml": "name: x\nstages:\n  - refId: a\n    type: deployManifest\n    manifestArtifactId: nope\n"},
			[]string{"templates/deploy.yml:5:", `"nope" matches no expected artifact`}},
		{"missing requisite stage", map[string]string{"templates/deploy.yml": "name: x\nstages:\n  - refId: a\n    type: wait\n    requisiteStageRefIds: [b]\n"},
			[]string{"templates/deploy.yml:5:", `no stage has refId "b"`}},
		{"duplicate pipeline name", map[string]string{"services/app.yaml": "name: app\nstacks:\n  dev: {pipelines: [deploy]}\n  prod: {pipelines: [deploy]}\n", "templates/deploy.yml": "name: same\n"},
			[]string{"templates/deploy.yml:1:", "services/app.yaml: dev/deploy", "services/app.yaml: prod/deploy"}},
		{"field Front50 cannot read", map[string]string{"templates/deploy.yml": "name: x\nkeepWaitingPipelines: true\nindex: \"3\"\n"},
			[]string{"templates/deploy.yml:3:", `Front50 could not read this pipeline: "index" is a string, want an integer`}},
		{"trigger field Front50 cannot read", map[string]string{"templates/deploy.yml": "name: x\ntriggers:\n  - type: 5\n"},
			[]string{"templates/deploy.yml:3:", "triggers[0].type is a number, want a string"}},
		{"every field Front50 cannot read, at once", map[string]string{"templates/deploy.yml": "name: x\nindex: \"3\"\nkeepWaitingPipelines: \"yes\"\ntriggers:\n  - type: 5\n"},
			[]string{`templates/deploy.yml:2: Front50 could not read this pipeline: "index"`, `templates/deploy.yml:3: Front50 could not read this pipeline: "keepWaitingPipelines"`, "templates/deploy.yml:5: Front50 could not read this pipeline: triggers[0].type", "3 problems found"}},
		{"maxConcurrentExecutions Front50 cannot read", map[string]string{"templates/deploy.yml": "name: x\nlimitConcurrent: false\nmaxConcurrentExecutions: unlimited\n"},
			[]string{"templates/deploy.yml:3:", `Front50 could not read this pipeline: "maxConcurrentExecutions" is a string, want an integer`}},
		{"a parameter Front50 cannot read", map[string]string{"templates/deploy.yml": "name: x\nparameterConfig:\n  - name: a\n  - just text\n"},
			[]string{"templates/deploy.yml:4:", `parameterConfig[1] is a string, want an object`}},
		{"serviceAccount nobody allowed", map[string]string{"templates/deploy.yml": "name: x\nserviceAccount: admin@corp.example\n"},
			[]string{"templates/deploy.yml:2:", `runs as "admin@corp.example", which pipegen.yaml does not allow for application app`}},
		{"trigger runAsUser not allowed", map[string]string{
			"pipegen.yaml":         "runAs:\n  app: [deployer@corp.example]\n  other: [root@corp.example]\n",
			"templates/deploy.yml": "name: x\nserviceAccount: Deployer@corp.example\ntriggers:\n  - type: cron\n    runAsUser: root@corp.example\n"},
			[]string{"templates/deploy.yml:5:", `triggers[0].runAsUser: runs as "root@corp.example"`, "1 problem found"}},
		{"runAs glob invalid", map[string]string{"pipegen.yaml": "runAs:\n  app: [\"[x\"]\n"},
			[]string{"pipegen.yaml:2:", "not a valid glob"}},
		{"bad config", map[string]string{"pipegen.yaml": "store: gs://bucket\n"},
			[]string{`unknown scheme`}},
		{"invalid utf-8", map[string]string{"services/app.yaml": "name: app\nteam: \xff\nstacks: {}\n"},
			[]string{"services/app.yaml:2: invalid UTF-8"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			files := map[string]string{"services/app.yaml": okService, "templates/deploy.yml": okTemplate}
			for k, v := range tt.files {
				files[k] = v
			}
			c := newCLI(t, files)
			for _, args := range [][]string{{"validate"}, {"render"}, {"sync"}} {
				expectError(t, args, c.run(args...), tt.want)
			}
			if files := c.storeFiles(); len(files) > 0 {
				t.Errorf("bad input wrote to the store: %v", files)
			}
		})
	}
}

func TestDiffExitCode(t *testing.T) {
	c := newCLI(t, map[string]string{"services/app.yaml": okService, "templates/deploy.yml": okTemplate})
	if r := c.run("diff", "--exit-code"); r.code != 2 {
		t.Fatalf("diff --exit-code on an empty store: exit %d, want 2\n%s%s", r.code, r.out, r.errOut)
	}
	if r := c.run("diff"); r.code != 0 {
		t.Fatalf("diff without --exit-code: exit %d, want 0", r.code)
	}
	if r := c.run("sync", "--dry-run"); r.code != 0 || len(c.storeFiles()) > 0 {
		t.Fatalf("sync --dry-run: exit %d, files %v", r.code, c.storeFiles())
	}
	if r := c.run("sync"); r.code != 0 {
		t.Fatalf("sync: exit %d\n%s", r.code, r.errOut)
	}
	r := c.run("diff", "--exit-code")
	if r.code != 0 {
		t.Fatalf("diff --exit-code after sync: exit %d, want 0\n%s", r.code, r.out)
	}
	if !strings.Contains(r.out, "0 to create, 0 to update, 0 to delete, 1 unchanged") {
		t.Errorf("summary line missing:\n%s", r.out)
	}
	c.write("templates/deploy.yml", strings.Replace(okTemplate, "default:30", "default:45", 1))
	if r := c.run("diff", "--exit-code", "-o", "json"); r.code != 2 || !strings.Contains(r.out, `"path": "stages[refId=a].waitTime"`) {
		t.Fatalf("changed template: exit %d\n%s", r.code, r.out)
	}
	if r := c.run("diff", "-o", "yaml"); r.code != 1 || !strings.Contains(r.errOut, "unknown output format") {
		t.Fatalf("bad -o: exit %d %s", r.code, r.errOut)
	}
}

// sync --dry-run answers "would sync succeed?": a plan with conflicts exits 1, like sync.
func TestDryRunConflictExits1(t *testing.T) {
	c := newCLI(t, map[string]string{"services/app.yaml": okService, "templates/deploy.yml": okTemplate})
	ui := `{"id":"0f5f6c1e-1111-4222-8333-944445555666","application":"app","name":"DEPLOY-DEV","schema":"1","triggers":[],"stages":[]}`
	c.write(".pipegen/front50/pipelines/0f5f6c1e-1111-4222-8333-944445555666/pipeline-metadata.json", ui)
	r := c.run("sync", "--dry-run")
	if r.code != 1 || !strings.Contains(r.errOut, "sync would write the rest and exit 1: 1 conflict(s)") || !strings.Contains(r.out, "1 conflict") {
		t.Fatalf("exit %d\nstdout: %s\nstderr: %s", r.code, r.out, r.errOut)
	}
	if r := c.run("sync", "--dry-run", "--adopt"); r.code != 0 {
		t.Fatalf("with --adopt the dry run must pass: exit %d\n%s", r.code, r.errOut)
	}
}

// expectError checks that a run failed with exit 1 and said each of want on stderr.
func expectError(t *testing.T, args []string, r result, want []string) {
	t.Helper()
	if r.code != 1 {
		t.Errorf("%v: exit %d, want 1\nstderr: %.600s", args, r.code, r.errOut)
	}
	for _, w := range want {
		if !strings.Contains(r.errOut, w) {
			t.Errorf("%v: stderr does not say %q:\n%.600s", args, w, r.errOut)
		}
	}
}
