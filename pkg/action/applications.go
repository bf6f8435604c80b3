package action

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/pipegen/pipegen/internal/cache"
	"github.com/pipegen/pipegen/internal/parallel"
	"github.com/pipegen/pipegen/pkg/front50"
	"github.com/pipegen/pipegen/pkg/importer"
	"github.com/pipegen/pipegen/pkg/pipeline"
	"github.com/pipegen/pipegen/pkg/plan"
	"github.com/pipegen/pipegen/pkg/planfile"
	"github.com/pipegen/pipegen/pkg/services"
)

// DefaultAppEmail is the email of an application pipegen creates for a service that has no
// `application:` block: Front50 requires one, and an address under the reserved .invalid domain
// says plainly that nobody set it. Declare `application: {email: …}` to set a real one.
const DefaultAppEmail = "nobody@pipegen.invalid"

// desiredApps is one application per service the filter selects.
func desiredApps(b *Build, f Filter) []*plan.DesiredApp {
	providers := map[string]map[string]bool{}
	for _, p := range b.Pipelines {
		set := providers[p.Service]
		if set == nil {
			set = map[string]bool{}
			providers[p.Service] = set
		}
		for _, cp := range p.Providers {
			set[cp] = true
		}
	}
	var out []*plan.DesiredApp
	for _, svc := range b.Services {
		if !matchAny(f.Services, svc.Name) {
			continue
		}
		d := &plan.DesiredApp{Name: svc.Name, Source: svc.File}
		if a := svc.Application; a != nil {
			d.Declared = true
			d.Attributes = declaredAttributes(a)
			d.Permissions = a.Permissions
		} else {
			d.Minimal = map[string]any{plan.AppFieldEmail: DefaultAppEmail}
			if cp := slices.Sorted(maps.Keys(providers[svc.Name])); len(cp) > 0 {
				d.Minimal[plan.AppFieldCloudProviders] = strings.Join(cp, ",")
			}
		}
		out = append(out, d)
	}
	return out
}

// declaredAttributes are a block's attributes as Front50 stores them: cloudProviders joined
// with commas, as Front50's own model writes it.
func declaredAttributes(a *services.Application) map[string]any {
	attrs := maps.Clone(a.Attributes)
	if attrs == nil {
		attrs = map[string]any{}
	}
	if a.Email != nil {
		attrs[plan.AppFieldEmail] = *a.Email
	}
	if a.Description != nil {
		attrs["description"] = *a.Description
	}
	if a.CloudProviders != nil {
		attrs[plan.AppFieldCloudProviders] = strings.Join(a.CloudProviders, ",")
	}
	return attrs
}

// collectProviders gathers every `cloudProvider` a pipeline names (stages, and clusters of
// deploy stages).
func collectProviders(v any, set map[string]bool) {
	switch t := v.(type) {
	case map[string]any:
		for k, x := range t {
			if s, ok := x.(string); ok && k == "cloudProvider" && s != "" && !strings.Contains(s, "${") {
				set[s] = true
				continue
			}
			collectProviders(x, set)
		}
	case []any:
		for _, x := range t {
			collectProviders(x, set)
		}
	}
}

// planApps reads the applications the plan concerns and plans them. One listing says which
// objects exist: an object it shows absent is not read, and through the cache (c, nil for
// none) one it shows unchanged since the last run is not read either.
func planApps(ctx context.Context, store front50.Store, c *cache.Dir, b *Build, f Filter, adopt bool, conc int) ([]plan.AppItem, plan.AppCounts, error) {
	as, err := front50.AppStoreOf(cachedStore(store, c, false))
	if err != nil {
		return nil, plan.AppCounts{}, err
	}
	desired := desiredApps(b, f)
	inRepo := map[string]bool{}
	for _, s := range b.Services {
		inRepo[s.Name] = true
	}
	listing, err := as.ListApplications(ctx)
	if err != nil {
		return nil, plan.AppCounts{}, fmt.Errorf("list applications: %w", err)
	}
	listed := make(map[string]front50.AppInfo, len(listing))
	for _, in := range listing {
		listed[in.ID] = in
	}
	// Applications the repo has no service for are read only to find pipegen's own (kept).
	type read struct {
		name       string
		meta, perm bool
	}
	reads := make([]read, 0, len(desired))
	for _, d := range desired {
		in := listed[strings.ToLower(d.Name)]
		reads = append(reads, read{d.Name, in.Metadata != nil, in.Permission != nil})
	}
	for _, in := range listing {
		if in.Metadata != nil && !inRepo[in.ID] && matchAny(f.Services, in.ID) && front50.ValidateID(in.ID) == nil {
			reads = append(reads, read{name: in.ID, meta: true})
		}
	}
	stored := make([]*plan.StoredApp, len(reads))
	errs := make([]error, len(reads))
	if err := parallel.Do(ctx, len(reads), conc, func(i int) {
		stored[i], errs[i] = readApp(ctx, as, reads[i].name, reads[i].meta, reads[i].perm)
	}); err != nil {
		return nil, plan.AppCounts{}, err
	}
	if err := errors.Join(errs...); err != nil {
		return nil, plan.AppCounts{}, err
	}
	// The diff saved the cache before the applications were read.
	_ = c.Save()
	byName := map[string]*plan.StoredApp{}
	for i, d := range desired {
		byName[d.Name] = stored[i]
	}
	var orphans []*plan.StoredApp
	for _, s := range stored[len(desired):] {
		if s.Doc == nil {
			continue
		}
		if m, ok := plan.AppMarkerOf(s.Doc); ok && m.Service == s.Name {
			orphans = append(orphans, s)
		}
	}
	items, counts := plan.MakeApps(desired, byName, orphans, plan.AppOptions{Adopt: adopt})
	return items, counts, nil
}

