package client

import (
	"context"
	"net/http"
	"net/url"
	"time"
)

// Forms of consent (Law 94-V Art. 8 p.1), for ConsentForm.Kind, with the
// evidence each needs.
const (
	// FormWritten is a consent on paper: Reference and DocumentSHA256 (of
	// the signed document's scan or file) are required.
	FormWritten = "written"
	// FormElectronic is an electronic document: Reference is required.
	FormElectronic = "electronic"
	// FormWebsite is an action on the operator's site: Page is required;
	// ClientIP is kept only as a keyed hash.
	FormWebsite = "website"
	// FormStateService is consent through the state service for control of
	// access to personal data: Reference is required.
	FormStateService = "state-service"
	// FormOther is any other way that proves consent: Reference says how.
	FormOther = "other"
)

// States of a consent.
const (
	ConsentGiven     = "given"
	ConsentWithdrawn = "withdrawn"
	// ConsentExpired is a given consent whose term (Until) has passed.
	ConsentExpired = "expired"
)

// Kinds of consent events, and of receipts.
const (
	EventGiven             = "given"
	EventWithdrawn         = "withdrawn"
	EventExpired           = "expired"
	EventWithdrawalRefused = "withdrawal-refused"
)

// Reasons the operator may refuse a withdrawal (Art. 8 p.2).
const (
	// RefusalContradictsLaw: the withdrawal would contradict a law.
	RefusalContradictsLaw = "contradicts-law"
	// RefusalObligationUnfulfilled: an obligation to the subject is not yet
	// fulfilled.
	RefusalObligationUnfulfilled = "obligation-unfulfilled"
)

// Consent is a consent of the ledger, with its decrypted content and its
// events.
type Consent struct {
	ID      string `json:"id"`
	Subject string `json:"subject"`
	// State is ConsentGiven, ConsentWithdrawn or ConsentExpired.
	State string `json:"state"`
	// Live reports whether the consent is in force now.
	Live     bool     `json:"live"`
	Purposes []string `json:"purposes"`
	Fields   []string `json:"fields"`
	// Until is the end of the term; nil: until the purposes are achieved.
	Until           *time.Time `json:"until,omitempty"`
	ThirdParty      bool       `json:"third_party_transfer"`
	CrossBorder     bool       `json:"cross_border_transfer"`
	Publication     bool       `json:"publication"`
	NotifyTransfers bool       `json:"notify_of_transfers"`
	AccountBound    bool       `json:"account_bound"`
	// Form is the kind of form: FormWritten, FormElectronic...
	Form string `json:"form"`
	// PolicyVersion is the activation number of the policy shown to the
	// subject when the consent was given.
	PolicyVersion int64          `json:"policy_version"`
	GivenAt       time.Time      `json:"given_at"`
	EndedAt       *time.Time     `json:"ended_at,omitempty"`
	Content       ConsentContent `json:"content"`
	// Events are the consent's events, oldest first.
	Events []ConsentEvent `json:"events"`
}

// ConsentContent is the personal part of a consent, stored encrypted.
type ConsentContent struct {
	SubjectName     string `json:"subject_name"`
	Representative  string `json:"representative,omitempty"`
	Authority       string `json:"authority,omitempty"`
	Reference       string `json:"reference,omitempty"`
	DocumentSHA256  string `json:"document_sha256,omitempty"`
	Page            string `json:"page,omitempty"`
	ClientIPHash    string `json:"client_ip_hash,omitempty"`
	OtherConditions string `json:"other_conditions,omitempty"`
}

// ConsentEvent is an event of the consent ledger.
type ConsentEvent struct {
	// ID is also the id of the event's receipt.
	ID string `json:"id"`
	// Kind is EventGiven, EventWithdrawn, EventExpired or
	// EventWithdrawalRefused.
	Kind  string    `json:"kind"`
	At    time.Time `json:"at"`
	Actor string    `json:"actor"`
	// Reason is the withdrawal's reason code, or the refusal's reason.
	Reason string `json:"reason,omitempty"`
	// Due is when the operator's remaining steps after a withdrawal are due.
	Due *time.Time `json:"due,omitempty"`
	// Basis is the law or obligation a refusal rests on.
	Basis string `json:"basis,omitempty"`
}

