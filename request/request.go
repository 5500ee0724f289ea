// Package request is the domain of subjects' requests (Law 94-V Art. 24,
// 25): their kinds, the deadline each runs on, the identity requisites a
// request must carry, and the answers — letters in the subject's language.
//
// A request is received, its requester's identity verified, handled, and
// answered: fulfilled, partly fulfilled or refused with reasons. A refusal is
// always a letter, never silence (seed 000 §7.5).
package request

import (
	"time"

	"github.com/derbes/derbes/policy"
)

// Kinds of requests.
const (
	Information   = "information"    // what is held, for which purposes, on which grounds (Art. 24)
	Correction    = "correction"     // change or complete inaccurate data (Art. 25 p.2 sp.8)
	Blocking      = "blocking"       // stop processing while a breach is checked (Art. 25 p.2 sp.8)
	Unblocking    = "unblocking"     // lift a block when no breach is confirmed
	Destruction   = "destruction"    // destroy unlawfully processed data
	Withdrawal    = "withdrawal"     // withdraw a consent (Art. 8)
	Objection     = "objection"      // object to an automated decision (Art. 19-1)
	PublicRemoval = "public-removal" // remove data from public sources (Art. 6)
)

// Kinds lists every kind in the order the documentation shows.
var Kinds = []string{Information, Correction, Blocking, Unblocking, Destruction, Withdrawal, Objection, PublicRemoval}

// States of a request.
const (
	Received   = "received"
	Verifying  = "verifying"
	InProgress = "in_progress"
	Answered   = "answered"
)

// Outcomes of an answered request.
const (
	Fulfilled = "fulfilled"
	Partly    = "partly"
	Refused   = "refused"
)

// Deadline returns the working days a kind of request runs on under the
// policy (never longer than the law), and the article that sets them.
func Deadline(d policy.Deadlines, kind string) (days int, article string) {
	switch kind {
	case Information:
		return d.Information, "Art. 25 p.2 sp.6-7"
	case Correction:
		return d.Correction, "Art. 25 p.2 sp.8"
	case Blocking:
		return d.Blocking, "Art. 25 p.2 sp.8"
	case Unblocking:
		return d.Unblocking, "Art. 25 p.2 sp.8"
	case Destruction:
		return d.Destruction, "Art. 25 p.2 sp.8"
	case Withdrawal:
		return d.Withdrawal, "Art. 8 p.7"
	case Objection:
		return d.Objection, "Art. 19-1"
	case PublicRemoval:
		return d.PublicRemoval, "Art. 6"
	}
	return 0, ""
}

// ClockFromConfirmation reports whether a kind's clock starts when the
// facts are confirmed (the confirming documents arrive and the identity is
// verified) rather than at receipt: the law counts the one working day of
// Art. 25 p.2 sp.8 from the proof of inaccuracy or of the breach.
func ClockFromConfirmation(kind string) bool {
	switch kind {
	case Correction, Blocking, Unblocking, Destruction:
		return true
	}
	return false
}

// Identity requisites a request may be required to carry (seed 000 §7.5:
// the identity document's number, date and issuer; details confirming the
// relationship with the operator; the signature).
const (
	ReqFullName     = "full_name"
	ReqIIN          = "iin"
	ReqIDDocument   = "id_document"
	ReqRelationship = "relationship"
	ReqSignature    = "signature"
)

// Requisites lists every requisite.
var Requisites = []string{ReqFullName, ReqIIN, ReqIDDocument, ReqRelationship, ReqSignature}

// DefaultRequisites are required when the policy names none.
var DefaultRequisites = []string{ReqFullName, ReqIDDocument, ReqSignature}

// Refusal reasons (codes; the letter explains them in words).
const (
	RefusedIdentity     = "identity-incomplete" // the requisites are missing (seed 000 §7.5)
	RefusedNotConfirmed = "not-confirmed"       // the facts were not confirmed
	RefusedByLaw        = "law-forbids"         // a law forbids the action
	RefusedNoData       = "no-data"             // nothing is held about the requester
)

// RefusalReasons lists the codes a refusal may give.
var RefusalReasons = []string{RefusedIdentity, RefusedNotConfirmed, RefusedByLaw, RefusedNoData}

