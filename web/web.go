// Package web is derbes's face in the browser: the published
// personal-data policy, its earlier versions and the consent notices shown
// at collection, all rendered from the policy derbes enforces; the subject
// portal (/portal), where a resident signs in with a one-time code and sees
// what is held about her; and the staff console (/console), where staff
// sign in with a password and TOTP. All in Kazakh, Russian and English.
//
// New returns the handler; Mount puts it in front of the API so that one
// listener serves both. routes.go lists every route. The policy pages hold
// no personal data and need no sign-in; the portal and the console show
// personal data only through the vault's journaled, purpose-declared reads.
//
// Every response carries a strict Content-Security-Policy: the pages have
// no inline script or style, and no script at all except the consent
// snippet, which runs on the operator's own site. Messages come from the
// catalogs in i18n/; a key missing from one renders as "⟦missing:key⟧".
package web

import (
	"bytes"
	"context"
	"embed"
	"html/template"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/derbes/derbes/access"
	"github.com/derbes/derbes/notify"
	"github.com/derbes/derbes/proxy"
	"github.com/derbes/derbes/store"
	"github.com/derbes/derbes/vault"
)

// CSP is the Content-Security-Policy of every response.
const CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"

//go:embed templates/*.html
var templateFiles embed.FS

//go:embed static
var staticFiles embed.FS

// server serves the pages.
type server struct {
	vault *vault.Vault
	store *store.Store
	log   *slog.Logger
	opts  Options
	mux   *http.ServeMux
	// guarded is mux behind cross-origin protection.
	guarded http.Handler
	now     func() time.Time
	pages   map[string]*template.Template
	// parsed caches earlier policy versions: an activation never
	// changes.
	parsed sync.Map // int64 → *earlier
	portal *portalState
}

// Options are what the faces beyond the published policy need.
type Options struct {
	// Staff signs staff in to the console (/console); nil leaves the
	// console answering 404.
	Staff *access.Staff
	// Notifier sends subjects their one-time sign-in codes for the
	// portal (/portal); nil leaves the portal answering 404.
	Notifier notify.Notifier
	// Development prints the portal's one-time codes to the log instead
	// of sending them; never set it in production.
	Development bool
}

// New returns the web handler over the vault (the policy in force) and its
// store (earlier versions), wrapped in cross-origin protection for the
// state-changing requests of the console and the portal.
func New(v *vault.Vault, s *store.Store, log *slog.Logger, o Options) http.Handler {
	return newServer(v, s, log, o, time.Now)
}

func newServer(v *vault.Vault, s *store.Store, log *slog.Logger, o Options, now func() time.Time) *server {
	srv := &server{vault: v, store: s, log: log, opts: o, mux: http.NewServeMux(), now: now, pages: map[string]*template.Template{}}
	for _, name := range []string{"policy", "versions", "notice", "notices", "error"} {
		srv.pages[name] = template.Must(template.ParseFS(templateFiles, "templates/layout.html", "templates/"+name+".html"))
	}
	srv.parsePortal()
	srv.parseConsole()
	srv.routes()
	srv.guarded = http.NewCrossOriginProtection().Handler(srv.mux)
	return srv
}

// ServeHTTP sets the security headers (on refusals too), refuses
// cross-origin state-changing requests, serves, and logs the request by its
// route pattern.
func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	h := w.Header()
	h.Set("Content-Security-Policy", CSP)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	if proxy.HTTPS(r) {
		// Only over HTTPS: over plain HTTP a browser ignores it, and a
		// development server must stay reachable by http://.
		h.Set("Strict-Transport-Security", "max-age=31536000")
	}
	sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
	s.guarded.ServeHTTP(sw, r)
	s.log.LogAttrs(r.Context(), slog.LevelInfo, "request",
		slog.String("method", r.Method), slog.String("route", r.Pattern), slog.Int("status", sw.status),
		slog.Duration("took", time.Since(start)))
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

