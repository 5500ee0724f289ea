// Package client is a Go client for the derbes API, version 1, for the
// applications of an operator that keep their personal data in derbes.
//
// It depends only on the standard library and mirrors the API's JSON; it
// does not need derbes's own packages. docs/api.md describes the API.
//
// Every access to personal data declares its purpose: the purpose argument
// of a method is sent as the X-Purpose header (for CreateSubject, AddRecord
// and GiveConsent it is in the body: Purpose, or the consent's Purposes;
// WithdrawConsent, RefuseWithdrawal and AccountDeleted send their purpose
// argument in the body) and must be a purpose of the active policy that
// the API key's role serves. Every error the server answers with is a
// *Problem; compare its Code, never its Detail.
//
// A record on the consent ground rests on a consent of the subject, kept in
// the server's consent ledger (Law 94-V Art. 8): send it with the subject
// (SubjectIn.Consent) or record it first with GiveConsent. WithdrawConsent
// stops the processing of the records that rest on it at once;
// RefuseWithdrawal records a reasoned refusal instead; AccountDeleted
// withdraws the consents bound to the subject's account. Receipt and
// ReceiptPDF return the subject's receipt.
//
// Subjects' requests (Law 94-V Art. 24, 25) go through the request
// register, reached by the role's requests duty with no purpose:
// SubmitRequest registers one, VerifyRequest checks the requester's
// identity (refusing it with reasons when a requisite the policy requires
// is missing), FulfilRequest carries it out, RefuseRequest refuses it, and
// Answer and AnswerPDF return the letter for the requester. Requests lists
// them by due date.
//
// CreateTransfer passes a subject's data to a recipient of the policy when
// the policy and the ground allow it, optionally with a grant; Transfers
// reads the register and RevokeTransfer ends a transfer's grants. The
// recipient's system reads with a Recipient (NewRecipient), which
// authenticates with the grant's token instead of an API key.
//
// Staff sign in with Login and use the session token it returns as the key
// of a client of their own: it acts with the role of their account. A role
// may see some fields only masked; Record.Masked and Subject.Masked name
// them. With the admin action, AccessReport and AccessReportCSV draw the
// people-with-access report, and Incidents, ReportIncident, Incident,
// UpdateIncident and IncidentNotice keep the incident register and draft
// a breach's notice to the authorized body. RecordVersions and
// RestoreRecord undo a change made by an intruder.
//
//	c := client.New("https://derbes.internal", os.Getenv("DERBES_API_KEY"),
//		client.WithHTTPClient(&http.Client{Timeout: 10 * time.Second}))
//
//	created, err := c.CreateSubject(ctx, client.SubjectIn{
//		Category:    "applicant",
//		Purpose:     "appeals",
//		Identifiers: map[string]string{"iin": "900101300126"},
//		Consent: &client.ConsentIn{
//			SubjectName: "Айгерим Серикова",
//			Purposes:    []string{"appeals"},
//			Fields:      []string{"iin", "full_name", "phone"},
//			Form:        client.ConsentForm{Kind: client.FormOther, Reference: "109 call recording"},
//		},
//		Record: &client.RecordIn{
//			Channel: "call-109",
//			Fields:  map[string]string{"full_name": "Айгерим Серикова", "phone": "+77071234567"},
//		},
//	})
//	switch client.Code(err) {
//	case "":
//	case "subject-exists":
//		ids, err := c.Lookup(ctx, "appeals", "iin", "900101300126")
//		// ... add a record to ids[0] with c.AddRecord
//	default:
//		return err
//	}
//
//	rec, err := c.Record(ctx, created.Record, "appeals", "full_name", "phone")
package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// maxAnswer bounds how much of an answer is read (a journal page of 1000
// entries is well under it).
const maxAnswer = 32 << 20

// Client calls one derbes server with one API key. It is safe for
// concurrent use.
type Client struct {
	base string
	key  string
	hc   *http.Client
}

// Option configures a Client.
type Option func(*Client)

// WithHTTPClient makes the client send its requests with hc (for timeouts,
// proxies, TLS settings). The default is http.DefaultClient.
func WithHTTPClient(hc *http.Client) Option {
	return func(c *Client) {
		if hc != nil {
			c.hc = hc
		}
	}
}

// New returns a client for the server at baseURL (such as
// "https://derbes.internal"; a path prefix is kept) that authenticates with
// apiKey ("dbs_…"), or with a staff member's session token ("dss_…", from
// Login).
func New(baseURL, apiKey string, opts ...Option) *Client {
	c := &Client{base: strings.TrimRight(baseURL, "/"), key: apiKey, hc: http.DefaultClient}
	for _, o := range opts {
		o(c)
	}
	return c
}