// WithdrawResult says what a withdrawal, or a refusal, did.
type WithdrawResult struct {
	// Event is the id of the ledger event recorded (and of its receipt).
	Event string `json:"event"`
	// Kind is EventWithdrawn or EventWithdrawalRefused.
	Kind string `json:"kind"`
	// Due is when the operator's remaining steps are due: the end of the
	// 15th working day after the withdrawal (Art. 8 p.7), on the Kazakhstan
	// working-day calendar. Nil for a refusal, or when it could not be
	// counted (Warning says why).
	Due *time.Time `json:"due,omitempty"`
	// Queued are the records that rested on the consent, now queued for
	// destruction by Due.
	Queued []string `json:"queued_for_destruction,omitempty"`
	// Warning is set when Due is missing, or was counted on a calendar year
	// the yearly government order has not yet confirmed: check it by hand.
	Warning string `json:"warning,omitempty"`
}

// Receipt is the receipt of a consent event, with the content Law 94-V
// Art. 8 p.4 requires (format "derbes-consent-receipt/1").
type Receipt struct {
	Schema    string `json:"schema"`
	ReceiptID string `json:"receipt_id"`
	ConsentID string `json:"consent_id"`
	// Event is the kind of event: EventGiven, EventWithdrawn...
	Event     string    `json:"event"`
	EventTime time.Time `json:"event_time"`

	Operator ReceiptOperator `json:"controller"`
	Subject  ReceiptSubject  `json:"subject"`

	Purposes []ReceiptItem `json:"purposes"`
	Data     []ReceiptItem `json:"data"`

	// Until is the end of the term; nil: until the purposes are achieved.
	Until              *time.Time `json:"until,omitempty"`
	ThirdPartyTransfer bool       `json:"third_party_transfer"`
	CrossBorder        bool       `json:"cross_border_transfer"`
	Publication        bool       `json:"publication"`
	NotifyTransfers    bool       `json:"notify_of_transfers"`
	OtherConditions    string     `json:"other_conditions,omitempty"`

	Form   ReceiptForm   `json:"form"`
	Notice ReceiptNotice `json:"notice"`

	// Withdrawal is set for withdrawn and withdrawal-refused events.
	Withdrawal *ReceiptWithdrawal `json:"withdrawal,omitempty"`
}

// Text is a title in Kazakh, Russian and English.
type Text struct {
	KK string `json:"kk"`
	RU string `json:"ru"`
	EN string `json:"en"`
}

// ReceiptOperator is the operator and its person responsible for the
// processing.
type ReceiptOperator struct {
	Name        Text   `json:"name"`
	BIN         string `json:"bin"`
	Address     string `json:"address,omitempty"`
	Responsible string `json:"responsible_person,omitempty"`
	Contact     string `json:"contact,omitempty"`
}

// ReceiptSubject is the person, and their representative if one acted.
type ReceiptSubject struct {
	ID             string `json:"id"`
	FullName       string `json:"full_name"`
	Representative string `json:"representative,omitempty"`
	Authority      string `json:"representative_authority,omitempty"`
}

// ReceiptItem is a purpose or a field, titled in three languages.
type ReceiptItem struct {
	ID    string `json:"id"`
	Title Text   `json:"title"`
}

// ReceiptForm is how the consent was given, and its evidence.
type ReceiptForm struct {
	Kind           string    `json:"kind"`
	Reference      string    `json:"reference,omitempty"`
	DocumentSHA256 string    `json:"document_sha256,omitempty"`
	Page           string    `json:"page,omitempty"`
	ClientIPHash   string    `json:"client_ip_hash,omitempty"`
	At             time.Time `json:"at"`
}

// ReceiptNotice is the policy shown to the subject.
type ReceiptNotice struct {
	PolicyVersion int64  `json:"policy_version"`
	PolicyLabel   string `json:"policy_label"`
}

// ReceiptWithdrawal describes a withdrawal or its refusal.
type ReceiptWithdrawal struct {
	Due    *time.Time `json:"due,omitempty"`
	Reason string     `json:"reason,omitempty"`
	Basis  string     `json:"basis,omitempty"`
}

// GiveConsent records a consent that the subject (or their legal
// representative) gave, and returns its id. The key's role must serve each
// of in.Purposes and may collect. A consent can also be sent with a new
// subject (SubjectIn.Consent).
func (c *Client) GiveConsent(ctx context.Context, subjectID string, in ConsentIn) (string, error) {
	var out struct {
		Consent string `json:"consent"`
	}
	if err := c.do(ctx, http.MethodPost, "/v1/subjects/"+url.PathEscape(subjectID)+"/consents", nil, "", in, &out); err != nil {
		return "", err
	}
	return out.Consent, nil
}

// Consents returns every consent of a subject, oldest first, with its
// content and events; purpose is the declared purpose of the read.
func (c *Client) Consents(ctx context.Context, subjectID, purpose string) ([]Consent, error) {
	var out struct {
		Consents []Consent `json:"consents"`
	}
	if err := c.do(ctx, http.MethodGet, "/v1/subjects/"+url.PathEscape(subjectID)+"/consents", nil, purpose, nil, &out); err != nil {
		return nil, err
	}
	if out.Consents == nil {
		out.Consents = []Consent{}
	}
	return out.Consents, nil
}

