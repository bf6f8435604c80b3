package action

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/pipegen/pipegen/pkg/config"
	"github.com/pipegen/pipegen/pkg/diff"
	"github.com/pipegen/pipegen/pkg/front50"
	"github.com/pipegen/pipegen/pkg/pipeline"
	"github.com/pipegen/pipegen/pkg/plan"
	"github.com/pipegen/pipegen/pkg/services"
	"github.com/pipegen/pipegen/pkg/yamldoc"
)

// DefaultImportStack is the stack imported pipelines are put in unless told otherwise.
const DefaultImportStack = "main"

// ImportedTemplatesDir is the folder, inside the templates folder, that import writes to:
// templates/imported/<application>/<key>.json.
const ImportedTemplatesDir = "imported"

// ImportOptions shape an import.
type ImportOptions struct {
	// Application is the Spinnaker application whose pipelines are imported; it becomes the
	// service name.
	Application string
	// Stack is the stack every imported pipeline is put in; DefaultImportStack if empty.
	Stack string
	// DryRun computes everything and writes nothing, neither files nor the store.
	DryRun      bool
	Concurrency int
	Now         func() time.Time // the clock for last-modified.json; time.Now if nil
}

// ImportedFile is a file import writes (or, with DryRun, would write).
type ImportedFile struct {
	Path    string // absolute
	Display string // as messages name it, relative to the repo root
	Data    []byte
}

// ImportedPipeline is a stored pipeline that import brings under management.
type ImportedPipeline struct {
	ID, Name string
	Key      string // identity key within the stack (a slug of the name)
	Template string // the template file, as messages name it
	// Changes is how the write-back differs from the stored object, so that pipegen owns it and
	// a diff is clean: the ownership marker, the lock when lock is on, and, where the stored
	// object has none, the ids pipegen derives for triggers and artifacts.
	Changes  []diff.Change
	Warnings []string
	Err      error // the write-back failed; nil when done (or, with DryRun, when it would be)

	etag string
	body []byte
}

// SkippedPipeline is a stored pipeline of the application that import leaves alone.
type SkippedPipeline struct {
	ID, Name string
	Reason   string
}

// ImportResult is what an import did (or would do).
type ImportResult struct {
	Application, Stack string
	Store              string // where the pipelines were read
	Files              []ImportedFile
	Pipelines          []ImportedPipeline // sorted by name
	Skipped            []SkippedPipeline
	LastModified       int64 // the value written to last-modified.json; 0 if not bumped
	BumpErr            error
	// Mismatches lists imported pipelines that, rendered from the written files, differ from
	// the stored object; empty when a following diff is clean (always empty with DryRun, which
	// renders nothing).
	Mismatches []string
}

// Err summarises failures after files were written: write-backs that failed, the bump, and
// pipelines that would not diff clean.
func (r *ImportResult) Err() error {
	var parts []string
	n := 0
	for _, p := range r.Pipelines {
		if p.Err != nil {
			n++
		}
	}
	if n > 0 {
		parts = append(parts, fmt.Sprintf("%d pipeline(s) not marked as managed", n))
	}
	if r.BumpErr != nil {
		parts = append(parts, "last-modified.json not updated")
	}
	if len(r.Mismatches) > 0 {
		parts = append(parts, fmt.Sprintf("%d pipeline(s) render differently from the store", len(r.Mismatches)))
	}
	if len(parts) == 0 {
		return nil
	}
	return errors.New("import incomplete: " + strings.Join(parts, ", "))
}

// importDropped are the top-level fields a stored pipeline loses on its way into a template:
// pipegen sets them (id, application, marker) or the server does (the rest).
var importDropped = map[string]bool{
	pipeline.FieldID: true, pipeline.FieldApplication: true, pipeline.MarkerKey: true,
	pipeline.FieldUpdateTs: true, pipeline.FieldLastModifiedBy: true, pipeline.FieldCreateTs: true,
	pipeline.FieldLastModified: true, pipeline.FieldIndex: true,
}

