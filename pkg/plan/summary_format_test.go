package plan

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pipegen/pipegen/pkg/front50"
)

var updateSummaries = flag.Bool("update", false, "rewrite testdata/summaries.golden")

// Summaries outlive the pipegen that made them (a cache, and the copy sync shares in the
// store), so a change to what Summarize gives must come with a new SummaryFormat, or another
// pipegen would believe summaries it does not make. This test pins Summarize's results for
// real pipelines and a few made to touch every rule; when they change, bump SummaryFormat and
// run the test with -update.
func TestSummaryFormat(t *testing.T) {
	files, err := filepath.Glob("../front50/testdata/corpus/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no corpus under ../front50/testdata/corpus (%v)", err)
	}
	var docs []string
	var names []string
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var list []json.RawMessage
		if json.Unmarshal(b, &list) != nil {
			list = []json.RawMessage{b}
		}
		for i, d := range list {
			docs = append(docs, string(d))
			names = append(names, fmt.Sprintf("%s[%d]", filepath.Base(f), i))
		}
	}
	made := []string{
		`{"id":"a","application":"app","name":"n","updateTs":"1700000000000","lastModifiedBy":"alice","createTs":1,"index":3,"disabled":true,"stages":[{"refId":"1","type":"wait","waitTime":1.50}],"pipegen":{"service":"s","stack":"dev","key":"deploy","id":"a"}}`,
		`{"id":"b","application":"app","name":"n","triggers":[],"parameterConfig":null,"extra":{"z":[1,"1",true,null,{}]},"locked":{"ui":true}}`,
		`{"id":"c","application":"app","name":"n","stages":[{"refId":"b","requisiteStageRefIds":["a"]},{"refId":"a"}],"expectedArtifacts":[{"id":"x","matchArtifact":{"type":"docker/image"}}]}`,
	}
	for i, d := range made {
		docs = append(docs, d)
		names = append(names, fmt.Sprintf("made[%d]", i))
	}
	var out bytes.Buffer
	fmt.Fprintf(&out, "# Summarize's results, SummaryFormat %s: see TestSummaryFormat\n", SummaryFormat)
	for i, d := range docs {
		doc, err := front50.DecodeStored([]byte(d))
		if err != nil {
			fmt.Fprintf(&out, "%s not stored: %v\n", names[i], strings.SplitN(err.Error(), "\n", 2)[0])
			continue
		}
		sum, digest := Summarize(doc)
		b, err := json.Marshal(sum)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&out, "%s %s %s\n", names[i], hex.EncodeToString(digest), b)
	}
	golden := filepath.Join("testdata", "summaries.golden")
	if *updateSummaries {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(golden, out.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with -update to write it)", err)
	}
	if !bytes.Equal(out.Bytes(), want) {
		gl, wl := strings.Split(out.String(), "\n"), strings.Split(string(want), "\n")
		for i := range min(len(gl), len(wl)) {
			if gl[i] != wl[i] {
				t.Fatalf("Summarize's results changed: bump SummaryFormat, then run with -update.\n got %s\nwant %s", gl[i], wl[i])
			}
		}
		t.Fatalf("Summarize's results changed (%d lines, want %d): bump SummaryFormat, then run with -update", len(gl), len(wl))
	}
}
