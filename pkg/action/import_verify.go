package action

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/pipegen/pipegen/pkg/config"
	"github.com/pipegen/pipegen/pkg/diff"
	"github.com/pipegen/pipegen/pkg/front50"
	"github.com/pipegen/pipegen/pkg/importer"
	"github.com/pipegen/pipegen/pkg/pipeline"
	"github.com/pipegen/pipegen/pkg/plan"
)

// importCheck is how one imported pipeline renders from the files import would write.
type importCheck struct {
	mismatch string   // why it does not render as stored; "" when it does
	changes  []string // the paths the next sync changes: ownership (and ids it had none for)
}

// verifyImport renders the files of an import in a scratch copy of the repo, against the
// store, and compares each imported pipeline with what sync would make of the stored object
// as it is: the rendered document must be exactly that, so the next diff shows only
// ownership.
func verifyImport(ctx context.Context, cfg *config.Config, state *front50.State, app string, files []ImportedFile, templates []*importer.Template) (map[string]importCheck, error) {
	tmp, err := os.MkdirTemp("", "pipegen-import-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	scratch := *cfg
	scratch.Root = tmp
	scratch.Services = filepath.Join(tmp, "services")
	scratch.Templates = filepath.Join(tmp, "templates")
	if _, err := os.Stat(cfg.Templates); err == nil {
		if err := os.CopyFS(scratch.Templates, os.DirFS(cfg.Templates)); err != nil {
			return nil, fmt.Errorf("copy the templates to check the import: %w", err)
		}
	}
	marker := map[string]string{} // the service file as the marker names it
	for _, f := range files {
		dst := ""
		for _, d := range []struct{ from, to string }{{cfg.Templates, scratch.Templates}, {cfg.Services, scratch.Services}} {
			if rel, err := filepath.Rel(d.from, f.Path); err == nil && !strings.HasPrefix(rel, "..") {
				dst = filepath.Join(d.to, rel)
				break
			}
		}
		if dst == "" {
			return nil, fmt.Errorf("%s is outside the services and templates folders", f.Display)
		}
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return nil, err
		}
		if err := os.WriteFile(dst, f.Data, 0o644); err != nil {
			return nil, err
		}
		if strings.HasPrefix(dst, scratch.Services) {
			marker[displayPath(scratch.Root, dst)] = f.Display
		}
	}
	b, err := Render(ctx, &scratch, BuildOptions{Filter: Filter{Services: []string{app}}, State: state, NoCache: true})
	if err != nil {
		return nil, fmt.Errorf("render the imported files: %w", err)
	}
	type slot struct{ stack, key string }
	rendered := map[slot]*Pipeline{}
	for _, p := range b.Pipelines {
		rendered[slot{strings.ToLower(p.Stack), strings.ToLower(p.Key)}] = p
	}
	out := map[string]importCheck{}
	for _, t := range templates {
		for _, e := range t.Entries {
			p := rendered[slot{strings.ToLower(e.Stack), strings.ToLower(e.Key)}]
			if p == nil {
				msg := fmt.Sprintf("%s did not render for %s/%s", t.Name, e.Stack, e.Key)
				for _, pr := range b.Problems {
					if s := pr.Error(); strings.Contains(s, t.Name) || strings.Contains(s, "/"+e.Key) {
						msg += ": " + s
					}
				}
				out[e.ID] = importCheck{mismatch: msg}
				continue
			}
			if p.ID != e.ID {
				out[e.ID] = importCheck{mismatch: fmt.Sprintf("renders with id %s, not %s", p.ID, e.ID)}
				continue
			}
			m := p.Marker
			m.File = marker[m.File]
			expected, err := adoptedDoc(state.ByID[e.ID], m, cfg.Lock)
			if err != nil {
				out[e.ID] = importCheck{mismatch: err.Error()}
				continue
			}
			// The marker names the service file by its path in the scratch copy.
			doc := make(map[string]any, len(p.Doc))
			for k, v := range p.Doc {
				doc[k] = v
			}
			doc[pipeline.MarkerKey] = expected[pipeline.MarkerKey]
			if cfg.Lock {
				doc[pipeline.FieldLocked] = expected[pipeline.FieldLocked]
			}
			changes, err := diff.Compare(expected, doc)
			if err != nil {
				return nil, fmt.Errorf("compare %s: %w", e.Name, err)
			}
			if len(changes) > 0 {
				out[e.ID] = importCheck{mismatch: fmt.Sprintf("%s renders %s %s differently", t.Name, e.Name, changes[0].Path)}
				continue
			}
			stored := state.ByID[e.ID]
			own, err := diff.Compare(plan.Normalize(stored.Doc, expected), expected)
			if err != nil {
				return nil, fmt.Errorf("compare %s: %w", e.Name, err)
			}
			var paths []string
			for _, c := range own {
				paths = append(paths, c.Path)
			}
			out[e.ID] = importCheck{changes: paths}
		}
	}
	return out, nil
}

// adoptedDoc is what sync makes of a stored pipeline it takes over unchanged: the object
// prepared as a template's output is, with the fields no template sets left out.
func adoptedDoc(sp *front50.Pipeline, m pipeline.Marker, lock bool) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(sp.Raw))
	dec.UseNumber()
	var doc map[string]any
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("read the stored object: %w", err)
	}
	app, _ := doc[pipeline.FieldApplication].(string)
	for k := range doc {
		if pipeline.NotInTemplate(k) || (lock && k == pipeline.FieldLocked) {
			delete(doc, k)
		}
	}
	res := pipeline.Prepare(doc, app, sp.ID, m, pipeline.Options{Lock: lock})
	if len(res.Errors) > 0 {
		msgs := make([]string, len(res.Errors))
		for i, e := range res.Errors {
			msgs[i] = e.String()
		}
		return nil, fmt.Errorf("it would not pass pipegen's checks: %s", strings.Join(msgs, "; "))
	}
	return res.Doc, nil
}
