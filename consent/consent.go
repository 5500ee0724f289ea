// Package consent is the consent ledger's domain: what a consent must
// contain (Law 94-V Art. 8 p.4), the forms it may take (Art. 8 p.1), whether
// a consent covers a record, and the receipts a subject gets.
//
// Consents are immutable: giving, withdrawing, expiring and refusing a
// withdrawal (Art. 8 p.2) are events appended to the ledger. The vault
// stores them in the same transaction as their journal entries.
package consent

import (
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/derbes/derbes/calendar"
	"github.com/derbes/derbes/policy"
)

// Forms of consent (Art. 8 p.1).
const (
	FormWritten      = "written"       // on paper, with the document's reference and SHA-256
	FormElectronic   = "electronic"    // an electronic document
	FormWebsite      = "website"       // an action on the operator's site (seed 000 §8.3)
	FormStateService = "state-service" // the state service for control of access to personal data
	FormOther        = "other"         // any other way that proves consent was received
)

// Forms lists the forms in the order the documentation shows.
var Forms = []string{FormWritten, FormElectronic, FormWebsite, FormStateService, FormOther}

// Event kinds of the ledger.
const (
	Given             = "given"
	Withdrawn         = "withdrawn"
	Expired           = "expired"
	WithdrawalRefused = "withdrawal-refused"
)

// Request is a consent as an application reports it.
type Request struct {
	// SubjectName is the subject's full name as on the consent (Art. 8 p.4).
	SubjectName string `json:"subject_name"`
	// Representative is set when a legal representative gave the consent.
	Representative *Representative `json:"representative,omitempty"`
	Purposes       []string        `json:"purposes"`
	Fields         []string        `json:"fields"`
	// Until is the last day of the term (YYYY-MM-DD); empty means until the
	// purposes are achieved (Art. 8 p.5-6).
	Until           string `json:"until,omitempty"`
	ThirdParty      bool   `json:"third_party_transfer"`
	CrossBorder     bool   `json:"cross_border_transfer"`
	Publication     bool   `json:"publication"`
	NotifyTransfers bool   `json:"notify_of_transfers"`
	// AccountBound consents are withdrawn when the subject deletes their
	// account (seed 000 §7.1).
	AccountBound    bool   `json:"account_bound"`
	OtherConditions string `json:"other_conditions,omitempty"`
	Form            Form   `json:"form"`
}

// Representative is a legal representative acting for the subject.
type Representative struct {
	FullName string `json:"full_name"`
	// Authority is the document that empowers them (power of attorney,
	// birth certificate...), by reference.
	Authority string `json:"authority"`
}

// Form is how the consent was given, with its evidence.
type Form struct {
	Kind string `json:"kind"`
	// Reference identifies the document, the state service's record, or
	// the site action.
	Reference string `json:"reference,omitempty"`
	// DocumentSHA256 is the hash of the signed document's scan or file.
	DocumentSHA256 string `json:"document_sha256,omitempty"`
	// Page is where on the site consent was given.
	Page string `json:"page,omitempty"`
	// ClientIP is the address the site action came from; derbes keeps only
	// its keyed hash.
	ClientIP string `json:"client_ip,omitempty"`
}

// Content is the personal part of a consent, stored encrypted.
type Content struct {
	SubjectName     string `json:"subject_name"`
	Representative  string `json:"representative,omitempty"`
	Authority       string `json:"authority,omitempty"`
	Reference       string `json:"reference,omitempty"`
	DocumentSHA256  string `json:"document_sha256,omitempty"`
	Page            string `json:"page,omitempty"`
	ClientIPHash    string `json:"client_ip_hash,omitempty"`
	OtherConditions string `json:"other_conditions,omitempty"`
}

// Invalid is a consent that cannot be accepted, naming the field at fault.
type Invalid struct {
	Code, Field, Message string
}

func (e *Invalid) Error() string { return e.Message }

func invalid(code, field, format string, args ...any) *Invalid {
	return &Invalid{Code: code, Field: field, Message: fmt.Sprintf(format, args...)}
}

// Checked is a request that passed Check.
type Checked struct {
	Request
	Until *time.Time
}

