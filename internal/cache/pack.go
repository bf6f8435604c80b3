package cache

import (
	"bufio"
	"bytes"
	"cmp"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
)

// Pack is a set of entries, each a key with a validator (what the entry is valid for) and a
// payload, kept in one file. Only an index lives in memory (where each entry's record lies);
// records are read back when asked for, so a pack costs the same memory whatever its entries
// weigh. Records come from the pack as it was when opened (base) or from the spool, a
// temporary file beside it to which Put appends. Save appends the base's records still wanted
// to the spool and renames it over the pack.
type Pack struct {
	path string

	// mu is held for reading by Get for as long as it reads a record, so that Save, which
	// holds it for writing, never closes a file under a reader.
	mu    sync.RWMutex
	index map[string]loc
	base  *os.File // nil when there was no pack

	spool       *os.File // nil until the first Put that changes something
	unsaved     *spoolRef
	spoolEnd    int64
	spoolLive   int  // index entries whose record is in the spool
	garbage     bool // the spool holds a record the index no longer points at
	spoolFailed bool // no spool could be made: Put keeps records in mem instead
	mem         map[string][]byte
	memSize     int

	dirty bool
	keep  func(key string) bool // when set, Save drops entries it rejects
}

// spoolRef names the spool that nothing has saved yet, for the cleanup that removes it when
// its pack is dropped without a Save (a command that failed, in a process that goes on, such as
// pipegen serve). The cleanup must not reach the Pack, hence a separate value.
type spoolRef struct{ f atomic.Pointer[os.File] }

func removeUnsaved(r *spoolRef) {
	if f := r.f.Swap(nil); f != nil {
		discard(f)
	}
}

// loc is where an entry's record lies: n bytes at off in f, or in mem when f is nil. crc is
// the record's checksum, which tells without reading it that a Put changes the entry.
type loc struct {
	f   *os.File
	off int64
	n   uint32
	crc uint32
}

// magic starts every pack; the digit is the file format, changed whenever the layout is.
var magic = []byte("pipegen-cache-pack 1\n")

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

const (
	// maxKey and maxRecord bound what Put records and what reading a pack believes: a damaged
	// length must not make it allocate or read gigabytes.
	maxKey    = 4 << 10
	maxRecord = 1 << 30
	// maxMem bounds what Put keeps in memory when no spool can be made (a read-only folder,
	// where nothing could be saved anyway): past it, what is put is not kept.
	maxMem = 16 << 20
	// ioBuffer is the buffer for reading a pack through and for copying records.
	ioBuffer = 256 << 10
	// spoolPrefix names spools: the process id follows, for removeStaleSpools.
	spoolPrefix = ".spool-"
)

func loadPack(path string) *Pack {
	p := &Pack{path: path, index: map[string]loc{}, unsaved: &spoolRef{}}
	runtime.AddCleanup(p, removeUnsaved, p.unsaved)
	f, err := os.Open(path)
	if err != nil {
		return p
	}
	if !scan(f, func(key string, l loc) { p.index[key] = l }) {
		f.Close()
		return p
	}
	p.base = f
	return p
}

// scan reads the pack in f through once, checking every record's CRC, and gives add the key
// and place of each good one; a later record for a key replaces an earlier one. It stops at
// the first damaged record: its lengths may be wrong, so nothing after it can be found. false
// when f is not a pack.
func scan(f *os.File, add func(key string, l loc)) bool {
	r := bufio.NewReaderSize(f, ioBuffer)
	head, err := r.Peek(len(magic))
	if err != nil || !bytes.Equal(head, magic) {
		return false
	}
	off := int64(len(magic))
	r.Discard(len(magic))
	for {
		key, n, crc, ok := scanRecord(r)
		if !ok {
			return true
		}
		add(key, loc{f: f, off: off, n: n, crc: crc})
		off += int64(n)
	}
}

// scanRecord reads one record (see appendEntry) without holding its validator or payload.
func scanRecord(r *bufio.Reader) (key string, n, crc uint32, ok bool) {
	// consume feeds the next l bytes to the CRC; the key's are returned.
	consume := func(l int, keep bool) ([]byte, bool) {
		var kept []byte
		for l > 0 {
			b, err := r.Peek(min(l, r.Size()))
			if err != nil {
				return nil, false
			}
			crc = crc32.Update(crc, castagnoli, b)
			if keep {
				kept = append(kept, b...)
			}
			r.Discard(len(b))
			l -= len(b)
		}
		return kept, true
	}
	total := 4
	for field := range 3 {
		b, ok := consume(4, true)
		if !ok {
			return "", 0, 0, false
		}
		l := int(binary.BigEndian.Uint32(b))
		if total += 4 + l; total > maxRecord || field == 0 && l > maxKey {
			return "", 0, 0, false
		}
		b, ok = consume(l, field == 0)
		if !ok {
			return "", 0, 0, false
		}
		if field == 0 {
			key = string(b)
		}
	}
	b, err := r.Peek(4)
	if err != nil || binary.BigEndian.Uint32(b) != crc {
		return "", 0, 0, false
	}
	r.Discard(4)
	return key, uint32(total), crc, true
}

