package pipeline

import "fmt"

// RunAsProblems finds the identities a pipeline would run as that allowed does not permit: a
// pipeline's serviceAccount and each trigger's runAsUser. Front50's API checks both against
// the saving user's permissions (Fiat); a direct bucket write is checked by nobody, so pipegen
// does it against the project's runAs setting.
func RunAsProblems(doc map[string]any, app string, allowed func(app, account string) bool) []Problem {
	var probs []Problem
	check := func(path string, v any) {
		account, ok := v.(string)
		if !ok || account == "" || allowed(app, account) {
			return
		}
		probs = append(probs, Problem{Path: path, Msg: fmt.Sprintf(
			"runs as %q, which pipegen.yaml does not allow for application %s; add it under runAs (APP_GLOB: [ACCOUNT_GLOB, …]) if this repo may use that account",
			account, app)})
	}
	check("serviceAccount", doc["serviceAccount"])
	triggers, _ := doc["triggers"].([]any)
	for i, t := range triggers {
		if m, ok := t.(map[string]any); ok {
			check(fmt.Sprintf("triggers[%d].runAsUser", i), m["runAsUser"])
		}
	}
	return probs
}