// The rules services.Parse applies to names, checked here too so that a bad --service or
// --stack fails before the store is read.
var (
	importAppRe   = regexp.MustCompile(`^[a-z0-9][a-z0-9-]*$`)
	importStackRe = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)
)

// Import reads the pipelines of one application from the store and writes a service file and
// one template per pipeline that render them exactly, then marks each stored pipeline as owned
// by pipegen (conditional on the ETag it read), so that a following diff is clean. Pipelines
// pipegen already owns are skipped. Nothing is overwritten: the service file and the template
// folder must not exist yet.
func Import(ctx context.Context, cfg *config.Config, store front50.Store, opt ImportOptions) (*ImportResult, error) {
	app := opt.Application
	if !importAppRe.MatchString(app) || len(app) > 63 {
		return nil, fmt.Errorf("application %q: a service name is lower-case letters, digits and -, at most 63 characters", app)
	}
	stack := opt.Stack
	if stack == "" {
		stack = DefaultImportStack
	}
	if !importStackRe.MatchString(stack) {
		return nil, fmt.Errorf("stack %q: use letters, digits, ., _ and -", stack)
	}
	conc := opt.Concurrency
	if conc <= 0 {
		conc = DefaultConcurrency
	}
	now := opt.Now
	if now == nil {
		now = time.Now
	}

	serviceFile := filepath.Join(cfg.Services, app+".yaml")
	templateDir := filepath.Join(cfg.Templates, ImportedTemplatesDir, app)
	for _, p := range []string{serviceFile, filepath.Join(cfg.Services, app+".yml"), templateDir} {
		if _, err := os.Lstat(p); err == nil {
			return nil, fmt.Errorf("%s already exists; import only writes new files (move it away or import into another repo)", displayPath(cfg.Root, p))
		} else if !errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("check %s: %w", displayPath(cfg.Root, p), err)
		}
	}
	if err := checkNoService(ctx, cfg, app); err != nil {
		return nil, err
	}

	state, err := front50.Load(ctx, store, conc)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", store.Location(), err)
	}
	res := &ImportResult{Application: app, Stack: stack, Store: store.Location()}
	var stored []*front50.Pipeline
	for _, p := range state.Pipelines {
		if a, _ := p.Doc[pipeline.FieldApplication].(string); a == app {
			stored = append(stored, p)
		}
	}
	if len(stored) == 0 {
		return nil, noPipelinesError(app, state)
	}
	sort.SliceStable(stored, func(i, j int) bool {
		a, b := docName(stored[i].Doc), docName(stored[j].Doc)
		if !strings.EqualFold(a, b) {
			return strings.ToLower(a) < strings.ToLower(b)
		}
		return stored[i].ID < stored[j].ID
	})

	serviceDisplay := displayPath(cfg.Root, serviceFile)
	templatesDisplay := displayPath(cfg.Root, cfg.Templates)
	usedKeys := map[string]bool{}
	names := map[string]string{} // name key → id of the first pipeline with that name
	for _, sp := range stored {
		name := docName(sp.Doc)
		skip := func(format string, args ...any) {
			res.Skipped = append(res.Skipped, SkippedPipeline{ID: sp.ID, Name: name, Reason: fmt.Sprintf(format, args...)})
		}
		if m, owned := pipeline.MarkerOf(sp.Doc); owned {
			skip("already managed by pipegen from %s", m.Source())
			continue
		}
		if v, has := sp.Doc[pipeline.MarkerKey]; has {
			if _, isMap := v.(map[string]any); !isMap {
				skip("has its own field %q, which pipegen's ownership marker would overwrite; rename that field first", pipeline.MarkerKey)
				continue
			}
		}
		if id, _ := sp.Doc[pipeline.FieldID].(string); id != sp.ID {
			skip("its id field %q differs from its folder %q; Front50 reloads it on every refresh: save it once in the UI, then import again", id, sp.ID)
			continue
		}
		if strings.TrimSpace(name) == "" {
			skip("it has no name")
			continue
		}
		nk := pipeline.NameKey(app, name)
		if first, dup := names[nk]; dup {
			skip("pipeline %s has the same name; Front50 should hold only one: rename or delete one in the UI, then import it", first)
			continue
		}
		names[nk] = sp.ID

		key := uniqueKey(slugKey(name), usedKeys)
		marker := pipeline.Marker{Service: app, Stack: stack, Key: key, File: serviceDisplay}
		text, err := importTemplate(sp.Raw)
		if err != nil {
			skip("%v", err)
			continue
		}
		desired, warnings, err := importDesired(sp.Raw, app, sp.ID, marker, cfg.Lock)
		if err != nil {
			skip("%v", err)
			continue
		}
		body, err := encodeStored(writeBack(sp.Doc, desired))
		if err == nil {
			err = front50.ValidatePipelineObject(sp.ID, body)
		}
		if err != nil {
			skip("cannot be written back: %v", err)
			continue
		}
		changes, err := diff.Compare(plan.Normalize(sp.Doc, desired), desired)
		if err != nil {
			return nil, fmt.Errorf("compare %s/%s: %w", app, name, err)
		}
		usedKeys[key] = true
		file := filepath.Join(templateDir, key+".json")
		res.Files = append(res.Files, ImportedFile{Path: file, Display: displayPath(cfg.Root, file), Data: text})
		res.Pipelines = append(res.Pipelines, ImportedPipeline{
			ID: sp.ID, Name: name, Key: key,
			Template: path.Join(templatesDisplay, ImportedTemplatesDir, app, key+".json"),
			Changes:  changes, Warnings: warnings, etag: sp.ETag, body: body,
		})
	}
	if len(res.Pipelines) == 0 {
		return res, nil
	}

	svc := serviceText(app, stack, store.Location(), res.Pipelines)
	if _, errs := services.Parse(serviceDisplay, svc); len(errs) > 0 {
		return nil, fmt.Errorf("generated service file is invalid: %w", errors.Join(errs...))
	}
	res.Files = append([]ImportedFile{{Path: serviceFile, Display: serviceDisplay, Data: svc}}, res.Files...)
	if opt.DryRun {
		return res, nil
	}

	if err := writeNewFiles(res.Files); err != nil {
		return nil, err
	}
	writeBackAll(ctx, store, app, res.Pipelines, conc)
	for _, p := range res.Pipelines {
		if p.Err == nil {
			bumpCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
			res.LastModified, res.BumpErr = front50.BumpLastModified(bumpCtx, store, now())
			cancel()
			break
		}
	}
	res.Mismatches, err = verifyImport(ctx, cfg, res)
	if err != nil {
		return res, err
	}
	return res, nil
}

