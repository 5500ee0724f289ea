package kz_test

import (
	"strings"
	"testing"

	"github.com/derbes/derbes/kz"
)

// The parsers take input from every API client; they must never panic, and
// what they accept must be a fixed point: parsing the normalised form again
// gives the same form.

func FuzzParseIIN(f *testing.F) {
	for _, s := range []string{"950312405675", "900115301235", "000000000000", "9503124056", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := kz.ParseIIN(s)
		if err != nil {
			if len(s) >= 6 && strings.Contains(err.Error(), s) {
				t.Fatalf("error %q repeats the input", err)
			}
			return
		}
		if again, err := kz.ParseIIN(n); err != nil || again != n {
			t.Fatalf("normalised IIN %q does not parse to itself: %q, %v", n, again, err)
		}
	})
}

func FuzzParseBIN(f *testing.F) {
	for _, s := range []string{"040540123456", "040540123457", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := kz.ParseBIN(s)
		if err != nil {
			return
		}
		if again, err := kz.ParseBIN(n); err != nil || again != n {
			t.Fatalf("normalised BIN %q does not parse to itself: %q, %v", n, again, err)
		}
	})
}

func FuzzParsePhone(f *testing.F) {
	for _, s := range []string{"+7 701 123 45 67", "8 (701) 123-45-67", "77011234567", "+", "8"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := kz.ParsePhone(s)
		if err != nil {
			return
		}
		if len(n) != 12 || n[:2] != "+7" {
			t.Fatalf("ParsePhone(%q) = %q: not +7 and ten digits", s, n)
		}
		if again, err := kz.ParsePhone(n); err != nil || again != n {
			t.Fatalf("normalised phone %q does not parse to itself: %q, %v", n, again, err)
		}
	})
}

func FuzzParseEmail(f *testing.F) {
	for _, s := range []string{"a@b.kz", "Aigerim@Mail.KZ", "@", "a@b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := kz.ParseEmail(s)
		if err != nil {
			return
		}
		if again, err := kz.ParseEmail(n); err != nil || again != n {
			t.Fatalf("normalised e-mail %q does not parse to itself: %q, %v", n, again, err)
		}
	})
}
