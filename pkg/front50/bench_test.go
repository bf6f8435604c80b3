package front50

import (
	"context"
	"fmt"
	"testing"
)

func fillStore(b *testing.B, s Store, n int) {
	b.Helper()
	ctx := context.Background()
	for i := range n {
		id := fmt.Sprintf("00000000-0000-4000-8000-%012d", i)
		if _, err := s.Put(ctx, id, pipelineBody(id, fmt.Sprintf("app%d", i%40), fmt.Sprintf("pipeline %d", i)), PutOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

func benchmarkLoad(b *testing.B, s Store, n int) {
	fillStore(b, s, n)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		st, err := Load(context.Background(), s, 16)
		if err != nil {
			b.Fatal(err)
		}
		if len(st.Pipelines) != n {
			b.Fatalf("loaded %d, want %d", len(st.Pipelines), n)
		}
	}
}

func BenchmarkLoad(b *testing.B) {
	benchmarkLoad(b, newFileStore(b), 1000)
}

func BenchmarkLoadS3(b *testing.B) {
	st, _ := newS3Store(b, func(c *Config) { c.ListPageSize = 1000 })
	benchmarkLoad(b, st, 1000)
}
