package action

import (
	"fmt"

	"github.com/pipegen/pipegen/pkg/front50"
	"github.com/pipegen/pipegen/pkg/pipeline"
	"github.com/pipegen/pipegen/pkg/plan"
	"github.com/pipegen/pipegen/pkg/services"
)

// checkPin says why an entry's pinned id (`id:`, written by import) cannot be used, or "".
// A pinned id may name a stored pipeline pipegen does not own yet (it is adopted), or none (it
// is created under that id); never a pipeline another source owns, nor one pinned twice.
func (b *Build) checkPin(p *Pipeline, state *front50.State, pinnedBy map[string]*Pipeline) string {
	if err := front50.ValidateID(p.pinned); err != nil {
		return fmt.Sprintf("id: %v", err)
	}
	if other, dup := pinnedBy[p.pinned]; dup {
		return fmt.Sprintf("id %s is also the id of %s; each entry manages its own pipeline", p.pinned, other.Source)
	}
	pinnedBy[p.pinned] = p
	if state == nil {
		return ""
	}
	sp, ok := state.ByID[p.pinned]
	if !ok {
		return ""
	}
	if app, _ := sp.Doc[pipeline.FieldApplication].(string); app != p.Application {
		return fmt.Sprintf("id %s is a pipeline of application %q, not of %s", p.pinned, app, p.Application)
	}
	if m, owned := pipeline.MarkerOf(sp.Doc); owned && plan.IdentityKey(m) != plan.IdentityKey(p.Marker) {
		return fmt.Sprintf("id %s is pipeline %q, managed from %s; remove the id line", p.pinned, docName(sp.Doc), m.Source())
	}
	return ""
}

func (p *Pipeline) pinProblem(msg string) error {
	return &services.Error{File: p.Marker.File, Line: p.pinnedLine, Col: p.pinnedCol, Msg: msg}
}
