package action

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/user"
	"time"

	"github.com/google/uuid"
	"github.com/pipegen/pipegen/pkg/front50"
)

// LockOptions shape taking the sync lock.
type LockOptions struct {
	// Timeout is how long to wait for a held lock; 0 gives up at once.
	Timeout time.Duration
	Command string // the command line, recorded in the lock for whoever finds it held
	Version string
	Now     func() time.Time
	// Waiting is called once, when the lock is found held and Timeout lets us wait.
	Waiting func(held *front50.HeldError)
	// BaseDelay is the first wait between attempts (doubled up to 20 times it, with
	// jitter); default 200ms.
	BaseDelay time.Duration
}

// LockTimeoutError says the lock stayed held for the whole --lock-timeout.
type LockTimeoutError struct {
	Waited time.Duration
	Held   *front50.HeldError
}

func (e *LockTimeoutError) Error() string {
	return fmt.Sprintf("gave up after waiting %s: %v", e.Waited.Round(time.Millisecond), e.Held)
}
func (e *LockTimeoutError) Unwrap() error { return e.Held }

// ErrNoLocker means the store cannot hold the sync lock, so sync refuses to run unlocked.
var ErrNoLocker = errors.New("this store cannot hold the sync lock")

// AcquireLock takes the store's sync lock for a whole read-plan-write. When someone holds it
// it returns a *front50.HeldError at once, or with a Timeout waits with backoff and then
// returns a *LockTimeoutError.
func AcquireLock(ctx context.Context, store front50.Store, opt LockOptions) (*front50.Lock, error) {
	l, ok := front50.LockerOf(store)
	if !ok {
		return nil, fmt.Errorf("%w: %s", ErrNoLocker, store.Location())
	}
	now := opt.Now
	if now == nil {
		now = time.Now
	}
	info := front50.LockInfo{
		ID:      uuid.NewString(),
		Who:     currentUser(),
		PID:     os.Getpid(),
		Created: now().UTC().Truncate(time.Millisecond),
		Command: opt.Command,
		Version: opt.Version,
	}
	info.Host, _ = os.Hostname()
	base := opt.BaseDelay
	if base <= 0 {
		base = 200 * time.Millisecond
	}
	start := time.Now()
	deadline := start.Add(opt.Timeout)
	for attempt := 0; ; attempt++ {
		lk, err := front50.TryLock(ctx, l, info)
		var held *front50.HeldError
		if !errors.As(err, &held) {
			return lk, err
		}
		left := time.Until(deadline)
		if left <= 0 {
			if opt.Timeout > 0 {
				return nil, &LockTimeoutError{Waited: time.Since(start), Held: held}
			}
			return nil, held
		}
		if attempt == 0 && opt.Waiting != nil {
			opt.Waiting(held)
		}
		d := min(base<<min(attempt, 5), 20*base)
		d = d/2 + rand.N(d/2+1) // jitter, so that waiters started together do not retry together
		t := time.NewTimer(min(d, left))
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, fmt.Errorf("waiting for the lock: %w", ctx.Err())
		case <-t.C:
		}
	}
}

// LockHeld returns the lock held on store now, nil when none (or when the store has no lock).
func LockHeld(ctx context.Context, store front50.Store) (*front50.HeldError, error) {
	l, ok := front50.LockerOf(store)
	if !ok {
		return nil, nil
	}
	return front50.ReadHeld(ctx, l)
}

// ForceUnlock releases the lock named id on store.
func ForceUnlock(ctx context.Context, store front50.Store, id string) (front50.LockInfo, error) {
	l, ok := front50.LockerOf(store)
	if !ok {
		return front50.LockInfo{}, fmt.Errorf("%w: %s", ErrNoLocker, store.Location())
	}
	return front50.ForceUnlock(ctx, l, id)
}

func currentUser() string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	for _, k := range []string{"USER", "USERNAME", "LOGNAME"} {
		if v := os.Getenv(k); v != "" {
			return v
		}
	}
	return "unknown"
}
