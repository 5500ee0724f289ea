package api

import (
	"net/http"

	"github.com/derbes/derbes/vault"
)

// exportSubject answers a subject's data for a purpose in one document, for
// the subject to take to another operator.
func (s *Server) exportSubject(w http.ResponseWriter, r *http.Request, a vault.Actor) {
	p, err := s.vault.ExportSubject(r.Context(), a, r.PathValue("id"), purpose(r))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, p)
}
