package front50

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// LockName is the sync lock's object, directly under the root folder. Front50 lists each of
// its groups with the prefix "<root>/<group>" (no trailing slash), so a name that began with
// a group's name ("pipelines-lock") would be listed with that group; this one begins with
// none of them (lock_test.go checks it against Front50's ObjectType groups).
const LockName = "pipegen.lock"

// LockInfo is the lock object's content: who holds the lock, where, since when, for what.
type LockInfo struct {
	ID      string    `json:"id"`
	Who     string    `json:"who"`
	Host    string    `json:"host"`
	PID     int       `json:"pid"`
	Created time.Time `json:"created"`
	Command string    `json:"command"`
	Version string    `json:"version,omitempty"`
}

// LockHandle identifies one version of the lock object, for a conditional delete.
type LockHandle struct {
	ETag      string
	VersionID string // set by versioned buckets; deleting by version leaves no delete marker
}

// Locker stores the sync lock: one create-only object per store location.
type Locker interface {
	// CreateLock writes body only if no lock object exists; ErrPrecondition when one does.
	CreateLock(ctx context.Context, body []byte) (LockHandle, error)
	// ReadLock returns the lock object; ErrNotFound when there is none.
	ReadLock(ctx context.Context) ([]byte, LockHandle, error)
	// DeleteLock removes the lock object only if it is still the version h names;
	// ErrPrecondition when it is another, ErrNotFound when there is none.
	DeleteLock(ctx context.Context, h LockHandle) error
	// LockLocation names the lock object for messages.
	LockLocation() string
	// HasData reports whether the location holds any Front50 object (any .json key under
	// the root folder), so that a mistyped location is not taken for a new store.
	HasData(ctx context.Context) (bool, error)
}

// Unwrapper is a Store that wraps another (request counting, caching).
type Unwrapper interface{ Unwrap() Store }

// LockerOf finds the Locker behind s, looking through wrappers.
func LockerOf(s Store) (Locker, bool) { return behind[Locker](s) }

// HeldError says the lock is held by someone else.
type HeldError struct {
	Location string
	Info     LockInfo
	// Unreadable is set when the lock object exists but is not a lock pipegen wrote.
	Unreadable error
}

func (e *HeldError) Error() string {
	if e.Unreadable != nil {
		return fmt.Sprintf("%s exists but is not a pipegen lock (%v); if no sync is running, delete that object by hand", e.Location, e.Unreadable)
	}
	return fmt.Sprintf("the store is locked by another sync: %s", e.Info.Describe())
}

// Describe is one line naming the holder: id, who, host, pid, since when, command.
func (i LockInfo) Describe() string {
	return fmt.Sprintf("lock %s held by %s on %s (pid %d) since %s, running %q",
		i.ID, i.Who, i.Host, i.PID, i.Created.UTC().Format(time.RFC3339), i.Command)
}

// Lock is a held lock.
type Lock struct {
	Info   LockInfo
	locker Locker
	handle LockHandle
}

// TryLock makes one attempt to take the lock: a *HeldError when someone holds it.
func TryLock(ctx context.Context, l Locker, info LockInfo) (*Lock, error) {
	body, err := json.MarshalIndent(info, "", "  ")
	if err != nil {
		return nil, err
	}
	body = append(body, '\n')
	for range 3 {
		h, err := l.CreateLock(ctx, body)
		if err == nil {
			return &Lock{Info: info, locker: l, handle: h}, nil
		}
		if !errors.Is(err, ErrPrecondition) {
			return nil, fmt.Errorf("take the lock %s: %w", l.LockLocation(), err)
		}
		cur, h, err := l.ReadLock(ctx)
		switch {
		case errors.Is(err, ErrNotFound):
			continue // released between our create and our read: try again
		case err != nil:
			return nil, fmt.Errorf("read the lock %s: %w", l.LockLocation(), err)
		case bytes.Equal(cur, body):
			// An earlier attempt of ours wrote it and its answer was lost; the id is unique.
			return &Lock{Info: info, locker: l, handle: h}, nil
		}
		held := &HeldError{Location: l.LockLocation()}
		held.Info, held.Unreadable = ParseLockInfo(cur)
		return nil, held
	}
	return nil, fmt.Errorf("take the lock %s: the server refuses to create it although it does not exist (a versioned bucket whose server refuses If-None-Match over a delete marker?); remove every version of that key", l.LockLocation())
}

