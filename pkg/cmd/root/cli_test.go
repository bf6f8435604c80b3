package root

import (
	"bufio"
	"context"
	"encoding/json"
	"github.com/pipegen/pipegen/internal/cmdtest"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/pipegen/pipegen/pkg/cmdutil"
	"github.com/pipegen/pipegen/pkg/iostreams"
	"github.com/spf13/cobra"
)

// runTTY runs pipegen like cli.run, with the streams adjusted first (terminal or not).
func (c *cli) runTTY(stdoutTTY, stderrTTY bool, args ...string) result {
	c.t.Helper()
	ios, _, out, errOut := iostreams.Test()
	ios.SetStdoutTTY(stdoutTTY)
	ios.SetStderrTTY(stderrTTY)
	f := &cmdutil.Factory{
		IOStreams: ios,
		Getenv:    func(k string) string { return c.env[k] },
		Getwd:     func() (string, error) { return c.root, nil },
		OpenStore: cmdutil.OpenStore,
		Version:   "v1.2.3",
		Commit:    "abc1234",
	}
	cmd := NewCmd(f)
	cmd.SetArgs(args)
	err := cmd.ExecuteContext(context.Background())
	if err != nil {
		var ee *cmdutil.ExitError
		if !asExit(err, &ee) || ee.Err != nil {
			errOut.WriteString("error: " + err.Error() + "\n")
		}
	}
	return result{code: cmdutil.ExitCode(err), out: out.String(), errOut: errOut.String()}
}

// exampleRepo copies the worked example at the repo root (pipegen.yaml, services/, templates/).
func exampleRepo(t *testing.T) *cli {
	t.Helper()
	c := newCLI(t, nil)
	src, _ := filepath.Abs("../../..")
	cmdtest.CopyExample(t, src, c.root)
	return c
}

// allCommands is every command of the tree, the root and cobra's own included.
func allCommands() []*cobra.Command {
	ios, _, _, _ := iostreams.Test()
	root := NewCmd(&cmdutil.Factory{IOStreams: ios})
	var out []*cobra.Command
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		if !c.Hidden {
			out = append(out, c)
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
	return out
}

// checkCommandLine reports whether args (without "pipegen") name a command and flags that
// exist, with acceptable arguments, without running anything.
func checkCommandLine(args []string) error {
	ios, _, _, _ := iostreams.Test()
	root := NewCmd(&cmdutil.Factory{IOStreams: ios})
	c, rest, err := root.Find(args)
	if err != nil {
		return err
	}
	if err := c.ParseFlags(rest); err != nil && err.Error() != "pflag: help requested" {
		return err
	}
	if c.Args != nil {
		return c.ValidateArgs(c.Flags().Args())
	}
	return nil
}

// Every command has examples in --help, and every example is a valid command line.
func TestEveryCommandHasExamples(t *testing.T) {
	cmds := allCommands()
	if len(cmds) < 14 {
		t.Fatalf("only %d commands found", len(cmds))
	}
	for _, c := range cmds {
		t.Run(c.CommandPath(), func(t *testing.T) {
			if strings.TrimSpace(c.Example) == "" {
				t.Fatal("no Example")
			}
			for _, line := range strings.Split(c.Example, "\n") {
				for _, part := range strings.Split(line, "&&") {
					words := cmdtest.ShellWords(strings.TrimSpace(part))
					if len(words) == 0 || words[0] != "pipegen" {
						continue
					}
					if err := checkCommandLine(words[1:]); err != nil {
						t.Errorf("example %q: %v", part, err)
					}
				}
			}
		})
	}
}

// Every `pipegen …` line in the README's code blocks names commands and flags that exist.
func TestREADMECommandLines(t *testing.T) {
	f, err := os.Open("../../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	inCode, n := false, 0
	prompt := regexp.MustCompile(`^(\$ )?pipegen(\s|$)`)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(line, "```") {
			inCode = !inCode
			continue
		}
		if !inCode || !prompt.MatchString(line) {
			continue
		}
		words := cmdtest.ShellWords(strings.TrimPrefix(line, "$ "))
		n++
		if err := checkCommandLine(words[1:]); err != nil {
			t.Errorf("README: %q: %v", line, err)
		}
	}
	if n < 10 {
		t.Errorf("only %d pipegen command lines found in README.md", n)
	}
}

func TestCompletion(t *testing.T) {
	c := exampleRepo(t)
	for shell, want := range map[string]string{
		"bash": "# bash completion V2 for pipegen", "zsh": "#compdef pipegen", "fish": "# fish completion for pipegen",
	} {
		r := c.run("completion", shell)
		if r.code != 0 || !strings.HasPrefix(r.out, want) {
			t.Errorf("completion %s: exit %d, starts %.40q", shell, r.code, r.out)
		}
	}
	complete := func(args ...string) []string {
		t.Helper()
		r := c.run(append([]string{cobra.ShellCompRequestCmd}, args...)...)
		if r.code != 0 {
			t.Fatalf("__complete %v: exit %d %s", args, r.code, r.errOut)
		}
		var vals []string
		for _, l := range strings.Split(strings.TrimSpace(r.out), "\n") {
			if !strings.HasPrefix(l, ":") {
				vals = append(vals, strings.SplitN(l, "\t", 2)[0])
			}
		}
		return vals
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"sync", "--service", ""}, "my-microservice"},
		{[]string{"diff", "--stack", ""}, "dev prod"},
		{[]string{"render", "--stack", "p"}, "dev prod"}, // the shell filters by prefix
		{[]string{"diff", "-o", ""}, "text json markdown html"},
		{[]string{"render", "-o", ""}, "json yaml"},
		{[]string{"completion", ""}, "bash fish powershell zsh"},
		{[]string{"imp"}, "import"},
	} {
		if got := strings.Join(complete(tc.args...), " "); got != tc.want {
			t.Errorf("__complete %q = %q, want %q", tc.args, got, tc.want)
		}
	}
	if r := c.run("sync", "-q"); r.code != 0 {
		t.Fatal(r.errOut)
	}
	if got := strings.Join(complete("import", "--service", ""), " "); got != "my-microservice" {
		t.Errorf("import --service completes %q from the store", got)
	}
}

