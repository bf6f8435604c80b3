package services

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"

	"github.com/pipegen/pipegen/internal/parallel"
	"github.com/pipegen/pipegen/pkg/loc"
	"github.com/pipegen/pipegen/pkg/yamldoc"
	yaml "go.yaml.in/yaml/v3"
)

// Error is a problem in a service file.
type Error = loc.Error

// MaxFileSize bounds one service file. A real one is a few hundred bytes; a file of megabytes
// is a mistake (a generated dump, a binary) and reading it whole would only hide that.
const MaxFileSize = 1 << 20

// Load reads every *.yaml / *.yml file below dir (any depth). root is the services repo root;
// file names in messages are relative to it. Every problem in every file is returned, joined.
func Load(ctx context.Context, root, dir string) (*Repo, error) {
	var files []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if path != dir && strings.HasPrefix(d.Name(), ".") {
				return filepath.SkipDir
			}
			return nil
		}
		if ext := filepath.Ext(path); ext == ".yaml" || ext == ".yml" {
			files = append(files, path)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read services directory: %w", err)
	}
	sort.Strings(files)

	svcs := make([]*Service, len(files))
	errs := make([][]error, len(files))
	if err := parallel.Do(ctx, len(files), runtime.GOMAXPROCS(0), func(i int) {
		svcs[i], errs[i] = loadFile(root, files[i])
	}); err != nil {
		return nil, err
	}

	var all []error
	byName := map[string]*Service{}
	repo := &Repo{}
	for i, s := range svcs {
		all = append(all, errs[i]...)
		if len(errs[i]) > 0 {
			br := Broken{File: displayPath(root, files[i]), Errs: errs[i]}
			if s != nil && appNameRe.MatchString(s.Name) {
				br.Name = s.Name
			}
			repo.Broken = append(repo.Broken, br)
		}
		if s == nil || s.Name == "" {
			continue
		}
		if prev, ok := byName[s.Name]; ok {
			all = append(all, &Error{File: s.File, Line: s.Line, Col: s.Col,
				Msg: fmt.Sprintf("duplicate service %q: also defined in %s:%d:%d", s.Name, prev.File, prev.Line, prev.Col)})
			continue
		}
		byName[s.Name] = s
		repo.Services = append(repo.Services, s)
	}
	sort.Slice(repo.Services, func(i, j int) bool { return repo.Services[i].Name < repo.Services[j].Name })
	return repo, errors.Join(all...)
}

func displayPath(root, path string) string {
	if rel, err := filepath.Rel(root, path); err == nil && !strings.HasPrefix(rel, "..") {
		return filepath.ToSlash(rel)
	}
	return filepath.ToSlash(path)
}

func loadFile(root, path string) (*Service, []error) {
	name := displayPath(root, path)
	fi, err := os.Stat(path)
	if err != nil {
		return nil, []error{&Error{File: name, Msg: err.Error()}}
	}
	if fi.Size() > MaxFileSize {
		return nil, []error{&Error{File: name, Msg: fmt.Sprintf("file is %d bytes; a service file may be at most %d", fi.Size(), MaxFileSize)}}
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, []error{&Error{File: name, Msg: err.Error()}}
	}
	return Parse(name, data)
}

// Parse reads one service file's content; name is how the file is named in messages.
func Parse(name string, data []byte) (*Service, []error) {
	root, err := yamldoc.Parse(data)
	if err != nil {
		var ye *yamldoc.Error
		if errors.As(err, &ye) {
			return nil, []error{&Error{File: name, Line: ye.Line, Col: ye.Col, Msg: ye.Msg}}
		}
		return nil, []error{&Error{File: name, Msg: err.Error()}}
	}
	p := &parser{file: name}
	if root == nil {
		p.errf(nil, "empty service file: it needs at least `name` and `stacks`")
		return nil, p.errs
	}
	svc := p.service(root)
	return svc, p.errs
}

type parser struct {
	file string
	errs []error
}

func (p *parser) errf(n *yaml.Node, format string, args ...any) {
	e := &Error{File: p.file, Msg: fmt.Sprintf(format, args...)}
	if n != nil {
		e.Line, e.Col = n.Line, n.Column
	}
	p.errs = append(p.errs, e)
}

