package plan

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"

	"github.com/pipegen/pipegen/pkg/diff"
	"github.com/pipegen/pipegen/pkg/pipeline"
)

// AppAction is what sync does with one Spinnaker application. Applications are never deleted.
type AppAction string

const (
	AppCreate    AppAction = "create"
	AppUpdate    AppAction = "update"
	AppAdopt     AppAction = "adopt"     // made in the UI, declared by a service, taken over with --adopt
	AppConflict  AppAction = "conflict"  // made in the UI, declared by a service, no --adopt: sync refuses
	AppUnchanged AppAction = "unchanged" // also: exists and the service declares nothing
	AppKept      AppAction = "kept"      // owned by pipegen, its service is gone: never deleted
)

// Application attribute names pipegen writes itself.
const (
	AppFieldName           = "name"
	AppFieldEmail          = "email"
	AppFieldCloudProviders = "cloudProviders"
	AppFieldCreateTs       = "createTs"
	AppFieldUpdateTs       = "updateTs"
	AppFieldLastModifiedBy = "lastModifiedBy"
	// AppManagedKey lists, in the application's ownership marker, the attributes the service
	// file sets, so that one removed from the file is removed from the application, and
	// attributes set in the UI are left alone.
	AppManagedKey = "managed"
)

// DesiredApp is what the source says about one application.
type DesiredApp struct {
	Name   string // the service name: the application, lower-case
	Source string // the service file
	// Declared: the service has an `application:` block. Without one pipegen only makes sure
	// the application exists (Minimal is written when it does not).
	Declared bool
	// Attributes are the declared attributes as they are stored (cloudProviders comma-joined).
	Attributes map[string]any
	// Permissions: nil when not declared (the permission object is left as it is).
	Permissions map[string][]string
	// Minimal is the application written for a service without a block when none exists.
	Minimal map[string]any
}

// StoredApp is an application as the store holds it; nil fields are absent objects.
type StoredApp struct {
	Name     string
	Doc      map[string]any // application-metadata.json, nil when absent
	ETag     string
	Perm     map[string]any // application-permission.json, nil when absent
	PermETag string
}

// AppItem is the plan for one application.
type AppItem struct {
	Action AppAction `json:"action"`
	Name   string    `json:"name"`
	Source string    `json:"source,omitempty"`
	// Minimal: created without an `application:` block (default email, cloud providers of its pipelines).
	Minimal bool   `json:"minimal,omitempty"`
	Reason  string `json:"reason,omitempty"`
	// Permissions is set when the permission object changes.
	Permissions *PermissionChange `json:"permissions,omitempty"`
	Changes     []diff.Change     `json:"changes,omitempty"`

	// Desired is the application object to write, without updateTs and lastModifiedBy (nil: none).
	Desired map[string]any `json:"-"`
	// DesiredPerm is the permission object to write, without lastModified(By) (nil: none).
	DesiredPerm map[string]any `json:"-"`
	ETag        string         `json:"-"`
	PermETag    string         `json:"-"`
	// PermExists: there is a stored permission object (written conditionally on PermETag).
	PermExists bool `json:"-"`
}

// PermissionChange says who gains and who loses access, plainly.
type PermissionChange struct {
	// FromUnrestricted / ToUnrestricted: no groups at all, which Fiat reads as "everyone may do everything".
	FromUnrestricted bool                `json:"fromUnrestricted,omitempty"`
	ToUnrestricted   bool                `json:"toUnrestricted,omitempty"`
	Gains            []Grant             `json:"gains,omitempty"`
	Loses            []Grant             `json:"loses,omitempty"`
	From             map[string][]string `json:"from"`
	To               map[string][]string `json:"to"`
}

// Grant is one group's one authorization.
type Grant struct {
	Group  string `json:"group"`
	Access string `json:"access"` // READ, WRITE, EXECUTE
}

// AppCounts summarise the applications of a plan.
type AppCounts struct {
	Create    int `json:"create"`
	Update    int `json:"update"`
	Unchanged int `json:"unchanged"`
	Conflict  int `json:"conflict"`
	Kept      int `json:"kept"`
}

// AppMarker is the ownership marker of an application object (under pipeline.MarkerKey).
type AppMarker struct {
	Service string
	File    string
	Managed []string // sorted
	// Permissions: pipegen manages the permission object.
	Permissions bool
}