func TestColour(t *testing.T) {
	c := newCLI(t, map[string]string{"services/app.yaml": okService, "templates/deploy.yml": okTemplate})
	const esc = "\x1b["
	for _, tc := range []struct {
		name   string
		tty    bool
		env    map[string]string
		args   []string
		colour bool
	}{
		{"terminal", true, nil, nil, true},
		{"pipe", false, nil, nil, false},
		{"--no-color", true, nil, []string{"--no-color"}, false},
		{"NO_COLOR", true, map[string]string{"NO_COLOR": "1"}, nil, false},
		{"TERM=dumb", true, map[string]string{"TERM": "dumb"}, nil, false},
		{"markdown", true, nil, []string{"-o", "markdown"}, false},
		{"json", true, nil, []string{"-o", "json"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c.env = tc.env
			r := c.runTTY(tc.tty, tc.tty, append([]string{"diff"}, tc.args...)...)
			if r.code != 0 {
				t.Fatalf("exit %d: %s", r.code, r.errOut)
			}
			if got := strings.Contains(r.out, esc); got != tc.colour {
				t.Errorf("colour = %v, want %v:\n%q", got, tc.colour, r.out)
			}
		})
	}
}

func TestProgressOnlyOnTerminal(t *testing.T) {
	files := map[string]string{"services/app.yaml": okService, "templates/deploy.yml": okTemplate}
	for _, tc := range []struct {
		name string
		tty  bool
		args []string
		want bool
	}{
		{"terminal", true, nil, true},
		{"pipe", false, nil, false},
		{"quiet", true, []string{"-q"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newCLI(t, files)
			r := c.runTTY(false, tc.tty, append([]string{"sync"}, tc.args...)...)
			if r.code != 0 {
				t.Fatalf("exit %d: %s", r.code, r.errOut)
			}
			if got := strings.Contains(r.errOut, "\r\x1b[Ksyncing 1/1"); got != tc.want {
				t.Errorf("progress shown = %v, want %v: %q", got, tc.want, r.errOut)
			}
			if strings.Contains(r.out, "\r") {
				t.Errorf("progress on stdout: %q", r.out)
			}
		})
	}
}