// fields walks a mapping node, calling fn for each known key and reporting unknown ones.
func (p *parser) fields(n *yaml.Node, what string, known map[string]func(k, v *yaml.Node)) {
	if n.Kind != yaml.MappingNode {
		p.errf(n, "%s must be a mapping, not a %s", what, kindName(n))
		return
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		fn, ok := known[k.Value]
		if !ok {
			p.errf(k, "unknown key %q in %s (known: %s)", k.Value, what, strings.Join(sortedKeys(known), ", "))
			continue
		}
		fn(k, v)
	}
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func kindName(n *yaml.Node) string { return yamldoc.KindName(n) }

func (p *parser) str(n *yaml.Node, what string) string {
	if n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!str" {
		p.errf(n, "%s must be a string, not a %s", what, kindName(n))
		return ""
	}
	return n.Value
}

func (p *parser) vars(n *yaml.Node, what string) map[string]any {
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" {
		return nil
	}
	if n.Kind != yaml.MappingNode {
		p.errf(n, "%s must be a mapping, not a %s", what, kindName(n))
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i]
		if isBuiltin(k.Value) {
			p.errf(k, "variable %q would shadow the built-in %q; pick another name", k.Value, k.Value)
		} else if !validVarName(k.Value) && k.ShortTag() != "!!merge" {
			p.errf(k, "variable name %q cannot be used in a template: use letters, digits and _", k.Value)
		}
	}
	v, err := yamldoc.Value(n)
	if err != nil {
		var ye *yamldoc.Error
		if errors.As(err, &ye) {
			p.errs = append(p.errs, &Error{File: p.file, Line: ye.Line, Col: ye.Col, Msg: ye.Msg})
		}
		return nil
	}
	m, _ := v.(map[string]any)
	return m
}

// varsAt records where each key of a vars mapping is written.
func varsAt(n *yaml.Node) map[string]Pos {
	if n.Kind != yaml.MappingNode {
		return nil
	}
	at := make(map[string]Pos, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		at[n.Content[i].Value] = Pos{Line: n.Content[i].Line, Col: n.Content[i].Column}
	}
	return at
}

