package output

import (
	"bytes"
	"strings"
	"testing"

	"github.com/pipegen/pipegen/pkg/plan"
)

// Unmanaged pipelines of managed applications are listed with the command that imports them,
// in the text plan and in the markdown callouts, and they are not counted as changes.
func TestPlanListsUnmanaged(t *testing.T) {
	p := &plan.Plan{
		Items:     []plan.Item{{Action: plan.Create, ID: "id-1", Application: "shop", Name: "deploy", Source: "services/shop.yaml: prod/deploy", Desired: map[string]any{"name": "deploy"}}},
		Counts:    plan.Counts{Create: 1},
		Unmanaged: []plan.Unmanaged{{ID: "id-2", Application: "shop", Name: "made-in-ui", Import: "pipegen import --service shop"}},
	}
	var text bytes.Buffer
	if err := PlanText(&text, p, nil, false); err != nil {
		t.Fatal(err)
	}
	if want := "  shop/made-in-ui  (id-2)  unmanaged (made in the UI; pipegen import --service shop brings it in)\n"; !strings.Contains(text.String(), want) {
		t.Errorf("text plan lacks %q:\n%s", want, text.String())
	}
	if !strings.HasSuffix(text.String(), "1 to create, 0 to update, 0 to delete, 0 unchanged\n") {
		t.Errorf("summary:\n%s", text.String())
	}
	var js bytes.Buffer
	if err := PlanJSON(&js, p); err != nil {
		t.Fatal(err)
	}
	if want := `"unmanaged": [
    {
      "id": "id-2",
      "application": "shop",
      "name": "made-in-ui",
      "import": "pipegen import --service shop"
    }
  ]`; !strings.Contains(js.String(), want) {
		t.Errorf("JSON plan lacks %s:\n%s", want, js.String())
	}
	var md bytes.Buffer
	if err := PlanMarkdown(&md, p, MarkdownOptions{}); err != nil {
		t.Fatal(err)
	}
	if want := "> - `shop/made-in-ui`: `pipegen import --service shop` brings it in\n"; !strings.Contains(md.String(), want) {
		t.Errorf("markdown lacks %q:\n%s", want, md.String())
	}
}
