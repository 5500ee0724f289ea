package importing

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/derbes/derbes/consent"
	"github.com/derbes/derbes/policy"
)

// Targets a column may be mapped to besides a policy field.
const (
	// Ignore marks a column that is deliberately not imported.
	Ignore = "-"
	// ConsentReference takes each row's consent reference (the paper's
	// number, the scan's file name) from the column instead of the batch.
	ConsentReference = "consent.reference"
	// ConsentDocumentSHA256 takes each row's document hash from the column.
	ConsentDocumentSHA256 = "consent.document_sha256"
)

// Mapping says which column holds which policy field and what the batch
// is: every row of a file is collected for one purpose, through one
// channel, on one ground, and on consent under one set of terms.
//
// In YAML:
//
//	columns:
//	  ЖСН: iin
//	  Аты-жөні: full_name
//	  Телефон: phone
//	  Ескерту: "-"        # not imported
//	category: applicant
//	purpose: appeals
//	channel: written
//	ground: consent
//	consent:
//	  form: other
//	  reference: "paper consents, archive box 12"
//	  third_party_transfer: true
type Mapping struct {
	// Columns maps a header (compared without regard to case and runs of
	// spaces) to a policy field id, Ignore, ConsentReference or
	// ConsentDocumentSHA256. A header that is itself a field id maps to
	// that field unless mapped otherwise.
	Columns  map[string]string `yaml:"columns"`
	Category string            `yaml:"category"`
	Purpose  string            `yaml:"purpose"`
	Channel  string            `yaml:"channel"`
	// Ground may be left empty when the purpose rests on one ground only.
	Ground  string       `yaml:"ground"`
	Consent ConsentTerms `yaml:"consent"`
}

// ConsentTerms are the terms of the consents of a batch whose ground is
// consent. The consent's fields are the mapped fields, its purpose the
// batch's, and the subject's name comes from the column mapped to a field
// of type name.
type ConsentTerms struct {
	Form            string `yaml:"form" json:"form,omitempty"`
	Reference       string `yaml:"reference" json:"reference,omitempty"`
	DocumentSHA256  string `yaml:"document_sha256" json:"document_sha256,omitempty"`
	Page            string `yaml:"page" json:"page,omitempty"`
	Until           string `yaml:"until" json:"until,omitempty"`
	ThirdParty      bool   `yaml:"third_party_transfer" json:"third_party_transfer,omitempty"`
	CrossBorder     bool   `yaml:"cross_border_transfer" json:"cross_border_transfer,omitempty"`
	Publication     bool   `yaml:"publication" json:"publication,omitempty"`
	NotifyTransfers bool   `yaml:"notify_of_transfers" json:"notify_of_transfers,omitempty"`
	OtherConditions string `yaml:"other_conditions" json:"other_conditions,omitempty"`
}

// LoadMapping reads a mapping file. Unknown keys are errors: a misspelt
// key would otherwise be silently ignored.
func LoadMapping(path string) (*Mapping, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return ParseMapping(path, src)
}

// ParseMapping parses a mapping file's content.
func ParseMapping(name string, src []byte) (*Mapping, error) {
	var m Mapping
	dec := yaml.NewDecoder(bytes.NewReader(src))
	dec.KnownFields(true)
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return &m, nil
}

// AddColumns adds "Header=field" pairs (as --column gives them) to the
// mapping; they override the file's.
func (m *Mapping) AddColumns(pairs []string) error {
	for _, p := range pairs {
		i := strings.LastIndexByte(p, '=')
		if i <= 0 || i == len(p)-1 {
			return fmt.Errorf("--column %q: write HEADER=FIELD, e.g. \"ЖСН=iin\"", p)
		}
		if m.Columns == nil {
			m.Columns = map[string]string{}
		}
		for h := range m.Columns {
			if headerKey(h) == headerKey(p[:i]) {
				delete(m.Columns, h)
			}
		}
		m.Columns[strings.TrimSpace(p[:i])] = strings.TrimSpace(p[i+1:])
	}
	return nil
}

func headerKey(h string) string { return strings.ToLower(strings.Join(strings.Fields(h), " ")) }

