package render

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/pipegen/pipegen/internal/testtool"
	"github.com/pipegen/pipegen/pkg/yamldoc"
)

// The differential suite: every case in testdata/jinja/cases/*.yaml is rendered by pipegen and
// by Debian's Jinja2 (one Python process for the whole suite), and the parsed YAML must agree.
// A case pipegen refuses must say where (file:line:col), show its hint, and the hint applied
// (the case's fix) must render what Jinja2 renders for the original. testdata/jinja/README.md
// says how to add a case.

// jinjaCase is one entry of a cases file.
type jinjaCase struct {
	Name     string            `json:"name"`
	Template string            `json:"template"` // the main template, as a Jinja2 user writes it
	Files    map[string]string `json:"files"`    // other templates (include, import, extends)
	Vars     map[string]any    `json:"vars"`

	// Refused: pipegen rejects the template with an error containing this text. Then Hint must
	// appear in the message too, and Fix (the template with the hint applied; FixFiles for other
	// files) must render as Jinja2 renders Template.
	Refused  string            `json:"refused"`
	Hint     string            `json:"hint"`
	Fix      string            `json:"fix"`
	FixFiles map[string]string `json:"fix_files"`
	// NoFix: pipegen has no form that renders Jinja2's value (the hint says where to compute
	// it instead); the case then only checks the refusal and its position.
	NoFix bool `json:"no_fix"`

	// Error: Jinja2 fails on this template too (an undefined key, say); pipegen must fail with
	// an error at a line of a template that contains this text.
	Error string `json:"error"`

	// Text compares the rendered text exactly, not only the parsed YAML (whitespace control).
	Text bool `json:"text"`

	TrimBlocks   bool `json:"trim_blocks"`
	LstripBlocks bool `json:"lstrip_blocks"`

	source string // cases file, for messages
}

const jinjaMain = "main.yml"

func loadJinjaCases(t testing.TB) []*jinjaCase {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join("testdata", "jinja", "cases", "*.yaml"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no case files in testdata/jinja/cases (%v)", err)
	}
	sort.Strings(paths)
	var cases []*jinjaCase
	seen := map[string]string{}
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		v, err := yamldoc.Decode(data)
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		// Re-decode through JSON into the struct; vars keep yamldoc's types (json.Number), the
		// types pipegen's services loader gives templates.
		raw, err := json.Marshal(v)
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		var list []*jinjaCase
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		dec.DisallowUnknownFields()
		if err := dec.Decode(&list); err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		for _, c := range list {
			c.source = filepath.Base(p)
			if c.Name == "" {
				t.Fatalf("%s: a case has no name", p)
			}
			if prev, dup := seen[c.Name]; dup {
				t.Fatalf("%s: case %q is also in %s", p, c.Name, prev)
			}
			seen[c.Name] = c.source
			if c.Refused != "" && ((c.Fix == "" && !c.NoFix) || c.Hint == "") {
				t.Fatalf("%s: case %q is refused but has no fix and hint", p, c.Name)
			}
			cases = append(cases, c)
		}
	}
	return cases
}

func (c *jinjaCase) files(main string, extra map[string]string) map[string]string {
	out := map[string]string{jinjaMain: main}
	for k, v := range c.Files {
		out[k] = v
	}
	for k, v := range extra {
		out[k] = v
	}
	return out
}

type jinjaResult struct {
	Out   *string `json:"out"`
	Error string  `json:"error"`
}

// renderJinja2 renders every case with Jinja2 in one Python process.
func renderJinja2(t *testing.T, cases []*jinjaCase) map[string]jinjaResult {
	t.Helper()
	py := testtool.Python(t)
	type in struct {
		Name         string            `json:"name"`
		Files        map[string]string `json:"files"`
		Main         string            `json:"main"`
		Vars         map[string]any    `json:"vars"`
		TrimBlocks   bool              `json:"trim_blocks"`
		LstripBlocks bool              `json:"lstrip_blocks"`
	}
	batch := make([]in, len(cases))
	for i, c := range cases {
		batch[i] = in{c.Name, c.files(c.Template, nil), jinjaMain, c.Vars, c.TrimBlocks, c.LstripBlocks}
	}
	results := map[string]jinjaResult{}
	runPyBatch(t, py, "jinja2_batch.py", batch, &results)
	return results
}

// runPyBatch runs testdata/jinja/script with in as JSON on stdin and decodes its stdout into out.
func runPyBatch(t *testing.T, py, script string, in, out any) {
	t.Helper()
	input, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(py, filepath.Join("testdata", "jinja", script))
	cmd.Stdin = bytes.NewReader(input)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	raw, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s: %v\n%s", script, err, stderr.String())
	}
	if err := json.Unmarshal(raw, out); err != nil {
		t.Fatalf("%s output: %v", script, err)
	}
}

// renderPipegen renders files' main template with pipegen.
func renderPipegen(t testing.TB, c *jinjaCase, files map[string]string) (string, error) {
	t.Helper()
	e, _ := newTestEngine(t, files)
	e.SetOptions(Options{TrimBlocks: c.TrimBlocks, LstripBlocks: c.LstripBlocks})
	out, err := e.Render("main", c.Vars, nil)
	return string(out), err
}

