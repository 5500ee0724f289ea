// Package policy reads, validates and describes an operator's personal-data
// policy: the machine-readable form of the document an operator publishes
// under Law 94-V. derbes enforces what the file says, so a mistake in it is
// reported with its file, line and column before anything runs.
//
// The format is YAML, version 1; policy/schema.json is its JSON Schema.
package policy

import (
	"slices"
	"time"
)

// Policy is one version of an operator's policy.
type Policy struct {
	// Format is the version of the file format; only 1 exists.
	Format int `yaml:"derbes" json:"derbes"`
	// Version is the operator's label of this policy version ("2026-1").
	Version string `yaml:"version" json:"version"`
	// Effective is the date from which the policy applies (YYYY-MM-DD).
	Effective string `yaml:"effective" json:"effective"`
	// ReviewBy is the date by which the operator reviews the policy again
	// (seed 004 §12: at least yearly).
	ReviewBy string `yaml:"review_by,omitempty" json:"review_by,omitempty"`

	Operator          Operator          `yaml:"operator" json:"operator"`
	Fields            []Field           `yaml:"fields" json:"fields"`
	ForbiddenCategory []string          `yaml:"forbidden_categories,omitempty" json:"forbidden_categories,omitempty"`
	SubjectCategories []SubjectCategory `yaml:"subject_categories" json:"subject_categories"`
	Channels          []Channel         `yaml:"channels" json:"channels"`
	Recipients        []Recipient       `yaml:"recipients,omitempty" json:"recipients,omitempty"`
	// AdequateCountries are the states the operator considers to protect
	// personal data (Art. 16); transfers there need no cross-border consent.
	AdequateCountries []string  `yaml:"adequate_countries,omitempty" json:"adequate_countries,omitempty"`
	Purposes          []Purpose `yaml:"purposes" json:"purposes"`
	Roles             []Role    `yaml:"roles" json:"roles"`
	Deadlines         Deadlines `yaml:"deadlines,omitempty" json:"deadlines"`
	Requests          Requests  `yaml:"requests,omitempty" json:"requests"`
}

// Requests says how subjects' requests are received.
type Requests struct {
	// Identity lists the requisites a request must carry for the requester
	// to be identified (full_name, iin, id_document, relationship,
	// signature); a request without them gets a reasoned refusal.
	Identity []string `yaml:"identity,omitempty" json:"identity,omitempty"`
	Source   string   `yaml:"source,omitempty" json:"source,omitempty"`
}

// Text is a title or description in Kazakh, Russian and English.
type Text struct {
	KK string `yaml:"kk" json:"kk"`
	RU string `yaml:"ru" json:"ru"`
	EN string `yaml:"en" json:"en"`
}

// In returns the text in the language lang ("kk", "ru" or "en"), falling
// back to Kazakh, the state language.
func (t Text) In(lang string) string {
	switch lang {
	case "ru":
		if t.RU != "" {
			return t.RU
		}
	case "en":
		if t.EN != "" {
			return t.EN
		}
	}
	return t.KK
}

// Operator is the legal entity that collects and processes the data.
type Operator struct {
	Name        Text        `yaml:"name" json:"name"`
	BIN         string      `yaml:"bin" json:"bin"`
	Address     string      `yaml:"address,omitempty" json:"address,omitempty"`
	Website     string      `yaml:"website,omitempty" json:"website,omitempty"`
	Responsible Responsible `yaml:"responsible" json:"responsible"`
	Storage     Storage     `yaml:"storage" json:"storage"`
	Source      string      `yaml:"source,omitempty" json:"source,omitempty"`
}

// Responsible is the person responsible for organising the processing of
// personal data (Art. 25 p.2 sp.10); breach notices carry their contact.
type Responsible struct {
	Name     string `yaml:"name" json:"name"`
	Position string `yaml:"position,omitempty" json:"position,omitempty"`
	Email    string `yaml:"email,omitempty" json:"email,omitempty"`
	Phone    string `yaml:"phone,omitempty" json:"phone,omitempty"`
}

// Storage says where the database is (Art. 12 p.2 requires Kazakhstan).
type Storage struct {
	// Country is an ISO 3166-1 alpha-2 code.
	Country string `yaml:"country" json:"country"`
	// Ground justifies storage outside Kazakhstan; required then.
	Ground string `yaml:"ground,omitempty" json:"ground,omitempty"`
	Source string `yaml:"source,omitempty" json:"source,omitempty"`
}