func docName(doc map[string]any) string {
	s, _ := doc[pipeline.FieldName].(string)
	return s
}

// checkNoService refuses an application the repo already has a service for: the import would
// make a second service with one name.
func checkNoService(ctx context.Context, cfg *config.Config, app string) error {
	if _, err := os.Stat(cfg.Services); errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	repo, err := services.Load(ctx, cfg.Root, cfg.Services)
	if repo == nil {
		return err
	}
	if s := repo.Find(app); s != nil {
		return fmt.Errorf("service %q is already defined in %s:%d; its pipelines are managed from there", app, s.File, s.Line)
	}
	return nil
}

func noPipelinesError(app string, state *front50.State) error {
	apps := map[string]bool{}
	for _, p := range state.Pipelines {
		if a, ok := p.Doc[pipeline.FieldApplication].(string); ok {
			apps[a] = true
		}
	}
	var similar []string
	for a := range apps {
		if strings.EqualFold(a, app) || strings.Contains(a, app) || strings.Contains(app, a) {
			similar = append(similar, a)
		}
	}
	sort.Strings(similar)
	msg := fmt.Sprintf("no pipelines of application %q in the store (%d applications have pipelines there)", app, len(apps))
	if len(similar) > 0 {
		msg += "; similar: " + strings.Join(similar, ", ")
	}
	return errors.New(msg)
}

// slugKey turns a pipeline name into an identity key: lower-case letters and digits, other
// runs of characters folded into one "-".
func slugKey(name string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(name) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
			dash = false
		} else if b.Len() > 0 && !dash {
			b.WriteByte('-')
			dash = true
		}
	}
	s := strings.TrimRight(b.String(), "-")
	if len(s) > 60 {
		s = strings.TrimRight(s[:60], "-")
	}
	if s == "" {
		s = "pipeline"
	}
	return s
}

