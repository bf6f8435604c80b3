package action

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pipegen/pipegen/internal/faultproxy"
	"github.com/pipegen/pipegen/pkg/front50"
)

// proc is a pipegen process started by a test.
type proc struct {
	cmd            *exec.Cmd
	stdout, stderr bytes.Buffer
	done           chan struct{}
	err            error
	ended          time.Time
}

func startPipegen(t *testing.T, dir string, env []string, args ...string) *proc {
	t.Helper()
	p := &proc{cmd: exec.Command(buildPipegen(t), args...), done: make(chan struct{})}
	p.cmd.Dir = dir
	p.cmd.Env = env
	p.cmd.Stdout, p.cmd.Stderr = &p.stdout, &p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.err = p.cmd.Wait(); p.ended = time.Now(); close(p.done) }()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			_ = p.cmd.Process.Kill()
			<-p.done
		}
	})
	return p
}

// wait returns the exit code, failing the test if the process does not end in time.
func (p *proc) wait(t *testing.T, limit time.Duration) int {
	t.Helper()
	select {
	case <-p.done:
	case <-time.After(limit):
		_ = p.cmd.Process.Kill()
		<-p.done
		t.Fatalf("pipegen did not end within %v\nstderr:\n%s", limit, p.stderr.String())
	}
	var ee *exec.ExitError
	if errors.As(p.err, &ee) {
		return ee.ExitCode()
	}
	if p.err != nil {
		t.Fatal(p.err)
	}
	return 0
}

func runPipegen(t *testing.T, dir string, env []string, args ...string) (int, string, string) {
	t.Helper()
	p := startPipegen(t, dir, env, args...)
	code := p.wait(t, 2*time.Minute)
	return code, p.stdout.String(), p.stderr.String()
}

// waitFor polls cond until it holds or the process ends; it reports whether cond held.
func waitFor(p *proc, limit time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		if cond() {
			return true
		}
		select {
		case <-p.done:
			return cond()
		case <-time.After(5 * time.Millisecond):
		}
	}
	return false
}

var (
	createdRe = regexp.MustCompile(`(?m)^created (\S+/\S+) \(([0-9a-f-]+)\)$`)
	skippedRe = regexp.MustCompile(`(?m)^skipped: (\S+/\S+) not created \(interrupted before it started\)$`)
)

// storedNames maps application/name to pipeline id for every pipeline object in a snapshot.
func storedNames(t *testing.T, snap map[string]string, prefix string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for id, body := range byID(snap, prefix) {
		var doc struct{ Application, Name string }
		if err := json.Unmarshal([]byte(body), &doc); err != nil {
			t.Fatalf("%s: %v", id, err)
		}
		out[doc.Application+"/"+doc.Name] = id
	}
	return out
}

