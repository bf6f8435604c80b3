package front50

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
)

// A sync writes thousands of objects, and a flush to disk per object (fsync of the file and
// of its folder) costs far more than writing it. Writes therefore commit in groups: each Put
// queues its write, and whichever Put gets the turn commits everything queued so far under
// one hold of the store lock: it checks each write's condition, writes every temporary file,
// flushes them all at once, renames them into place and flushes each folder touched once.
// While one group is flushing, the next one gathers, so concurrent writers (a sync writes 32
// at a time) share their flushes without waiting for a timer. Every Put still returns only
// once its own object is on disk, and a crash at any point leaves each object as before or as
// written, because a rename happens only after its data are flushed.

// maxGroup bounds a group so that its open files and the time it holds the store lock stay small.
const maxGroup = 256

// writeReq is one conditional write waiting for its group.
type writeReq struct {
	path string
	body []byte
	opt  PutOptions

	err  error         // the write's outcome, final once done is closed
	done chan struct{} // closed when the write was committed or failed

	tmp *os.File // the temporary file, while the group commits
}

// committer queues writes and lets one goroutine at a time commit them.
type committer struct {
	mu      sync.Mutex
	pending []*writeReq
	turn    chan struct{} // capacity 1: held by the goroutine committing a group
}

func newCommitter() *committer { return &committer{turn: make(chan struct{}, 1)} }

// withdraw takes r out of the queue; false when a group already took it.
func (c *committer) withdraw(r *writeReq) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, p := range c.pending {
		if p == r {
			c.pending = append(c.pending[:i], c.pending[i+1:]...)
			return true
		}
	}
	return false
}

// take removes the next group from the queue: at most maxGroup writes, one per path (a
// second write of a path waits for the next group, so that its condition sees the first).
func (c *committer) take() []*writeReq {
	c.mu.Lock()
	defer c.mu.Unlock()
	var group, rest []*writeReq
	paths := map[string]bool{}
	for _, r := range c.pending {
		if len(group) == maxGroup || paths[r.path] {
			rest = append(rest, r)
			continue
		}
		paths[r.path] = true
		group = append(group, r)
	}
	c.pending = rest
	return group
}

// writeCommitted writes body at path, conditionally as opt says, and returns once it is on
// disk or has failed. Once its group has taken it, a write is seen through whatever ctx says,
// so that the error returned always tells whether the object was written.
func (s *fileStore) writeCommitted(ctx context.Context, path string, body []byte, opt PutOptions) error {
	r := &writeReq{path: path, body: body, opt: opt, done: make(chan struct{})}
	c := s.commits
	c.mu.Lock()
	c.pending = append(c.pending, r)
	c.mu.Unlock()
	for {
		select {
		case <-r.done:
			return r.err
		case <-ctx.Done():
			if c.withdraw(r) {
				return fmt.Errorf("put %s: %w", path, ctx.Err())
			}
			<-r.done
			return r.err
		case c.turn <- struct{}{}:
			flushDirs, err := s.commitGroup(ctx)
			<-c.turn
			if err != nil {
				if c.withdraw(r) {
					return fmt.Errorf("put %s: %w", path, err)
				}
				continue
			}
			// The next group stages and flushes its files while this one flushes its folders.
			flushDirs()
			// r is done, or waits for a later group behind another write of its path.
		}
	}
}

