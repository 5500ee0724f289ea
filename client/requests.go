package client

import (
	"context"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// Kinds of subjects' requests (Law 94-V Art. 24, 25), for RequestIn.Kind.
const (
	// KindInformation asks what is held, for which purposes, on which
	// grounds, and to whom it was passed (Art. 24).
	KindInformation = "information"
	// KindCorrection asks to change or complete inaccurate data.
	KindCorrection = "correction"
	// KindBlocking asks to stop processing while a breach is checked.
	KindBlocking = "blocking"
	// KindUnblocking asks to lift a block when no breach is confirmed.
	KindUnblocking = "unblocking"
	// KindDestruction asks to destroy unlawfully processed data.
	KindDestruction = "destruction"
	// KindWithdrawal withdraws a consent (Art. 8).
	KindWithdrawal = "withdrawal"
	// KindObjection objects to an automated decision (Art. 19-1).
	KindObjection = "objection"
	// KindPublicRemoval asks to remove data from public sources (Art. 6).
	KindPublicRemoval = "public-removal"
)

// States of a request: received, then verifying (the requester was asked
// for documents), in progress (identity verified), answered.
const (
	RequestReceived   = "received"
	RequestVerifying  = "verifying"
	RequestInProgress = "in_progress"
	RequestAnswered   = "answered"
)

// Outcomes of an answered request.
const (
	OutcomeFulfilled = "fulfilled"
	OutcomePartly    = "partly"
	OutcomeRefused   = "refused"
)

// Identity requisites a request may carry and staff check (seed 000 §7.5);
// the policy's requests.identity names those required.
const (
	RequisiteFullName     = "full_name"
	RequisiteIIN          = "iin"
	RequisiteIDDocument   = "id_document"
	RequisiteRelationship = "relationship"
	RequisiteSignature    = "signature"
)

// Reasons a request may be refused, for RefuseRequest.
const (
	// RefusedIdentity: the identity requisites are missing. VerifyRequest
	// refuses with it by itself when a required requisite is missing.
	RefusedIdentity = "identity-incomplete"
	// RefusedNotConfirmed: the facts were not confirmed.
	RefusedNotConfirmed = "not-confirmed"
	// RefusedByLaw: a law forbids the action.
	RefusedByLaw = "law-forbids"
	// RefusedNoData: nothing is held about the requester.
	RefusedNoData = "no-data"
)

// RequestIn is a subject's request as received. Everything but Kind,
// Channel, Lang and Subject is encrypted by the server.
type RequestIn struct {
	// Kind is KindInformation, KindCorrection...
	Kind string `json:"kind"`
	// Channel says how the request arrived: a short code such as "letter",
	// "e-mail", "portal", "visit".
	Channel string `json:"channel"`
	// Lang is the language of the answer: "kk" (the default), "ru" or "en".
	Lang string `json:"lang,omitempty"`
	// Subject is the subject's id when the intake already knows it;
	// otherwise VerifyRequest names it.
	Subject string `json:"subject,omitempty"`
	// Requester is the subject, or a representative acting for them.
	Requester Requester `json:"requester"`
	// Identity is what the request carries to identify the requester.
	Identity Identity `json:"identity"`
	// Text is the request in the requester's words.
	Text string `json:"text,omitempty"`
	// Record and Corrections say what to correct (KindCorrection).
	Record      string            `json:"record,omitempty"`
	Corrections map[string]string `json:"corrections,omitempty"`
	// Consent names the consent to withdraw (KindWithdrawal).
	Consent string `json:"consent,omitempty"`
}

// Requester is who makes a request: FullName is the subject's; a
// Representative acting for them is named with the document that empowers
// them, and the answer is addressed to the representative.
type Requester struct {
	FullName       string          `json:"full_name"`
	Representative *Representative `json:"representative,omitempty"`
}

// Identity holds the identity requisites a request carries.
type Identity struct {
	FullName   string      `json:"full_name,omitempty"`
	IIN        string      `json:"iin,omitempty"`
	IDDocument *IDDocument `json:"id_document,omitempty"`
	// Relationship holds details confirming the requester's relationship
	// with the operator (a contract, an appeal number...).
	Relationship string `json:"relationship,omitempty"`
	// Signature says the request is signed (by hand or with an EDS).
	Signature bool `json:"signature,omitempty"`
}

// IDDocument is an identity document's requisites; it counts as the
// id_document requisite only with all three.
type IDDocument struct {
	Number string `json:"number"`
	// Issued is the date of issue, as written (YYYY-MM-DD preferred).
	Issued string `json:"issued"`
	Issuer string `json:"issuer"`
}

// RequestContent is what a request says, decrypted.
type RequestContent struct {
	Requester   Requester         `json:"requester"`
	Identity    Identity          `json:"identity"`
	Text        string            `json:"text,omitempty"`
	Record      string            `json:"record,omitempty"`
	Corrections map[string]string `json:"corrections,omitempty"`
	Consent     string            `json:"consent,omitempty"`
	// Verified lists the requisites the staff checked.
	Verified []string `json:"verified,omitempty"`
}

// Request is a request as staff see it.
type Request struct {
	ID   string `json:"id"`
	Kind string `json:"kind"`
	// State is RequestReceived, RequestVerifying, RequestInProgress or
	// RequestAnswered.
	State string `json:"state"`
	// Outcome is set once answered: OutcomeFulfilled, OutcomePartly or
	// OutcomeRefused.
	Outcome string `json:"outcome,omitempty"`
	// Subject is the subject's id, once known.
	Subject        string    `json:"subject,omitempty"`
	Channel        string    `json:"channel"`
	Representative bool      `json:"representative"`
	Lang           string    `json:"lang"`
	ReceivedAt     time.Time `json:"received_at"`
	// ClockStartedAt is when the deadline's clock started: receipt, or for
	// correction, blocking, unblocking and destruction the confirmation of
	// the facts.
	ClockStartedAt time.Time `json:"clock_started_at"`
	// Due is the end of the last working day of the term (Astana time), on
	// the Kazakhstan working-day calendar; nil when it could not be counted
	// (Warning says why).
	Due *time.Time `json:"due_at,omitempty"`
	// Overdue says the request is open and Due has passed.
	Overdue  bool   `json:"overdue"`
	Assignee string `json:"assignee,omitempty"`
	// Refusal is the reason of a refused request (RefusedIdentity...).
	Refusal    string     `json:"refusal,omitempty"`
	AnsweredAt *time.Time `json:"answered_at,omitempty"`
	// Content is set only by Request (the read of one request).
	Content *RequestContent `json:"content,omitempty"`
	// Warning says why Due is missing, or that it was counted on a calendar
	// year not yet confirmed.
	Warning string `json:"warning,omitempty"`
}

// RequestFilter selects requests for Requests; its zero value selects
// every request (up to 1000).
type RequestFilter struct {
	// State selects requests in one state (RequestReceived...).
	State string
	// Overdue selects open requests past their due date (and those whose
	// deadline could not be counted).
	Overdue bool
	// DueBefore selects open requests due before it; it wins over Overdue.
	DueBefore time.Time
	// Assignee selects the requests assigned to a staff id.
	Assignee string
	// Limit caps the list (1 to 1000; 0: the server's 1000).
	Limit int
}

// VerifyIn is the staff's check of the requester's identity.
type VerifyIn struct {
	// Subject is the subject the verified requester is; empty keeps the one
	// given at intake.
	Subject string `json:"subject,omitempty"`
	// Checked lists the requisites checked and found valid
	// (RequisiteFullName...).
	Checked []string `json:"checked"`
	// ConfirmedAt is when the confirming documents arrived (between receipt
	// and now; nil: now): the clock of correction, blocking, unblocking and
	// destruction starts then.
	ConfirmedAt *time.Time `json:"confirmed_at,omitempty"`
	// Await records that the requester was asked for documents: the request
	// waits in RequestVerifying.
	Await bool `json:"await,omitempty"`
}

// FulfilIn says how a request in progress is carried out; every member is
// optional.
type FulfilIn struct {
	// Partly answers with OutcomePartly; say what was done in Done.
	Partly bool `json:"partly,omitempty"`
	// IncludeValues puts the values, not only the kinds of data, in an
	// information answer.
	IncludeValues bool `json:"include_values,omitempty"`
	// Done says in words what was decided or done (at most 4000 bytes);
	// required for objections and removals from public sources.
	Done string `json:"done,omitempty"`
	// Record and Corrections replace the request's own (correction): a nil
	// value or "" removes a field.
	Record      string             `json:"record,omitempty"`
	Corrections map[string]*string `json:"corrections,omitempty"`
	// Consent replaces the request's own (withdrawal).
	Consent string `json:"consent,omitempty"`
}

// Letter is the answer to a request, as sent to the requester (format
// "derbes-answer/1").
type Letter struct {
	Schema    string    `json:"schema"`
	RequestID string    `json:"request_id"`
	Kind      string    `json:"kind"`
	Outcome   string    `json:"outcome"`
	Lang      string    `json:"lang"`
	Received  time.Time `json:"received_at"`
	// Due is the request's due date; the zero time when it could not be
	// counted.
	Due      time.Time      `json:"due_at"`
	Answered time.Time      `json:"answered_at"`
	Operator LetterOperator `json:"operator"`
	// Addressee is the requester: the subject, or their representative.
	Addressee string `json:"addressee"`
	// Representative, when set, names the subject the addressee acts for.
	Representative string `json:"representative,omitempty"`
	// Reason and Explanation are set for refusals.
	Reason      string `json:"reason,omitempty"`
	Explanation string `json:"explanation,omitempty"`
	// Missing lists the identity requisites an identity-incomplete request
	// lacked.
	Missing []string `json:"missing_requisites,omitempty"`
	// Held is the information answer: what the operator holds; the first
	// entry is the subject's identifiers (Record "identifiers").
	Held []HeldRecord `json:"held,omitempty"`
	// Transfers are the disclosures of the subject's data, from the
	// transfers register.
	Transfers []HeldTransfer `json:"transfers,omitempty"`
	// Done says what was done, in words.
	Done string `json:"done,omitempty"`
}

// LetterOperator is the operator signing a letter.
type LetterOperator struct {
	Name        Text   `json:"name"`
	BIN         string `json:"bin"`
	Address     string `json:"address,omitempty"`
	Responsible string `json:"responsible_person,omitempty"`
	Contact     string `json:"contact,omitempty"`
}

// HeldRecord describes one record in an information answer.
type HeldRecord struct {
	// Record is the record's id, or "identifiers".
	Record    string      `json:"record"`
	Purpose   Item        `json:"purpose"`
	Ground    Item        `json:"ground"`
	Channel   Item        `json:"channel"`
	Collected time.Time   `json:"collected_at"`
	State     string      `json:"state"`
	Data      []HeldField `json:"data"`
	// Recipients are those the policy allows the purpose to pass data to.
	Recipients []Item `json:"recipients,omitempty"`
	// Retention says how long the record is kept and what happens then.
	Retention string `json:"retention"`
}

// HeldField is a kind of data held, with its value when IncludeValues was
// asked.
type HeldField struct {
	ID    string `json:"id"`
	Title Text   `json:"title"`
	Value string `json:"value,omitempty"`
}

// HeldTransfer is one disclosure in an information answer.
type HeldTransfer struct {
	Recipient Item      `json:"recipient"`
	Purpose   Item      `json:"purpose"`
	Ground    Item      `json:"ground"`
	Fields    []Item    `json:"data"`
	Country   string    `json:"country"`
	At        time.Time `json:"at"`
}

// Item is an id of the policy with its title in three languages.
type Item struct {
	ID    string `json:"id"`
	Title Text   `json:"title"`
}

// SubmitRequest registers a subject's request as received. The deadline's
// clock starts now, or for correction, blocking, unblocking and
// destruction when VerifyRequest confirms the facts. The key's role needs
// the requests action; no purpose is declared.
func (c *Client) SubmitRequest(ctx context.Context, in RequestIn) (*Request, error) {
	var out Request
	if err := c.do(ctx, http.MethodPost, "/v1/requests", nil, "", in, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Requests lists requests without their content: open ones first by due
// date, then answered ones.
func (c *Client) Requests(ctx context.Context, f RequestFilter) ([]Request, error) {
	q := url.Values{}
	if f.State != "" {
		q.Set("state", f.State)
	}
	if f.Overdue {
		q.Set("overdue", "true")
	}
	if !f.DueBefore.IsZero() {
		q.Set("due_before", f.DueBefore.Format(time.RFC3339))
	}
	if f.Assignee != "" {
		q.Set("assignee", f.Assignee)
	}
	if f.Limit != 0 {
		q.Set("limit", strconv.Itoa(f.Limit))
	}
	var out struct {
		Requests []Request `json:"requests"`
	}
	if err := c.do(ctx, http.MethodGet, "/v1/requests", q, "", nil, &out); err != nil {
		return nil, err
	}
	if out.Requests == nil {
		out.Requests = []Request{}
	}
	return out.Requests, nil
}

// Request reads a request with its content; the read is journaled.
func (c *Client) Request(ctx context.Context, id string) (*Request, error) {
	var out Request
	if err := c.do(ctx, http.MethodGet, requestPath(id, ""), nil, "", nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// VerifyRequest records the staff's check of the requester's identity. When
// a requisite the policy requires is missing or not in in.Checked, the
// server answers the request at once with a reasoned refusal
// (RefusedIdentity): the result is then RequestAnswered, not an error.
func (c *Client) VerifyRequest(ctx context.Context, id string, in VerifyIn) (*Request, error) {
	return c.requestStep(ctx, id, "verify", in)
}

// AssignRequest gives an open request to a staff member (their id in the
// operator's directory).
func (c *Client) AssignRequest(ctx context.Context, id, assignee string) (*Request, error) {
	return c.requestStep(ctx, id, "assign", struct {
		Assignee string `json:"assignee"`
	}{assignee})
}

// FulfilRequest carries out a request in progress and answers it; Answer
// then returns the letter.
func (c *Client) FulfilRequest(ctx context.Context, id string, in FulfilIn) (*Request, error) {
	return c.requestStep(ctx, id, "fulfil", in)
}

// RefuseRequest answers a request with a reasoned refusal: reason is
// RefusedIdentity, RefusedNotConfirmed, RefusedByLaw or RefusedNoData, and
// explanation gives the reasons in words, for the letter.
func (c *Client) RefuseRequest(ctx context.Context, id, reason, explanation string) (*Request, error) {
	return c.requestStep(ctx, id, "refuse", struct {
		Reason      string `json:"reason"`
		Explanation string `json:"explanation"`
	}{reason, explanation})
}

func (c *Client) requestStep(ctx context.Context, id, step string, in any) (*Request, error) {
	var out Request
	if err := c.do(ctx, http.MethodPost, requestPath(id, step), nil, "", in, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Answer returns the letter that answers a request (handing it out is
// journaled as sending it). A request not yet answered is refused with
// "not-answered".
func (c *Client) Answer(ctx context.Context, id string) (*Letter, error) {
	var out Letter
	if err := c.do(ctx, http.MethodGet, requestPath(id, "answer"), url.Values{"format": {"json"}}, "", nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// AnswerPDF returns the answer letter as a PDF in lang ("kk", "ru" or "en";
// empty: the request's own language).
func (c *Client) AnswerPDF(ctx context.Context, id, lang string) ([]byte, error) {
	q := url.Values{"format": {"pdf"}}
	if lang != "" {
		q.Set("lang", lang)
	}
	return c.pdf(ctx, requestPath(id, "answer"), q, "")
}

// pdf gets a PDF; an answer that is not one is an error.
func (c *Client) pdf(ctx context.Context, path string, q url.Values, purpose string) ([]byte, error) {
	resp, data, err := c.send(ctx, http.MethodGet, path, q, purpose, "application/pdf, application/problem+json", nil)
	if err != nil {
		return nil, err
	}
	if mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); mt != "application/pdf" {
		return nil, fmt.Errorf("client: GET %s: the answer is %s, not a PDF", path, orNone(mt))
	}
	return data, nil
}

func requestPath(id, step string) string {
	p := "/v1/requests/" + url.PathEscape(id)
	if step != "" {
		p += "/" + step
	}
	return p
}
