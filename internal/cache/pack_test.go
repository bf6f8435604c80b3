package cache

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// version is what TestPackConcurrentPutGet writes: the validator names the version, the
// payload repeats it, so a hit mixing two Puts cannot pass for one.
func version(key string, v int) (string, []byte, []byte) {
	return key, fmt.Appendf(nil, "%s@%d", key, v), bytes.Repeat(fmt.Appendf(nil, "<%s@%d>", key, v), 50+v%7)
}

func checkVersion(t *testing.T, key string, validator, payload []byte) int {
	t.Helper()
	var v int
	if _, err := fmt.Sscanf(strings.TrimPrefix(string(validator), key+"@"), "%d", &v); err != nil {
		t.Errorf("%s: validator %q", key, validator)
		return -1
	}
	_, wantV, wantP := version(key, v)
	if !bytes.Equal(validator, wantV) || !bytes.Equal(payload, wantP) {
		t.Errorf("%s: hit mixes versions: %q / %.40q", key, validator, payload)
	}
	return v
}

// Many goroutines put and get at once, with a Save in the middle: every hit is one whole
// version, never older than one the same goroutine has seen, and the last version of each key
// is what the saved pack holds.
func TestPackConcurrentPutGet(t *testing.T) {
	dir := t.TempDir()
	d := Open(dir)
	p := d.pack("c.pack")
	const keys, versions = 16, 40
	for k := range keys { // half the keys start in the base, half in the spool
		if k%2 == 0 {
			p.Put(version(fmt.Sprintf("k%d", k), 0))
		}
	}
	if err := d.Save(); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for k := range keys {
		key := fmt.Sprintf("k%d", k)
		wg.Add(2)
		go func() { // the only writer of key
			defer wg.Done()
			for v := 1; v <= versions; v++ {
				p.Put(version(key, v))
				if vv, pl, ok := p.Get(key); !ok || checkVersion(t, key, vv, pl) != v {
					t.Errorf("%s: own Put of version %d not read back", key, v)
					return
				}
			}
		}()
		go func() { // a reader of every key
			defer wg.Done()
			seen := map[string]int{}
			for range versions {
				for j := range keys {
					other := fmt.Sprintf("k%d", j)
					if vv, pl, ok := p.Get(other); ok {
						v := checkVersion(t, other, vv, pl)
						if v < seen[other] {
							t.Errorf("%s: version %d after %d", other, v, seen[other])
						}
						seen[other] = v
					}
				}
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		if err := d.Save(); err != nil {
			t.Error(err)
		}
	}()
	wg.Wait()
	if err := d.Save(); err != nil {
		t.Fatal(err)
	}
	q := Open(dir).pack("c.pack")
	for k := range keys {
		key := fmt.Sprintf("k%d", k)
		if vv, pl, ok := q.Get(key); !ok || checkVersion(t, key, vv, pl) != versions {
			t.Errorf("%s: saved pack lacks the last version (hit %v, %q)", key, ok, vv)
		}
	}
	assertNoSpools(t, dir)
}

func assertNoSpools(t *testing.T, dir string) {
	t.Helper()
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), spoolPrefix) {
			t.Errorf("spool %s left after Save", e.Name())
		}
	}
}

// writeSmallPack saves keys k1..k3 and returns the folder and the file's bytes.
func writeSmallPack(t *testing.T) (string, []byte) {
	t.Helper()
	dir := t.TempDir()
	d := Open(dir)
	p := d.pack("p.pack")
	for _, k := range []string{"k1", "k2", "k3"} {
		p.Put(k, []byte("v-"+k), []byte(strings.Repeat(k, 20)))
	}
	if err := d.Save(); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(dir, "p.pack"))
	if err != nil {
		t.Fatal(err)
	}
	return dir, data
}

// found gets k1..k3, failing on any hit that is not exactly what was put.
func found(t *testing.T, p *Pack) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	for _, k := range []string{"k1", "k2", "k3"} {
		v, pl, ok := p.Get(k)
		if !ok {
			continue
		}
		out[k] = true
		if string(v) != "v-"+k || string(pl) != strings.Repeat(k, 20) {
			t.Fatalf("%s: wrong entry returned: %q %q", k, v, pl)
		}
	}
	return out
}