// commitGroup checks, writes, flushes and renames the queued writes under the store lock,
// and returns what remains to be done once the lock is released: flushing the folders and
// telling each write its outcome. Its error is the lock's: the writes are left queued then.
func (s *fileStore) commitGroup(ctx context.Context) (flushDirs func(), err error) {
	unlock, err := s.lock(ctx)
	if err != nil {
		return nil, err
	}
	defer unlock()
	group := s.commits.take()
	finish := func(r *writeReq, err error) {
		if r.tmp != nil {
			r.tmp.Close()
			os.Remove(r.tmp.Name())
			r.tmp = nil
		}
		if err != nil {
			r.err = fmt.Errorf("put %s: %w", r.path, err)
		}
		close(r.done)
	}
	// Folders to flush once the renames are done: each object's, and the parent of each
	// folder made for one (its entry is new too).
	dirErr := map[string]error{}
	var staged []*writeReq
	for _, r := range group {
		made, err := s.stage(r)
		for d := filepath.Dir(r.path); made != ""; d = filepath.Dir(d) {
			dirErr[filepath.Dir(d)] = nil
			if d == made || d == filepath.Dir(d) {
				break
			}
		}
		if err != nil {
			finish(r, err)
			continue
		}
		staged = append(staged, r)
	}
	// One flush for every file: fsyncs issued together share the file system's journal commits.
	errs := inParallel(len(staged), func(i int) error { return staged[i].tmp.Sync() })
	var renamed []*writeReq
	for i, r := range staged {
		err := errs[i]
		if err == nil {
			err = r.tmp.Close()
		}
		if err == nil {
			err = os.Rename(r.tmp.Name(), r.path)
		}
		if err != nil {
			finish(r, err)
			continue
		}
		r.tmp = nil
		renamed = append(renamed, r)
	}
	for _, r := range renamed {
		dirErr[filepath.Dir(r.path)] = nil
	}
	return func() { flushFolders(renamed, dirErr, finish) }, nil
}

// flushFolders flushes each folder of dirErr once, then finishes every renamed write.
func flushFolders(renamed []*writeReq, dirErr map[string]error, finish func(*writeReq, error)) {
	dirs := make([]string, 0, len(dirErr))
	for d := range dirErr {
		dirs = append(dirs, d)
	}
	for i, err := range inParallel(len(dirs), func(i int) error { return syncDir(dirs[i]) }) {
		dirErr[dirs[i]] = err
	}
	// A write lasts only if its folder and every folder above it flushed here did.
	for _, r := range renamed {
		var err error
		for d := filepath.Dir(r.path); err == nil; d = filepath.Dir(d) {
			err = dirErr[d]
			if d == filepath.Dir(d) {
				break
			}
		}
		finish(r, err)
	}
}

// stage checks r's condition against the object as stored now and writes its temporary file,
// not yet flushed, beside the object. made is the highest folder it created, "" if none.
func (s *fileStore) stage(r *writeReq) (made string, err error) {
	if r.opt.IfMatch != "" || r.opt.IfNoneMatch {
		cur, err := s.read(r.path)
		exists := err == nil
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return "", err
		}
		switch {
		case r.opt.IfNoneMatch && exists:
			return "", fmt.Errorf("%w: it already exists", ErrPrecondition)
		case r.opt.IfMatch != "" && !exists:
			return "", fmt.Errorf("%w: it no longer exists", ErrPrecondition)
		case r.opt.IfMatch != "" && !SameETag(cur.ETag, r.opt.IfMatch):
			return "", fmt.Errorf("%w: ETag is %s, expected %s", ErrPrecondition, cur.ETag, r.opt.IfMatch)
		}
	}
	dir := filepath.Dir(r.path)
	made, err = mkdirs(dir)
	if err != nil {
		return "", err
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(r.path)+".tmp-*")
	if err != nil {
		return made, err
	}
	r.tmp = f
	if _, err := f.Write(r.body); err != nil {
		return made, err
	}
	return made, f.Chmod(0o644)
}

// mkdirs is os.MkdirAll that also returns the highest folder it created ("" if none), whose
// parent must be flushed for the new folders to last.
func mkdirs(dir string) (string, error) {
	if fi, err := os.Stat(dir); err == nil {
		if !fi.IsDir() {
			return "", &os.PathError{Op: "mkdir", Path: dir, Err: fs.ErrExist}
		}
		return "", nil
	}
	top := dir
	for {
		parent := filepath.Dir(top)
		if parent == top {
			break
		}
		if _, err := os.Stat(parent); err == nil {
			break
		}
		top = parent
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	return top, nil
}

// inParallel runs fn(0..n-1) at once and returns their errors by index.
func inParallel(n int, fn func(i int) error) []error {
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = fn(i)
		}()
	}
	wg.Wait()
	return errs
}
