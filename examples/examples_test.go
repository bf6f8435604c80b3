// Package examples holds ready-to-copy CI configurations. This test runs every pipegen command
// line they contain, in order, against a copy of the worked example with a file:// store, so
// the examples cannot drift from the CLI.
package examples

import (
	"bufio"
	"context"
	"fmt"
	"github.com/pipegen/pipegen/internal/cmdtest"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/pipegen/pipegen/pkg/cmd/root"
	"github.com/pipegen/pipegen/pkg/cmdutil"
	"github.com/pipegen/pipegen/pkg/iostreams"
	yaml "go.yaml.in/yaml/v3"
)

var exampleFiles = []string{"github-actions.yml", "gitlab-ci.yml", "Jenkinsfile",
	"github-actions-reviewed-plan.yml", "gitlab-ci-reviewed-plan.yml", "Jenkinsfile-reviewed-plan"}

// A pipegen invocation where a shell command starts: at the start of a line (a YAML list
// item or run: value included), in a Jenkins sh '…' or sh(script: '…'), or after ;, && or ||.
// Prose such as error('pipegen diff failed') or a marker comment does not match.
var invocation = regexp.MustCompile(`(^\s*(?:- )?(?:run: )?|\bsh\s*\(?\s*(?:script:\s*)?['"]|;\s*|&&\s*|\|\|\s*)pipegen\s+[a-z]`)

// commandLine is one pipegen invocation found in an example file.
type commandLine struct {
	line int
	text string   // as written, for messages
	args []string // without "pipegen"
}