// Column kinds.
const (
	colIgnore = iota
	colIdentifier
	colField
	colConsentRef
	colConsentSHA
)

type column struct {
	kind   int
	target string // field id
	ftype  string // policy type
}

// Plan is a mapping checked against a file's header and the policy: what
// each column becomes, and the batch.
type Plan struct {
	Category, Purpose, Channel, Ground string
	Role                               string
	Merge                              bool
	// PadIIN restores the leading zero a spreadsheet dropped from an
	// 11-digit IIN (people born in 2000-2009).
	PadIIN bool
	// Consent is set when the ground is consent.
	Consent *ConsentTerms
	// Warnings are about the header: columns nobody mapped.
	Warnings []Issue

	columns   []column // by header position
	nameField string
	fields    []string // every mapped field, sorted: the consent's fields
	settings  string
}

// Batch is what NewPlan needs besides the mapping.
type Batch struct {
	Role   string
	Merge  bool
	PadIIN bool
}

// NewPlan checks the mapping against the header and the policy: the
// category, purpose, channel and ground are the policy's and fit together;
// the role may collect for the purpose (and look up, to merge); every
// mapped column is in the header and every mapped field may be collected
// about the category for the purpose. All problems are reported at once.
func NewPlan(p *policy.Policy, header []string, m Mapping, b Batch) (*Plan, error) {
	var errs []error
	fail := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	pl := &Plan{Category: m.Category, Purpose: m.Purpose, Channel: m.Channel, Ground: m.Ground, Role: b.Role, Merge: b.Merge, PadIIN: b.PadIIN}

	pu, purposeOK := p.Purpose(m.Purpose)
	var allowed []string
	switch {
	case m.Category == "":
		fail("say the subjects' category (--category): one of %s", ids(p.SubjectCategories, func(c policy.SubjectCategory) string { return c.ID }))
	case !p.HasSubjectCategory(m.Category):
		fail("subject category %q is not in the policy (it has %s)", m.Category, ids(p.SubjectCategories, func(c policy.SubjectCategory) string { return c.ID }))
	}
	switch {
	case m.Purpose == "":
		fail("say the purpose the data was collected for (--purpose): one of %s", ids(p.Purposes, func(x policy.Purpose) string { return x.ID }))
	case !purposeOK:
		fail("purpose %q is not in the policy (it has %s)", m.Purpose, ids(p.Purposes, func(x policy.Purpose) string { return x.ID }))
	default:
		var ok bool
		if allowed, ok = pu.AllowedFields(m.Category); !ok && m.Category != "" && p.HasSubjectCategory(m.Category) {
			fail("purpose %q does not concern subjects of category %q", m.Purpose, m.Category)
		}
	}
	switch {
	case m.Channel == "":
		fail("say the channel the data was collected through (--channel)")
	case !p.HasChannel(m.Channel):
		fail("channel %q is not in the policy", m.Channel)
	case purposeOK && len(pu.Channels) > 0 && !slices.Contains(pu.Channels, m.Channel):
		fail("purpose %q does not collect through channel %q (it uses %s)", m.Purpose, m.Channel, strings.Join(pu.Channels, ", "))
	}
	if purposeOK {
		if pl.Ground == "" && len(pu.Grounds) == 1 {
			pl.Ground = pu.Grounds[0]
		}
		switch {
		case pl.Ground == "":
			fail("purpose %q rests on several grounds (%s): say which one (--ground)", m.Purpose, strings.Join(pu.Grounds, ", "))
		case !slices.Contains(pu.Grounds, pl.Ground):
			fail("purpose %q does not rest on ground %q (it rests on %s)", m.Purpose, pl.Ground, strings.Join(pu.Grounds, ", "))
		}
	}
	role, ok := p.Role(b.Role)
	switch {
	case b.Role == "":
		fail("say the policy role the import acts in (--role)")
	case !ok:
		fail("role %q is not in the policy", b.Role)
	case purposeOK && !role.Allows(m.Purpose):
		fail("role %q does not serve purpose %q", b.Role, m.Purpose)
	case !role.May(policy.CanCollect):
		fail("role %q may not collect", b.Role)
	case b.Merge && !role.May(policy.CanLookup):
		fail("role %q may not look subjects up, which merging needs", b.Role)
	}

	// Columns.
	byKey := map[string]int{}
	for i, h := range header {
		k := headerKey(h)
		if k == "" {
			continue
		}
		if j, dup := byKey[k]; dup {
			fail("columns %d and %d have the same header", j+1, i+1)
			continue
		}
		byKey[k] = i
	}
	pl.columns = make([]column, len(header))
	mapped := map[int]bool{}
	seenTarget := map[string]string{}
	assign := func(i int, h, target string) {
		mapped[i] = true
		c := column{kind: colIgnore, target: target}
		switch target {
		case Ignore:
		case ConsentReference:
			c.kind = colConsentRef
		case ConsentDocumentSHA256:
			c.kind = colConsentSHA
		default:
			f, ok := p.Field(target)
			switch {
			case !ok:
				fail("column %q: field %q is not in the policy", h, target)
				return
			case p.Forbidden(f):
				fail("column %q: field %q is of category %q, which the policy forbids collecting", h, target, f.Category)
				return
			case allowed != nil && !slices.Contains(allowed, target):
				fail("column %q: field %q may not be collected for purpose %q about a %q", h, target, m.Purpose, m.Category)
				return
			}
			c.kind, c.ftype = colField, f.Type
			if slices.Contains(identifierKinds, target) {
				c.kind = colIdentifier
			}
		}
		if c.kind != colIgnore {
			if other, dup := seenTarget[target]; dup {
				fail("columns %q and %q are both mapped to %s", other, h, target)
				return
			}
			seenTarget[target] = h
		}
		pl.columns[i] = c
	}
	heads := make([]string, 0, len(m.Columns))
	for h := range m.Columns {
		heads = append(heads, h)
	}
	slices.Sort(heads)
	for _, h := range heads {
		i, ok := byKey[headerKey(h)]
		if !ok {
			fail("column %q of the mapping is not in the file's header", h)
			continue
		}
		assign(i, h, m.Columns[h])
	}
	for i, h := range header {
		if mapped[i] || headerKey(h) == "" {
			continue
		}
		if _, ok := p.Field(strings.TrimSpace(h)); ok {
			assign(i, h, strings.TrimSpace(h))
		}
	}
	for i, h := range header {
		if !mapped[i] && headerKey(h) != "" {
			// The header itself is not reported: a file without a header
			// row would put a value there.
			pl.Warnings = append(pl.Warnings, Issue{Outcome: Warning, Code: "unknown-column", Field: fmt.Sprintf("column:%d", i+1),
				Message: "the column is not mapped to a field and was not imported; map it, or to \"-\" to silence this"})
		}
	}
	var hasIdent bool
	for _, c := range pl.columns {
		switch c.kind {
		case colIdentifier:
			hasIdent = true
		}
		if c.kind == colIdentifier || c.kind == colField {
			pl.fields = append(pl.fields, c.target)
			if c.ftype == policy.TypeName && pl.nameField == "" {
				pl.nameField = c.target
			}
		}
	}
	slices.Sort(pl.fields)
	if len(seenTarget) == 0 && len(errs) == 0 {
		fail("no column is mapped to a field: map the headers with --map or --column HEADER=FIELD")
	} else if !hasIdent && len(errs) == 0 {
		fail("no column is mapped to an identifier (iin, phone or email): a subject needs one")
	}

	if pl.Ground == policy.GroundConsent {
		t := m.Consent
		pl.Consent = &t
		if pl.nameField == "" {
			fail("a consent names the subject: map a column to a field of type name (e.g. full_name)")
		}
		if len(errs) == 0 {
			// Check the batch's terms once, with a stand-in name, rather than
			// fail every row for them.
			req := pl.consentRequest("-", rowValues{})
			if _, err := consent.Check(p, m.Category, *req, nowUTC()); err != nil {
				var ci *consent.Invalid
				if errors.As(err, &ci) && !pl.perRowConsentField(ci.Field) {
					fail("the batch's consent: %s (%s)", ci.Message, ci.Field)
				}
			}
		}
	} else if m.Consent != (ConsentTerms{}) {
		fail("consent terms are given but the ground is %q, not consent", pl.Ground)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	pl.settings = pl.hash()
	return pl, nil
}

// perRowConsentField reports whether a consent problem with field can be
// fixed by the rows' own consent columns.
func (pl *Plan) perRowConsentField(field string) bool {
	for _, c := range pl.columns {
		if (c.kind == colConsentRef && (field == "form.reference" || field == "form")) || (c.kind == colConsentSHA && (field == "form.document_sha256" || field == "form")) {
			return true
		}
	}
	return false
}

func ids[T any](list []T, id func(T) string) string {
	out := make([]string, len(list))
	for i, x := range list {
		out[i] = id(x)
	}
	return strings.Join(out, ", ")
}

// hash identifies the plan's settings: a resumed import must run with the
// same ones.
func (pl *Plan) hash() string {
	cols := make([]string, len(pl.columns))
	for i, c := range pl.columns {
		cols[i] = fmt.Sprintf("%d:%s", c.kind, c.target)
	}
	b, _ := json.Marshal(map[string]any{"columns": cols, "category": pl.Category, "purpose": pl.Purpose, "channel": pl.Channel, "ground": pl.Ground,
		"role": pl.Role, "merge": pl.Merge, "pad_iin": pl.PadIIN, "consent": pl.Consent})
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// rowValues is what one row holds, by target.
type rowValues struct {
	idents     map[string]string
	fields     map[string]string
	name       string
	consentRef string
	consentSHA string
}

// values reads a row's cells by the plan. Empty cells are left out. A
// non-empty cell beyond the header fails the row: its cells are shifted.
func (pl *Plan) values(r Row) (rowValues, *Issue) {
	v := rowValues{idents: map[string]string{}, fields: map[string]string{}}
	for i, cell := range r.Cells {
		cell = strings.TrimSpace(cell)
		if cell == "" {
			continue
		}
		if i >= len(pl.columns) {
			return v, &Issue{Line: r.Line, Outcome: Failed, Code: "extra-cells", Field: fmt.Sprintf("column:%d", i+1),
				Message: "the row has more cells than the header: a delimiter inside an unquoted value?"}
		}
		c := pl.columns[i]
		switch c.kind {
		case colIdentifier:
			if c.ftype == policy.TypeIIN && pl.PadIIN && len(cell) == 11 && allDigits(cell) {
				cell = "0" + cell
			}
			v.idents[c.target] = cell
		case colField:
			if c.ftype == policy.TypeDate {
				cell = isoDate(cell)
			}
			v.fields[c.target] = cell
		case colConsentRef:
			v.consentRef = cell
		case colConsentSHA:
			v.consentSHA = cell
		}
		if c.target == pl.nameField && c.target != "" {
			v.name = cell
		}
	}
	return v, nil
}

func (v rowValues) empty() bool {
	return len(v.idents) == 0 && len(v.fields) == 0 && v.consentRef == "" && v.consentSHA == ""
}

// isoDate writes a date as DD.MM.YYYY (as Kazakhstan writes them) in the
// policy's form, YYYY-MM-DD; anything else is left for the vault to judge.
func isoDate(s string) string {
	if len(s) == 10 && s[2] == '.' && s[5] == '.' && allDigits(s[:2]+s[3:5]+s[6:]) {
		return s[6:] + "-" + s[3:5] + "-" + s[:2]
	}
	return s
}

func allDigits(s string) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return s != ""
}

// consentRequest is the batch's consent for one row.
func (pl *Plan) consentRequest(name string, v rowValues) *consent.Request {
	t := pl.Consent
	ref, sha := t.Reference, t.DocumentSHA256
	if v.consentRef != "" {
		ref = v.consentRef
	}
	if v.consentSHA != "" {
		sha = v.consentSHA
	}
	return &consent.Request{SubjectName: name, Purposes: []string{pl.Purpose}, Fields: slices.Clone(pl.fields), Until: t.Until,
		ThirdParty: t.ThirdParty, CrossBorder: t.CrossBorder, Publication: t.Publication, NotifyTransfers: t.NotifyTransfers,
		OtherConditions: t.OtherConditions, Form: consent.Form{Kind: t.Form, Reference: ref, DocumentSHA256: sha, Page: t.Page}}
}
