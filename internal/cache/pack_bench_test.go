package cache

import (
	"fmt"
	"path/filepath"
	"runtime"
	"testing"
)

// benchEntries is the size of a pack at 10 000 pipelines; benchPayload the size of one stored
// pipeline or decoded render (about 5 KB each, docs/PERFORMANCE.md).
const (
	benchEntries = 10000
	benchPayload = 5 << 10
)

// benchEntry makes entry i afresh, as a GET or a render would: the pack must not rely on the
// caller keeping it.
func benchEntry(i int) (key string, validator, payload []byte) {
	key = fmt.Sprintf("%08x-0000-4000-8000-%012x", i, i)
	validator = fmt.Appendf(nil, `{"etag":"\"%032x\"","lastModified":1735689600,"size":%d}`, i, benchPayload)
	payload = make([]byte, benchPayload)
	copy(payload, benchBody)
	copy(payload, key) // each entry its own content
	return key, validator, payload
}

var benchBody = func() []byte {
	var b []byte
	for len(b) < benchPayload {
		b = fmt.Appendf(b, `{"refId":"%d","type":"deployManifest"},`, len(b))
	}
	return b[:benchPayload]
}()

// heapInUse is the heap in use after a full collection.
func heapInUse() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse
}

// BenchmarkPackHeap reports the heap a pack of benchEntries entries costs while in use
// (heap-MB: in use after a collection, less what was in use before), for a run that reads
// every entry of an existing pack (a warm diff) and for one that puts every entry (a cold
// one) and then saves.
func BenchmarkPackHeap(b *testing.B) {
	dir := b.TempDir()
	d := Open(dir)
	p := d.pack("bench.pack")
	for i := range benchEntries {
		p.Put(benchEntry(i))
	}
	if err := d.Save(); err != nil {
		b.Fatal(err)
	}
	d, p = nil, nil

	b.Run("open+get", func(b *testing.B) {
		var heap uint64
		for b.Loop() {
			before := heapInUse()
			p := Open(dir).pack("bench.pack")
			for i := range benchEntries {
				key, _, _ := benchEntry(i)
				if _, payload, ok := p.Get(key); !ok || len(payload) != benchPayload {
					b.Fatalf("%s: miss", key)
				}
			}
			heap = max(heap, heapInUse()-before)
			runtime.KeepAlive(p)
		}
		b.ReportMetric(float64(heap)/(1<<20), "heap-MB")
	})
	b.Run("put+save", func(b *testing.B) {
		var heap uint64
		for b.Loop() {
			before := heapInUse()
			d := Open(filepath.Join(b.TempDir(), "cache"))
			p := d.pack("bench.pack")
			for i := range benchEntries {
				p.Put(benchEntry(i))
			}
			heap = max(heap, heapInUse()-before)
			if err := d.Save(); err != nil {
				b.Fatal(err)
			}
			runtime.KeepAlive(p)
		}
		b.ReportMetric(float64(heap)/(1<<20), "heap-MB")
	})
}
