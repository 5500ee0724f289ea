package api

import (
	"net/http"
	"strconv"
	"time"

	"github.com/derbes/derbes/store"
	"github.com/derbes/derbes/vault"
)

// RetentionIn is the body of POST /v1/records/{id}/retention.
type RetentionIn struct {
	Purpose string `json:"purpose"`
	// Event starts the record's term: the event the purpose names (such as
	// appeal_closed), relationship_end or purpose_achieved.
	Event string `json:"event"`
}

// RetentionOut says when the record's term ends.
type RetentionOut struct {
	Record string    `json:"record"`
	Ends   time.Time `json:"ends_at"`
}

func (s *Server) startRetention(w http.ResponseWriter, r *http.Request, a vault.Actor) {
	var in RetentionIn
	if err := decode(w, r, &in); err != nil {
		s.fail(w, r, err)
		return
	}
	if in.Purpose == "" {
		in.Purpose = purpose(r)
	}
	end, err := s.vault.StartRetention(r.Context(), a, r.PathValue("id"), in.Purpose, in.Event)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, RetentionOut{Record: r.PathValue("id"), Ends: *end})
}

// Upcoming lists what the sweep will destroy or depersonalise.
type Upcoming struct {
	Until   time.Time   `json:"until"`
	Records []store.Due `json:"records"`
}

func (s *Server) retentionDue(w http.ResponseWriter, r *http.Request, a vault.Actor) {
	if err := s.vault.MayReadJournal(r.Context(), a); err != nil {
		s.fail(w, r, err)
		return
	}
	days := 7
	if v := r.URL.Query().Get("days"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > 3660 {
			s.fail(w, r, badRequest("invalid-parameter", "days", "days is between 0 and 3660"))
			return
		}
		days = n
	}
	until := time.Now().AddDate(0, 0, days)
	due, err := s.vault.Upcoming(r.Context(), until, 1000)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if due == nil {
		due = []store.Due{}
	}
	writeJSON(w, http.StatusOK, Upcoming{Until: until, Records: due})
}

// Acts lists acts of destruction.
type Acts struct {
	Acts []*vault.Act `json:"acts"`
}

func (s *Server) listActs(w http.ResponseWriter, r *http.Request, a vault.Actor) {
	if err := s.vault.MayReadJournal(r.Context(), a); err != nil {
		s.fail(w, r, err)
		return
	}
	acts, err := s.vault.Acts(r.Context(), 100)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if acts == nil {
		acts = []*vault.Act{}
	}
	writeJSON(w, http.StatusOK, Acts{Acts: acts})
}

func (s *Server) getAct(w http.ResponseWriter, r *http.Request, a vault.Actor) {
	if err := s.vault.MayReadJournal(r.Context(), a); err != nil {
		s.fail(w, r, err)
		return
	}
	format, lang, ok := s.formatAndLang(w, r)
	if !ok {
		return
	}
	if format == "pdf" {
		if lang == "" {
			lang = "kk"
		}
		pdf, err := s.vault.ActPDF(r.Context(), r.PathValue("id"), lang)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		writePDF(w, "act-"+r.PathValue("id")+"-"+lang+".pdf", pdf)
		return
	}
	act, err := s.vault.ActByID(r.Context(), r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, act)
}

// JobRuns tells how the scheduled jobs stand and how their runs went.
type JobRuns struct {
	// Jobs is each job's shared state: next run, lease, failures.
	Jobs []store.JobSchedule `json:"jobs"`
	Runs []store.JobRun      `json:"runs"`
}

func (s *Server) jobRuns(w http.ResponseWriter, r *http.Request, a vault.Actor) {
	if err := s.vault.MayReadJournal(r.Context(), a); err != nil {
		s.fail(w, r, err)
		return
	}
	runs, err := s.vault.JobRuns(r.Context(), 100)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if runs == nil {
		runs = []store.JobRun{}
	}
	jobs, err := s.vault.JobSchedules(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if jobs == nil {
		jobs = []store.JobSchedule{}
	}
	writeJSON(w, http.StatusOK, JobRuns{Jobs: jobs, Runs: runs})
}
