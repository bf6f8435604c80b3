package services

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

const withApp = good + `application:
  email: azar-backend1@corp.example
  description: Matching service
  cloudProviders: [kubernetes, aws]
  permissions: {READ: [devops, azar-backend1], WRITE: [azar-backend1], EXECUTE: [azar-backend1]}
  dataSources: {enabled: [serverGroups]}
  trafficGuards: [{account: k8s, location: ns, stack: prod, enabled: yes}]
  enableRestartRunningExecutions: true
`

func TestParseApplication(t *testing.T) {
	s, errs := Parse("services/my.yaml", []byte(withApp))
	if len(errs) > 0 {
		t.Fatalf("unexpected errors: %v", errs)
	}
	a := s.Application
	if a == nil || *a.Email != "azar-backend1@corp.example" || *a.Description != "Matching service" ||
		!reflect.DeepEqual(a.CloudProviders, []string{"kubernetes", "aws"}) {
		t.Fatalf("parsed %+v", a)
	}
	// Groups sorted: the order in the file means nothing to Fiat.
	want := map[string][]string{"READ": {"azar-backend1", "devops"}, "WRITE": {"azar-backend1"}, "EXECUTE": {"azar-backend1"}}
	if !reflect.DeepEqual(a.Permissions, want) {
		t.Errorf("permissions %v", a.Permissions)
	}
	got, _ := json.Marshal(a.Attributes)
	if string(got) != `{"dataSources":{"enabled":["serverGroups"]},"enableRestartRunningExecutions":true,"trafficGuards":[{"account":"k8s","enabled":true,"location":"ns","stack":"prod"}]}` {
		t.Errorf("attributes %s", got)
	}
	if d := a.Declared(); !reflect.DeepEqual(d, []string{"cloudProviders", "dataSources", "description", "email", "enableRestartRunningExecutions", "trafficGuards"}) {
		t.Errorf("declared %v", d)
	}
	if s, _ := Parse("services/my.yaml", []byte(good)); s.Application != nil {
		t.Error("a file without the block has an application")
	}
}

func TestParseApplicationBad(t *testing.T) {
	for _, tc := range []struct{ block, want string }{
		{"application: [a]", "1:14: application must be a mapping, not a list"},
		{"application:\n  email: 3", "2:10: application.email must be a string"},
		{"application:\n  email: \"  \"", "2:10: application.email must not be empty"},
		{"application:\n  description: {a: b}", "2:16: application.description must be a string"},
		{"application:\n  cloudProviders: [kubernetes, kubernetes]", `2:32: cloud provider "kubernetes" is listed twice`},
		{"application:\n  cloudProviders: [\"a,b\"]", `2:20: cloud provider "a,b" must be a non-empty name without commas`},
		{"application:\n  permissions: [READ]", "2:16: application.permissions must be a mapping"},
		{"application:\n  permissions:", "2:15: application.permissions is empty: write {}"},
		{"application:\n  permissions: {read: [a]}", `2:17: unknown permission "read"`},
		{"application:\n  permissions: {READ: a}", "2:23: application.permissions.READ must be a list of groups"},
		{"application:\n  permissions: {READ: []}", "2:23: application.permissions.READ is an empty list"},
		{"application:\n  permissions: {READ: [a, a]}", `2:27: group "a" is listed twice in READ`},
		{"application:\n  permissions: {READ: [\" a\"]}", `2:24: group " a": Fiat compares groups trimmed and lower-case; write "a"`},
		{"application:\n  permissions: {READ: [1]}", "2:24: a group must be a string"},
		{"application:\n  name: x", "2:3: application.name cannot be set here: it is the service's `name`"},
		{"application:\n  pipegen: {}", "2:3: application.pipegen cannot be set here"},
		{"application:\n  lastModified: 1", "2:3: application.lastModified cannot be set here"},
		{"application:\n  trafficGuards: {a: b}", "2:18: application.trafficGuards must be a list"},
		{"application:\n  trafficGuards: [a]", "2:19: a traffic guard must be a mapping"},
		{"application:\n  trafficGuards: [{enabled: sometimes}]", "2:19: traffic guard field enabled must be true or false"},
		{"application:\n  trafficGuards: [{account: 3}]", "2:19: traffic guard field account must be a string"},
	} {
		// The block goes first so that its line numbers are those of the case.
		body := tc.block + "\nname: s\nstacks: {dev: {pipelines: [deploy]}}\n"
		_, errs := Parse("services/s.yaml", []byte(body))
		var msgs []string
		for _, e := range errs {
			msgs = append(msgs, e.Error())
		}
		all := strings.Join(msgs, "\n")
		if !strings.Contains(all, "services/s.yaml:"+tc.want) {
			t.Errorf("%q:\n got %s\nwant %s", tc.block, all, tc.want)
		}
	}
}