// Results go to stdout, problems and chatter to stderr; -q and -v change how much is said.
func TestStreamsQuietVerbose(t *testing.T) {
	c := newCLI(t, map[string]string{"services/app.yaml": okService, "templates/deploy.yml": okTemplate})
	r := c.run("render")
	var docs []map[string]any
	if r.code != 0 || json.Unmarshal([]byte(r.out), &docs) != nil || len(docs) != 1 || r.errOut != "" {
		t.Fatalf("render: exit %d, stdout %q, stderr %q", r.code, r.out, r.errOut)
	}
	r = c.run("sync", "-v")
	if r.code != 0 || !strings.Contains(r.out, "1 to create") || !strings.Contains(r.errOut, "store requests: 1 list") || !strings.Contains(r.errOut, "created app/deploy-dev") {
		t.Fatalf("sync -v: exit %d\nstdout %s\nstderr %s", r.code, r.out, r.errOut)
	}
	c.write("templates/deploy.yml", strings.Replace(okTemplate, "default:30", "default:40", 1))
	r = c.run("sync", "-q")
	if r.code != 0 || strings.Contains(r.out, "to update") || r.errOut != "" || !strings.Contains(r.out, "Applied: 0 created, 1 updated") {
		t.Fatalf("sync -q: exit %d\nstdout %q\nstderr %q", r.code, r.out, r.errOut)
	}
	if r := c.run("sync", "-q", "-v"); r.code != 1 || !strings.Contains(r.errOut, "none of the others can be") {
		t.Errorf("-q with -v: exit %d %s", r.code, r.errOut)
	}
	c.write("templates/deploy.yml", "name: x\nstages:\n  - refId: a\n    type: wait\n    waitTime: {{ nope }}\n")
	r = c.run("validate")
	if r.code != 1 || r.out != "" || !strings.Contains(r.errOut, "templates/deploy.yml:5") {
		t.Errorf("validate with a problem: exit %d\nstdout %q\nstderr %q", r.code, r.out, r.errOut)
	}
}

func TestVersion(t *testing.T) {
	c := newCLI(t, nil)
	if r := c.runTTY(false, false, "version"); r.code != 0 || r.out != "pipegen v1.2.3 (commit abc1234)\n" {
		t.Errorf("version: exit %d %q", r.code, r.out)
	}
}

func TestInitThenValidateAndSync(t *testing.T) {
	c := newCLI(t, nil)
	r := c.run("init", "--service", "payments")
	if r.code != 0 {
		t.Fatalf("init: exit %d %s", r.code, r.errOut)
	}
	for _, f := range []string{"pipegen.yaml", "services/payments.yaml", "templates/deploy.yml", ".gitignore"} {
		if !strings.Contains(r.out, "+ "+f) {
			t.Errorf("init does not say it created %s:\n%s", f, r.out)
		}
	}
	if r := c.run("validate"); r.code != 0 || r.out != "2 pipelines valid\n" {
		t.Fatalf("validate: exit %d %q %s", r.code, r.out, r.errOut)
	}
	if r := c.run("sync", "--dry-run"); r.code != 0 || !strings.Contains(r.out, "2 to create, 0 to update, 0 to delete, 0 unchanged") || len(c.storeFiles()) > 0 {
		t.Fatalf("sync --dry-run: exit %d\n%s%s", r.code, r.out, r.errOut)
	}
	if r := c.run("sync"); r.code != 0 {
		t.Fatalf("sync: exit %d %s", r.code, r.errOut)
	}
	if r := c.run("diff", "--exit-code"); r.code != 0 {
		t.Fatalf("diff after sync: exit %d\n%s", r.code, r.out)
	}
	before, _ := os.ReadFile(filepath.Join(c.root, "pipegen.yaml"))
	if r := c.run("init"); r.code != 1 || !strings.Contains(r.errOut, "pipegen.yaml and templates/deploy.yml already exist") {
		t.Errorf("second init: exit %d %s", r.code, r.errOut)
	}
	if after, _ := os.ReadFile(filepath.Join(c.root, "pipegen.yaml")); string(after) != string(before) {
		t.Error("second init changed pipegen.yaml")
	}
	sub := c.run("init", "nested/repo", "-q")
	if sub.code != 0 || sub.out != "" {
		t.Errorf("init -q DIR: exit %d %q %s", sub.code, sub.out, sub.errOut)
	}
	if _, err := os.Stat(filepath.Join(c.root, "nested", "repo", "services", "my-service.yaml")); err != nil {
		t.Error(err)
	}
}

