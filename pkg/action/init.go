package action

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/pipegen/pipegen/pkg/config"
	"github.com/pipegen/pipegen/pkg/services"
)

// DefaultInitService is the service `pipegen init` scaffolds unless told otherwise.
const DefaultInitService = "my-service"

// InitOptions shape a scaffold.
type InitOptions struct {
	Dir     string // the new services repo root; created if missing
	Service string // the example service's name; DefaultInitService if empty
}

// InitResult lists what init created, relative to Dir, slash-separated, in creation order.
type InitResult struct {
	Created []string
	// Kept lists optional files that existed already and were left alone (.gitignore).
	Kept []string
}

// Init scaffolds a services repo: pipegen.yaml, one service and one template, plus a .gitignore
// for the embedded store when there is none. It refuses to replace any of the three main files:
// when one exists, nothing is written.
func Init(opt InitOptions) (*InitResult, error) {
	name := opt.Service
	if name == "" {
		name = DefaultInitService
	}
	files := []struct {
		path     string
		body     string
		optional bool
	}{
		{config.FileName, initConfig, false},
		{"services/" + name + ".yaml", fmt.Sprintf(initService, name), false},
		{"templates/deploy.yml", initTemplate, false},
		{".gitignore", initGitignore, true},
	}
	// The service file must be valid before anything is written.
	if _, errs := services.Parse(files[1].path, []byte(files[1].body)); len(errs) > 0 {
		return nil, fmt.Errorf("--service %q: %w", name, errors.Join(errs...))
	}
	if fi, err := os.Stat(opt.Dir); err == nil && !fi.IsDir() {
		return nil, fmt.Errorf("%s is not a directory", opt.Dir)
	}

	res := &InitResult{}
	var exist []string
	for _, f := range files {
		_, err := os.Lstat(filepath.Join(opt.Dir, filepath.FromSlash(f.path)))
		switch {
		case err == nil && f.optional:
			res.Kept = append(res.Kept, f.path)
		case err == nil:
			exist = append(exist, f.path)
		case !errors.Is(err, fs.ErrNotExist):
			return nil, fmt.Errorf("check %s: %w", f.path, err)
		}
	}
	if len(exist) > 0 {
		verb := "exists"
		if len(exist) > 1 {
			verb = "exist"
		}
		return nil, fmt.Errorf("%s already %s in %s; init never overwrites: use an empty folder", strings.Join(exist, " and "), verb, opt.Dir)
	}

	var todo []ImportedFile
	for _, f := range files {
		if f.optional && contains(res.Kept, f.path) {
			continue
		}
		todo = append(todo, ImportedFile{Path: filepath.Join(opt.Dir, filepath.FromSlash(f.path)), Display: f.path, Data: []byte(f.body)})
		res.Created = append(res.Created, f.path)
	}
	if err := writeNewFiles(todo); err != nil {
		return nil, err
	}
	return res, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

const initConfig = `# pipegen project config. Every key is optional.
#
# Where Front50 keeps its pipelines. Unset, pipegen uses an embedded store in this repo
# (file://.pipegen/front50, same layout as the bucket), so you can try everything offline.
# store: s3://my-front50-bucket/front50
# s3:
#   region: us-east-1
#   endpoint: http://127.0.0.1:9000   # MinIO and other S3-compatible servers
#   sse: AES256
services: services
templates: templates
# Variables every template sees (a service, stack or pipeline entry can override them).
vars:
  settle_seconds: 30
# Lock managed pipelines in the UI, so changes go through this repo.
lock: true
`

// initService is a format string: %[1]s is the service name.
const initService = `# One service is one Spinnaker application. Its stacks list the pipelines to render, each
# from a template in templates/. Every pipeline's id is derived from (service, stack, key).
name: %[1]s
team: my-team
namespace: %[1]s
vars:
  replicas: 1
stacks:
  dev:
    pipelines: [deploy]
  prod:
    vars: {replicas: 3}
    pipelines: [deploy]
`

const initTemplate = `# A deploy pipeline, rendered once per stack that lists it. Built-ins: app_name, stack,
# namespace, team, product, git_repo, service; variables: replicas, settle_seconds.
# Printed strings are escaped for YAML double quotes: keep them inside "…". SpEL (${…}) passes
# through untouched.
name: "deploy-{{ stack }}"
parameterConfig:
  - name: version
    label: Image tag
    required: true
    default: latest
stages:
{% if stack == "prod" %}
  - refId: approve
    name: Approve the release
    type: manualJudgment
    requisiteStageRefIds: []
    failPipeline: true
{% endif %}
  - refId: deploy
    name: "Deploy to {{ stack }}"
    type: deployManifest
    requisiteStageRefIds: [{% if stack == "prod" %}approve{% endif %}]
    account: "k8s-{{ stack }}"
    cloudProvider: kubernetes
    source: text
    moniker:
      app: "{{ app_name }}"
    manifests:
      - apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: "{{ app_name }}"
          namespace: "{{ namespace }}"
        spec:
          replicas: {{ replicas }}
          selector:
            matchLabels: {app: "{{ app_name }}"}
          template:
            metadata:
              labels: {app: "{{ app_name }}"}
            spec:
              containers:
                - name: app
                  image: "registry.example.com/{{ app_name }}:${parameters.version}"
  - refId: settle
    name: Let it settle
    type: wait
    requisiteStageRefIds: [deploy]
    waitTime: {{ settle_seconds }}
`

const initGitignore = `# pipegen's embedded store (file://.pipegen/front50): local state, not source.
/.pipegen/
`
