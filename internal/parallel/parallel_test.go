package parallel

import (
	"context"
	"sync/atomic"
	"testing"
)

func TestDoBoundsAndCovers(t *testing.T) {
	var running, peak, calls atomic.Int64
	seen := make([]atomic.Bool, 100)
	err := Do(context.Background(), 100, 3, func(i int) {
		n := running.Add(1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		seen[i].Store(true)
		calls.Add(1)
		running.Add(-1)
	})
	if err != nil || calls.Load() != 100 {
		t.Fatalf("err %v, calls %d", err, calls.Load())
	}
	if peak.Load() > 3 {
		t.Errorf("peak concurrency %d > 3", peak.Load())
	}
	for i := range seen {
		if !seen[i].Load() {
			t.Errorf("index %d not called", i)
		}
	}
}

func TestDoStopsOnCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var calls atomic.Int64
	err := Do(ctx, 1000, 1, func(i int) {
		if calls.Add(1) == 5 {
			cancel()
		}
	})
	if err == nil || calls.Load() >= 1000 {
		t.Fatalf("err %v after %d calls", err, calls.Load())
	}
}