// An entry is three length-prefixed fields (key, validator, payload), then the CRC-32C of
// them.
func appendEntry(b []byte, key string, validator, payload []byte) []byte {
	start := len(b)
	for _, field := range [][]byte{[]byte(key), validator, payload} {
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

// read reads key's record at l into buf (grown as needed) and checks it again: the file may
// have been damaged since it was scanned. ok is false when the record cannot be read whole or
// is not a good record of key. The caller holds mu.
func (p *Pack) read(key string, l loc, buf []byte) (rec, validator, payload []byte, ok bool) {
	if l.f == nil {
		rec = append(buf[:0], p.mem[key]...)
	} else {
		rec = slices.Grow(buf[:0], int(l.n))[:l.n]
		if n, _ := l.f.ReadAt(rec, l.off); n != len(rec) {
			return nil, nil, nil, false
		}
	}
	k, validator, payload, n, ok := decodeEntry(rec)
	if !ok || n != len(rec) || string(k) != key {
		return nil, nil, nil, false
	}
	return rec, validator, payload, true
}

// Get returns the entry under key, read from its file: the caller owns what it gets.
func (p *Pack) Get(key string) (validator, payload []byte, ok bool) {
	if p == nil {
		return nil, nil, false
	}
	p.mu.RLock()
	defer p.mu.RUnlock()
	l, ok := p.index[key]
	if !ok {
		return nil, nil, false
	}
	_, validator, payload, ok = p.read(key, l, nil)
	return validator, payload, ok
}

// recordBuffers holds buffers for reading records that are used only until the reading
// call returns (Decoded decodes its payload into new values), so that reading a pack through
// does not allocate its size again.
var recordBuffers = sync.Pool{New: func() any { return new([]byte) }}

// view calls use with the entry under key, in a buffer reused once use returns. false (use not
// called) on a miss.
func (p *Pack) view(key string, use func(validator, payload []byte)) bool {
	if p == nil {
		return false
	}
	buf := recordBuffers.Get().(*[]byte)
	defer recordBuffers.Put(buf)
	p.mu.RLock()
	defer p.mu.RUnlock()
	l, ok := p.index[key]
	if !ok {
		return false
	}
	rec, validator, payload, ok := p.read(key, l, *buf)
	if !ok {
		return false
	}
	*buf = rec
	use(validator, payload)
	return true
}

// Put replaces the entry under key, appending it to the spool. An entry Put is not found
// again when it could be neither written to the spool nor, the spool failing to be made at
// all, kept in memory; either way, only a miss.
func (p *Pack) Put(key string, validator, payload []byte) {
	if p == nil || len(key) > maxKey || 16+len(key)+len(validator)+len(payload) > maxRecord {
		return
	}
	rec := appendEntry(make([]byte, 0, 16+len(key)+len(validator)+len(payload)), key, validator, payload)
	l := loc{n: uint32(len(rec)), crc: binary.BigEndian.Uint32(rec[len(rec)-4:])}
	p.mu.Lock()
	defer p.mu.Unlock()
	if old, ok := p.index[key]; ok && old.n == l.n && old.crc == l.crc {
		if same, _, _, ok := p.read(key, old, nil); ok && bytes.Equal(same, rec) {
			return
		}
	}
	p.forget(key) // even if what replaces it cannot be recorded
	if p.spool == nil && !p.spoolFailed {
		var err error
		if p.spool, p.spoolEnd, err = p.newSpool(); err != nil {
			p.spoolFailed = true
		} else {
			p.unsaved.f.Store(p.spool)
		}
	}
	switch {
	case p.spool != nil:
		if _, err := p.spool.WriteAt(rec, p.spoolEnd); err != nil {
			return // what failed to be written is past spoolEnd: overwritten or cut off
		}
		l.f, l.off = p.spool, p.spoolEnd
		p.spoolEnd += int64(len(rec))
		p.spoolLive++
	case p.memSize+len(rec) <= maxMem:
		if p.mem == nil {
			p.mem = map[string][]byte{}
		}
		p.mem[key] = rec
		p.memSize += len(rec)
	default:
		return
	}
	p.index[key] = l
	p.dirty = true
}

// forget removes the entry under key. The caller holds mu.
func (p *Pack) forget(key string) {
	old, ok := p.index[key]
	if !ok {
		return
	}
	delete(p.index, key)
	switch {
	case old.f == nil:
		delete(p.mem, key)
		p.memSize -= int(old.n)
	case old.f == p.spool:
		p.spoolLive--
		p.garbage = true
	}
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
	for k := range p.index {
		if !keep(k) {
			p.dirty = true
			return
		}
	}
}

// newSpool makes a temporary file beside the pack, named after this process so that a later
// run removes it if this one ends without saving.
func (p *Pack) newSpool() (*os.File, int64, error) {
	dir := filepath.Dir(p.path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, 0, err
	}
	f, err := os.CreateTemp(dir, spoolPrefix+strconv.Itoa(os.Getpid())+"-*")
	if err != nil {
		return nil, 0, err
	}
	if _, err := f.Write(magic); err != nil {
		discard(f)
		return nil, 0, err
	}
	return f, int64(len(magic)), nil
}

// removeStaleSpools removes the spools of processes that ended without saving them.
func removeStaleSpools(dir string) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		rest, ok := strings.CutPrefix(e.Name(), spoolPrefix)
		if !ok {
			continue
		}
		pidText, _, _ := strings.Cut(rest, "-")
		if pid, err := strconv.Atoi(pidText); err == nil && pid != os.Getpid() && processGone(pid) {
			os.Remove(filepath.Join(dir, e.Name()))
		}
	}
}

