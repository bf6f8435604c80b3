// Package parallel runs independent pieces of work on a bounded number of goroutines.
package parallel

import (
	"context"
	"sync"
	"sync/atomic"
)

// Do calls fn(i) for i in [0, n) with at most limit calls running at once, and waits for them.
// It stops starting new calls once ctx is done and then returns ctx's error; calls already
// started run to completion.
//
// The calls run on limit goroutines that each take the next index, rather than a goroutine
// per call: a render's goroutine grows its stack deep once, not once per pipeline (measured:
// stack copying was 2 % of a render's CPU).
func Do(ctx context.Context, n, limit int, fn func(i int)) error {
	if limit < 1 {
		limit = 1
	}
	var next, started atomic.Int64
	var wg sync.WaitGroup
	for range min(limit, n) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				started.Add(1)
				fn(i)
			}
		}()
	}
	wg.Wait()
	if int(started.Load()) < n {
		return ctx.Err()
	}
	return nil
}
