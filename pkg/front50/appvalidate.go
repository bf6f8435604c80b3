package front50

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Front50's Application (front50-core …/model/application/Application.java) keeps every unknown
// attribute (any-setter) but types these; Jackson's refusal of one of them stops the refresh
// of every application.
var appStringFields = []string{"name", "description", "email", "updateTs", "createTs", "lastModifiedBy"}

// trafficGuardKinds are the fields of Application.TrafficGuard, which has no any-setter: any other
// field is refused. true: a boolean; false: a string.
var trafficGuardKinds = map[string]bool{"account": false, "stack": false, "detail": false, "location": false, "enabled": true}

// Application.Permission has no any-setter: only these fields (plus the ignored id and
// createdAt) are readable. permissions is Fiat's Permissions: Authorization → set of groups.
var permissionFields = map[string]bool{"name": true, "lastModified": true, "lastModifiedBy": true, "permissions": true, "requiredGroupMembership": true, "id": true, "createdAt": true}

// Authorizations are Fiat's Authorization values, the keys Jackson accepts in permissions.
var Authorizations = []string{"READ", "WRITE", "EXECUTE", "CREATE"}

// ValidateAppObject checks that body is an object of kind Front50 reads under the application
// folder name. The error wraps ErrInvalidObject and says why.
func ValidateAppObject(kind AppKind, name string, body []byte) error {
	err := func() error {
		folder, err := appFolder(name)
		if err != nil {
			return err
		}
		if !utf8.Valid(body) {
			return errors.New("body is not valid UTF-8")
		}
		doc, err := decodeObject(body)
		if err != nil {
			return err
		}
		return ValidateAppDoc(kind, folder, doc)
	}()
	if err != nil {
		return fmt.Errorf("%w %s/%s: %v", ErrInvalidObject, strings.ToLower(name), kind.file(), err)
	}
	return nil
}

// ValidateAppDoc is ValidateAppObject on a decoded document (numbers as json.Number).
func ValidateAppDoc(kind AppKind, folder string, doc map[string]any) error {
	if kind == AppPermission {
		return validatePermission(folder, doc)
	}
	return validateApplication(folder, doc)
}

func validateApplication(folder string, doc map[string]any) error {
	var errs []error
	for _, f := range appStringFields {
		if v, ok := doc[f]; ok && v != nil {
			if _, ok := v.(string); !ok {
				errs = append(errs, fmt.Errorf("%q is %s, want a string", f, describe(v)))
			}
		}
	}
	name, _ := doc["name"].(string)
	switch {
	case strings.TrimSpace(name) == "":
		errs = append(errs, errors.New(`"name" is missing or blank (Front50 cannot key the application)`))
	case strings.ToLower(strings.TrimSpace(name)) != folder:
		errs = append(errs, fmt.Errorf(`"name" is %q but the folder is %q`, name, folder))
	}
	for _, f := range []string{"updateTs", "createTs"} {
		// Front50 turns both into a Long with Long.valueOf.
		if s, ok := doc[f].(string); ok && s != "" {
			if _, err := strconv.ParseInt(s, 10, 64); err != nil {
				errs = append(errs, fmt.Errorf("%q is %q, want epoch milliseconds", f, s))
			}
		}
	}
	if _, ok := doc["lastModified"]; ok {
		errs = append(errs, errors.New(`"lastModified" is Front50's internal field and must not be written`))
	}
	// The getter casts cloudProviders to a String or a List of strings.
	switch cp := doc["cloudProviders"].(type) {
	case nil, string:
	case []any:
		for i, e := range cp {
			if _, ok := e.(string); !ok {
				errs = append(errs, fmt.Errorf("cloudProviders[%d] is %s, want a string", i, describe(e)))
			}
		}
	default:
		errs = append(errs, fmt.Errorf(`"cloudProviders" is %s, want a string or a list of strings`, describe(cp)))
	}
	if tg, ok := doc["trafficGuards"]; ok && tg != nil {
		list, ok := tg.([]any)
		if !ok {
			errs = append(errs, fmt.Errorf(`"trafficGuards" is %s, want an array`, describe(tg)))
		}
		for i, g := range list {
			m, ok := g.(map[string]any)
			if !ok {
				if g != nil {
					errs = append(errs, fmt.Errorf("trafficGuards[%d] is %s, want an object", i, describe(g)))
				}
				continue
			}
			for _, k := range slices.Sorted(maps.Keys(m)) {
				isBool, known := trafficGuardKinds[k]
				v := m[k]
				switch {
				case !known:
					errs = append(errs, fmt.Errorf("trafficGuards[%d].%s is not a traffic guard field", i, k))
				case v == nil:
				case isBool:
					if _, ok := v.(bool); !ok {
						errs = append(errs, fmt.Errorf("trafficGuards[%d].%s is %s, want true or false", i, k, describe(v)))
					}
				default:
					if _, ok := v.(string); !ok {
						errs = append(errs, fmt.Errorf("trafficGuards[%d].%s is %s, want a string", i, k, describe(v)))
					}
				}
			}
		}
	}
	return errors.Join(errs...)
}

