package render

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"strings"
	"sync"
	"unicode/utf8"
)

const (
	// maxTemplateSize bounds one template file; real pipeline templates are a few KiB.
	maxTemplateSize = 4 << 20
	// maxLoadsPerCompile bounds how many files one compilation may read. pongo2 re-reads a file
	// for every include of it, so a hostile include tree grows exponentially; the static check
	// rejects cycles first, this is the backstop.
	maxLoadsPerCompile = 2000
)

// checkRelPath accepts only clean slash paths inside the templates directory.
func checkRelPath(name string) error {
	switch {
	case name == "" || name == ".":
		return errors.New("empty template path")
	case strings.ContainsRune(name, 0):
		return errors.New("template path contains a NUL byte")
	case strings.HasPrefix(name, "/") || strings.HasPrefix(name, `\`) || isDrivePath(name):
		return fmt.Errorf("template path %q is absolute; paths are relative to the templates directory", name)
	case strings.Contains(name, `\`):
		return fmt.Errorf("template path %q contains a backslash; use /", name)
	}
	for _, elem := range strings.Split(name, "/") {
		if elem == ".." {
			return fmt.Errorf("template path %q leaves the templates directory (..)", name)
		}
	}
	if !fs.ValidPath(name) || path.Clean(name) != name {
		return fmt.Errorf("template path %q is not a clean relative path", name)
	}
	return nil
}

func isDrivePath(name string) bool {
	return len(name) >= 2 && name[1] == ':' && ((name[0] >= 'a' && name[0] <= 'z') || (name[0] >= 'A' && name[0] <= 'Z'))
}

// readTemplate reads one template through the sandbox root: os.Root refuses absolute paths,
// ".." and symlinks leading outside the directory. The file is closed before returning.
func readTemplate(root *os.Root, name string) ([]byte, error) {
	if err := checkRelPath(name); err != nil {
		return nil, err
	}
	f, err := root.Open(name)
	if err != nil {
		return nil, sanitizeFSError(name, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, sanitizeFSError(name, err)
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file", name)
	}
	data, err := io.ReadAll(io.LimitReader(f, maxTemplateSize+1))
	if err != nil {
		return nil, sanitizeFSError(name, err)
	}
	if len(data) > maxTemplateSize {
		return nil, fmt.Errorf("%s is larger than %d bytes", name, maxTemplateSize)
	}
	return normalizeSource(data), nil
}

// sanitizeFSError keeps error messages relative to the templates directory: the absolute
// location of the sandbox, or where an escaping symlink points, is nobody's business.
func sanitizeFSError(name string, err error) error {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("%s: %w", name, fs.ErrNotExist)
	case errors.Is(err, fs.ErrPermission):
		return fmt.Errorf("%s: permission denied", name)
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return fmt.Errorf("%s: %v", name, pe.Err)
	}
	return fmt.Errorf("%s: cannot be read", name)
}

// normalizeSource applies what Jinja2 does to every template by default, so output stays
// byte-identical with the Python tool: \r\n and \r become \n, and one trailing newline is
// dropped (keep_trailing_newline=False).
func normalizeSource(data []byte) []byte {
	if bytes.IndexByte(data, '\r') >= 0 {
		data = bytes.ReplaceAll(data, []byte("\r\n"), []byte("\n"))
		data = bytes.ReplaceAll(data, []byte("\r"), []byte("\n"))
	}
	if n := len(data); n > 0 && data[n-1] == '\n' {
		data = data[:n-1]
	}
	return data
}

// firstInvalidUTF8 returns the 1-based line and column of the first invalid UTF-8 byte, or 0, 0.
func firstInvalidUTF8(src []byte) (line, col int) {
	if utf8.Valid(src) {
		return 0, 0
	}
	line, col = 1, 1
	for i := 0; i < len(src); {
		r, size := utf8.DecodeRune(src[i:])
		if r == utf8.RuneError && size == 1 {
			return line, col
		}
		if r == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
		i += size
	}
	return 0, 0
}

// sandboxLoader is the only way pongo2 reaches files. Loads are allowed only while the Engine
// compiles (under its compile lock): every include is static and resolved at compile time, so a
// load during rendering would mean something bypassed the static check.
type sandboxLoader struct {
	root    *os.Root
	resolve func(name string) (string, bool)
	source  func(file string) ([]byte, error) // the text pongo2 compiles for a file

	mu     sync.Mutex
	active bool
	loads  int
}

func (l *sandboxLoader) begin() {
	l.mu.Lock()
	l.active, l.loads = true, 0
	l.mu.Unlock()
}

func (l *sandboxLoader) end() {
	l.mu.Lock()
	l.active = false
	l.mu.Unlock()
}

// Abs resolves names from the templates root, not from the including file (as Jinja2 does).
// It must be idempotent: pongo2 resolves a name once in the tag and again in FromFile.
func (l *sandboxLoader) Abs(_, name string) string {
	if file, ok := l.resolve(name); ok {
		return file
	}
	return name
}

// Get reads a template for pongo2.
func (l *sandboxLoader) Get(name string) (io.Reader, error) {
	l.mu.Lock()
	active := l.active
	if active {
		l.loads++
	}
	loads := l.loads
	l.mu.Unlock()
	if !active {
		return nil, fmt.Errorf("%s: templates are only loaded while compiling", name)
	}
	if loads > maxLoadsPerCompile {
		return nil, fmt.Errorf("%s: more than %d template loads in one compilation (include cycle or include explosion)", name, maxLoadsPerCompile)
	}
	if err := checkRelPath(name); err != nil {
		return nil, err
	}
	data, err := l.source(name)
	if err != nil {
		return nil, err
	}
	return bytes.NewReader(data), nil
}