// Guarantee 2: SIGINT or SIGTERM part-way through a large sync stops new writes, lets the
// ones in flight finish, bumps last-modified.json for what was written, reports each pipeline
// written and each one not started, and exits 1; the store is valid and a re-run converges.
func TestSyncInterrupted(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		t.Run(sig.String(), func(t *testing.T) {
			srv, bucket := testS3.Bucket(t)
			px := newFaultProxy(t, srv)
			// Slow enough that the sync is still writing when the signal comes.
			px.SetLatency(15 * time.Millisecond)
			r := newRepo(t, synthFiles(100, 1)) // 300 pipelines
			env := awsEnv(srv)
			args := []string{"sync", "--allow-empty-store", "-C", r.root, "--store", "s3://" + bucket, "--endpoint", px.URL, "--concurrency", "4"}
			p := startPipegen(t, r.root, env, args...)
			// Applications are written first: count the pipelines' writes (and not the lock's).
			pipelinePuts := func(e faultproxy.Entry) bool {
				return e.Method == "PUT" && strings.Contains(e.Key, "/pipelines/") && !strings.HasSuffix(e.Key, front50.LockName)
			}
			puts := func() bool { return px.Count(pipelinePuts) >= 40 }
			if !waitFor(p, time.Minute, puts) {
				t.Fatalf("the sync never got to 40 writes\nstderr:\n%s", p.stderr.String())
			}
			if err := p.cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			code := p.wait(t, time.Minute)
			stderr := p.stderr.String()
			if code != 1 {
				t.Fatalf("exit %d after %v, want 1\nstderr:\n%s", code, sig, stderr)
			}
			if !strings.Contains(stderr, "sync interrupted") || !strings.Contains(stderr, "run pipegen sync again") {
				t.Errorf("stderr does not say the sync was interrupted:\n%s", lastLines(stderr, 5))
			}
			raw := rawS3{srv: srv, bucket: bucket, root: "front50"}
			snap := raw.snapshot(t)
			checkIntegrity(t, snap, "front50/", false)
			stored := storedNames(t, snap, "front50/")
			created := createdRe.FindAllStringSubmatch(stderr, -1)
			skipped := skippedRe.FindAllStringSubmatch(stderr, -1)
			if len(created) == 0 || len(skipped) == 0 || len(created)+len(skipped) != 300 {
				t.Fatalf("reported %d created and %d skipped, want both and 300 in all\n%s", len(created), len(skipped), lastLines(stderr, 5))
			}
			// What it says it wrote is exactly what is stored; what it says it skipped is not.
			for _, m := range created {
				if stored[m[1]] != m[2] {
					t.Errorf("reported created %s (%s), stored as %q", m[1], m[2], stored[m[1]])
				}
			}
			for _, m := range skipped {
				if id, ok := stored[m[1]]; ok {
					t.Errorf("reported skipped %s but it is stored (%s)", m[1], id)
				}
			}
			if len(stored) != len(created) {
				t.Errorf("%d pipelines stored, %d reported created", len(stored), len(created))
			}
			if want := fmt.Sprintf("Applied: %d created, 0 updated, 0 deleted, %d not started.", len(created), len(skipped)); !strings.Contains(p.stdout.String(), want) {
				t.Errorf("stdout lacks %q:\n%s", want, lastLines(p.stdout.String(), 3))
			}
			if lastModifiedOf(snap, "front50/") == 0 {
				t.Error("last-modified.json not bumped although pipelines were written")
			}

			// Nothing new started after the signal: the writes that reached S3 are the ones
			// reported, plus the bump (and the lock's create, not counted).
			putsAfter := px.Count(pipelinePuts)
			if putsAfter != len(created)+1 {
				t.Errorf("%d PUTs reached S3, %d pipelines reported written (+1 for last-modified.json)", putsAfter, len(created))
			}
			// The applications came first, all of them, each reported, and their bump.
			appPuts := px.Count(func(e faultproxy.Entry) bool { return e.Method == "PUT" && strings.Contains(e.Key, "/applications/") })
			if n := len(regexp.MustCompile(`(?m)^created application \S+$`).FindAllString(stderr, -1)); appPuts != 100+1 || n != 100 {
				t.Errorf("%d application PUTs, %d reported; want 100 applications and the bump", appPuts, n)
			}

			px.SetLatency(0)
			if code, _, stderr := runPipegen(t, r.root, env, args...); code != 0 {
				t.Fatalf("re-run: exit %d\n%s", code, lastLines(stderr, 5))
			}
			if code, out, _ := runPipegen(t, r.root, env, "diff", "--exit-code", "-C", r.root, "--store", "s3://"+bucket, "--endpoint", px.URL); code != 0 {
				t.Fatalf("not converged: diff --exit-code %d\n%s", code, lastLines(out, 2))
			}
			n := checkIntegrity(t, raw.snapshot(t), "front50/", false)
			t.Logf("FIGURES interrupt %s: after 40 writes; %d written and reported, %d not started and reported, %d PUTs reached S3; re-run converged with %d objects valid", sig, len(created), len(skipped), putsAfter, n)
		})
	}
}

