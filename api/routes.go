package api

import (
	_ "embed"
	"net/http"
)

// OpenAPI is the OpenAPI 3.1 description of this API.
//
//go:embed openapi.json
var OpenAPI []byte

// routes registers every route of the API. A test checks that each one is
// described in openapi.json.
func (s *Server) routes() {
	s.mux.HandleFunc("GET /healthz", s.healthz)
	s.mux.HandleFunc("GET /readyz", s.readyz)
	s.mux.HandleFunc("GET /metrics", s.serveMetrics)
	s.mux.HandleFunc("GET /v1/openapi.json", s.openapi)
	s.mux.HandleFunc("GET /docs", s.docs)

	s.mux.HandleFunc("POST /v1/subjects", s.authed(s.createSubject))
	s.mux.HandleFunc("GET /v1/subjects", s.authed(s.lookupSubjects))
	s.mux.HandleFunc("GET /v1/subjects/{id}", s.authed(s.getSubject))
	s.mux.HandleFunc("DELETE /v1/subjects/{id}", s.authed(s.destroySubject))
	s.mux.HandleFunc("POST /v1/subjects/{id}/records", s.authed(s.addRecord))
	s.mux.HandleFunc("GET /v1/subjects/{id}/records", s.authed(s.listRecords))
	s.mux.HandleFunc("GET /v1/records/{id}", s.authed(s.getRecord))
	s.mux.HandleFunc("PATCH /v1/records/{id}", s.authed(s.updateRecord))
	s.mux.HandleFunc("POST /v1/subjects/{id}/consents", s.authed(s.giveConsent))
	s.mux.HandleFunc("GET /v1/subjects/{id}/consents", s.authed(s.listConsents))
	s.mux.HandleFunc("POST /v1/subjects/{id}/account-deleted", s.authed(s.accountDeleted))
	s.mux.HandleFunc("POST /v1/consents/{id}/withdraw", s.authed(s.withdrawConsent))
	s.mux.HandleFunc("GET /v1/consents/{id}/receipt", s.authed(s.receipt))
	s.mux.HandleFunc("POST /v1/requests", s.authed(s.submitRequest))
	s.mux.HandleFunc("GET /v1/requests", s.authed(s.listRequests))
	s.mux.HandleFunc("GET /v1/requests/{id}", s.authed(s.getRequest))
	s.mux.HandleFunc("POST /v1/requests/{id}/verify", s.authed(s.verifyRequest))
	s.mux.HandleFunc("POST /v1/requests/{id}/assign", s.authed(s.assignRequest))
	s.mux.HandleFunc("POST /v1/requests/{id}/fulfil", s.authed(s.fulfilRequest))
	s.mux.HandleFunc("POST /v1/requests/{id}/refuse", s.authed(s.refuseRequest))
	s.mux.HandleFunc("GET /v1/requests/{id}/answer", s.authed(s.requestAnswer))
	s.mux.HandleFunc("POST /v1/transfers", s.authed(s.createTransfer))
	s.mux.HandleFunc("GET /v1/transfers", s.authed(s.listTransfers))
	s.mux.HandleFunc("POST /v1/transfers/{id}/revoke", s.authed(s.revokeTransfer))
	s.mux.HandleFunc("GET /v1/shared", s.shared)
	s.mux.HandleFunc("GET /v1/shared/records/{id}", s.shared)
	s.mux.HandleFunc("POST /v1/records/{id}/retention", s.authed(s.startRetention))
	s.mux.HandleFunc("GET /v1/retention/due", s.authed(s.retentionDue))
	s.mux.HandleFunc("GET /v1/acts", s.authed(s.listActs))
	s.mux.HandleFunc("GET /v1/jobs", s.authed(s.jobRuns))
	s.mux.HandleFunc("GET /v1/acts/{id}", s.authed(s.getAct))
	s.mux.HandleFunc("GET /v1/records/{id}/versions", s.authed(s.recordVersions))
	s.mux.HandleFunc("POST /v1/records/{id}/restore", s.authed(s.restoreRecord))
	s.mux.HandleFunc("POST /v1/login", s.login)
	s.mux.HandleFunc("POST /v1/logout", s.logout)
	s.mux.HandleFunc("GET /v1/login/oidc", s.oidcStart)
	s.mux.HandleFunc("GET /v1/login/oidc/callback", s.oidcCallback)
	s.mux.HandleFunc("GET /v1/access/report", s.authed(s.accessReport))
	s.mux.HandleFunc("GET /v1/incidents", s.authed(s.listIncidents))
	s.mux.HandleFunc("POST /v1/incidents", s.authed(s.reportIncident))
	s.mux.HandleFunc("GET /v1/incidents/{id}", s.authed(s.getIncident))
	s.mux.HandleFunc("PATCH /v1/incidents/{id}", s.authed(s.updateIncident))
	s.mux.HandleFunc("GET /v1/incidents/{id}/notice", s.authed(s.incidentNotice))
	s.mux.HandleFunc("GET /v1/journal", s.authed(s.journal))
	s.mux.HandleFunc("GET /v1/journal/verify", s.authed(s.verifyJournal))
	s.mux.HandleFunc("GET /v1/policy", s.authed(s.policy))
	s.mux.HandleFunc("GET /v1/subjects/{id}/export", s.authed(s.exportSubject))
}

// unrouted answers a request no route takes, as a problem: 405 with Allow
// when the path exists under other methods, 404 otherwise.
func (s *Server) unrouted(w http.ResponseWriter, r *http.Request, h http.Handler) {
	probe := &allowRecorder{header: http.Header{}}
	h.ServeHTTP(probe, r)
	if probe.status == http.StatusMethodNotAllowed {
		w.Header().Set("Allow", probe.header.Get("Allow"))
		writeProblem(w, http.StatusMethodNotAllowed, "method-not-allowed", "this path takes only "+probe.header.Get("Allow"), "")
		return
	}
	writeProblem(w, http.StatusNotFound, "no-such-route", "no such route; see /v1/openapi.json", "")
}

// allowRecorder keeps the status and headers the mux's own answer sets.
type allowRecorder struct {
	header http.Header
	status int
}

func (a *allowRecorder) Header() http.Header         { return a.header }
func (a *allowRecorder) Write(b []byte) (int, error) { return len(b), nil }
func (a *allowRecorder) WriteHeader(code int)        { a.status = code }