func uniqueKey(key string, used map[string]bool) string {
	if !used[key] {
		return key
	}
	for i := 2; ; i++ {
		k := fmt.Sprintf("%s-%d", key, i)
		if !used[k] {
			return k
		}
	}
}

var endVerbatimRe = regexp.MustCompile(`\{%-?\s*endverbatim\s*-?%\}`)

// importTemplate makes the template text of a stored pipeline: its JSON, indented, keys in the
// stored order, without the fields pipegen or the server set. JSON is YAML, so it renders as it
// is; text that pongo2 would read as a tag is wrapped in {% verbatim %}.
func importTemplate(raw []byte) ([]byte, error) {
	text, err := orderedJSONWithout(raw, importDropped)
	if err != nil {
		return nil, err
	}
	if !bytes.Contains(text, []byte("{{")) && !bytes.Contains(text, []byte("{%")) && !bytes.Contains(text, []byte("{#")) {
		return text, nil
	}
	if endVerbatimRe.Match(text) {
		// A verbatim block cannot hold its own end tag. In indented JSON "{{", "{%" and "{#"
		// only occur inside strings, where \u007b is the same "{" to a JSON or YAML reader.
		for _, s := range []string{"{{", "{%", "{#"} {
			text = bytes.ReplaceAll(text, []byte(s), []byte(`\u007b`+s[1:]))
		}
		return text, nil
	}
	out := make([]byte, 0, len(text)+40)
	out = append(out, "{% verbatim %}\n"...)
	out = append(out, text...)
	out = append(out, "{% endverbatim %}\n"...)
	return out, nil
}

// orderedJSONWithout re-indents a JSON object, dropping some top-level keys and keeping the
// order of the others (a sorted re-encoding would scatter what a human wrote together).
func orderedJSONWithout(raw []byte, drop map[string]bool) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil, errors.New("the stored object is not a JSON object")
	}
	type member struct {
		key string
		val json.RawMessage
	}
	var members []member
	seen := map[string]bool{}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil, fmt.Errorf("read stored object: %w", err)
		}
		key, _ := t.(string)
		var val json.RawMessage
		if err := dec.Decode(&val); err != nil {
			return nil, fmt.Errorf("read stored object: %w", err)
		}
		if seen[key] {
			return nil, fmt.Errorf("the stored object has the key %q twice", key)
		}
		seen[key] = true
		if !drop[key] {
			members = append(members, member{key, val})
		}
	}
	var b bytes.Buffer
	b.WriteString("{")
	for i, m := range members {
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString("\n  ")
		k, _ := marshalNoEscape(m.key)
		b.Write(k)
		b.WriteString(": ")
		if err := json.Indent(&b, unescapeHTML(m.val), "  ", "  "); err != nil {
			return nil, fmt.Errorf("indent %q: %w", m.key, err)
		}
	}
	if len(members) > 0 {
		b.WriteString("\n")
	}
	b.WriteString("}\n")
	return b.Bytes(), nil
}

// unescapeHTML undoes Go's HTML-safe escapes (\u0026, \u003c, \u003e) inside JSON strings, so
// SpEL reads "a && b" in a template, not "a \u0026\u0026 b". Other escapes are kept as written.
func unescapeHTML(raw []byte) []byte {
	if !bytes.Contains(raw, []byte(`\u00`)) {
		return raw
	}
	out := make([]byte, 0, len(raw))
	inString := false
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		switch {
		case c == '"':
			inString = !inString
		case c == '\\' && inString && i+1 < len(raw):
			if raw[i+1] == 'u' && i+5 < len(raw) {
				switch strings.ToLower(string(raw[i+2 : i+6])) {
				case "0026":
					out = append(out, '&')
					i += 5
					continue
				case "003c":
					out = append(out, '<')
					i += 5
					continue
				case "003e":
					out = append(out, '>')
					i += 5
					continue
				}
			}
			out = append(out, c, raw[i+1])
			i++
			continue
		}
		out = append(out, c)
	}
	return out
}