// ParseLockInfo decodes a lock object; an object without an id is not a pipegen lock.
func ParseLockInfo(body []byte) (LockInfo, error) {
	var info LockInfo
	if err := json.Unmarshal(body, &info); err != nil {
		return info, fmt.Errorf("not JSON: %w", err)
	}
	if info.ID == "" {
		return info, errors.New("no lock id")
	}
	return info, nil
}

// ReadHeld returns the lock held now, or nil when none is.
func ReadHeld(ctx context.Context, l Locker) (*HeldError, error) {
	body, _, err := l.ReadLock(ctx)
	if errors.Is(err, ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read the lock %s: %w", l.LockLocation(), err)
	}
	held := &HeldError{Location: l.LockLocation()}
	held.Info, held.Unreadable = ParseLockInfo(body)
	return held, nil
}

// Release deletes the lock if it is still the one this Lock wrote. A lock that was
// force-unlocked (and perhaps taken by another sync since) is left alone and reported.
func (lk *Lock) Release(ctx context.Context) error {
	err := lk.locker.DeleteLock(ctx, lk.handle)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, ErrNotFound), errors.Is(err, ErrPrecondition):
		return fmt.Errorf("release lock %s: it was released by someone else (pipegen force-unlock?) while this sync held it: %w", lk.Info.ID, err)
	}
	return fmt.Errorf("release lock %s at %s: %w; once no sync is running: pipegen force-unlock %s", lk.Info.ID, lk.locker.LockLocation(), err, lk.Info.ID)
}

// ErrNoLock means force-unlock found no lock, or another lock than the one named.
var ErrNoLock = errors.New("no such lock")

// ForceUnlock releases the lock whose id is id, whoever holds it, and returns what it said.
func ForceUnlock(ctx context.Context, l Locker, id string) (LockInfo, error) {
	body, h, err := l.ReadLock(ctx)
	if errors.Is(err, ErrNotFound) {
		return LockInfo{}, fmt.Errorf("%w: %s does not exist, nothing to release", ErrNoLock, l.LockLocation())
	}
	if err != nil {
		return LockInfo{}, fmt.Errorf("read the lock %s: %w", l.LockLocation(), err)
	}
	info, perr := ParseLockInfo(body)
	if perr != nil {
		return info, fmt.Errorf("%s is not a pipegen lock (%v); delete that object by hand if no sync is running", l.LockLocation(), perr)
	}
	if !strings.EqualFold(strings.TrimSpace(id), info.ID) {
		return info, fmt.Errorf("%w: the lock is %s, not %s; nothing released", ErrNoLock, info.Describe(), id)
	}
	if err := l.DeleteLock(ctx, h); err != nil {
		if errors.Is(err, ErrNotFound) || errors.Is(err, ErrPrecondition) {
			return info, fmt.Errorf("%w: lock %s changed while releasing it (its sync ended?): %w", ErrNoLock, id, err)
		}
		return info, fmt.Errorf("release lock %s at %s: %w", id, l.LockLocation(), err)
	}
	return info, nil
}

// lockKey is the lock's name joined to the root folder as Front50 joins its groups.
func (l layout) lockKey() string {
	return strings.ReplaceAll(l.root+"/"+LockName, "//", "/")
}

// dataPrefix is the root folder as a key prefix.
func (l layout) dataPrefix() string {
	return strings.ReplaceAll(l.root+"/", "//", "/")
}
