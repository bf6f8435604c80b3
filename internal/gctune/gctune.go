// Package gctune sets the garbage collector for commands whose live heap stays small whatever
// the number of pipelines (diff and sync stream them, see pkg/action.Diff).
//
// Measured at 1 008 pipelines (docs/PERFORMANCE.md): with the default GOGC=100 the collector
// takes a fifth of a first sync's CPU, because a streaming diff's heap is small and is
// collected every few megabytes. A higher GOGC collects less often; the memory limit caps
// what that costs at 10 000 pipelines, where the heap would otherwise grow to five times a
// live heap of ~40 MB.
package gctune

import (
	"os"
	"runtime/debug"
)

const (
	// GCPercent is GOGC for the streaming commands.
	GCPercent = 400
	// MemoryLimit is the soft limit (GOMEMLIMIT) for them: under issue 16's 250 MB of peak
	// resident memory with room for what is not heap (the binary, stacks).
	MemoryLimit = 192 << 20
)

// ForStreaming applies GCPercent and MemoryLimit, each unless the user set its environment
// variable (GOGC, GOMEMLIMIT): the user's setting always wins.
func ForStreaming() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(GCPercent)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(MemoryLimit)
	}
}
