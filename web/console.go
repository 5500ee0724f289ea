package web

// The staff console (/console): sign-in with a password and a second
// factor through access.Staff, then pages for what the staff's role of the
// policy in force allows. Every page that shows personal data gets it from
// the vault, through the same calls as the API, so each read is
// purpose-declared, authorized by the role and journaled in its own
// transaction. console_pages.go has the pages; this file has the session,
// the CSRF tokens and the language remembered on the staff account.

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/derbes/derbes/access"
	"github.com/derbes/derbes/policy"
	"github.com/derbes/derbes/proxy"
	"github.com/derbes/derbes/store"
	"github.com/derbes/derbes/vault"
)

// ConsoleCookie holds a staff session token. It is HttpOnly, SameSite=Strict
// and scoped to /console, so neither a script nor another site's link can
// use it.
const ConsoleCookie = "derbes_console"

// signInCookie carries the CSRF token of the sign-in form (a form sent
// before there is a session to derive one from).
const signInCookie = "derbes_console_signin"

// consolePages are the console's templates, each parsed with
// console_layout.html.
var consolePages = []string{"signin", "today", "lookup", "requests", "request", "transfers", "journal", "people", "error"}

// parseConsole parses the console's templates; args passes the page and
// a value to a shared sub-template.
func (s *server) parseConsole() {
	for _, name := range consolePages {
		t := template.New("console_layout.html").Funcs(template.FuncMap{"args": func(v ...any) []any { return v }})
		s.pages["console_"+name] = template.Must(t.ParseFS(templateFiles, "templates/console_layout.html", "templates/console_"+name+".html"))
	}
}

// consoleRoutes registers the console's routes; without a staff service
// the console does not exist (404).
func (s *server) consoleRoutes() {
	if s.opts.Staff == nil {
		return
	}
	s.mux.HandleFunc("GET /console", s.consoleHome)
	s.mux.HandleFunc("GET /console/sign-in", s.consoleSignInForm)
	s.mux.HandleFunc("POST /console/sign-in", s.consoleSignIn)
	s.mux.HandleFunc("POST /console/sign-out", s.staffOnly("", s.consoleSignOut))
	s.mux.HandleFunc("GET /console/today", s.staffOnly("today", s.consoleToday))
	s.mux.HandleFunc("GET /console/lookup", s.staffOnly("lookup", s.consoleLookupForm))
	s.mux.HandleFunc("POST /console/lookup", s.staffOnly("lookup", s.consoleLookup))
	s.mux.HandleFunc("GET /console/requests", s.staffOnly("requests", s.consoleRequests))
	s.mux.HandleFunc("GET /console/requests/{id}", s.staffOnly("requests", s.consoleRequest))
	s.mux.HandleFunc("POST /console/requests/{id}/verify", s.staffOnly("requests", s.consoleVerify))
	s.mux.HandleFunc("POST /console/requests/{id}/fulfil", s.staffOnly("requests", s.consoleFulfil))
	s.mux.HandleFunc("POST /console/requests/{id}/refuse", s.staffOnly("requests", s.consoleRefuse))
	s.mux.HandleFunc("GET /console/requests/{id}/letter.pdf", s.staffOnly("requests", s.consoleLetter))
	s.mux.HandleFunc("GET /console/transfers", s.staffOnly("transfers", s.consoleTransfers))
	s.mux.HandleFunc("GET /console/journal", s.staffOnly("journal", s.consoleJournal))
	s.mux.HandleFunc("GET /console/people", s.staffOnly("people", s.consolePeople))
}

// staffMember is the signed-in staff member of a console request.
type staffMember struct {
	Login string
	Role  policy.Role
	// RoleTitle is the role's title in the page's language.
	RoleTitle string
	actor     vault.Actor
	token     string
	lang      string
}

// consoleData is page.Data of every console page: who is signed in, the
// form token, the navigation the role allows, and the page's own view.
type consoleData struct {
	User *staffMember
	CSRF string
	Menu []menuItem
	View any
}

// menuItem is one entry of the console's navigation.
type menuItem struct {
	ID, URL, Text string
	Current       bool
}

