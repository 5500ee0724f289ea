package api

import (
	"bytes"
	"crypto/subtle"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/derbes/derbes/access"
	"github.com/derbes/derbes/calendar"
	"github.com/derbes/derbes/document"
	"github.com/derbes/derbes/proxy"
	"github.com/derbes/derbes/vault"
)

// WithStaff lets staff sign in (POST /v1/login) and use the API with their
// session tokens.
func (s *Server) WithStaff(st *access.Staff) *Server {
	s.staff = st
	return s
}

// LoginIn is the body of POST /v1/login.
type LoginIn struct {
	Login    string `json:"login"`
	Password string `json:"password"`
	TOTP     string `json:"totp,omitempty"`
}

// LoginOut is a new session.
type LoginOut struct {
	Token     string    `json:"token"`
	ExpiresAt time.Time `json:"expires_at"`
}

func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	if s.staff == nil {
		writeProblem(w, http.StatusNotFound, "no-such-route", "staff sign-in is not enabled on this server", "")
		return
	}
	var in LoginIn
	if err := decode(w, r, &in); err != nil {
		s.fail(w, r, err)
		return
	}
	token, err := s.staff.Login(r.Context(), in.Login, in.Password, in.TOTP)
	switch {
	case errors.Is(err, access.ErrLocked):
		w.Header().Set("Retry-After", "900")
		writeProblem(w, http.StatusTooManyRequests, "locked", "too many failed attempts: the account is locked for 15 minutes", "")
	case errors.Is(err, access.ErrLogin):
		writeProblem(w, http.StatusUnauthorized, "login-failed", "wrong login, password or code", "")
	case err != nil:
		s.fail(w, r, err)
	default:
		writeJSON(w, http.StatusOK, LoginOut{Token: token, ExpiresAt: time.Now().Add(access.SessionFor).UTC()})
	}
}

// WithOIDC lets staff sign in through the operator's OpenID Connect
// provider (GET /v1/login/oidc, then its callback).
func (s *Server) WithOIDC(o *access.OIDC) *Server {
	s.oidc = o
	return s
}

// oidcCookie keeps a sign-in's state and nonce in the browser between the
// redirect to the provider and its callback.
const oidcCookie = "derbes_oidc"

func (s *Server) oidcStart(w http.ResponseWriter, r *http.Request) {
	if s.oidc == nil {
		writeProblem(w, http.StatusNotFound, "no-such-route", "OpenID Connect sign-in is not enabled on this server", "")
		return
	}
	state, nonce := access.NewState(), access.NewState()
	http.SetCookie(w, &http.Cookie{Name: oidcCookie, Value: state + "." + nonce, Path: "/v1/login/oidc", MaxAge: 600,
		HttpOnly: true, Secure: proxy.HTTPS(r), SameSite: http.SameSiteLaxMode})
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, s.oidc.AuthURL(state, nonce), http.StatusFound)
}

func (s *Server) oidcCallback(w http.ResponseWriter, r *http.Request) {
	if s.oidc == nil {
		writeProblem(w, http.StatusNotFound, "no-such-route", "OpenID Connect sign-in is not enabled on this server", "")
		return
	}
	var state, nonce string
	if c, err := r.Cookie(oidcCookie); err == nil {
		state, nonce, _ = strings.Cut(c.Value, ".")
	}
	given := r.URL.Query().Get("state")
	if state == "" || nonce == "" || subtle.ConstantTimeCompare([]byte(state), []byte(given)) != 1 {
		s.fail(w, r, badRequest("invalid-parameter", "state", "this sign-in was not started here, or took more than 10 minutes: start again at /v1/login/oidc"))
		return
	}
	http.SetCookie(w, &http.Cookie{Name: oidcCookie, Path: "/v1/login/oidc", MaxAge: -1, HttpOnly: true, Secure: proxy.HTTPS(r), SameSite: http.SameSiteLaxMode})
	token, err := s.oidc.Finish(r.Context(), r.URL.Query().Get("code"), nonce)
	switch {
	case errors.Is(err, access.ErrLogin):
		writeProblem(w, http.StatusUnauthorized, "login-failed", "the provider's answer was not accepted, or there is no active derbes account for this person", "")
	case err != nil:
		s.fail(w, r, err)
	default:
		writeJSON(w, http.StatusOK, LoginOut{Token: token, ExpiresAt: time.Now().Add(access.SessionFor).UTC()})
	}
}

