package root

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/pipegen/pipegen/internal/s3server"
)

// Guarantee 5, the cases TestBadInput does not cover: each is exit 1 from validate, render and
// sync, with a message that names the place, and nothing written.
func TestBadInputMore(t *testing.T) {
	svc := func(name string) string {
		return "name: " + name + "\nstacks:\n  dev:\n    pipelines: [deploy]\n"
	}
	loops := func(n int) string { // 10^n iterations
		open, close := "", ""
		for i := range n {
			open += fmt.Sprintf(`{%% for v%d in "0123456789"|make_list %%}`, i)
			close += "{% endfor %}"
		}
		return open + "  - {refId: \"{{ v0 }}{{ v1 }}{{ v2 }}{{ v3 }}{{ v4 }}\", type: wait, waitTime: 1, comment: \"" + strings.Repeat("x", 480) + "\"}\n" + close
	}
	nested := func(depth int) string {
		var b strings.Builder
		b.WriteString("name: app\nvars:\n  deep:\n")
		for i := range depth {
			b.WriteString(strings.Repeat("  ", i+2) + "a:\n")
		}
		b.WriteString("stacks:\n  dev:\n    pipelines: [deploy]\n")
		return b.String()
	}
	tests := []struct {
		name  string
		files map[string]string
		args  []string // store flags, given to diff and sync
		env   map[string]string
		want  []string // each must appear in stderr
	}{
		// Names that would make bad keys or bad applications.
		{name: "service name with dot-dot", files: map[string]string{"services/app.yaml": svc("../x")},
			want: []string{`services/app.yaml:1:7: name "../x" must be lower-case`}},
		{name: "service name upper case", files: map[string]string{"services/app.yaml": svc("App")},
			want: []string{`services/app.yaml:1:7: name "App" must be lower-case`}},
		{name: "service name with slash", files: map[string]string{"services/app.yaml": svc("a/b")},
			want: []string{`services/app.yaml:1:7: name "a/b" must be lower-case`}},
		{name: "service name very long", files: map[string]string{"services/app.yaml": svc(strings.Repeat("a", 300))},
			want: []string{"services/app.yaml:1:7: name", "at most 63 characters"}},
		{name: "service name missing", files: map[string]string{"services/app.yaml": "stacks:\n  dev:\n    pipelines: [deploy]\n"},
			want: []string{"services/app.yaml:1:1: missing required key `name`"}},
		// An empty name must not drop the service silently: its pipelines would then look
		// like pipelines whose source is gone, and sync --prune would delete them.
		{name: "service name empty", files: map[string]string{"services/app.yaml": svc(`""`)},
			want: []string{"services/app.yaml:1:7: name must not be empty"}},
		{name: "service name null", files: map[string]string{"services/app.yaml": svc("")},
			want: []string{"services/app.yaml:1:6: name must be a string"}},
		{name: "stack name with slash", files: map[string]string{"services/app.yaml": "name: app\nstacks:\n  Dev/x:\n    pipelines: [deploy]\n"},
			want: []string{`services/app.yaml:3:3: stack name "Dev/x"`}},
		{name: "pipeline key with dot-dot", files: map[string]string{"services/app.yaml": "name: app\nstacks:\n  dev:\n    pipelines: [{template: deploy, key: \"../k\"}]\n"},
			want: []string{`services/app.yaml:4:41: key "../k"`}},

		// Unresolvable references.
		{name: "pipeline_id of a missing name", files: map[string]string{"templates/deploy.yml": "name: deploy-{{ stack }}\nstages:\n  - refId: a\n    type: pipeline\n    pipeline: \"{{ pipeline_id(\"nope\") }}\"\n"},
			want: []string{"templates/deploy.yml", `no pipeline named "nope" in application app`, "services/app.yaml: dev/deploy"}},
		{name: "pipeline_id in another application", files: map[string]string{"templates/deploy.yml": "name: deploy-{{ stack }}\nstages:\n  - refId: a\n    type: pipeline\n    application: other\n    pipeline: \"{{ pipeline_id(\"other\", \"nope\") }}\"\n"},
			want: []string{"templates/deploy.yml", `no pipeline named "nope" in application other`}},
		{name: "input artifact name", files: map[string]string{"templates/deploy.yml": "name: deploy\nstages:\n  - refId: a\n    type: deployManifest\n    inputArtifacts:\n      - id: nope\n        account: x\n"},
			want: []string{"templates/deploy.yml:6:", `stages[refId=a].inputArtifacts[0].id: "nope" matches no expected artifact`}},
		{name: "trigger artifact name", files: map[string]string{"templates/deploy.yml": "name: deploy\ntriggers:\n  - type: webhook\n    expectedArtifactIds: [nope]\n"},
			want: []string{"templates/deploy.yml:4:", `triggers[0].expectedArtifactIds[0]: "nope"`}},

		// Sizes and shapes meant to exhaust memory or the stack.
		{name: "service file of 5 MB", files: map[string]string{"services/app.yaml": "name: app\nvars:\n  big: \"" + strings.Repeat("x", 5<<20) + "\"\nstacks:\n  dev:\n    pipelines: [deploy]\n"},
			want: []string{"services/app.yaml: file is", "may be at most"}},
		{name: "template rendering 50 MB", files: map[string]string{"templates/deploy.yml": "name: deploy\nstages:\n" + loops(5)},
			want: []string{"templates/deploy.yml", "renders more than 10 MiB"}},
		{name: "deeply nested flow YAML in a service", files: map[string]string{"services/app.yaml": "name: app\nvars:\n  deep: " + strings.Repeat("[", 10000) + strings.Repeat("]", 10000) + "\nstacks:\n  dev:\n    pipelines: [deploy]\n"},
			want: []string{"services/app.yaml:3:", "nested deeper than"}},
		{name: "deeply nested block YAML in a service", files: map[string]string{"services/app.yaml": nested(150)},
			want: []string{"services/app.yaml:", "nested deeper than"}},
		{name: "deeply nested rendered YAML", files: map[string]string{"templates/deploy.yml": "name: deploy\nx: " + strings.Repeat("[", 10000) + strings.Repeat("]", 10000) + "\n"},
			want: []string{"templates/deploy.yml:2", "nested deeper than"}},
		{name: "invalid UTF-8 in a template", files: map[string]string{"templates/deploy.yml": "name: deploy\nx: \"\xff\xfe\"\n"},
			want: []string{"templates/deploy.yml:2:", "not valid UTF-8"}},

		// Configuration.
		{name: "malformed pipegen.yaml", files: map[string]string{"pipegen.yaml": "store: [\n"},
			want: []string{"pipegen.yaml:1:"}},
		{name: "unknown key in pipegen.yaml", files: map[string]string{"pipegen.yaml": "stor: s3://b\n"},
			want: []string{`pipegen.yaml:1:1: unknown key "stor"`}},
		{name: "unknown store scheme on the command line", args: []string{"--store", "ftp://host/x"},
			want: []string{`store "ftp://host/x": unknown scheme`}},
		{name: "unknown store scheme in the environment", env: map[string]string{"PIPEGEN_STORE": "gs://bucket"},
			want: []string{`store "gs://bucket": unknown scheme`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			files := map[string]string{"services/app.yaml": okService, "templates/deploy.yml": okTemplate}
			for k, v := range tt.files {
				files[k] = v
			}
			c := newCLI(t, files)
			for k, v := range tt.env {
				c.env[k] = v
			}
			runs := [][]string{{"validate"}, {"render"}, {"sync"}}
			if len(tt.args) > 0 { // store flags: only the commands that open the store
				runs = [][]string{append([]string{"diff"}, tt.args...), append([]string{"sync"}, tt.args...)}
			}
			for _, args := range runs {
				r := c.run(args...)
				expectError(t, args, r, tt.want)
				if len(r.errOut) > 64<<10 {
					t.Errorf("%v: %d bytes of error output", args, len(r.errOut))
				}
			}
			if files := c.storeFiles(); len(files) > 0 {
				t.Errorf("bad input wrote to the store: %v", files)
			}
		})
	}
}