func discard(f *os.File) {
	f.Close()
	os.Remove(f.Name())
}

func (p *Pack) save() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.dirty {
		return nil
	}
	if err := p.write(); err != nil {
		return fmt.Errorf("cache: save %s: %w", p.path, err)
	}
	p.dirty = false
	return nil
}

// write renames over the pack a file holding exactly the entries wanted: the spool with the
// other wanted records appended when every record in it is wanted, else a new file with
// every wanted record. The pack then reads from that file. The caller holds mu.
func (p *Pack) write() error {
	type move struct {
		key string
		l   loc
	}
	var moves []move
	inSpool := 0
	for k, l := range p.index {
		if p.keep != nil && !p.keep(k) {
			continue
		}
		if l.f != nil && l.f == p.spool {
			inSpool++
			continue
		}
		moves = append(moves, move{k, l})
	}
	dst, start := p.spool, p.spoolEnd
	if dst == nil || p.garbage || inSpool != p.spoolLive {
		var err error
		if dst, start, err = p.newSpool(); err != nil {
			return err
		}
		for k, l := range p.index {
			if l.f != nil && l.f == p.spool && (p.keep == nil || p.keep(k)) {
				moves = append(moves, move{k, l})
			}
		}
	}
	// Copied in file order, the spool's first: each file is read through once.
	rank := func(f *os.File) int {
		switch {
		case f == nil:
			return 2
		case f == p.spool:
			return 0
		}
		return 1
	}
	slices.SortFunc(moves, func(a, b move) int {
		return cmp.Or(cmp.Compare(rank(a.l.f), rank(b.l.f)), cmp.Compare(a.l.off, b.l.off))
	})

	// Whatever was written past the spool's end is overwritten by the next Put or cut off by
	// the next Save: undoing a failed Save only removes a new file.
	undo := func() {
		if dst != p.spool {
			discard(dst)
		}
	}
	moved := make([]loc, len(moves))
	end, flushed := start, start
	var out, rec []byte
	flush := func() error {
		if _, err := dst.WriteAt(out, flushed); err != nil {
			return err
		}
		flushed += int64(len(out))
		out = out[:0]
		return nil
	}
	for i, m := range moves {
		var ok bool
		if rec, _, _, ok = p.read(m.key, m.l, rec); !ok {
			continue // damaged since it was read: dropped
		}
		moved[i] = loc{f: dst, off: end, n: m.l.n, crc: m.l.crc}
		out = append(out, rec...)
		end += int64(len(rec))
		if len(out) >= ioBuffer {
			if err := flush(); err != nil {
				undo()
				return err
			}
		}
	}
	if err := flush(); err != nil {
		undo()
		return err
	}
	// The spool may hold bytes past its end from a failed write.
	if err := dst.Truncate(end); err != nil {
		undo()
		return err
	}
	if err := os.Rename(dst.Name(), p.path); err != nil {
		undo()
		return err
	}
	p.unsaved.f.Store(nil) // saved, or removed below

	index := make(map[string]loc, len(moves)+inSpool)
	if dst == p.spool {
		for k, l := range p.index {
			if l.f != nil && l.f == p.spool && (p.keep == nil || p.keep(k)) {
				index[k] = l
			}
		}
	} else if p.spool != nil {
		discard(p.spool)
	}
	for i, m := range moves {
		if moved[i].f != nil {
			index[m.key] = moved[i]
		}
	}
	if p.base != nil {
		p.base.Close()
	}
	p.base, p.index = dst, index
	p.spool, p.spoolEnd, p.spoolLive, p.garbage, p.spoolFailed, p.mem, p.memSize = nil, 0, 0, false, false, nil, 0
	return nil
}
