package front50

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestValidatePipelineObject(t *testing.T) {
	long := strings.Repeat("a", MaxIDLength)
	tests := []struct {
		name, id, body string
		wantErr        string // "" = valid; else a fragment of the reason
	}{
		{"minimal", "x", `{"id":"x","application":"a","name":"n"}`, ""},
		{"uuid with typed fields", "3f1c2b9e-8f7a-4c1e-9a51-2b7d0c6e4a10",
			`{"id":"3f1c2b9e-8f7a-4c1e-9a51-2b7d0c6e4a10","name":"deploy-prod","application":"myapp","schema":"1","triggers":[{"type":"cron","enabled":true}],"index":0,"updateTs":"1712345678901","lastModifiedBy":"anonymous","stages":[{"refId":"1"}],"keepWaitingPipelines":false,"limitConcurrent":true,"parameterConfig":[],"spelEvaluator":"v4","roles":["r"],"disabled":null,"config":7,"anything":{"x":[1]}}`, ""},
		{"longest id", long, `{"id":"` + long + `","application":"a","name":"n"}`, ""},
		{"id too long", long + "a", `{"id":"` + long + `a","application":"a","name":"n"}`, "bytes long"},
		{"not JSON", "x", `{"id":"x",`, "not valid JSON"},
		{"trailing data", "x", `{"id":"x","application":"a","name":"n"} {}`, "after the top-level value"},
		{"array", "x", `[{"id":"x"}]`, "not a JSON object"},
		{"null", "x", `null`, "not a JSON object"},
		{"invalid UTF-8", "x", "{\"id\":\"x\",\"application\":\"a\",\"name\":\"n\xff\"}", "UTF-8"},
		{"id missing", "x", `{"application":"a","name":"n"}`, `"id" is null or missing`},
		{"id null", "x", `{"id":null,"application":"a","name":"n"}`, `"id" is null`},
		{"id number", "x", `{"id":1,"application":"a","name":"n"}`, `"id" is a number`},
		{"id differs from key", "x", `{"id":"y","application":"a","name":"n"}`, "must be equal"},
		{"id differs by case", "x", `{"id":"X","application":"a","name":"n"}`, "must be equal"},
		{"upper-case key", "Ab", `{"id":"Ab","application":"a","name":"n"}`, "not lower-case"},
		{"slash", "a/b", `{"id":"a/b","application":"a","name":"n"}`, "slash"},
		{"backslash", `a\b`, `{"id":"a\\b","application":"a","name":"n"}`, "slash"},
		{"dot dot", "..", `{"id":"..","application":"a","name":"n"}`, "dot"},
		{"dot dot inside", "a..b", `{"id":"a..b","application":"a","name":"n"}`, "dot"},
		{"dot", ".", `{"id":".","application":"a","name":"n"}`, "dot"},
		{"empty id", "", `{"id":"","application":"a","name":"n"}`, "empty"},
		{"control char", "a\tb", `{"id":"a\tb","application":"a","name":"n"}`, "control"},
		{"spaces around", " a", `{"id":" a","application":"a","name":"n"}`, "white space"},
		{"blank application", "x", `{"id":"x","application":"  ","name":"n"}`, `"application" is blank`},
		{"application missing", "x", `{"id":"x","name":"n"}`, `"application" is null or missing`},
		{"name not string", "x", `{"id":"x","application":"a","name":["n"]}`, `"name" is an array`},
		{"blank name", "x", `{"id":"x","application":"a","name":"\t"}`, `"name" is blank`},
		{"lastModified", "x", `{"id":"x","application":"a","name":"n","lastModified":1712345678901}`, "lastModified"},
		{"lastModified null", "x", `{"id":"x","application":"a","name":"n","lastModified":null}`, "lastModified"},
		{"triggers object", "x", `{"id":"x","application":"a","name":"n","triggers":{}}`, `"triggers" is an object, want an array`},
		{"trigger not object", "x", `{"id":"x","application":"a","name":"n","triggers":["cron"]}`, "triggers[0] is a string, want an object"},
		{"trigger type number", "x", `{"id":"x","application":"a","name":"n","triggers":[{"type":1}]}`, "triggers[0].type"},
		{"trigger pipeline object", "x", `{"id":"x","application":"a","name":"n","triggers":[{"type":"pipeline","pipeline":{}}]}`, "triggers[0].pipeline"},
		{"stages not list", "x", `{"id":"x","application":"a","name":"n","stages":"s"}`, `"stages" is a string`},
		{"index float", "x", `{"id":"x","application":"a","name":"n","index":1.5}`, "32-bit integer"},
		{"index too big", "x", `{"id":"x","application":"a","name":"n","index":3000000000}`, "32-bit integer"},
		{"index string", "x", `{"id":"x","application":"a","name":"n","index":"1"}`, "want an integer"},
		{"disabled string", "x", `{"id":"x","application":"a","name":"n","disabled":"true"}`, "true or false"},
		{"roles numbers", "x", `{"id":"x","application":"a","name":"n","roles":[1]}`, "want a string"},
		{"updateTs number", "x", `{"id":"x","application":"a","name":"n","updateTs":1712345678901}`, `"updateTs" is a number`},
		{"maxConcurrentExecutions word", "x", `{"id":"x","application":"a","name":"n","maxConcurrentExecutions":"unlimited"}`, `"maxConcurrentExecutions" is a string, want an integer`},
		{"maxConcurrentExecutions float", "x", `{"id":"x","application":"a","name":"n","maxConcurrentExecutions":2.5}`, "32-bit integer"},
		{"createTs number kept", "x", `{"id":"x","application":"a","name":"n","createTs":1712345678901}`, ""},
		{"createTs object kept", "x", `{"id":"x","application":"a","name":"n","createTs":{"t":1}}`, ""},
		{"duplicate key", "x", `{"id":"x","application":"a","name":"n","index":"x","index":1}`, `"index" appears twice`},
		{"duplicate nested key", "x", `{"id":"x","application":"a","name":"n","stages":[{},{"a":{"b":1,"b":2}}]}`, "stages[1].a.b appears twice"},
		{"same key in two objects", "x", `{"id":"x","application":"a","name":"n","stages":[{"refId":"1"},{"refId":"2"}]}`, ""},
		{"empty keys once each", "x", `{"id":"x","application":"a","name":"n","":{"":1}}`, ""},
		{"empty key twice", "x", `{"id":"x","application":"a","name":"n","":1,"":2}`, "appears twice"},
		{"constraints list", "x", `{"id":"x","application":"a","name":"n","constraints":[]}`, "want an object"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := ValidatePipelineObject(tc.id, []byte(tc.body))
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if !errors.Is(err, ErrInvalidObject) {
				t.Fatalf("error %v, want ErrInvalidObject", err)
			}
			if !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("error %q does not say %q", err, tc.wantErr)
			}
		})
	}
}

