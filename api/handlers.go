package api

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/derbes/derbes/consent"
	"github.com/derbes/derbes/journal"
	"github.com/derbes/derbes/policy"
	"github.com/derbes/derbes/vault"
)

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if s.vault.Policy() == nil {
		writeProblem(w, http.StatusServiceUnavailable, "not-ready", "no active policy", "")
		return
	}
	if err := s.ready(ctx); err != nil {
		s.log.WarnContext(ctx, "not ready", "error", err.Error())
		writeProblem(w, http.StatusServiceUnavailable, "not-ready", "the store does not answer", "")
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}

func (s *Server) openapi(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Write(OpenAPI)
}

// RecordIn is a record in a request.
type RecordIn struct {
	Purpose string            `json:"purpose"`
	Channel string            `json:"channel"`
	Ground  string            `json:"ground,omitempty"`
	Consent string            `json:"consent,omitempty"`
	Fields  map[string]string `json:"fields"`
}

// SubjectIn is the body of POST /v1/subjects.
type SubjectIn struct {
	Category    string            `json:"category"`
	Purpose     string            `json:"purpose"`
	Identifiers map[string]string `json:"identifiers"`
	// Consent is recorded with the subject; a consent-ground record rests
	// on it.
	Consent *consent.Request `json:"consent,omitempty"`
	Record  *RecordIn        `json:"record,omitempty"`
}

// Created is the answer to a create.
type Created = vault.Created

func (s *Server) createSubject(w http.ResponseWriter, r *http.Request, a vault.Actor) {
	var in SubjectIn
	if err := decode(w, r, &in); err != nil {
		s.fail(w, r, err)
		return
	}
	ns := vault.NewSubject{Category: in.Category, Purpose: in.Purpose, Identifiers: in.Identifiers, Consent: in.Consent}
	if in.Record != nil {
		nr := vault.NewRecord(*in.Record)
		ns.Record = &nr
	}
	c, err := s.vault.CreateSubject(r.Context(), a, ns)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Location", "/v1/subjects/"+c.Subject)
	writeJSON(w, http.StatusCreated, c)
}

// Found is the answer to a lookup.
type Found struct {
	Subjects []string `json:"subjects"`
}

func (s *Server) lookupSubjects(w http.ResponseWriter, r *http.Request, a vault.Actor) {
	q := r.URL.Query()
	var kind, value string
	n := 0
	for _, k := range []string{"iin", "phone", "email"} {
		if q.Has(k) {
			kind, value = k, q.Get(k)
			n++
		}
	}
	if n != 1 {
		s.fail(w, r, badRequest("lookup-needs-one-identifier", "", "look up by exactly one of iin, phone, email"))
		return
	}
	ids, err := s.vault.Lookup(r.Context(), a, purpose(r), kind, value)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if ids == nil {
		ids = []string{}
	}
	writeJSON(w, http.StatusOK, Found{Subjects: ids})
}

func (s *Server) getSubject(w http.ResponseWriter, r *http.Request, a vault.Actor) {
	sub, err := s.vault.GetSubject(r.Context(), a, r.PathValue("id"), purpose(r))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, sub)
}

// DestroyIn is the optional body of DELETE /v1/subjects/{id}.
type DestroyIn struct {
	Reason  string `json:"reason"`
	Purpose string `json:"purpose,omitempty"`
}

func (s *Server) destroySubject(w http.ResponseWriter, r *http.Request, a vault.Actor) {
	in := DestroyIn{Reason: r.URL.Query().Get("reason"), Purpose: purpose(r)}
	if r.ContentLength != 0 && r.Body != nil && r.Body != http.NoBody {
		if err := decode(w, r, &in); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	if err := s.vault.DestroySubject(r.Context(), a, r.PathValue("id"), in.Purpose, in.Reason); err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) addRecord(w http.ResponseWriter, r *http.Request, a vault.Actor) {
	var in RecordIn
	if err := decode(w, r, &in); err != nil {
		s.fail(w, r, err)
		return
	}
	id, err := s.vault.AddRecord(r.Context(), a, r.PathValue("id"), vault.NewRecord(in))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Location", "/v1/records/"+id)
	writeJSON(w, http.StatusCreated, Created{Subject: r.PathValue("id"), Record: id})
}

// Records is a list of records.
type Records struct {
	Records []*vault.Record `json:"records"`
}

func (s *Server) listRecords(w http.ResponseWriter, r *http.Request, a vault.Actor) {
	recs, err := s.vault.ListRecords(r.Context(), a, r.PathValue("id"), purpose(r))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, Records{Records: recs})
}

