package cache

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"strings"
	"sync"
	"time"

	"github.com/pipegen/pipegen/pkg/front50"
)

// Store wraps a front50.Store so that reading an object the listing shows unchanged since it
// was cached costs no request.
//
// An object is served from the cache only when this Store has listed it and the entry matches
// the listing: same ETag and size, and then either the body's MD5 is the listed ETag (S3's ETag
// of a plain single-part upload: the body is provably the listed content), or, for entries
// whose ETag was not the body's MD5 (SSE-KMS objects, other servers), the entry's LastModified
// is the listed one (to the second: a GET's Last-Modified header has no milliseconds). Anything
// else is a GET, whose answer is cached. Objects this Store writes are cached when the server's
// ETag is the MD5 of what was written. Without a listing (a Get before any List, or of an id
// the listing did not show) every Get goes to the store. The objects of a store's applications
// group are cached by the same rules (apps.go).
type Store struct {
	front50.Store
	objects   objectPack
	summaries *summaryPack // nil unless made by WrapStoreWith with a Summarizer

	mu     sync.RWMutex
	listed map[string]front50.Info // by lower-case id, from the last List
}

// WrapStore returns s with the object cache in d in front; with a nil d it returns s. When s
// holds applications, so does the result, cached too.
func WrapStore(s front50.Store, d *Dir) front50.Store {
	return WrapStoreWith(s, d, nil)
}

// WrapStoreWith is WrapStore that also keeps the summaries sz makes of pipelines: the result
// is then a front50.SummaryCache for LoadWith, which also summarises every object it writes.
// When the store keeps a shared copy of them (front50.SummaryStore), the summaries start from
// it whenever this cache has none for the store (see shared.go).
func WrapStoreWith(s front50.Store, d *Dir, sz *Summarizer) front50.Store {
	if d == nil {
		return s
	}
	cs := &Store{Store: s, objects: objectPack{d.pack(packName("objects", s.Location()))}}
	if sz != nil && sz.Summarize != nil {
		go sz.format() // the build's identity may take reading the executable: meanwhile, the listing
		cs.summaries = &summaryPack{sh: newSharedSummaries(d, packName("summaries", s.Location()), s, sz), sz: sz}
	}
	if as, err := front50.AppStoreOf(s); err == nil {
		return newAppsStore(cs, as, d)
	}
	return cs
}

// Unwrap returns the cached store, so that front50.LockerOf finds its lock.
func (s *Store) Unwrap() front50.Store { return s.Store }

// List lists the store and remembers what it showed.
func (s *Store) List(ctx context.Context) ([]front50.Info, error) {
	var seeded <-chan *Pack
	if s.summaries != nil {
		seeded = s.summaries.sh.seed(ctx) // at once with the listing: both are requests
	}
	infos, err := s.Store.List(ctx)
	if seeded != nil {
		<-seeded
	}
	if err != nil {
		return nil, err
	}
	listed := make(map[string]front50.Info, len(infos))
	for _, in := range infos {
		listed[strings.ToLower(in.ID)] = in
	}
	s.mu.Lock()
	s.listed = listed
	s.mu.Unlock()
	// Objects gone from the store leave the cache when it is saved.
	s.objects.pack.Retain(func(id string) bool { _, ok := listed[id]; return ok })
	if s.summaries != nil {
		s.summaries.sh.loaded().Retain(func(id string) bool { _, ok := listed[id]; return ok })
	}
	return infos, nil
}

// Summary serves the summary of the object version the listing shows as info
// (front50.SummaryCache). Summaries are only known after a List.
func (s *Store) Summary(info front50.Info) (map[string]any, []byte, bool) {
	if s.summaries == nil {
		return nil, nil, false
	}
	return s.summaries.summary(strings.ToLower(info.ID), info)
}

// RememberSummary records what LoadWith's Summarize made of obj (front50.SummaryCache).
func (s *Store) RememberSummary(obj *front50.Object, sum map[string]any, digest []byte) {
	if s.summaries == nil {
		return
	}
	s.summaries.remember(strings.ToLower(obj.ID), obj.Info, obj.Body, sum, digest)
}

// Get serves a listed object from the cache when the entry is provably the listed version.
func (s *Store) Get(ctx context.Context, id string) (*front50.Object, error) {
	key := strings.ToLower(id)
	s.mu.RLock()
	in, listed := s.listed[key]
	s.mu.RUnlock()
	if listed {
		if obj, ok := s.objects.hit(key, in); ok {
			return obj, nil
		}
	}
	obj, err := s.Store.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	s.objects.remember(key, obj.Info, obj.Body)
	return obj, nil
}

// PublishSummaries gives the store the summaries as this cache has saved them, so that a
// cache elsewhere can start from them (shared.go). It does nothing without summaries, for a
// store that keeps none, or when the store has them already. Save the cache first.
func (s *Store) PublishSummaries(ctx context.Context) error {
	if s.summaries == nil {
		return nil
	}
	return s.summaries.sh.publish(ctx)
}

