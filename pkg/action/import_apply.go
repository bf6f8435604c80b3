package action

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
)

// ApplyImport writes an import's files and nothing else: new files are created (never
// replacing one), the service file is replaced only if it still holds what the plan read. On
// failure what was written is undone, so a failed import leaves the repo as it was.
func ApplyImport(ip *ImportPlan) error {
	var fresh, changed []ImportedFile
	for _, f := range ip.Files {
		if f.Old == nil {
			fresh = append(fresh, f)
		} else {
			changed = append(changed, f)
		}
	}
	for _, f := range changed {
		now, err := os.ReadFile(f.Path)
		if err != nil {
			return fmt.Errorf("read %s: %w", f.Display, err)
		}
		if !bytes.Equal(now, f.Old) {
			return fmt.Errorf("%s changed since the import was planned; run pipegen import again", f.Display)
		}
	}
	undo, err := createFiles(fresh)
	if err != nil {
		return err
	}
	for _, f := range changed {
		if err := replaceFile(f); err != nil {
			undo()
			return err
		}
	}
	return nil
}

// replaceFile writes a file through a temporary file in its folder and a rename, so a reader
// never sees half of it, and keeps its permissions.
func replaceFile(f ImportedFile) error {
	info, err := os.Stat(f.Path)
	if err != nil {
		return fmt.Errorf("write %s: %w", f.Display, err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(f.Path), ".pipegen-import-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", f.Display, err)
	}
	_, err = tmp.Write(f.Data)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp.Name(), info.Mode().Perm())
	}
	if err == nil {
		err = os.Rename(tmp.Name(), f.Path)
	}
	if err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("write %s: %w", f.Display, err)
	}
	return nil
}

// writeNewFiles creates every file, refusing to replace one; on failure it removes what it
// wrote.
func writeNewFiles(files []ImportedFile) error {
	_, err := createFiles(files)
	return err
}

// createFiles creates every file (and missing folders), refusing to replace one. On failure it
// removes what it created; on success it returns the function that would.
func createFiles(files []ImportedFile) (undo func(), err error) {
	var written []string
	var dirs []string
	undo = func() {
		for i := len(written) - 1; i >= 0; i-- {
			os.Remove(written[i])
		}
		for i := len(dirs) - 1; i >= 0; i-- {
			os.Remove(dirs[i]) // only succeeds when empty, which is what we want
		}
	}
	for _, f := range files {
		dir := filepath.Dir(f.Path)
		var missing []string
		for d := dir; ; d = filepath.Dir(d) {
			if _, err := os.Stat(d); err == nil {
				break
			}
			missing = append([]string{d}, missing...)
			if filepath.Dir(d) == d {
				break
			}
		}
		dirs = append(dirs, missing...)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			undo()
			return nil, fmt.Errorf("create %s: %w", filepath.Dir(f.Display), err)
		}
		fh, err := os.OpenFile(f.Path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if err != nil {
			undo()
			return nil, fmt.Errorf("write %s: %w", f.Display, err)
		}
		written = append(written, f.Path)
		_, err = fh.Write(f.Data)
		if cerr := fh.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			undo()
			return nil, fmt.Errorf("write %s: %w", f.Display, err)
		}
	}
	return undo, nil
}