// Serves reports whether path belongs to the web handler: the policy, the
// consent notices and snippet, the staff console, the subject portal and
// the static files.
func Serves(path string) bool {
	return path == "/policy" || strings.HasPrefix(path, "/policy/") ||
		path == "/console" || strings.HasPrefix(path, "/console/") ||
		path == "/portal" || strings.HasPrefix(path, "/portal/") ||
		path == "/consent-notice" || path == "/consent-snippet.js" ||
		strings.HasPrefix(path, "/static/") || path == "/favicon.ico"
}

// Mount sends the paths Serves names to web and every other one to api, as
// they arrive (no redirects, so the API answers its own paths unchanged).
func Mount(api, web http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if Serves(r.URL.Path) {
			web.ServeHTTP(w, r)
			return
		}
		api.ServeHTTP(w, r)
	})
}

// page is what every template gets: the language, the switch, and the
// page's own data in Data.
type page struct {
	Lang     string
	Title    string
	Operator string
	Nav      string
	Langs    []langLink
	Data     any
}

// langLink is one entry of the language switch.
type langLink struct {
	Lang    string
	Name    string
	URL     string
	Current bool
}

// T returns a message in the page's language.
func (p *page) T(key string) string { return T(p.Lang, key) }

// Tf formats a message in the page's language.
func (p *page) Tf(key string, args ...any) string { return tf(p.Lang, key, args...) }

// Link is path in the page's language.
func (p *page) Link(path string) string { return path + "?lang=" + p.Lang }

// newPage starts a page for r: it picks and remembers the language and
// builds the switch, which keeps the request's other parameters.
func (s *server) newPage(w http.ResponseWriter, r *http.Request, nav string) *page {
	lang, chosen := pickLang(r)
	// A fragment is fetched from the operator's site, which keeps no
	// cookie of derbes's.
	if chosen && r.URL.Query().Get("format") != "fragment" {
		rememberLang(w, r, lang)
	}
	p := &page{Lang: lang, Nav: nav}
	for _, l := range Langs {
		q := r.URL.Query()
		q.Set("lang", l)
		q.Del("format")
		p.Langs = append(p.Langs, langLink{Lang: l, Name: langNames[l], URL: r.URL.Path + "?" + q.Encode(), Current: l == lang})
	}
	if a := s.vault.Policy(); a != nil {
		p.Operator = a.Operator.Name.In(lang)
	}
	return p
}

// render executes a page into a buffer first, so that a failing template
// becomes an error page rather than half a page.
func (s *server) render(w http.ResponseWriter, r *http.Request, status int, name string, p *page) {
	var buf bytes.Buffer
	if err := s.pages[name].ExecuteTemplate(&buf, "layout", p); err != nil {
		s.fail(w, r, p, err)
		return
	}
	s.write(w, status, "text/html; charset=utf-8", buf.Bytes())
}

func (s *server) write(w http.ResponseWriter, status int, ctype string, b []byte) {
	h := w.Header()
	h.Set("Content-Type", ctype)
	h.Set("Cache-Control", "no-cache")
	h.Add("Vary", "Cookie")
	w.WriteHeader(status)
	w.Write(b)
}

// errorView is the data of an error page.
type errorView struct {
	Heading, Text string
}

// problem answers with an error page in the request's language.
func (s *server) problem(w http.ResponseWriter, r *http.Request, p *page, status int, key string) {
	if p == nil {
		p = s.newPage(w, r, "")
	}
	p.Title = p.T("error." + key + ".title")
	p.Data = errorView{Heading: p.Title, Text: p.T("error." + key + ".text")}
	var buf bytes.Buffer
	if err := s.pages["error"].ExecuteTemplate(&buf, "layout", p); err != nil {
		s.log.LogAttrs(r.Context(), slog.LevelError, "web: rendering an error page", slog.String("error", err.Error()))
		http.Error(w, http.StatusText(status), status)
		return
	}
	s.write(w, status, "text/html; charset=utf-8", buf.Bytes())
}

// fail logs an internal error and answers 500 without its text.
func (s *server) fail(w http.ResponseWriter, r *http.Request, p *page, err error) {
	s.log.LogAttrs(context.WithoutCancel(r.Context()), slog.LevelError, "web: request failed",
		slog.String("route", r.Pattern), slog.String("error", err.Error()))
	s.problem(w, r, p, http.StatusInternalServerError, "internal")
}