// Check checks a consent request against the policy for a subject of
// category, at time now.
func Check(p *policy.Policy, category string, r Request, now time.Time) (*Checked, error) {
	if err := checkText("subject_name", r.SubjectName, 300, true); err != nil {
		return nil, err
	}
	if rep := r.Representative; rep != nil {
		if err := checkText("representative.full_name", rep.FullName, 300, true); err != nil {
			return nil, err
		}
		if err := checkText("representative.authority", rep.Authority, 300, true); err != nil {
			return nil, invalid("authority-required", "representative.authority", "a representative's consent needs the document that empowers them (Art. 8)")
		}
	}
	if len(r.Purposes) == 0 {
		return nil, invalid("purposes-required", "purposes", "a consent names the purposes it allows")
	}
	for i, id := range r.Purposes {
		pu, ok := p.Purpose(id)
		switch {
		case !ok:
			return nil, invalid("unknown-purpose", "purposes", "purpose %q is not in the policy", id)
		case slices.Index(r.Purposes, id) != i:
			return nil, invalid("duplicate", "purposes", "purpose %q is listed twice", id)
		case !slices.Contains(pu.Grounds, policy.GroundConsent):
			return nil, invalid("purpose-not-on-consent", "purposes", "purpose %q does not rest on consent in the policy", id)
		}
		if _, ok := pu.AllowedFields(category); !ok {
			return nil, invalid("category-not-allowed", "purposes", "purpose %q does not concern subjects of category %q", id, category)
		}
	}
	if len(r.Fields) == 0 {
		return nil, invalid("fields-required", "fields", "a consent lists the data it covers (Art. 8 p.4)")
	}
	for i, id := range r.Fields {
		f, ok := p.Field(id)
		switch {
		case !ok:
			return nil, invalid("unknown-field", id, "field %q is not in the policy", id)
		case slices.Index(r.Fields, id) != i:
			return nil, invalid("duplicate", id, "field %q is listed twice", id)
		case p.Forbidden(f):
			return nil, invalid("forbidden-category", id, "field %q is of category %q, which the policy forbids collecting", id, f.Category)
		}
		if !slices.ContainsFunc(r.Purposes, func(pid string) bool {
			pu, _ := p.Purpose(pid)
			allowed, _ := pu.AllowedFields(category)
			return slices.Contains(allowed, id)
		}) {
			return nil, invalid("field-not-allowed", id, "none of the consent's purposes collects field %q", id)
		}
	}
	c := &Checked{Request: r}
	if r.Until != "" {
		d, err := time.ParseInLocation(time.DateOnly, r.Until, calendar.Location())
		if err != nil {
			return nil, invalid("invalid-value", "until", "until must be a date (YYYY-MM-DD)")
		}
		end := d.AddDate(0, 0, 1).Add(-time.Microsecond).UTC() // the end of that day in Astana
		if !end.After(now) {
			return nil, invalid("invalid-value", "until", "the term of the consent has already ended")
		}
		c.Until = &end
	}
	if err := checkText("other_conditions", r.OtherConditions, 2000, false); err != nil {
		return nil, err
	}
	if err := checkForm(r.Form); err != nil {
		return nil, err
	}
	return c, nil
}

func checkForm(f Form) error {
	for _, x := range []struct{ name, v string }{{"form.reference", f.Reference}, {"form.page", f.Page}, {"form.client_ip", f.ClientIP}} {
		if err := checkText(x.name, x.v, 500, false); err != nil {
			return err
		}
	}
	if f.DocumentSHA256 != "" {
		if b, err := hex.DecodeString(f.DocumentSHA256); err != nil || len(b) != 32 {
			return invalid("invalid-value", "form.document_sha256", "document_sha256 must be 64 hexadecimal digits")
		}
	}
	switch f.Kind {
	case FormWritten:
		if f.Reference == "" || f.DocumentSHA256 == "" {
			return invalid("evidence-required", "form", "a written consent needs the document's reference and its SHA-256")
		}
	case FormElectronic, FormStateService:
		if f.Reference == "" {
			return invalid("evidence-required", "form.reference", "a %s consent needs its reference", f.Kind)
		}
	case FormWebsite:
		if f.Page == "" {
			return invalid("evidence-required", "form.page", "a consent given on the website needs the page where it was given")
		}
	case FormOther:
		if f.Reference == "" {
			return invalid("evidence-required", "form.reference", "say how the consent can be proved (reference)")
		}
	case "":
		return invalid("form-required", "form.kind", "say how the consent was given: one of %s", strings.Join(Forms, ", "))
	default:
		return invalid("invalid-value", "form.kind", "form must be one of %s", strings.Join(Forms, ", "))
	}
	return nil
}

func checkText(field, v string, max int, required bool) error {
	switch {
	case required && strings.TrimSpace(v) == "":
		return invalid("value-required", field, "%s is required", field)
	case !utf8.ValidString(v):
		return invalid("invalid-value", field, "%s is not valid UTF-8", field)
	case len(v) > max:
		return invalid("invalid-value", field, "%s is longer than %d bytes", field, max)
	}
	return nil
}

// Live reports whether a consent in state with the given term is in force
// at now.
func Live(state string, until *time.Time, now time.Time) bool {
	return state == Given && (until == nil || now.Before(*until))
}

// Covers reports whether a consent (its purposes and fields as stored,
// comma-separated) covers a record of purpose with fields. If not, missing
// names the first field it lacks ("" when it lacks the purpose).
func Covers(purposes, fields, purpose string, want []string) (ok bool, missing string) {
	if !slices.Contains(strings.Split(purposes, ","), purpose) {
		return false, ""
	}
	have := strings.Split(fields, ",")
	for _, f := range want {
		if !slices.Contains(have, f) {
			return false, f
		}
	}
	return true, ""
}