// Every truncation and every single flipped byte of a pack, whether before it is opened or
// after it is indexed: a hit is always exactly the entry put, and every entry wholly before
// the damage is still found.
func TestPackDamageAnywhere(t *testing.T) {
	dir, data := writeSmallPack(t)
	path := filepath.Join(dir, "p.pack")
	// ends[i] is where entry i ends: entries are in the order put.
	var ends []int
	off := len(magic)
	for range 3 {
		_, _, _, n, ok := decodeEntry(data[off:])
		if !ok {
			t.Fatal("pack not as written")
		}
		off += n
		ends = append(ends, off)
	}
	intact := func(damageAt int) int {
		n := 0
		for _, e := range ends {
			if e <= damageAt {
				n++
			}
		}
		return n
	}
	for _, afterOpen := range []bool{false, true} {
		for cut := 0; cut < len(data); cut++ {
			for _, damage := range []string{"truncate", "flip"} {
				b := bytes.Clone(data)
				if damage == "truncate" {
					b = b[:cut]
				} else {
					b[cut] ^= 0x10
				}
				var p *Pack
				if afterOpen {
					if err := os.WriteFile(path, data, 0o644); err != nil {
						t.Fatal(err)
					}
					p = Open(dir).pack("p.pack")
					// In place, as a disk or another program would, not by rename.
					f, err := os.OpenFile(path, os.O_WRONLY, 0)
					if err != nil {
						t.Fatal(err)
					}
					if _, err := f.WriteAt(b, 0); err != nil {
						t.Fatal(err)
					}
					if err := f.Truncate(int64(len(b))); err != nil {
						t.Fatal(err)
					}
					f.Close()
				} else {
					if err := os.WriteFile(path, b, 0o644); err != nil {
						t.Fatal(err)
					}
					p = Open(dir).pack("p.pack")
				}
				got := found(t, p)
				want := intact(cut)
				if cut < len(magic) && !afterOpen {
					want = 0
				}
				for i := range want {
					if k := fmt.Sprintf("k%d", i+1); !got[k] {
						t.Errorf("after open %v, %s at %d: %s lost", afterOpen, damage, cut, k)
					}
				}
				if !afterOpen && len(got) != want {
					t.Errorf("%s at %d: found %v, want the first %d only", damage, cut, got, want)
				}
				if p.base != nil {
					p.base.Close()
				}
			}
		}
	}
}

// Another process rewrites the pack between this one's opening it and saving: this one
// still reads its entries from the pack it opened, and its Save wins, as a Save always has.
func TestPackSaveAfterAnotherProcessSaved(t *testing.T) {
	dir := t.TempDir()
	d0 := Open(dir)
	d0.pack("s.pack").Put("a", []byte("va"), []byte("A"))
	d0.pack("s.pack").Put("b", []byte("vb"), []byte("B"))
	if err := d0.Save(); err != nil {
		t.Fatal(err)
	}

	d1 := Open(dir)
	p1 := d1.pack("s.pack")
	d2 := Open(dir)
	d2.pack("s.pack").Put("c", []byte("vc"), []byte("C"))
	d2.pack("s.pack").Retain(func(k string) bool { return k != "b" })
	if err := d2.Save(); err != nil {
		t.Fatal(err)
	}
	if _, pl, ok := p1.Get("b"); !ok || string(pl) != "B" {
		t.Fatalf("entry of the pack as opened lost when another process saved: %q %v", pl, ok)
	}
	p1.Put("d", []byte("vd"), []byte("D"))
	if err := d1.Save(); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"a": "A", "b": "B", "d": "D"}
	for _, p := range []*Pack{p1, Open(dir).pack("s.pack")} {
		for _, k := range []string{"a", "b", "c", "d"} {
			_, pl, ok := p.Get(k)
			if w, in := want[k]; ok != in || ok && string(pl) != w {
				t.Errorf("%s: got %q (hit %v), want %q (hit %v)", k, pl, ok, w, in)
			}
		}
	}
	assertNoSpools(t, dir)
}

