package gctune

import (
	"math"
	"runtime/debug"
	"testing"
)

func TestForStreamingLeavesUserSettings(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(math.MaxInt64))

	t.Setenv("GOGC", "")
	t.Setenv("GOMEMLIMIT", "")
	ForStreaming()
	if got := debug.SetGCPercent(100); got != GCPercent {
		t.Errorf("GOGC unset: GC percent %d, want %d", got, GCPercent)
	}
	if got := debug.SetMemoryLimit(math.MaxInt64); got != MemoryLimit {
		t.Errorf("GOMEMLIMIT unset: limit %d, want %d", got, MemoryLimit)
	}

	t.Setenv("GOGC", "150")
	t.Setenv("GOMEMLIMIT", "1GiB")
	debug.SetGCPercent(150)
	debug.SetMemoryLimit(1 << 30)
	ForStreaming()
	if got := debug.SetGCPercent(100); got != 150 {
		t.Errorf("GOGC=150: GC percent %d, want the user's 150", got)
	}
	if got := debug.SetMemoryLimit(math.MaxInt64); got != 1<<30 {
		t.Errorf("GOMEMLIMIT=1GiB: limit %d, want the user's", got)
	}
}
