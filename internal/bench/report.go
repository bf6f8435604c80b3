package bench

import (
	"fmt"
	"io"
	"math"
	"sort"
	"strings"
	"time"
)

// Targets of issue 5, for ~1000 pipelines on the benchmark machine.
const (
	TargetDiff    = 500 * time.Millisecond
	TargetSync    = 1500 * time.Millisecond
	TargetSpeedup = 20.0
)

// baselinePair maps each baseline step to the pipegen steps it is compared with.
var baselinePair = map[string][]string{
	BaseFirstSync:   {StepFirstSync},
	BaseNoChange:    {StepDiffCold, StepDiffWarm, StepSyncNoop},
	BaseChangedSync: {StepChangedSync},
}

func (r *Report) find(services int, step string, baseline bool) (Row, bool) {
	for _, row := range r.Rows {
		if row.Services == services && row.Step == step && row.Baseline == baseline {
			return row, true
		}
	}
	return Row{}, false
}

// sizes lists the repo sizes measured, smallest first.
func (r *Report) sizes() []int {
	seen := map[int]bool{}
	var out []int
	for _, row := range r.Rows {
		if !seen[row.Services] {
			seen[row.Services] = true
			out = append(out, row.Services)
		}
	}
	sort.Ints(out)
	return out
}

// nearThousand is the measured size whose pipeline count is closest to 1000.
func (r *Report) nearThousand() (int, bool) {
	best, found := 0, false
	for _, n := range r.sizes() {
		if !found || math.Abs(float64(n*PipelinesPerService()-1000)) < math.Abs(float64(best*PipelinesPerService()-1000)) {
			best, found = n, true
		}
	}
	return best, found
}

func secs(d time.Duration) string { return fmt.Sprintf("%.3f", d.Seconds()) }

func rate(p int, d time.Duration) string {
	if d <= 0 {
		return "–"
	}
	return fmt.Sprintf("%.0f", float64(p)/d.Seconds())
}

func mb(b int64) string {
	if b == 0 {
		return "n/a"
	}
	return fmt.Sprintf("%d MB", b>>20)
}

// Markdown writes the report: the machine, the tables, and which targets hold.
func (r *Report) Markdown(w io.Writer) {
	m := r.Machine
	fmt.Fprintf(w, "# pipegen benchmark results\n\n")
	fmt.Fprintf(w, "Written by `make bench` (`go run ./cmd/pipegen-bench`) on %s; the run took %s.\n\n",
		r.Started.UTC().Format("2006-01-02 15:04 MST"), r.Took.Round(time.Second))
	fmt.Fprintf(w, "- Machine: %d CPUs (%s), %.1f GB RAM, %s/%s, kernel %s\n", m.CPUs, orUnknown(m.CPUModel), float64(m.MemoryMB)/1024, m.OS, m.Arch, orUnknown(m.Kernel))
	fmt.Fprintf(w, "- Go: %s; pipegen: `%s`\n", m.GoVersion, r.Pipegen)
	fmt.Fprintf(w, "- Load average (1, 5, 15 min) before: %s; after: %s (the machine is shared: other work competes for the CPUs)\n", orUnknown(r.LoadBefore), orUnknown(r.LoadAfter))
	if len(r.Env) > 0 {
		fmt.Fprintf(w, "- Extra environment for pipegen: `%s`\n", strings.Join(r.Env, " "))
	}
	fmt.Fprintf(w, "- Store: versitygw (posix backend, keep-alive on, as S3 has it) on loopback, one bucket per scenario; S3 requests are counted from its access log\n")
	fmt.Fprintf(w, "- Repo: N synthetic services × %d stacks × %d pipelines (internal/bench: deploy with a loop over regions, canary with a loop over traffic steps, rollback, e2e with a loop over suites; artifacts referenced by name)\n\n", len(Stacks), len(Pipelines))

	fmt.Fprintf(w, "## pipegen\n\n")
	fmt.Fprintf(w, "Median of the runs shown; peak RSS is the largest of them. Cold cache: `.pipegen/cache` removed first.\n\n")
	fmt.Fprintf(w, "| services | pipelines | step | seconds | pipelines/s | S3 requests | peak RSS | CPU s | runs |\n")
	fmt.Fprintf(w, "|---:|---:|---|---:|---:|---|---:|---:|---:|\n")
	for _, row := range r.Rows {
		if row.Baseline {
			continue
		}
		fmt.Fprintf(w, "| %d | %d | %s | %s | %s | %s | %s | %s | %d |\n", row.Services, row.Pipelines, row.Step,
			secs(row.M.Wall), rate(row.Pipelines, row.M.Wall), row.M.Requests, mb(row.M.MaxRSS), secs(row.M.CPU), row.Runs)
	}

	fmt.Fprintf(w, "\n## The seed's sync() in Python, side by side\n\n")
	if r.BaselineSkipped != "" {
		fmt.Fprintf(w, "Skipped: %s.\n", r.BaselineSkipped)
	} else if !r.hasBaseline() {
		fmt.Fprintf(w, "Not run at these sizes.\n")
	} else {
		fmt.Fprintf(w, "bench/seed_sync.py: sequential jinja2.Template per render, yaml.safe_load, DeepDiff against the object from boto3 get_object, put_object per changed pipeline; same repo, same server, its own bucket.\n\n")
		fmt.Fprintf(w, "| services | pipelines | step | seconds | pipelines/s | S3 requests | peak RSS | CPU s | pipegen step | pipegen s | pipegen is |\n")
		fmt.Fprintf(w, "|---:|---:|---|---:|---:|---|---:|---:|---|---:|---:|\n")
		for _, row := range r.Rows {
			if !row.Baseline {
				continue
			}
			for _, step := range baselinePair[row.Step] {
				pg, ok := r.find(row.Services, step, false)
				if !ok {
					continue
				}
				fmt.Fprintf(w, "| %d | %d | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", row.Services, row.Pipelines, row.Step,
					secs(row.M.Wall), rate(row.Pipelines, row.M.Wall), row.M.Requests, mb(row.M.MaxRSS), secs(row.M.CPU),
					step, secs(pg.M.Wall), speedup(row.M.Wall, pg.M.Wall))
			}
		}
	}

	r.targets(w)
	r.linearity(w)
}

