package action

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pipegen/pipegen/pkg/front50"
)

// lockRun is one round of two pipegen sync processes started together on one store.
type lockRun struct {
	t        *testing.T
	env      storeEnv
	url      string // the round's store
	a, b     *repo  // every pipeline of b differs from a's
	syncArgs []string
}

func (l *lockRun) args(cmd string, r *repo, extra ...string) []string {
	out := []string{cmd, "-C", r.root, "--store", l.url}
	if l.env.endpoint != "" {
		out = append(out, "--endpoint", l.env.endpoint)
	}
	return append(out, extra...)
}

// both starts a's and b's syncs together and waits for them.
func (l *lockRun) both() (pa, pb *proc) {
	pa = startPipegen(l.t, l.a.root, os.Environ(), l.args("sync", l.a, l.syncArgs...)...)
	pb = startPipegen(l.t, l.b.root, os.Environ(), l.args("sync", l.b, l.syncArgs...)...)
	pa.wait(l.t, time.Minute)
	pb.wait(l.t, time.Minute)
	return pa, pb
}

// wholly returns which repo the store matches entirely ("a" or "b"), or "mix".
func (l *lockRun) wholly() string {
	l.t.Helper()
	var same []string
	for name, r := range map[string]*repo{"a": l.a, "b": l.b} {
		code, out, stderr := runPipegen(l.t, r.root, os.Environ(), l.args("diff", r, "--exit-code")...)
		switch code {
		case 0:
			same = append(same, name)
		case 2:
		default:
			l.t.Fatalf("diff of %s: exit %d\n%s%s", name, code, out, stderr)
		}
	}
	if len(same) != 1 {
		return "mix"
	}
	return same[0]
}

func exitOf(p *proc) int {
	if p.cmd.ProcessState == nil {
		return -1
	}
	return p.cmd.ProcessState.ExitCode()
}

func newLockRun(t *testing.T, env storeEnv, round int, extra ...string) *lockRun {
	return &lockRun{
		t: t, env: env, url: fmt.Sprintf("%s/lock-%02d", env.url, round),
		a: newRepo(t, synthFiles(4, 1)), b: newRepo(t, synthFiles(4, 3)),
		syncArgs: append([]string{"--allow-empty-store", "--concurrency", "4"}, extra...),
	}
}

// Two syncs with --lock-timeout started together both succeed, one after the other, and the
// store ends wholly as the second one's: never a mix of two commits.
func TestTwoSyncsWithLockTimeout(t *testing.T) {
	forEachStore(t, func(t *testing.T, env storeEnv) {
		waited := 0
		for round := range 2 {
			l := newLockRun(t, env, round, "--lock-timeout", "30s")
			if round%2 == 1 {
				l.a, l.b = l.b, l.a
			}
			pa, pb := l.both()
			for name, p := range map[string]*proc{"a": pa, "b": pb} {
				if exitOf(p) != 0 {
					t.Fatalf("round %d: sync %s exit %d\n%s", round, name, exitOf(p), p.stderr.String())
				}
			}
			aWaited := strings.Contains(pa.stderr.String(), "waiting up to 30s for the lock")
			bWaited := strings.Contains(pb.stderr.String(), "waiting up to 30s for the lock")
			second := "b"
			switch {
			case aWaited && bWaited:
				t.Fatalf("round %d: both syncs waited for the lock", round)
			case aWaited:
				second = "a"
			case !bWaited && pa.ended.After(pb.ended):
				second = "a" // they did not overlap: the later one is second
			}
			if aWaited || bWaited {
				waited++
			}
			if got := l.wholly(); got != second {
				t.Fatalf("round %d: the store is %s's, want wholly the second sync's (%s)", round, got, second)
			}
			if _, err := os.Stat(filepath.Join(strings.TrimPrefix(l.url, "file://"), "pipegen.lock")); err == nil {
				t.Fatalf("round %d: the lock is still there", round)
			}
		}
		if waited == 0 {
			t.Fatal("in no round did a sync wait for the other's lock: the test did not test the wait")
		}
		t.Logf("FIGURES lock timeout (%s): 2 rounds of two syncs started together, %d with a wait, all succeeded, store wholly the second's", filepath.Base(t.Name()), waited)
	})
}

