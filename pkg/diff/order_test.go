package diff

import (
	"encoding/json"
	"testing"
)

func TestCompareOrder(t *testing.T) {
	tests := []struct {
		name             string
		current, desired string
		want             string
	}{
		{
			name:    "parameterConfig reordered is one reorder",
			current: `{"parameterConfig": [{"name": "version"}, {"name": "region"}, {"name": "dryRun"}]}`,
			desired: `{"parameterConfig": [{"name": "region"}, {"name": "version"}, {"name": "dryRun"}]}`,
			want: `[{"kind":"reorder","path":"parameterConfig",
				"from":["name=version","name=region","name=dryRun"],"to":["name=region","name=version","name=dryRun"]}]`,
		},
		{
			name:    "reorder and a field change inside a moved item",
			current: `{"parameterConfig": [{"name": "a", "default": "1"}, {"name": "b"}]}`,
			desired: `{"parameterConfig": [{"name": "b"}, {"name": "a", "default": "2"}]}`,
			want: `[{"kind":"reorder","path":"parameterConfig","from":["name=a","name=b"],"to":["name=b","name=a"]},
				{"kind":"change","path":"parameterConfig[name=a].default","from":"1","to":"2"}]`,
		},
		{
			name:    "an added item is not a reorder",
			current: `{"parameterConfig": [{"name": "a"}, {"name": "b"}]}`,
			desired: `{"parameterConfig": [{"name": "c"}, {"name": "a"}, {"name": "b"}]}`,
			want:    `[{"kind":"add","path":"parameterConfig[name=c]","to":{"name":"c"}}]`,
		},
		{
			name:    "a removed item is not a reorder",
			current: `{"parameterConfig": [{"name": "a"}, {"name": "x"}, {"name": "b"}]}`,
			desired: `{"parameterConfig": [{"name": "a"}, {"name": "b"}]}`,
			want:    `[{"kind":"remove","path":"parameterConfig[name=x]","from":{"name":"x"}}]`,
		},
		{
			name:    "notifications are ordered",
			current: `{"notifications": [{"id": "n1", "type": "slack"}, {"id": "n2", "type": "email"}]}`,
			desired: `{"notifications": [{"id": "n2", "type": "email"}, {"id": "n1", "type": "slack"}]}`,
			want:    `[{"kind":"reorder","path":"notifications","from":["id=n1","id=n2"],"to":["id=n2","id=n1"]}]`,
		},
		{
			name:    "stages, triggers, expected artifacts are not",
			current: `{"stages": [{"refId": "1"}, {"refId": "2", "expectedArtifacts": [{"id": "a"}, {"id": "b"}]}], "triggers": [{"id": "x"}, {"id": "y"}], "expectedArtifacts": [{"id": "p"}, {"id": "q"}]}`,
			desired: `{"stages": [{"refId": "2", "expectedArtifacts": [{"id": "b"}, {"id": "a"}]}, {"refId": "1"}], "triggers": [{"id": "y"}, {"id": "x"}], "expectedArtifacts": [{"id": "q"}, {"id": "p"}]}`,
			want:    `[]`,
		},
		{
			name:    "nested ordered list inside a stage, path as Compare writes it",
			current: `{"stages": [{"refId": "s", "parameterConfig": [{"name": "a"}, {"name": "b"}]}], "x y": {"parameterConfig": [{"name": "a"}, {"name": "b"}]}}`,
			desired: `{"stages": [{"refId": "s", "parameterConfig": [{"name": "b"}, {"name": "a"}]}], "x y": {"parameterConfig": [{"name": "b"}, {"name": "a"}]}}`,
			want: `[{"kind":"reorder","path":"stages[refId=s].parameterConfig","from":["name=a","name=b"],"to":["name=b","name=a"]},
				{"kind":"reorder","path":"[\"x y\"].parameterConfig","from":["name=a","name=b"],"to":["name=b","name=a"]}]`,
		},
		{
			name:    "a list matched by position keeps showing by position",
			current: `{"manifests": [{"kind": "A"}, {"kind": "B"}]}`,
			desired: `{"manifests": [{"kind": "B"}, {"kind": "A"}]}`,
			want: `[{"kind":"change","path":"manifests[0].kind","from":"A","to":"B"},
				{"kind":"change","path":"manifests[1].kind","from":"B","to":"A"}]`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Compare(doc(t, tt.current), doc(t, tt.desired))
			if err != nil {
				t.Fatal(err)
			}
			b, _ := json.Marshal(got)
			if g, w := canonJSON(t, b), canonJSON(t, []byte(tt.want)); g != w {
				t.Errorf("changes:\n got %s\nwant %s", g, w)
			}
		})
	}
}