func (r *Report) hasBaseline() bool {
	for _, row := range r.Rows {
		if row.Baseline {
			return true
		}
	}
	return false
}

func speedup(base, pg time.Duration) string {
	if pg <= 0 {
		return "–"
	}
	return fmt.Sprintf("%.0f× faster", base.Seconds()/pg.Seconds())
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

func holds(ok bool) string {
	if ok {
		return "yes"
	}
	return "**no**"
}

// targets checks the targets on the size nearest 1000 pipelines.
func (r *Report) targets(w io.Writer) {
	n, ok := r.nearThousand()
	if !ok {
		return
	}
	p := n * PipelinesPerService()
	fmt.Fprintf(w, "\n## Targets (%d pipelines, the measured size nearest 1000)\n\n", p)
	fmt.Fprintf(w, "| target | measured | holds |\n|---|---|---|\n")
	for _, t := range []struct {
		label, step string
		limit       time.Duration
	}{
		{"no-change diff < 0.5 s (warm cache)", StepDiffWarm, TargetDiff},
		{"no-change diff < 0.5 s (cold cache)", StepDiffCold, TargetDiff},
		{"first sync of all creates < 1.5 s (cold cache)", StepFirstSync, TargetSync},
	} {
		if row, ok := r.find(n, t.step, false); ok {
			fmt.Fprintf(w, "| %s | %s s | %s |\n", t.label, secs(row.M.Wall), holds(row.M.Wall < t.limit))
		}
	}
	for _, base := range []string{BaseFirstSync, BaseNoChange, BaseChangedSync} {
		brow, ok := r.find(n, base, true)
		if !ok {
			continue
		}
		for _, step := range baselinePair[base] {
			pg, ok := r.find(n, step, false)
			if !ok || pg.M.Wall <= 0 {
				continue
			}
			x := brow.M.Wall.Seconds() / pg.M.Wall.Seconds()
			fmt.Fprintf(w, "| ≥ 20× faster than the seed's sync(): %s vs %s | %.1f s vs %s s: %.0f× | %s |\n",
				step, base, brow.M.Wall.Seconds(), secs(pg.M.Wall), x, holds(x >= TargetSpeedup))
		}
	}
}

// linearity shows the cost per 1000 pipelines of each step at each size: flat means linear.
func (r *Report) linearity(w io.Writer) {
	sizes := r.sizes()
	if len(sizes) < 2 {
		return
	}
	fmt.Fprintf(w, "\n## Growth: seconds per 1000 pipelines\n\nConstant along a row means cost grows linearly with the number of pipelines.\n\n| step |")
	for _, n := range sizes {
		fmt.Fprintf(w, " %d |", n*PipelinesPerService())
	}
	fmt.Fprintf(w, "\n|---|%s\n", strings.Repeat("---:|", len(sizes)))
	for _, step := range []string{StepRenderCold, StepRenderWarm, StepFirstSync, StepDiffCold, StepDiffWarm, StepSyncNoop, StepChangedSync} {
		fmt.Fprintf(w, "| %s |", step)
		for _, n := range sizes {
			if row, ok := r.find(n, step, false); ok {
				fmt.Fprintf(w, " %.3f |", row.M.Wall.Seconds()*1000/float64(row.Pipelines))
			} else {
				fmt.Fprintf(w, " – |")
			}
		}
		fmt.Fprintln(w)
	}
}
