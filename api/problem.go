package api

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"

	"github.com/derbes/derbes/vault"
)

// ProblemType turns a stable problem code into the problem's type URI.
// Clients compare types; docs/api.md lists every code.
func ProblemType(code string) string { return "urn:derbes:problem:" + code }

// Problem is an RFC 9457 problem detail.
type Problem struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail,omitempty"`
	// Field names the input field at fault, if any.
	Field string `json:"field,omitempty"`
}

var statusOf = map[vault.Kind]int{
	vault.Invalid:  http.StatusUnprocessableEntity,
	vault.Denied:   http.StatusForbidden,
	vault.NotFound: http.StatusNotFound,
	vault.Conflict: http.StatusConflict,
	vault.Gone:     http.StatusGone,
	vault.Locked:   http.StatusLocked,
}

func writeProblem(w http.ResponseWriter, status int, code, detail, field string) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(Problem{Type: ProblemType(code), Title: http.StatusText(status), Status: status, Detail: detail, Field: field})
}

// fail answers with the problem err describes. Internal errors are logged
// and answered without their text: it may name tables or, worse, values.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	if p, ok := vault.AsProblem(err); ok {
		writeProblem(w, statusOf[p.Kind], p.Code, p.Message, p.Field)
		return
	}
	var he *httpError
	if errors.As(err, &he) {
		writeProblem(w, he.status, he.code, he.msg, he.field)
		return
	}
	s.log.ErrorContext(r.Context(), "request failed", slog.String("route", r.Pattern), slog.String("error", err.Error()))
	writeProblem(w, http.StatusInternalServerError, "internal", "the request could not be completed; the operator's log has the details", "")
}

// httpError is a problem found while reading the request.
type httpError struct {
	status           int
	code, msg, field string
}

func (e *httpError) Error() string { return e.msg }

func badRequest(code, field, msg string) error {
	return &httpError{http.StatusBadRequest, code, msg, field}
}
