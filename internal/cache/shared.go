package cache

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/pipegen/pipegen/pkg/front50"
)

// A CI runner starts with an empty cache, so its diff would read and decode every pipeline the
// last sync wrote. The summaries pack is therefore also kept in the store
// (front50.SummaryStore): sync writes it there after it has saved its own, and a cache without
// summaries for a store starts from that copy. Nothing in it is believed on its word: each
// entry is used only when the listing shows the very version it was made from (the same
// validators as a local entry), by the same Summarizer.Format, and a damaged copy is a pack
// whose damaged records are misses (pack.go). An old, foreign or missing copy only makes the
// run read more, and failing to read or write it never fails a command.

// errNotAPack: the store's copy is not a pack, so a new one loses nothing.
var errNotAPack = errors.New("not a summaries pack")

// maxShared bounds the shared copy read: a store's summaries weigh ~460 bytes per pipeline.
const maxShared = 256 << 20

// fetchTimeout bounds the wait for the shared copy: without it a diff is only slower.
const fetchTimeout = 30 * time.Second

// sharedSummaries is the summaries pack of one store, loaded once: from this cache's folder,
// or, when the folder has none and the summaries are shared, from the store's copy.
type sharedSummaries struct {
	dir   *Dir
	name  string
	store front50.Store
	sz    *Summarizer // its format says whether there are summaries to exchange

	once sync.Once
	pack *Pack
	// err is why the store's copy could not be read, for a warning: nil when it was read, was
	// not needed, or is not shared; ErrNotFound when the store has none.
	err error
}

func newSharedSummaries(d *Dir, name string, s front50.Store, sz *Summarizer) *sharedSummaries {
	return &sharedSummaries{dir: d, name: name, store: s, sz: sz}
}

// loaded is the pack as seed left it, or, before any seed, as this cache's folder has it.
func (sh *sharedSummaries) loaded() *Pack {
	sh.once.Do(func() { sh.pack = sh.dir.pack(sh.name) })
	return sh.pack
}

// load loads the pack, from the store's copy when this cache's folder has none.
func (sh *sharedSummaries) load(ctx context.Context) *Pack {
	sh.once.Do(func() {
		if sh.sz.format() != "" {
			sh.err = sh.fetch(ctx)
		}
		sh.pack = sh.dir.pack(sh.name)
	})
	return sh.pack
}

// seed is load in the background, for a caller with a request of its own to make meanwhile.
func (sh *sharedSummaries) seed(ctx context.Context) <-chan *Pack {
	out := make(chan *Pack, 1)
	go func() { out <- sh.load(ctx) }()
	return out
}

// fetch puts the store's copy in the cache's folder when the folder has no pack of that name.
func (sh *sharedSummaries) fetch(ctx context.Context) error {
	path := filepath.Join(sh.dir.path, sh.name)
	if _, err := os.Stat(path); err == nil {
		return nil
	}
	ss, ok := front50.SummaryStoreOf(sh.store)
	if !ok {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, fetchTimeout)
	defer cancel()
	body, err := ss.ReadSummaries(ctx, maxShared)
	switch {
	case err != nil:
		return err
	case !bytes.HasPrefix(body, magic):
		return fmt.Errorf("%s: %w", ss.SummariesLocation(), errNotAPack)
	}
	if err := writeFileAtomic(path, body); err != nil {
		return fmt.Errorf("cache: keep %s: %w", ss.SummariesLocation(), err)
	}
	if err := sh.recordShared(body); err != nil {
		return fmt.Errorf("cache: keep %s: %w", ss.SummariesLocation(), err)
	}
	return nil
}

// publish writes the pack as this cache's folder has it to the store, unless it is what the
// store was last given or gave from here. The pack must be saved first.
func (sh *sharedSummaries) publish(ctx context.Context) error {
	ss, ok := front50.SummaryStoreOf(sh.store)
	if !ok || sh.sz.format() == "" {
		return nil
	}
	// A cache that could not start from the store's copy holds only what this run saw: it
	// would replace a fuller copy. Absent or unusable, there is nothing to lose.
	if err := sh.err; err != nil && !errors.Is(err, front50.ErrNotFound) && !errors.Is(err, errNotAPack) {
		return fmt.Errorf("not written, because the copy in the store could not be read first: %w", err)
	}
	body, err := os.ReadFile(filepath.Join(sh.dir.path, sh.name))
	if err != nil {
		if os.IsNotExist(err) {
			return nil // nothing learnt
		}
		return err
	}
	if last, err := os.ReadFile(sh.sharedPath()); err == nil && string(last) == md5Hex(body) {
		return nil
	}
	if err := ss.WriteSummaries(ctx, body); err != nil {
		return err
	}
	return sh.recordShared(body)
}

// sharedPath holds the MD5 of the pack last exchanged with the store, so that a sync that
// learnt nothing writes nothing.
func (sh *sharedSummaries) sharedPath() string {
	return filepath.Join(sh.dir.path, sh.name+".shared")
}

func (sh *sharedSummaries) recordShared(body []byte) error {
	return writeFileAtomic(sh.sharedPath(), []byte(md5Hex(body)))
}

func md5Hex(b []byte) string {
	sum := md5.Sum(b)
	return hex.EncodeToString(sum[:])
}

// writeFileAtomic writes a file whole or not at all, as a pack is saved; the temporary file is
// named as a spool, so that one left by a killed process is removed like its spools.
func writeFileAtomic(path string, body []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(path), spoolPrefix+strconv.Itoa(os.Getpid())+"-*")
	if err != nil {
		return err
	}
	_, err = f.Write(body)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		os.Remove(f.Name())
	}
	return err
}
