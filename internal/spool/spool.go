// Package spool keeps byte strings in a temporary file instead of the heap. Diff and sync at
// ten thousand pipelines would otherwise hold every rendered value and every document they
// are about to write at once; with a spool they hold an offset and a length for each.
package spool

import (
	"errors"
	"fmt"
	"os"
	"sync"
)

// Ref names one string in a spool. The zero Ref is the empty string.
type Ref struct {
	off int64
	n   int
}

// Len is the length of the string.
func (r Ref) Len() int { return r.n }

// File is a spool. It is safe for concurrent use: Put appends under a lock, Get reads with
// ReadAt, which needs none.
type File struct {
	mu   sync.Mutex
	f    *os.File
	path string
	size int64
	err  error // the first write failure: every later Put reports it
}

// New creates a spool in dir (os.TempDir() when empty). Close removes it.
func New(dir string) (*File, error) {
	f, err := os.CreateTemp(dir, "pipegen-spool-*")
	if err != nil {
		return nil, fmt.Errorf("create spool file: %w", err)
	}
	s := &File{f: f, path: f.Name()}
	// Unlinked at once where the system allows it, so a killed run leaves nothing behind.
	if os.Remove(s.path) == nil {
		s.path = ""
	}
	return s, nil
}

// Put stores b and returns its reference.
func (s *File) Put(b []byte) (Ref, error) {
	if len(b) == 0 {
		return Ref{}, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.f == nil {
		return Ref{}, errClosed
	}
	if s.err != nil {
		return Ref{}, s.err
	}
	off := s.size
	if _, err := s.f.WriteAt(b, off); err != nil {
		s.err = fmt.Errorf("write spool file: %w", err)
		return Ref{}, s.err
	}
	s.size += int64(len(b))
	return Ref{off: off, n: len(b)}, nil
}

// Get returns a new copy of the string r names.
func (s *File) Get(r Ref) ([]byte, error) {
	if r.n == 0 {
		return nil, nil
	}
	s.mu.Lock()
	f := s.f
	s.mu.Unlock()
	if f == nil {
		return nil, errClosed
	}
	b := make([]byte, r.n)
	if _, err := f.ReadAt(b, r.off); err != nil {
		return nil, fmt.Errorf("read spool file: %w", err)
	}
	return b, nil
}

var errClosed = errors.New("spool: closed")

// Close removes the spool; Get and Put fail afterwards. Closing twice, or a nil spool, does
// nothing.
func (s *File) Close() error {
	if s == nil {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.f == nil {
		return nil
	}
	err := s.f.Close()
	s.f = nil
	if s.path != "" {
		if rerr := os.Remove(s.path); err == nil {
			err = rerr
		}
	}
	return err
}