// logout ends the session whose token the request carries (POST
// /v1/logout). It takes the token itself rather than going through authed:
// only a session can be ended, never an API key.
func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	if s.staff == nil {
		writeProblem(w, http.StatusNotFound, "no-such-route", "staff sign-in is not enabled on this server", "")
		return
	}
	auth := r.Header.Get("Authorization")
	token := ""
	if len(auth) > 7 && strings.EqualFold(auth[:7], "Bearer ") {
		token = strings.TrimSpace(auth[7:])
	}
	err := s.staff.Logout(r.Context(), token)
	if errors.Is(err, access.ErrBadKey) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="derbes", error="invalid_token"`)
		writeProblem(w, http.StatusUnauthorized, "unauthenticated", "send the session token to end: Authorization: Bearer dss_…", "")
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusNoContent)
}

// AccessReport is the people-with-access report.
type AccessReport struct {
	At time.Time `json:"at"`
	// PolicyVersion is the policy activation in force at At (0: none).
	PolicyVersion int64              `json:"policy_version"`
	Lines         []vault.AccessLine `json:"lines"`
}

// accessAt reads the at parameter: a time, or a date meaning the end of
// that day in Astana.
func accessAt(v string) (time.Time, error) {
	if v == "" {
		return time.Now(), nil
	}
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t, nil
	}
	d, err := time.ParseInLocation(time.DateOnly, v, calendar.Location())
	if err != nil {
		return time.Time{}, badRequest("invalid-parameter", "at", "at is a time such as 2026-03-20T09:00:00+05:00 or a date such as 2026-03-20")
	}
	return d.AddDate(0, 0, 1).Add(-time.Microsecond), nil
}

func (s *Server) accessReport(w http.ResponseWriter, r *http.Request, a vault.Actor) {
	q := r.URL.Query()
	at, err := accessAt(q.Get("at"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	lang := q.Get("lang")
	if lang == "" {
		lang = "ru"
	}
	if !document.Lang(lang) {
		s.fail(w, r, badRequest("invalid-parameter", "lang", "lang is kk, ru or en"))
		return
	}
	rep, err := s.vault.PeopleWithAccessReport(r.Context(), a, at)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	switch q.Get("format") {
	case "csv":
		var buf bytes.Buffer
		if err := rep.WriteCSV(&buf, lang); err != nil {
			s.fail(w, r, err)
			return
		}
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", `attachment; filename="people-with-access.csv"`)
		w.Header().Set("Cache-Control", "no-store")
		w.Write(buf.Bytes())
	case "pdf":
		pdf, err := rep.PDF(lang, time.Now())
		if err != nil {
			s.fail(w, r, err)
			return
		}
		w.Header().Set("Content-Type", "application/pdf")
		w.Header().Set("Content-Disposition", `inline; filename="people-with-access-`+lang+`.pdf"`)
		w.Header().Set("Cache-Control", "no-store")
		w.Write(pdf)
	default:
		writeJSON(w, http.StatusOK, AccessReport{At: rep.At, PolicyVersion: rep.PolicyVersion, Lines: rep.Lines})
	}
}

// IncidentIn is the body of POST /v1/incidents.
type IncidentIn struct {
	Description string   `json:"description"`
	Subjects    []string `json:"subjects,omitempty"`
}

// IncidentChangeIn is the body of PATCH /v1/incidents/{id}.
type IncidentChangeIn struct {
	Classification string   `json:"classification,omitempty"`
	Status         string   `json:"status,omitempty"`
	Measure        string   `json:"measure,omitempty"`
	Subjects       []string `json:"subjects,omitempty"`
	NoticeSent     bool     `json:"notice_sent,omitempty"`
}

// Incidents is a list of incidents.
type Incidents struct {
	Incidents []*vault.Incident `json:"incidents"`
}

func (s *Server) listIncidents(w http.ResponseWriter, r *http.Request, a vault.Actor) {
	list, err := s.vault.Incidents(r.Context(), a, r.URL.Query().Get("status"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if list == nil {
		list = []*vault.Incident{}
	}
	writeJSON(w, http.StatusOK, Incidents{Incidents: list})
}

func (s *Server) reportIncident(w http.ResponseWriter, r *http.Request, a vault.Actor) {
	var in IncidentIn
	if err := decode(w, r, &in); err != nil {
		s.fail(w, r, err)
		return
	}
	id, err := s.vault.ReportIncident(r.Context(), a, in.Description, in.Subjects)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Location", "/v1/incidents/"+id)
	writeJSON(w, http.StatusCreated, map[string]string{"incident": id})
}

func (s *Server) getIncident(w http.ResponseWriter, r *http.Request, a vault.Actor) {
	x, err := s.vault.GetIncident(r.Context(), a, r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, x)
}

func (s *Server) updateIncident(w http.ResponseWriter, r *http.Request, a vault.Actor) {
	var in IncidentChangeIn
	if err := decode(w, r, &in); err != nil {
		s.fail(w, r, err)
		return
	}
	x, err := s.vault.UpdateIncident(r.Context(), a, r.PathValue("id"), vault.IncidentChange(in))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, x)
}

func (s *Server) incidentNotice(w http.ResponseWriter, r *http.Request, a vault.Actor) {
	n, err := s.vault.DraftNotice(r.Context(), a, r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, n)
}

// Versions lists a record's earlier versions.
type Versions struct {
	Versions []vault.RecordVersion `json:"versions"`
}

func (s *Server) recordVersions(w http.ResponseWriter, r *http.Request, a vault.Actor) {
	vs, err := s.vault.Versions(r.Context(), a, r.PathValue("id"), purpose(r))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if vs == nil {
		vs = []vault.RecordVersion{}
	}
	writeJSON(w, http.StatusOK, Versions{Versions: vs})
}

// RestoreIn is the body of POST /v1/records/{id}/restore.
type RestoreIn struct {
	Purpose string `json:"purpose,omitempty"`
	Version int64  `json:"version"`
}

func (s *Server) restoreRecord(w http.ResponseWriter, r *http.Request, a vault.Actor) {
	var in RestoreIn
	if err := decode(w, r, &in); err != nil {
		s.fail(w, r, err)
		return
	}
	if in.Purpose == "" {
		in.Purpose = purpose(r)
	}
	rec, err := s.vault.RestoreRecord(r.Context(), a, r.PathValue("id"), in.Purpose, in.Version)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, rec)
}
