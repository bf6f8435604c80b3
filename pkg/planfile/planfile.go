// Package planfile is the saved plan: what `pipegen diff --out FILE` writes and `pipegen sync
// --plan FILE` applies. It holds everything sync needs to apply exactly the reviewed plan (every
// document it writes, every id it deletes, the ETag each write is conditional on) and what the
// plan was made from (a digest of the source and the version of every store object read), so
// that sync can refuse a plan the world has moved past. The format is documented in
// docs/plan-file.md; Version changes whenever a reader of the previous version would
// misread a new file.
package planfile

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/pipegen/pipegen/pkg/plan"
)

// Format names the file's kind, so that another JSON file given to --plan is refused clearly.
const Format = "pipegen-plan"

// Version is the format version this pipegen writes and the only one it reads.
const Version = 2

// File is a saved plan.
type File struct {
	Format  string `json:"format"`
	Version int    `json:"version"`
	// Pipegen is the version of pipegen that made the plan (informational).
	Pipegen string `json:"pipegen"`
	// Store is the location the plan was made against (front50.Store.Location()).
	Store   string  `json:"store"`
	Source  Source  `json:"source"`
	Options Options `json:"options"`
	// Read is every pipeline object the plan read from the store, sorted by id: the listing
	// it was made from. A plan is stale when any of them changed, went or was joined by another.
	Read []Object `json:"read"`
	// Plan is the plan itself, with what the writes need.
	Plan Plan `json:"plan"`
}

// Source identifies the source the plan was rendered from.
type Source struct {
	Digest string `json:"digest"` // "sha256:<hex>" over the inputs, see action.SourceDigest
	Files  int    `json:"files"`  // how many files went into it (informational)
}

// Options are the diff options the plan was made with; sync --plan applies them as they were.
type Options struct {
	Prune     bool     `json:"prune"`
	Adopt     bool     `json:"adopt"`
	Services  []string `json:"services,omitempty"`
	Stacks    []string `json:"stacks,omitempty"`
	Pipelines []string `json:"pipelines,omitempty"`
}

// Object is one store object as the plan read it.
type Object struct {
	ID   string `json:"id"`
	ETag string `json:"etag"`
}

// Plan is plan.Plan with the fields that the -o json schema leaves out but a write needs.
type Plan struct {
	Summary plan.Counts `json:"summary"`
	Items   []Item      `json:"pipelines"`
	// Applications are written before the pipelines; each write is conditional on the ETags
	// they were planned against, which CheckPlan also compares with the store.
	AppSummary   plan.AppCounts `json:"applicationSummary"`
	Applications []AppItem      `json:"applications,omitempty"`
}

// AppItem is an application of the plan with its writes.
type AppItem struct {
	plan.AppItem
	Desired     map[string]any `json:"desired,omitempty"`
	DesiredPerm map[string]any `json:"desiredPermission,omitempty"`
	ETag        string         `json:"etag,omitempty"`
	PermETag    string         `json:"permissionEtag,omitempty"`
	PermExists  bool           `json:"permissionExists,omitempty"`
}

// Item is a plan item with its write: the document (desired), the ETag the write is
// conditional on and the stored fields an update carries over (keep).
type Item struct {
	plan.Item
	Desired map[string]any `json:"desired,omitempty"`
	ETag    string         `json:"etag,omitempty"`
	Keep    map[string]any `json:"keep,omitempty"`
}

// New wraps a plan for saving.
func New(p *plan.Plan) (Plan, error) {
	out := Plan{Summary: p.Counts, Items: make([]Item, len(p.Items))}
	for i, it := range p.Items {
		desired, err := it.Document()
		if err != nil {
			return Plan{}, fmt.Errorf("save the plan of %s/%s: %w", it.Application, it.Name, err)
		}
		etag, keep := it.ETag, it.Keep
		it.Desired, it.Body, it.ETag, it.Keep = nil, nil, "", nil // held once, by the outer fields
		out.Items[i] = Item{Item: it, Desired: desired, ETag: etag, Keep: keep}
	}
	out.AppSummary = p.AppCounts
	for _, a := range p.Applications {
		w := AppItem{AppItem: a, Desired: a.Desired, DesiredPerm: a.DesiredPerm, ETag: a.ETag, PermETag: a.PermETag, PermExists: a.PermExists}
		w.AppItem.Desired, w.AppItem.DesiredPerm, w.AppItem.ETag, w.AppItem.PermETag, w.AppItem.PermExists = nil, nil, "", "", false
		out.Applications = append(out.Applications, w)
	}
	return out, nil
}

// Unwrap returns the plan to apply.
func (p Plan) Unwrap() *plan.Plan {
	out := &plan.Plan{Counts: p.Summary, Items: make([]plan.Item, len(p.Items))}
	for i, it := range p.Items {
		pi := it.Item
		pi.Desired, pi.ETag, pi.Keep = it.Desired, it.ETag, it.Keep
		out.Items[i] = pi
	}
	out.AppCounts = p.AppSummary
	for _, a := range p.Applications {
		ai := a.AppItem
		ai.Desired, ai.DesiredPerm, ai.ETag, ai.PermETag, ai.PermExists = a.Desired, a.DesiredPerm, a.ETag, a.PermETag, a.PermExists
		out.Applications = append(out.Applications, ai)
	}
	return out
}