// Entries larger than every buffer, many of them, through two saves: each comes back whole.
func TestPackLargeEntries(t *testing.T) {
	dir := t.TempDir()
	sizes := []int{0, 1, ioBuffer - 17, ioBuffer, ioBuffer + 1, 3*ioBuffer + 7}
	for i := range 300 {
		sizes = append(sizes, 1000+i*37)
	}
	payload := func(i int) []byte {
		b := make([]byte, sizes[i])
		for j := range b {
			b[j] = byte(i*31 + j*7)
		}
		return b
	}
	d := Open(dir)
	for i := range sizes {
		if i%2 == 0 {
			d.pack("l.pack").Put(fmt.Sprint(i), []byte("v"), payload(i))
		}
	}
	if err := d.Save(); err != nil {
		t.Fatal(err)
	}
	d = Open(dir)
	for i := range sizes {
		if i%2 == 1 {
			d.pack("l.pack").Put(fmt.Sprint(i), []byte("v"), payload(i))
		}
	}
	if err := d.Save(); err != nil {
		t.Fatal(err)
	}
	p := Open(dir).pack("l.pack")
	for i := range sizes {
		if _, pl, ok := p.Get(fmt.Sprint(i)); !ok || !bytes.Equal(pl, payload(i)) {
			t.Fatalf("entry %d of %d bytes: hit %v, %d bytes back", i, sizes[i], ok, len(pl))
		}
	}
}

// An entry put twice, or put and then rejected by Retain, leaves nothing behind in the saved
// pack: it holds exactly the entries kept.
func TestPackSaveWritesOnlyWhatIsKept(t *testing.T) {
	dir := t.TempDir()
	d := Open(dir)
	p := d.pack("g.pack")
	p.Put("old", nil, []byte("in the base"))
	if err := d.Save(); err != nil {
		t.Fatal(err)
	}
	d = Open(dir)
	p = d.pack("g.pack")
	p.Put("twice", nil, []byte("first"))
	p.Put("twice", nil, []byte("second"))
	p.Put("gone", nil, []byte("put, then gone from the listing"))
	p.Retain(func(k string) bool { return k != "gone" })
	if err := d.Save(); err != nil {
		t.Fatal(err)
	}
	want := appendEntry(nil, "twice", nil, []byte("second"))
	want = appendEntry(want, "old", nil, []byte("in the base"))
	data, _ := os.ReadFile(filepath.Join(dir, "g.pack"))
	if !bytes.Equal(data, append(bytes.Clone(magic), want...)) {
		t.Fatalf("saved pack holds more or less than the kept entries:\n%q", data)
	}
}

// A Save that fails leaves every entry readable, and a later one saves them all.
func TestPackFailedRenameKeepsEntries(t *testing.T) {
	dir := t.TempDir()
	d := Open(dir)
	p := d.pack("f.pack")
	p.Put("base", nil, []byte("b"))
	if err := d.Save(); err != nil {
		t.Fatal(err)
	}
	d = Open(dir)
	p = d.pack("f.pack")
	p.Put("new", nil, []byte("n"))
	path := filepath.Join(dir, "f.pack")
	// A non-empty folder where the pack is: the rename fails.
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(path, "x"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := d.Save(); err == nil {
		t.Fatal("Save over a folder succeeded")
	}
	for _, k := range []string{"base", "new"} {
		if _, _, ok := p.Get(k); !ok {
			t.Errorf("%s lost by a failed Save", k)
		}
	}
	if err := os.RemoveAll(path); err != nil {
		t.Fatal(err)
	}
	if err := d.Save(); err != nil {
		t.Fatal(err)
	}
	q := Open(dir).pack("f.pack")
	for k, want := range map[string]string{"base": "b", "new": "n"} {
		if _, pl, ok := q.Get(k); !ok || string(pl) != want {
			t.Errorf("%s: %q %v after the second Save", k, pl, ok)
		}
	}
	assertNoSpools(t, dir)
}

// A run that ends without saving leaves its spool; the next run to write removes it, and
// leaves alone the spool of a process still running.
func TestStaleSpoolsRemoved(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("process liveness is not checked on Windows: spools are left")
	}
	dir := t.TempDir()
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	dead := filepath.Join(dir, fmt.Sprintf("%s%d-123", spoolPrefix, cmd.Process.Pid))
	live := filepath.Join(dir, fmt.Sprintf("%s%d-456", spoolPrefix, os.Getppid()))
	other := filepath.Join(dir, ".spool-notapid-1")
	for _, f := range []string{dead, live, other} {
		if err := os.WriteFile(f, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	Open(dir).pack("x.pack").Put("k", nil, []byte("v")) // makes a spool, never saved
	for f, want := range map[string]bool{dead: false, live: true, other: true} {
		if _, err := os.Stat(f); (err == nil) != want {
			t.Errorf("%s: exists %v, want %v", filepath.Base(f), err == nil, want)
		}
	}
	entries, _ := os.ReadDir(dir)
	mine := 0
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), fmt.Sprintf("%s%d-", spoolPrefix, os.Getpid())) {
			mine++
		}
	}
	if mine != 1 {
		t.Errorf("%d spools of this process, want 1", mine)
	}
}