// sameDocument compares two renderings as YAML documents (and as text when want says so).
func sameDocument(got, want string, text bool) error {
	if text {
		if got != want {
			return fmt.Errorf("text differs:\npipegen: %q\njinja2:  %q", got, want)
		}
		return nil
	}
	wv, werr := yamldoc.Decode([]byte(want))
	gv, gerr := yamldoc.Decode([]byte(got))
	switch {
	case werr != nil && gerr != nil:
		if got != want {
			return fmt.Errorf("neither is YAML and the texts differ:\npipegen: %q\njinja2:  %q", got, want)
		}
		return nil
	case werr != nil:
		return fmt.Errorf("Jinja2's output is not YAML (%v) but pipegen's is:\npipegen: %q\njinja2:  %q", werr, got, want)
	case gerr != nil:
		return fmt.Errorf("pipegen's output is not YAML (%v):\npipegen: %q\njinja2:  %q", gerr, got, want)
	}
	if !reflect.DeepEqual(normNumbers(gv), normNumbers(wv)) {
		return fmt.Errorf("documents differ:\npipegen: %q\njinja2:  %q", got, want)
	}
	return nil
}

// normNumbers makes 1 and 1.0 different but 1.0 and 1.00 equal: numbers compare by their
// JSON text after a float round trip for non-integers.
func normNumbers(v any) any {
	switch x := v.(type) {
	case json.Number:
		s := string(x)
		if strings.ContainsAny(s, ".eE") {
			if f, err := x.Float64(); err == nil {
				return fmt.Sprintf("float:%v", f)
			}
		}
		return "int:" + s
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = normNumbers(e)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = normNumbers(e)
		}
		return out
	}
	return v
}

// positioned requires err to be a template error at a line of a template file.
func positioned(err error) error {
	var re *Error
	if !errors.As(err, &re) {
		return fmt.Errorf("error is not a template error: %v", err)
	}
	if re.Line <= 0 || re.Col <= 0 || !strings.HasPrefix(re.File, "templates/") {
		return fmt.Errorf("error does not name file:line:col of a template: %v", err)
	}
	return nil
}

func TestJinja2Differential(t *testing.T) {
	cases := loadJinjaCases(t)
	if len(cases) < 150 {
		t.Errorf("the suite has %d cases; it must keep at least 150", len(cases))
	}
	ref := renderJinja2(t, cases)
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			t.Parallel()
			checkJinjaCase(t, c, ref)
		})
	}
}

// checkJinjaCase renders one case with pipegen and compares it with Jinja2's answer in ref.
func checkJinjaCase(t *testing.T, c *jinjaCase, ref map[string]jinjaResult) {
	want, ok := ref[c.Name]
	if !ok {
		t.Fatalf("%s: Jinja2 gave no answer", c.source)
	}
	got, err := renderPipegen(t, c, c.files(c.Template, nil))
	switch {
	case c.Error != "":
		if want.Out != nil {
			t.Fatalf("%s: the case says Jinja2 fails, but it renders %q", c.source, *want.Out)
		}
		if err == nil {
			t.Fatalf("%s: Jinja2 fails (%s) but pipegen renders %q", c.source, want.Error, got)
		}
		if !strings.Contains(err.Error(), c.Error) {
			t.Errorf("%s: pipegen's error %q does not contain %q", c.source, err, c.Error)
		}
		if perr := positioned(err); perr != nil {
			t.Errorf("%s: %v", c.source, perr)
		}
		return
	case want.Out == nil:
		t.Fatalf("%s: Jinja2 fails on this case (%s); mark it with error:", c.source, want.Error)
	case c.Refused != "":
		if err == nil {
			t.Fatalf("%s: the case says pipegen refuses it, but it renders %q (Jinja2: %q)", c.source, got, *want.Out)
		}
		if !strings.Contains(err.Error(), c.Refused) {
			t.Errorf("%s: pipegen's error %q does not contain %q", c.source, err, c.Refused)
		}
		if perr := positioned(err); perr != nil {
			t.Errorf("%s: %v", c.source, perr)
		}
		if !strings.Contains(err.Error(), c.Hint) {
			t.Errorf("%s: pipegen's error %q does not show the hint %q", c.source, err, c.Hint)
		}
		if c.NoFix {
			return
		}
		fixed, ferr := renderPipegen(t, c, c.files(c.Fix, c.FixFiles))
		if ferr != nil {
			t.Fatalf("%s: the hint applied fails: %v", c.source, ferr)
		}
		if derr := sameDocument(fixed, *want.Out, c.Text); derr != nil {
			t.Errorf("%s: the hint applied renders differently from Jinja2: %v", c.source, derr)
		}
		return
	}
	if err != nil {
		t.Fatalf("%s: pipegen refuses what Jinja2 renders (%q): %v", c.source, *want.Out, err)
	}
	if derr := sameDocument(got, *want.Out, c.Text); derr != nil {
		t.Errorf("%s: %v", c.source, derr)
	}
}
