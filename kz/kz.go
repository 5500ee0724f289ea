// Package kz parses and validates the identifiers used in Kazakhstan:
// the individual identification number (IIN), the business identification
// number (BIN), +7 telephone numbers and e-mail addresses.
//
// Every parser returns the normalised form, which is what derbes encrypts and
// what its blind indexes are computed over, so that "8 (701) 123-45-67" and
// "+77011234567" find the same person.
package kz

import (
	"errors"
	"strings"
)

// Errors returned by the parsers. They never include the input: an invalid
// identifier is still personal data.
var (
	ErrIINFormat   = errors.New("IIN must be 12 digits")
	ErrIINChecksum = errors.New("IIN check digit does not match")
	ErrIINDate     = errors.New("IIN does not start with a valid birth date and century digit")
	ErrBINFormat   = errors.New("BIN must be 12 digits")
	ErrBINChecksum = errors.New("BIN check digit does not match")
	ErrBINKind     = errors.New("BIN fifth digit must be 4, 5 or 6 (entity type)")
	ErrPhone       = errors.New("phone must be +7 followed by 10 digits")
	ErrEmail       = errors.New("e-mail address is not valid")
)

// checkDigit computes the check digit shared by IIN and BIN (Law 94-V
// identifiers; see LAW.md): a weighted sum mod 11 with weights 1..11, and a
// second pass with weights 3..11,1,2 when the first gives 10. ok is false
// when the second pass also gives 10: such a number is never issued.
func checkDigit(d [11]int) (digit int, ok bool) {
	sum := 0
	for i := range 11 {
		sum += d[i] * (i + 1)
	}
	if r := sum % 11; r != 10 {
		return r, true
	}
	sum = 0
	for i := range 11 {
		sum += d[i] * ((i+2)%11 + 1)
	}
	if r := sum % 11; r != 10 {
		return r, true
	}
	return 0, false
}

// digits12 strips spaces and returns the twelve digits of s.
func digits12(s string) ([12]int, bool) {
	var d [12]int
	s = strings.TrimSpace(s)
	if len(s) != 12 {
		return d, false
	}
	for i := range 12 {
		c := s[i]
		if c < '0' || c > '9' {
			return d, false
		}
		d[i] = int(c - '0')
	}
	return d, true
}

func checksumOK(d [12]int) bool {
	var first [11]int
	copy(first[:], d[:11])
	want, ok := checkDigit(first)
	return ok && want == d[11]
}

// ParseIIN validates an individual identification number and returns it
// normalised (twelve digits, no spaces).
func ParseIIN(s string) (string, error) {
	d, ok := digits12(s)
	if !ok {
		return "", ErrIINFormat
	}
	month := d[2]*10 + d[3]
	day := d[4]*10 + d[5]
	if month < 1 || month > 12 || day < 1 || day > 31 || d[6] < 1 || d[6] > 6 {
		return "", ErrIINDate
	}
	if !checksumOK(d) {
		return "", ErrIINChecksum
	}
	return strings.TrimSpace(s), nil
}

// ParseBIN validates a business identification number and returns it
// normalised.
func ParseBIN(s string) (string, error) {
	d, ok := digits12(s)
	if !ok {
		return "", ErrBINFormat
	}
	month := d[2]*10 + d[3]
	if month < 1 || month > 12 {
		return "", ErrBINFormat
	}
	if d[4] < 4 || d[4] > 6 {
		return "", ErrBINKind
	}
	if !checksumOK(d) {
		return "", ErrBINChecksum
	}
	return strings.TrimSpace(s), nil
}

// ParsePhone accepts the ways Kazakhstan numbers are written ("+7 701 123
// 45 67", "8 (701) 123-45-67", "77011234567") and returns E.164: "+77011234567".
func ParsePhone(s string) (string, error) {
	var b strings.Builder
	plus := false
	for i, r := range strings.TrimSpace(s) {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == '+' && i == 0:
			plus = true
		case r == ' ' || r == '-' || r == '(' || r == ')' || r == '.':
		default:
			return "", ErrPhone
		}
	}
	n := b.String()
	switch {
	case len(n) == 11 && n[0] == '7':
	case len(n) == 11 && n[0] == '8' && !plus:
		n = "7" + n[1:]
	default:
		return "", ErrPhone
	}
	// +7 numbers are Kazakhstan (6xx, 7xx) and Russia (3xx-9xx); the first
	// digit after the country code is never 0, 1 or 2.
	if n[1] < '3' {
		return "", ErrPhone
	}
	return "+" + n, nil
}

// ParseEmail checks the syntax of an address (a local part, one @, a domain
// with a dot and no empty labels) and returns it with the domain lower-cased.
// The local part keeps its case: RFC 5321 lets servers treat it as
// case-sensitive.
func ParseEmail(s string) (string, error) {
	s = strings.TrimSpace(s)
	if len(s) > 254 {
		return "", ErrEmail
	}
	at := strings.LastIndexByte(s, '@')
	if at < 1 || at > 64 || at == len(s)-1 {
		return "", ErrEmail
	}
	local, domain := s[:at], strings.ToLower(s[at+1:])
	for _, r := range local {
		if r <= ' ' || r == '@' || r == '"' || r == '(' || r == ')' || r == ',' || r == ':' || r == ';' || r == '<' || r == '>' || r == '[' || r == ']' || r == '\\' || r == 0x7f {
			return "", ErrEmail
		}
	}
	if strings.HasPrefix(local, ".") || strings.HasSuffix(local, ".") || strings.Contains(local, "..") {
		return "", ErrEmail
	}
	labels := strings.Split(domain, ".")
	if len(labels) < 2 {
		return "", ErrEmail
	}
	for _, l := range labels {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return "", ErrEmail
		}
		for _, r := range l {
			if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r > 0x7f) {
				return "", ErrEmail
			}
		}
	}
	return local + "@" + domain, nil
}
