// Package heapprof writes a heap profile of the running program near its peak of live heap:
// what PIPEGEN_HEAPPROFILE asks for. A profile taken at exit shows what is left at exit, which
// for a command that streams is little; the peak is what a CI runner's memory limit meets.
//
// The sampler watches the live heap the garbage collector measured (runtime/metrics
// /gc/heap/live:bytes) rather than the heap in use: a heap profile describes the objects live
// at a collection, and the in-use heap also counts garbage not yet collected, which swings by
// GOGC between collections. Each time the live heap reaches 10 % above the one of the profile
// last written, the profile is written again (to a temporary file, then renamed, so the file
// at the path is always whole).
//
// The runtime publishes a heap profile up to two collections after the allocations it shows,
// so a profile written as the heap rises may lag it; each write is therefore followed by one
// more, two collections later, if the live heap has not fallen meanwhile.
package heapprof

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"runtime/pprof"
	"sync"
	"time"
)

// EnvVar names the file pipegen writes its heap profile to.
const EnvVar = "PIPEGEN_HEAPPROFILE"

// Interval is how often the live heap is looked at.
const Interval = 20 * time.Millisecond

const (
	liveMetric   = "/gc/heap/live:bytes"
	cyclesMetric = "/gc/cycles/total:gc-cycles"
)

// Profiler writes heap profiles to one file while the program runs.
type Profiler struct {
	path string
	stop chan struct{}
	done chan struct{}
	once sync.Once

	// Owned by the sampling goroutine until done is closed, then by Stop.
	samples      []metrics.Sample
	written      uint64 // live heap when the last profile was written; 0 before the first
	writtenCycle uint64 // the collection count then
	refreshed    bool   // the write two collections after the last rise is done
	writes       int
	err          error // the first write that failed; the sampler stops at it
}

// FromEnv starts a profiler writing to the file named by PIPEGEN_HEAPPROFILE, or returns nil
// when the variable is empty.
func FromEnv() (*Profiler, error) {
	path := os.Getenv(EnvVar)
	if path == "" {
		return nil, nil
	}
	p, err := Start(path, Interval)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", EnvVar, err)
	}
	return p, nil
}

// Start checks that path can be written (writing a first profile there) and starts sampling
// the live heap every interval.
func Start(path string, interval time.Duration) (*Profiler, error) {
	if path == "" {
		return nil, errors.New("no file given for the heap profile")
	}
	p := &Profiler{
		path:    path,
		stop:    make(chan struct{}),
		done:    make(chan struct{}),
		samples: []metrics.Sample{{Name: liveMetric}, {Name: cyclesMetric}},
	}
	if err := p.write(); err != nil {
		return nil, err
	}
	p.writes = 0 // the placeholder does not count: it shows the heap before the run
	go p.loop(interval)
	return p, nil
}

func (p *Profiler) loop(interval time.Duration) {
	defer close(p.done)
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-p.stop:
			return
		case <-t.C:
			if p.tick(); p.err != nil {
				return
			}
		}
	}
}

// tick writes a profile if the live heap reached a new high, or if the profile last written
// is two collections old and the heap has not fallen since.
func (p *Profiler) tick() {
	live, cycles := p.read()
	switch {
	case live == 0: // no collection yet: nothing in the profile either
	case live > p.written && live >= p.written+p.written/10:
		p.writeAt(live, cycles)
	case !p.refreshed && cycles >= p.writtenCycle+2 && live >= p.written:
		p.writeAt(live, cycles)
		p.refreshed = true
	}
}

func (p *Profiler) read() (live, cycles uint64) {
	metrics.Read(p.samples)
	for _, s := range p.samples {
		if s.Value.Kind() != metrics.KindUint64 {
			continue
		}
		switch s.Name {
		case liveMetric:
			live = s.Value.Uint64()
		case cyclesMetric:
			cycles = s.Value.Uint64()
		}
	}
	return live, cycles
}

func (p *Profiler) writeAt(live, cycles uint64) {
	if err := p.write(); err != nil {
		p.err = err
		return
	}
	p.written, p.writtenCycle, p.refreshed = live, cycles, false
	p.writes++
}

// write replaces the file with the current heap profile.
func (p *Profiler) write() error {
	tmp, err := os.CreateTemp(filepath.Dir(p.path), filepath.Base(p.path)+".*.tmp")
	if err != nil {
		return fmt.Errorf("write heap profile: %w", err)
	}
	err = pprof.WriteHeapProfile(tmp)
	if err == nil {
		err = tmp.Chmod(0o644) // CreateTemp's 0600 would keep it from whoever reads it next
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), p.path)
	}
	if err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("write heap profile to %s: %w", p.path, err)
	}
	return nil
}

// Stop ends the sampling and writes the profile a last time if the live heap is higher than
// in the one written (or none was written: a run too short to collect garbage gets one
// collection first, so its profile is not empty). It returns the first write that failed.
func (p *Profiler) Stop() error {
	if p == nil {
		return nil
	}
	p.once.Do(func() {
		close(p.stop)
		<-p.done
		if p.err != nil {
			return
		}
		if p.writes == 0 {
			runtime.GC()
		}
		if live, cycles := p.read(); p.writes == 0 || live > p.written {
			p.writeAt(live, cycles)
		}
	})
	return p.err
}