// withdrawIn is the body of a withdrawal.
type withdrawIn struct {
	Purpose string     `json:"purpose"`
	Reason  string     `json:"reason,omitempty"`
	Refusal *refusalIn `json:"refusal,omitempty"`
}

type refusalIn struct {
	Reason string `json:"reason"`
	Basis  string `json:"basis"`
}

// WithdrawConsent records the subject's withdrawal of a consent (Art. 8
// p.7): processing on it stops at once (its records answer
// "ground-withdrawn"), and the records that rest on it are queued for
// destruction by the result's Due. reason is a short code
// ("subject-request" when empty). purpose must be one of the consent's;
// it is sent in the body. A consent no longer in force is refused with
// "consent-not-in-force".
func (c *Client) WithdrawConsent(ctx context.Context, consentID, purpose, reason string) (*WithdrawResult, error) {
	return c.withdraw(ctx, consentID, withdrawIn{Purpose: purpose, Reason: reason})
}

// RefuseWithdrawal records the operator's reasoned refusal to stop
// processing on a consent the subject asked to withdraw (Art. 8 p.2):
// reason is RefusalContradictsLaw or RefusalObligationUnfulfilled, basis
// names the law or the obligation in words. The consent stays in force.
func (c *Client) RefuseWithdrawal(ctx context.Context, consentID, purpose, reason, basis string) (*WithdrawResult, error) {
	return c.withdraw(ctx, consentID, withdrawIn{Purpose: purpose, Refusal: &refusalIn{Reason: reason, Basis: basis}})
}

func (c *Client) withdraw(ctx context.Context, consentID string, in withdrawIn) (*WithdrawResult, error) {
	var out WithdrawResult
	if err := c.do(ctx, http.MethodPost, "/v1/consents/"+url.PathEscape(consentID)+"/withdraw", nil, "", in, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// AccountDeleted tells the server that the subject deleted their account:
// it withdraws exactly the subject's consents in force that were given
// with AccountBound, and returns what each withdrawal did (possibly
// nothing). purpose is sent in the body.
func (c *Client) AccountDeleted(ctx context.Context, subjectID, purpose string) ([]WithdrawResult, error) {
	in := struct {
		Purpose string `json:"purpose"`
	}{purpose}
	var out struct {
		Withdrawn []WithdrawResult `json:"withdrawn"`
	}
	if err := c.do(ctx, http.MethodPost, "/v1/subjects/"+url.PathEscape(subjectID)+"/account-deleted", nil, "", in, &out); err != nil {
		return nil, err
	}
	if out.Withdrawn == nil {
		out.Withdrawn = []WithdrawResult{}
	}
	return out.Withdrawn, nil
}

// Receipt returns the receipt of a consent's latest event; purpose must be
// one of the consent's.
func (c *Client) Receipt(ctx context.Context, consentID, purpose string) (*Receipt, error) {
	return c.EventReceipt(ctx, consentID, "", purpose)
}

// EventReceipt returns the receipt of one event of a consent (its id is in
// ConsentEvent.ID or WithdrawResult.Event); an empty eventID means the
// latest.
func (c *Client) EventReceipt(ctx context.Context, consentID, eventID, purpose string) (*Receipt, error) {
	var out Receipt
	if err := c.do(ctx, http.MethodGet, receiptPath(consentID), receiptQuery("json", "", eventID), purpose, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// ReceiptPDF returns the receipt of a consent's latest event as a one-page
// PDF in lang: "kk" (Kazakh, the server's default when empty), "ru" or
// "en". purpose must be one of the consent's.
func (c *Client) ReceiptPDF(ctx context.Context, consentID, purpose, lang string) ([]byte, error) {
	return c.EventReceiptPDF(ctx, consentID, "", purpose, lang)
}

// EventReceiptPDF is ReceiptPDF for one event of the consent; an empty
// eventID means the latest.
func (c *Client) EventReceiptPDF(ctx context.Context, consentID, eventID, purpose, lang string) ([]byte, error) {
	return c.pdf(ctx, receiptPath(consentID), receiptQuery("pdf", lang, eventID), purpose)
}

func receiptPath(consentID string) string {
	return "/v1/consents/" + url.PathEscape(consentID) + "/receipt"
}

func receiptQuery(format, lang, eventID string) url.Values {
	q := url.Values{"format": {format}}
	if lang != "" {
		q.Set("lang", lang)
	}
	if eventID != "" {
		q.Set("event", eventID)
	}
	return q
}
