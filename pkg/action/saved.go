package action

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/pipegen/pipegen/pkg/config"
	"github.com/pipegen/pipegen/pkg/front50"
	"github.com/pipegen/pipegen/pkg/planfile"
)

// SourceDigest hashes every input a render reads: the config file, every file under the
// services and templates folders (whatever its name: a template can include any of them) and
// the resolved settings that shape documents. VCS and pipegen's own folders are left out.
// Call it before rendering: a file changed during the render then makes the digest stale,
// never a plan that does not match its digest.
func SourceDigest(cfg *config.Config) (planfile.Source, error) {
	files := map[string]string{} // relative slash path → absolute path
	add := func(p string) {
		rel, err := filepath.Rel(cfg.Root, p)
		if err != nil || strings.HasPrefix(rel, "..") {
			rel = p // outside the root: the absolute path names it
		}
		files[filepath.ToSlash(rel)] = p
	}
	if cfg.File != "" {
		add(cfg.File)
	}
	for _, dir := range []string{cfg.Services, cfg.Templates} {
		err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() && p != dir && (d.Name() == ".git" || d.Name() == ".pipegen") {
				return filepath.SkipDir
			}
			if !d.IsDir() {
				add(p)
			}
			return nil
		})
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return planfile.Source{}, fmt.Errorf("digest the source: %w", err)
		}
	}
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	h := sha256.New()
	settings, err := json.Marshal(struct {
		Vars map[string]any `json:"vars"`
		Lock bool           `json:"lock"`
	}{cfg.Vars, cfg.Lock})
	if err != nil {
		return planfile.Source{}, fmt.Errorf("digest the settings: %w", err)
	}
	writeField(h, "settings", settings)
	for _, n := range names {
		b, err := os.ReadFile(files[n])
		if err != nil {
			return planfile.Source{}, fmt.Errorf("digest the source: %w", err)
		}
		writeField(h, "file:"+n, b)
	}
	return planfile.Source{Digest: "sha256:" + hex.EncodeToString(h.Sum(nil)), Files: len(names)}, nil
}

// writeField writes a name and a value with their lengths, so no two inputs hash alike.
func writeField(h interface{ Write([]byte) (int, error) }, name string, value []byte) {
	_, _ = h.Write([]byte(strconv.Itoa(len(name)) + ":" + name + strconv.Itoa(len(value)) + ":"))
	_, _ = h.Write(value)
}

// SavePlan turns a diff's result into a plan file. source must have been computed before the
// diff (see SourceDigest).
func SavePlan(res *Result, store front50.Store, source planfile.Source, opt DiffOptions, version string) (*planfile.File, error) {
	saved, err := planfile.New(res.Plan)
	if err != nil {
		return nil, err
	}
	f := &planfile.File{
		Pipegen: version,
		Store:   store.Location(),
		Source:  source,
		Options: planfile.Options{Prune: opt.Prune, Adopt: opt.Adopt,
			Services: opt.Filter.Services, Stacks: opt.Filter.Stacks, Pipelines: opt.Filter.Pipelines},
		Read: []planfile.Object{},
		Plan: saved,
	}
	for _, p := range res.State.Pipelines {
		f.Read = append(f.Read, planfile.Object{ID: p.ID, ETag: front50.BareETag(p.ETag)})
	}
	for _, b := range res.State.Broken {
		f.Read = append(f.Read, planfile.Object{ID: b.ID, ETag: front50.BareETag(b.ETag)})
	}
	sort.Slice(f.Read, func(i, j int) bool { return f.Read[i].ID < f.Read[j].ID })
	return f, nil
}

// ErrStalePlan is why a saved plan was refused: what it was made from has changed.
var ErrStalePlan = errors.New("the plan is out of date")

// StaleError says what changed since a plan was made.
type StaleError struct {
	Store         string // set when the plan was made against another store
	SourceChanged bool
	Changed       []string // ids of objects changed since
	Added         []string // ids of objects that appeared since
	Removed       []string // ids of objects gone since
}

func (e *StaleError) Error() string {
	var parts []string
	if e.Store != "" {
		parts = append(parts, "it was made against "+e.Store)
	}
	if e.SourceChanged {
		parts = append(parts, "the source changed")
	}
	list := func(what string, ids []string) {
		if len(ids) == 0 {
			return
		}
		shown := ids
		if len(shown) > 5 {
			shown = shown[:5]
		}
		s := fmt.Sprintf("%d pipeline object(s) %s in the store (%s", len(ids), what, strings.Join(shown, ", "))
		if len(ids) > len(shown) {
			s += ", …"
		}
		parts = append(parts, s+")")
	}
	list("changed", e.Changed)
	list("added", e.Added)
	list("removed", e.Removed)
	return fmt.Sprintf("%v: %s since it was made; nothing written; run pipegen diff --out again and review the new plan", ErrStalePlan, strings.Join(parts, "; "))
}

func (e *StaleError) Unwrap() error { return ErrStalePlan }

// CheckPlan refuses a saved plan whose store, source or store objects are no longer those it
// was made from. The store is listed once; Apply's conditional writes then cover the time
// between this check and each write.
func CheckPlan(ctx context.Context, cfg *config.Config, store front50.Store, f *planfile.File) error {
	st := &StaleError{}
	if f.Store != store.Location() {
		st.Store = f.Store
	}
	src, err := SourceDigest(cfg)
	if err != nil {
		return err
	}
	st.SourceChanged = src.Digest != f.Source.Digest
	infos, err := store.List(ctx)
	if err != nil {
		return fmt.Errorf("read %s: %w", store.Location(), err)
	}
	read := make(map[string]string, len(f.Read))
	for _, o := range f.Read {
		read[o.ID] = o.ETag
	}
	for _, in := range infos {
		etag, ok := read[in.ID]
		switch {
		case !ok:
			st.Added = append(st.Added, in.ID)
		case !front50.SameETag(etag, in.ETag):
			st.Changed = append(st.Changed, in.ID)
		}
		delete(read, in.ID)
	}
	for id := range read {
		st.Removed = append(st.Removed, id)
	}
	apps, err := staleApps(ctx, store, f.Plan.Applications)
	if err != nil {
		return err
	}
	st.Changed = append(st.Changed, apps...)
	sort.Strings(st.Added)
	sort.Strings(st.Changed)
	sort.Strings(st.Removed)
	if st.Store != "" || st.SourceChanged || len(st.Changed)+len(st.Added)+len(st.Removed) > 0 {
		return st
	}
	return nil
}

// ApplyPlan applies a saved plan after CheckPlan, with the options it was made with.
func ApplyPlan(ctx context.Context, cfg *config.Config, store front50.Store, f *planfile.File, opt SyncOptions) (*Report, error) {
	if err := CheckPlan(ctx, cfg, store, f); err != nil {
		return nil, err
	}
	opt.Prune, opt.Adopt = f.Options.Prune, f.Options.Adopt
	opt.Filter = Filter{Services: f.Options.Services, Stacks: f.Options.Stacks, Pipelines: f.Options.Pipelines}
	return Apply(ctx, store, f.Plan.Unwrap(), opt)
}
