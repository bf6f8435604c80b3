package cmdtest

import (
	"reflect"
	"testing"
)

func TestShellWords(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"pipegen diff --exit-code", []string{"pipegen", "diff", "--exit-code"}},
		{`pipegen diff -o markdown > plan.md`, []string{"pipegen", "diff", "-o", "markdown"}},
		{`pipegen render -o json | jq '.[].name'`, []string{"pipegen", "render", "-o", "json"}},
		{`pipegen sync --service 'pay*' # comment`, []string{"pipegen", "sync", "--service", "pay*"}},
		{`pipegen validate && pipegen sync`, []string{"pipegen", "validate"}},
		{`echo "a b"`, []string{"echo", "a b"}},
	}
	for _, tt := range tests {
		if got := ShellWords(tt.in); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("ShellWords(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
