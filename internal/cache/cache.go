// Package cache keeps what pipegen read or computed on the previous run, so that the next run
// can skip the work when nothing changed: store objects (no GET when the listing shows the
// object is still the one cached) and decoded renders (no YAML parse when the rendered text is
// the same).
//
// Entries live in pack files, one per kind of entry (and per store for objects), read whole
// when first needed and rewritten whole by Save when something changed: one file read and at
// most one write per run, where a file per entry cost a file creation per pipeline (measured:
// ~0.4 ms of system time each on this project's benchmark machine). Each entry carries a CRC-32C
// of its content; a damaged entry is a miss and ends the reading of that pack, never a wrong
// answer. A pack is replaced by renaming a complete temporary file over it, so a reader never
// sees half of one, even with several pipegen processes at once (the last one to save wins,
// which for a cache is fine). Every failure to read or write is a miss: the cache can only make
// a run faster, never make it fail.
package cache

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"sort"
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

// Pack is a set of entries, each a key with a validator (what the entry is valid for) and a
// payload, loaded from and saved to one file.
type Pack struct {
	path string

	mu      sync.Mutex
	entries map[string]entry
	dirty   bool
	keep    func(key string) bool // when set, Save drops entries it rejects
}

type entry struct{ validator, payload []byte }

// magic starts every pack; the digit is the file format, changed whenever the layout is.
var magic = []byte("pipegen-cache-pack 1\n")

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

func loadPack(path string) *Pack {
	p := &Pack{path: path, entries: map[string]entry{}}
	data, err := os.ReadFile(path)
	if err != nil || !bytes.HasPrefix(data, magic) {
		return p
	}
	rest := data[len(magic):]
	for len(rest) > 0 {
		key, validator, payload, n, ok := decodeEntry(rest)
		if !ok {
			break // damaged from here on: what was read is good, the rest is a miss
		}
		p.entries[string(key)] = entry{validator, payload}
		rest = rest[n:]
	}
	return p
}

// An entry is three length-prefixed fields (key, validator, payload), then the CRC-32C of
// them.
func appendEntry(b []byte, key string, e entry) []byte {
	start := len(b)
	for _, field := range [][]byte{[]byte(key), e.validator, e.payload} {
		b = binary.BigEndian.AppendUint32(b, uint32(len(field)))
		b = append(b, field...)
	}
	return binary.BigEndian.AppendUint32(b, crc32.Checksum(b[start:], castagnoli))
}

func decodeEntry(data []byte) (key, validator, payload []byte, n int, ok bool) {
	var fields [3][]byte
	off := 0
	for i := range fields {
		if len(data)-off < 4 {
			return nil, nil, nil, 0, false
		}
		l := int(binary.BigEndian.Uint32(data[off:]))
		off += 4
		if l > len(data)-off {
			return nil, nil, nil, 0, false
		}
		fields[i] = data[off : off+l : off+l]
		off += l
	}
	if len(data)-off < 4 || binary.BigEndian.Uint32(data[off:]) != crc32.Checksum(data[:off], castagnoli) {
		return nil, nil, nil, 0, false
	}
	return fields[0], fields[1], fields[2], off + 4, true
}

// Get returns the entry under key. The payload must not be modified.
func (p *Pack) Get(key string) (validator, payload []byte, ok bool) {
	if p == nil {
		return nil, nil, false
	}
	p.mu.Lock()
	e, ok := p.entries[key]
	p.mu.Unlock()
	return e.validator, e.payload, ok
}

// Put replaces the entry under key.
func (p *Pack) Put(key string, validator, payload []byte) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if e, ok := p.entries[key]; ok && bytes.Equal(e.validator, validator) && bytes.Equal(e.payload, payload) {
		return
	}
	p.entries[key] = entry{validator, payload}
	p.dirty = true
}

// Retain makes Save drop the entries keep rejects (e.g. objects no longer in the store).
func (p *Pack) Retain(keep func(key string) bool) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.keep = keep
	for k := range p.entries {
		if !keep(k) {
			p.dirty = true
			return
		}
	}
}

func (p *Pack) save() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.dirty {
		return nil
	}
	keys := make([]string, 0, len(p.entries))
	size := len(magic)
	for k, e := range p.entries {
		if p.keep != nil && !p.keep(k) {
			continue
		}
		keys = append(keys, k)
		size += 16 + len(k) + len(e.validator) + len(e.payload)
	}
	sort.Strings(keys) // same content, same file
	buf := make([]byte, 0, size)
	buf = append(buf, magic...)
	for _, k := range keys {
		buf = appendEntry(buf, k, p.entries[k])
	}
	if err := writeAtomic(p.path, buf); err != nil {
		return fmt.Errorf("cache: save %s: %w", p.path, err)
	}
	p.dirty = false
	return nil
}

func writeAtomic(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return err
	}
	_, werr := tmp.Write(data)
	if err := errors.Join(werr, tmp.Close()); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	return nil
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

// packName makes a file name for a pack from a kind and a scope (e.g. a store location).
func packName(kind, scope string) string {
	if scope == "" {
		return kind + ".pack"
	}
	sum := sha256.Sum256([]byte(scope))
	return kind + "-" + hex.EncodeToString(sum[:8]) + ".pack"
}
