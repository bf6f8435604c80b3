package front50

import (
	"bytes"
	"context"
	"fmt"
	"testing"

	"github.com/pipegen/pipegen/internal/parallel"
)

// benchBodies are n pipeline objects of about 5 KB, the size of a generated pipeline.
func benchBodies(n int) ([]string, [][]byte) {
	ids := make([]string, n)
	bodies := make([][]byte, n)
	pad := bytes.Repeat([]byte("x"), 4800)
	for i := range n {
		ids[i] = fmt.Sprintf("00000000-0000-4000-8000-%012d", i)
		bodies[i] = pipelineBody(ids[i], fmt.Sprintf("app%d", i%2500), fmt.Sprintf("pipeline %d", i), "description", string(pad))
	}
	return ids, bodies
}

// BenchmarkFileStorePut is a first sync's writes: 10 000 conditional creates of ~5 KB, 32 at a
// time as Apply makes them, into an empty store.
func BenchmarkFileStorePut(b *testing.B) {
	ids, bodies := benchBodies(10000)
	ctx := context.Background()
	b.SetBytes(int64(len(bodies[0])) * int64(len(bodies)))
	for b.Loop() {
		b.StopTimer()
		s := newFileStore(b)
		b.StartTimer()
		errs := make([]error, len(ids))
		_ = parallel.Do(ctx, len(ids), 32, func(i int) {
			_, errs[i] = s.Put(ctx, ids[i], bodies[i], PutOptions{IfNoneMatch: true})
		})
		for _, err := range errs {
			if err != nil {
				b.Fatal(err)
			}
		}
	}
}