// Letter is an answer to a request, as sent to the subject: JSON and a
// PDF in the subject's language.
type Letter struct {
	Schema    string    `json:"schema"` // "derbes-answer/1"
	RequestID string    `json:"request_id"`
	Kind      string    `json:"kind"`
	Outcome   string    `json:"outcome"`
	Lang      string    `json:"lang"`
	Received  time.Time `json:"received_at"`
	Due       time.Time `json:"due_at"`
	Answered  time.Time `json:"answered_at"`

	Operator LetterOperator `json:"operator"`
	// Addressee is the requester: the subject, or their representative.
	Addressee string `json:"addressee"`
	// Representative, when set, names the subject the addressee acts for
	// (the letter reads "representative of …").
	Representative string `json:"representative,omitempty"`

	// Reason and Explanation are set for refusals: the code and the words.
	Reason      string `json:"reason,omitempty"`
	Explanation string `json:"explanation,omitempty"`
	// Missing lists the identity requisites the request lacked.
	Missing []string `json:"missing_requisites,omitempty"`

	// Held is the information answer: what the operator holds.
	Held []HeldRecord `json:"held,omitempty"`
	// Transfers are the disclosures of the subject's data from the
	// transfers register: who received what, when, on which ground.
	Transfers []HeldTransfer `json:"transfers,omitempty"`
	// Done describes what was done for other kinds, in words.
	Done string `json:"done,omitempty"`
}

// LetterOperator is the operator signing the letter.
type LetterOperator struct {
	Name        policy.Text `json:"name"`
	BIN         string      `json:"bin"`
	Address     string      `json:"address,omitempty"`
	Responsible string      `json:"responsible_person,omitempty"`
	Contact     string      `json:"contact,omitempty"`
}

// HeldRecord describes one record in an information answer.
type HeldRecord struct {
	Record    string      `json:"record"`
	Purpose   Item        `json:"purpose"`
	Ground    Item        `json:"ground"`
	Channel   Item        `json:"channel"`
	Collected time.Time   `json:"collected_at"`
	State     string      `json:"state"`
	Data      []HeldField `json:"data"`
	// Recipients are those the policy allows this purpose to pass data to.
	Recipients []Item `json:"recipients,omitempty"`
	// Retention says how long the record is kept and what happens then.
	Retention string `json:"retention"`
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

// HeldField is a kind of data held, with its value when the request and the
// identity check allow values.
type HeldField struct {
	Item
	Value string `json:"value,omitempty"`
}

// Item is an id with its title in three languages.
type Item struct {
	ID    string      `json:"id"`
	Title policy.Text `json:"title"`
}

// Requester is who makes the request: the subject, or a representative
// acting for them.
type Requester struct {
	FullName       string          `json:"full_name"`
	Representative *Representative `json:"representative,omitempty"`
}

// Representative acts for the subject under a document that empowers them.
type Representative struct {
	FullName  string `json:"full_name"`
	Authority string `json:"authority"`
}

// Identity is what the request carries to identify the requester.
type Identity struct {
	FullName     string      `json:"full_name,omitempty"`
	IIN          string      `json:"iin,omitempty"`
	IDDocument   *IDDocument `json:"id_document,omitempty"`
	Relationship string      `json:"relationship,omitempty"`
	Signature    bool        `json:"signature,omitempty"`
}

// IDDocument is an identity document's requisites.
type IDDocument struct {
	Number string `json:"number"`
	Issued string `json:"issued"`
	Issuer string `json:"issuer"`
}

// Provided lists the requisites an identity carries.
func (id Identity) Provided() []string {
	var out []string
	if id.FullName != "" {
		out = append(out, ReqFullName)
	}
	if id.IIN != "" {
		out = append(out, ReqIIN)
	}
	if d := id.IDDocument; d != nil && d.Number != "" && d.Issued != "" && d.Issuer != "" {
		out = append(out, ReqIDDocument)
	}
	if id.Relationship != "" {
		out = append(out, ReqRelationship)
	}
	if id.Signature {
		out = append(out, ReqSignature)
	}
	return out
}

// Content is what a request says, stored encrypted.
type Content struct {
	Requester Requester `json:"requester"`
	Identity  Identity  `json:"identity"`
	// Text is the request in the requester's words.
	Text string `json:"text,omitempty"`
	// Record and Corrections say what to correct (correction requests).
	Record      string            `json:"record,omitempty"`
	Corrections map[string]string `json:"corrections,omitempty"`
	// Consent names the consent to withdraw (withdrawal requests).
	Consent string `json:"consent,omitempty"`
	// Verified lists the requisites the staff checked.
	Verified []string `json:"verified,omitempty"`
}
