// Package retention turns records whose retention period has ended into
// depersonalised statistics, for policies whose purposes end in
// "depersonalise" rather than "destroy".
//
// Depersonalisation (Law 94-V Art. 1 sp.7) means the data can no longer be
// tied to a subject; Art. 17 p.1 makes it mandatory before data is passed on
// for statistical, sociological, scientific or marketing research. Two steps
// get there:
//
//   - Generalise turns one record into a statistics row: direct identifiers
//     are removed and quasi-identifiers (birth year, sex, settlement) are
//     coarsened. A single row no longer names anyone.
//   - KAnonymise works on a whole export: rows that are still unique in
//     their combination of quasi-identifiers (the only 1957-born woman in a
//     district) could be tied back to a person by anyone who knows her, so
//     it generalises further, and suppresses what stays rare, until every
//     combination is shared by at least k rows.
//
// WriteCSV writes the result for the recipient.
package retention

import (
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/derbes/derbes/policy"
)

// Attribute name suffixes Generalise produces for a field id. KAnonymise
// recognises the kind of an attribute by them.
const (
	SuffixBirthYear = ".birth_year"
	SuffixSex       = ".sex"
	SuffixYear      = ".year"
)

// Values of the ".sex" attribute.
const (
	Male   = "m"
	Female = "f"
)

// maxAddressParts is how many leading comma-separated parts of an address
// are kept: the settlement and the district.
const maxAddressParts = 2

// Generalise turns a record's decrypted field values, keyed by policy field
// id, into a depersonalised statistics row. Direct identifiers are removed
// and quasi-identifiers generalised, rule by rule on the field's type:
//
//   - iin → "<id>.birth_year" and "<id>.sex", nothing else. The IIN is a
//     unique national identifier, so its digits never appear; its first
//     seven digits encode the birth date and sex (YYMMDD, then the century
//     and sex digit: 1/2 → 1800s, 3/4 → 1900s, 5/6 → 2000s; odd male, even
//     female), and birth year and sex are ordinary statistical dimensions.
//     The day and month are dropped: with them the birth date and sex
//     single out most people in a town. A value that does not have that
//     structure yields nothing.
//   - date → "<id>.year" (YYYY). The full date is as identifying as a birth
//     date; the year keeps the statistic (age, year of the event). A value
//     that is not a YYYY-MM-DD date, the form the vault stores, yields
//     nothing.
//   - address → "<id>": the settlement and district only, i.e. the leading
//     comma-separated parts up to (not including) the first one that holds a
//     digit, at most two, trimmed ("Астана, Сарыарқа ауданы, 7-үй, 12
//     пәтер" → "Астана, Сарыарқа ауданы"). Street numbers, houses and flats
//     point at a household; a settlement and district do not. A part with
//     an "@" also ends the address: an e-mail typed into the address line is
//     a direct identifier even without digits.
//   - number → "<id>", kept as is (trimmed): counts and amounts are the
//     statistic itself and say nothing about who a person is. A value that
//     does not parse as a number is dropped, since it may be anything.
//   - boolean → "<id>", kept: a yes/no answer identifies no one. Only
//     "true" and "false", the forms the vault stores, are kept.
//   - name, phone, email, bin → dropped: direct identifiers (a BIN
//     identifies an entity, and an individual entrepreneur's BIN is their
//     IIN).
//   - text, file → dropped: free text and attachments may hold names,
//     numbers and anything else, and cannot be checked.
//
// Fields the policy does not know, fields of a category the policy forbids
// (which should never have been collected) and fields of any other type are
// dropped: only what a rule above explicitly allows reaches the output.
// Empty results are left out. Generalise never fails and never returns a
// substring of a dropped value other than by coincidence with a kept one.
//
// Free text in a kept address part (a name written where the settlement
// should be) cannot be recognised; the policy's address field should hold
// addresses.
func Generalise(p *policy.Policy, values map[string]string) map[string]string {
	out := make(map[string]string)
	if p == nil {
		return out
	}
	for id, v := range values {
		f, ok := p.Field(id)
		if !ok || p.Forbidden(f) {
			continue
		}
		switch f.Type {
		case policy.TypeIIN:
			if year, sex, ok := iinBirth(v); ok {
				out[id+SuffixBirthYear] = strconv.Itoa(year)
				out[id+SuffixSex] = sex
			}
		case policy.TypeDate:
			if d, err := time.Parse(time.DateOnly, strings.TrimSpace(v)); err == nil {
				out[id+SuffixYear] = strconv.Itoa(d.Year())
			}
		case policy.TypeAddress:
			if a := settlement(v); a != "" {
				out[id] = a
			}
		case policy.TypeNumber:
			v = strings.TrimSpace(v)
			if _, err := strconv.ParseFloat(v, 64); err == nil {
				out[id] = v
			}
		case policy.TypeBool:
			if v = strings.TrimSpace(v); v == "true" || v == "false" {
				out[id] = v
			}
		default:
			// name, phone, email, bin: direct identifiers.
			// text, file: free content that may hold them.
		}
	}
	return out
}

// iinBirth reads the birth year and sex encoded in an IIN: YYMMDD and the
// seventh, century and sex digit. The check digit is not verified: the vault
// validated the IIN when it was collected, and a statistic needs only the
// date part. ok is false when the value lacks that structure.
func iinBirth(v string) (year int, sex string, ok bool) {
	v = strings.TrimSpace(v)
	if len(v) != 12 {
		return 0, "", false
	}
	var d [12]int
	for i := range 12 {
		c := v[i]
		if c < '0' || c > '9' {
			return 0, "", false
		}
		d[i] = int(c - '0')
	}
	month, day, century := d[2]*10+d[3], d[4]*10+d[5], d[6]
	if month < 1 || month > 12 || day < 1 || day > 31 || century < 1 || century > 6 {
		return 0, "", false
	}
	// 1/2 → 1800s, 3/4 → 1900s, 5/6 → 2000s.
	year = 1800 + (century-1)/2*100 + d[0]*10 + d[1]
	sex = Female
	if century%2 == 1 {
		sex = Male
	}
	return year, sex, true
}

// settlement keeps the leading parts of an address up to the first one that
// holds a digit (a street number, house, flat or postcode) or an "@", at most
// maxAddressParts of them, each trimmed and with inner whitespace collapsed so
// that the same place groups together. Empty parts are skipped.
func settlement(v string) string {
	var kept []string
	for part := range strings.SplitSeq(v, ",") {
		if strings.ContainsFunc(part, unicode.IsDigit) || strings.Contains(part, "@") {
			break
		}
		part = strings.Join(strings.Fields(part), " ")
		if part == "" {
			continue
		}
		kept = append(kept, part)
		if len(kept) == maxAddressParts {
			break
		}
	}
	return strings.Join(kept, ", ")
}