// SIGKILL gives pipegen no chance to finish anything: the store still holds only whole,
// valid objects (S3 writes are atomic; the file store renames complete files into place) and
// a re-run converges and bumps last-modified.json.
func TestSyncKilled(t *testing.T) {
	t.Run("s3", func(t *testing.T) {
		srv, bucket := testS3.Bucket(t)
		px := newFaultProxy(t, srv)
		px.SetLatency(15 * time.Millisecond)
		r := newRepo(t, synthFiles(100, 1))
		env := awsEnv(srv)
		args := []string{"sync", "--allow-empty-store", "-C", r.root, "--store", "s3://" + bucket, "--endpoint", px.URL, "--concurrency", "4"}
		p := startPipegen(t, r.root, env, args...)
		if !waitFor(p, time.Minute, func() bool {
			return px.Count(func(e faultproxy.Entry) bool { return e.Method == "PUT" }) >= 40
		}) {
			t.Fatalf("the sync never got to 40 writes\n%s", p.stderr.String())
		}
		_ = p.cmd.Process.Kill()
		p.wait(t, time.Minute)
		raw := rawS3{srv: srv, bucket: bucket, root: "front50"}
		killedWith := checkIntegrity(t, raw.snapshot(t), "front50/", false)
		px.SetLatency(0)
		unlockKilled(t, r.root, env, args, func() map[string]string { return raw.snapshot(t) }, "front50/")
		assertConverges(t, r.root, env, args, func() map[string]string { return raw.snapshot(t) }, "front50/", false)
		t.Logf("killed with %d objects stored", killedWith)
	})
	t.Run("file", func(t *testing.T) {
		r := newRepo(t, synthFiles(200, 1)) // 600 pipelines, each written with two fsyncs
		dir := filepath.Join(t.TempDir(), "front50")
		args := []string{"sync", "--allow-empty-store", "-C", r.root, "--store", "file://" + dir, "--concurrency", "4"}
		p := startPipegen(t, r.root, os.Environ(), args...)
		pipelines := filepath.Join(dir, "pipelines")
		killed := waitFor(p, time.Minute, func() bool {
			entries, _ := os.ReadDir(pipelines)
			return len(entries) >= 30
		})
		_ = p.cmd.Process.Kill()
		p.wait(t, time.Minute)
		raw := rawFile{dir: dir}
		n := checkIntegrity(t, raw.snapshot(t), "", true)
		if killed {
			unlockKilled(t, r.root, os.Environ(), args, func() map[string]string { return raw.snapshot(t) }, "")
		} else {
			t.Logf("the sync ended before the kill; %d objects", n)
		}
		assertConverges(t, r.root, os.Environ(), args, func() map[string]string { return raw.snapshot(t) }, "", true)
	})
}

var lockIDRe = regexp.MustCompile(`pipegen force-unlock ([0-9a-f-]{36})\n`)

// unlockKilled checks what a killed sync leaves: its lock, which refuses the next sync at once
// (exit 1, the lock id named, nothing written), until force-unlock releases it.
func unlockKilled(t *testing.T, root string, env, args []string, snapshot func() map[string]string, prefix string) {
	t.Helper()
	before := snapshot()
	held := before[prefix+front50.LockName]
	info, err := front50.ParseLockInfo([]byte(held))
	if err != nil {
		t.Fatalf("the killed sync left no readable lock (%v): %q", err, held)
	}
	start := time.Now()
	code, _, stderr := runPipegen(t, root, env, args...)
	if code != 1 || !strings.Contains(stderr, "locked by another sync: lock "+info.ID) {
		t.Fatalf("sync after the kill: exit %d, want 1 naming lock %s\n%s", code, info.ID, stderr)
	}
	m := lockIDRe.FindStringSubmatch(stderr)
	if m == nil || m[1] != info.ID {
		t.Fatalf("stderr does not say how to release lock %s:\n%s", info.ID, stderr)
	}
	t.Logf("refused in %v", time.Since(start).Round(time.Millisecond))
	if after := snapshot(); !maps.Equal(before, after) {
		t.Fatal("the refused sync changed the store")
	}
	unlock := append([]string{"force-unlock", m[1]}, syncOnly(args[1:])...)
	if code, out, stderr := runPipegen(t, root, env, unlock...); code != 0 || !strings.Contains(out, "Released lock "+info.ID) {
		t.Fatalf("force-unlock: exit %d\n%s%s", code, out, stderr)
	}
	if _, ok := snapshot()[prefix+front50.LockName]; ok {
		t.Fatal("force-unlock left the lock")
	}
}

