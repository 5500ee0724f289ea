package importing

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/derbes/derbes/consent"
	"github.com/derbes/derbes/kz"
	"github.com/derbes/derbes/policy"
	"github.com/derbes/derbes/vault"
)

// identifierKinds are the fields that become a subject's identifiers (the
// vault indexes them for lookup); the other mapped fields go into the
// record.
var identifierKinds = []string{policy.TypeIIN, policy.TypePhone, policy.TypeEmail}

// Outcomes of a row in the report.
const (
	Created   = "created"
	Merged    = "merged"
	Duplicate = "duplicate"
	Failed    = "failed"
	Empty     = "empty"
	Warning   = "warning"
	// Valid and Merge are the dry run's: the row would be created, or
	// merged into the subject with its IIN.
	Valid = "valid"
	Merge = "merge"
)

// Issue is a line of the report: where, what and why, never a value.
type Issue struct {
	// Line is the file's line (CSV) or row (XLSX); 0 for the whole file.
	Line    int    `json:"line"`
	Outcome string `json:"outcome"`
	// Code is the vault's problem code (invalid-iin, subject-exists...) or
	// the importer's (extra-cells, unknown-column...).
	Code  string `json:"code,omitempty"`
	Field string `json:"field,omitempty"`
	// Subject is the subject a row was merged into.
	Subject string `json:"subject,omitempty"`
	// Message explains the code. It comes from the vault's problems, which
	// never carry values, or from the importer.
	Message string `json:"message,omitempty"`
}

func nowUTC() time.Time { return time.Now().UTC() }

// checkRow validates a row as the vault would, without the vault: the
// dry run's check, and the check before merging (so that a merge does not
// give a consent and then fail on the record). The plan has already
// checked that every field may be collected; this checks the values and
// the consent.
//
// The vault has no dry-run API, so this repeats its value checks (with the
// kz parsers, as the vault does) and calls consent.Check as it does.
func checkRow(p *policy.Policy, pl *Plan, line int, v rowValues, category string) *Issue {
	fail := func(code, field, format string, args ...any) *Issue {
		return &Issue{Line: line, Outcome: Failed, Code: code, Field: field, Message: fmt.Sprintf(format, args...)}
	}
	for _, set := range []map[string]string{v.idents, v.fields} {
		for _, name := range sortedKeys(set) {
			f, _ := p.Field(name)
			if code, msg := checkValue(f, set[name]); code != "" {
				return fail(code, name, "field %q: %s", name, msg)
			}
		}
	}
	if len(v.idents) == 0 {
		return fail("identifier-required", "identifiers", "a subject needs at least one identifier: iin, phone or email")
	}
	if pl.Consent != nil {
		if _, err := consent.Check(p, category, *pl.consentRequest(v.name, v), nowUTC()); err != nil {
			var ci *consent.Invalid
			if errors.As(err, &ci) {
				return fail(ci.Code, ci.Field, "%s", ci.Message)
			}
			return fail("invalid-consent", "consent", "the consent is not valid")
		}
	}
	return nil
}

// checkValue mirrors the vault's normalise: it returns a problem code and
// its explanation, or "".
func checkValue(f policy.Field, value string) (code, msg string) {
	switch {
	case !utf8.ValidString(value):
		return "invalid-value", "not valid UTF-8"
	case len(value) > vault.MaxValueBytes:
		return "invalid-value", fmt.Sprintf("longer than %d bytes", vault.MaxValueBytes)
	case strings.TrimSpace(value) == "":
		return "invalid-value", "empty"
	}
	var err error
	switch f.Type {
	case policy.TypeIIN:
		if _, err = kz.ParseIIN(value); err != nil {
			return "invalid-iin", err.Error()
		}
	case policy.TypeBIN:
		if _, err = kz.ParseBIN(value); err != nil {
			return "invalid-bin", err.Error()
		}
	case policy.TypePhone:
		if _, err = kz.ParsePhone(value); err != nil {
			return "invalid-phone", err.Error()
		}
	case policy.TypeEmail:
		if _, err = kz.ParseEmail(value); err != nil {
			return "invalid-email", err.Error()
		}
	case policy.TypeDate:
		if _, err := time.Parse(time.DateOnly, value); err != nil {
			return "invalid-value", "not a date (YYYY-MM-DD)"
		}
	case policy.TypeNumber:
		if _, err := strconv.ParseFloat(value, 64); err != nil {
			return "invalid-value", "not a number"
		}
	case policy.TypeBool:
		if value != "true" && value != "false" {
			return "invalid-value", `must be "true" or "false"`
		}
	}
	return "", ""
}

// normalIIN returns the row's IIN as the vault indexes it, or "" if it has
// none or an invalid one.
func normalIIN(v rowValues) string {
	s, ok := v.idents[policy.TypeIIN]
	if !ok {
		return ""
	}
	n, err := kz.ParseIIN(s)
	if err != nil {
		return ""
	}
	return n
}

func sortedKeys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