// Decoded reads through a reused buffer: a value got must not change when the next is read.
func TestDecodedValuesOutliveTheBuffer(t *testing.T) {
	c := &Decoded{pack: Open(t.TempDir()).pack("d.pack"), build: "b"}
	values := map[string]any{}
	for i := range 20 {
		id := fmt.Sprint(i)
		values[id] = map[string]any{"name": strings.Repeat(id, 30+i), "list": []any{id, json.Number(id)}}
		c.Put(id, []byte(id), values[id])
	}
	got := map[string]any{}
	for id := range values {
		v, ok := c.Get(id, []byte(id))
		if !ok {
			t.Fatalf("%s: miss", id)
		}
		got[id] = v
	}
	if !reflect.DeepEqual(got, values) {
		t.Fatalf("values changed as later ones were read:\n got %v\nwant %v", got, values)
	}
}

// Where no spool can be made, what is put stays readable in memory, up to a bound.
func TestPackWithoutSpoolKeepsABoundedMemory(t *testing.T) {
	file := filepath.Join(t.TempDir(), "a-file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	p := Open(filepath.Join(file, "cache")).pack("m.pack")
	first, second := make([]byte, 1<<20), make([]byte, 1<<20)
	second[0] = 1
	for i := range 2 * maxMem >> 20 {
		p.Put(fmt.Sprint(i), nil, first)
		p.Put(fmt.Sprint(i), nil, second) // replaces: counted once
	}
	for i := range 2 * maxMem >> 20 {
		_, pl, ok := p.Get(fmt.Sprint(i))
		if want := i < maxMem>>20-1; ok != want || ok && !bytes.Equal(pl, second) {
			t.Errorf("entry %d (MB): hit %v, want %v", i, ok, want)
		}
	}
	if p.memSize > maxMem {
		t.Errorf("%d bytes held, more than %d", p.memSize, maxMem)
	}
}

// A pack dropped without a Save (a command that failed in a process that goes on, such as
// pipegen serve) takes its spool with it.
func TestUnsavedSpoolRemovedWithItsPack(t *testing.T) {
	dir := t.TempDir()
	spools := func() int {
		n := 0
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			if strings.HasPrefix(e.Name(), spoolPrefix) {
				n++
			}
		}
		return n
	}
	func() {
		d := Open(dir)
		d.pack("u.pack").Put("k", nil, []byte("v"))
	}()
	if spools() != 1 {
		t.Fatalf("%d spools after a Put, want 1", spools())
	}
	for i := 0; i < 200 && spools() > 0; i++ {
		runtime.GC()
		time.Sleep(5 * time.Millisecond)
	}
	if n := spools(); n != 0 {
		t.Fatalf("%d spools left after their pack was dropped", n)
	}

	// A saved pack is its former spool: dropping the pack must not remove it.
	func() {
		d := Open(dir)
		d.pack("u.pack").Put("k", nil, []byte("v"))
		if err := d.Save(); err != nil {
			t.Fatal(err)
		}
	}()
	for range 20 {
		runtime.GC()
		time.Sleep(5 * time.Millisecond)
	}
	if _, pl, ok := Open(dir).pack("u.pack").Get("k"); !ok || string(pl) != "v" {
		t.Fatal("the saved pack was lost when the pack that saved it was dropped")
	}
}
