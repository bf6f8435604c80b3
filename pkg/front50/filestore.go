package front50

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync/atomic"
	"time"
)

// fileStore keeps Front50's layout in a local directory:
// DIR/pipelines/<id>/pipeline-metadata.json and DIR/pipelines/last-modified.json.
// ETags are quoted hex MD5s like S3's for single-part uploads, so a plan made
// against a copy of a bucket carries over.
type fileStore struct {
	dir string // absolute, cleaned
	// lockMadeDir: CreateLock created dir, so DeleteLock removes it if nothing else is in it.
	lockMadeDir atomic.Bool
	commits     *committer
}

const lockName = ".lock"

func openFile(cfg Config) (*fileStore, error) {
	p := strings.TrimPrefix(cfg.URL, "file://")
	if p == "" {
		return nil, fmt.Errorf("store URL %q: no directory (use file://DIR)", cfg.URL)
	}
	p = filepath.FromSlash(p)
	if !filepath.IsAbs(p) {
		base := cfg.BaseDir
		if base == "" {
			wd, err := os.Getwd()
			if err != nil {
				return nil, fmt.Errorf("store URL %q: resolve relative path: %w", cfg.URL, err)
			}
			base = wd
		}
		p = filepath.Join(base, p)
	}
	abs, err := filepath.Abs(p)
	if err != nil {
		return nil, fmt.Errorf("store URL %q: %w", cfg.URL, err)
	}
	if fi, err := os.Stat(abs); err == nil && !fi.IsDir() {
		return nil, fmt.Errorf("store URL %q: %s is not a directory", cfg.URL, abs)
	}
	return &fileStore{dir: abs, commits: newCommitter()}, nil
}

func (s *fileStore) Location() string { return "file://" + filepath.ToSlash(s.dir) }

func (s *fileStore) groupDir() string { return filepath.Join(s.dir, group) }

func (s *fileStore) objPath(id string) string {
	return filepath.Join(s.groupDir(), strings.ToLower(id), metadataFile)
}

func (s *fileStore) lastModifiedPath() string { return filepath.Join(s.groupDir(), lastModifiedFile) }

func fileETag(body []byte) string {
	sum := md5.Sum(body)
	return `"` + hex.EncodeToString(sum[:]) + `"`
}

// checkKey refuses ids that would leave the directory; Get and Delete accept
// any case because Front50 lower-cases keys.
func checkKey(id string) error {
	if err := ValidateID(strings.ToLower(id)); err != nil {
		return fmt.Errorf("invalid pipeline id: %w", err)
	}
	return nil
}

// checkNestedKey is checkKey for a key that may be nested (List's "backup/<id>"): each
// segment must be one.
func checkNestedKey(id string) error {
	for _, seg := range strings.Split(id, "/") {
		if err := checkKey(seg); err != nil {
			return err
		}
	}
	return nil
}

func (s *fileStore) List(ctx context.Context) ([]Info, error) {
	var infos []Info
	// Front50 keeps every key below the group that ends in the metadata file name, at any
	// depth: pipelines/backup/<id>/pipeline-metadata.json is a live pipeline to it.
	err := filepath.WalkDir(s.groupDir(), func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if p == s.groupDir() && errors.Is(err, fs.ErrNotExist) {
				return fs.SkipAll
			}
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if d.IsDir() || d.Name() != metadataFile || filepath.Dir(p) == s.groupDir() {
			return nil
		}
		obj, err := s.read(p)
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(s.groupDir(), filepath.Dir(p))
		obj.ID = filepath.ToSlash(rel)
		infos = append(infos, obj.Info)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", s.groupDir(), err)
	}
	sort.Slice(infos, func(i, j int) bool { return infos[i].ID < infos[j].ID })
	return infos, nil
}

// read takes the size and time from the open file so that they describe the
// bytes read even while a rename replaces the path.
func (s *fileStore) read(path string) (*Object, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file", path)
	}
	body, err := io.ReadAll(f)
	if err != nil {
		return nil, err
	}
	return &Object{
		Info: Info{ETag: fileETag(body), LastModified: fi.ModTime(), Size: int64(len(body))},
		Body: body,
	}, nil
}