// AppMarkerOf reads an application's marker; ok is false for applications pipegen does not own.
func AppMarkerOf(doc map[string]any) (AppMarker, bool) {
	raw, ok := doc[pipeline.MarkerKey].(map[string]any)
	if !ok {
		return AppMarker{}, false
	}
	m := AppMarker{}
	m.Service, _ = raw["service"].(string)
	m.File, _ = raw["file"].(string)
	m.Permissions, _ = raw["permissions"].(bool)
	if l, ok := raw[AppManagedKey].([]any); ok {
		for _, v := range l {
			if s, ok := v.(string); ok {
				m.Managed = append(m.Managed, s)
			}
		}
	}
	sort.Strings(m.Managed)
	return m, m.Service != ""
}

func (m AppMarker) value() map[string]any {
	managed := make([]any, len(m.Managed))
	for i, k := range m.Managed {
		managed[i] = k
	}
	return map[string]any{"service": m.Service, "file": m.File, AppManagedKey: managed, "permissions": m.Permissions}
}

// AppOptions shape application planning.
type AppOptions struct {
	Adopt bool
}

// MakeApps plans the applications: desired ones (one per service in scope) against what is
// stored, and owned ones without a service (kept) listed in stored but not in desired.
func MakeApps(desired []*DesiredApp, stored map[string]*StoredApp, orphans []*StoredApp, opt AppOptions) ([]AppItem, AppCounts) {
	var items []AppItem
	for _, d := range desired {
		items = append(items, planApp(d, stored[d.Name], opt))
	}
	for _, s := range orphans {
		m, _ := AppMarkerOf(s.Doc)
		items = append(items, AppItem{Action: AppKept, Name: s.Name, Source: m.File,
			Reason: "its service is gone from the source; applications are never deleted (delete it in Spinnaker, which also deletes its pipelines)"})
	}
	sort.SliceStable(items, func(i, j int) bool { return items[i].Name < items[j].Name })
	var c AppCounts
	for _, it := range items {
		switch it.Action {
		case AppCreate:
			c.Create++
		case AppUpdate, AppAdopt:
			c.Update++
		case AppConflict:
			c.Conflict++
		case AppKept:
			c.Kept++
		default:
			c.Unchanged++
		}
	}
	return items, c
}

func planApp(d *DesiredApp, s *StoredApp, opt AppOptions) AppItem {
	it := AppItem{Name: d.Name, Source: d.Source}
	exists := s != nil && s.Doc != nil
	if s != nil {
		it.ETag, it.PermETag, it.PermExists = s.ETag, s.PermETag, s.Perm != nil
	}
	if !d.Declared {
		if exists {
			it.Action = AppUnchanged
			return it
		}
		it.Action, it.Minimal = AppCreate, true
		doc := maps.Clone(d.Minimal)
		doc[AppFieldName] = strings.ToUpper(d.Name)
		doc[pipeline.MarkerKey] = AppMarker{Service: d.Name, File: d.Source}.value()
		it.Desired = doc
		it.Changes = addedChanges(d.Minimal)
		return it
	}

	marker := AppMarker{Service: d.Name, File: d.Source, Permissions: d.Permissions != nil}
	marker.Managed = slices.Sorted(maps.Keys(d.Attributes))
	var cur map[string]any
	var prev AppMarker
	owned := false
	if exists {
		cur = s.Doc
		prev, owned = AppMarkerOf(s.Doc)
		owned = owned && prev.Service == d.Name
	}

	// The attributes compared: those declared now and those pipegen set before (removed now).
	keys := map[string]bool{}
	for k := range d.Attributes {
		keys[k] = true
	}
	if owned {
		for _, k := range prev.Managed {
			keys[k] = true
		}
	}
	from, to := map[string]any{}, map[string]any{}
	for k := range keys {
		if v, ok := cur[k]; ok && v != nil {
			from[k] = Comparable(k, v)
		}
		if v, ok := d.Attributes[k]; ok {
			to[k] = Comparable(k, v)
		}
	}
	changes, err := diff.Compare(from, to)
	if err != nil {
		changes = []diff.Change{{Kind: diff.Changed, Path: "(attributes)", From: fmt.Sprint(from), To: fmt.Sprint(to)}}
	}
	it.Changes = changes

	// The permission object.
	if d.Permissions != nil {
		var curPerm map[string][]string
		if s != nil && s.Perm != nil {
			curPerm = PermissionsOf(s.Perm)
		}
		if s == nil || s.Perm == nil || !samePermissions(curPerm, d.Permissions) {
			it.Permissions = comparePermissions(curPerm, d.Permissions)
			it.DesiredPerm = permissionDoc(d.Name, d.Permissions, s)
		}
	}

	doc := map[string]any{}
	if exists {
		maps.Copy(doc, s.Doc)
		for k := range keys {
			if _, declared := d.Attributes[k]; !declared {
				delete(doc, k)
			}
		}
	}
	maps.Copy(doc, d.Attributes)
	doc[AppFieldName] = strings.ToUpper(d.Name)
	doc[pipeline.MarkerKey] = marker.value()
	it.Desired = doc

	switch {
	case !exists:
		it.Action = AppCreate
	case !owned && !opt.Adopt:
		it.Action = AppConflict
		it.Reason = "this application exists and was not made by pipegen; the service declares it, so sync --adopt takes it over (the attributes and permissions below change)"
		it.Desired, it.DesiredPerm = nil, nil
	case !owned:
		it.Action = AppAdopt
		it.Reason = "made in the UI; taken over: pipegen manages the attributes the service declares, the others stay as they are"
	case len(it.Changes) > 0 || it.DesiredPerm != nil || !slices.Equal(prev.Managed, marker.Managed) || prev.Permissions != marker.Permissions:
		it.Action = AppUpdate
	default:
		it.Action = AppUnchanged
		it.Desired = nil
	}
	return it
}

