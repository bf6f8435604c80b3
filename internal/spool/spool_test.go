package spool

import (
	"bytes"
	"fmt"
	"os"
	"sync"
	"testing"
)

func TestPutGetConcurrent(t *testing.T) {
	s, err := New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	const n = 2000
	refs := make([]Ref, n)
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n; i += 8 {
				r, err := s.Put(bytes.Repeat([]byte(fmt.Sprintf("%d,", i)), i%50+1))
				if err != nil {
					t.Error(err)
					return
				}
				refs[i] = r
			}
		}()
	}
	wg.Wait()
	for i, r := range refs {
		got, err := s.Get(r)
		if err != nil {
			t.Fatal(err)
		}
		if want := bytes.Repeat([]byte(fmt.Sprintf("%d,", i)), i%50+1); !bytes.Equal(got, want) {
			t.Fatalf("entry %d: got %q, want %q", i, got, want)
		}
	}
}

func TestEmptyAndClosed(t *testing.T) {
	dir := t.TempDir()
	s, err := New(dir)
	if err != nil {
		t.Fatal(err)
	}
	r, err := s.Put(nil)
	if err != nil || r.Len() != 0 {
		t.Fatalf("empty put: %v %v", r, err)
	}
	if b, err := s.Get(r); err != nil || len(b) != 0 {
		t.Fatalf("empty get: %q %v", b, err)
	}
	full, _ := s.Put([]byte("x"))
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second close: %v", err)
	}
	if _, err := s.Get(full); err == nil {
		t.Fatal("Get after Close succeeded")
	}
	if _, err := s.Put([]byte("y")); err == nil {
		t.Fatal("Put after Close succeeded")
	}
	left, _ := os.ReadDir(dir)
	if len(left) != 0 {
		t.Fatalf("files left in the spool's folder: %v", left)
	}
}