func (s *fileStore) Get(ctx context.Context, id string) (*Object, error) {
	if err := checkNestedKey(id); err != nil {
		return nil, fmt.Errorf("get %q: %w", id, err)
	}
	path := s.objPath(id)
	obj, err := s.read(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("get %s: %w", path, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("get %s: %w", path, err)
	}
	obj.ID = strings.ToLower(id)
	return obj, nil
}

func (s *fileStore) Put(ctx context.Context, id string, body []byte, opt PutOptions) (string, error) {
	doc, err := validatePipelineObject(id, body)
	if err != nil {
		return "", err
	}
	if opt.Validated != nil {
		opt.Validated(doc)
	}
	etag, err := s.putPath(ctx, s.objPath(id), body, opt)
	if err == nil {
		observeWrite(id, body)
	}
	return etag, err
}

// putPath writes body at path, conditionally as opt says, under the store lock, in a group
// of concurrent writes that share one flush (filecommit.go).
func (s *fileStore) putPath(ctx context.Context, path string, body []byte, opt PutOptions) (string, error) {
	if opt.IfMatch != "" && opt.IfNoneMatch {
		return "", errors.New("put: IfMatch and IfNoneMatch cannot be combined")
	}
	if err := s.writeCommitted(ctx, path, body, opt); err != nil {
		return "", err
	}
	return fileETag(body), nil
}

func (s *fileStore) Delete(ctx context.Context, id string, ifMatch string) error {
	if err := checkKey(id); err != nil {
		return fmt.Errorf("delete %q: %w", id, err)
	}
	path := s.objPath(id)
	if _, err := os.Stat(s.dir); errors.Is(err, fs.ErrNotExist) {
		// Nothing was ever written; do not create the directory to say so.
		if ifMatch != "" {
			return fmt.Errorf("delete %s: %w", path, ErrNotFound)
		}
		return nil
	}
	unlock, err := s.lock(ctx)
	if err != nil {
		return fmt.Errorf("delete %s: %w", path, err)
	}
	defer unlock()
	cur, err := s.read(path)
	if errors.Is(err, fs.ErrNotExist) {
		if ifMatch != "" {
			return fmt.Errorf("delete %s: %w", path, ErrNotFound)
		}
		return nil
	}
	if err != nil {
		return fmt.Errorf("delete %s: %w", path, err)
	}
	if ifMatch != "" && !SameETag(cur.ETag, ifMatch) {
		return fmt.Errorf("delete %s: %w: ETag is %s, expected %s", path, ErrPrecondition, cur.ETag, ifMatch)
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("delete %s: %w", path, err)
	}
	// The folder goes too, as on S3 where folders are only key prefixes; it
	// stays if something else is in it.
	_ = os.Remove(filepath.Dir(path))
	return syncDir(s.groupDir())
}

func (s *fileStore) LastModified(ctx context.Context) (int64, error) {
	return readLastModified(s.lastModifiedPath())
}

func readLastModified(path string) (int64, error) {
	body, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("read %s: %w", path, err)
	}
	return parseLastModified(body), nil
}

func (s *fileStore) SetLastModified(ctx context.Context, ms int64) error {
	return s.writeLastModified(ctx, s.lastModifiedPath(), ms)
}

func (s *fileStore) writeLastModified(ctx context.Context, path string, ms int64) error {
	unlock, err := s.lock(ctx)
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer unlock()
	if err := writeAtomic(path, lastModifiedBody(ms)); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// ReadLastModified: a local folder's clock is this machine's.
func (s *fileStore) ReadLastModified(ctx context.Context) (int64, string, time.Time, error) {
	return readLastModifiedAt(s.lastModifiedPath())
}

func readLastModifiedAt(path string) (int64, string, time.Time, error) {
	body, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, "", time.Now(), nil
	}
	if err != nil {
		return 0, "", time.Time{}, fmt.Errorf("read %s: %w", path, err)
	}
	return parseLastModified(body), fileETag(body), time.Now(), nil
}

func (s *fileStore) WriteLastModified(ctx context.Context, ms int64, ifETag string) error {
	return s.writeLastModifiedAt(ctx, s.lastModifiedPath(), ms, ifETag)
}

func (s *fileStore) writeLastModifiedAt(ctx context.Context, path string, ms int64, ifETag string) error {
	unlock, err := s.lock(ctx)
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer unlock()
	cur, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if ifETag != "" {
			return fmt.Errorf("write %s: %w: it no longer exists", path, ErrPrecondition)
		}
	case err != nil:
		return fmt.Errorf("write %s: %w", path, err)
	case ifETag == "":
		return fmt.Errorf("write %s: %w: it was created meanwhile", path, ErrPrecondition)
	case !SameETag(fileETag(cur), ifETag):
		return fmt.Errorf("write %s: %w: it changed meanwhile", path, ErrPrecondition)
	}
	if err := writeAtomic(path, lastModifiedBody(ms)); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// lock takes the store-wide lock that makes check-and-write atomic across
// goroutines and processes, creating the directory on first use.
func (s *fileStore) lock(ctx context.Context) (func(), error) {
	if err := os.MkdirAll(s.dir, 0o755); err != nil {
		return nil, err
	}
	return lockFile(ctx, filepath.Join(s.dir, lockName))
}

// writeAtomic replaces path with data so that readers see the old or the new
// content, never a part: temporary file in the same directory, fsync, rename,
// fsync of the directory. The temporary file is removed on any failure.
func writeAtomic(path string, data []byte) (err error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	closed := false
	defer func() {
		if err != nil {
			if !closed {
				f.Close()
			}
			os.Remove(tmp)
		}
	}()
	if _, err := f.Write(data); err != nil {
		return err
	}
	if err := f.Chmod(0o644); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	closed = true
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	return syncDir(dir)
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	return nil
}
