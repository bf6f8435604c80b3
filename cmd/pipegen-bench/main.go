// Command pipegen-bench is pipegen's end-to-end benchmark (`make bench`): synthetic services
// repos of several sizes, versitygw on loopback, the real pipegen binary timed as a
// subprocess, and the seed's sync() in Python on the same repo and server. It prints the
// results and writes them as Markdown. See docs/PERFORMANCE.md.
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"strings"

	"github.com/pipegen/pipegen/internal/bench"
)

func main() {
	opt := bench.Options{Log: os.Stderr}
	var services, baseline, env, out string
	flag.StringVar(&opt.Pipegen, "pipegen", "bin/pipegen", "the pipegen binary to measure")
	flag.StringVar(&out, "out", "", "write the results as Markdown to this file too")
	flag.StringVar(&services, "services", "84,834", "repo sizes in services (12 pipelines each): 1008 and 10008 pipelines, the sizes issue 16's targets compare")
	flag.IntVar(&opt.Repeat, "repeat", 3, "runs per step (median reported) for repos of at most -repeat-max pipelines")
	flag.IntVar(&opt.RepeatMax, "repeat-max", 3000, "bigger repos run once")
	flag.StringVar(&baseline, "baseline", "84", "repo sizes (services) on which to run the Python seed baseline; empty for none")
	flag.StringVar(&opt.Python, "python", "/usr/bin/python3", "Python interpreter for the baseline")
	flag.StringVar(&opt.Script, "script", "bench/seed_sync.py", "the baseline script")
	flag.StringVar(&env, "env", "", "extra environment for pipegen, space-separated KEY=VALUE (e.g. GOGC=400)")
	flag.StringVar(&opt.WorkDir, "work", "", "folder for repos and server data (default: a temporary one)")
	flag.BoolVar(&opt.Keep, "keep", false, "keep the work folder")
	flag.StringVar(&opt.HeapProfiles, "heapprofile", "", "write a heap profile of each pipegen step near its peak into this folder (PIPEGEN_HEAPPROFILE), one per step and size")
	flag.Parse()

	var err error
	if opt.Services, err = ints(services); err != nil {
		fail(fmt.Errorf("-services: %w", err))
	}
	if opt.Baseline, err = ints(baseline); err != nil {
		fail(fmt.Errorf("-baseline: %w", err))
	}
	opt.Env = strings.Fields(env)

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	rep, err := bench.Run(ctx, opt)
	if err != nil {
		fail(err)
	}
	var md bytes.Buffer
	rep.Markdown(&md)
	os.Stdout.Write(md.Bytes())
	if out != "" {
		if err := os.WriteFile(out, md.Bytes(), 0o644); err != nil {
			fail(err)
		}
		fmt.Fprintf(os.Stderr, "wrote %s\n", out)
	}
}

func ints(s string) ([]int, error) {
	var out []int
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' }) {
		n, err := strconv.Atoi(f)
		if err != nil || n < 1 {
			return nil, fmt.Errorf("%q is not a positive number", f)
		}
		out = append(out, n)
	}
	return out, nil
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "pipegen-bench:", err)
	os.Exit(1)
}
