package plan

import (
	"sort"

	"github.com/pipegen/pipegen/pkg/front50"
	"github.com/pipegen/pipegen/pkg/pipeline"
)

// Unmanaged is a stored pipeline of an application the repo manages that pipegen does not
// own and no source plans: made in the UI after the application was imported, most likely.
type Unmanaged struct {
	ID, Application, Name string
	// Import is the command that brings it into the repo.
	Import string
}

// FindUnmanaged lists the unmanaged pipelines of apps, sorted by application and name.
// Pipelines the plan already speaks of (by id, or by name as a conflict) are left out.
func FindUnmanaged(state *front50.State, apps map[string]bool, p *Plan) []Unmanaged {
	ids := map[string]bool{}
	names := map[string]bool{}
	for _, it := range p.Items {
		ids[it.ID] = true
		names[pipeline.NameKey(it.Application, it.Name)] = true
	}
	var out []Unmanaged
	for _, sp := range state.Pipelines {
		app, _ := sp.Doc[pipeline.FieldApplication].(string)
		name, _ := sp.Doc[pipeline.FieldName].(string)
		if !apps[app] || ids[sp.ID] || names[pipeline.NameKey(app, name)] {
			continue
		}
		if _, owned := pipeline.MarkerOf(sp.Doc); owned {
			continue
		}
		out = append(out, Unmanaged{ID: sp.ID, Application: app, Name: name, Import: "pipegen import --service " + app})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Application != out[j].Application {
			return out[i].Application < out[j].Application
		}
		return out[i].Name < out[j].Name
	})
	return out
}
