package client

import (
	"encoding/json"
	"time"
)

// SubjectIn is a new subject: the person the data is about.
type SubjectIn struct {
	// Category is a subject category of the policy ("applicant").
	Category string `json:"category"`
	// Purpose is the purpose for which the identifiers are collected.
	Purpose string `json:"purpose"`
	// Identifiers by kind: "iin", "phone", "email"; at least one.
	Identifiers map[string]string `json:"identifiers"`
	// Consent is the subject's consent, recorded in the same transaction; a
	// record on the consent ground rests on it.
	Consent *ConsentIn `json:"consent,omitempty"`
	// Record is the subject's first record, stored in the same transaction.
	// Its Purpose defaults to the subject's.
	Record *RecordIn `json:"record,omitempty"`
}

// ConsentIn is a consent as given (Law 94-V Art. 8 p.4).
type ConsentIn struct {
	// SubjectName is the subject's full name as on the consent.
	SubjectName    string          `json:"subject_name"`
	Representative *Representative `json:"representative,omitempty"`
	Purposes       []string        `json:"purposes"`
	Fields         []string        `json:"fields"`
	// Until is the last day of the term (YYYY-MM-DD); empty: until the
	// purposes are achieved.
	Until           string `json:"until,omitempty"`
	ThirdParty      bool   `json:"third_party_transfer"`
	CrossBorder     bool   `json:"cross_border_transfer"`
	Publication     bool   `json:"publication"`
	NotifyTransfers bool   `json:"notify_of_transfers"`
	// AccountBound consents are withdrawn when the subject's account is
	// deleted.
	AccountBound    bool        `json:"account_bound"`
	OtherConditions string      `json:"other_conditions,omitempty"`
	Form            ConsentForm `json:"form"`
}

// Representative is a legal representative acting for the subject.
type Representative struct {
	FullName  string `json:"full_name"`
	Authority string `json:"authority"`
}

// ConsentForm is how a consent was given: kind is written, electronic,
// website, state-service or other, with its evidence.
type ConsentForm struct {
	Kind           string `json:"kind"`
	Reference      string `json:"reference,omitempty"`
	DocumentSHA256 string `json:"document_sha256,omitempty"`
	Page           string `json:"page,omitempty"`
	ClientIP       string `json:"client_ip,omitempty"`
}

// RecordIn is a record to store: fields collected for one purpose, through
// one channel, on one legal ground.
type RecordIn struct {
	Purpose string `json:"purpose,omitempty"`
	// Channel is a channel of the policy ("call-109", "website").
	Channel string `json:"channel"`
	// Ground is the legal ground ("consent"); it may be left empty when the
	// purpose rests on a single ground.
	Ground string `json:"ground,omitempty"`
	// Consent names the consent a record on the consent ground rests on: it
	// must be in force and cover the purpose and every field. Empty lets the
	// server pick the newest such consent of the subject. Leave it empty on
	// other grounds, and in SubjectIn.Record (which rests on
	// SubjectIn.Consent).
	Consent string `json:"consent,omitempty"`
	// Fields by their id in the policy. Values are strings whatever the
	// field's type: dates as YYYY-MM-DD, booleans as "true" or "false".
	Fields map[string]string `json:"fields"`
}

// Created holds the ids of what was created.
type Created struct {
	Subject string `json:"subject"`
	// Record is empty when no record was created.
	Record string `json:"record,omitempty"`
	// Consent is empty when no consent was recorded.
	Consent string `json:"consent,omitempty"`
}

// States of subjects and records.
const (
	StateActive    = "active"
	StateBlocked   = "blocked"
	StateDestroyed = "destroyed"
)

// Subject is what the caller may see of a subject.
type Subject struct {
	ID       string `json:"id"`
	Category string `json:"category"`
	State    string `json:"state"`
	// Identifiers the role sees, normalised; empty once destroyed.
	Identifiers map[string]string `json:"identifiers,omitempty"`
	// Masked names the identifiers shown masked, because the role sees
	// them only masked: an IIN as "95031*******", a phone as
	// "+7 701 *** ** 67".
	Masked      []string   `json:"masked,omitempty"`
	CreatedAt   time.Time  `json:"created_at"`
	DestroyedAt *time.Time `json:"destroyed_at,omitempty"`
	// Records held for the declared purpose, without their data.
	Records []RecordRef `json:"records,omitempty"`
}

// RecordRef names a record without its data.
type RecordRef struct {
	ID      string `json:"id"`
	Purpose string `json:"purpose"`
	State   string `json:"state"`
}

// Record is what the caller may see of a record.
type Record struct {
	ID      string `json:"id"`
	Subject string `json:"subject"`
	Purpose string `json:"purpose"`
	Channel string `json:"channel"`
	Ground  string `json:"ground"`
	// Consent is the consent a record on the consent ground rests on.
	Consent string `json:"consent,omitempty"`
	State   string `json:"state"`
	// Fields the role sees (and asked for).
	Fields map[string]string `json:"fields"`
	// Withheld names the record's fields the role may not see.
	Withheld []string `json:"withheld,omitempty"`
	// Masked names the fields of Fields shown masked, because the role
	// sees them only masked ("+7 701 *** ** 67"). A masked value is not
	// the value: never write it back with UpdateRecord.
	Masked []string `json:"masked,omitempty"`
	// PolicyVersion is the activation number of the policy the record was
	// collected under.
	PolicyVersion int64      `json:"policy_version"`
	CreatedAt     time.Time  `json:"created_at"`
	UpdatedAt     time.Time  `json:"updated_at"`
	DestroyedAt   *time.Time `json:"destroyed_at,omitempty"`
}

// Entry is one action recorded in the journal. Entries hold no personal
// data.
type Entry struct {
	Seq     int64     `json:"seq"`
	At      time.Time `json:"at"`
	Actor   string    `json:"actor"`
	Action  string    `json:"action"`
	Purpose string    `json:"purpose,omitempty"`
	Subject string    `json:"subject,omitempty"`
	Record  string    `json:"record,omitempty"`
	// Outcome is "ok", "denied" or "failed".
	Outcome string `json:"outcome"`
	// Detail is a JSON object, as text, of non-personal facts: role, field
	// names, reason code, policy version.
	Detail string `json:"detail,omitempty"`
	// Hash is the entry's SHA-256 chain hash.
	Hash []byte `json:"hash"`
}

// JournalPage is a page of the journal.
type JournalPage struct {
	Entries []Entry `json:"entries"`
	// Next is the after of the next page; 0 when this page was not full.
	Next int64 `json:"next,omitempty"`
}

// Verification is the outcome of checking the journal.
type Verification struct {
	OK bool `json:"ok"`
	// Entries is how many entries were read.
	Entries int64 `json:"entries"`
	// Checkpoints is how many signed checkpoints matched.
	Checkpoints int `json:"checkpoints"`
	// Problem is the first thing found wrong; empty when OK.
	Problem string `json:"problem"`
	// FirstBad is the sequence number of the first bad or missing entry.
	FirstBad int64 `json:"first_bad"`
}

// ActivePolicy is the policy the server enforces.
type ActivePolicy struct {
	// Version is the activation number.
	Version int64 `json:"version"`
	// SHA256 is the hex SHA-256 of the policy file.
	SHA256 string `json:"sha256"`
	// Policy is the policy in the JSON form of the derbes policy format
	// (purposes, fields, roles, channels, ...).
	Policy json.RawMessage `json:"policy"`
}
