// Package parallel runs independent pieces of work on a bounded number of goroutines.
package parallel

import (
	"context"
	"sync"
)

// Do calls fn(i) for i in [0, n) with at most limit calls running at once, and waits for them.
// It stops starting new calls once ctx is done and then returns ctx's error; calls already
// started run to completion.
func Do(ctx context.Context, n, limit int, fn func(i int)) error {
	if limit < 1 {
		limit = 1
	}
	var wg sync.WaitGroup
	sem := make(chan struct{}, limit)
	defer wg.Wait()
	for i := 0; i < n; i++ {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case sem <- struct{}{}:
		}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			fn(i)
		}()
	}
	return nil
}