// Field types. The identifier types are validated and normalised by package
// kz; a subject's iin, phone and email are indexed for lookup.
const (
	TypeIIN     = "iin"
	TypeBIN     = "bin"
	TypePhone   = "phone"
	TypeEmail   = "email"
	TypeName    = "name"
	TypeDate    = "date"
	TypeAddress = "address"
	TypeText    = "text"
	TypeNumber  = "number"
	TypeBool    = "boolean"
	TypeFile    = "file"
)

// FieldTypes lists every field type in the order the documentation shows.
var FieldTypes = []string{TypeIIN, TypeBIN, TypePhone, TypeEmail, TypeName, TypeDate, TypeAddress, TypeText, TypeNumber, TypeBool, TypeFile}

// Access of a field (Art. 6): publicly available or restricted.
const (
	AccessPublic     = "public"
	AccessRestricted = "restricted"
)

// Field is one kind of personal data the operator collects.
type Field struct {
	ID    string `yaml:"id" json:"id"`
	Type  string `yaml:"type" json:"type"`
	Title Text   `yaml:"title" json:"title"`
	// Access is public or restricted (the default).
	Access string `yaml:"access,omitempty" json:"access,omitempty"`
	// Category names a special category (health, religion, ...); a field
	// whose category the policy forbids is refused at collection.
	Category string `yaml:"category,omitempty" json:"category,omitempty"`
	Source   string `yaml:"source,omitempty" json:"source,omitempty"`
}

// SubjectCategory is a kind of person the data is about (applicant, employee).
type SubjectCategory struct {
	ID     string `yaml:"id" json:"id"`
	Title  Text   `yaml:"title" json:"title"`
	Source string `yaml:"source,omitempty" json:"source,omitempty"`
}

// Channel is a way data is collected (call, website, chat bot...).
type Channel struct {
	ID     string `yaml:"id" json:"id"`
	Title  Text   `yaml:"title" json:"title"`
	Source string `yaml:"source,omitempty" json:"source,omitempty"`
}

// Recipient kinds.
const (
	RecipientThirdParty = "third_party"
	RecipientStateBody  = "state_body"
	RecipientProcessor  = "processor"
)

// Recipient is someone the operator may pass data to.
type Recipient struct {
	ID    string `yaml:"id" json:"id"`
	Kind  string `yaml:"kind" json:"kind"`
	Title Text   `yaml:"title" json:"title"`
	// Country is an ISO 3166-1 alpha-2 code; KZ when omitted.
	Country string `yaml:"country,omitempty" json:"country,omitempty"`
	Source  string `yaml:"source,omitempty" json:"source,omitempty"`
}

// Purpose is a declared purpose of processing; every record belongs to one.
type Purpose struct {
	ID    string `yaml:"id" json:"id"`
	Title Text   `yaml:"title" json:"title"`
	// Grounds are the legal grounds this purpose may rest on: "consent" or a
	// non-consent ground of Art. 9 (see Grounds).
	Grounds []string `yaml:"grounds" json:"grounds"`
	// LegalBasis names the law when a ground is "other-law".
	LegalBasis string `yaml:"legal_basis,omitempty" json:"legal_basis,omitempty"`
	// Subjects maps each subject category this purpose concerns to the
	// fields that may be collected about it.
	Subjects   map[string][]string `yaml:"subjects" json:"subjects"`
	Channels   []string            `yaml:"channels,omitempty" json:"channels,omitempty"`
	Retention  Retention           `yaml:"retention" json:"retention"`
	Recipients []string            `yaml:"recipients,omitempty" json:"recipients,omitempty"`
	Source     string              `yaml:"source,omitempty" json:"source,omitempty"`
}

// Retention start points.
const (
	FromCollection      = "collection"
	FromRelationshipEnd = "relationship_end"
	FromEvent           = "event"
	FromPurposeAchieved = "purpose_achieved"
)

// End actions.
const (
	ThenDestroy       = "destroy"
	ThenDepersonalise = "depersonalise"
)

// Retention says how long records of a purpose are kept and what happens then.
type Retention struct {
	// Period is a duration such as "5y", "6m", "30d" or "1y6m". Empty with
	// From "purpose_achieved": kept until the purpose is achieved.
	Period string `yaml:"period,omitempty" json:"period,omitempty"`
	From   string `yaml:"from" json:"from"`
	// Event names the event that starts the period when From is "event"
	// (e.g. "appeal_closed").
	Event  string `yaml:"event,omitempty" json:"event,omitempty"`
	Then   string `yaml:"then" json:"then"`
	Source string `yaml:"source,omitempty" json:"source,omitempty"`
}

