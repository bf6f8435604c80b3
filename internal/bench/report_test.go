package bench

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

// A report of 1008 and 10008 pipelines with the seed at 1008: each issue-16 target row says
// "holds" or "no" from the numbers, on the right side of each bound.
func TestIssue16Targets(t *testing.T) {
	sec := func(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }
	r := &Report{Machine: Machine{CPUs: 2}, LoadBefore: "2.50 1.00 1.00", LoadAfter: "1.00 1.00 1.00"}
	add := func(services int, step string, base bool, wall float64, rssMB int64) {
		cpu := wall
		if step == StepEmbeddedSync && services == 834 {
			cpu = wall / 3 // waiting for the disk: CPU grows less than wall time
		}
		r.Rows = append(r.Rows, Row{Services: services, Pipelines: services * PipelinesPerService(), Step: step, Baseline: base, Runs: 1,
			M: Measurement{Wall: sec(wall), CPU: sec(cpu), MaxRSS: rssMB << 20}})
	}
	small := map[string]float64{StepRenderCold: 1, StepRenderWarm: 0.5, StepFirstSync: 1.5, StepDiffCold: 0.8, StepDiffWarm: 0.4,
		StepSyncNoop: 0.5, StepChangedSync: 2, StepEmbeddedSync: 2}
	large := map[string]float64{StepRenderCold: 10, StepRenderWarm: 5, StepFirstSync: 16.4, StepDiffCold: 8.9, StepDiffWarm: 4.3,
		StepSyncNoop: 5.6, StepChangedSync: 20, StepEmbeddedSync: 29.9}
	rss := map[string]int64{StepFirstSync: 250, StepSyncNoop: 251, StepDiffCold: 100, StepDiffWarm: 100, StepChangedSync: 300, StepEmbeddedSync: 200}
	for _, s := range PipegenSteps {
		add(84, s, false, small[s], 100)
		add(834, s, false, large[s], rss[s])
	}
	add(84, BaseFirstSync, true, 18.1, 100) // 12.07× the first sync: holds
	add(84, BaseNoChange, true, 19.9, 100)  // 24.87× the cold diff: no; 49.75× the warm one
	var b bytes.Buffer
	r.Markdown(&b)
	md := b.String()
	for _, want := range []string{
		"| peak RSS at 10008 pipelines ≤ 250 MB: first sync: all creates (cold cache) | 250 MB | holds |",
		"| peak RSS at 10008 pipelines ≤ 250 MB: no-change sync (warm cache) | 251 MB | **no** |",
		"| peak RSS at 10008 pipelines ≤ 250 MB: sync after a template change: all updates | 300 MB | **no** |",
		"| each step at 10008 pipelines ≤ 11.0× the same at 1008 (growth table below) | largest: embedded store first sync: all creates (cold cache), 14.95× (in CPU time: no-change sync (warm cache), 11.20×) | **no** |",
		"| embedded store first sync at 10008 pipelines ≤ 3× render (cold cache) | 29.900 s vs 10.000 s: 2.99× | holds |",
		"| embedded store first sync at 10008 pipelines ≤ 3× render (warm cache) | 29.900 s vs 5.000 s: 5.98× | **no** |",
		"| at 1008 pipelines, first sync: all creates (cold cache) ≥ 12× faster than seed sync(): all creates | 18.1 s vs 1.500 s: 12.07× | holds |",
		"| at 1008 pipelines, no-change diff (cold cache) ≥ 25× faster than seed sync(): no change | 19.9 s vs 0.800 s: 24.87× | **no** |",
		"| at 1008 pipelines, no-change diff (warm cache) ≥ 25× faster than seed sync(): no change | 19.9 s vs 0.400 s: 49.75× | holds |",
		"## Growth from 1008 to 10008 pipelines",
		"| first sync: all creates (cold cache) | 1.500 | 16.400 | 10.93× | holds |",
		"| no-change diff (cold cache) | 0.800 | 8.900 | 11.12× | **no** |",
		"| no-change sync (warm cache) | 0.500 | 5.600 | 11.20× | **no** |",
		"## Earlier targets (issue 5, at 1008 pipelines)",
		"**The machine was busy** (load above its 2 CPUs)",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	if strings.Contains(md, "seconds per 1000 pipelines") {
		t.Error("the per-1000 table is for runs of more than two sizes")
	}
	if t.Failed() {
		t.Log(md)
	}
}

func TestGrowthLimit(t *testing.T) {
	for _, c := range []struct {
		small, large int
		want         float64
	}{{1008, 10008, 11}, {1000, 10000, 11}, {1008, 2004, 1.1 * 2004 / 1008}, {600, 12000, 22}} {
		if got := growthLimit(c.small, c.large); got-c.want > 1e-9 || c.want-got > 1e-9 {
			t.Errorf("growthLimit(%d, %d) = %v, want %v", c.small, c.large, got, c.want)
		}
	}
}

func TestProfileName(t *testing.T) {
	for step, want := range map[string]string{
		StepDiffCold:     "10008-no-change-diff-cold-cache.pprof",
		StepEmbeddedSync: "10008-embedded-store-first-sync-all-creates-cold-cache.pprof",
		StepChangedSync:  "10008-sync-after-a-template-change-all-updates.pprof",
	} {
		if got := ProfileName(10008, step); got != want {
			t.Errorf("ProfileName(%q) = %q, want %q", step, got, want)
		}
	}
}

func TestFSType(t *testing.T) {
	if got := fsType("/proc/self"); got != "proc" {
		t.Skipf("fsType(/proc/self) = %q: no /proc here?", got)
	}
	if got := fsType("/proc/sys/kernel"); got != "proc" && got != "sysfs" && got != "" {
		t.Logf("fsType(/proc/sys/kernel) = %q", got)
	}
}