// CreateSubject stores a new subject with its identifiers and, usually, its
// first record. The purpose is in.Purpose. An IIN belongs to one subject:
// a second subject with the same IIN is refused with the problem code
// "subject-exists"; look it up and AddRecord to it instead.
func (c *Client) CreateSubject(ctx context.Context, in SubjectIn) (Created, error) {
	var out Created
	err := c.do(ctx, http.MethodPost, "/v1/subjects", nil, "", in, &out)
	return out, err
}

// Lookup returns the ids of the subjects that have the identifier value of
// kind "iin", "phone" or "email": none or one for an IIN; a phone number or
// e-mail address may be shared by several subjects. The value is sent
// as it is written; the server normalises it.
func (c *Client) Lookup(ctx context.Context, purpose, kind, value string) ([]string, error) {
	switch kind {
	case "iin", "phone", "email":
	default:
		return nil, fmt.Errorf("client: lookup by %q: want iin, phone or email", kind)
	}
	var out struct {
		Subjects []string `json:"subjects"`
	}
	q := url.Values{kind: {value}}
	if err := c.do(ctx, http.MethodGet, "/v1/subjects", q, purpose, nil, &out); err != nil {
		return nil, err
	}
	if out.Subjects == nil {
		out.Subjects = []string{}
	}
	return out.Subjects, nil
}