// Comparable puts a value in the form a reviewer compares: cloudProviders as a list, however
// it is stored (Front50 writes it comma-joined).
func Comparable(key string, v any) any {
	if key == AppFieldCloudProviders {
		if s, ok := v.(string); ok {
			out := []any{}
			for _, p := range strings.Split(s, ",") {
				if p = strings.TrimSpace(p); p != "" {
					out = append(out, p)
				}
			}
			return out
		}
	}
	return v
}

func addedChanges(m map[string]any) []diff.Change {
	var out []diff.Change
	for _, k := range slices.Sorted(maps.Keys(m)) {
		out = append(out, diff.Change{Kind: diff.Added, Path: k, To: Comparable(k, m[k])})
	}
	return out
}

// PermissionsOf reads a stored permission object's groups as Fiat does: trimmed, lower-case,
// sets; empty lists dropped. Unknown authorizations are kept so they show as removed.
func PermissionsOf(doc map[string]any) map[string][]string {
	out := map[string][]string{}
	raw, _ := doc["permissions"].(map[string]any)
	for k, v := range raw {
		l, _ := v.([]any)
		set := map[string]bool{}
		for _, g := range l {
			if s, ok := g.(string); ok && strings.TrimSpace(s) != "" {
				set[strings.ToLower(strings.TrimSpace(s))] = true
			}
		}
		if len(set) > 0 {
			out[k] = slices.Sorted(maps.Keys(set))
		}
	}
	return out
}

func samePermissions(a, b map[string][]string) bool {
	return maps.EqualFunc(a, b, func(x, y []string) bool { return slices.Equal(x, y) })
}

func comparePermissions(from, to map[string][]string) *PermissionChange {
	pc := &PermissionChange{From: from, To: to, FromUnrestricted: len(from) == 0, ToUnrestricted: len(to) == 0}
	if pc.From == nil {
		pc.From = map[string][]string{}
	}
	has := func(m map[string][]string, kind, g string) bool { return slices.Contains(m[kind], g) }
	for _, kind := range []string{"READ", "WRITE", "EXECUTE", "CREATE"} {
		for _, g := range to[kind] {
			if !has(from, kind, g) {
				pc.Gains = append(pc.Gains, Grant{Group: g, Access: kind})
			}
		}
		for _, g := range from[kind] {
			if !has(to, kind, g) {
				pc.Loses = append(pc.Loses, Grant{Group: g, Access: kind})
			}
		}
	}
	return pc
}

func permissionDoc(name string, perms map[string][]string, s *StoredApp) map[string]any {
	p := map[string]any{}
	for k, groups := range perms {
		l := make([]any, len(groups))
		for i, g := range groups {
			l[i] = g
		}
		p[k] = l
	}
	permName := name
	if s != nil && s.Perm != nil {
		// Keep the name as stored when it names this application (Front50 writes it lower-case
		// through the API; Fiat compares it without case).
		if n, ok := s.Perm["name"].(string); ok && strings.EqualFold(n, name) {
			permName = n
		}
	}
	return map[string]any{"name": permName, "permissions": p}
}
