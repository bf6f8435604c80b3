package render

import (
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"unicode/utf8"

	"github.com/flosch/pongo2/v6"
)

// Suffixes a template name may omit, longest first so "deploy.yml.j2" is named "deploy".
var templateSuffixes = []string{
	".yaml.jinja", ".yml.jinja", ".yaml.j2", ".json.j2", ".yml.j2",
	".jinja2", ".jinja", ".yaml", ".json", ".yml", ".j2",
}

// setupPongo2 adjusts pongo2's process-wide registries once: the escape filter, which
// autoescape applies to every printed string, marks the value for contextual escaping
// (marks.go), and tojson is added.
var setupPongo2 = sync.OnceValue(func() error {
	pongo2.SetAutoescape(true)
	for _, name := range []string{"escape", "e"} {
		if err := pongo2.ReplaceFilter(name, filterMarkString); err != nil {
			return fmt.Errorf("replace pongo2 filter %s: %w", name, err)
		}
	}
	if err := registerJinjaFilters(); err != nil {
		return fmt.Errorf("register Jinja2 filters: %w", err)
	}
	if !pongo2.FilterExists(condNumFilter) {
		if err := pongo2.RegisterFilter(condNumFilter, filterCondNumber); err != nil {
			return fmt.Errorf("register pongo2 filter %s: %w", condNumFilter, err)
		}
	}
	if !pongo2.FilterExists(condFilter) {
		if err := pongo2.RegisterFilter(condFilter, filterStrictCondition); err != nil {
			return fmt.Errorf("register pongo2 filter %s: %w", condFilter, err)
		}
	}
	if !pongo2.FilterExists(strictFilter) {
		if err := pongo2.RegisterFilter(strictFilter, filterStrictLookup); err != nil {
			return fmt.Errorf("register pongo2 filter %s: %w", strictFilter, err)
		}
	}
	if !pongo2.FilterExists("tojson") {
		if err := pongo2.RegisterFilter("tojson", filterToJSON); err != nil {
			return fmt.Errorf("register pongo2 filter tojson: %w", err)
		}
	}
	return nil
})

// Engine compiles templates from one templates directory, each once, and renders them; safe for
// concurrent use by many goroutines.
type Engine struct {
	root        *os.Root
	displayDir  string
	set         *pongo2.TemplateSet
	loader      *sandboxLoader
	files       map[string]bool     // every regular file, relative slash paths
	byName      map[string][]string // template name → files
	lookup      map[string][]string // name as accepted by Lookup → matching files
	compileMu   sync.Mutex          // pongo2 sets and the loader budget are not safe for concurrent compiles
	parsedFiles sync.Map            // file → *parsedFile; written under compileMu, read by error conversion

	cacheMu sync.RWMutex
	cache   map[string]*compiled

	sitesMu sync.RWMutex
	sites   []strictSite // lookup chains _strict checks, by id
	prints  []srcPos     // {{ }} positions that position marks name, by id
}

// compiled is the cached outcome for one template file.
type compiled struct {
	outSize atomic.Int64 // what the last render wrote, to size the next one's buffer
	tpl     *pongo2.Template
	errs    []*Error
	uses    []freeUse
	refs    map[string]bool
}

// New opens templatesDir as a sandbox root. displayDir is how the directory is named in messages
// (e.g. "templates"), so errors read "templates/deploy.yml:12:5: ...".
func New(templatesDir, displayDir string) (*Engine, error) {
	if err := setupPongo2(); err != nil {
		return nil, err
	}
	root, err := os.OpenRoot(templatesDir)
	if err != nil {
		return nil, fmt.Errorf("open templates directory %s: %w", displayDir, err)
	}
	e := &Engine{
		root:       root,
		displayDir: displayDir,
		files:      map[string]bool{},
		byName:     map[string][]string{},
		cache:      map[string]*compiled{},
	}
	if err := e.list(); err != nil {
		root.Close()
		return nil, fmt.Errorf("list templates in %s: %w", displayDir, err)
	}
	e.index()
	e.loader = &sandboxLoader{root: root, resolve: e.resolveFile, source: e.compiledSource}
	e.set = pongo2.NewSet("pipegen:"+displayDir, e.loader)
	// Globals reach every template, an {% include … only %} too.
	e.set.Globals[printFunc] = printValue
	// Bans only work before the first template is added to the set.
	// autoescape off would switch off the YAML escaping every "{{ value }}" relies on; |safe
	// is the explicit, per-value way to insert raw text.
	for _, tag := range []string{"ssi", "now", "lorem", "autoescape"} {
		if err := e.set.BanTag(tag); err != nil {
			root.Close()
			return nil, fmt.Errorf("ban pongo2 tag %s: %w", tag, err)
		}
	}
	if err := e.set.BanFilter("random"); err != nil {
		root.Close()
		return nil, fmt.Errorf("ban pongo2 filter random: %w", err)
	}
	return e, nil
}

