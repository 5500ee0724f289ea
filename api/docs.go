package api

import (
	"encoding/json"
	"html/template"
	"net/http"
	"sort"
	"strings"
)

var docsPage = template.Must(template.New("docs").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>derbes API v1</title>
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}code{background:#f3f3f3;padding:0 .2em}
h2{margin-top:2rem;font-size:1.1rem}.m{display:inline-block;min-width:4.5rem;font-weight:bold}</style></head>
<body><h1>{{.Title}} <small>{{.Version}}</small></h1><p>{{.Description}}</p>
<p>The machine-readable description is <a href="/v1/openapi.json">/v1/openapi.json</a> (OpenAPI 3.1).</p>
{{range .Ops}}<h2><span class="m">{{.Method}}</span> <code>{{.Path}}</code></h2><p>{{.Summary}}</p>{{if .Description}}<p>{{.Description}}</p>{{end}}{{end}}
</body></html>`))

type docOp struct{ Method, Path, Summary, Description string }

// docs renders a readable page from openapi.json, with no script and no
// outside resources.
func (s *Server) docs(w http.ResponseWriter, r *http.Request) {
	var doc struct {
		Info struct {
			Title, Version, Description string
		}
		Paths map[string]map[string]struct {
			Summary, Description string
		}
	}
	if err := json.Unmarshal(OpenAPI, &doc); err != nil {
		s.fail(w, r, err)
		return
	}
	var ops []docOp
	for path, methods := range doc.Paths {
		for m, op := range methods {
			if op.Summary == "" && op.Description == "" {
				continue
			}
			ops = append(ops, docOp{Method: strings.ToUpper(m), Path: path, Summary: op.Summary, Description: op.Description})
		}
	}
	sort.Slice(ops, func(i, j int) bool {
		if ops[i].Path != ops[j].Path {
			return ops[i].Path < ops[j].Path
		}
		return ops[i].Method < ops[j].Method
	})
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	docsPage.Execute(w, map[string]any{"Title": doc.Info.Title, "Version": doc.Info.Version, "Description": doc.Info.Description, "Ops": ops})
}
