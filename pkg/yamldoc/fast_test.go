package yamldoc

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"maps"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/pipegen/pipegen/internal/testtool"
)

// compareFast checks the fast path against the full one: where decodeFast answers, the full
// path must give the very same values. It reports whether the fast path answered.
func compareFast(t *testing.T, text string) bool {
	t.Helper()
	got, ok := decodeFast([]byte(text))
	if !ok {
		return false
	}
	want, err := decodeFull([]byte(text))
	if err != nil {
		t.Fatalf("fast path decoded %q, the full path fails: %v", text, err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("fast path decoded %q as\n%#v\nthe full path as\n%#v", text, got, want)
	}
	return true
}

func TestDecodeFastCases(t *testing.T) {
	cases := []struct {
		text string
		fast bool // the fast path must answer
	}{
		{"a: 1\nb: -2\nc: 0\n", true},
		{"a: yes\nb: Off\nc: TRUE\nd: null\ne: ~\nf:\ng: y\n", true},
		{"k: \"a\\\"b\\\\c\\n\\t\\u00e9\"\nq: 'it''s'\n", true},
		{"k: \"\\/\"\n", false},
		{"# comment\n---\nk: v # comment\nl: a#b\n", true},
		{"s:\n- a\n- b: 1\n  c: [x, \"y\", 3, {\"z\": [], w: {}}]\n-\n- - x\n", false},
		{"s:\n  - a\n  - b: 1\n    c:\n      - d\n", true},
		{"job: 99-common/job/docker-build\nimage: nginx:1.2\nn: 1.5\n", false},
		{"job: 99-common/job/docker-build\nimage: nginx:1.2\n", true},
		{"a: 1\na: 2\n", false},
		{"a: |\n  x\n", false},
		{"a: &x 1\nb: *x\n", false},
		{"a: 0x1F\n", false},
		{"a: 1_000\n", false},
		{"a: 2001-12-14\n", false},
		{"a: b: c\n", false},
		{"a: 1\n b: 2\n", false},
		{"a: \"x\n  y\"\n", false},
		{"a: [1,\n  2]\n", false},
		{"a: [1, 2,]\n", false},
		{"a:\tb\n", false},
		{"a: b\r\n", false},
		{"a: 1\n---\nb: 2\n", false},
		{"<<: {a: 1}\n", false},
		{"", false},
		{"key with space: v\n\"quoted key\": w\n", true},
		{"a: {\"x\":1}\n", true},
		{"a: {x:1}\n", false},
		{"a: [a: 1]\n", false},
		{"e: []\nf: {}\n", true},
		{"a: \"\\ud800\"\n", false},
		{"a: \"\\x41\"\n", false},
		{"- 1\n- a\n", true},
		{"a:\n  b\n", false},
		{"a: '#x'\nb: \"#y\"\n", true},
		{"a: -\n", false},
		{"a: 123456789012345678\nb: 1234567890123456789\n", false},
		{"a: 123456789012345678\n", true},
	}
	for _, c := range cases {
		if got := compareFast(t, c.text); got != c.fast {
			t.Errorf("%q: fast path answered %v, want %v", c.text, got, c.fast)
		}
	}
}

// TestDecodeFastCoversRenderedPipelines guards the point of the fast path: the rendered bench
// pipeline (what a render decodes 10 000 times) must not fall back to yaml.v3.
func TestDecodeFastCoversRenderedPipelines(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "rendered-deploy.yml"))
	if err != nil {
		t.Fatal(err)
	}
	if !compareFast(t, string(data)) {
		t.Fatal("the rendered pipeline took the full path")
	}
}

// TestDecodeFastCorpus writes every JSON pipeline of the corpus as block YAML, in a few
// styles, and compares the two paths on each.
func TestDecodeFastCorpus(t *testing.T) {
	dir := testtool.CorpusDir("../../..")
	var docs []any
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".json") {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		var v any
		if json.Unmarshal(data, &v) == nil { // storage files with placeholders are not JSON
			docs = append(docs, v)
		}
		return nil
	})
	if len(docs) == 0 {
		testtool.NoCorpus(t, dir)
	}
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(7, 7))
	fast := 0
	for _, d := range docs {
		for style := 0; style < 3; style++ {
			var b strings.Builder
			e := &emitter{b: &b, rng: rng, style: style}
			if _, ok := d.(map[string]any); !ok {
				b.WriteString("root:\n")
				e.block(d, 2)
			} else {
				e.block(d, 0)
			}
			if compareFast(t, b.String()) {
				fast++
			}
		}
	}
	t.Logf("%d of %d documents took the fast path", fast, 3*len(docs))
}