// Actions a role may take besides reading.
const (
	CanCollect  = "collect"
	CanRead     = "read"
	CanLookup   = "lookup"
	CanUpdate   = "update"
	CanDestroy  = "destroy"
	CanJournal  = "journal"
	CanRequests = "requests"
	CanTransfer = "transfer"
	CanAdmin    = "admin"
)

// RoleActions lists every action in the order the documentation shows.
var RoleActions = []string{CanCollect, CanRead, CanLookup, CanUpdate, CanDestroy, CanJournal, CanRequests, CanTransfer, CanAdmin}

// Role is a staff duty or an application's role: the purposes it serves,
// the fields it may see and the actions it may take.
type Role struct {
	ID       string   `yaml:"id" json:"id"`
	Title    Text     `yaml:"title" json:"title"`
	Purposes []string `yaml:"purposes" json:"purposes"`
	Fields   []string `yaml:"fields" json:"fields"`
	// Masked fields are shown to the role only masked (a phone as
	// "+7 701 *** ** 67", an IIN as "95031*******"): enough to confirm
	// who is calling, not to copy the number.
	Masked []string `yaml:"masked,omitempty" json:"masked,omitempty"`
	Can    []string `yaml:"can" json:"can"`
	// Limits are the thresholds beyond which access opens an incident.
	Limits Limits `yaml:"limits,omitempty" json:"limits"`
	Source string `yaml:"source,omitempty" json:"source,omitempty"`
}

// Limits are a role's normal bounds (Art. 22: detect unauthorised access
// promptly). Zero means no limit.
type Limits struct {
	// SubjectsPerHour is how many distinct subjects one principal of the
	// role may read in an hour.
	SubjectsPerHour int `yaml:"subjects_per_hour,omitempty" json:"subjects_per_hour,omitempty"`
	// DenialsPerHour is how many refusals one principal may collect in an
	// hour before it looks like probing.
	DenialsPerHour int `yaml:"denials_per_hour,omitempty" json:"denials_per_hour,omitempty"`
	// Hours is the working time, "08:00-20:00" in Astana time; access
	// outside it opens an incident.
	Hours string `yaml:"hours,omitempty" json:"hours,omitempty"`
}

// Deadlines in working days. A zero value means the law's default; a value
// longer than the law's is reported by Lint, and the law's applies
// (EffectiveDeadlines).
type Deadlines struct {
	Correction     int `yaml:"correction,omitempty" json:"correction"`
	Blocking       int `yaml:"blocking,omitempty" json:"blocking"`
	Unblocking     int `yaml:"unblocking,omitempty" json:"unblocking"`
	Destruction    int `yaml:"destruction,omitempty" json:"destruction"`
	BreachNotice   int `yaml:"breach_notice,omitempty" json:"breach_notice"`
	Withdrawal     int `yaml:"withdrawal,omitempty" json:"withdrawal"`
	TransferNotice int `yaml:"transfer_notice,omitempty" json:"transfer_notice"`
	Objection      int `yaml:"objection,omitempty" json:"objection"`
	PublicRemoval  int `yaml:"public_removal,omitempty" json:"public_removal"`
	Information    int `yaml:"information,omitempty" json:"information"`
	// BlockedLimit is the operator's own longest time a record may stay
	// blocked (a period: "6m"); past it, the record is destroyed. The law
	// sets no such term (a block ends when the check ends, Art. 25 p.2
	// sp.8); empty means none.
	BlockedLimit string `yaml:"blocked_limit,omitempty" json:"blocked_limit,omitempty"`
	Source       string `yaml:"source,omitempty" json:"source,omitempty"`
}

// LawDeadlines are the working-day terms of Law 94-V (LAW.md, Deadlines).
// Information has no number in the law; 5 working days is derbes's default
// and the operator may set another.
var LawDeadlines = Deadlines{
	Correction:     1,  // Art. 25 p.2 sp.8
	Blocking:       1,  // Art. 25 p.2 sp.8
	Unblocking:     1,  // Art. 25 p.2 sp.8
	Destruction:    1,  // Art. 25 p.2 sp.8
	BreachNotice:   1,  // Art. 25 p.2 sp.8
	Withdrawal:     15, // Art. 8 p.7
	TransferNotice: 10, // Art. 19 p.1
	Objection:      3,  // Art. 19-1
	PublicRemoval:  1,  // Art. 6
	Information:    5,  // not fixed by the law: a configurable default
}

