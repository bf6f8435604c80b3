package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func write(t *testing.T, dir, body string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, FileName), []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestPrecedence(t *testing.T) {
	root := t.TempDir()
	cwd := t.TempDir()
	write(t, root, "store: s3://from-file\ns3: {endpoint: http://file:9000, region: eu-west-1}\nservices: svc\nlock: false\njinja: {trim_blocks: true, lstrip_blocks: false}\n")
	env := map[string]string{}
	get := func(k string) string { return env[k] }

	c, err := Load(Overrides{Dir: root}, get, cwd)
	if err != nil {
		t.Fatal(err)
	}
	if c.Store != "s3://from-file" || c.Endpoint != "http://file:9000" || c.Region != "eu-west-1" || c.Lock || c.Services != filepath.Join(root, "svc") || !c.TrimBlocks || c.LstripBlocks {
		t.Errorf("file values not applied: %+v", c)
	}

	env["PIPEGEN_STORE"] = "file://rel"
	env["PIPEGEN_S3_ENDPOINT"] = "http://env:9000"
	c, err = Load(Overrides{Dir: root}, get, cwd)
	if err != nil {
		t.Fatal(err)
	}
	if c.Store != "file://"+filepath.Join(cwd, "rel") || c.Endpoint != "http://env:9000" {
		t.Errorf("environment must beat the file, relative to the working dir: %+v", c)
	}

	env["AWS_REGION"] = "us-west-2"
	env["AWS_ENDPOINT_URL_S3"] = "http://aws-env:9000"
	delete(env, "PIPEGEN_S3_ENDPOINT")
	c, err = Load(Overrides{Dir: root}, get, cwd)
	if err != nil {
		t.Fatal(err)
	}
	if c.Region != "us-west-2" || c.Endpoint != "http://aws-env:9000" {
		t.Errorf("standard AWS variables must beat pipegen.yaml: region %s, endpoint %s", c.Region, c.Endpoint)
	}

	c, err = Load(Overrides{Dir: root, Store: "s3://flag/x", Endpoint: "http://flag:1"}, get, cwd)
	if err != nil {
		t.Fatal(err)
	}
	if c.Store != "s3://flag/x" || c.Endpoint != "http://flag:1" {
		t.Errorf("flags must beat everything: %+v", c)
	}
}

func TestDefaults(t *testing.T) {
	root := t.TempDir()
	c, err := Load(Overrides{}, func(string) string { return "" }, root)
	if err != nil {
		t.Fatal(err)
	}
	if c.Store != "file://"+filepath.Join(root, ".pipegen/front50") || !c.Lock || c.Templates != filepath.Join(root, "templates") || c.File != "" {
		t.Errorf("defaults: %+v", c)
	}
}

func TestErrors(t *testing.T) {
	tests := []struct{ name, body, want string }{
		{"unknown key", "store: s3://b\nbogus: 1\n", "pipegen.yaml:2:1: unknown key \"bogus\""},
		{"unknown s3 key", "s3:\n  endpointt: x\n", "pipegen.yaml:2:3: unknown key \"endpointt\" in s3"},
		{"bad scheme", "store: gs://bucket\n", `store "gs://bucket": unknown scheme`},
		{"bad sse", "s3: {sse: DES}\n", `s3.sse "DES"`},
		{"lock type", "lock: maybe\n", "pipegen.yaml:1:7: lock must be true or false"},
		{"jinja option type", "jinja: {trim_blocks: yes please}\n", "pipegen.yaml:1:22: jinja.trim_blocks must be true or false"},
		{"unknown jinja option", "jinja:\n  keep_trailing_newline: true\n", `pipegen.yaml:2:3: unknown key "keep_trailing_newline" in jinja`},
		{"yaml", "store: [\n", "pipegen.yaml:1: did not find expected node content"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			write(t, root, tt.body)
			_, err := Load(Overrides{Dir: root}, func(string) string { return "" }, root)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, want %q", err, tt.want)
			}
		})
	}
}

