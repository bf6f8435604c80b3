package cache

import (
	"encoding/json"
	"testing"
)

func TestTopString(t *testing.T) {
	doc := map[string]any{
		"stages": []any{map[string]any{"name": "inner", "x": json.Number("1")}, nil, true},
		"name":   "deploy prod",
		"n":      json.Number("2"),
		"m":      map[string]any{"name": "nested"},
	}
	for range 20 { // map order varies between encodings
		b, ok := EncodeValue(doc)
		if !ok {
			t.Fatal("not encodable")
		}
		if got, ok := TopString(b, "name"); !ok || got != "deploy prod" {
			t.Fatalf("TopString(name) = %q, %v", got, ok)
		}
		if _, ok := TopString(b, "n"); ok {
			t.Fatal("TopString of a number reported a string")
		}
		if _, ok := TopString(b, "absent"); ok {
			t.Fatal("TopString of an absent key reported a string")
		}
		for cut := range len(b) {
			if s, ok := TopString(b[:cut], "name"); ok && s != "deploy prod" {
				t.Fatalf("truncated at %d: %q", cut, s)
			}
		}
	}
	if _, ok := TopString([]byte{tagString, 1, 'x'}, "name"); ok {
		t.Fatal("TopString of a string value reported a field")
	}
}
