package planfile

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/pipegen/pipegen/pkg/diff"
	"github.com/pipegen/pipegen/pkg/plan"
)

var update = flag.Bool("update", false, "rewrite golden files")

func sample() *File {
	p := &plan.Plan{Items: []plan.Item{
		{Action: plan.Create, ID: "id-new", Application: "app", Name: "deploy", Source: "services/app.yaml: prod/deploy",
			Desired: map[string]any{"id": "id-new", "name": "deploy", "application": "app", "stages": []any{}, "f": json.Number("1e-07")}},
		{Action: plan.Update, ID: "id-upd", Application: "app", Name: "verify", Source: "services/app.yaml: prod/verify",
			Changes: []diff.Change{{Kind: diff.Changed, Path: "stages[refId=a].waitTime", From: json.Number("1"), To: json.Number("2")}},
			Desired: map[string]any{"id": "id-upd", "name": "verify"}, ETag: "abc",
			Drift: &plan.Drift{By: "someone@example.com", At: time.UnixMilli(1_700_000_000_123).UTC()}, Keep: map[string]any{"index": json.Number("3")}},
		{Action: plan.Delete, ID: "id-del", Application: "app", Name: "old", ETag: "def"},
		{Action: plan.Unchanged, ID: "id-same", Application: "app", Name: "same"},
	}}
	p.Counts = plan.Count(p.Items)
	saved, err := New(p)
	if err != nil {
		panic(err)
	}
	return &File{
		Pipegen: "v1.2.3", Store: "s3://bucket/front50",
		Source:  Source{Digest: "sha256:00ff", Files: 4},
		Options: Options{Prune: true, Services: []string{"app"}},
		Read:    []Object{{ID: "id-del", ETag: "def"}, {ID: "id-same", ETag: "123"}, {ID: "id-upd", ETag: "abc"}},
		Plan:    saved,
	}
}

func TestGoldenAndRoundTrip(t *testing.T) {
	var buf bytes.Buffer
	if err := Encode(&buf, sample()); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("testdata", "plan.json")
	if *update {
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(buf.Bytes(), want) {
		t.Errorf("plan file differs from %s (go test -update):\n%s", path, buf.Bytes())
	}
	f, err := Decode(bytes.NewReader(want), path)
	if err != nil {
		t.Fatal(err)
	}
	orig := sample()
	orig.Format, orig.Version = Format, Version
	if !reflect.DeepEqual(f, orig) {
		t.Errorf("round trip:\n got %+v\nwant %+v", f, orig)
	}
	again, err := New(sample().Plan.Unwrap())
	if err != nil {
		t.Fatal(err)
	}
	if got, want := f.Plan.Unwrap(), again.Unwrap(); !reflect.DeepEqual(got, want) {
		t.Errorf("unwrap:\n got %+v\nwant %+v", got, want)
	}
}

func TestDecodeRefuses(t *testing.T) {
	var buf bytes.Buffer
	if err := Encode(&buf, sample()); err != nil {
		t.Fatal(err)
	}
	good := buf.String()
	tests := []struct{ name, text, want string }{
		{"not JSON", "hello", "not a pipegen plan file"},
		{"another JSON file", `{"application":"x"}`, `its format is ""`},
		{"newer version", strings.Replace(good, `"version": 2`, `"version": 3`, 1), "format version 3, this pipegen reads version 2"},
		{"unknown field", strings.Replace(good, `"pipegen": "v1.2.3"`, `"pipegen": "v1.2.3", "extra": 1`, 1), `unknown field "extra"`},
		{"update without etag", strings.Replace(good, `"etag": "abc",`, ``, 1), "update without the ETag"},
		{"summary edited", strings.Replace(good, `"delete": 1`, `"delete": 0`, 1), "does not match"},
		{"unknown action", strings.Replace(good, `"action": "unchanged"`, `"action": "rename"`, 1), `unknown action "rename"`},
		{"two values", good + "{}", "after top-level value"},
		{"no digest", strings.Replace(good, `"digest": "sha256:00ff"`, `"digest": ""`, 1), "no source digest"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.text == good {
				t.Fatal("the edit did not apply")
			}
			_, err := Decode(strings.NewReader(tt.text), "p.json")
			if !errors.Is(err, ErrNotAPlan) || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "p.json") {
				t.Fatalf("err = %v, want ErrNotAPlan naming p.json and saying %q", err, tt.want)
			}
		})
	}
}

func TestWriteFileReplacesWhole(t *testing.T) {
	path := filepath.Join(t.TempDir(), "plan.json")
	if err := os.WriteFile(path, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(path, sample()); err != nil {
		t.Fatal(err)
	}
	fh, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	if _, err := Decode(fh, path); err != nil {
		t.Fatal(err)
	}
	left, _ := filepath.Glob(filepath.Join(filepath.Dir(path), ".pipegen-plan-*"))
	if len(left) > 0 {
		t.Errorf("temporary files left: %v", left)
	}
}
