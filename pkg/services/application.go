package services

import (
	"errors"
	"sort"
	"strings"

	"github.com/pipegen/pipegen/pkg/yamldoc"
	yaml "go.yaml.in/yaml/v3"
)

// Application is a service's `application:` block: the Spinnaker application its pipelines live
// in, as Front50 stores it. Only what the block declares is managed; nil/empty fields were not
// written in the file.
type Application struct {
	Email          *string
	Description    *string
	CloudProviders []string // nil: not declared
	// Permissions maps READ/WRITE/EXECUTE to groups (lower-case, sorted). nil: not declared, so
	// the application's permission object is left as it is; an empty map: declared empty, which
	// Fiat reads as "unrestricted".
	Permissions map[string][]string
	// Attributes are the other Front50 application attributes, passed through as JSON values.
	Attributes map[string]any

	Line, Col int
}

// Declared lists the application-object attributes the block sets (permissions excluded: they
// live in their own object), sorted.
func (a *Application) Declared() []string {
	var keys []string
	if a.Email != nil {
		keys = append(keys, "email")
	}
	if a.Description != nil {
		keys = append(keys, "description")
	}
	if a.CloudProviders != nil {
		keys = append(keys, "cloudProviders")
	}
	for k := range a.Attributes {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// PermissionKinds are the authorizations an application's permissions may grant, in Fiat's order.
var PermissionKinds = []string{"READ", "WRITE", "EXECUTE"}

// reservedAppKeys are set by pipegen or Front50, never by the service file.
var reservedAppKeys = map[string]string{
	"name":           "it is the service's `name`",
	"createTs":       "Front50 and pipegen set it",
	"updateTs":       "Front50 and pipegen set it",
	"lastModifiedBy": "Front50 and pipegen set it",
	"lastModified":   "it is Front50's internal field",
	"createdAt":      "Front50 ignores it",
	"id":             "Front50 ignores it (the id is the name)",
	"details":        "write the attributes directly under `application:`",
	"pipegen":        "it holds pipegen's ownership marker",
}

// trafficGuardFields are the fields of Front50's Application.TrafficGuard: strings, and
// `enabled` a boolean. Jackson refuses any other field, and that one refusal stops Front50 from
// refreshing every application.
var trafficGuardFields = map[string]bool{"account": false, "stack": false, "detail": false, "location": false, "enabled": true}

func (p *parser) application(n *yaml.Node) *Application {
	if n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	if n.Kind != yaml.MappingNode {
		p.errf(n, "application must be a mapping, not a %s", kindName(n))
		return nil
	}
	a := &Application{Line: n.Line, Col: n.Column}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if v.Kind == yaml.AliasNode {
			v = v.Alias
		}
		switch k.Value {
		case "email":
			s := p.str(v, "application.email")
			if v.ShortTag() == "!!str" && strings.TrimSpace(s) == "" {
				p.errf(v, "application.email must not be empty (Front50 refuses an application without one)")
			}
			a.Email = &s
		case "description":
			s := p.str(v, "application.description")
			a.Description = &s
		case "cloudProviders":
			a.CloudProviders = p.cloudProviders(v)
		case "permissions":
			a.Permissions = p.permissions(v)
		default:
			if why, ok := reservedAppKeys[k.Value]; ok {
				p.errf(k, "application.%s cannot be set here: %s", k.Value, why)
				continue
			}
			val, err := yamldoc.Value(v)
			if err != nil {
				var ye *yamldoc.Error
				if errors.As(err, &ye) {
					p.errs = append(p.errs, &Error{File: p.file, Line: ye.Line, Col: ye.Col, Msg: ye.Msg})
				} else {
					p.errf(v, "application.%s: %v", k.Value, err)
				}
				continue
			}
			if k.Value == "trafficGuards" && !p.trafficGuards(v, val) {
				continue
			}
			if a.Attributes == nil {
				a.Attributes = map[string]any{}
			}
			a.Attributes[k.Value] = val
		}
	}
	return a
}

// cloudProviders is a list of provider names; Front50 joins it with commas, so a name may not
// hold one.
func (p *parser) cloudProviders(n *yaml.Node) []string {
	if n.Kind != yaml.SequenceNode {
		p.errf(n, "application.cloudProviders must be a list of names, not a %s", kindName(n))
		return nil
	}
	out := []string{}
	seen := map[string]bool{}
	for _, item := range n.Content {
		s := p.str(item, "a cloud provider")
		switch {
		case item.ShortTag() != "!!str":
		case s == "" || strings.TrimSpace(s) != s || strings.Contains(s, ","):
			p.errf(item, "cloud provider %q must be a non-empty name without commas or surrounding spaces (Front50 stores the list comma-joined)", s)
		case seen[s]:
			p.errf(item, "cloud provider %q is listed twice", s)
		default:
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// permissions reads READ/WRITE/EXECUTE → groups. Fiat trims and lower-cases group names and
// drops duplicates and empty lists; a name it would change is refused here, so the file says
// exactly what Fiat enforces.
func (p *parser) permissions(n *yaml.Node) map[string][]string {
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" {
		p.errf(n, "application.permissions is empty: write {} to make the application unrestricted, or remove the key")
		return nil
	}
	if n.Kind != yaml.MappingNode {
		p.errf(n, "application.permissions must be a mapping of READ/WRITE/EXECUTE to groups, not a %s", kindName(n))
		return nil
	}
	out := map[string][]string{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if !isPermissionKind(k.Value) {
			p.errf(k, "unknown permission %q (known: %s; Fiat reads them upper-case)", k.Value, strings.Join(PermissionKinds, ", "))
			continue
		}
		if v.Kind == yaml.AliasNode {
			v = v.Alias
		}
		if v.Kind != yaml.SequenceNode {
			p.errf(v, "application.permissions.%s must be a list of groups, not a %s", k.Value, kindName(v))
			continue
		}
		seen := map[string]bool{}
		groups := []string{}
		for _, item := range v.Content {
			g := p.str(item, "a group")
			switch {
			case item.ShortTag() != "!!str":
			case g == "":
				p.errf(item, "a group name must not be empty")
			case strings.ToLower(strings.TrimSpace(g)) != g:
				p.errf(item, "group %q: Fiat compares groups trimmed and lower-case; write %q", g, strings.ToLower(strings.TrimSpace(g)))
			case seen[g]:
				p.errf(item, "group %q is listed twice in %s", g, k.Value)
			default:
				seen[g] = true
				groups = append(groups, g)
			}
		}
		if len(v.Content) == 0 {
			p.errf(v, "application.permissions.%s is an empty list: Fiat drops it; remove the key", k.Value)
			continue
		}
		sort.Strings(groups)
		out[k.Value] = groups
	}
	return out
}

func isPermissionKind(s string) bool {
	for _, k := range PermissionKinds {
		if k == s {
			return true
		}
	}
	return false
}

func (p *parser) trafficGuards(n *yaml.Node, val any) bool {
	list, isList := val.([]any)
	if n.Kind != yaml.SequenceNode || !isList {
		p.errf(n, "application.trafficGuards must be a list, not a %s", kindName(n))
		return false
	}
	ok := true
	for i, g := range list {
		at := n.Content[i]
		m, isMap := g.(map[string]any)
		if !isMap {
			p.errf(at, "a traffic guard must be a mapping, not a %s", kindName(at))
			ok = false
			continue
		}
		for _, k := range sortedKeys(m) {
			v := m[k]
			isBool, known := trafficGuardFields[k]
			if !known {
				p.errf(at, "unknown traffic guard field %q (Front50 knows: %s); Front50 could not read the application", k, strings.Join(sortedKeys(trafficGuardFields), ", "))
				ok = false
				continue
			}
			if v == nil {
				continue
			}
			if _, s := v.(string); !isBool && !s {
				p.errf(at, "traffic guard field %s must be a string", k)
				ok = false
			}
			if _, b := v.(bool); isBool && !b {
				p.errf(at, "traffic guard field %s must be true or false", k)
				ok = false
			}
		}
	}
	return ok
}
