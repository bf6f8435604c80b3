package front50

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync/atomic"
	"time"
)

// Applications live in their own group, one folder per application holding two objects:
//
//	<root>/applications/<name lower-cased>/application-metadata.json   (Front50's Application)
//	<root>/applications/<name lower-cased>/application-permission.json (Application.Permission)
//	<root>/applications/last-modified.json                             (shared by both)
const (
	appGroup          = "applications"
	appMetadataFile   = "application-metadata.json"
	appPermissionFile = "application-permission.json"
)

// AppKind is one of the two objects of an application's folder.
type AppKind int

const (
	AppMetadata AppKind = iota
	AppPermission
)

func (k AppKind) file() string {
	if k == AppPermission {
		return appPermissionFile
	}
	return appMetadataFile
}

func (k AppKind) String() string { return k.file() }

// AppStore reads and writes Front50's applications group. Both stores implement it; a wrapper
// (Counted, the read cache) reaches it through Unwrap.
type AppStore interface {
	// ListApplications returns what one listing of the group shows: an AppInfo per folder that
	// holds either object, sorted by ID. The file store's Infos carry no ETag (it is the MD5 of
	// the content: computing it is reading the file, which is what GetApp does).
	ListApplications(ctx context.Context) ([]AppInfo, error)
	// GetApp returns one object of an application's folder; ErrNotFound when absent.
	GetApp(ctx context.Context, kind AppKind, name string) (*Object, error)
	// PutApp validates body against Front50's model of kind, then writes it, conditionally as opt says.
	PutApp(ctx context.Context, kind AppKind, name string, body []byte, opt PutOptions) (string, error)
	// ReadAppsLastModified and WriteAppsLastModified are ReadLastModified and
	// WriteLastModified of the applications group's last-modified.json.
	ReadAppsLastModified(ctx context.Context) (int64, string, time.Time, error)
	WriteAppsLastModified(ctx context.Context, ms int64, ifETag string) error
}

// AppInfo is what a listing shows of one application's folder.
type AppInfo struct {
	ID string // the folder name: the application name lower-cased
	// Metadata and Permission describe the folder's two objects; nil when the listing shows
	// none. Their IDs are the folder's.
	Metadata, Permission *Info
}

// Of returns the Info of one of the two objects (nil when absent).
func (a AppInfo) Of(kind AppKind) *Info {
	if kind == AppPermission {
		return a.Permission
	}
	return a.Metadata
}

// appListing gathers listed objects into AppInfos, one per folder, sorted by ID.
type appListing map[string]*AppInfo

// add records the object file of folder; files other than the two of an application are
// ignored.
func (l appListing) add(folder, file string, in Info) {
	var kind AppKind
	switch file {
	case appMetadataFile:
		kind = AppMetadata
	case appPermissionFile:
		kind = AppPermission
	default:
		return
	}
	a := l[folder]
	if a == nil {
		a = &AppInfo{ID: folder}
		l[folder] = a
	}
	in.ID = folder
	if kind == AppPermission {
		a.Permission = &in
	} else {
		a.Metadata = &in
	}
}

func (l appListing) sorted() []AppInfo {
	out := make([]AppInfo, 0, len(l))
	for _, a := range l {
		out = append(out, *a)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// ErrNoApplications: the store cannot hold applications.
var ErrNoApplications = errors.New("this store does not support applications")

// AppStoreOf returns the applications side of s, looking through wrappers.
func AppStoreOf(s Store) (AppStore, error) {
	if a, ok := behind[AppStore](s); ok {
		return a, nil
	}
	if s == nil {
		return nil, ErrNoApplications
	}
	return nil, fmt.Errorf("%w (%s)", ErrNoApplications, s.Location())
}

// appWriteObserver sees every application object a store has written (see ObserveAppWrites).
var appWriteObserver atomic.Pointer[func(kind AppKind, name string, body []byte)]

// ObserveAppWrites is ObserveWrites for the objects of application folders.
func ObserveAppWrites(f func(kind AppKind, name string, body []byte)) (stop func()) {
	appWriteObserver.Store(&f)
	return func() { appWriteObserver.Store(nil) }
}

func observeAppWrite(kind AppKind, name string, body []byte) {
	if f := appWriteObserver.Load(); f != nil {
		(*f)(kind, name, body)
	}
}

// BumpAppsLastModified is BumpLastModified for applications/last-modified.json: the store's
// clock, a conditional write, never a smaller value.
func BumpAppsLastModified(ctx context.Context, s AppStore, now time.Time) (int64, error) {
	return bumpLastModified(ctx, appsLastModified{s}, now)
}

// appsLastModified gives the applications group's file the shape of lastModifiedRW.
type appsLastModified struct{ s AppStore }

func (a appsLastModified) ReadLastModified(ctx context.Context) (int64, string, time.Time, error) {
	return a.s.ReadAppsLastModified(ctx)
}

func (a appsLastModified) WriteLastModified(ctx context.Context, ms int64, ifETag string) error {
	return a.s.WriteAppsLastModified(ctx, ms, ifETag)
}

// appFolder is the folder name of an application: its name lower-cased, as Front50's key. The
// name must be usable as one path segment.
func appFolder(name string) (string, error) {
	f := strings.ToLower(name)
	if err := ValidateID(f); err != nil {
		return "", fmt.Errorf("invalid application name: %w", err)
	}
	return f, nil
}

// groupKey is Front50's buildS3Key for any group.
func (l layout) groupKey(group, key, file string) string {
	return strings.ReplaceAll(l.groupFolder(group)+"/"+strings.ToLower(key)+"/"+file, "//", "/")
}

func (l layout) groupFolder(group string) string {
	return strings.ReplaceAll(l.root+"/"+group, "//", "/")
}
