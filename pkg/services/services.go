// Package services is the services model: one YAML file per microservice, each with stacks,
// each stack with the pipeline templates it uses. It loads the files strictly (every unknown
// key, wrong type or duplicate is an error with file:line:col) and builds template contexts.
package services

import (
	"fmt"
	"maps"
	"regexp"
	"sort"
	"strings"
)

// Service is one microservice: one Spinnaker application.
type Service struct {
	Name      string
	Product   string
	Team      string
	Namespace string
	GitRepo   string
	Vars      map[string]any
	VarsAt    map[string]Pos // where each variable of Vars is set
	Stacks    []*Stack       // in file order
	// Application is the `application:` block; nil when the file has none.
	Application *Application

	File      string // repo-relative, slash-separated, e.g. "services/azar/my-microservice.yaml"
	Line, Col int    // where `name` is set
}

// Pos is a line and column in a service file.
type Pos struct{ Line, Col int }

// Stack is one environment of a service (dev, qa, stage, prod, …).
type Stack struct {
	Name      string
	Vars      map[string]any
	VarsAt    map[string]Pos
	Pipelines []*Entry
	Line, Col int
}

// Entry is one pipeline of a stack: a template and its identity key within the stack.
type Entry struct {
	Template string
	Key      string
	// ID pins the id of the pipeline this entry manages: set by import, so that the next sync
	// takes over the existing pipeline (made in the UI) under its own id instead of creating
	// one. Empty: the id derived from the identity.
	ID            string
	Vars          map[string]any
	VarsAt        map[string]Pos
	Line, Col     int // where the entry is written, for "template not found" and similar
	IDLine, IDCol int // where id is set
}

// Source names where a pipeline comes from, written the same way in every message and output.
type Source struct {
	File, Stack, Key string
}

func (s Source) String() string { return fmt.Sprintf("%s: %s/%s", s.File, s.Stack, s.Key) }

// Repo is every service of a services directory, sorted by name.
type Repo struct {
	Services []*Service
	// Broken lists the files that failed to load, with the service name each declares when
	// it could be read ("" otherwise), so a command filtered to other services can go ahead.
	Broken []Broken
}

// Broken is a service file with problems.
type Broken struct {
	File, Name string
	Errs       []error
}

// Builtins are the context names pipegen defines; variables may not shadow them.
var Builtins = []string{"app_name", "product", "team", "namespace", "git_repo", "stack", "service", "pipeline_id"}

func isBuiltin(name string) bool {
	for _, b := range Builtins {
		if b == name {
			return true
		}
	}
	return false
}

// ValidName reports whether name can be a service (and Spinnaker application) name.
func ValidName(name string) bool { return appNameRe.MatchString(name) && len(name) <= maxNameLen }

// ValidIdent reports whether s can be a stack name or an entry key.
func ValidIdent(s string) bool { return identRe.MatchString(s) }

// ValidVarName reports whether s can be a template variable's name: a plain identifier that is
// not one of the built-ins.
func ValidVarName(s string) bool { return validVarName(s) && !isBuiltin(s) }

var (
	appNameRe = regexp.MustCompile(`^[a-z0-9][a-z0-9-]*$`)
	// Stack names and keys become part of the pipeline identity and of messages; keeping them to
	// a plain alphabet keeps "service/stack/key" unambiguous.
	identRe = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)
)

// maxNameLen bounds application names: Spinnaker applications become Kubernetes labels and
// monikers, which stop at 63 characters.
const maxNameLen = 63

// Context builds the template context of one entry: the built-ins and the variables merged
// global < service < stack < entry (maps merged deeply, anything else replaced).
func Context(global map[string]any, svc *Service, st *Stack, e *Entry) map[string]any {
	ctx := map[string]any{}
	for _, layer := range []map[string]any{global, svc.Vars, st.Vars, e.Vars} {
		mergeInto(ctx, layer)
	}
	ctx["app_name"] = svc.Name
	ctx["stack"] = st.Name
	ctx["service"] = svc.record()
	// Unset optional fields stay undefined so that a template using them fails with
	// "undefined variable" instead of silently rendering "".
	for k, v := range map[string]string{"product": svc.Product, "team": svc.Team, "namespace": svc.Namespace, "git_repo": svc.GitRepo} {
		if v != "" {
			ctx[k] = v
		}
	}
	return ctx
}

func (s *Service) record() map[string]any {
	stacks := make([]any, 0, len(s.Stacks))
	for _, st := range s.Stacks {
		stacks = append(stacks, st.Name)
	}
	rec := map[string]any{"name": s.Name, "stacks": stacks, "vars": maps.Clone(s.Vars)}
	for k, v := range map[string]string{"product": s.Product, "team": s.Team, "namespace": s.Namespace, "gitRepo": s.GitRepo} {
		if v != "" {
			rec[k] = v
		}
	}
	return rec
}

// mergeInto merges src into dst; nested maps merge, everything else is replaced. Maps taken
// from src are copied so that later layers never write into an earlier layer's values.
func mergeInto(dst, src map[string]any) {
	for k, v := range src {
		if sm, ok := v.(map[string]any); ok {
			if dm, ok := dst[k].(map[string]any); ok {
				merged := make(map[string]any, len(dm)+len(sm))
				mergeInto(merged, dm)
				mergeInto(merged, sm)
				dst[k] = merged
				continue
			}
			cp := make(map[string]any, len(sm))
			mergeInto(cp, sm)
			dst[k] = cp
			continue
		}
		dst[k] = v
	}
}

// Find returns the service with the given name, or nil.
func (r *Repo) Find(name string) *Service {
	i := sort.Search(len(r.Services), func(i int) bool { return r.Services[i].Name >= name })
	if i < len(r.Services) && r.Services[i].Name == name {
		return r.Services[i]
	}
	return nil
}

// DefaultKey is the identity key of an entry that sets none: the template name, with folders
// flattened so the key stays one path segment.
func DefaultKey(template string) string {
	return strings.ReplaceAll(template, "/", "-")
}