// Field returns the field with the given id.
func (p *Policy) Field(id string) (Field, bool) {
	for _, f := range p.Fields {
		if f.ID == id {
			return f, true
		}
	}
	return Field{}, false
}

// Purpose returns the purpose with the given id.
func (p *Policy) Purpose(id string) (Purpose, bool) {
	for _, x := range p.Purposes {
		if x.ID == id {
			return x, true
		}
	}
	return Purpose{}, false
}

// Role returns the role with the given id.
func (p *Policy) Role(id string) (Role, bool) {
	for _, x := range p.Roles {
		if x.ID == id {
			return x, true
		}
	}
	return Role{}, false
}

// HasSubjectCategory reports whether the policy declares the category.
func (p *Policy) HasSubjectCategory(id string) bool {
	return slices.ContainsFunc(p.SubjectCategories, func(c SubjectCategory) bool { return c.ID == id })
}

// HasChannel reports whether the policy declares the channel.
func (p *Policy) HasChannel(id string) bool {
	return slices.ContainsFunc(p.Channels, func(c Channel) bool { return c.ID == id })
}

// Forbidden reports whether the field belongs to a category the policy
// forbids (seed 000 §8.13: special categories are never collected).
func (p *Policy) Forbidden(f Field) bool {
	return f.Category != "" && slices.Contains(p.ForbiddenCategory, f.Category)
}

// AllowedFields returns the fields a purpose may collect about a subject
// category, and whether the purpose concerns that category at all.
func (pu Purpose) AllowedFields(category string) ([]string, bool) {
	f, ok := pu.Subjects[category]
	return f, ok
}

// Allows reports whether the role serves the purpose.
func (r Role) Allows(purpose string) bool { return slices.Contains(r.Purposes, purpose) }

// Sees reports whether the role may see the field, in full or masked.
func (r Role) Sees(field string) bool {
	return slices.Contains(r.Fields, field) || slices.Contains(r.Masked, field)
}

// Masks reports whether the role sees the field only masked.
func (r Role) Masks(field string) bool {
	return !slices.Contains(r.Fields, field) && slices.Contains(r.Masked, field)
}

// May reports whether the role may take the action.
func (r Role) May(action string) bool { return slices.Contains(r.Can, action) }

// Effective deadlines: the policy's where set and not longer than the law's,
// the law's otherwise.
func (p *Policy) EffectiveDeadlines() Deadlines {
	d := p.Deadlines
	pick := func(own, law int) int {
		if own <= 0 || own > law {
			return law
		}
		return own
	}
	return Deadlines{
		Correction:     pick(d.Correction, LawDeadlines.Correction),
		Blocking:       pick(d.Blocking, LawDeadlines.Blocking),
		Unblocking:     pick(d.Unblocking, LawDeadlines.Unblocking),
		Destruction:    pick(d.Destruction, LawDeadlines.Destruction),
		BreachNotice:   pick(d.BreachNotice, LawDeadlines.BreachNotice),
		Withdrawal:     pick(d.Withdrawal, LawDeadlines.Withdrawal),
		TransferNotice: pick(d.TransferNotice, LawDeadlines.TransferNotice),
		Objection:      pick(d.Objection, LawDeadlines.Objection),
		PublicRemoval:  pick(d.PublicRemoval, LawDeadlines.PublicRemoval),
		// The law names no term for answering a request for information:
		// the policy's term applies, or derbes's default.
		Information: pick(d.Information, max(d.Information, LawDeadlines.Information)),
	}
}

// ReviewDate is the date by which the operator reviews the policy again
// (seed 004 §12: at least yearly): review_by, or a year after effective
// when the policy names none. ok is false when neither date parses
// (validation refuses such a policy).
func (p *Policy) ReviewDate() (date time.Time, ok bool) {
	if p.ReviewBy != "" {
		d, err := time.Parse(time.DateOnly, p.ReviewBy)
		return d, err == nil
	}
	d, err := time.Parse(time.DateOnly, p.Effective)
	return d.AddDate(1, 0, 0), err == nil
}
