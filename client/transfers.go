package client

import (
	"context"
	"net/http"
	"net/url"
	"time"
)

// MaxGrant is the longest a recipient's grant may last.
const MaxGrant = 720 * time.Hour

// TransferIn is a disclosure of a subject's data to a recipient of the
// policy, to decide.
type TransferIn struct {
	Subject string
	// Recipient is a recipient of the policy that the purpose may pass
	// data to.
	Recipient string
	// Purpose is the purpose the data is passed for; the key's role must
	// serve it.
	Purpose string
	// Records to pass; empty means every record of the purpose in force.
	Records []string
	// Fields to pass: exactly these (record fields and identifiers).
	Fields []string
	// Ground is "consent" or a ground of Art. 9 ("law-enforcement",
	// "international-treaty"...); empty when the purpose rests on one
	// ground.
	Ground string
	// Reference is the basis of a transfer on a ground of Art. 9: the
	// request's number and date, the treaty, the law.
	Reference string
	// Grant, when positive, issues an access grant for the recipient's
	// system lasting this long (at most MaxGrant): the result's Grant.Token
	// is shown once.
	Grant time.Duration
}

// transferBody is TransferIn as the API takes it.
type transferBody struct {
	Subject   string   `json:"subject"`
	Recipient string   `json:"recipient"`
	Purpose   string   `json:"purpose,omitempty"`
	Records   []string `json:"records,omitempty"`
	Fields    []string `json:"fields"`
	Ground    string   `json:"ground,omitempty"`
	Reference string   `json:"reference,omitempty"`
	Grant     string   `json:"grant,omitempty"`
}

// Transfer is a transfer of the register.
type Transfer struct {
	ID        string `json:"id"`
	Subject   string `json:"subject"`
	Recipient string `json:"recipient"`
	Purpose   string `json:"purpose"`
	Ground    string `json:"ground"`
	// Consent is the consent that allowed a transfer on the consent ground.
	Consent string   `json:"consent,omitempty"`
	Records []string `json:"records"`
	Fields  []string `json:"fields"`
	// Country is the recipient's country (ISO 3166-1 alpha-2).
	Country     string    `json:"country"`
	CrossBorder bool      `json:"cross_border"`
	DecidedBy   string    `json:"decided_by"`
	CreatedAt   time.Time `json:"created_at"`
	// NotifyDue is set when the consent asked for notice of transfers: by
	// when the subject is told (Art. 19); NotifiedAt when they were.
	NotifyDue  *time.Time `json:"notify_due,omitempty"`
	NotifiedAt *time.Time `json:"notified_at,omitempty"`
	RevokedAt  *time.Time `json:"revoked_at,omitempty"`
	// Grant is set only in CreateTransfer's result, when one was asked for.
	Grant *IssuedGrant `json:"grant,omitempty"`
}

// IssuedGrant is a new access grant for the recipient's system. The token
// is shown once: pass it to the recipient over a secure channel; they read
// with NewRecipient.
type IssuedGrant struct {
	Token     string    `json:"token"`
	ExpiresAt time.Time `json:"expires_at"`
}

// CreateTransfer decides a disclosure. The server refuses it, journals the
// refusal and discloses nothing unless the policy lets the purpose pass
// data to the recipient and the ground allows it: a consent in force that
// permits transfer to third parties (and, for a recipient outside the
// policy's adequate countries, cross-border transfer; Art. 16), or a
// ground of Art. 9 with its Reference. Codes such as
// "recipient-not-allowed", "consent-does-not-allow",
// "cross-border-not-allowed", "record-not-transferable" say why.
func (c *Client) CreateTransfer(ctx context.Context, in TransferIn) (*Transfer, error) {
	body := transferBody{Subject: in.Subject, Recipient: in.Recipient, Purpose: in.Purpose, Records: in.Records, Fields: in.Fields,
		Ground: in.Ground, Reference: in.Reference}
	if in.Grant != 0 {
		body.Grant = in.Grant.String()
	}
	var out Transfer
	if err := c.do(ctx, http.MethodPost, "/v1/transfers", nil, "", body, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Transfers lists the transfers register: the transfers of subject (oldest
// first) when it is not empty, else those to recipient (newest first, at
// most 1000).
func (c *Client) Transfers(ctx context.Context, subject, recipient string) ([]Transfer, error) {
	q := url.Values{}
	if subject != "" {
		q.Set("subject", subject)
	}
	if recipient != "" {
		q.Set("recipient", recipient)
	}
	var out struct {
		Transfers []Transfer `json:"transfers"`
	}
	if err := c.do(ctx, http.MethodGet, "/v1/transfers", q, "", nil, &out); err != nil {
		return nil, err
	}
	if out.Transfers == nil {
		out.Transfers = []Transfer{}
	}
	return out.Transfers, nil
}

// RevokeTransfer revokes a transfer: its grants stop working at once. A
// transfer already revoked is refused with "already-revoked".
func (c *Client) RevokeTransfer(ctx context.Context, id string) error {
	return c.do(ctx, http.MethodPost, "/v1/transfers/"+url.PathEscape(id)+"/revoke", nil, "", nil, nil)
}

// Recipient reads what a transfer passed, through the transfer's grant,
// for a recipient's system. It is safe for concurrent use.
//
// Every error the server answers with is a *Problem: "grant-invalid" when
// the grant is malformed, unknown, revoked or expired (which is not said),
// "field-not-granted" and "record-not-granted" for what was not passed;
// "blocked", "ground-withdrawn", "ground-expired" and "destroyed" when the
// data may no longer be processed.
type Recipient struct {
	c *Client
}

// NewRecipient returns a reader for the server at baseURL that
// authenticates with grantToken ("dbg_…"), the token of IssuedGrant.
func NewRecipient(baseURL, grantToken string, opts ...Option) *Recipient {
	return &Recipient{c: New(baseURL, grantToken, opts...)}
}

// Shared is what a recipient reads: exactly the transferred fields of the
// transferred records.
type Shared struct {
	Transfer  string `json:"transfer"`
	Recipient string `json:"recipient"`
	Purpose   string `json:"purpose"`
	// Identifiers are the subject's identifiers among the transferred
	// fields.
	Identifiers map[string]string `json:"identifiers,omitempty"`
	Records     []SharedRecord    `json:"records"`
	// ExpiresAt is when the grant stops reading.
	ExpiresAt time.Time `json:"expires_at"`
}

// SharedRecord is one transferred record, with the fields read.
type SharedRecord struct {
	ID     string            `json:"id"`
	Fields map[string]string `json:"fields"`
}

// Shared reads everything the transfer passed; with fields, only those of
// the transferred fields.
func (r *Recipient) Shared(ctx context.Context, fields ...string) (*Shared, error) {
	return r.read(ctx, "/v1/shared", fields)
}

// SharedRecord reads one record the transfer passed (in the result's
// Records, with the subject's identifiers in Identifiers); with fields,
// only those of the transferred fields.
func (r *Recipient) SharedRecord(ctx context.Context, id string, fields ...string) (*Shared, error) {
	return r.read(ctx, "/v1/shared/records/"+url.PathEscape(id), fields)
}

func (r *Recipient) read(ctx context.Context, path string, fields []string) (*Shared, error) {
	var q url.Values
	if len(fields) > 0 {
		q = url.Values{"fields": fields}
	}
	var out Shared
	if err := r.c.do(ctx, http.MethodGet, path, q, "", nil, &out); err != nil {
		return nil, err
	}
	if out.Records == nil {
		out.Records = []SharedRecord{}
	}
	return &out, nil
}
