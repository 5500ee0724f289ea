package api

import (
	"net/http"
	"strconv"
	"time"

	"github.com/derbes/derbes/request"
	"github.com/derbes/derbes/store"
	"github.com/derbes/derbes/vault"
)

// RequestIn is the body of POST /v1/requests.
type RequestIn struct {
	Kind    string `json:"kind"`
	Channel string `json:"channel"`
	Lang    string `json:"lang,omitempty"`
	Subject string `json:"subject,omitempty"`
	request.Content
}

// Requests is a list of requests.
type Requests struct {
	Requests []*vault.Request `json:"requests"`
}

func (s *Server) submitRequest(w http.ResponseWriter, r *http.Request, a vault.Actor) {
	var in RequestIn
	if err := decode(w, r, &in); err != nil {
		s.fail(w, r, err)
		return
	}
	if in.Verified != nil {
		s.fail(w, r, badRequest("unknown-member", "verified", "verified is set by the verify step, not at intake"))
		return
	}
	out, err := s.vault.SubmitRequest(r.Context(), a, vault.NewRequest{Kind: in.Kind, Channel: in.Channel, Lang: in.Lang, Subject: in.Subject, Content: in.Content})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Location", "/v1/requests/"+out.ID)
	writeJSON(w, http.StatusCreated, out)
}

func (s *Server) listRequests(w http.ResponseWriter, r *http.Request, a vault.Actor) {
	q := r.URL.Query()
	f := store.RequestFilter{State: q.Get("state"), Assignee: q.Get("assignee")}
	if f.State != "" && f.State != request.Received && f.State != request.Verifying && f.State != request.InProgress && f.State != request.Answered {
		s.fail(w, r, badRequest("invalid-parameter", "state", "state is received, verifying, in_progress or answered"))
		return
	}
	switch v := q.Get("overdue"); v {
	case "", "false":
	case "true":
		f.OverdueAt = time.Now()
	default:
		s.fail(w, r, badRequest("invalid-parameter", "overdue", "overdue is true or false"))
		return
	}
	if v := q.Get("due_before"); v != "" {
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			s.fail(w, r, badRequest("invalid-parameter", "due_before", "due_before is a time such as 2026-03-26T18:00:00+05:00"))
			return
		}
		f.OverdueAt = t
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			s.fail(w, r, badRequest("invalid-parameter", "limit", "limit is between 1 and 1000"))
			return
		}
		f.Limit = n
	}
	list, err := s.vault.ListRequests(r.Context(), a, f)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if list == nil {
		list = []*vault.Request{}
	}
	writeJSON(w, http.StatusOK, Requests{Requests: list})
}

func (s *Server) getRequest(w http.ResponseWriter, r *http.Request, a vault.Actor) {
	out, err := s.vault.GetRequest(r.Context(), a, r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// VerifyIn is the body of POST /v1/requests/{id}/verify.
type VerifyIn struct {
	Subject     string     `json:"subject,omitempty"`
	Checked     []string   `json:"checked"`
	ConfirmedAt *time.Time `json:"confirmed_at,omitempty"`
	// Await: the requester was asked for documents; keep the request in
	// state verifying.
	Await bool `json:"await,omitempty"`
}

func (s *Server) verifyRequest(w http.ResponseWriter, r *http.Request, a vault.Actor) {
	var in VerifyIn
	if err := decode(w, r, &in); err != nil {
		s.fail(w, r, err)
		return
	}
	out, err := s.vault.VerifyRequest(r.Context(), a, r.PathValue("id"), vault.Verification{Subject: in.Subject, Checked: in.Checked, ConfirmedAt: in.ConfirmedAt, Await: in.Await})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// AssignIn is the body of POST /v1/requests/{id}/assign.
type AssignIn struct {
	Assignee string `json:"assignee"`
}

func (s *Server) assignRequest(w http.ResponseWriter, r *http.Request, a vault.Actor) {
	var in AssignIn
	if err := decode(w, r, &in); err != nil {
		s.fail(w, r, err)
		return
	}
	out, err := s.vault.AssignRequest(r.Context(), a, r.PathValue("id"), in.Assignee)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// FulfilIn is the body of POST /v1/requests/{id}/fulfil.
type FulfilIn struct {
	Partly        bool               `json:"partly,omitempty"`
	IncludeValues bool               `json:"include_values,omitempty"`
	Done          string             `json:"done,omitempty"`
	Record        string             `json:"record,omitempty"`
	Corrections   map[string]*string `json:"corrections,omitempty"`
	Consent       string             `json:"consent,omitempty"`
}

func (s *Server) fulfilRequest(w http.ResponseWriter, r *http.Request, a vault.Actor) {
	var in FulfilIn
	if err := decode(w, r, &in); err != nil {
		s.fail(w, r, err)
		return
	}
	out, err := s.vault.FulfilRequest(r.Context(), a, r.PathValue("id"), vault.Fulfilment(in))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// RefuseIn is the body of POST /v1/requests/{id}/refuse.
type RefuseIn struct {
	Reason      string `json:"reason"`
	Explanation string `json:"explanation"`
}

func (s *Server) refuseRequest(w http.ResponseWriter, r *http.Request, a vault.Actor) {
	var in RefuseIn
	if err := decode(w, r, &in); err != nil {
		s.fail(w, r, err)
		return
	}
	out, err := s.vault.RefuseRequest(r.Context(), a, r.PathValue("id"), in.Reason, in.Explanation)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// answer returns the answer letter as JSON, or as a PDF in the request's
// language (or lang) when format=pdf or the client accepts only PDF.
func (s *Server) requestAnswer(w http.ResponseWriter, r *http.Request, a vault.Actor) {
	format, lang, ok := s.formatAndLang(w, r)
	if !ok {
		return
	}
	l, err := s.vault.Answer(r.Context(), a, r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if format == "json" {
		writeJSON(w, http.StatusOK, l)
		return
	}
	if lang == "" {
		lang = l.Lang
	}
	pdf, err := l.PDF(lang)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writePDF(w, "answer-"+l.RequestID+"-"+lang+".pdf", pdf)
}