// startS3 starts a versitygw of the test's own (this package has no TestMain to share one).
func startS3(t *testing.T) *s3server.Server {
	t.Helper()
	if testing.Short() {
		t.Skip("starts an S3 server")
	}
	srv, err := s3server.Start(context.Background(), t.TempDir())
	if err != nil {
		if errors.Is(err, s3server.ErrNoBinary) && os.Getenv(s3server.EnvRequire) != "1" {
			t.Skipf("S3 tests skipped: %v", err)
		}
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return srv
}

// A store that cannot be used is exit 1 with a message that says what to fix, and no secret
// ever appears in the output.
func TestBadStore(t *testing.T) {
	srv := startS3(t)
	const bucket = "pipegen-bad-store"
	if err := srv.CreateBucket(context.Background(), bucket); err != nil {
		t.Fatal(err)
	}
	const wrongSecret = "wrong-secret-4f9c2a7e1b"
	tests := []struct {
		name           string
		store          string
		access, secret string
		want           []string
	}{
		{"bucket does not exist", "s3://no-such-bucket-pipegen", srv.AccessKey, srv.SecretKey,
			[]string{`bucket "no-such-bucket-pipegen" not found at ` + srv.Endpoint}},
		{"wrong secret key", "s3://" + bucket, srv.AccessKey, wrongSecret,
			[]string{"s3://" + bucket, "access denied", "secret access key does not match"}},
		{"unknown access key", "s3://" + bucket, "AKIAUNKNOWN0000000000", wrongSecret,
			[]string{"s3://" + bucket, "access denied", "does not know the access key id"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("AWS_ACCESS_KEY_ID", tt.access)
			t.Setenv("AWS_SECRET_ACCESS_KEY", tt.secret)
			t.Setenv("AWS_REGION", s3server.Region)
			t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
			c := newCLI(t, map[string]string{"services/app.yaml": okService, "templates/deploy.yml": okTemplate})
			for _, args := range [][]string{{"diff"}, {"sync"}, {"sync", "-v"}, {"sync", "--prune", "-o", "json"}} {
				args = append(args, "--store", tt.store, "--endpoint", srv.Endpoint)
				r := c.run(args...)
				expectError(t, args, r, tt.want)
				for _, secret := range []string{tt.secret, srv.SecretKey} {
					if strings.Contains(r.out+r.errOut, secret) {
						t.Errorf("%v: a secret key was printed:\n%s%s", args, r.out, r.errOut)
					}
				}
			}
			keys, err := srv.Keys(context.Background(), bucket, "")
			if err != nil || len(keys) != 0 {
				t.Errorf("wrote %v (%v)", keys, err)
			}
		})
	}
}
