package api

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/derbes/derbes/vault"
)

// TransferIn is the body of POST /v1/transfers.
type TransferIn struct {
	Subject   string   `json:"subject"`
	Recipient string   `json:"recipient"`
	Purpose   string   `json:"purpose"`
	Records   []string `json:"records,omitempty"`
	Fields    []string `json:"fields"`
	Ground    string   `json:"ground,omitempty"`
	Reference string   `json:"reference,omitempty"`
	// Grant asks for an access grant for the recipient's system lasting
	// this long, as a Go duration ("72h"); at most 720h.
	Grant string `json:"grant,omitempty"`
	// Push delivers the transferred fields to the recipient's configured
	// endpoint (a signed webhook) at once.
	Push bool `json:"push,omitempty"`
}

// TransferOut is a new transfer, with how its push went.
type TransferOut struct {
	*vault.Transfer
	// Push is "delivered", or the problem code of a failed delivery; empty
	// when no push was asked.
	Push string `json:"push,omitempty"`
}

// Transfers is a list of transfers.
type Transfers struct {
	Transfers []*vault.Transfer `json:"transfers"`
}

func (s *Server) createTransfer(w http.ResponseWriter, r *http.Request, a vault.Actor) {
	var in TransferIn
	if err := decode(w, r, &in); err != nil {
		s.fail(w, r, err)
		return
	}
	var d time.Duration
	if in.Grant != "" {
		var err error
		if d, err = time.ParseDuration(in.Grant); err != nil || d <= 0 {
			s.fail(w, r, &httpError{http.StatusUnprocessableEntity, "invalid-value", `grant is a duration such as "72h"`, "grant"})
			return
		}
	}
	if in.Purpose == "" {
		in.Purpose = purpose(r)
	}
	if in.Push && d == 0 {
		d = time.Hour // the push reads through a grant of its own
	}
	out, err := s.vault.CreateTransfer(r.Context(), a, vault.NewTransfer{Subject: in.Subject, Recipient: in.Recipient, Purpose: in.Purpose,
		Records: in.Records, Fields: in.Fields, Ground: in.Ground, Reference: in.Reference, GrantFor: d})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	res := TransferOut{Transfer: out}
	if in.Push {
		res.Push = "delivered"
		if err := s.vault.PushTransfer(r.Context(), a, out.Grant.Token); err != nil {
			p, ok := vault.AsProblem(err)
			if !ok {
				s.fail(w, r, err)
				return
			}
			res.Push = p.Code
		}
	}
	w.Header().Set("Location", "/v1/transfers?subject="+out.Subject)
	writeJSON(w, http.StatusCreated, res)
}

func (s *Server) listTransfers(w http.ResponseWriter, r *http.Request, a vault.Actor) {
	q := r.URL.Query()
	list, err := s.vault.ListTransfers(r.Context(), a, q.Get("subject"), q.Get("recipient"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if list == nil {
		list = []*vault.Transfer{}
	}
	writeJSON(w, http.StatusOK, Transfers{Transfers: list})
}

func (s *Server) revokeTransfer(w http.ResponseWriter, r *http.Request, a vault.Actor) {
	if err := s.vault.RevokeTransfer(r.Context(), a, r.PathValue("id")); err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// shared serves a recipient's reads through its grant token: GET
// /v1/shared (everything passed) and GET /v1/shared/records/{id}, each
// with an optional fields parameter.
func (s *Server) shared(w http.ResponseWriter, r *http.Request) {
	auth := r.Header.Get("Authorization")
	if len(auth) < 7 || !strings.EqualFold(auth[:7], "Bearer ") {
		w.Header().Set("WWW-Authenticate", `Bearer realm="derbes-shared"`)
		writeProblem(w, http.StatusUnauthorized, "unauthenticated", "send your grant: Authorization: Bearer dbg_…", "")
		return
	}
	var fields []string
	for _, x := range r.URL.Query()["fields"] {
		for _, f := range strings.Split(x, ",") {
			if f != "" {
				fields = append(fields, f)
			}
		}
	}
	out, err := s.vault.ReadShared(r.Context(), strings.TrimSpace(auth[7:]), r.PathValue("id"), fields)
	if errors.Is(err, vault.ErrBadGrant) {
		writeProblem(w, http.StatusForbidden, "grant-invalid", "the grant is not valid, was revoked or has expired", "")
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, out)
}