// Options are the Jinja2 environment settings a project may choose (pipegen.yaml).
type Options struct {
	// TrimBlocks drops the first newline after a block tag, LstripBlocks the spaces and tabs
	// before one at the start of a line: Jinja2's trim_blocks and lstrip_blocks.
	TrimBlocks, LstripBlocks bool
}

// SetOptions sets the environment options; call it before the first Render or Check.
func (e *Engine) SetOptions(o Options) {
	e.set.Options.TrimBlocks = o.TrimBlocks
	e.set.Options.LStripBlocks = o.LstripBlocks
}

// Close releases the templates directory. Templates not compiled yet can no longer be loaded.
func (e *Engine) Close() error { return e.root.Close() }

// list records the files under the root. Dot files and directories are skipped; symlinks count
// only when they resolve to a regular file inside the root.
func (e *Engine) list() error {
	fsys := e.root.FS()
	return fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p == "." {
			return nil
		}
		if strings.HasPrefix(d.Name(), ".") {
			if d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			return nil
		}
		if d.Type()&fs.ModeSymlink != 0 {
			st, err := e.root.Stat(p)
			if err != nil || !st.Mode().IsRegular() {
				return nil
			}
		} else if !d.Type().IsRegular() {
			return nil
		}
		e.files[p] = true
		if name, ok := trimSuffix(p); ok {
			e.byName[name] = append(e.byName[name], p)
		}
		return nil
	})
}

func trimSuffix(file string) (string, bool) {
	for _, s := range templateSuffixes {
		if name, ok := strings.CutSuffix(file, s); ok && name != "" && !strings.HasSuffix(name, "/") {
			return name, true
		}
	}
	return "", false
}

func (e *Engine) display(file string) string {
	if e.displayDir == "" {
		return file
	}
	return path.Join(e.displayDir, file)
}

// candidates lists the files a name can mean: the exact file and the name plus each suffix.
func (e *Engine) candidates(name string) []string { return e.lookup[name] }

// index precomputes candidates for every name that has any, so Lookup is one map read.
func (e *Engine) index() {
	e.lookup = map[string][]string{}
	for f := range e.files {
		e.lookup[f] = append(e.lookup[f], f)
		for _, s := range templateSuffixes {
			if name, ok := strings.CutSuffix(f, s); ok && name != "" {
				e.lookup[name] = append(e.lookup[name], f)
			}
		}
	}
	for name, files := range e.lookup {
		sort.Strings(files)
		e.lookup[name] = slices.Compact(files)
	}
}

func (e *Engine) resolveFile(name string) (string, bool) {
	c := e.candidates(name)
	if len(c) == 1 {
		return c[0], true
	}
	return "", false
}

var errNoTemplate = errors.New("no such template")

// resolveInclude resolves the file name in an include/import/extends tag: an exact path, or a
// template name as Lookup accepts it. Files Lookup does not list (dot files) are still found by
// their exact path.
func (e *Engine) resolveInclude(name string) (string, error) {
	c := e.candidates(name)
	switch len(c) {
	case 1:
		return c[0], nil
	case 0:
		if _, err := readTemplate(e.root, name); err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return "", fmt.Errorf("%w %q in %s%s", errNoTemplate, name, e.displayDir, e.closestHint(name))
			}
			return "", err
		}
		return name, nil
	}
	return "", fmt.Errorf("template %q is ambiguous: %s", name, e.displayList(c))
}

func (e *Engine) displayList(files []string) string {
	parts := make([]string, len(files))
	for i, f := range files {
		parts[i] = e.display(f)
	}
	sort.Strings(parts)
	return strings.Join(parts, " and ")
}

