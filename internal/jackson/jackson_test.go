package jackson

import (
	"strings"
	"testing"
)

// These pin what the harness reports for behaviours of Front50's reading that pipegen relies on,
// so that a broken model class or harness shows up here rather than as a silently passing
// differential test elsewhere.
func TestPipelineModel(t *testing.T) {
	const base = `"id":"p1","name":"deploy","application":"app"`
	tests := []struct {
		name    string
		body    string
		ok      bool
		path    string // where Jackson stops, when it refuses
		outHas  string // a fragment of what Front50 writes back, when it accepts
		outLack string
	}{
		{name: "minimal", body: `{` + base + `}`, ok: true, outHas: `"schema":"1"`},
		{name: "triggers default", body: `{` + base + `}`, ok: true, outHas: `"triggers":[]`},
		{name: "int as string is coerced", body: `{` + base + `,"maxConcurrentExecutions":"5"}`, ok: true, outHas: `"maxConcurrentExecutions":5`},
		{name: "word for an int", body: `{` + base + `,"maxConcurrentExecutions":"unlimited"}`, path: "maxConcurrentExecutions"},
		{name: "int out of range", body: `{` + base + `,"index":2147483648}`, path: "index"},
		{name: "object for a string", body: `{` + base + `,"serviceAccount":{}}`, path: "serviceAccount"},
		{name: "number for a string is coerced", body: `{` + base + `,"email":5}`, ok: true, outHas: `"email":"5"`},
		{name: "stage not an object", body: `{` + base + `,"stages":[1]}`, path: "stages[0]"},
		{name: "trigger not an object", body: `{` + base + `,"triggers":["x"]}`, path: "triggers[0]"},
		{name: "role not a string", body: `{` + base + `,"roles":[{}]}`, path: "roles[0]"},
		{name: "createTs untyped", body: `{` + base + `,"createTs":1712345678901}`, ok: true, outHas: `"createTs":1712345678901`},
		{name: "createTs object", body: `{` + base + `,"createTs":{"a":1}}`, ok: true, outHas: `"createTs":{"a":1}`},
		{name: "updateTs is typed", body: `{` + base + `,"updateTs":{}}`, path: "updateTs"},
		{name: "lastModified kept as unknown", body: `{` + base + `,"lastModified":"x"}`, ok: true, outHas: `"lastModified":"x"`},
		{name: "createdAt dropped", body: `{` + base + `,"createdAt":"x"}`, ok: true, outLack: `createdAt`},
		{name: "unknown null kept", body: `{` + base + `,"extra":null}`, ok: true, outHas: `"extra":null`},
		{name: "typed null omitted", body: `{` + base + `,"email":null}`, ok: true, outLack: `email`},
		{name: "UTF-8 BOM", body: "\ufeff{" + base + `}`, ok: true},
		{name: "data after the object", body: `{` + base + `} trailing`, ok: true},
		{name: "not JSON", body: `{` + base, ok: false},
		{name: "an array", body: `[]`, ok: false},
		{name: "null", body: `null`, ok: false},
	}
	bodies := make([][]byte, len(tests))
	for i, tc := range tests {
		bodies[i] = []byte(tc.body)
	}
	got := ReadAll(t, "Pipeline", bodies)
	for i, tc := range tests {
		v := got[i]
		if v.OK != tc.ok {
			t.Errorf("%s: %s, want ok=%v", tc.name, v, tc.ok)
			continue
		}
		if !tc.ok && tc.path != "" && v.Path != tc.path {
			t.Errorf("%s: %s, want the path %q", tc.name, v, tc.path)
		}
		if tc.outHas != "" && !strings.Contains(v.Out, tc.outHas) {
			t.Errorf("%s: wrote %s, want it to contain %s", tc.name, v.Out, tc.outHas)
		}
		if tc.outLack != "" && strings.Contains(v.Out, tc.outLack) {
			t.Errorf("%s: wrote %s, want no %s", tc.name, v.Out, tc.outLack)
		}
	}
}

func TestUnknownModelIsTheHarnesssFault(t *testing.T) {
	s := server(t)
	got, err := s.ask("NoSuchModel", [][]byte{[]byte(`{}`)})
	if err != nil {
		t.Fatal(err)
	}
	if !got[0].Harness || got[0].OK {
		t.Fatalf("got %+v, want a harness failure", got[0])
	}
}

// The stream survives bodies with newlines, invalid UTF-8 and no bytes at all.
func TestFraming(t *testing.T) {
	bodies := [][]byte{{}, []byte("{\n\"id\":\"a\"\n}\n\n"), {0xff, 0xfe, '{'}, []byte(`{"id":"b","name":"n","application":"a"}`)}
	got := ReadAll(t, "Pipeline", bodies)
	if len(got) != 4 || got[0].OK || !got[1].OK || got[2].OK || !got[3].OK {
		t.Fatalf("got %v", got)
	}
}
