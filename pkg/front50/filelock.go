package front50

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

func (s *fileStore) lockPath() string { return filepath.Join(s.dir, LockName) }

func (s *fileStore) LockLocation() string { return s.Location() + "/" + LockName }

// CreateLock writes the whole body to a temporary file, then hard-links it to the lock's
// name: link fails when the name exists, so creation is atomic and no reader ever sees a
// half-written lock.
func (s *fileStore) CreateLock(ctx context.Context, body []byte) (LockHandle, error) {
	if _, err := os.Stat(s.dir); errors.Is(err, fs.ErrNotExist) {
		if err := os.MkdirAll(s.dir, 0o755); err != nil {
			return LockHandle{}, err
		}
		s.lockMadeDir.Store(true)
	}
	f, err := os.CreateTemp(s.dir, "."+LockName+".tmp-*")
	if err != nil {
		return LockHandle{}, err
	}
	tmp := f.Name()
	defer os.Remove(tmp)
	_, err = f.Write(body)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return LockHandle{}, fmt.Errorf("write %s: %w", tmp, err)
	}
	if err := os.Link(tmp, s.lockPath()); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return LockHandle{}, fmt.Errorf("create %s: %w: it exists", s.lockPath(), ErrPrecondition)
		}
		return LockHandle{}, fmt.Errorf("create %s: %w", s.lockPath(), err)
	}
	if err := syncDir(s.dir); err != nil {
		return LockHandle{}, err
	}
	return LockHandle{ETag: fileETag(body)}, nil
}

func (s *fileStore) ReadLock(ctx context.Context) ([]byte, LockHandle, error) {
	body, err := os.ReadFile(s.lockPath())
	if errors.Is(err, fs.ErrNotExist) {
		return nil, LockHandle{}, fmt.Errorf("read %s: %w", s.lockPath(), ErrNotFound)
	}
	if err != nil {
		return nil, LockHandle{}, fmt.Errorf("read %s: %w", s.lockPath(), err)
	}
	return body, LockHandle{ETag: fileETag(body)}, nil
}

// DeleteLock compares and removes under a flock of the folder (which, unlike the store's
// .lock file, creates nothing); every delete takes it and a create needs the name free, so
// the lock cannot change between the two. A folder the lock created is removed if the sync
// left it empty, so that a sync that wrote nothing leaves nothing.
func (s *fileStore) DeleteLock(ctx context.Context, h LockHandle) error {
	unlock, err := lockDir(ctx, s.dir)
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("delete %s: %w", s.lockPath(), ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("delete %s: %w", s.lockPath(), err)
	}
	defer unlock()
	_, cur, err := s.ReadLock(ctx)
	if err != nil {
		return err
	}
	if !SameETag(cur.ETag, h.ETag) {
		return fmt.Errorf("delete %s: %w: it is another lock now", s.lockPath(), ErrPrecondition)
	}
	if err := os.Remove(s.lockPath()); err != nil {
		return fmt.Errorf("delete %s: %w", s.lockPath(), err)
	}
	if s.lockMadeDir.Load() && os.Remove(s.dir) == nil { // only if empty
		return nil
	}
	return syncDir(s.dir)
}

// HasData looks for any .json file under the folder; dot-files (the flock file, temporary
// files) and the sync lock are pipegen's own and do not count.
func (s *fileStore) HasData(ctx context.Context) (bool, error) {
	found := errors.New("found")
	err := filepath.WalkDir(s.dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && strings.HasSuffix(d.Name(), ".json") && !strings.HasPrefix(d.Name(), ".") {
			return found
		}
		return ctx.Err()
	})
	switch {
	case errors.Is(err, found):
		return true, nil
	case errors.Is(err, fs.ErrNotExist):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("look for data in %s: %w", s.dir, err)
	}
	return false, nil
}