func validatePermission(folder string, doc map[string]any) error {
	var errs []error
	for _, k := range slices.Sorted(maps.Keys(doc)) {
		if !permissionFields[k] {
			errs = append(errs, fmt.Errorf("%q is not a field of Front50's application permission (it has no place for unknown fields)", k))
		}
	}
	name, ok := doc["name"].(string)
	switch {
	case !ok || strings.TrimSpace(name) == "":
		errs = append(errs, errors.New(`"name" is missing or blank (Front50 cannot key the permission)`))
	case strings.ToLower(name) != folder:
		errs = append(errs, fmt.Errorf(`"name" is %q but the folder is %q`, name, folder))
	}
	if v, ok := doc["lastModifiedBy"]; ok && v != nil {
		if _, ok := v.(string); !ok {
			errs = append(errs, fmt.Errorf(`"lastModifiedBy" is %s, want a string`, describe(v)))
		}
	}
	if v, ok := doc["lastModified"]; ok && v != nil {
		n, ok := v.(json.Number)
		if _, err := n.Int64(); !ok || err != nil {
			errs = append(errs, fmt.Errorf(`"lastModified" is %v, want epoch milliseconds as an integer`, v))
		}
	}
	// The legacy requiredGroupMembership setter walks its list and reads the permissions set
	// before it: a null in either fails Jackson's read.
	for _, f := range []string{"requiredGroupMembership", "permissions"} {
		if v, ok := doc[f]; ok && v == nil {
			errs = append(errs, fmt.Errorf("%q is null", f))
		}
	}
	if v, ok := doc["requiredGroupMembership"]; ok && v != nil {
		if p, bad := checkKind(v, kindStringList); bad {
			errs = append(errs, fmt.Errorf("requiredGroupMembership%s %s", p.Path, p.Msg))
		}
	}
	if v, ok := doc["permissions"]; ok && v != nil {
		m, ok := v.(map[string]any)
		if !ok {
			errs = append(errs, fmt.Errorf(`"permissions" is %s, want an object`, describe(v)))
		}
		for _, k := range slices.Sorted(maps.Keys(m)) {
			if !isAuthorization(k) {
				errs = append(errs, fmt.Errorf("permissions.%s is not one of Fiat's authorizations (%s)", k, strings.Join(Authorizations, ", ")))
				continue
			}
			if g := m[k]; g != nil {
				if p, bad := checkKind(g, kindStringList); bad {
					errs = append(errs, fmt.Errorf("permissions.%s%s %s", k, p.Path, p.Msg))
				}
			}
		}
	}
	return errors.Join(errs...)
}

func isAuthorization(s string) bool {
	for _, a := range Authorizations {
		if a == s {
			return true
		}
	}
	return false
}
