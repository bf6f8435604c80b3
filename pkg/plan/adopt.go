package plan

// ReasonToAdopt is the reason of an Adopt item whose source pins the stored pipeline's id (an
// imported pipeline): sync takes ownership and keeps the id, and nothing else need change.
const ReasonToAdopt = "to adopt: imported, sync takes ownership and keeps its id"

func adoptReason(d *Desired, opt Options) string {
	if d.Pinned {
		return ReasonToAdopt
	}
	return "taken over from the UI (--adopt); its id is kept"
}