func marshalNoEscape(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}

// importDesired is the document the imported template renders to: the stored object without
// the dropped fields, read the way a rendered template is read (as YAML), then prepared as every
// rendered pipeline is. Problems Prepare finds make the pipeline unimportable: the repo would
// not validate.
func importDesired(raw []byte, app, id string, m pipeline.Marker, lock bool) (map[string]any, []string, error) {
	text, err := orderedJSONWithout(raw, importDropped)
	if err != nil {
		return nil, nil, err
	}
	v, err := yamldoc.Decode(text)
	if err != nil {
		return nil, nil, fmt.Errorf("its JSON does not read back as YAML: %w", err)
	}
	res := pipeline.Prepare(v, app, id, m, pipeline.Options{Lock: lock})
	if len(res.Errors) > 0 {
		msgs := make([]string, len(res.Errors))
		for i, e := range res.Errors {
			msgs[i] = e.String()
		}
		return nil, nil, fmt.Errorf("it would not pass pipegen's checks: %s", strings.Join(msgs, "; "))
	}
	var warnings []string
	for _, w := range res.Warnings {
		warnings = append(warnings, w.String())
	}
	return res.Doc, warnings, nil
}

// writeBack is the object import stores: what the template renders to, plus the stored
// server-managed fields (so the UI still shows who changed it last and when). Against the stored
// object that adds exactly what pipegen owns; lastModified is dropped, Front50 never writes it.
func writeBack(stored, desired map[string]any) map[string]any {
	out := make(map[string]any, len(desired)+4)
	for k, v := range desired {
		out[k] = v
	}
	for _, f := range pipeline.ServerManaged {
		if v, ok := stored[f]; ok && f != pipeline.FieldLastModified {
			out[f] = v
		}
	}
	if _, ok := desired[pipeline.FieldIndex]; !ok {
		if v, ok := stored[pipeline.FieldIndex]; ok {
			out[pipeline.FieldIndex] = v
		}
	}
	return out
}

func encodeStored(doc map[string]any) ([]byte, error) {
	b, err := marshalNoEscape(doc)
	if err != nil {
		return nil, fmt.Errorf("encode %v: %w", doc[pipeline.FieldName], err)
	}
	return b, nil
}

// serviceText is the generated service file: one stack, one entry per imported pipeline.
func serviceText(app, stack, location string, ps []ImportedPipeline) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "# Imported by `pipegen import --service %s` from %s.\n", app, location)
	fmt.Fprintf(&b, "# Each template in templates/%s/%s/ is a stored pipeline without the fields pipegen\n", ImportedTemplatesDir, app)
	b.WriteString("# sets itself (id, application, updateTs, ...). Edit them freely, e.g. turn values into\n")
	b.WriteString("# variables. Keep the stack and each entry's key: with the service name they are the\n")
	b.WriteString("# pipeline's identity, and a new identity would be a new pipeline.\n")
	fmt.Fprintf(&b, "name: %s\nstacks:\n  %s:\n    pipelines:\n", app, stack)
	for _, p := range ps {
		fmt.Fprintf(&b, "      - template: %s/%s/%s\n        key: %s\n", ImportedTemplatesDir, app, p.Key, p.Key)
	}
	return []byte(b.String())
}

// writeNewFiles creates every file, refusing to replace one; on failure it removes what it
// wrote, so a failed import leaves the repo as it was.
func writeNewFiles(files []ImportedFile) error {
	var written []string
	var dirs []string
	undo := func() {
		for i := len(written) - 1; i >= 0; i-- {
			os.Remove(written[i])
		}
		for i := len(dirs) - 1; i >= 0; i-- {
			os.Remove(dirs[i]) // only succeeds when empty, which is what we want
		}
	}
	for _, f := range files {
		dir := filepath.Dir(f.Path)
		for d := dir; ; d = filepath.Dir(d) {
			if _, err := os.Stat(d); err == nil {
				break
			}
			dirs = append([]string{d}, dirs...)
			if filepath.Dir(d) == d {
				break
			}
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			undo()
			return fmt.Errorf("create %s: %w", filepath.Dir(f.Display), err)
		}
		fh, err := os.OpenFile(f.Path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if err != nil {
			undo()
			return fmt.Errorf("write %s: %w", f.Display, err)
		}
		written = append(written, f.Path)
		_, err = fh.Write(f.Data)
		if cerr := fh.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			undo()
			return fmt.Errorf("write %s: %w", f.Display, err)
		}
	}
	return nil
}