// Without --lock-timeout, two syncs started together never both succeed into a mix: each
// round one of them is refused at once naming the lock (exit 1, nothing written), or they did
// not overlap; either way the store is wholly one repo's.
func TestTwoSyncsWithoutLockTimeoutNeverMix(t *testing.T) {
	forEachStore(t, func(t *testing.T, env storeEnv) {
		refused := 0
		l := newLockRun(t, env, 0)
		for round := range 4 {
			pa, pb := l.both()
			ok := 0
			for name, p := range map[string]*proc{"a": pa, "b": pb} {
				stderr := p.stderr.String()
				switch exitOf(p) {
				case 0:
					ok++
				case 1:
					refused++
					if !strings.Contains(stderr, "the store is locked by another sync: lock ") || !strings.Contains(stderr, "pipegen force-unlock ") {
						t.Errorf("round %d: sync %s exit 1 without naming the lock:\n%s", round, name, stderr)
					}
					if strings.Contains(stderr, "failed:") || strings.Contains(stderr, "created ") || strings.Contains(stderr, "updated ") {
						t.Errorf("round %d: the refused sync %s wrote:\n%s", round, name, stderr)
					}
				default:
					t.Fatalf("round %d: sync %s exit %d\n%s", round, name, exitOf(p), stderr)
				}
			}
			if ok == 0 {
				t.Fatalf("round %d: neither sync succeeded", round)
			}
			if got := l.wholly(); got == "mix" {
				t.Fatalf("round %d: the store is a mix of both repos after %d successes", round, ok)
			}
			l.a, l.b = l.b, l.a // the loser of one round may win the next
		}
		if refused == 0 {
			t.Fatal("no sync was ever refused: the syncs never overlapped, so the lock was not tested")
		}
		t.Logf("FIGURES lock no timeout (%s): 4 rounds of two syncs started together, %d refused at once naming the lock, never a mix", filepath.Base(t.Name()), refused)
	})
}

// A lock someone holds: diff says so and goes on; sync --lock-timeout waits, then gives up
// naming it; force-unlock releases only that id; then sync runs.
func TestLockHeldCLI(t *testing.T) {
	forEachStore(t, func(t *testing.T, env storeEnv) {
		l := newLockRun(t, env, 0)
		if code, _, stderr := runPipegen(t, l.a.root, os.Environ(), l.args("sync", l.a, "--allow-empty-store")...); code != 0 {
			t.Fatalf("first sync: exit %d\n%s", code, stderr)
		}
		store, err := front50.Open(context.Background(), front50.Config{URL: l.url, Endpoint: env.endpoint})
		if err != nil {
			t.Fatal(err)
		}
		held, err := AcquireLock(context.Background(), store, LockOptions{Command: "pipegen sync --prune"})
		if err != nil {
			t.Fatal(err)
		}
		id := held.Info.ID

		code, _, stderr := runPipegen(t, l.b.root, os.Environ(), l.args("diff", l.b)...)
		if code != 0 || !strings.Contains(stderr, "note: a sync is running on") || !strings.Contains(stderr, "lock "+id) {
			t.Fatalf("diff with a lock held: exit %d\n%s", code, stderr)
		}
		before := l.wholly()
		start := time.Now()
		code, _, stderr = runPipegen(t, l.b.root, os.Environ(), l.args("sync", l.b, "--lock-timeout", "1s")...)
		waited := time.Since(start)
		if code != 1 || !strings.Contains(stderr, "waiting up to 1s for the lock") || !strings.Contains(stderr, "gave up after waiting 1") ||
			!strings.Contains(stderr, "lock "+id+" held by") || !strings.Contains(stderr, "pipegen force-unlock "+id) {
			t.Fatalf("sync --lock-timeout 1s: exit %d\n%s", code, stderr)
		}
		if waited < time.Second {
			t.Errorf("gave up after %v, before the timeout", waited)
		}
		if after := l.wholly(); after != before || after != "a" {
			t.Fatalf("the refused sync changed the store: %s, then %s", before, after)
		}
		unlock := func(id string) (int, string) {
			args := []string{"force-unlock", id, "-C", l.b.root, "--store", l.url}
			if env.endpoint != "" {
				args = append(args, "--endpoint", env.endpoint)
			}
			code, out, stderr := runPipegen(t, l.b.root, os.Environ(), args...)
			return code, out + stderr
		}
		if code, out := unlock("00000000-0000-4000-8000-000000000000"); code != 1 || !strings.Contains(out, "nothing released") {
			t.Fatalf("force-unlock of another id: exit %d\n%s", code, out)
		}
		if code, out := unlock(id); code != 0 || !strings.Contains(out, "Released lock "+id) || !strings.Contains(out, `running "pipegen sync --prune"`) {
			t.Fatalf("force-unlock: exit %d\n%s", code, out)
		}
		if err := held.Release(context.Background()); err == nil {
			t.Error("the force-unlocked holder's release reported success")
		}
		if code, _, stderr := runPipegen(t, l.b.root, os.Environ(), l.args("sync", l.b)...); code != 0 {
			t.Fatalf("sync after force-unlock: exit %d\n%s", code, stderr)
		}
		if got := l.wholly(); got != "b" {
			t.Fatalf("after the sync the store is %s's, want b's", got)
		}
	})
}
