package front50

import (
	"context"
	"errors"
	"fmt"
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
	// ListApplications returns one Info per folder that holds an application-metadata.json, ID
	// being the folder name (the application name lower-cased).
	ListApplications(ctx context.Context) ([]Info, error)
	// GetApp returns one object of an application's folder; ErrNotFound when absent.
	GetApp(ctx context.Context, kind AppKind, name string) (*Object, error)
	// PutApp validates body against Front50's model of kind, then writes it, conditionally as opt says.
	PutApp(ctx context.Context, kind AppKind, name string, body []byte, opt PutOptions) (string, error)
	// ReadAppsLastModified and WriteAppsLastModified are ReadLastModified and
	// WriteLastModified of the applications group's last-modified.json.
	ReadAppsLastModified(ctx context.Context) (int64, string, time.Time, error)
	WriteAppsLastModified(ctx context.Context, ms int64, ifETag string) error
}

// ErrNoApplications: the store cannot hold applications.
var ErrNoApplications = errors.New("this store does not support applications")

// AppStoreOf returns the applications side of s, looking through wrappers.
func AppStoreOf(s Store) (AppStore, error) {
	for s != nil {
		if a, ok := s.(AppStore); ok {
			return a, nil
		}
		u, ok := s.(Unwrapper)
		if !ok {
			break
		}
		s = u.Unwrap()
	}
	return nil, fmt.Errorf("%w (%T)", ErrNoApplications, s)
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
