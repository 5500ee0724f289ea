package client

import (
	"context"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"time"
)

// Session is a staff member's session, started with Login. Its Token is
// used like an API key: client.New(baseURL, session.Token).
type Session struct {
	// Token is "dss_<12 hex>_<43 base64url>"; it is shown once.
	Token string `json:"token"`
	// ExpiresAt is when the session ends (8 hours after sign-in).
	ExpiresAt time.Time `json:"expires_at"`
}

// Login signs a staff member in at the server at baseURL with their login,
// password and, when the account has a second factor, the 6-digit TOTP
// code of their authenticator app (empty otherwise). It sends no API key.
// Use the session's token as the key of a new client:
//
//	s, err := client.Login(ctx, url, "a.serikova", password, code)
//	c := client.New(url, s.Token)
//
// A wrong login, password or code is refused with the problem code
// "login-failed", without saying which; after 5 failures in a row the
// account is locked for 15 minutes and every attempt is refused with
// "locked".
func Login(ctx context.Context, baseURL, login, password, totp string, opts ...Option) (*Session, error) {
	in := struct {
		Login    string `json:"login"`
		Password string `json:"password"`
		TOTP     string `json:"totp,omitempty"`
	}{login, password, totp}
	var out Session
	if err := New(baseURL, "", opts...).do(ctx, http.MethodPost, "/v1/login", nil, "", in, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Logout ends the session whose token the client was made with, at once
// and on every node; the token is refused from then on. A client made with
// an API key (or a session already ended) gets the problem code
// "unauthenticated".
func (c *Client) Logout(ctx context.Context) error {
	return c.do(ctx, http.MethodPost, "/v1/logout", nil, "", nil, nil)
}

// AccessLine is one line of the people-with-access report: a principal (an
// API key or a staff account) in force at the report's moment, its role,
// and what it can see for one purpose of the role.
type AccessLine struct {
	// Principal is "apikey:<key id>" or "staff:<login>", as in the journal.
	Principal string `json:"principal"`
	// Kind is "api-key" or "staff".
	Kind string `json:"kind"`
	// Label is the key's label or the staff member's name.
	Label     string `json:"label,omitempty"`
	Role      string `json:"role"`
	RoleTitle string `json:"role_title"`
	Purpose   string `json:"purpose"`
	// Fields the role sees in full that the purpose collects.
	Fields []string `json:"fields"`
	// Masked are the fields it sees only masked.
	Masked []string `json:"masked,omitempty"`
	// Can lists the role's actions.
	Can []string `json:"can"`
	// Since is when the key was issued or the account created; Until when
	// it was revoked or disabled, if it was.
	Since time.Time  `json:"since"`
	Until *time.Time `json:"until,omitempty"`
}

// AccessReport is the people-with-access report (Law 94-V Art. 22; Rules
// 179/НҚ).
type AccessReport struct {
	At time.Time `json:"at"`
	// PolicyVersion is the policy activation in force at At, whose roles
	// the report applies; 0 when none was (the report is then empty).
	PolicyVersion int64        `json:"policy_version"`
	Lines         []AccessLine `json:"lines"`
}

// AccessReport returns who could see which data for which purpose at at
// (the zero time: now). The role needs the admin action.
func (c *Client) AccessReport(ctx context.Context, at time.Time) (*AccessReport, error) {
	var out AccessReport
	if err := c.do(ctx, http.MethodGet, "/v1/access/report", accessQuery(at, ""), "", nil, &out); err != nil {
		return nil, err
	}
	if out.Lines == nil {
		out.Lines = []AccessLine{}
	}
	return &out, nil
}

// AccessReportCSV returns the same report as a CSV file (columns
// principal, kind, label, role, role_title, purpose, purpose_title,
// fields, masked, can, since, until; lists separated by spaces; titles in
// Russian), for the operator's files.
func (c *Client) AccessReportCSV(ctx context.Context, at time.Time) ([]byte, error) {
	const path = "/v1/access/report"
	resp, data, err := c.send(ctx, http.MethodGet, path, accessQuery(at, "csv"), "", "text/csv, application/problem+json", nil)
	if err != nil {
		return nil, err
	}
	if mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); mt != "text/csv" {
		return nil, fmt.Errorf("client: GET %s: the answer is %s, not CSV", path, orNone(mt))
	}
	return data, nil
}

// AccessReportPDF returns the report printed for an inspector, in lang
// (kk, ru or en).
func (c *Client) AccessReportPDF(ctx context.Context, at time.Time, lang string) ([]byte, error) {
	const path = "/v1/access/report"
	q := accessQuery(at, "pdf")
	q.Set("lang", lang)
	resp, data, err := c.send(ctx, http.MethodGet, path, q, "", "application/pdf, application/problem+json", nil)
	if err != nil {
		return nil, err
	}
	if mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); mt != "application/pdf" {
		return nil, fmt.Errorf("client: GET %s: the answer is %s, not a PDF", path, orNone(mt))
	}
	return data, nil
}

