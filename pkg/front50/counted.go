package front50

import (
	"context"
	"sync/atomic"
	"time"
)

// Stats counts store calls by kind, for a -v summary. LastModified counts as
// a Get and SetLastModified as a Put; the App fields count the calls of the
// applications group the same way. The fields are updated atomically; read
// them once the calls are done, or with atomic.LoadInt64 while they run.
type Stats struct {
	List, Get, Put, Delete  int64
	AppList, AppGet, AppPut int64
}

// Counted wraps s so that every call is counted in the returned Stats.
func Counted(s Store) (Store, *Stats) {
	st := &Stats{}
	c := &counted{s: s, st: st}
	if as, err := AppStoreOf(s); err == nil {
		return &countedApps{counted: c, as: as}, st
	}
	return c, st
}

type counted struct {
	s  Store
	st *Stats
}

func (c *counted) List(ctx context.Context) ([]Info, error) {
	atomic.AddInt64(&c.st.List, 1)
	return c.s.List(ctx)
}

func (c *counted) Get(ctx context.Context, id string) (*Object, error) {
	atomic.AddInt64(&c.st.Get, 1)
	return c.s.Get(ctx, id)
}

func (c *counted) Put(ctx context.Context, id string, body []byte, opt PutOptions) (string, error) {
	atomic.AddInt64(&c.st.Put, 1)
	return c.s.Put(ctx, id, body, opt)
}

func (c *counted) Delete(ctx context.Context, id string, ifMatch string) error {
	atomic.AddInt64(&c.st.Delete, 1)
	return c.s.Delete(ctx, id, ifMatch)
}

func (c *counted) LastModified(ctx context.Context) (int64, error) {
	atomic.AddInt64(&c.st.Get, 1)
	return c.s.LastModified(ctx)
}

func (c *counted) SetLastModified(ctx context.Context, ms int64) error {
	atomic.AddInt64(&c.st.Put, 1)
	return c.s.SetLastModified(ctx, ms)
}

func (c *counted) ReadLastModified(ctx context.Context) (int64, string, time.Time, error) {
	atomic.AddInt64(&c.st.Get, 1)
	return c.s.ReadLastModified(ctx)
}

func (c *counted) WriteLastModified(ctx context.Context, ms int64, ifETag string) error {
	atomic.AddInt64(&c.st.Put, 1)
	return c.s.WriteLastModified(ctx, ms, ifETag)
}

func (c *counted) Location() string { return c.s.Location() }

// Unwrap returns the counted store, so that LockerOf finds its lock.
func (c *counted) Unwrap() Store { return c.s }

// countedApps is counted for a store that holds applications.
type countedApps struct {
	*counted
	as AppStore
}

func (c *countedApps) ListApplications(ctx context.Context) ([]AppInfo, error) {
	atomic.AddInt64(&c.st.AppList, 1)
	return c.as.ListApplications(ctx)
}

func (c *countedApps) GetApp(ctx context.Context, kind AppKind, name string) (*Object, error) {
	atomic.AddInt64(&c.st.AppGet, 1)
	return c.as.GetApp(ctx, kind, name)
}

func (c *countedApps) PutApp(ctx context.Context, kind AppKind, name string, body []byte, opt PutOptions) (string, error) {
	atomic.AddInt64(&c.st.AppPut, 1)
	return c.as.PutApp(ctx, kind, name, body, opt)
}

func (c *countedApps) ReadAppsLastModified(ctx context.Context) (int64, string, time.Time, error) {
	atomic.AddInt64(&c.st.AppGet, 1)
	return c.as.ReadAppsLastModified(ctx)
}

func (c *countedApps) WriteAppsLastModified(ctx context.Context, ms int64, ifETag string) error {
	atomic.AddInt64(&c.st.AppPut, 1)
	return c.as.WriteAppsLastModified(ctx, ms, ifETag)
}
