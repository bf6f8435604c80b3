// Package cache keeps what pipegen read or computed on the previous run, so that the next run
// can skip the work when nothing changed: store objects (no GET when the listing shows the
// object is still the one cached) and decoded renders (no YAML parse when the rendered text is
// the same).
//
// Entries live in pack files, one per kind of entry (and per store for objects), where a file
// per entry cost a file creation per pipeline (measured: ~0.4 ms of system time each on this
// project's benchmark machine). A pack is read through once when first needed, to index it, and
// its entries are read again one at a time when asked for; what is put is appended to a
// temporary file beside it, which Save completes with the entries kept and renames over the
// pack. Memory holds the index only, whatever the entries weigh (pack.go). Each entry carries a
// CRC-32C of its content, checked when the pack is indexed and again when the entry is read; a
// damaged entry is a miss and ends the indexing of that pack, never a wrong answer. A reader
// never sees half a pack, even with several pipegen processes at once (the last one to save
// wins, which for a cache is fine). Every failure to read or write is a miss: the cache can only
// make a run faster, never make it fail.
package cache

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"sync"
)

// Dir is a cache folder. A nil *Dir is a disabled cache: its packs are nil, and a nil *Pack
// misses every Get and ignores every Put.
type Dir struct {
	path string

	mu    sync.Mutex
	packs map[string]*Pack
}

// Open returns the cache in folder path ("" for none). Nothing is read or created yet.
func Open(path string) *Dir {
	if path == "" {
		return nil
	}
	return &Dir{path: path, packs: map[string]*Pack{}}
}

// Path is the cache folder ("" when disabled).
func (d *Dir) Path() string {
	if d == nil {
		return ""
	}
	return d.path
}

// pack returns the pack named name, loading it on first use.
func (d *Dir) pack(name string) *Pack {
	if d == nil {
		return nil
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	p := d.packs[name]
	if p == nil {
		if len(d.packs) == 0 {
			// Once per run: the spools of runs that ended without saving (an error, a kill).
			removeStaleSpools(d.path)
		}
		p = loadPack(filepath.Join(d.path, name))
		d.packs[name] = p
	}
	return p
}

// Save writes every pack that changed. The error is for diagnostics; callers may ignore it.
func (d *Dir) Save() error {
	if d == nil {
		return nil
	}
	d.mu.Lock()
	packs := make([]*Pack, 0, len(d.packs))
	for _, p := range d.packs {
		packs = append(packs, p)
	}
	d.mu.Unlock()
	var errs []error
	for _, p := range packs {
		errs = append(errs, p.save())
	}
	return errors.Join(errs...)
}

// ExecutableID identifies the running program's build (path, size and modification time of
// its executable), for entries whose content depends on pipegen's code rather than only on
// its input: a rebuilt pipegen never uses what an older build computed. "" when unknown, in
// which case such entries should not be used.
func ExecutableID() string {
	exe, err := os.Executable()
	if err != nil {
		return ""
	}
	st, err := os.Stat(exe)
	if err != nil {
		return ""
	}
	sum := sha256.Sum256(fmt.Appendf(nil, "%s\x00%d\x00%d", exe, st.Size(), st.ModTime().UnixNano()))
	return hex.EncodeToString(sum[:16])
}

// BuildID identifies the code of the running pipegen for entries that other runs, on this
// machine or another, must believe only if the same code made them (the summaries, shared
// through the store: shared.go). With a VCS revision of an unmodified checkout, or a module
// version, it is a digest of the build information Go records (module and dependency versions,
// toolchain, build flags, revision). Otherwise (GOFLAGS=-buildvcs=false, a modified checkout)
// it is a digest of the executable itself: exactly this binary. "" when neither can be had.
func BuildID() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		if id, ok := pinnedBuildID(bi); ok {
			return id
		}
	}
	return executableDigest()
}

// pinnedBuildID is the digest of bi when bi pins the code.
func pinnedBuildID(bi *debug.BuildInfo) (string, bool) {
	settings := map[string]string{}
	for _, s := range bi.Settings {
		settings[s.Key] = s.Value
	}
	pinned := settings["vcs.revision"] != "" && settings["vcs.modified"] == "false" ||
		settings["vcs.revision"] == "" && bi.Main.Version != "" && bi.Main.Version != "(devel)"
	for _, d := range bi.Deps {
		// A dependency without a sum is a local copy (a replace by path, a go.work): its code
		// can change while the revision does not.
		if d.Sum == "" && (d.Replace == nil || d.Replace.Sum == "") {
			pinned = false
		}
	}
	if !pinned {
		return "", false
	}
	sum := sha256.Sum256([]byte(bi.String()))
	return "build " + hex.EncodeToString(sum[:16]), true
}

// executableDigest is the SHA-256 of the running executable's content ("" when it cannot be
// read): about 20 ms for pipegen's 30 MB. On Linux /proc/self/exe is the file the process runs
// even when its path has been given to a new build since; elsewhere the path is hashed, and
// the digest is refused if the file changed while it was read.
func executableDigest() string {
	if f, err := os.Open("/proc/self/exe"); err == nil {
		defer f.Close()
		return digestOf(f)
	}
	exe, err := os.Executable()
	if err != nil {
		return ""
	}
	before, err := os.Stat(exe)
	if err != nil {
		return ""
	}
	f, err := os.Open(exe)
	if err != nil {
		return ""
	}
	defer f.Close()
	d := digestOf(f)
	if after, err := os.Stat(exe); err != nil || !after.ModTime().Equal(before.ModTime()) || after.Size() != before.Size() {
		return ""
	}
	return d
}

// digestOf is the identity of the executable read from f.
func digestOf(f *os.File) string {
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return ""
	}
	return "exe " + hex.EncodeToString(h.Sum(nil)[:16])
}

// packName makes a file name for a pack from a kind and a scope (e.g. a store location).
func packName(kind, scope string) string {
	if scope == "" {
		return kind + ".pack"
	}
	sum := sha256.Sum256([]byte(scope))
	return kind + "-" + hex.EncodeToString(sum[:8]) + ".pack"
}