func accessQuery(at time.Time, format string) url.Values {
	q := url.Values{}
	if !at.IsZero() {
		q.Set("at", at.Format(time.RFC3339Nano))
	}
	if format != "" {
		q.Set("format", format)
	}
	return q
}

// Kinds of incidents.
const (
	// IncidentMassRead: a principal read more distinct subjects within an
	// hour than its role's limits.subjects_per_hour.
	IncidentMassRead = "mass-read"
	// IncidentDenials: a principal was refused more often within an hour
	// than its role's limits.denials_per_hour.
	IncidentDenials = "denials"
	// IncidentOffHours: a principal worked outside its role's limits.hours.
	IncidentOffHours = "off-hours"
	// IncidentJournal: the journal does not verify.
	IncidentJournal = "journal"
	// IncidentManual: reported by staff (ReportIncident).
	IncidentManual = "manual"
)

// Classifications and statuses of an incident.
const (
	IncidentSuspected  = "suspected"
	IncidentConfirmed  = "confirmed"
	IncidentNotABreach = "not-a-breach"

	IncidentOpen   = "open"
	IncidentClosed = "closed"
)

// Incident is an incident of the register.
type Incident struct {
	ID   string `json:"id"`
	Kind string `json:"kind"`
	// Source is the rule that opened it ("rule:subjects_per_hour",
	// "rule:denials_per_hour", "rule:hours") or who reported it.
	Source string `json:"source"`
	// Principal is the API key or staff account involved.
	Principal      string    `json:"principal,omitempty"`
	DetectedAt     time.Time `json:"detected_at"`
	Classification string    `json:"classification"`
	Status         string    `json:"status"`
	// NoticeDue is when the notice to the authorized body is due: the end
	// of the first working day after detection (Art. 25 p.2 sp.8). Nil
	// when it could not be counted.
	NoticeDue *time.Time `json:"notice_due,omitempty"`
	// NoticeSentAt is when the notice was recorded as sent.
	NoticeSentAt *time.Time `json:"notice_sent_at,omitempty"`
	// Subjects are the affected subjects, by id.
	Subjects []string `json:"subjects,omitempty"`
	// Content is set by Incident and UpdateIncident, not by Incidents.
	Content *IncidentContent `json:"content,omitempty"`
}

// IncidentContent is what happened and what was done.
type IncidentContent struct {
	Description string    `json:"description"`
	Measures    []Measure `json:"measures,omitempty"`
}

// Measure is a step taken to contain or remedy an incident.
type Measure struct {
	At    time.Time `json:"at"`
	By    string    `json:"by"`
	Taken string    `json:"taken"`
}

// IncidentChange is what the security officer records about an incident;
// the zero value of each member changes nothing.
type IncidentChange struct {
	// Classification is IncidentSuspected, IncidentConfirmed or
	// IncidentNotABreach.
	Classification string `json:"classification,omitempty"`
	// Status is IncidentOpen or IncidentClosed.
	Status string `json:"status,omitempty"`
	// Measure is added to the measures taken (at most 8000 bytes).
	Measure string `json:"measure,omitempty"`
	// Subjects replaces the affected subjects.
	Subjects []string `json:"subjects,omitempty"`
	// NoticeSent records that the notice reached the authorized body.
	NoticeSent bool `json:"notice_sent,omitempty"`
}

