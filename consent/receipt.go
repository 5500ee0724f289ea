package consent

import (
	"time"

	"github.com/derbes/derbes/policy"
)

// Receipt is what a subject gets for a consent event: proof of what they
// agreed to (or withdrew), with the content Art. 8 p.4 requires. Its JSON
// form follows the shape of ISO/IEC TS 27560 consent records (a record id,
// the controller, the subject, purposes, data, the event, its form and
// evidence, the notice shown).
type Receipt struct {
	// Schema names the receipt format: "derbes-consent-receipt/1".
	Schema    string    `json:"schema"`
	ReceiptID string    `json:"receipt_id"`
	ConsentID string    `json:"consent_id"`
	Event     string    `json:"event"` // given | withdrawn | expired | withdrawal-refused
	EventTime time.Time `json:"event_time"`

	Operator ReceiptOperator `json:"controller"`
	Subject  ReceiptSubject  `json:"subject"`

	Purposes []ReceiptItem `json:"purposes"`
	Data     []ReceiptItem `json:"data"`

	// Until is the end of the consent's term; nil means until the purposes
	// are achieved (Art. 8 p.5-6).
	Until              *time.Time `json:"until,omitempty"`
	ThirdPartyTransfer bool       `json:"third_party_transfer"`
	CrossBorder        bool       `json:"cross_border_transfer"`
	Publication        bool       `json:"publication"`
	NotifyTransfers    bool       `json:"notify_of_transfers"`
	OtherConditions    string     `json:"other_conditions,omitempty"`

	Form ReceiptForm `json:"form"`
	// Notice is the policy version shown to the subject.
	Notice ReceiptNotice `json:"notice"`

	// Withdrawal is set for withdrawn and withdrawal-refused events.
	Withdrawal *ReceiptWithdrawal `json:"withdrawal,omitempty"`
}

// ReceiptOperator is the operator (controller) and its responsible person.
type ReceiptOperator struct {
	Name        policy.Text `json:"name"`
	BIN         string      `json:"bin"`
	Address     string      `json:"address,omitempty"`
	Responsible string      `json:"responsible_person,omitempty"`
	Contact     string      `json:"contact,omitempty"`
}

// ReceiptSubject is the person, and their representative if one acted.
type ReceiptSubject struct {
	ID             string `json:"id"`
	FullName       string `json:"full_name"`
	Representative string `json:"representative,omitempty"`
	// Authority is the document that empowers the representative.
	Authority string `json:"representative_authority,omitempty"`
}

// ReceiptItem is a purpose or a kind of data, titled in three languages.
type ReceiptItem struct {
	ID    string      `json:"id"`
	Title policy.Text `json:"title"`
}

// ReceiptForm is how the consent was given and its evidence.
type ReceiptForm struct {
	Kind           string    `json:"kind"` // written | electronic | website | state-service | other
	Reference      string    `json:"reference,omitempty"`
	DocumentSHA256 string    `json:"document_sha256,omitempty"`
	Page           string    `json:"page,omitempty"`
	ClientIPHash   string    `json:"client_ip_hash,omitempty"`
	At             time.Time `json:"at"`
}

// ReceiptNotice is the policy shown when consent was asked.
type ReceiptNotice struct {
	PolicyVersion int64  `json:"policy_version"`
	PolicyLabel   string `json:"policy_label"`
}

// ReceiptWithdrawal describes a withdrawal or its reasoned refusal.
type ReceiptWithdrawal struct {
	// Due is when the operator must have stopped processing (Art. 8 p.7).
	Due    *time.Time `json:"due,omitempty"`
	Reason string     `json:"reason,omitempty"`
	Basis  string     `json:"basis,omitempty"`
}
