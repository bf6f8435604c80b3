package web

import (
	"html/template"

	"github.com/pipegen/pipegen/pkg/output"
	"github.com/pipegen/pipegen/pkg/stagegraph"
)

// compactJSON and prettyJSON show values as every other view does (output.JSONText: SpEL's
// < > & kept as written); html/template escapes them for the page.
func compactJSON(v any) string { return jsonText(v, "") }

func prettyJSON(v any) string { return jsonText(v, "  ") }

func jsonText(v any, indent string) string {
	s, err := output.JSONText(v, indent)
	if err != nil {
		return "(" + err.Error() + ")"
	}
	return s
}

func stagegraphOptions(id, label string) stagegraph.SVGOptions {
	return stagegraph.SVGOptions{ID: "graph-" + id, Label: label}
}

// pages are the site's templates. html/template escapes every value by context; the only
// markup passed through is the stage graph pipegen draws itself.
var pages = template.Must(template.New("").Funcs(template.FuncMap{"safeHTML": safeHTML}).Parse(`
{{define "nav"}}<nav class="site"><a href="/">Services</a> · <a href="/plan">Plan</a>{{if .}} · <a href="/new">New service</a>{{end}}</nav>{{end}}

{{define "head"}}<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{{.Title}}</title>
<style>
body{font-family:system-ui,sans-serif;margin:1.5em;color:#111}
table{border-collapse:collapse;margin:.5em 0 1.5em}
td,th{border:1px solid #ddd;padding:.25em .6em;text-align:left;vertical-align:top}
.create{color:#15803d}.update{color:#b45309}.drift,.conflict,.problem{color:#b91c1c;font-weight:bold}
.problems li{color:#b91c1c;font-family:monospace;white-space:pre-wrap}
pre{background:#f6f6f6;padding:.6em;overflow:auto;max-height:30em}
nav.site{margin-bottom:1em}
label{display:inline-block;margin:.2em .8em .2em 0}
</style></head><body>
{{template "nav" .Writable}}
{{end}}

{{define "problemlist"}}{{if .}}<section class="problems"><h2>Problems</h2><ul>{{range .}}<li>{{.}}</li>{{end}}</ul></section>{{end}}{{end}}

{{define "index"}}{{template "head" .}}
<h1>Services</h1>
<p>Store: <code>{{.Store}}</code>{{if .Summary}} · Plan: <a href="/plan">{{.Summary}}</a>{{end}}</p>
{{template "problemlist" .Problems}}
{{range .Services}}
<section class="service" data-service="{{.Name}}">
<h2><a href="/services/{{.Name}}">{{.Name}}</a></h2>
<p>Product: <span class="product">{{.Product}}</span> · Team: <span class="team">{{.Team}}</span> · File: <code>{{.File}}</code></p>
<table><tr><th>Stack</th><th>Key</th><th>Pipeline</th><th>Template</th><th>Status</th></tr>
{{range .Rows}}<tr data-pipeline="{{.Stack}}/{{.Key}}"><td>{{.Stack}}</td><td>{{.Key}}</td><td>{{.Name}}</td><td><code>{{.Template}}</code></td><td class="status {{.Class}}">{{.Status}}</td></tr>
{{end}}</table>
</section>
{{else}}<p>No services yet.</p>{{end}}
</body></html>{{end}}

{{define "service"}}{{template "head" .}}
<h1>{{.Service.Name}}</h1>
<p>Product: {{.Service.Product}} · Team: {{.Service.Team}} · Namespace: {{.Service.Namespace}} · Git repo: {{.Service.GitRepo}} · File: <code>{{.Service.File}}</code> · <a href="/plan?service={{.Service.Name}}">plan</a></p>
{{template "problemlist" .Problems}}
{{range .Stacks}}<h2>Stack {{.Name}}</h2>
{{range .Pipelines}}<section class="pipeline" id="{{.Anchor}}" data-pipeline="{{.Anchor}}">
<h3>{{.Key}}{{if .Name}}: {{.Name}}{{end}}</h3>
<p>Template <code>{{.Template}}</code> · <span class="status {{.Class}}">{{.Status}}</span></p>
{{if .Graph}}<figure class="graph">{{safeHTML .Graph}}</figure>{{else if .GraphError}}<p class="nograph">No stage graph: {{.GraphError}}</p>{{end}}
<h4>Variables</h4>
<table class="vars"><tr><th>Name</th><th>Value</th><th>From (last wins)</th></tr>
{{range .Vars}}<tr data-var="{{.Name}}"><td>{{.Name}}</td><td><code>{{.Value}}</code></td><td class="from">{{.From}}</td></tr>
{{end}}</table>
{{if .YAML}}<details open><summary>Rendered YAML</summary><pre class="yaml">{{.YAML}}</pre></details>
<details><summary>Pipeline JSON (what sync writes)</summary><pre class="json">{{.JSON}}</pre></details>{{end}}
</section>
{{end}}{{end}}
</body></html>{{end}}

{{define "problems"}}{{template "head" .}}
<h1>No plan</h1>
<p>The repo has problems; fix them and reload.</p>
{{template "problemlist" .Problems}}
</body></html>{{end}}

{{define "new"}}{{template "head" .}}
<h1>New service</h1>
<p>Writes a new service file under <code>{{.Dir}}</code> (never over an existing one), checked first exactly as <code>pipegen validate</code> checks it. Nothing is written to the store: run <code>pipegen sync</code> (or let CI) when it is reviewed.</p>
{{template "problemlist" .Problems}}
<form method="post" action="/new">
<input type="hidden" name="token" value="{{.Token}}">
<p><label>name <input name="name" value="{{.Form.Name}}" required pattern="[a-z0-9][a-z0-9-]*"></label>
<label>product <input name="product" value="{{.Form.Product}}"></label>
<label>team <input name="team" value="{{.Form.Team}}"></label>
<label>namespace <input name="namespace" value="{{.Form.Namespace}}"></label>
<label>gitRepo <input name="gitRepo" value="{{.Form.GitRepo}}"></label></p>
<fieldset><legend>Stacks</legend>{{range .Stacks}}<label><input type="checkbox" name="stack" value="{{.Name}}"{{if .Checked}} checked{{end}}> {{.Name}}</label>{{end}}</fieldset>
<fieldset><legend>Templates (each chosen stack gets every chosen template)</legend>{{range .Templates}}<label><input type="checkbox" name="template" value="{{.Name}}"{{if .Checked}} checked{{end}}> {{.Name}}</label>{{end}}</fieldset>
<p><button type="submit" id="create">Create service file</button></p>
</form>
</body></html>{{end}}
`))