// Subject reads a subject: the identifiers the role sees and its records
// held for purpose. A destroyed subject is returned with State "destroyed".
func (c *Client) Subject(ctx context.Context, id, purpose string) (*Subject, error) {
	var out Subject
	if err := c.do(ctx, http.MethodGet, "/v1/subjects/"+url.PathEscape(id), nil, purpose, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// DestroySubject destroys a subject's data for good. reason is a short code
// such as "subject-request", "purpose-achieved", "consent-withdrawn" or
// "unlawful" (never free text: it goes to the journal).
//
// The server requires the purpose under which the data is destroyed, one
// that the key's role serves: pass it after the reason. Only the first
// purpose is used.
func (c *Client) DestroySubject(ctx context.Context, id, reason string, purpose ...string) error {
	var p string
	if len(purpose) > 0 {
		p = purpose[0]
	}
	q := url.Values{"reason": {reason}}
	return c.do(ctx, http.MethodDelete, "/v1/subjects/"+url.PathEscape(id), q, p, nil, nil)
}

// AddRecord stores a new record about an existing subject. The purpose is
// in.Purpose.
func (c *Client) AddRecord(ctx context.Context, subjectID string, in RecordIn) (Created, error) {
	var out Created
	err := c.do(ctx, http.MethodPost, "/v1/subjects/"+url.PathEscape(subjectID)+"/records", nil, "", in, &out)
	return out, err
}

// Records reads a subject's active records collected for purpose, with the
// fields the role sees.
func (c *Client) Records(ctx context.Context, subjectID, purpose string) ([]Record, error) {
	var out struct {
		Records []Record `json:"records"`
	}
	if err := c.do(ctx, http.MethodGet, "/v1/subjects/"+url.PathEscape(subjectID)+"/records", nil, purpose, nil, &out); err != nil {
		return nil, err
	}
	if out.Records == nil {
		out.Records = []Record{}
	}
	return out.Records, nil
}

// Record reads a record; purpose must be the record's own. With fields,
// only those fields are returned (each must be one the role sees).
func (c *Client) Record(ctx context.Context, id, purpose string, fields ...string) (*Record, error) {
	var q url.Values
	if len(fields) > 0 {
		q = url.Values{"fields": fields}
	}
	var out Record
	if err := c.do(ctx, http.MethodGet, "/v1/records/"+url.PathEscape(id), q, purpose, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// UpdateRecord changes a record's fields: a non-nil value sets a field, a
// nil value (or an empty string) removes it; fields not named are kept.
// purpose must be the record's own. It returns the record as the role sees
// it after the change.
func (c *Client) UpdateRecord(ctx context.Context, id, purpose string, fields map[string]*string) (*Record, error) {
	body := struct {
		Fields map[string]*string `json:"fields"`
	}{fields}
	var out Record
	if err := c.do(ctx, http.MethodPatch, "/v1/records/"+url.PathEscape(id), nil, purpose, body, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Journal returns up to limit journal entries whose sequence number is
// greater than after (0: from the start). limit 0 means the server's
// default (100); at most 1000. Pass the page's Next as the next after; it
// is 0 when there is nothing more for now.
func (c *Client) Journal(ctx context.Context, after int64, limit int) (JournalPage, error) {
	q := url.Values{}
	if after != 0 {
		q.Set("after", strconv.FormatInt(after, 10))
	}
	if limit != 0 {
		q.Set("limit", strconv.Itoa(limit))
	}
	var out JournalPage
	if err := c.do(ctx, http.MethodGet, "/v1/journal", q, "", nil, &out); err != nil {
		return JournalPage{}, err
	}
	if out.Entries == nil {
		out.Entries = []Entry{}
	}
	return out, nil
}

// JournalEntries yields every journal entry after after, a page at a time,
// until the end of the journal or the first error.
func (c *Client) JournalEntries(ctx context.Context, after int64) iter.Seq2[Entry, error] {
	return func(yield func(Entry, error) bool) {
		for {
			page, err := c.Journal(ctx, after, 1000)
			if err != nil {
				yield(Entry{}, err)
				return
			}
			for _, e := range page.Entries {
				if !yield(e, nil) {
					return
				}
			}
			if page.Next == 0 || page.Next <= after {
				return
			}
			after = page.Next
		}
	}
}

// VerifyJournal has the server check the whole journal against its
// signatures. A journal that does not verify is not an error: look at OK.
func (c *Client) VerifyJournal(ctx context.Context) (Verification, error) {
	var out Verification
	err := c.do(ctx, http.MethodGet, "/v1/journal/verify", nil, "", nil, &out)
	return out, err
}

// Policy returns the active policy.
func (c *Client) Policy(ctx context.Context) (*ActivePolicy, error) {
	var out ActivePolicy
	if err := c.do(ctx, http.MethodGet, "/v1/policy", nil, "", nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Health reports whether the server answers (GET /healthz).
func (c *Client) Health(ctx context.Context) error {
	return c.do(ctx, http.MethodGet, "/healthz", nil, "", nil, nil)
}

// Ready reports whether the server is ready to serve: a policy is active
// and its store answers (GET /readyz).
func (c *Client) Ready(ctx context.Context) error {
	return c.do(ctx, http.MethodGet, "/readyz", nil, "", nil, nil)
}

// do sends one request and decodes a successful answer into out (when not
// nil); any other answer becomes a *Problem.
func (c *Client) do(ctx context.Context, method, path string, q url.Values, purpose string, in, out any) error {
	_, data, err := c.send(ctx, method, path, q, purpose, "application/json, application/problem+json", in)
	if err != nil || out == nil {
		return err
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("client: %s %s: decoding the answer: %w", method, path, err)
	}
	return nil
}

// send sends one request, with in (when not nil) as its JSON body, and
// returns a successful answer and its body; any other answer becomes a
// *Problem.
func (c *Client) send(ctx context.Context, method, path string, q url.Values, purpose, accept string, in any) (*http.Response, []byte, error) {
	u := c.base + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return nil, nil, fmt.Errorf("client: %s %s: %w", method, path, err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return nil, nil, fmt.Errorf("client: %w", err)
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", accept)
	if c.key != "" {
		req.Header.Set("Authorization", "Bearer "+c.key)
	}
	if purpose != "" {
		req.Header.Set("X-Purpose", purpose)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		// The URL may hold an identifier (lookups): say only the route.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, nil, fmt.Errorf("client: %s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	if err != nil {
		return nil, nil, fmt.Errorf("client: %s %s: reading the answer: %w", method, path, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, nil, problemFrom(resp, data)
	}
	return resp, data, nil
}

// problemFrom turns an unexpected answer into a *Problem.
func problemFrom(resp *http.Response, data []byte) *Problem {
	mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if mt == "application/problem+json" {
		var p Problem
		if err := json.Unmarshal(data, &p); err == nil && p.Type != "" {
			if p.Status == 0 {
				p.Status = resp.StatusCode
			}
			return &p
		}
	}
	// Not derbes's answer (a proxy's, say): keep the status, not the body,
	// which could be anything.
	return &Problem{Type: "about:blank", Title: http.StatusText(resp.StatusCode), Status: resp.StatusCode,
		Detail: fmt.Sprintf("unexpected answer: %s, %s", resp.Status, orNone(mt))}
}

func orNone(s string) string {
	if s == "" {
		return "no content type"
	}
	return s
}

// Portable is a subject's data for a purpose, as exported for portability.
type Portable struct {
	Purpose    string    `json:"purpose"`
	ExportedAt time.Time `json:"exported_at"`
	Subject    Subject   `json:"subject"`
	Records    []Record  `json:"records"`
}

// ExportSubject returns a subject's identifiers and records of purpose in
// one machine-readable document, for the subject to take elsewhere. The
// export is journaled as a read.
func (c *Client) ExportSubject(ctx context.Context, subjectID, purpose string) (*Portable, error) {
	var out Portable
	if err := c.do(ctx, http.MethodGet, "/v1/subjects/"+url.PathEscape(subjectID)+"/export", nil, purpose, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}