// TestDecodeFastRandom generates documents from tricky scalars and layouts, damages some of
// them, and compares the two paths.
func TestDecodeFastRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	n := 30000
	if testing.Short() {
		n = 3000
	}
	fast := 0
	for i := 0; i < n; i++ {
		var b strings.Builder
		e := &emitter{b: &b, rng: rng, style: rng.IntN(3), tricky: true}
		e.block(e.randomTree(0), 0)
		text := b.String()
		if rng.IntN(3) == 0 {
			text = damage(rng, text)
		}
		if compareFast(t, text) {
			fast++
		}
	}
	t.Logf("%d of %d generated documents took the fast path", fast, n)
	if fast < n/10 {
		t.Errorf("only %d of %d generated documents took the fast path: the comparison tests little", fast, n)
	}
}

func FuzzDecodeFast(f *testing.F) {
	for _, s := range []string{
		"a: 1\nb: [x, \"y\", {\"z\": 1}]\n",
		"s:\n- a\n- b: 1\n  c: d # e\n",
		"k: 'it''s'\nq: \"\\u00e9\"\n",
		"a: on\nb: 0\nc: -3\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		compareFast(t, s)
	})
}

// emitter writes values as block YAML; tricky adds comments, odd spacing and flow forms.
type emitter struct {
	b      *strings.Builder
	rng    *rand.Rand
	style  int
	tricky bool
}

var trickyScalars = []string{
	"", " ", "a", "yes", "No", "on", "OFF", "y", "n", "true", "False", "TRUE", "null", "Null", "~",
	"0", "-0", "00", "007", "1", "-1", "+1", "12", "123456789012345678", "1234567890123456789",
	"99999999999999999999", "0x1F", "0o17", "0b101", "1_000", "1.5", "1.", ".5", "1e3", "-1e-3",
	".inf", "-.Inf", ".nan", "2001-12-14", "2001-12-14t21:59:43.10-05:00", "12:30", "99-common/job",
	"3 days", "1a", "a: b", "a:b", "a #b", "a#b", "#x", "-", "- a", "-a", "?", "? x", ":", "a:",
	"[x]", "{x}", "x, y", "&a", "*a", "!t", "|", ">", "%", "@", "`", "'q'", "\"d\"", "it's",
	"sa\"y", "back\\slash", "tab\there", "new\nline", "é", "日本", "\u2028", "\u0085", "\x7f",
	"\x01", "<<", "$x", "/p", "_u", "${parameters[\"v\"]}", "a  b", "a ", " a", "http://x/y",
}

func (e *emitter) scalar() any {
	s := trickyScalars[e.rng.IntN(len(trickyScalars))]
	switch e.rng.IntN(6) {
	case 0:
		return json.Number(fmt.Sprint(e.rng.IntN(2000) - 1000))
	case 1:
		return e.rng.IntN(2) == 0
	case 2:
		return nil
	}
	return s
}

func (e *emitter) randomTree(depth int) any {
	switch r := e.rng.IntN(10); {
	case depth > 4 || r < 5:
		return e.scalar()
	case r < 8:
		m := map[string]any{}
		for n := e.rng.IntN(4); n >= 0; n-- {
			k := trickyScalars[e.rng.IntN(len(trickyScalars))]
			if e.rng.IntN(2) == 0 {
				k = fmt.Sprintf("k%d", e.rng.IntN(6))
			}
			m[k] = e.randomTree(depth + 1)
		}
		return m
	default:
		var l []any
		for n := e.rng.IntN(4); n > 0; n-- {
			l = append(l, e.randomTree(depth+1))
		}
		return l
	}
}

func (e *emitter) text(s string) string {
	switch {
	case e.tricky && e.rng.IntN(3) == 0:
		return s // plain, whatever it means
	case e.tricky && e.rng.IntN(3) == 0:
		return "'" + strings.ReplaceAll(s, "'", "''") + "'"
	}
	q, _ := json.Marshal(s)
	return string(q)
}