// SharedSummariesErr is why the store's copy of the summaries could not be read, if it could
// not: the run is only slower for it.
func (s *Store) SharedSummariesErr() error {
	if s.summaries == nil {
		return nil
	}
	return s.summaries.sh.err
}

// Put writes through and caches the body when the ETag proves what the server stored.
func (s *Store) Put(ctx context.Context, id string, body []byte, opt front50.PutOptions) (string, error) {
	var doc map[string]any
	if s.summaries != nil {
		// The store decodes the body to validate it: summarise that, rather than decode twice.
		outer := opt.Validated
		opt.Validated = func(d map[string]any) {
			doc = d
			if outer != nil {
				outer(d)
			}
		}
	}
	etag, err := s.Store.Put(ctx, id, body, opt)
	if err != nil {
		return "", err
	}
	key := strings.ToLower(id)
	if meta, ok := s.objects.written(key, etag, body); ok && s.summaries != nil {
		s.summaries.written(ctx, key, meta, body, doc)
	}
	return etag, nil
}

// objectPack holds store objects, each under a key with what the store said about it when it
// was cached, and serves one only as the version a listing shows (see Store).
type objectPack struct{ pack *Pack }

// entryMeta is the validator of an object entry: what the store said about the body cached.
type entryMeta struct {
	ETag         string `json:"etag"`
	LastModified int64  `json:"lastModified,omitempty"` // unix seconds; 0 when unknown (written by us)
	Size         int64  `json:"size"`
	// MD5 is set when the ETag was the body's MD5 when cached: the entry is then only ever
	// valid with a body whose MD5 is the listed ETag, whatever the time says.
	MD5 bool `json:"md5,omitempty"`
}

// valid reports whether an entry made with m is for the version a listing shows as in: the
// same ETag and size, and either the ETag was the body's MD5 or the listed time is the entry's.
func (m entryMeta) valid(in front50.Info) bool {
	if in.ETag == "" {
		return false // a listing without ETags proves nothing
	}
	if !front50.SameETag(m.ETag, in.ETag) || m.Size != in.Size {
		return false
	}
	return m.MD5 || m.LastModified != 0 && m.LastModified == in.LastModified.Unix()
}

// newEntryMeta is the validator of an entry made from body, read as in; false when no
// listing could ever validate it.
func newEntryMeta(in front50.Info, body []byte) (entryMeta, bool) {
	meta := entryMeta{ETag: in.ETag, Size: int64(len(body)), MD5: isMD5Of(in.ETag, body)}
	if !in.LastModified.IsZero() {
		meta.LastModified = in.LastModified.Unix()
	}
	return meta, meta.ETag != "" && (meta.LastModified != 0 || meta.MD5)
}

// hit returns the entry under key when it holds the version the listing shows as in. The
// object's ID is key.
func (o objectPack) hit(key string, in front50.Info) (*front50.Object, bool) {
	validator, body, ok := o.pack.Get(key)
	if !ok {
		return nil, false
	}
	var meta entryMeta
	if err := json.Unmarshal(validator, &meta); err != nil {
		return nil, false
	}
	if !meta.valid(in) || int64(len(body)) != in.Size || meta.MD5 && !isMD5Of(in.ETag, body) {
		return nil, false
	}
	info := in
	info.ID = key
	info.ETag = meta.ETag
	if meta.LastModified != 0 {
		info.LastModified = time.Unix(meta.LastModified, 0).UTC()
	}
	return &front50.Object{Info: info, Body: body}, true // read afresh: the caller's to keep
}

// remember caches what a GET answered.
func (o objectPack) remember(key string, in front50.Info, body []byte) {
	if meta, ok := newEntryMeta(in, body); ok {
		o.put(key, meta, body)
	}
}

// put caches body under the validator meta.
func (o objectPack) put(key string, meta entryMeta, body []byte) {
	validator, err := json.Marshal(meta)
	if err != nil {
		return
	}
	o.pack.Put(key, validator, body)
}

// written caches what a write stored, when the ETag proves it (the body's MD5), and returns
// the validator it was cached under.
func (o objectPack) written(key, etag string, body []byte) (entryMeta, bool) {
	if !isMD5Of(etag, body) {
		return entryMeta{}, false
	}
	meta := entryMeta{ETag: etag, Size: int64(len(body)), MD5: true}
	o.put(key, meta, body)
	return meta, true
}

// isMD5Of reports whether etag is the quoted or bare hex MD5 of body.
func isMD5Of(etag string, body []byte) bool {
	e := front50.BareETag(etag)
	if len(e) != 2*md5.Size {
		return false
	}
	sum := md5.Sum(body)
	return strings.EqualFold(e, hex.EncodeToString(sum[:]))
}