// assertConverges re-runs a sync, then checks the store is valid, bumped and diffs clean.
func assertConverges(t *testing.T, root string, env, args []string, snapshot func() map[string]string, prefix string, allowTemp bool) {
	t.Helper()
	if code, _, stderr := runPipegen(t, root, env, args...); code != 0 {
		t.Fatalf("re-run: exit %d\n%s", code, lastLines(stderr, 5))
	}
	snap := snapshot()
	checkIntegrity(t, snap, prefix, allowTemp)
	if lastModifiedOf(snap, prefix) == 0 {
		t.Error("no last-modified.json after the re-run")
	}
	diffArgs := append([]string{"diff", "--exit-code"}, syncOnly(args[1:])...)
	if code, out, stderr := runPipegen(t, root, env, diffArgs...); code != 0 {
		t.Fatalf("not converged: diff --exit-code %d\n%s%s", code, lastLines(out, 2), stderr)
	}
}

// syncOnly drops the flags of sync that other commands do not take.
func syncOnly(args []string) []string {
	var out []string
	for i := 0; i < len(args); i++ {
		switch args[i] {
		case "--concurrency", "--lock-timeout", "--max-deletes":
			i++
		case "--allow-empty-store", "--adopt":
		default:
			out = append(out, args[i])
		}
	}
	return out
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// The CLI's side of guarantee 1: a pipeline S3 refuses makes sync exit 1 and name it, while
// the others are written.
func TestSyncCLINamesFailedPipelines(t *testing.T) {
	srv, bucket := testS3.Bucket(t)
	px := newFaultProxy(t, srv)
	r := newRepo(t, synthFiles(3, 1))
	env := awsEnv(srv)
	args := []string{"sync", "--allow-empty-store", "-C", r.root, "--store", "s3://" + bucket, "--endpoint", px.URL}
	// svc-002/verify-prod: its id, as the plan derives it.
	id := pipelineIDOf(t, r, "svc-002", "verify-prod")
	px.SetPolicy(faultproxy.OnKey("PUT", id+"/pipeline-metadata.json", faultproxy.Forbidden))
	code, stdout, stderr := runPipegen(t, r.root, env, args...)
	if code != 1 {
		t.Fatalf("exit %d, want 1\n%s", code, stderr)
	}
	if !regexp.MustCompile(`(?m)^failed: svc-002/verify-prod not created: .*access denied`).MatchString(stderr) {
		t.Errorf("stderr does not name the failed pipeline:\n%s", stderr)
	}
	if !strings.Contains(stdout, "Applied: 8 created, 0 updated, 0 deleted, 1 failed.") {
		t.Errorf("stdout:\n%s", stdout)
	}
	if strings.Contains(stderr+stdout, srv.SecretKey) {
		t.Error("the secret key was printed")
	}
	px.SetPolicy(nil)
	raw := rawS3{srv: srv, bucket: bucket, root: "front50"}
	assertConverges(t, r.root, env, args, func() map[string]string { return raw.snapshot(t) }, "front50/", false)
}

func pipelineIDOf(t *testing.T, r *repo, app, name string) string {
	t.Helper()
	b := r.render(Filter{})
	for _, p := range b.Pipelines {
		if p.Application == app && p.Name == name {
			return p.ID
		}
	}
	t.Fatalf("no %s/%s", app, name)
	return ""
}