func validVarName(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		if !(r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || i > 0 && r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

func (p *parser) service(n *yaml.Node) *Service {
	s := &Service{File: p.file}
	var stacksNode *yaml.Node
	var nameNode *yaml.Node
	p.fields(n, "the service", map[string]func(k, v *yaml.Node){
		"name":        func(k, v *yaml.Node) { nameNode = v; s.Name = p.str(v, "name") },
		"product":     func(k, v *yaml.Node) { s.Product = p.str(v, "product") },
		"team":        func(k, v *yaml.Node) { s.Team = p.str(v, "team") },
		"namespace":   func(k, v *yaml.Node) { s.Namespace = p.str(v, "namespace") },
		"gitRepo":     func(k, v *yaml.Node) { s.GitRepo = p.str(v, "gitRepo") },
		"vars":        func(k, v *yaml.Node) { s.Vars, s.VarsAt = p.vars(v, "vars"), varsAt(v) },
		"stacks":      func(k, v *yaml.Node) { stacksNode = v },
		"application": func(k, v *yaml.Node) { s.Application = p.application(v) },
	})
	if n.Kind != yaml.MappingNode {
		return nil
	}
	switch {
	case nameNode == nil:
		p.errf(n, "missing required key `name` (the Spinnaker application)")
	case s.Name == "" && nameNode.ShortTag() == "!!str":
		p.errf(nameNode, "name must not be empty (it is the Spinnaker application)")
	case s.Name != "" && (!appNameRe.MatchString(s.Name) || len(s.Name) > maxNameLen):
		p.errf(nameNode, "name %q must be lower-case letters, digits and -, at most %d characters (it is the Spinnaker application)", s.Name, maxNameLen)
		s.Name = ""
	}
	if nameNode != nil {
		s.Line, s.Col = nameNode.Line, nameNode.Column
	}
	if stacksNode == nil {
		p.errf(n, "missing required key `stacks`")
		return s
	}
	if stacksNode.Kind != yaml.MappingNode {
		p.errf(stacksNode, "stacks must be a mapping of stack name to stack, not a %s", kindName(stacksNode))
		return s
	}
	// Identities (and so ids) ignore case, so two stacks differing only in case would be one.
	seen := map[string]*yaml.Node{}
	for i := 0; i+1 < len(stacksNode.Content); i += 2 {
		k, v := stacksNode.Content[i], stacksNode.Content[i+1]
		if !identRe.MatchString(k.Value) {
			p.errf(k, "stack name %q must be letters, digits, ., _ and -", k.Value)
			continue
		}
		if prev, ok := seen[strings.ToLower(k.Value)]; ok {
			p.errf(k, "stack %q is stack %q again (line %d): stack names are compared ignoring case", k.Value, prev.Value, prev.Line)
			continue
		}
		seen[strings.ToLower(k.Value)] = k
		s.Stacks = append(s.Stacks, p.stack(k, v))
	}
	return s
}

func (p *parser) stack(k, n *yaml.Node) *Stack {
	st := &Stack{Name: k.Value, Line: k.Line, Col: k.Column}
	var pipes *yaml.Node
	p.fields(n, "stack "+st.Name, map[string]func(k, v *yaml.Node){
		"vars":      func(k, v *yaml.Node) { st.Vars, st.VarsAt = p.vars(v, "vars"), varsAt(v) },
		"pipelines": func(k, v *yaml.Node) { pipes = v },
	})
	if n.Kind != yaml.MappingNode {
		return st
	}
	if pipes == nil {
		p.errf(k, "stack %s has no `pipelines`", st.Name)
		return st
	}
	if pipes.Kind != yaml.SequenceNode {
		p.errf(pipes, "pipelines must be a list, not a %s", kindName(pipes))
		return st
	}
	seen := map[string]*Entry{}
	for _, item := range pipes.Content {
		e := p.entry(item)
		if e == nil {
			continue
		}
		if prev, ok := seen[strings.ToLower(e.Key)]; ok {
			p.errf(item, "stack %s uses key %q twice (also at line %d); give one of them another `key:`", st.Name, e.Key, prev.Line)
			continue
		}
		seen[strings.ToLower(e.Key)] = e
		st.Pipelines = append(st.Pipelines, e)
	}
	return st
}

func (p *parser) entry(n *yaml.Node) *Entry {
	e := &Entry{Line: n.Line, Col: n.Column}
	switch n.Kind {
	case yaml.ScalarNode:
		e.Template = p.str(n, "a pipeline entry")
	case yaml.MappingNode:
		var keyNode, idNode *yaml.Node
		p.fields(n, "a pipeline entry", map[string]func(k, v *yaml.Node){
			"template": func(k, v *yaml.Node) { e.Template = p.str(v, "template") },
			"key":      func(k, v *yaml.Node) { keyNode = v; e.Key = p.str(v, "key") },
			"vars":     func(k, v *yaml.Node) { e.Vars, e.VarsAt = p.vars(v, "vars"), varsAt(v) },
			"id":       func(k, v *yaml.Node) { idNode = v; e.ID = p.str(v, "id") },
		})
		if e.Template == "" {
			p.errf(n, "pipeline entry needs `template`")
			return nil
		}
		if idNode != nil && strings.TrimSpace(e.ID) != e.ID || idNode != nil && e.ID == "" {
			p.errf(idNode, "id must be the id of a stored pipeline, without spaces")
			return nil
		}
		if idNode != nil {
			e.IDLine, e.IDCol = idNode.Line, idNode.Column
		}
		if keyNode != nil && e.Key != "" && !identRe.MatchString(e.Key) {
			p.errf(keyNode, "key %q must be letters, digits, ., _ and -", e.Key)
			return nil
		}
	default:
		p.errf(n, "a pipeline entry is a template name or a mapping with `template`, not a %s", kindName(n))
		return nil
	}
	if e.Template == "" {
		return nil
	}
	if strings.HasPrefix(e.Template, "/") || strings.Contains(e.Template, "..") || strings.Contains(e.Template, "\\") {
		p.errf(n, "template name %q must be a name inside the templates folder", e.Template)
		return nil
	}
	if e.Key == "" {
		e.Key = DefaultKey(e.Template)
	}
	return e
}