// commandLines extracts the pipegen invocations of a file, in file order. Comment lines are
// left out; an invocation ends where the shell would stop passing arguments to it (a pipe,
// a redirection, ";", "&&", "||"), or at the quote that opened the string it is in.
func commandLines(t *testing.T, file string) []commandLine {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []commandLine
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		trimmed := strings.TrimSpace(line)
		if strings.HasPrefix(trimmed, "#") || strings.HasPrefix(trimmed, "//") {
			continue
		}
		for _, loc := range invocation.FindAllStringSubmatchIndex(line, -1) {
			start := loc[3] // end of the group before "pipegen"
			rest := line[start:]
			if prefix := line[loc[2]:loc[3]]; prefix != "" { // inside a string: stop at its closing quote
				if q := prefix[len(prefix)-1]; q == '\'' || q == '"' {
					if i := strings.IndexByte(rest, q); i >= 0 {
						rest = rest[:i]
					}
				}
			}
			words := cmdtest.ShellWords(rest)
			if len(words) < 2 || words[0] != "pipegen" {
				continue
			}
			out = append(out, commandLine{line: n, text: strings.Join(words, " "), args: words[1:]})
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// workspace is a copy of the worked example and an empty file store, like a CI checkout.
type workspace struct {
	t    *testing.T
	root string
	env  map[string]string
}

func newWorkspace(t *testing.T) *workspace {
	t.Helper()
	w := &workspace{t: t, root: t.TempDir()}
	cmdtest.CopyExample(t, "..", w.root)
	// The store a CI job syncs into is Front50's: it holds data already (here only what
	// Front50 writes after any save), so sync does not take it for a mistyped location.
	store := filepath.Join(t.TempDir(), "front50")
	if err := os.MkdirAll(filepath.Join(store, "pipelines"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(store, "pipelines", "last-modified.json"), []byte(`{"lastModified":1712345678901}`), 0o644); err != nil {
		t.Fatal(err)
	}
	// What the CI configurations set: the store and region from variables or secrets.
	w.env = map[string]string{
		"PIPEGEN_STORE":     "file://" + filepath.ToSlash(store),
		"PIPEGEN_S3_REGION": "us-east-1",
		"NO_COLOR":          "1",
	}
	return w
}

// run executes pipegen in-process in the workspace and returns the exit code and output.
func (w *workspace) run(args ...string) (int, string, string) {
	w.t.Helper()
	ios, _, out, errOut := iostreams.Test()
	f := &cmdutil.Factory{
		IOStreams: ios,
		Getenv:    func(k string) string { return w.env[k] },
		Getwd:     func() (string, error) { return w.root, nil },
		OpenStore: cmdutil.OpenStore,
	}
	cmd := root.NewCmd(f)
	cmd.SetArgs(args)
	err := cmd.ExecuteContext(context.Background())
	if err != nil {
		errOut.WriteString("error: " + err.Error() + "\n")
	}
	return cmdutil.ExitCode(err), out.String(), errOut.String()
}

func TestExampleCommandsRun(t *testing.T) {
	for _, file := range exampleFiles {
		t.Run(file, func(t *testing.T) {
			cmds := commandLines(t, file)
			seen := map[string]bool{}
			for _, c := range cmds {
				seen[c.args[0]] = true
			}
			for _, want := range []string{"validate", "diff", "sync"} {
				if !seen[want] {
					t.Errorf("%s runs no pipegen %s (found %d pipegen commands)", file, want, len(cmds))
				}
			}
			// The reviewed-plan variants apply the plan they saved, never a fresh one.
			if strings.Contains(file, "reviewed-plan") {
				for _, c := range cmds {
					if c.args[0] == "sync" && !hasFlag(c.args, "--plan") || c.args[0] == "diff" && !hasFlag(c.args, "--out") {
						t.Errorf("%s:%d: pipegen %s: the reviewed-plan variant must save (diff --out) and apply (sync --plan) one plan", file, c.line, strings.Join(c.args, " "))
					}
				}
			}
			w := newWorkspace(t)
			synced := false
			for _, c := range cmds {
				code, out, errOut := w.run(c.args...)
				want := []int{0}
				if c.args[0] == "diff" && hasFlag(c.args, "--exit-code") && !synced {
					want = []int{2} // the store starts empty: the plan creates the example's pipelines
				}
				if !containsInt(want, code) {
					t.Errorf("%s:%d: pipegen %s: exit %d, want %v\nstdout:\n%s\nstderr:\n%s", file, c.line, strings.Join(c.args, " "), code, want, out, errOut)
				}
				if c.args[0] == "diff" && hasFlag(c.args, "markdown") && !strings.HasPrefix(out, "### pipegen plan:") {
					t.Errorf("%s:%d: markdown plan starts %.40q", file, c.line, out)
				}
				if c.args[0] == "sync" && code == 0 {
					synced = true
				}
				// Two CI runs in a row must wait for each other's lock, not fail.
				if c.args[0] == "sync" && !hasFlag(c.args, "--dry-run") && !hasFlag(c.args, "--lock-timeout") {
					t.Errorf("%s:%d: pipegen sync without --lock-timeout", file, c.line)
				}
			}
			// After the example's sync, the plan is clean: diff --exit-code says 0.
			if code, out, _ := w.run("diff", "--exit-code"); code != 0 {
				t.Errorf("after the example's commands, diff --exit-code exits %d:\n%s", code, out)
			}
		})
	}
}

func hasFlag(args []string, flag string) bool {
	for _, a := range args {
		if a == flag {
			return true
		}
	}
	return false
}

func containsInt(list []int, v int) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// The YAML examples parse, and have the triggers the README promises.
func TestExampleYAMLIsValid(t *testing.T) {
	type doc = map[string]any
	read := func(file string) doc {
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		var d doc
		if err := yaml.Unmarshal(b, &d); err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		return d
	}
	gh := read("github-actions.yml")
	on, _ := gh["on"].(doc)
	if _, ok := on["pull_request"]; !ok {
		t.Error("github-actions.yml: no pull_request trigger")
	}
	if push, _ := on["push"].(doc); push == nil || push["branches"] == nil {
		t.Error("github-actions.yml: no push trigger on branches")
	}
	jobs, _ := gh["jobs"].(doc)
	if jobs["plan"] == nil || jobs["sync"] == nil {
		t.Errorf("github-actions.yml jobs: %v", keys(jobs))
	}
	gl := read("gitlab-ci.yml")
	for _, job := range []string{"pipegen-plan", "pipegen-sync"} {
		if gl[job] == nil {
			t.Errorf("gitlab-ci.yml has no job %s", job)
		}
	}
	// The reviewed-plan variants: the apply step waits for a person and gets the saved plan.
	ghr, _ := read("github-actions-reviewed-plan.yml")["jobs"].(doc)
	if apply, _ := ghr["apply"].(doc); apply == nil || apply["environment"] == nil || apply["needs"] != "plan" {
		t.Errorf("github-actions-reviewed-plan.yml: apply job %v, want one that needs plan and has an environment", apply)
	}
	glr := read("gitlab-ci-reviewed-plan.yml")
	apply, _ := glr["pipegen-apply"].(doc)
	rules, _ := apply["rules"].([]any)
	if len(rules) != 1 || rules[0].(doc)["when"] != "manual" {
		t.Errorf("gitlab-ci-reviewed-plan.yml: pipegen-apply must be started by hand: %v", apply)
	}
	if arts, _ := glr["pipegen-plan"].(doc)["artifacts"].(doc); !strings.Contains(fmt.Sprint(arts["paths"]), "plan.json") {
		t.Errorf("gitlab-ci-reviewed-plan.yml: the plan job must keep plan.json: %v", arts)
	}
}

// Every PIPEGEN_* variable the examples and the README mention is one pipegen reads.
func TestExampleVariablesExist(t *testing.T) {
	src, err := os.ReadFile("../pkg/config/config.go")
	if err != nil {
		t.Fatal(err)
	}
	known := map[string]bool{}
	for _, m := range regexp.MustCompile(`env\("(PIPEGEN_[A-Z0-9_]+)"\)`).FindAllStringSubmatch(string(src), -1) {
		known[m[1]] = true
	}
	if len(known) < 5 {
		t.Fatalf("found only %v in config.go", known)
	}
	mention := regexp.MustCompile(`PIPEGEN_[A-Z0-9_]*[A-Z0-9]`)
	for _, file := range append(exampleFiles, "README.md", "../README.md") {
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range mention.FindAllString(string(b), -1) {
			if !known[v] && !strings.HasPrefix(v, "PIPEGEN_TEST_") && v != "PIPEGEN_REQUIRE_S3" && v != "PIPEGEN_VERSITYGW" {
				t.Errorf("%s mentions %s, which pipegen does not read (it reads %v)", file, v, keys(known))
			}
		}
	}
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
