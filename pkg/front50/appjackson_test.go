package front50

import (
	"encoding/json"
	"math/rand/v2"
	"testing"

	"github.com/pipegen/pipegen/internal/jackson"
)

// appValues are values of every JSON shape, for the typed fields of Front50's application models.
var appValues = []any{
	nil, "", "x", "1700000000000", "Kubernetes,AWS", json.Number("1700000000000"), json.Number("1.5"), true,
	[]any{}, []any{"kubernetes"}, []any{"a", json.Number("1")}, []any{nil}, []any{map[string]any{}},
	map[string]any{}, map[string]any{"a": "b"},
}

// appGen builds application and permission objects with their typed fields set at random.
type appGen struct{ r *rand.Rand }

func (g *appGen) pick() any { return appValues[g.r.IntN(len(appValues))] }

func (g *appGen) application() map[string]any {
	doc := map[string]any{"name": "SHOP", "email": "a@b.example"}
	for _, f := range []string{"name", "description", "email", "updateTs", "createTs", "lastModifiedBy", "cloudProviders", "anything"} {
		if g.r.IntN(3) == 0 {
			doc[f] = g.pick()
		}
	}
	if g.r.IntN(2) == 0 {
		guard := map[string]any{}
		for _, f := range []string{"account", "stack", "detail", "location", "enabled", "region"} {
			if g.r.IntN(3) == 0 {
				guard[f] = g.pick()
			}
		}
		doc["trafficGuards"] = []any{guard}
		if g.r.IntN(5) == 0 {
			doc["trafficGuards"] = g.pick()
		}
	}
	return doc
}

func (g *appGen) permission() map[string]any {
	doc := map[string]any{"name": "shop"}
	for _, f := range []string{"name", "lastModified", "lastModifiedBy", "requiredGroupMembership", "pipegen"} {
		if g.r.IntN(4) == 0 {
			doc[f] = g.pick()
		}
	}
	perms := map[string]any{}
	for _, k := range []string{"READ", "WRITE", "EXECUTE", "CREATE", "read", "DELETE"} {
		if g.r.IntN(3) == 0 {
			perms[k] = []any{"team-a"}
			if g.r.IntN(3) == 0 {
				perms[k] = g.pick()
			}
		}
	}
	doc["permissions"] = perms
	if g.r.IntN(6) == 0 {
		doc["permissions"] = g.pick()
	}
	return doc
}

// TestAppValidatorNeverAcceptsWhatJacksonRefuses compares ValidateAppObject with Jackson reading
// (and writing back, as Front50 does when it serves it) Front50's Application and
// Application.Permission models over generated objects: pipegen must never accept one that
// Jackson refuses, since one such object stops Front50 refreshing every application.
func TestAppValidatorNeverAcceptsWhatJacksonRefuses(t *testing.T) {
	g := &appGen{r: rand.New(rand.NewPCG(7, 13))}
	n := 3000
	if testing.Short() {
		n = 500
	}
	for _, kind := range []AppKind{AppMetadata, AppPermission} {
		model := map[AppKind]string{AppMetadata: "Application", AppPermission: "ApplicationPermission"}[kind]
		bodies := make([][]byte, n)
		for i := range bodies {
			doc := g.application()
			if kind == AppPermission {
				doc = g.permission()
			}
			b, err := json.Marshal(doc)
			if err != nil {
				t.Fatal(err)
			}
			bodies[i] = b
		}
		verdicts := jackson.ReadAll(t, model, bodies)
		var accepted, jacksonOK, failures int
		for i, body := range bodies {
			if verdicts[i].OK {
				jacksonOK++
			}
			if err := ValidateAppObject(kind, "shop", body); err == nil {
				accepted++
				if !verdicts[i].OK {
					failures++
					if failures <= 10 {
						t.Errorf("%s: pipegen accepts, Jackson %s:\n%s", model, verdicts[i], body)
					}
				}
			}
		}
		// The generator must produce both kinds, or the comparison proves nothing.
		if accepted < n/20 || jacksonOK == n {
			t.Errorf("%s: %d accepted, %d read by Jackson of %d: the generated objects do not cover both sides", model, accepted, jacksonOK, n)
		}
		t.Logf("%s: %d objects, pipegen accepted %d, Jackson read %d, %d disagreements where pipegen accepted", model, n, accepted, jacksonOK, failures)
	}
}

// Objects Jackson refuses that a loose reading would accept: each is refused by both.
func TestAppModelsRefuse(t *testing.T) {
	for _, tc := range []struct {
		kind AppKind
		body string
	}{
		{AppPermission, `{"name":"shop","permissions":{"READ":["a"]},"pipegen":{"service":"shop"}}`},
		{AppPermission, `{"name":"shop","permissions":{"read":["a"]}}`},
		{AppPermission, `{"name":"shop","permissions":{"DELETE":["a"]}}`},
		{AppPermission, `{"name":"shop","lastModified":"soon"}`},
		{AppMetadata, `{"name":"SHOP","trafficGuards":[{"account":"a","region":"x"}]}`},
		{AppMetadata, `{"name":"SHOP","trafficGuards":[{"enabled":"maybe"}]}`},
		{AppMetadata, `{"name":"SHOP","cloudProviders":5}`},
		{AppMetadata, `{"name":"SHOP","email":["a"]}`},
	} {
		model := map[AppKind]string{AppMetadata: "Application", AppPermission: "ApplicationPermission"}[tc.kind]
		v := jackson.Read(t, model, []byte(tc.body))
		err := ValidateAppObject(tc.kind, "shop", []byte(tc.body))
		if v.OK || err == nil {
			t.Errorf("%s %s: Jackson %s, pipegen %v; want both to refuse", model, tc.body, v, err)
		}
	}
	// And what pipegen writes is read, with cloudProviders coming back comma-joined.
	v := jackson.Read(t, "Application", []byte(`{"name":"SHOP","email":"a@b.example","cloudProviders":"kubernetes,aws","pipegen":{"service":"shop"}}`))
	if !v.OK {
		t.Fatalf("Jackson refused a valid application: %s", v)
	}
	var out map[string]any
	if err := json.Unmarshal([]byte(v.Out), &out); err != nil || out["cloudProviders"] != "kubernetes,aws" || out["pipegen"] == nil {
		t.Errorf("written back as %s", v.Out)
	}
}
