package web

import (
	"io/fs"
	"net/http"
	"strings"
)

// routes registers every route of the web face. The policy pages answer
// GET (and HEAD) only; the portal's and the console's forms POST
// (portal.go, console.go list their routes). Anything else is a 404 or
// 405 page.
func (s *server) routes() {
	s.mux.HandleFunc("GET /policy", s.policy)
	s.mux.HandleFunc("GET /policy/versions", s.versionList)
	s.mux.HandleFunc("GET /policy/versions/{n}", s.version)
	s.mux.HandleFunc("GET /consent-notice", s.notice)
	s.mux.HandleFunc("GET /consent-snippet.js", s.snippet)
	s.mux.Handle("GET /static/", s.static())
	s.mux.HandleFunc("GET /favicon.ico", s.favicon)
	s.portalRoutes()
	s.consoleRoutes()
	s.mux.HandleFunc("/", s.unrouted)
}

// static serves the embedded stylesheet.
func (s *server) static() http.Handler {
	sub, err := fs.Sub(staticFiles, "static")
	if err != nil {
		panic("web: static: " + err.Error())
	}
	files := http.StripPrefix("/static/", http.FileServerFS(sub))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/") {
			s.unrouted(w, r) // no directory listings
			return
		}
		w.Header().Set("Cache-Control", "public, max-age=3600")
		files.ServeHTTP(w, r)
	})
}

// unrouted answers a path no route takes: 405 for a method other than GET
// on a page that exists, 404 otherwise.
func (s *server) unrouted(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead && Serves(r.URL.Path) {
		w.Header().Set("Allow", "GET, HEAD")
		s.problem(w, r, nil, http.StatusMethodNotAllowed, "method")
		return
	}
	s.problem(w, r, nil, http.StatusNotFound, "not_found")
}

// favicon answers the browser's own request for /favicon.ico, which every
// page would otherwise turn into a 404 in the log.
func (s *server) favicon(w http.ResponseWriter, r *http.Request) {
	b, err := staticFiles.ReadFile("static/favicon.png")
	if err != nil {
		s.fail(w, r, nil, err)
		return
	}
	w.Header().Set("Cache-Control", "public, max-age=86400")
	w.Header().Set("Content-Type", "image/png")
	w.Write(b)
}
