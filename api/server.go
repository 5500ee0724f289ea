// Package api is derbes's HTTP API, version 1: JSON in and out, errors as
// RFC 9457 problem details, every call authenticated by an API key bound to
// a role of the policy. routes.go lists every route; openapi.json
// describes them.
package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"strings"
	"time"

	"github.com/derbes/derbes/access"
	"github.com/derbes/derbes/vault"
)

// MaxBody bounds a request body. Records are small; a large body is a
// mistake or an attack.
const MaxBody = 1 << 20

// Server serves the API.
type Server struct {
	vault   *vault.Vault
	keys    *access.Keys
	staff   *access.Staff
	oidc    *access.OIDC
	metrics *metrics
	// metricsToken, if set, is the bearer token /metrics asks for.
	metricsToken string
	log          *slog.Logger
	mux          *http.ServeMux
	ready        func(context.Context) error
}

// New returns the API server. ready reports whether the store answers.
func New(v *vault.Vault, k *access.Keys, log *slog.Logger, ready func(context.Context) error) *Server {
	s := &Server{vault: v, keys: k, log: log, mux: http.NewServeMux(), ready: ready, metrics: newMetrics()}
	s.routes()
	return s
}

// ServeHTTP logs each request by its route pattern (never its path or
// query, which can hold an IIN or a phone number).
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
	w.Header().Set("X-Content-Type-Options", "nosniff")
	if h, pattern := s.mux.Handler(r); pattern == "" {
		s.unrouted(sw, r, h)
	} else {
		s.mux.ServeHTTP(sw, r)
	}
	s.metrics.observe(r.Pattern, sw.status, time.Since(start))
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

// authed wraps a handler that needs an API key.
func (s *Server) authed(h func(http.ResponseWriter, *http.Request, vault.Actor)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		auth := r.Header.Get("Authorization")
		if len(auth) < 7 || !strings.EqualFold(auth[:7], "Bearer ") {
			w.Header().Set("WWW-Authenticate", `Bearer realm="derbes"`)
			writeProblem(w, http.StatusUnauthorized, "unauthenticated", "send an API key: Authorization: Bearer dbs_…", "")
			return
		}
		token := strings.TrimSpace(auth[7:])
		var p access.Principal
		var err error
		if strings.HasPrefix(token, "dss_") && s.staff != nil {
			p, err = s.staff.AuthenticateSession(r.Context(), token)
		} else {
			p, err = s.keys.Authenticate(r.Context(), token)
		}
		if errors.Is(err, access.ErrBadKey) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="derbes", error="invalid_token"`)
			writeProblem(w, http.StatusUnauthorized, "unauthenticated", "the API key is not valid or was revoked", "")
			return
		}
		if err != nil {
			s.fail(w, r, err)
			return
		}
		a := vault.Actor{ID: p.ID, Role: p.Role}
		// An API key used from a network it was never used from opens an
		// incident (sessions are people, who move between networks).
		s.vault.ObserveNetwork(r.Context(), a, r.RemoteAddr)
		h(w, r, a)
	}
}

// decode reads a JSON body into v: one object, no unknown fields, at most
// MaxBody bytes.
func decode(w http.ResponseWriter, r *http.Request, v any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || mt != "application/json" {
			return &httpError{http.StatusUnsupportedMediaType, "unsupported-media-type", "send application/json", ""}
		}
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBody))
	if err != nil {
		return jsonProblem(err)
	}
	body = bytes.TrimSpace(body)
	if len(body) == 0 {
		return badRequest("malformed-json", "", "the body is empty; send a JSON object")
	}
	if body[0] != '{' {
		return badRequest("malformed-json", "", "the body must be a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonProblem(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return badRequest("malformed-json", "", "the body must hold one JSON object and nothing after it")
	}
	return nil
}

// jsonProblem explains a decoding error without echoing the input.
func jsonProblem(err error) error {
	var mbe *http.MaxBytesError
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &mbe):
		return &httpError{http.StatusRequestEntityTooLarge, "body-too-large", fmt.Sprintf("the body is larger than %d bytes", MaxBody), ""}
	case errors.Is(err, io.EOF):
		return badRequest("malformed-json", "", "the body is empty; send a JSON object")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return badRequest("malformed-json", "", "the JSON body ends too early")
	case errors.As(err, &se):
		return badRequest("malformed-json", "", fmt.Sprintf("the body is not valid JSON (at byte %d)", se.Offset))
	case errors.As(err, &te):
		return &httpError{http.StatusUnprocessableEntity, "wrong-type", fmt.Sprintf("%s must be %s, not %s", te.Field, jsonType(te.Type.Kind().String()), te.Value), te.Field}
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return badRequest("unknown-member", name, fmt.Sprintf("the request has no member %q", name))
	}
	return badRequest("malformed-json", "", "the body is not a valid request")
}

func jsonType(kind string) string {
	switch kind {
	case "string":
		return "a string"
	case "map", "struct":
		return "an object"
	case "slice":
		return "an array"
	case "bool":
		return "true or false"
	}
	return "a " + kind
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// purpose is the declared purpose of a read: the X-Purpose header or the
// purpose parameter.
func purpose(r *http.Request) string {
	if p := r.Header.Get("X-Purpose"); p != "" {
		return p
	}
	return r.URL.Query().Get("purpose")
}