// writeBackAll stores each pipeline with its marker, conditional on the ETag it was read with,
// so a UI save in between is reported instead of overwritten.
func writeBackAll(ctx context.Context, store front50.Store, app string, ps []ImportedPipeline, conc int) {
	writeCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Minute)
	defer cancel()
	var wg sync.WaitGroup
	sem := make(chan struct{}, conc)
	for i := range ps {
		p := &ps[i]
		if ctx.Err() != nil {
			p.Err = fmt.Errorf("not written: %w", ctx.Err())
			continue
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			_, err := store.Put(writeCtx, p.ID, p.body, front50.PutOptions{IfMatch: p.etag})
			switch {
			case errors.Is(err, front50.ErrPrecondition):
				p.Err = fmt.Errorf("changed by someone else since it was read; its template was written, so run pipegen diff --service %s and, if the plan is right, pipegen sync --adopt --service %s: %w", app, app, err)
			case err != nil:
				p.Err = fmt.Errorf("write %s (%s): %w", p.Name, p.ID, err)
			}
		}()
	}
	wg.Wait()
}

// verifyImport renders the written files offline and compares each imported pipeline with the
// object now stored, the way diff would. It returns a line per pipeline that differs.
func verifyImport(ctx context.Context, cfg *config.Config, res *ImportResult) ([]string, error) {
	// The state holds the written objects, so each rendered pipeline finds its id through its
	// marker, as diff does.
	var written []*front50.Pipeline
	docs := map[string]map[string]any{}
	for _, ip := range res.Pipelines {
		if ip.Err != nil {
			continue
		}
		dec := json.NewDecoder(bytes.NewReader(ip.body))
		dec.UseNumber()
		var doc map[string]any
		if err := dec.Decode(&doc); err != nil {
			return nil, fmt.Errorf("decode %s: %w", ip.Name, err)
		}
		docs[ip.ID] = doc
		written = append(written, &front50.Pipeline{Info: front50.Info{ID: ip.ID}, Doc: doc, Raw: ip.body})
	}
	b, err := Render(ctx, cfg, BuildOptions{
		Filter: Filter{Services: []string{res.Application}},
		State:  front50.NewState(written, nil),
	})
	if err != nil {
		return nil, fmt.Errorf("render the imported files: %w", err)
	}
	byKey := map[string]*Pipeline{}
	for _, p := range b.Pipelines {
		if p.Service == res.Application && p.Stack == res.Stack {
			byKey[p.Key] = p
		}
	}
	var out []string
	for _, ip := range res.Pipelines {
		if ip.Err != nil {
			continue
		}
		p := byKey[ip.Key]
		if p == nil {
			msg := fmt.Sprintf("%s: did not render", ip.Template)
			for _, pr := range b.Problems {
				if strings.Contains(pr.Error(), ip.Template) || strings.Contains(pr.Error(), "/"+ip.Key) {
					msg += ": " + pr.Error()
				}
			}
			out = append(out, msg)
			continue
		}
		if p.ID != ip.ID {
			out = append(out, fmt.Sprintf("%s: renders with id %s, not the stored %s", ip.Template, p.ID, ip.ID))
			continue
		}
		stored := docs[ip.ID]
		changes, err := diff.Compare(plan.Normalize(stored, p.Doc), p.Doc)
		if err != nil {
			return nil, fmt.Errorf("compare %s: %w", ip.Name, err)
		}
		if len(changes) > 0 {
			out = append(out, fmt.Sprintf("%s: renders differently from the stored pipeline at %s", ip.Template, changes[0].Path))
		}
	}
	return out, nil
}
