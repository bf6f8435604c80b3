package action

import (
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	"maps"
	"runtime"
	"slices"
	"strings"

	"github.com/pipegen/pipegen/internal/parallel"
	"github.com/pipegen/pipegen/pkg/config"
	"github.com/pipegen/pipegen/pkg/front50"
	"github.com/pipegen/pipegen/pkg/pipeline"
	"github.com/pipegen/pipegen/pkg/yamldoc"
)

// prepare resolves pipeline_id() placeholders and turns each rendered value into the stored
// document (ids, artifacts, checks). then, when set, is called for each prepared pipeline as
// soon as it is ready, on the goroutine that prepared it: a streaming build plans and lets go
// of each document there, so that ten thousand are never held at once.
func (b *Build) prepare(cfg *config.Config, opt BuildOptions, then func(p *Pipeline) error) error {
	byName := map[string]string{}
	planned := map[string]string{} // id -> name in this repo
	for _, p := range b.Pipelines {
		byName[pipeline.NameKey(p.Application, p.Name)] = p.ID
		planned[p.ID] = p.Name
	}
	lookup := func(app, name string) (string, error) {
		if id, ok := byName[pipeline.NameKey(app, name)]; ok {
			return id, nil
		}
		if opt.State == nil {
			return "", fmt.Errorf("pipeline_id: no pipeline named %q in application %s in this repo (render and validate look only at the repo; diff and sync also look in the store)", name, app)
		}
		found := opt.State.ByName(app, name)
		switch len(found) {
		case 1:
			if found[0].Nested {
				return "", fmt.Errorf("pipeline_id: the pipeline named %q in application %s is stored under the nested key pipelines/%s/; its id there is not one pipegen can resolve: move it to pipelines/<id>/", name, app, found[0].ID)
			}
			// The stored name of a pipeline this repo renames is on its way out: resolving
			// it would work once and break on the next run.
			if newName, ok := planned[found[0].ID]; ok {
				return "", fmt.Errorf("pipeline_id: %q is the old name of pipeline %s, which this repo renames to %q; use the new name", name, found[0].ID, newName)
			}
			return found[0].ID, nil
		case 0:
			return "", fmt.Errorf("pipeline_id: no pipeline named %q in application %s, neither in this repo nor in %s", name, app, "the store")
		}
		return "", fmt.Errorf("pipeline_id: %d pipelines are named %q in application %s in the store; Front50 should never hold two", len(found), name, app)
	}

	// Each pipeline is prepared on its own (lookup only reads), so this runs on every core;
	// problems and warnings are gathered in order afterwards.
	type outcome struct {
		ok       bool
		problems []error
		err      error // from then: not an input problem, the command fails
	}
	outcomes := make([]outcome, len(b.Pipelines))
	prepareOne := func(i int) {
		p := b.Pipelines[i]
		var refErr error
		v, err := p.rawValue()
		if err != nil {
			outcomes[i].err = err
			return
		}
		// Only a template that called pipeline_id() has placeholders: a scan of the text is
		// cheaper than a walk of the tree.
		if p.hasRefs || p.text != nil && bytes.Contains(p.text, []byte(idPlaceholder)) {
			v = replaceStrings(v, resolvePlaceholders(lookup, &refErr))
		}
		if refErr != nil {
			if p.InScope {
				outcomes[i].problems = append(outcomes[i].problems, p.problem(0, refErr.Error()))
			}
			return
		}
		res := pipeline.Prepare(v, p.Application, p.ID, p.Marker, pipeline.Options{Lock: cfg.Lock})
		if len(res.Errors) > 0 {
			if p.InScope {
				root, _ := yamldoc.Parse(p.Text())
				for _, e := range res.Errors {
					outcomes[i].problems = append(outcomes[i].problems, p.problem(lineOfPath(root, e.Path), e.String()))
				}
			}
			return
		}
		if probs := pipeline.RunAsProblems(res.Doc, p.Application, cfg.AllowsRunAs); len(probs) > 0 {
			if p.InScope {
				root, _ := yamldoc.Parse(p.Text())
				for _, pr := range probs {
					outcomes[i].problems = append(outcomes[i].problems, p.problem(lineOfPath(root, pr.Path), pr.String()))
				}
			}
			return
		}
		// What Front50 could not deserialize, sync would refuse at write time; say it now, at
		// the template line, so validate and a pull request's diff catch it first.
		if probs := front50.PipelineDocProblems(p.ID, res.Doc); len(probs) > 0 {
			if p.InScope {
				root, _ := yamldoc.Parse(p.Text())
				for _, pr := range probs {
					outcomes[i].problems = append(outcomes[i].problems, p.problem(lineOfPath(root, pr.Path), "Front50 could not read this pipeline: "+pr.String()))
				}
			}
			return
		}
		for _, w := range res.Warnings {
			p.Warnings = append(p.Warnings, fmt.Sprintf("%s: %s (rendering %s)", p.Template, w.String(), p.Source))
		}
		p.Doc = res.Doc
		p.Providers = providersOf(res.Doc)
		outcomes[i].ok = true
		if then != nil {
			outcomes[i].err = then(p)
		}
	}
	// A background context: Do only stops on ctx, and then's I/O has its own.
	_ = parallel.Do(context.Background(), len(b.Pipelines), runtime.GOMAXPROCS(0), prepareOne)

	for i := range b.Pipelines {
		if err := outcomes[i].err; err != nil {
			return err
		}
	}
	var keep []*Pipeline
	for i, p := range b.Pipelines {
		b.Problems = append(b.Problems, outcomes[i].problems...)
		if !outcomes[i].ok {
			continue
		}
		if p.InScope {
			b.Warnings = append(b.Warnings, p.Warnings...)
		}
		keep = append(keep, p)
	}
	b.Pipelines = keep
	return nil
}

// resolvePlaceholders returns the string function that replaces pipeline_id() placeholders
// with ids from lookup, recording the first failure in errp.
func resolvePlaceholders(lookup func(app, name string) (string, error), errp *error) func(string) string {
	return func(s string) string {
		if !strings.Contains(s, idPlaceholder) {
			return s
		}
		return idPlaceholderRe.ReplaceAllStringFunc(s, func(m string) string {
			sub := idPlaceholderRe.FindStringSubmatch(m)
			app, _ := hex.DecodeString(sub[1])
			name, _ := hex.DecodeString(sub[2])
			id, err := lookup(string(app), string(name))
			if err != nil && *errp == nil {
				*errp = err
			}
			return id
		})
	}
}

// replaceStrings returns v with fn applied to every string value (keys untouched). Maps and
// lists are changed in place, and only where a string changed: assigning every member back
// cost a map write per field of every pipeline.
func replaceStrings(v any, fn func(string) string) any {
	switch v := v.(type) {
	case string:
		return fn(v)
	case map[string]any:
		for k, x := range v {
			if s, ok := x.(string); ok {
				if r := fn(s); r != s {
					v[k] = r
				}
				continue
			}
			replaceStrings(x, fn)
		}
		return v
	case []any:
		for i, x := range v {
			v[i] = replaceStrings(x, fn)
		}
		return v
	}
	return v
}

// providersOf lists the cloud providers a document names, sorted.
func providersOf(doc map[string]any) []string {
	set := map[string]bool{}
	collectProviders(doc, set)
	return slices.Sorted(maps.Keys(set))
}
