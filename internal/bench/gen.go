// Package bench is pipegen's end-to-end benchmark: a generator of synthetic services repos and a
// runner that times the real binary against versitygw on loopback, next to a Python
// implementation of the seed's sync() on the same repo and server.
package bench

import (
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Stacks and Pipelines are the shape of every synthetic service: each service has every stack,
// each stack every pipeline, so a repo of N services holds N*len(Stacks)*len(Pipelines)
// pipelines.
var (
	Stacks    = []string{"dev", "stage", "prod"}
	Pipelines = []string{"deploy", "canary", "rollback", "e2e"}
)

// PipelinesPerService is how many pipelines one synthetic service defines.
func PipelinesPerService() int { return len(Stacks) * len(Pipelines) }

// Dialect is a template language the repo is written for. The templates are one source with
// placeholders for the few spots where pongo2 and Jinja2 differ (loop variables).
type Dialect int

const (
	Pongo2 Dialect = iota // pipegen's templates/
	Jinja2                // the baseline's templates-jinja2/
)

//go:embed templates/*.yml
var templateFS embed.FS

var dialectWords = map[Dialect]*strings.Replacer{
	Pongo2: strings.NewReplacer("@I@", "forloop.Counter", "@I0@", "forloop.Counter0",
		"@FIRST@", "forloop.First", "@LAST@", "forloop.Last"),
	Jinja2: strings.NewReplacer("@I@", "loop.index", "@I0@", "loop.index0",
		"@FIRST@", "loop.first", "@LAST@", "loop.last"),
}

// Template returns the text of one synthetic template in a dialect at a revision. Every
// template prints its revision, so raising it changes every pipeline.
func Template(name string, d Dialect, rev int) (string, error) {
	b, err := templateFS.ReadFile("templates/" + name + ".yml")
	if err != nil {
		return "", fmt.Errorf("synthetic template %s: %w", name, err)
	}
	s := dialectWords[d].Replace(string(b))
	return strings.ReplaceAll(s, "@REV@", fmt.Sprint(rev)), nil
}

// templateOf maps an entry key to its template file name.
var templateOf = map[string]string{
	"deploy": "deploy", "canary": "deploy-canary", "rollback": "rollback", "e2e": "e2e",
}

var (
	products = []string{"azar", "hakuna", "hyperconnect", "matchgroup"}
	allRegs  = []string{"apne1", "apne2", "usw2", "euc1"}
	allSuite = []string{"api", "auth", "billing", "chat", "matching", "media", "profile", "search"}
	canaries = [][]int{{1, 5, 25}, {1, 5, 10, 50}, {1, 2, 5, 10, 25, 50}, {5, 20, 50}, {1, 10, 30, 60, 90}}
)

// ServiceName is the name of synthetic service i.
func ServiceName(i int) string { return fmt.Sprintf("svc-%05d", i) }

// Generate writes a services repo of n services under dir: pipegen.yaml, services/, templates/
// (pongo2) and templates-jinja2/ (the same templates for the Python baseline). Services vary in
// regions, canary steps and test suites, so pipelines differ in shape as well as in names.
func Generate(dir string, n, rev int) error {
	if dir == "" {
		return errors.New("generate: no folder given")
	}
	files := map[string]string{
		"pipegen.yaml": configFile(),
	}
	for i := 0; i < n; i++ {
		files[filepath.Join("services", products[i%len(products)], ServiceName(i)+".yaml")] = serviceFile(i)
	}
	if err := writeFiles(dir, files); err != nil {
		return err
	}
	return WriteTemplates(dir, rev)
}

// WriteTemplates (re)writes both template folders of a generated repo at revision rev.
func WriteTemplates(dir string, rev int) error {
	if dir == "" {
		return errors.New("write templates: no folder given")
	}
	files := map[string]string{}
	for _, name := range templateOf {
		for d, folder := range map[Dialect]string{Pongo2: "templates", Jinja2: "templates-jinja2"} {
			text, err := Template(name, d, rev)
			if err != nil {
				return err
			}
			files[filepath.Join(folder, name+".yml")] = text
		}
	}
	return writeFiles(dir, files)
}

// service is what varies between synthetic services.
type service struct {
	name, product, team, namespace, gitRepo string
	replicas, prodReplicas                  int
	regions, suites                         []string
	steps                                   []int
}

func serviceAt(i int) service {
	product := products[i%len(products)]
	suites := make([]string, 0, 6)
	for k := 0; k < 3+i%4; k++ {
		suites = append(suites, allSuite[(i+k)%len(allSuite)])
	}
	name := ServiceName(i)
	return service{
		name: name, product: product,
		team:      fmt.Sprintf("%s-team%d", product, i%7),
		namespace: fmt.Sprintf("%s-ns%d", product, i%13),
		gitRepo:   product + "/" + name,
		replicas:  1 + i%3, prodReplicas: 3 + i%5,
		regions: allRegs[:2+i%3],
		suites:  suites,
		steps:   canaries[i%len(canaries)],
	}
}

func serviceFile(i int) string {
	s := serviceAt(i)
	var b strings.Builder
	fmt.Fprintf(&b, "name: %s\nproduct: %s\nteam: %s\nnamespace: %s\ngitRepo: %s\n",
		s.name, s.product, s.team, s.namespace, s.gitRepo)
	fmt.Fprintf(&b, "vars:\n  replicas: %d\n  regions: %s\n  suites: %s\n", s.replicas, flowList(s.regions), flowList(s.suites))
	b.WriteString("stacks:\n")
	for _, st := range Stacks {
		fmt.Fprintf(&b, "  %s:\n", st)
		if st == "prod" {
			fmt.Fprintf(&b, "    vars: {replicas: %d}\n", s.prodReplicas)
		}
		b.WriteString("    pipelines:\n")
		for _, key := range Pipelines {
			tmpl := templateOf[key]
			switch key {
			case "deploy":
				b.WriteString("      - deploy\n")
			case "canary":
				fmt.Fprintf(&b, "      - template: %s\n        key: canary\n        vars: {steps: %s, deploy_pipeline: deploy-%s}\n", tmpl, flowInts(s.steps), st)
			case "e2e":
				fmt.Fprintf(&b, "      - template: %s\n        vars: {deploy_pipeline: deploy-%s}\n", tmpl, st)
			default:
				fmt.Fprintf(&b, "      - %s\n", tmpl)
			}
		}
	}
	return b.String()
}

// globalVars are pipegen.yaml's vars.
var globalVars = map[string]string{
	"chart_version":  "1.4.2",
	"values_repo":    "https://api.github.com/repos/hpcnt/deploy-values",
	"jenkins_master": "kube-jenkins-master",
	"slack_channel":  "#deploys",
	"slack_hook":     "T000/B000/XXXX",
}

// SampleVars is the template context synthetic service i gets in stack st, with the values
// typed as a services file gives them (numbers are json.Number): for micro-benchmarks that
// render one template without a repo.
func SampleVars(i int, stack string) map[string]any {
	s := serviceAt(i)
	vars := map[string]any{
		"app_name": s.name, "product": s.product, "team": s.team, "namespace": s.namespace,
		"git_repo": s.gitRepo, "stack": stack,
		"replicas":        json.Number(fmt.Sprint(s.replicas)),
		"regions":         strings2any(s.regions),
		"suites":          strings2any(s.suites),
		"deploy_pipeline": "deploy-" + stack,
	}
	if stack == "prod" {
		vars["replicas"] = json.Number(fmt.Sprint(s.prodReplicas))
	}
	steps := make([]any, len(s.steps))
	for k, v := range s.steps {
		steps[k] = json.Number(fmt.Sprint(v))
	}
	vars["steps"] = steps
	for k, v := range globalVars {
		vars[k] = v
	}
	return vars
}

func strings2any(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

func configFile() string {
	var b strings.Builder
	b.WriteString("# Synthetic repo for pipegen's benchmark (internal/bench). The store is given on the command line.\nlock: true\nvars:\n")
	keys := make([]string, 0, len(globalVars))
	for k := range globalVars {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(&b, "  %s: %q\n", k, globalVars[k])
	}
	return b.String()
}

func flowList(items []string) string { return "[" + strings.Join(items, ", ") + "]" }

func flowInts(items []int) string {
	s := make([]string, len(items))
	for i, v := range items {
		s[i] = fmt.Sprint(v)
	}
	return flowList(s)
}

func writeFiles(dir string, files map[string]string) error {
	for rel, text := range files {
		p := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return fmt.Errorf("generate %s: %w", p, err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			return fmt.Errorf("generate %s: %w", p, err)
		}
	}
	return nil
}