func (e *emitter) inline(v any) string {
	switch x := v.(type) {
	case nil:
		return []string{"null", "~", ""}[e.rng.IntN(3)]
	case bool:
		return fmt.Sprint(x)
	case json.Number:
		return x.String()
	case float64:
		return json.Number(fmt.Sprint(x)).String()
	case string:
		return e.text(x)
	case []any:
		parts := make([]string, len(x))
		for i, c := range x {
			parts[i] = e.inline(c)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case map[string]any:
		keys := sortedKeys(x)
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = e.text(k) + ": " + e.inline(x[k])
		}
		return "{" + strings.Join(parts, ", ") + "}"
	}
	return "?"
}

func sortedKeys(m map[string]any) []string { return slices.Sorted(maps.Keys(m)) }

func (e *emitter) comment() string {
	if e.tricky && e.rng.IntN(8) == 0 {
		return " # c"
	}
	return ""
}

func (e *emitter) key(k string) string {
	if !e.tricky && k != "" && strings.IndexFunc(k, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_')
	}) < 0 {
		return k
	}
	return e.text(k)
}

// block writes v at indentation ind, its first line already started when cont is set.
func (e *emitter) block(v any, ind int) {
	pad := strings.Repeat(" ", ind)
	step := 2 + e.style
	switch x := v.(type) {
	case map[string]any:
		if len(x) == 0 || (e.tricky && e.rng.IntN(6) == 0) {
			e.b.WriteString(pad + "k: " + e.inline(x) + "\n")
			return
		}
		for _, k := range sortedKeys(x) {
			e.b.WriteString(pad + e.key(k) + ":")
			e.value(x[k], ind, step)
		}
	case []any:
		if len(x) == 0 {
			e.b.WriteString(pad + "- []\n")
			return
		}
		for _, c := range x {
			if m, ok := c.(map[string]any); ok && len(m) > 0 && e.rng.IntN(2) == 0 {
				// "- key: value", the mapping's keys at the column after "- "
				var sub strings.Builder
				inner := &emitter{b: &sub, rng: e.rng, style: e.style, tricky: e.tricky}
				inner.block(m, ind+2)
				e.b.WriteString(pad + "- " + strings.TrimPrefix(sub.String(), pad+"  "))
				continue
			}
			e.b.WriteString(pad + "-")
			e.value(c, ind, 2)
		}
	default:
		e.b.WriteString(pad + "k: " + e.inline(x) + "\n")
	}
	if e.tricky && e.rng.IntN(10) == 0 {
		e.b.WriteString(pad + "# note\n\n")
	}
}

// value writes what follows "key:" or "-".
func (e *emitter) value(v any, ind, step int) {
	switch x := v.(type) {
	case map[string]any, []any:
		if e.tricky && e.rng.IntN(4) == 0 {
			e.b.WriteString(" " + e.inline(x) + e.comment() + "\n")
			return
		}
		if l, ok := x.([]any); ok && len(l) > 0 && e.style == 0 {
			e.b.WriteString(e.comment() + "\n")
			e.block(x, ind) // a list at its key's indentation
			return
		}
		if m, ok := x.(map[string]any); ok && len(m) == 0 {
			e.b.WriteString(" {}\n")
			return
		}
		if l, ok := x.([]any); ok && len(l) == 0 {
			e.b.WriteString(" []\n")
			return
		}
		e.b.WriteString(e.comment() + "\n")
		e.block(x, ind+step)
	default:
		s := e.inline(x)
		if s == "" {
			e.b.WriteString(e.comment() + "\n")
			return
		}
		e.b.WriteString(" " + s + e.comment() + "\n")
	}
}

// damage changes one place of a document: a character, an indentation or a line.
func damage(rng *rand.Rand, s string) string {
	if s == "" {
		return s
	}
	i := rng.IntN(len(s))
	switch rng.IntN(5) {
	case 0:
		return s[:i] + s[i+1:]
	case 1:
		return s[:i] + string(" :-#'\"[]{},\n\t"[rng.IntN(13)]) + s[i:]
	case 2:
		return s[:i] + " " + s[i:]
	case 3:
		lines := strings.Split(s, "\n")
		j := rng.IntN(len(lines))
		lines[j] = strings.TrimPrefix(lines[j], " ")
		return strings.Join(lines, "\n")
	default:
		lines := strings.Split(s, "\n")
		j, k := rng.IntN(len(lines)), rng.IntN(len(lines))
		lines[j], lines[k] = lines[k], lines[j]
		return strings.Join(lines, "\n")
	}
}
