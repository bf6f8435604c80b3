package bench

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"sync/atomic"
	"time"
)

// watchPeakRSS follows a child's peak resident memory (VmHWM of /proc/PID/status) until it
// exits, and returns a function giving the last value read (0 if none was).
//
// rusage's ru_maxrss cannot be used alone on Linux: at exec the kernel folds the high-water
// mark of the old address space into the child's maxrss, and a child that Go starts shares
// this process's address space until its exec. Every child then reports at least this
// process's own peak. VmHWM belongs to the child's new address space only. It only grows, so
// reading it every 50 ms misses at most the growth of the child's last 50 ms. Reading it more
// often slows the child: every 5 ms made a cold diff of 1008 pipelines 5-10 % slower (the
// read takes locks the Go runtime of the child also takes), every 50 ms costs nothing
// measurable.
func watchPeakRSS(pid int) func() int64 {
	var peak atomic.Int64
	done := make(chan struct{})
	stopped := make(chan struct{})
	path := fmt.Sprintf("/proc/%d/status", pid)
	go func() {
		defer close(stopped)
		t := time.NewTicker(50 * time.Millisecond)
		defer t.Stop()
		for {
			if v := vmHWM(path); v > peak.Load() {
				peak.Store(v)
			}
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	return func() int64 {
		close(done)
		<-stopped
		return peak.Load()
	}
}

func vmHWM(path string) int64 {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	_, rest, ok := bytes.Cut(b, []byte("VmHWM:"))
	if !ok {
		return 0
	}
	line, _, _ := bytes.Cut(rest, []byte("\n"))
	kb, err := strconv.ParseInt(string(bytes.TrimSpace(bytes.TrimSuffix(bytes.TrimSpace(line), []byte("kB")))), 10, 64)
	if err != nil {
		return 0
	}
	return kb << 10
}