// Notice is the draft of a confirmed breach's notice to the authorized
// body (Art. 25 p.2 sp.8). The operator adds the affected subjects'
// identifiers when sending it.
type Notice struct {
	Incident     string     `json:"incident"`
	To           string     `json:"to"`
	Operator     Text       `json:"operator"`
	BIN          string     `json:"bin"`
	Responsible  string     `json:"responsible_person"`
	Contact      string     `json:"contact"`
	DetectedAt   time.Time  `json:"detected_at"`
	Due          *time.Time `json:"due"`
	WhatHappened string     `json:"what_happened"`
	Measures     []Measure  `json:"measures"`
	Subjects     []string   `json:"affected_subjects"`
}

// Incidents lists the incident register, open ones first (at most 500),
// without their content; status ("open", "closed") narrows it, "" lists
// all. The role needs the admin action.
func (c *Client) Incidents(ctx context.Context, status string) ([]Incident, error) {
	var q url.Values
	if status != "" {
		q = url.Values{"status": {status}}
	}
	var out struct {
		Incidents []Incident `json:"incidents"`
	}
	if err := c.do(ctx, http.MethodGet, "/v1/incidents", q, "", nil, &out); err != nil {
		return nil, err
	}
	if out.Incidents == nil {
		out.Incidents = []Incident{}
	}
	return out.Incidents, nil
}

// ReportIncident registers an incident seen by staff, with the affected
// subjects if known, and returns its id. Its notice is due one working day
// from now.
func (c *Client) ReportIncident(ctx context.Context, description string, subjects ...string) (string, error) {
	in := struct {
		Description string   `json:"description"`
		Subjects    []string `json:"subjects,omitempty"`
	}{description, subjects}
	var out struct {
		Incident string `json:"incident"`
	}
	if err := c.do(ctx, http.MethodPost, "/v1/incidents", nil, "", in, &out); err != nil {
		return "", err
	}
	return out.Incident, nil
}

// Incident reads an incident with its description and measures.
func (c *Client) Incident(ctx context.Context, id string) (*Incident, error) {
	var out Incident
	if err := c.do(ctx, http.MethodGet, "/v1/incidents/"+url.PathEscape(id), nil, "", nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// UpdateIncident classifies an incident, records a measure, the affected
// subjects or the notice sent, and returns the incident after the change.
func (c *Client) UpdateIncident(ctx context.Context, id string, ch IncidentChange) (*Incident, error) {
	var out Incident
	if err := c.do(ctx, http.MethodPatch, "/v1/incidents/"+url.PathEscape(id), nil, "", ch, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// IncidentNotice drafts the notice of a confirmed breach to the authorized
// body; an incident not classified IncidentConfirmed is refused with
// "not-confirmed".
func (c *Client) IncidentNotice(ctx context.Context, id string) (*Notice, error) {
	var out Notice
	if err := c.do(ctx, http.MethodGet, "/v1/incidents/"+url.PathEscape(id)+"/notice", nil, "", nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// RecordVersion is an earlier version of a record: the fields it held,
// when and by whom it was replaced (never the values).
type RecordVersion struct {
	Version    int64     `json:"version"`
	Fields     []string  `json:"fields"`
	ReplacedAt time.Time `json:"replaced_at"`
	ReplacedBy string    `json:"replaced_by"`
}

// RecordVersions lists a record's earlier versions, oldest first; purpose
// must be the record's own and the role needs the update action.
func (c *Client) RecordVersions(ctx context.Context, id, purpose string) ([]RecordVersion, error) {
	var out struct {
		Versions []RecordVersion `json:"versions"`
	}
	if err := c.do(ctx, http.MethodGet, "/v1/records/"+url.PathEscape(id)+"/versions", nil, purpose, nil, &out); err != nil {
		return nil, err
	}
	if out.Versions == nil {
		out.Versions = []RecordVersion{}
	}
	return out.Versions, nil
}

// RestoreRecord brings back an earlier version of a record, such as the
// one before an intruder changed it, and returns the record as the role
// sees it. The version replaced is kept in turn. purpose (sent in the
// body) must be the record's own; a version the record does not have is
// refused with "no-such-version".
func (c *Client) RestoreRecord(ctx context.Context, id, purpose string, version int64) (*Record, error) {
	in := struct {
		Purpose string `json:"purpose,omitempty"`
		Version int64  `json:"version"`
	}{purpose, version}
	var out Record
	if err := c.do(ctx, http.MethodPost, "/v1/records/"+url.PathEscape(id)+"/restore", nil, "", in, &out); err != nil {
		return nil, err
	}
	return &out, nil
}