func (s *Server) getRecord(w http.ResponseWriter, r *http.Request, a vault.Actor) {
	var fields []string
	if f := r.URL.Query()["fields"]; len(f) > 0 {
		for _, x := range f {
			for _, name := range strings.Split(x, ",") {
				if name != "" {
					fields = append(fields, name)
				}
			}
		}
	}
	rec, err := s.vault.GetRecord(r.Context(), a, r.PathValue("id"), purpose(r), fields)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, rec)
}

// UpdateIn is the body of PATCH /v1/records/{id}: fields to set, or null to
// remove.
type UpdateIn struct {
	Purpose string             `json:"purpose,omitempty"`
	Fields  map[string]*string `json:"fields"`
}

func (s *Server) updateRecord(w http.ResponseWriter, r *http.Request, a vault.Actor) {
	var in UpdateIn
	if err := decode(w, r, &in); err != nil {
		s.fail(w, r, err)
		return
	}
	if in.Purpose == "" {
		in.Purpose = purpose(r)
	}
	rec, err := s.vault.UpdateRecord(r.Context(), a, r.PathValue("id"), in.Purpose, in.Fields)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, rec)
}

// JournalPage is a page of the journal.
type JournalPage struct {
	Entries []*journal.Entry `json:"entries"`
	// Next is the "after" of the next page; 0 when this is the last.
	Next int64 `json:"next,omitempty"`
}

func (s *Server) journal(w http.ResponseWriter, r *http.Request, a vault.Actor) {
	q := r.URL.Query()
	after, limit := int64(0), 100
	var err error
	if v := q.Get("after"); v != "" {
		if after, err = strconv.ParseInt(v, 10, 64); err != nil || after < 0 {
			s.fail(w, r, badRequest("invalid-parameter", "after", "after must be a non-negative integer"))
			return
		}
	}
	if v := q.Get("limit"); v != "" {
		if limit, err = strconv.Atoi(v); err != nil || limit < 1 || limit > 1000 {
			s.fail(w, r, badRequest("invalid-parameter", "limit", "limit must be between 1 and 1000"))
			return
		}
	}
	entries, err := s.vault.Journal(r.Context(), a, after, limit)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	page := JournalPage{Entries: entries}
	if page.Entries == nil {
		page.Entries = []*journal.Entry{}
	}
	if len(entries) == limit {
		page.Next = entries[len(entries)-1].Seq
	}
	writeJSON(w, http.StatusOK, page)
}

func (s *Server) verifyJournal(w http.ResponseWriter, r *http.Request, a vault.Actor) {
	if err := s.vault.MayReadJournal(r.Context(), a); err != nil {
		s.fail(w, r, err)
		return
	}
	res, err := s.vault.CheckJournal(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"ok": res.OK(), "entries": res.Entries, "checkpoints": res.Checkpoints, "problem": res.Problem, "first_bad": res.FirstBad})
}

// PolicyOut is the active policy.
type PolicyOut struct {
	Version int64          `json:"version"`
	SHA256  string         `json:"sha256"`
	Policy  *policy.Policy `json:"policy"`
}

func (s *Server) policy(w http.ResponseWriter, r *http.Request, a vault.Actor) {
	act := s.vault.Policy()
	if act == nil {
		s.fail(w, r, errors.New("api: no active policy"))
		return
	}
	writeJSON(w, http.StatusOK, PolicyOut{Version: act.Version, SHA256: act.SHA256, Policy: act.Policy})
}