// The example synced, made UI-owned, imported into an empty repo: diff --exit-code is 0.
func TestImportThenDiffIsClean(t *testing.T) {
	src := exampleRepo(t)
	store := "file://" + filepath.ToSlash(filepath.Join(t.TempDir(), "front50"))
	if r := src.run("sync", "--allow-empty-store", "--store", store); r.code != 0 {
		t.Fatalf("sync: %s", r.errOut)
	}
	dir := strings.TrimPrefix(store, "file://")
	ids, _ := filepath.Glob(filepath.Join(dir, "pipelines", "*", "pipeline-metadata.json"))
	if len(ids) != 3 {
		t.Fatalf("%d stored pipelines", len(ids))
	}
	for _, p := range ids {
		b, _ := os.ReadFile(p)
		var doc map[string]any
		if err := json.Unmarshal(b, &doc); err != nil {
			t.Fatal(err)
		}
		delete(doc, "pipegen")
		delete(doc, "locked")
		b, _ = json.Marshal(doc)
		os.WriteFile(p, b, 0o644)
	}

	c := newCLI(t, nil)
	if r := c.run("import", "--store", store); r.code != 1 || !strings.Contains(r.errOut, `required flag(s) "service" not set`) {
		t.Errorf("import without --service: exit %d %s", r.code, r.errOut)
	}
	if r := c.run("diff", "--store", store, "--exit-code"); r.code != 1 {
		t.Errorf("diff in an empty folder: exit %d, want 1 (no services folder)", r.code)
	}
	storeFiles := func() map[string]string {
		out := map[string]string{}
		filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				b, _ := os.ReadFile(p)
				out[p] = string(b)
			}
			return nil
		})
		return out
	}
	before := storeFiles()
	r := c.run("import", "--service", "my-microservice", "--store", store, "--dry-run")
	if r.code != 0 || !strings.Contains(r.out, "Would write 3 pipeline(s) of my-microservice") || !strings.Contains(r.out, "Nothing was written") {
		t.Fatalf("import --dry-run: exit %d\n%s%s", r.code, r.out, r.errOut)
	}
	if _, err := os.Stat(filepath.Join(c.root, "services")); err == nil {
		t.Fatal("import --dry-run wrote files")
	}
	r = c.run("import", "--service", "my-microservice", "--store", store)
	if r.code != 0 {
		t.Fatalf("import: exit %d\n%s%s", r.code, r.out, r.errOut)
	}
	for _, want := range []string{"+ services/my-microservice.yaml", "+ templates/imported/my-microservice/deploy.yml", "as 2 template(s)", "The store was not changed"} {
		if !strings.Contains(r.out, want) {
			t.Errorf("import output lacks %q:\n%s", want, r.out)
		}
	}
	if !reflect.DeepEqual(storeFiles(), before) {
		t.Fatal("import wrote to the store")
	}
	r = c.run("diff", "--store", store, "--exit-code")
	if r.code != 2 || strings.Count(r.out, "to adopt: imported") != 3 || !strings.Contains(r.out, "0 to create, 3 to update, 0 to delete, 0 unchanged") {
		t.Fatalf("diff after import: exit %d\n%s%s", r.code, r.out, r.errOut)
	}
	if r := c.run("sync", "--store", store); r.code != 0 {
		t.Fatalf("sync after import: exit %d\n%s%s", r.code, r.out, r.errOut)
	}
	if r := c.run("diff", "--store", store, "--exit-code"); r.code != 0 || !strings.Contains(r.out, "0 to create, 0 to update, 0 to delete, 3 unchanged") {
		t.Fatalf("diff after sync: exit %d\n%s%s", r.code, r.out, r.errOut)
	}
	if r := c.run("import", "--service", "my-microservice", "--store", store); r.code != 0 || !strings.Contains(r.out, "Nothing to import") {
		t.Errorf("second import: exit %d %s%s", r.code, r.out, r.errOut)
	}
	// Imported pipelines are now owned: importing them into another repo skips them.
	other := newCLI(t, nil)
	r = other.run("import", "--service", "my-microservice", "--store", store)
	if r.code != 0 || !strings.Contains(r.out, "Nothing to import") || !strings.Contains(r.out, "Left alone: 3 pipeline(s) pipegen manages already") {
		t.Errorf("import of owned pipelines: exit %d\n%s%s", r.code, r.out, r.errOut)
	}
}
