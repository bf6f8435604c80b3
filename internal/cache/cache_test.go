package cache

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/pipegen/pipegen/pkg/yamldoc"
)

func TestPackRoundTrip(t *testing.T) {
	dir := t.TempDir()
	d := Open(dir)
	p := d.pack("test.pack")
	p.Put("a", []byte("va"), []byte("payload a"))
	p.Put("b", []byte("vb"), []byte{})
	p.Put("c", nil, []byte("payload c"))
	if err := d.Save(); err != nil {
		t.Fatal(err)
	}
	q := Open(dir).pack("test.pack")
	for _, tc := range []struct{ key, validator, payload string }{
		{"a", "va", "payload a"}, {"b", "vb", ""}, {"c", "", "payload c"},
	} {
		v, pl, ok := q.Get(tc.key)
		if !ok || string(v) != tc.validator || string(pl) != tc.payload {
			t.Errorf("Get(%q) = %q, %q, %v; want %q, %q", tc.key, v, pl, ok, tc.validator, tc.payload)
		}
	}
	if _, _, ok := q.Get("missing"); ok {
		t.Error("Get of a key never put hit")
	}
}

func TestNilCacheIsDisabled(t *testing.T) {
	var d *Dir
	if d.Path() != "" || d.Save() != nil || d.pack("x") != nil {
		t.Fatal("a nil Dir is not disabled")
	}
	var p *Pack
	p.Put("k", nil, []byte("x"))
	if _, _, ok := p.Get("k"); ok {
		t.Fatal("a nil Pack hit")
	}
	if Open("") != nil {
		t.Fatal(`Open("") is not disabled`)
	}
}

