package action

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/pipegen/pipegen/internal/testtool"
	"github.com/pipegen/pipegen/pkg/pipeline"
)

// corpusDir is the shared corpus (testtool.CorpusDir).
func corpusDir() string { return testtool.CorpusDir("../../..") }

type corpusCase struct {
	name     string         // file name, plus "#i" for an item of an array file
	app      string         // the service (and application) it is rendered for
	template string         // the template text: the pipeline JSON, wrapped if it has {{ or {%
	orig     map[string]any // the pipeline as written
}

// corpusCases returns every pipeline with stages in the given corpus folders.
// A pipeline without a name (a UI "Edit as JSON" export) is given one: Front50 needs it.
func corpusCases(t *testing.T, dirs ...string) []corpusCase {
	t.Helper()
	var out []corpusCase
	for _, cp := range testtool.CorpusPipelines(t, corpusDir(), dirs...) {
		p := cp.Doc
		single := cp.Index < 0
		c := corpusCase{name: cp.Dir + "/" + cp.File, orig: p}
		if !single {
			c.name += fmt.Sprintf("#%d", cp.Index)
		}
		text := string(cp.Raw)
		if _, ok := p["name"].(string); !ok || !single {
			if !ok {
				p["name"] = fmt.Sprintf("corpus-%d", len(out))
			}
			b, err := json.MarshalIndent(p, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			text = string(b)
		}
		if strings.Contains(text, "{{") || strings.Contains(text, "{%") || strings.Contains(text, "{#") {
			text = "{% verbatim %}" + text + "{% endverbatim %}"
		}
		c.template = text
		c.app, _ = p["application"].(string)
		if c.app == "" {
			c.app = "corpus"
		}
		out = append(out, c)
	}
	return out
}

// repo returns a one-service, one-stack, one-pipeline repo rendering the case.
func (c corpusCase) repo(t *testing.T) *repo {
	return newRepo(t, map[string]string{
		"templates/pipeline.json": c.template,
		"services/svc.yaml":       fmt.Sprintf("name: %s\nstacks:\n  corpus:\n    pipelines: [pipeline]\n", c.app),
	})
}

// ownedDiff compares a real pipeline with what pipegen made of it, ignoring exactly the fields
// pipegen owns: the pipeline id, ownership marker, lock, Front50's defaults where the original
// had none, ids given to triggers and artifacts that had none, and server-managed fields.
// It returns "" when they are the same.
func ownedDiff(t *testing.T, orig, got map[string]any) string {
	t.Helper()
	o := roundTrip(t, orig).(map[string]any)
	g := roundTrip(t, got).(map[string]any)
	for _, f := range append([]string{"id"}, pipeline.ServerManaged...) {
		delete(o, f)
		if f != "id" {
			delete(g, f)
		}
	}
	delete(g, "id")
	delete(g, pipeline.MarkerKey)
	if _, had := o[pipeline.FieldLocked]; !had {
		delete(g, pipeline.FieldLocked)
	}
	if _, had := o["schema"]; !had && g["schema"] == "1" {
		delete(g, "schema")
	}
	if _, had := o["triggers"]; !had {
		if tr, ok := g["triggers"].([]any); ok && len(tr) == 0 {
			delete(g, "triggers")
		}
	}
	if _, had := o["application"]; !had {
		delete(g, "application")
	}
	dropNewIDs := func(ov, gv any) {
		ol, _ := ov.([]any)
		gl, _ := gv.([]any)
		for i := range ol {
			om, ok1 := ol[i].(map[string]any)
			if i >= len(gl) || !ok1 {
				continue
			}
			if gm, ok := gl[i].(map[string]any); ok {
				if _, had := om["id"]; !had {
					delete(gm, "id")
				}
			}
		}
	}
	dropNewIDs(o["triggers"], g["triggers"])
	dropNewIDs(o["expectedArtifacts"], g["expectedArtifacts"])
	ostages, _ := o["stages"].([]any)
	gstages, _ := g["stages"].([]any)
	for i := range ostages {
		if i < len(gstages) {
			om, _ := ostages[i].(map[string]any)
			gm, _ := gstages[i].(map[string]any)
			if om != nil && gm != nil {
				dropNewIDs(om["expectedArtifacts"], gm["expectedArtifacts"])
				if oa, ok := om["expectedArtifact"].(map[string]any); ok {
					if _, had := oa["id"]; !had {
						delete(gm["expectedArtifact"].(map[string]any), "id")
					}
				}
			}
		}
	}
	if reflect.DeepEqual(o, g) {
		return ""
	}
	ob, _ := json.MarshalIndent(o, "", " ")
	gb, _ := json.MarshalIndent(g, "", " ")
	return firstDifference(string(ob), string(gb))
}

func firstDifference(a, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := 0; i < len(al) && i < len(bl); i++ {
		if al[i] != bl[i] {
			return fmt.Sprintf("line %d: original %q, pipegen %q", i+1, al[i], bl[i])
		}
	}
	return fmt.Sprintf("lengths differ: %d vs %d lines", len(al), len(bl))
}

func TestCorpusRendersUnchanged(t *testing.T) {
	cases := corpusCases(t, "A")
	if len(cases) < 20 {
		t.Fatalf("only %d corpus pipelines found", len(cases))
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b := c.repo(t).render(Filter{})
			if len(b.Problems) > 0 {
				t.Fatalf("problems:\n%s", problemsText(b))
			}
			if d := ownedDiff(t, c.orig, b.Pipelines[0].Doc); d != "" {
				t.Errorf("rendered document differs beyond pipegen's fields: %s", d)
			}
		})
	}
}