// readApp reads the objects of an application that meta and perm ask for; an object not asked
// for, or not found, is absent.
func readApp(ctx context.Context, as front50.AppStore, name string, meta, perm bool) (*plan.StoredApp, error) {
	s := &plan.StoredApp{Name: name}
	var err error
	if meta {
		if s.Doc, s.ETag, err = readAppObject(ctx, as, front50.AppMetadata, name); err != nil {
			return nil, err
		}
	}
	if perm {
		if s.Perm, s.PermETag, err = readAppObject(ctx, as, front50.AppPermission, name); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// readAppObject reads one object of an application's folder: nil when there is none.
func readAppObject(ctx context.Context, as front50.AppStore, kind front50.AppKind, name string) (map[string]any, string, error) {
	what := "application " + name
	if kind == front50.AppPermission {
		what = "permissions of application " + name
	}
	obj, err := as.GetApp(ctx, kind, name)
	switch {
	case errors.Is(err, front50.ErrNotFound):
		return nil, "", nil
	case err != nil:
		return nil, "", fmt.Errorf("read %s: %w", what, err)
	}
	doc, err := front50.DecodeStored(obj.Body)
	if err != nil {
		return nil, "", fmt.Errorf("read %s: %s is not an object Front50 can read (%v); fix or remove it first", what, kind, err)
	}
	return doc, obj.ETag, nil
}

// AppOutcome is what happened to one application of the plan.
type AppOutcome struct {
	Item plan.AppItem
	Err  error
	// Existed: a minimal application was not written because one appeared meanwhile.
	Existed bool
}

var errExisted = errors.New("application exists")

// applyApps writes the applications of a plan (the application object, then its permissions),
// each write conditional on what the plan read, and bumps applications/last-modified.json once
// if anything was written. Once ctx is done no new application is started. It returns the
// applications that failed, by name.
func applyApps(ctx, writeCtx context.Context, store front50.Store, items []plan.AppItem, nowMS int64, conc int, rep *Report) map[string]error {
	failed := map[string]error{}
	var work []plan.AppItem
	for _, it := range items {
		if it.Desired != nil || it.DesiredPerm != nil {
			work = append(work, it)
		}
	}
	if len(work) == 0 {
		return failed
	}
	as, err := front50.AppStoreOf(store)
	if err != nil {
		for _, it := range work {
			failed[it.Name] = err
			rep.AppFailed = append(rep.AppFailed, AppOutcome{Item: it, Err: err})
		}
		return failed
	}
	ts := strconv.FormatInt(nowMS, 10)
	outcomes := make([]*AppOutcome, len(work))
	wrote := make([]bool, len(work))
	_ = parallel.Do(ctx, len(work), conc, func(i int) {
		if ctx.Err() != nil {
			return
		}
		err := applyApp(writeCtx, as, work[i], ts, nowMS, &wrote[i])
		if err == errExisted {
			outcomes[i] = &AppOutcome{Item: work[i], Existed: true}
			return
		}
		outcomes[i] = &AppOutcome{Item: work[i], Err: err}
	})
	for i, o := range outcomes {
		switch {
		case o == nil:
			rep.AppNotStarted = append(rep.AppNotStarted, work[i])
		case o.Err != nil:
			failed[o.Item.Name] = o.Err
			rep.AppFailed = append(rep.AppFailed, *o)
		default:
			rep.AppDone = append(rep.AppDone, *o)
		}
	}
	if slices.Contains(wrote, true) {
		bumpCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		rep.AppsLastModified, rep.AppsBumpErr = front50.BumpAppsLastModified(bumpCtx, as, time.UnixMilli(nowMS))
	}
	return failed
}

func applyApp(ctx context.Context, as front50.AppStore, it plan.AppItem, ts string, nowMS int64, wrote *bool) error {
	if it.Desired != nil {
		body, err := AppBody(it.Desired, ts)
		if err != nil {
			return err
		}
		opt := front50.PutOptions{IfMatch: it.ETag}
		if it.ETag == "" {
			opt = front50.PutOptions{IfNoneMatch: true}
		}
		if _, err := as.PutApp(ctx, front50.AppMetadata, it.Name, body, opt); err != nil {
			if it.Minimal && errors.Is(err, front50.ErrPrecondition) {
				// A minimal application only has to exist, and now it does (another sync, or
				// the UI, made it meanwhile): that is not ours to overwrite.
				return errExisted
			}
			return conflictHint(fmt.Errorf("write application %s: %w", it.Name, err))
		}
		*wrote = true
	}
	if it.DesiredPerm != nil {
		body, err := PermissionBody(it.DesiredPerm, nowMS)
		if err != nil {
			return err
		}
		opt := front50.PutOptions{IfMatch: it.PermETag}
		if !it.PermExists {
			opt = front50.PutOptions{IfNoneMatch: true}
		}
		if _, err := as.PutApp(ctx, front50.AppPermission, it.Name, body, opt); err != nil {
			return conflictHint(fmt.Errorf("write permissions of application %s: %w", it.Name, err))
		}
		*wrote = true
	}
	return nil
}

func conflictHint(err error) error {
	if errors.Is(err, front50.ErrPrecondition) {
		return fmt.Errorf("%w (changed by someone else since it was read; run pipegen diff again)", err)
	}
	return err
}

// AppBody is the exact application object sync writes: the planned document plus updateTs
// (a string of epoch ms), createTs when it has none, and lastModifiedBy.
func AppBody(doc map[string]any, updateTs string) ([]byte, error) {
	obj := maps.Clone(doc)
	obj[plan.AppFieldUpdateTs] = updateTs
	if v, ok := obj[plan.AppFieldCreateTs]; !ok || v == nil {
		obj[plan.AppFieldCreateTs] = updateTs
	}
	obj[plan.AppFieldLastModifiedBy] = "pipegen"
	return marshalStored(obj)
}

// PermissionBody is the exact permission object sync writes. Front50's permission model has no
// place for unknown fields, so it carries no marker: the application's marker covers it.
func PermissionBody(doc map[string]any, nowMS int64) ([]byte, error) {
	obj := maps.Clone(doc)
	obj["lastModified"] = json.Number(strconv.FormatInt(nowMS, 10))
	obj[plan.AppFieldLastModifiedBy] = "pipegen"
	return marshalStored(obj)
}

func marshalStored(obj map[string]any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(obj); err != nil {
		return nil, fmt.Errorf("encode application %v: %w", obj[plan.AppFieldName], err)
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}

// staleApps names the application objects a saved plan read that are no longer as it read them
// ("NAME/application-metadata.json", "NAME/application-permission.json").
func staleApps(ctx context.Context, store front50.Store, items []planfile.AppItem) ([]string, error) {
	if len(items) == 0 {
		return nil, nil
	}
	as, err := front50.AppStoreOf(store)
	if err != nil {
		return nil, err
	}
	var stale []string
	for _, it := range items {
		if it.Desired == nil && it.DesiredPerm == nil {
			continue // nothing to write: applying the plan leaves it as it is, whatever it is now
		}
		if it.Minimal {
			// Only the application's absence was planned on (a create that finds one gives way).
			continue
		}
		// The permission object is read only when the plan writes it.
		s, err := readApp(ctx, as, it.Name, true, it.DesiredPerm != nil)
		if err != nil {
			return nil, err
		}
		if !front50.SameETag(s.ETag, it.ETag) {
			stale = append(stale, it.Name+"/application-metadata.json")
		}
		if it.DesiredPerm == nil {
			continue
		}
		if (s.Perm != nil) != it.PermExists || (s.Perm != nil && !front50.SameETag(s.PermETag, it.PermETag)) {
			stale = append(stale, it.Name+"/application-permission.json")
		}
	}
	return stale, nil
}

// importedApplication is the `application:` block that reproduces a stored application and
// its permissions, or nil when the store has none. Attributes pipegen or Front50 set, and the
// marker, are left out; cloudProviders becomes a list; groups are written as Fiat compares them.
func importedApplication(ctx context.Context, store front50.Store, app string) (*importer.Node, error) {
	as, err := front50.AppStoreOf(store)
	if err != nil {
		return nil, err
	}
	s, err := readApp(ctx, as, app, true, true)
	if err != nil || s.Doc == nil {
		return nil, err
	}
	reserved := map[string]bool{"name": true, "createTs": true, "updateTs": true, "lastModifiedBy": true,
		"lastModified": true, "createdAt": true, "id": true, "details": true, pipeline.MarkerKey: true}
	block := map[string]any{}
	for _, k := range slices.Sorted(maps.Keys(s.Doc)) {
		if !reserved[k] && s.Doc[k] != nil {
			block[k] = plan.Comparable(k, s.Doc[k])
		}
	}
	if s.Perm != nil {
		perms := map[string]any{}
		for k, groups := range plan.PermissionsOf(s.Perm) {
			l := make([]any, len(groups))
			for i, g := range groups {
				l[i] = g
			}
			perms[k] = l
		}
		block["permissions"] = perms
	}
	raw, err := marshalStored(block)
	if err != nil {
		return nil, err
	}
	return importer.Decode(raw)
}