// Lookup resolves a template name as written in a service file ("deploy", "canary/deploy") to its
// file relative to templatesDir. Accepted: exact file name, or name + one of .yml .yaml .json .j2
// .jinja .jinja2 .yml.j2 .yaml.j2 .yml.jinja .yaml.jinja .json.j2 . Two files matching one name is
// an error naming both; none is an error that lists the closest available names.
func (e *Engine) Lookup(name string) (file string, err error) {
	if err := checkRelPath(name); err != nil {
		return "", &Error{File: e.displayDir, Msg: fmt.Sprintf("template %q: %v", name, err)}
	}
	c := e.candidates(name)
	switch len(c) {
	case 1:
		return c[0], nil
	case 0:
		return "", &Error{File: e.displayDir, Msg: fmt.Sprintf("template %q not found%s", name, e.closestHint(name))}
	}
	return "", &Error{File: e.displayDir, Msg: fmt.Sprintf("template %q is ambiguous: %s both match; rename or remove one", name, e.displayList(c))}
}

// Names lists every template name available (file name minus the recognised suffix), sorted.
func (e *Engine) Names() []string {
	names := make([]string, 0, len(e.byName))
	for n := range e.byName {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func (e *Engine) closestHint(name string) string {
	names := e.Names()
	if len(names) == 0 {
		return " (the directory has no templates)"
	}
	type cand struct {
		name string
		d    int
	}
	cands := make([]cand, len(names))
	for i, n := range names {
		cands[i] = cand{n, levenshtein(name, n)}
	}
	sort.SliceStable(cands, func(i, j int) bool { return cands[i].d < cands[j].d })
	if len(cands) > 3 {
		cands = cands[:3]
	}
	parts := make([]string, len(cands))
	for i, c := range cands {
		parts[i] = c.name
	}
	return " (closest: " + strings.Join(parts, ", ") + ")"
}

func levenshtein(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}

// parsed returns the scanned and parsed form of a file (compileMu held).
func (e *Engine) parsed(file string) (*parsedFile, error) {
	if f, ok := e.parsedFiles.Load(file); ok {
		return f.(*parsedFile), nil
	}
	data, err := readTemplate(e.root, file)
	if err != nil {
		return nil, err
	}
	f := &parsedFile{file: file}
	if line, col := firstInvalidUTF8(data); line > 0 {
		f.issues = append(f.issues, issue{line: line, col: col, msg: "the file is not valid UTF-8"})
		data = []byte(strings.ToValidUTF8(string(data), "\uFFFD"))
	}
	f.src = string(data)
	items, issues := scan(f.src)
	f.issues = append(f.issues, issues...)
	nodes, perr := parseItems(items)
	f.nodes = nodes
	f.issues = append(f.issues, perr...)
	analyze(f)
	f.pongoSrc = e.strictSource(f, items)
	e.parsedFiles.Store(file, f)
	return f, nil
}

// compiledSource is what pongo2 compiles for a file (compileMu held): its source with the
// strict-lookup filters added.
func (e *Engine) compiledSource(file string) ([]byte, error) {
	f, err := e.parsed(file)
	if err != nil {
		return nil, err
	}
	return []byte(f.pongoSrc), nil
}

// get returns the compiled template, compiling it on first use.
func (e *Engine) get(file string) *compiled {
	e.cacheMu.RLock()
	c := e.cache[file]
	e.cacheMu.RUnlock()
	if c != nil {
		return c
	}
	e.compileMu.Lock()
	defer e.compileMu.Unlock()
	e.cacheMu.RLock()
	c = e.cache[file]
	e.cacheMu.RUnlock()
	if c != nil {
		return c
	}
	c = e.compile(file)
	e.cacheMu.Lock()
	e.cache[file] = c
	e.cacheMu.Unlock()
	return c
}

func (e *Engine) compile(file string) (c *compiled) {
	c = &compiled{}
	f, err := e.parsed(file)
	if err != nil {
		c.errs = []*Error{{File: e.display(file), Msg: err.Error()}}
		return c
	}
	w := newWalker(e)
	w.walkTop(f)
	c.errs = w.sortedErrs()
	c.uses = w.uses
	c.refs = w.refs
	if w.unsafe {
		return c
	}
	tpl, perr := e.compilePongo2(file)
	if perr != nil {
		dup := false
		for _, se := range c.errs {
			if se.File == perr.File && se.Line == perr.Line {
				dup = true
			}
		}
		if !dup {
			c.errs = append(c.errs, perr)
		}
		return c
	}
	c.tpl = tpl
	return c
}

func (e *Engine) compilePongo2(file string) (tpl *pongo2.Template, perr *Error) {
	e.loader.begin()
	defer e.loader.end()
	defer func() {
		if r := recover(); r != nil {
			tpl, perr = nil, &Error{File: e.display(file), Msg: fmt.Sprintf("pongo2 failed to compile the template: %v", r)}
		}
	}()
	tpl, err := e.set.FromFile(file)
	if err != nil {
		return nil, e.convertErr(err, file)
	}
	return tpl, nil
}

// convertErr turns a pongo2 error into an *Error with a display path and a character column.
// nestedErrRe is the framing of a pongo2 error flattened into another's message.
var nestedErrRe = regexp.MustCompile(`^\[Error \(where: [a-z]+\)[^\]]*\] `)

func (e *Engine) convertErr(err error, file string) *Error {
	var pe *pongo2.Error
	if !errors.As(err, &pe) {
		return &Error{File: e.display(file), Msg: err.Error(), cause: err}
	}
	msg := "template error"
	if pe.OrigError != nil {
		// An error inside a printed expression reaches here through the _jinja_print call
		// (strict.go), which pongo2 flattens into text: keep the error, not pongo2's framing.
		msg = pe.OrigError.Error()
		for m := nestedErrRe.FindString(msg); m != ""; m = nestedErrRe.FindString(msg) {
			msg = msg[len(m):]
		}
	}
	line, col := pe.Line, pe.Column
	if _, known := e.parsedFiles.Load(pe.Filename); known {
		file = pe.Filename
	} else if pe.Filename != "" && pe.Filename != "<string>" {
		// pongo2 names the file it failed to load but gives the position of the tag that
		// loaded it, in another file: keep the name, drop the position.
		msg = fmt.Sprintf("%s: %s", pe.Filename, msg)
		line, col = 0, 0
	}
	if (pe.Sender == "parser" || pe.Sender == "lexer") && pe.Token != nil && pe.Token.Val != "" {
		msg += fmt.Sprintf(" (near %q)", pe.Token.Val)
	}
	if line > 0 {
		col = e.runeColumn(file, line, col)
	} else {
		col = 0
	}
	return &Error{File: e.display(file), Line: line, Col: col, Msg: msg, cause: pe.OrigError}
}

// runeColumn converts pongo2's byte column to a character column.
func (e *Engine) runeColumn(file string, line, byteCol int) int {
	v, ok := e.parsedFiles.Load(file)
	if !ok || byteCol <= 1 {
		return byteCol
	}
	f := v.(*parsedFile)
	src := f.pongoSrc
	start := 0
	for l := 1; l < line; l++ {
		i := strings.IndexByte(src[start:], '\n')
		if i < 0 {
			return byteCol
		}
		start += i + 1
	}
	end := start + byteCol - 1
	if end > len(src) {
		return byteCol
	}
	return f.originalColumn(line, utf8.RuneCountInString(src[start:end])+1)
}

// validIdent matches what pongo2 accepts as a context key ([a-zA-Z0-9_]+).
func validIdent(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isIdentChar(s[i]) {
			return false
		}
	}
	return true
}

// IDResolver returns the id of another pipeline; app is "" when the template called
// pipeline_id(name) with one argument (the caller then uses the current application).
type IDResolver func(app, name string) (string, error)

// Render renders the template `name` (as accepted by Lookup) with vars. vars holds JSON-like
// values: nil, bool, string, int64, float64, json.Number, []any, map[string]any.
// ids may be nil (pipeline_id then errors with a clear message).
// Failures are *Error values.
func (e *Engine) Render(name string, vars map[string]any, ids IDResolver) (out []byte, err error) {
	file, err := e.Lookup(name)
	if err != nil {
		return nil, err
	}
	c := e.get(file)
	if len(c.errs) > 0 {
		return nil, c.errs[0]
	}
	for _, u := range c.uses {
		if _, ok := vars[u.name]; !ok {
			return nil, e.undefined(u)
		}
	}
	ctx := make(pongo2.Context, len(vars)+1)
	for k, v := range vars {
		switch {
		case !validIdent(k):
			return nil, &Error{File: e.display(file), Msg: fmt.Sprintf("variable name %q cannot be used in templates (letters, digits and _ only)", k)}
		case k == "pipeline_id" || k == "pongo2" || k == argsFunc || k == printFunc:
			return nil, &Error{File: e.display(file), Msg: fmt.Sprintf("variable name %q is reserved", k)}
		}
		ctx[k] = convertValue(v)
	}
	ctx[argsFunc] = packArgs
	var idErr error
	ctx["pipeline_id"] = func(args ...*pongo2.Value) (*pongo2.Value, error) {
		id, err := callResolver(ids, args)
		if err != nil && idErr == nil {
			idErr = err
		}
		return pongo2.AsValue(id), err
	}
	defer func() {
		if r := recover(); r != nil {
			out, err = nil, &Error{File: e.display(file), Msg: fmt.Sprintf("rendering failed inside pongo2: %v", r)}
		}
	}()
	size := c.outSize.Load()
	w := &cappedBuffer{limit: MaxOutput, buf: make([]byte, 0, size+size/8)}
	if rerr := c.tpl.ExecuteWriterUnbuffered(ctx, w); rerr != nil {
		if sf := asStrictFailure(rerr); sf != nil {
			if se := e.strictError(sf, vars); se != nil {
				return nil, se
			}
		}
		re := e.convertErr(rerr, file)
		if idErr != nil {
			re.cause = idErr
		}
		return nil, re
	}
	if w.over {
		return nil, &Error{File: e.display(file), Msg: fmt.Sprintf("renders more than %d MiB; no pipeline is that large (a loop over the wrong variable?)", MaxOutput>>20)}
	}
	c.outSize.Store(int64(len(w.buf)))
	return e.place(w.buf, file)
}

// MaxOutput bounds what one template may render. The largest real pipelines are a few hundred
// KB; a runaway loop must fail with a message instead of eating the CI runner's memory.
const MaxOutput = 10 << 20

// cappedBuffer keeps at most limit bytes and remembers that more came. pongo2's nodes ignore
// write errors, so refusing quietly and checking afterwards is what bounds memory.
type cappedBuffer struct {
	buf   []byte
	limit int
	over  bool
}

func (c *cappedBuffer) Write(p []byte) (int, error) {
	if c.over || len(c.buf)+len(p) > c.limit {
		c.over = true
		return len(p), nil
	}
	c.buf = append(c.buf, p...)
	return len(p), nil
}

func (c *cappedBuffer) WriteString(s string) (int, error) {
	if c.over || len(c.buf)+len(s) > c.limit {
		c.over = true
		return len(s), nil
	}
	c.buf = append(c.buf, s...)
	return len(s), nil
}

func callResolver(ids IDResolver, args []*pongo2.Value) (string, error) {
	var app, name string
	switch len(args) {
	case 1:
		name = args[0].String()
	case 2:
		app, name = args[0].String(), args[1].String()
	default:
		return "", fmt.Errorf("pipeline_id takes 1 or 2 arguments (name, or application and name), not %d", len(args))
	}
	if name == "" {
		return "", errors.New("pipeline_id: the pipeline name is empty")
	}
	if ids == nil {
		return "", fmt.Errorf("pipeline_id(%q): pipeline ids are not available here", name)
	}
	id, err := ids(app, name)
	if err != nil {
		if app != "" {
			return "", fmt.Errorf("pipeline_id(%q, %q): %w", app, name, err)
		}
		return "", fmt.Errorf("pipeline_id(%q): %w", name, err)
	}
	return id, nil
}

func (e *Engine) undefined(u freeUse) *Error {
	return &Error{File: e.display(u.file), Line: u.line, Col: u.col,
		Msg: fmt.Sprintf(`undefined variable %q; define it in the variables, or write %s|default:"…" where it is optional`, u.name, u.name)}
}

// Reads returns the names the template `name` (with what it includes and imports) may read
// from the variables, whether or not a given render reaches them.
func (e *Engine) Reads(name string) (map[string]bool, error) {
	file, err := e.Lookup(name)
	if err != nil {
		return nil, err
	}
	c := e.get(file)
	if len(c.errs) > 0 {
		// The walk may have stopped early: a partial set would call read names unused.
		return nil, c.errs[0]
	}
	return maps.Clone(c.refs), nil
}

// Check compiles the template and runs the static checks (undefined names, unsupported Jinja
// idioms) without rendering; returns every problem found.
func (e *Engine) Check(name string, defined []string) []error {
	file, err := e.Lookup(name)
	if err != nil {
		return []error{err}
	}
	c := e.get(file)
	var out []error
	for _, se := range c.errs {
		out = append(out, se)
	}
	known := make(map[string]bool, len(defined))
	for _, d := range defined {
		known[d] = true
	}
	for _, u := range c.uses {
		if !known[u.name] {
			out = append(out, e.undefined(u))
		}
	}
	return out
}