// Encode writes f as indented JSON (a reviewer may read it; git diffs it well).
func Encode(w io.Writer, f *File) error {
	f.Format, f.Version = Format, Version
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(f)
}

// WriteFile saves f at path, whole or not at all: a half-written plan must never be applied.
func WriteFile(path string, f *File) error {
	var buf bytes.Buffer
	if err := Encode(&buf, f); err != nil {
		return fmt.Errorf("write plan %s: %w", path, err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".pipegen-plan-*")
	if err != nil {
		return fmt.Errorf("write plan %s: %w", path, err)
	}
	_, err = tmp.Write(buf.Bytes())
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		_ = os.Remove(tmp.Name())
		return fmt.Errorf("write plan %s: %w", path, err)
	}
	return nil
}

// ErrNotAPlan is returned for a file that is not a saved plan this pipegen can apply.
var ErrNotAPlan = errors.New("not a pipegen plan file")

// Decode reads a saved plan. Numbers stay json.Number, so every value is written back exactly
// as it was planned. Unknown fields are refused: they would be parts of the plan this pipegen
// would silently not apply.
func Decode(r io.Reader, name string) (*File, error) {
	raw, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("read plan %s: %w", name, err)
	}
	var head struct {
		Format  string `json:"format"`
		Version int    `json:"version"`
	}
	if err := json.Unmarshal(raw, &head); err != nil {
		return nil, fmt.Errorf("plan %s: %w: %v", name, ErrNotAPlan, err)
	}
	if head.Format != Format {
		return nil, fmt.Errorf("plan %s: %w (its format is %q; pipegen diff --out FILE writes one)", name, ErrNotAPlan, head.Format)
	}
	if head.Version != Version {
		return nil, fmt.Errorf("plan %s: %w: format version %d, this pipegen reads version %d; make the plan again with this pipegen", name, ErrNotAPlan, head.Version, Version)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	dec.DisallowUnknownFields()
	var f File
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("plan %s: %w: %v", name, ErrNotAPlan, err)
	}
	if err := f.check(); err != nil {
		return nil, fmt.Errorf("plan %s: %w: %v", name, ErrNotAPlan, err)
	}
	return &f, nil
}

// check refuses a file that could not have been written by Encode: a hand-edited or damaged
// plan must fail here, not half-apply.
func (f *File) check() error {
	if f.Store == "" {
		return errors.New("no store")
	}
	if f.Source.Digest == "" {
		return errors.New("no source digest")
	}
	for i, it := range f.Plan.Items {
		if it.ID == "" {
			return fmt.Errorf("pipelines[%d]: no id", i)
		}
		switch it.Action {
		case plan.Create, plan.Update, plan.Adopt:
			if it.Desired == nil {
				return fmt.Errorf("pipelines[%d] (%s): %s without a document", i, it.ID, it.Action)
			}
			if it.Action != plan.Create && it.ETag == "" {
				return fmt.Errorf("pipelines[%d] (%s): %s without the ETag it was planned against", i, it.ID, it.Action)
			}
		case plan.Delete:
			if it.ETag == "" {
				return fmt.Errorf("pipelines[%d] (%s): delete without the ETag it was planned against", i, it.ID)
			}
		case plan.Unchanged, plan.Orphan, plan.Conflict:
		default:
			return fmt.Errorf("pipelines[%d] (%s): unknown action %q", i, it.ID, it.Action)
		}
	}
	for i, a := range f.Plan.Applications {
		if a.Name == "" {
			return fmt.Errorf("applications[%d]: no name", i)
		}
		switch a.Action {
		case plan.AppCreate, plan.AppUpdate, plan.AppAdopt:
			if a.Desired == nil && a.DesiredPerm == nil {
				return fmt.Errorf("applications[%d] (%s): %s without a document", i, a.Name, a.Action)
			}
			if a.Action != plan.AppCreate && a.Desired != nil && a.ETag == "" {
				return fmt.Errorf("applications[%d] (%s): %s without the ETag it was planned against", i, a.Name, a.Action)
			}
		case plan.AppUnchanged, plan.AppConflict, plan.AppKept:
			if a.Desired != nil || a.DesiredPerm != nil {
				return fmt.Errorf("applications[%d] (%s): %s with a document to write", i, a.Name, a.Action)
			}
		default:
			return fmt.Errorf("applications[%d] (%s): unknown action %q", i, a.Name, a.Action)
		}
	}
	if c := plan.Count(f.Plan.Unwrap().Items); c != f.Plan.Summary {
		return fmt.Errorf("summary %+v does not match the pipelines listed (%+v)", f.Plan.Summary, c)
	}
	return nil
}
