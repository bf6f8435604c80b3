package render

import "testing"

func benchEngine(b *testing.B) *Engine {
	b.Helper()
	e, err := New("testdata/seed", "templates")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { e.Close() })
	if _, err := e.Render("deploy", seedVars(), nil); err != nil {
		b.Fatal(err)
	}
	return e
}

// BenchmarkRenderSeed renders the seed template, compiled once, many times.
func BenchmarkRenderSeed(b *testing.B) {
	e := benchEngine(b)
	vars := seedVars()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := e.Render("deploy", vars, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRenderSeedParallel renders the seed template from all Ps at once.
func BenchmarkRenderSeedParallel(b *testing.B) {
	e := benchEngine(b)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		vars := seedVars()
		for pb.Next() {
			if _, err := e.Render("deploy", vars, nil); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkCompileAndRenderSeed is the cost without the cache: a new Engine every time
// (directory listing, static check, pongo2 compilation, render).
func BenchmarkCompileAndRenderSeed(b *testing.B) {
	vars := seedVars()
	b.ReportAllocs()
	for b.Loop() {
		e, err := New("testdata/seed", "templates")
		if err != nil {
			b.Fatal(err)
		}
		if _, err := e.Render("deploy", vars, nil); err != nil {
			b.Fatal(err)
		}
		e.Close()
	}
}