// csrfToken derives a session's form token: a MAC of a fixed string under
// the session token, which only the browser holding the (HttpOnly) cookie
// and the server know.
func csrfToken(session string) string {
	m := hmac.New(sha256.New, []byte(session))
	m.Write([]byte("derbes console form"))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// sameToken compares tokens in constant time.
func sameToken(a, b string) bool {
	return a != "" && subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

// staffOnly runs h for a signed-in staff member: a page without a session
// sends the browser to sign in (a form gets 401), and a form without the
// session's token is refused (403) before anything happens.
func (s *server) staffOnly(nav string, h func(http.ResponseWriter, *http.Request, *page)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		u, err := s.staffMember(r)
		if err != nil {
			if !errors.Is(err, access.ErrBadKey) {
				s.fail(w, r, nil, err)
				return
			}
			if r.Method == http.MethodGet || r.Method == http.MethodHead {
				http.Redirect(w, r, "/console/sign-in", http.StatusSeeOther)
				return
			}
			s.consoleSignInPage(w, r, http.StatusUnauthorized, "console.signin.expired")
			return
		}
		p := s.consolePage(w, r, u, nav)
		if p == nil {
			return
		}
		if r.Method == http.MethodPost && !sameToken(r.PostFormValue("csrf"), csrfToken(u.token)) {
			s.consoleProblem(w, r, p, http.StatusForbidden, "csrf")
			return
		}
		h(w, r, p)
	}
}

// staffMember authenticates the session cookie; access.ErrBadKey means
// there is no valid session.
func (s *server) staffMember(r *http.Request) (*staffMember, error) {
	c, err := r.Cookie(ConsoleCookie)
	if err != nil {
		return nil, access.ErrBadKey
	}
	pr, err := s.opts.Staff.AuthenticateSession(r.Context(), c.Value)
	if err != nil {
		return nil, err
	}
	login := strings.TrimPrefix(pr.ID, "staff:")
	var lang string
	if err := s.store.Read(r.Context(), func(rd *store.Reader) error {
		var err error
		lang, err = rd.StaffLang(r.Context(), login)
		return err
	}); err != nil {
		return nil, err
	}
	return &staffMember{Login: login, actor: vault.Actor{ID: pr.ID, Role: pr.Role}, token: c.Value, lang: lang}, nil
}

// consolePage starts a console page for u. The language is the account's:
// a ?lang= that differs from it is stored on the account, so it follows
// the staff member to any browser. It answers and returns nil when no
// policy is in force or the role is not in it.
func (s *server) consolePage(w http.ResponseWriter, r *http.Request, u *staffMember, nav string) *page {
	lang := u.lang
	if l := r.URL.Query().Get("lang"); validLang(l) && l != u.lang {
		err := s.store.Write(r.Context(), func(tx *store.Tx) error { return tx.StaffLangSet(r.Context(), u.Login, l) })
		if err != nil {
			s.fail(w, r, nil, err)
			return nil
		}
		lang, u.lang = l, l
	}
	if !validLang(lang) {
		lang, _ = pickLang(r)
	}
	p := &page{Lang: lang, Nav: nav}
	q := url.Values{}
	if r.Method == http.MethodGet {
		q = r.URL.Query()
	}
	for _, l := range Langs {
		q.Set("lang", l)
		p.Langs = append(p.Langs, langLink{Lang: l, Name: langNames[l], URL: r.URL.Path + "?" + q.Encode(), Current: l == lang})
	}
	a := s.vault.Policy()
	if a == nil {
		s.consoleProblem(w, r, p, http.StatusServiceUnavailable, "no_policy")
		return nil
	}
	p.Operator = a.Operator.Name.In(lang)
	role, ok := a.Role(u.actor.Role)
	if !ok {
		s.consoleProblem(w, r, p, http.StatusForbidden, "role")
		return nil
	}
	u.Role, u.RoleTitle = role, role.Title.In(lang)
	d := &consoleData{User: u, CSRF: csrfToken(u.token)}
	for _, m := range []struct{ id, can string }{
		{"today", ""}, {"lookup", policy.CanLookup}, {"requests", policy.CanRequests},
		{"transfers", policy.CanTransfer}, {"journal", policy.CanJournal}, {"people", policy.CanAdmin},
	} {
		if m.can == "" || role.May(m.can) {
			d.Menu = append(d.Menu, menuItem{ID: m.id, URL: "/console/" + m.id, Text: T(lang, "console.nav."+m.id), Current: m.id == nav})
		}
	}
	p.Data = d
	return p
}

// consoleRender renders a console page with view as its own data. Console
// pages may hold personal data: no cache keeps them (no-store, where the
// public pages say no-cache).
func (s *server) consoleRender(w http.ResponseWriter, r *http.Request, p *page, status int, name, title string, view any) {
	p.Title = title
	p.Data.(*consoleData).View = view
	var buf bytes.Buffer
	if err := s.pages["console_"+name].ExecuteTemplate(&buf, "layout", p); err != nil {
		s.fail(w, r, p, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// consoleProblem answers with the console's error page, which shows no
// data: only what went wrong.
func (s *server) consoleProblem(w http.ResponseWriter, r *http.Request, p *page, status int, key string) {
	if _, ok := p.Data.(*consoleData); !ok {
		p.Data = &consoleData{}
	}
	s.consoleRender(w, r, p, status, "error", T(p.Lang, "console.error."+key+".title"),
		errorView{Heading: T(p.Lang, "console.error."+key+".title"), Text: T(p.Lang, "console.error."+key+".text")})
}

// consoleHome sends a visitor to Today, or to sign in.
func (s *server) consoleHome(w http.ResponseWriter, r *http.Request) {
	http.Redirect(w, r, "/console/today", http.StatusSeeOther)
}

// signInView is the sign-in form.
type signInView struct {
	CSRF  string
	Error string
}

// consoleSignInForm shows the sign-in form with a fresh form token, kept
// in a cookie of its own until the sign-in.
func (s *server) consoleSignInForm(w http.ResponseWriter, r *http.Request) {
	if _, err := s.staffMember(r); err == nil {
		http.Redirect(w, r, "/console/today", http.StatusSeeOther)
		return
	}
	s.consoleSignInPage(w, r, http.StatusOK, "")
}

func (s *server) consoleSignInPage(w http.ResponseWriter, r *http.Request, status int, errKey string) {
	p := s.newPage(w, r, "signin")
	b := make([]byte, 32)
	rand.Read(b)
	token := base64.RawURLEncoding.EncodeToString(b)
	http.SetCookie(w, &http.Cookie{Name: signInCookie, Value: token, Path: "/console", MaxAge: 3600,
		HttpOnly: true, Secure: proxy.HTTPS(r), SameSite: http.SameSiteStrictMode})
	v := signInView{CSRF: token}
	if errKey != "" {
		v.Error = T(p.Lang, errKey)
	}
	p.Data = &consoleData{}
	s.consoleRender(w, r, p, status, "signin", T(p.Lang, "console.signin.title"), v)
}

// consoleSignIn checks the login, password and code through access.Staff
// (which journals every attempt and locks an account after repeated
// failures) and starts the session.
func (s *server) consoleSignIn(w http.ResponseWriter, r *http.Request) {
	c, err := r.Cookie(signInCookie)
	if err != nil || !sameToken(r.PostFormValue("csrf"), c.Value) {
		s.consoleSignInPage(w, r, http.StatusForbidden, "console.signin.stale")
		return
	}
	login, password, code := strings.TrimSpace(r.PostFormValue("login")), r.PostFormValue("password"), strings.TrimSpace(r.PostFormValue("code"))
	// Long inputs are refused before the (deliberately slow) hash.
	if login == "" || password == "" || len(login) > 100 || len(password) > 1000 || len(code) > 10 {
		s.consoleSignInPage(w, r, http.StatusUnauthorized, "console.signin.failed")
		return
	}
	token, err := s.opts.Staff.Login(r.Context(), login, password, code)
	switch {
	case errors.Is(err, access.ErrLogin):
		s.consoleSignInPage(w, r, http.StatusUnauthorized, "console.signin.failed")
		return
	case errors.Is(err, access.ErrLocked):
		s.consoleSignInPage(w, r, http.StatusUnauthorized, "console.signin.locked")
		return
	case err != nil:
		s.fail(w, r, nil, err)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: signInCookie, Path: "/console", MaxAge: -1, HttpOnly: true, Secure: proxy.HTTPS(r), SameSite: http.SameSiteStrictMode})
	http.SetCookie(w, &http.Cookie{Name: ConsoleCookie, Value: token, Path: "/console", MaxAge: int(access.SessionFor / time.Second),
		HttpOnly: true, Secure: proxy.HTTPS(r), SameSite: http.SameSiteStrictMode})
	http.Redirect(w, r, "/console/today", http.StatusSeeOther)
}

// consoleSignOut ends the session in the store (a copied cookie stops
// working too, on every node) and journals it, through access.Staff as
// POST /v1/logout does. A session already ended just loses its cookie.
func (s *server) consoleSignOut(w http.ResponseWriter, r *http.Request, p *page) {
	u := p.Data.(*consoleData).User
	if err := s.opts.Staff.Logout(r.Context(), u.token); err != nil && !errors.Is(err, access.ErrBadKey) {
		s.fail(w, r, p, err)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: ConsoleCookie, Path: "/console", MaxAge: -1, HttpOnly: true, Secure: proxy.HTTPS(r), SameSite: http.SameSiteStrictMode})
	http.Redirect(w, r, "/console/sign-in", http.StatusSeeOther)
}
