package cache

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/pipegen/pipegen/pkg/front50"
)

// appsStore is a cached Store whose applications group is cached by the same rules as its
// pipelines (see Store): an application or permission object is served from the cache only
// when this store's last ListApplications showed it, with the ETag, size and (MD5 or
// LastModified) of the entry. The entries live in their own pack, keyed by folder and file
// ("shop/application-metadata.json"), so that listing one group never drops the other's.
type appsStore struct {
	*Store
	apps       front50.AppStore
	appObjects objectPack

	appMu     sync.RWMutex
	appListed map[string]front50.Info // by appKey, from the last ListApplications
}

var _ front50.AppStore = (*appsStore)(nil)

func newAppsStore(cs *Store, as front50.AppStore, d *Dir) *appsStore {
	return &appsStore{Store: cs, apps: as, appObjects: objectPack{d.pack(packName("applications", cs.Location()))}}
}

// appKey is the cache key of one object of a folder, as listed.
func appKey(folder string, kind front50.AppKind) string { return folder + "/" + kind.String() }

// ListApplications lists the group and remembers what it showed.
func (s *appsStore) ListApplications(ctx context.Context) ([]front50.AppInfo, error) {
	apps, err := s.apps.ListApplications(ctx)
	if err != nil {
		return nil, err
	}
	listed := make(map[string]front50.Info, 2*len(apps))
	for _, a := range apps {
		for _, kind := range []front50.AppKind{front50.AppMetadata, front50.AppPermission} {
			if in := a.Of(kind); in != nil {
				listed[appKey(a.ID, kind)] = *in
			}
		}
	}
	s.appMu.Lock()
	s.appListed = listed
	s.appMu.Unlock()
	// Objects gone from the store leave the cache when it is saved.
	s.appObjects.pack.Retain(func(key string) bool { _, ok := listed[key]; return ok })
	return apps, nil
}

// GetApp serves a listed object from the cache when the entry is provably the listed version.
func (s *appsStore) GetApp(ctx context.Context, kind front50.AppKind, name string) (*front50.Object, error) {
	folder := strings.ToLower(name) // the folder GetApp reads
	key := appKey(folder, kind)
	s.appMu.RLock()
	in, listed := s.appListed[key]
	s.appMu.RUnlock()
	if listed {
		if obj, ok := s.appObjects.hit(key, in); ok {
			obj.ID = folder
			return obj, nil
		}
	}
	obj, err := s.apps.GetApp(ctx, kind, name)
	if err != nil {
		return nil, err
	}
	s.appObjects.remember(key, obj.Info, obj.Body)
	return obj, nil
}

// PutApp writes through and caches the body when the ETag proves what the server stored.
func (s *appsStore) PutApp(ctx context.Context, kind front50.AppKind, name string, body []byte, opt front50.PutOptions) (string, error) {
	etag, err := s.apps.PutApp(ctx, kind, name, body, opt)
	if err != nil {
		return "", err
	}
	s.appObjects.written(appKey(strings.ToLower(name), kind), etag, body)
	return etag, nil
}

// ReadAppsLastModified is not cached: it is read for a write that must see the file as it is.
func (s *appsStore) ReadAppsLastModified(ctx context.Context) (int64, string, time.Time, error) {
	return s.apps.ReadAppsLastModified(ctx)
}

func (s *appsStore) WriteAppsLastModified(ctx context.Context, ms int64, ifETag string) error {
	return s.apps.WriteAppsLastModified(ctx, ms, ifETag)
}