// Real pipelines, as Front50 serves them, pass once their id is lower-case.
// testdata/corpus/SOURCES.tsv gives their provenance.
func TestValidatePipelineObjectAcceptsRealPipelines(t *testing.T) {
	files, err := filepath.Glob("testdata/corpus/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no corpus files: %v", err)
	}
	n := 0
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var list []json.RawMessage
		if bytes.HasPrefix(bytes.TrimSpace(raw), []byte("[")) {
			if err := json.Unmarshal(raw, &list); err != nil {
				t.Fatal(err)
			}
		} else {
			list = []json.RawMessage{raw}
		}
		for _, p := range list {
			var doc map[string]any
			d := json.NewDecoder(bytes.NewReader(p))
			d.UseNumber()
			if err := d.Decode(&doc); err != nil {
				t.Fatal(err)
			}
			id, _ := doc["id"].(string)
			id = strings.ToLower(id)
			doc["id"] = id
			body, _ := json.Marshal(doc)
			if err := ValidatePipelineObject(id, body); err != nil {
				t.Errorf("%s: %v", filepath.Base(f), err)
			}
			n++
		}
	}
	if n < 10 {
		t.Fatalf("only %d pipelines checked", n)
	}
}

func TestParseLastModified(t *testing.T) {
	tests := []struct {
		body string
		want int64
	}{
		{`{"lastModified":1712345678901}`, 1712345678901},
		{`{"lastModified": 1712345678901, "other": true}`, 1712345678901},
		{`{"lastModified":"1712345678901"}`, 0},
		{`{"lastModified":1712345678901.0}`, 0},
		{`{"lastModified":1.712345678901e12}`, 0},
		{`{"lastModified":null}`, 0},
		{`{}`, 0},
		{`[]`, 0},
		{`garbage`, 0},
		{``, 0},
		// Jackson reads a small number as Integer and Front50's cast to Long fails.
		{`{"lastModified":5}`, 0},
		{`{"lastModified":2147483648}`, 2147483648},
	}
	for _, tc := range tests {
		if got := parseLastModified([]byte(tc.body)); got != tc.want {
			t.Errorf("parseLastModified(%s) = %d, want %d", tc.body, got, tc.want)
		}
	}
	if got := string(lastModifiedBody(1712345678901)); got != `{"lastModified":1712345678901}` {
		t.Errorf("lastModifiedBody = %s", got)
	}
}

// The offline check and the write-time check agree: a document refused as a body is refused
// as a decoded document too, with the same reason.
func TestValidatePipelineDocAgrees(t *testing.T) {
	for _, body := range []string{
		`{"id":"a","application":"x","name":"n","index":"3"}`,
		`{"id":"a","application":"x","name":"n","disabled":"yes"}`,
		`{"id":"a","application":"x","name":"n","triggers":[{"type":5}]}`,
		`{"id":"a","application":"x","name":" "}`,
		`{"id":"a","application":"x","name":"n","lastModified":1}`,
	} {
		doc, err := decodeObject([]byte(body))
		if err != nil {
			t.Fatal(err)
		}
		we, de := ValidatePipelineObject("a", []byte(body)), PipelineDocProblems("a", doc)
		var ie *InvalidError
		if !errors.As(we, &ie) || len(de) == 0 || !reflect.DeepEqual(ie.Problems, de) {
			t.Errorf("%s: write-time %v, offline %v", body, we, de)
		}
	}
	ok := map[string]any{"id": "a", "application": "x", "name": "n", "index": json.Number("2")}
	if probs := PipelineDocProblems("a", ok); probs != nil {
		t.Errorf("valid document refused: %v", probs)
	}
}