func TestConfigElsewhereKeepsRoot(t *testing.T) {
	root, other := t.TempDir(), t.TempDir()
	if err := os.WriteFile(filepath.Join(other, "shared.yaml"), []byte("services: svc\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := Load(Overrides{ConfigFile: filepath.Join(other, "shared.yaml")}, func(string) string { return "" }, root)
	if err != nil {
		t.Fatal(err)
	}
	if c.Root != root || c.Services != filepath.Join(root, "svc") || c.File != filepath.Join(other, "shared.yaml") {
		t.Errorf("root %s services %s file %s", c.Root, c.Services, c.File)
	}
}

func TestAllowsRunAs(t *testing.T) {
	dir := t.TempDir()
	yml := "runAs:\n  \"payments-*\": [\"payments-deployer@corp.example\", \"svc-*@corp.example\"]\n  web: [web@corp.example]\n"
	if err := os.WriteFile(filepath.Join(dir, FileName), []byte(yml), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := Load(Overrides{Dir: dir}, func(string) string { return "" }, dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		app, account string
		want         bool
	}{
		{"payments-api", "payments-deployer@corp.example", true},
		{"payments-api", "PAYMENTS-Deployer@corp.example", true},
		{"payments-api", "svc-batch@corp.example", true},
		{"payments-api", "web@corp.example", false},
		{"web", "web@corp.example", true},
		{"web", "payments-deployer@corp.example", false},
		{"webshop", "web@corp.example", false},
		{"other", "anyone", false},
	} {
		if got := cfg.AllowsRunAs(tc.app, tc.account); got != tc.want {
			t.Errorf("AllowsRunAs(%q, %q) = %v, want %v", tc.app, tc.account, got, tc.want)
		}
	}
	// No runAs: nobody.
	empty, err := Load(Overrides{Dir: t.TempDir()}, func(string) string { return "" }, dir)
	if err != nil {
		t.Fatal(err)
	}
	if empty.AllowsRunAs("web", "web@corp.example") {
		t.Error("without runAs, an account was allowed")
	}
}

// Front50 never sets a KMS key id, so pipegen refuses one (file or environment) and says why;
// bucket-owner-full-control is the one canned ACL it sets.
func TestS3EncryptionAndACL(t *testing.T) {
	load := func(yml string, env map[string]string) (*Config, error) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, FileName), []byte(yml), 0o644); err != nil {
			t.Fatal(err)
		}
		return Load(Overrides{Dir: dir}, func(k string) string { return env[k] }, dir)
	}
	for _, tc := range []struct {
		name, yml string
		env       map[string]string
		wantErr   string
		wantACL   string
	}{
		{"kms key id in the file", "s3:\n  sse: aws:kms\n  kmsKeyId: alias/x\n", nil, "pipegen.yaml:3:3: s3.kmsKeyId: a KMS key id is not supported: Front50 never sets one", ""},
		{"kms key id in the environment", "s3:\n  sse: aws:kms\n", map[string]string{"PIPEGEN_S3_KMS_KEY_ID": "alias/x"}, "PIPEGEN_S3_KMS_KEY_ID: a KMS key id is not supported", ""},
		{"bucket's default key", "s3:\n  sse: aws:kms\n", nil, "", ""},
		{"bucket-owner-full-control", "s3:\n  acl: bucket-owner-full-control\n", nil, "", "bucket-owner-full-control"},
		{"acl from the environment", "", map[string]string{"PIPEGEN_S3_ACL": "bucket-owner-full-control"}, "", "bucket-owner-full-control"},
		{"another acl", "s3:\n  acl: public-read\n", nil, `s3.acl "public-read": the only canned ACL pipegen sets is bucket-owner-full-control`, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := load(tc.yml, tc.env)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if cfg.ACL != tc.wantACL {
				t.Errorf("ACL = %q, want %q", cfg.ACL, tc.wantACL)
			}
		})
	}
}
