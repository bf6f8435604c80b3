package bench

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"
)

// Measurement is one run of a program: wall and CPU time and peak memory as the OS accounts
// them, and the HTTP requests the S3 server handled meanwhile.
type Measurement struct {
	Wall     time.Duration
	CPU      time.Duration // user + system
	MaxRSS   int64         // bytes; 0 when the OS does not say
	Requests Requests
}

// Requests counts S3 requests by kind, from the server's request log.
type Requests struct {
	List, Get, Head, Put, Delete, Other int
	Known                               bool // false when the log could not be read
}

// Total is every request counted.
func (r Requests) Total() int { return r.List + r.Get + r.Head + r.Put + r.Delete + r.Other }

func (r Requests) String() string {
	if !r.Known {
		return "n/a"
	}
	var parts []string
	for _, c := range []struct {
		n    int
		name string
	}{{r.List, "LIST"}, {r.Get, "GET"}, {r.Head, "HEAD"}, {r.Put, "PUT"}, {r.Delete, "DELETE"}, {r.Other, "other"}} {
		if c.n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", c.n, c.name))
		}
	}
	if len(parts) == 0 {
		return "0"
	}
	return strings.Join(parts, ", ")
}

// run executes a program and measures it. Its standard output goes to a file whose path is
// returned (for checking the result; the caller removes it): a render of ten thousand
// pipelines prints a hundred megabytes, and holding them would grow this process, whose
// peak Linux then reports as every later child's (see peakRSS). Standard error is kept for
// the error message.
func run(ctx context.Context, counter *requestLog, env []string, dir string, name string, args ...string) (string, Measurement, error) {
	out, err := os.CreateTemp("", "pipegen-bench-stdout-*")
	if err != nil {
		return "", Measurement{}, err
	}
	defer out.Close()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = env
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stdout = out
	cmd.Stderr = &stderr
	mark := counter.mark()
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return out.Name(), Measurement{}, err
	}
	peak := watchPeakRSS(cmd.Process.Pid)
	err = cmd.Wait()
	m := Measurement{Wall: time.Since(start)}
	if cmd.ProcessState != nil {
		m.CPU, m.MaxRSS = usage(cmd.ProcessState)
	}
	if p := peak(); p > 0 {
		m.MaxRSS = p
	}
	m.Requests = counter.since(mark)
	if err != nil {
		return out.Name(), m, fmt.Errorf("%s %s: %w\n%s", filepath.Base(name), strings.Join(args, " "), err, tail(stderr.String(), 2000))
	}
	return out.Name(), m, nil
}

// readOutput returns a step's standard output (small for every step but render) and
// removes its file.
func readOutput(path string) ([]byte, error) {
	defer os.Remove(path)
	return os.ReadFile(path)
}

func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}

// requestLog counts requests from versitygw's access log: one line per request, naming its S3
// operation ("… s3_GetObject front50/pipelines/…"). Counting there costs the measured programs
// nothing, where a counting proxy would sit in every request's path.
type requestLog struct {
	path string // "" when unknown: counts are then not known
}

// mark is the log's current size.
func (l *requestLog) mark() int64 {
	if l.path == "" {
		return -1
	}
	st, err := os.Stat(l.path)
	if err != nil {
		return -1
	}
	return st.Size()
}

// since counts the requests logged after mark. The server may log a request just after
// answering it, so this waits until the log has stopped growing.
func (l *requestLog) since(mark int64) Requests {
	if mark < 0 {
		return Requests{}
	}
	size := l.mark()
	for stable := 0; stable < 4; {
		time.Sleep(25 * time.Millisecond)
		if s := l.mark(); s == size {
			stable++
		} else {
			size, stable = s, 0
		}
	}
	f, err := os.Open(l.path)
	if err != nil {
		return Requests{}
	}
	defer f.Close()
	if _, err := f.Seek(mark, io.SeekStart); err != nil {
		return Requests{}
	}
	text, err := io.ReadAll(io.LimitReader(f, size-mark))
	if err != nil {
		return Requests{}
	}
	return countRequests(string(text))
}

var operationRe = regexp.MustCompile(`(?m) s3_([A-Za-z0-9]+) `)

// countRequests counts access-log lines by S3 operation.
func countRequests(log string) Requests {
	r := Requests{Known: true}
	for _, m := range operationRe.FindAllStringSubmatch(log, -1) {
		switch m[1] {
		case "ListObjectsV2", "ListObjects":
			r.List++
		case "GetObject":
			r.Get++
		case "HeadObject":
			r.Head++
		case "PutObject":
			r.Put++
		case "DeleteObject":
			r.Delete++
		default:
			r.Other++
		}
	}
	return r
}

// median returns the measurement with the median wall time, with median CPU and the largest
// peak memory of the runs.
func median(ms []Measurement) Measurement {
	if len(ms) == 0 {
		return Measurement{}
	}
	byWall := append([]Measurement(nil), ms...)
	sort.Slice(byWall, func(i, j int) bool { return byWall[i].Wall < byWall[j].Wall })
	out := byWall[len(byWall)/2]
	cpus := make([]time.Duration, len(ms))
	for i, m := range ms {
		cpus[i] = m.CPU
		out.MaxRSS = max(out.MaxRSS, m.MaxRSS)
	}
	sort.Slice(cpus, func(i, j int) bool { return cpus[i] < cpus[j] })
	out.CPU = cpus[len(cpus)/2]
	return out
}

// countArray counts the elements of the JSON array in a file, one element in memory at a time.
func countArray(path string) (int, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	dec := json.NewDecoder(bufio.NewReader(f))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('[') {
		return 0, fmt.Errorf("no array (%v)", err)
	}
	n := 0
	for dec.More() {
		var doc json.RawMessage
		if err := dec.Decode(&doc); err != nil {
			return n, err
		}
		n++
	}
	if tok, err := dec.Token(); err != nil || tok != json.Delim(']') {
		return n, fmt.Errorf("array not closed (%v)", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return n, errors.New("data after the array")
	}
	return n, nil
}
