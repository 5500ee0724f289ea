package api

import (
	"net/http"
	"strings"

	"github.com/derbes/derbes/consent"
	"github.com/derbes/derbes/vault"
)

// ConsentCreated is the answer to recording a consent.
type ConsentCreated struct {
	Consent string `json:"consent"`
}

func (s *Server) giveConsent(w http.ResponseWriter, r *http.Request, a vault.Actor) {
	var in consent.Request
	if err := decode(w, r, &in); err != nil {
		s.fail(w, r, err)
		return
	}
	id, err := s.vault.GiveConsent(r.Context(), a, r.PathValue("id"), in)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Location", "/v1/consents/"+id+"/receipt")
	writeJSON(w, http.StatusCreated, ConsentCreated{Consent: id})
}

// Consents is a subject's consents.
type Consents struct {
	Consents []*vault.Consent `json:"consents"`
}

func (s *Server) listConsents(w http.ResponseWriter, r *http.Request, a vault.Actor) {
	cs, err := s.vault.Consents(r.Context(), a, r.PathValue("id"), purpose(r))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, Consents{Consents: cs})
}

// WithdrawIn is the body of POST /v1/consents/{id}/withdraw.
type WithdrawIn struct {
	Purpose string `json:"purpose"`
	// Reason is a code (default subject-request).
	Reason string `json:"reason,omitempty"`
	// Refusal records a reasoned refusal instead (Art. 8 p.2).
	Refusal *RefusalIn `json:"refusal,omitempty"`
}

// RefusalIn is the operator's reasoned refusal to stop processing.
type RefusalIn struct {
	Reason string `json:"reason"`
	Basis  string `json:"basis"`
}

func (s *Server) withdrawConsent(w http.ResponseWriter, r *http.Request, a vault.Actor) {
	var in WithdrawIn
	if err := decode(w, r, &in); err != nil {
		s.fail(w, r, err)
		return
	}
	wd := vault.Withdrawal{Reason: in.Reason}
	if in.Refusal != nil {
		wd.Refusal = &vault.Refusal{Reason: in.Refusal.Reason, Basis: in.Refusal.Basis}
	}
	if in.Purpose == "" {
		in.Purpose = purpose(r)
	}
	res, err := s.vault.WithdrawConsent(r.Context(), a, r.PathValue("id"), in.Purpose, wd)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, res)
}

// AccountDeletedIn is the body of POST /v1/subjects/{id}/account-deleted.
type AccountDeletedIn struct {
	Purpose string `json:"purpose"`
}

// Withdrawals lists what an account deletion withdrew.
type Withdrawals struct {
	Withdrawn []*vault.WithdrawResult `json:"withdrawn"`
}

func (s *Server) accountDeleted(w http.ResponseWriter, r *http.Request, a vault.Actor) {
	var in AccountDeletedIn
	if err := decode(w, r, &in); err != nil {
		s.fail(w, r, err)
		return
	}
	if in.Purpose == "" {
		in.Purpose = purpose(r)
	}
	out, err := s.vault.AccountDeleted(r.Context(), a, r.PathValue("id"), in.Purpose)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if out == nil {
		out = []*vault.WithdrawResult{}
	}
	writeJSON(w, http.StatusOK, Withdrawals{Withdrawn: out})
}

// receipt answers JSON, or a PDF when format=pdf or the client accepts
// application/pdf (and not JSON first); lang picks the PDF's language.
func (s *Server) receipt(w http.ResponseWriter, r *http.Request, a vault.Actor) {
	format, lang, ok := s.formatAndLang(w, r)
	if !ok {
		return
	}
	if lang == "" {
		lang = "kk"
	}
	rec, err := s.vault.Receipt(r.Context(), a, r.PathValue("id"), r.URL.Query().Get("event"), purpose(r))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if format == "json" {
		writeJSON(w, http.StatusOK, rec)
		return
	}
	pdf, err := rec.PDF(lang)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writePDF(w, "consent-"+rec.ConsentID+"-"+lang+".pdf", pdf)
}

// formatAndLang reads format (json or pdf; by default JSON unless the
// client accepts only PDF) and lang (kk, ru, en or empty).
func (s *Server) formatAndLang(w http.ResponseWriter, r *http.Request) (format, lang string, ok bool) {
	q := r.URL.Query()
	format, lang = q.Get("format"), q.Get("lang")
	if format == "" {
		format = "json"
		if acc := r.Header.Get("Accept"); strings.Contains(acc, "application/pdf") && !strings.Contains(acc, "application/json") {
			format = "pdf"
		}
	}
	if format != "json" && format != "pdf" {
		s.fail(w, r, badRequest("invalid-parameter", "format", "format is json or pdf"))
		return "", "", false
	}
	if lang != "" && lang != "kk" && lang != "ru" && lang != "en" {
		s.fail(w, r, badRequest("invalid-parameter", "lang", "lang is kk, ru or en"))
		return "", "", false
	}
	return format, lang, true
}

func writePDF(w http.ResponseWriter, filename string, pdf []byte) {
	w.Header().Set("Content-Type", "application/pdf")
	w.Header().Set("Content-Disposition", `inline; filename="`+filename+`"`)
	w.Header().Set("Cache-Control", "no-store")
	w.Write(pdf)
}