// A damaged pack never yields a wrong entry: entries before the damage are kept, the damaged
// one and everything after it are misses.
func TestPackDamage(t *testing.T) {
	write := func(t *testing.T) (string, []byte) {
		dir := t.TempDir()
		d := Open(dir)
		p := d.pack("p.pack")
		for _, k := range []string{"k1", "k2", "k3"} {
			p.Put(k, []byte("v-"+k), []byte(strings.Repeat(k, 50)))
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
	// Keys are saved sorted, so k2's payload is in the middle of the file.
	tests := []struct {
		name   string
		damage func([]byte) []byte
		want   []string // keys that must still be found
	}{
		{"flipped byte in k2's payload", func(b []byte) []byte {
			i := bytes.Index(b, []byte("k2k2k2"))
			b[i+3] ^= 0x40
			return b
		}, []string{"k1"}},
		{"truncated inside k3", func(b []byte) []byte { return b[:len(b)-10] }, []string{"k1", "k2"}},
		{"wrong magic", func(b []byte) []byte { b[0] = 'X'; return b }, nil},
		{"empty file", func([]byte) []byte { return nil }, nil},
		{"garbage appended", func(b []byte) []byte { return append(b, 0, 0, 0, 9, 1, 2) }, []string{"k1", "k2", "k3"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir, data := write(t)
			if err := os.WriteFile(filepath.Join(dir, "p.pack"), tc.damage(data), 0o644); err != nil {
				t.Fatal(err)
			}
			p := Open(dir).pack("p.pack")
			found := map[string]bool{}
			for _, k := range []string{"k1", "k2", "k3"} {
				v, pl, ok := p.Get(k)
				if !ok {
					continue
				}
				found[k] = true
				if string(v) != "v-"+k || string(pl) != strings.Repeat(k, 50) {
					t.Errorf("%s: damaged entry returned: %q %q", k, v, pl)
				}
			}
			for _, k := range tc.want {
				if !found[k] {
					t.Errorf("%s lost", k)
				}
			}
			if len(found) != len(tc.want) {
				t.Errorf("found %v, want exactly %v", found, tc.want)
			}
		})
	}
}

func TestPackRetainAndNoRewrite(t *testing.T) {
	dir := t.TempDir()
	d := Open(dir)
	p := d.pack("r.pack")
	p.Put("keep", nil, []byte("1"))
	p.Put("drop", nil, []byte("2"))
	if err := d.Save(); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "r.pack")
	st1, _ := os.Stat(path)

	// Putting what is there already changes nothing: no rewrite.
	d2 := Open(dir)
	d2.pack("r.pack").Put("keep", nil, []byte("1"))
	if err := d2.Save(); err != nil {
		t.Fatal(err)
	}
	if st2, _ := os.Stat(path); !st2.ModTime().Equal(st1.ModTime()) || st2.Size() != st1.Size() {
		t.Error("an unchanged pack was rewritten")
	}

	d3 := Open(dir)
	d3.pack("r.pack").Retain(func(k string) bool { return k == "keep" })
	if err := d3.Save(); err != nil {
		t.Fatal(err)
	}
	q := Open(dir).pack("r.pack")
	if _, _, ok := q.Get("drop"); ok {
		t.Error("Retain did not drop")
	}
	if _, _, ok := q.Get("keep"); !ok {
		t.Error("Retain dropped what it keeps")
	}
}

func TestSaveToUnwritableFolderFails(t *testing.T) {
	file := filepath.Join(t.TempDir(), "a-file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	d := Open(filepath.Join(file, "cache")) // a folder inside a file: cannot exist
	d.pack("x.pack").Put("k", nil, []byte("v"))
	if err := d.Save(); err == nil {
		t.Fatal("Save into an impossible folder succeeded")
	}
	if _, _, ok := d.pack("x.pack").Get("k"); !ok {
		t.Fatal("the in-memory entry is lost after a failed save")
	}
}

const sampleYAML = `name: deploy
stages:
  - refId: "1"
    weight: 10
    ratio: 1.50
    big: 123456789012345678901234567890
    enabled: yes
    nothing: null
    empty: []
    emptyMap: {}
    spel: "${parameters[\"x\"] < 3 && true}"
    line: "a\u2028b"
`

func TestDecodedRoundTripIsExact(t *testing.T) {
	want, err := yamldoc.Decode([]byte(sampleYAML))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	d := Open(dir)
	c := &Decoded{pack: d.pack(packName("decoded", "")), build: "build-1"}
	c.Put("svc/prod/deploy", []byte(sampleYAML), want)
	if err := d.Save(); err != nil {
		t.Fatal(err)
	}

	c2 := &Decoded{pack: Open(dir).pack(packName("decoded", "")), build: "build-1"}
	got, ok := c2.Get("svc/prod/deploy", []byte(sampleYAML))
	if !ok {
		t.Fatal("miss after Put and Save")
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("cached value differs from the decoded one:\n got %#v\nwant %#v", got, want)
	}
	// The caller may change what it gets; the next Get is unaffected.
	got.(map[string]any)["name"] = "changed"
	again, _ := c2.Get("svc/prod/deploy", []byte(sampleYAML))
	if again.(map[string]any)["name"] != "deploy" {
		t.Fatal("a change to a returned value leaked into the cache")
	}

	for name, c3 := range map[string]struct {
		c    *Decoded
		slot string
		text string
	}{
		"other text":  {c2, "svc/prod/deploy", sampleYAML + "# changed\n"},
		"other slot":  {c2, "svc/dev/deploy", sampleYAML},
		"other build": {&Decoded{pack: c2.pack, build: "build-2"}, "svc/prod/deploy", sampleYAML},
	} {
		if _, ok := c3.c.Get(c3.slot, []byte(c3.text)); ok {
			t.Errorf("%s: hit", name)
		}
	}
}

func TestDecodedSkipsValuesJSONWouldChange(t *testing.T) {
	c := &Decoded{pack: Open(t.TempDir()).pack("d.pack"), build: "b"}
	for name, v := range map[string]any{
		"int":       map[string]any{"n": 3},
		"float64":   []any{1.5},
		"nil map":   map[string]any{"m": map[string]any(nil)},
		"nil slice": map[string]any{"s": []any(nil)},
	} {
		c.Put(name, []byte(name), v)
		if _, ok := c.Get(name, []byte(name)); ok {
			t.Errorf("%s: cached a value that would not come back the same", name)
		}
	}
	ok := map[string]any{"n": json.Number("3"), "s": []any{}, "m": map[string]any{}, "b": true, "z": nil}
	c.Put("ok", []byte("ok"), ok)
	if _, hit := c.Get("ok", []byte("ok")); !hit {
		t.Error("a JSON-typed value was not cached")
	}
}

func TestExecutableID(t *testing.T) {
	a, b := ExecutableID(), ExecutableID()
	if a == "" || a != b {
		t.Fatalf("ExecutableID = %q then %q; want one stable non-empty id", a, b)
	}
}
