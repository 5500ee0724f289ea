package kz_test

import (
	"errors"
	"testing"

	"github.com/derbes/derbes/kz"
)

func TestParseIIN(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   string
		want string
		err  error
	}{
		{"950312405675", "950312405675", nil},
		{" 900115301235 ", "900115301235", nil},
		{"950312405676", "", kz.ErrIINChecksum},
		{"95031240567", "", kz.ErrIINFormat},
		{"9503124056755", "", kz.ErrIINFormat},
		{"95031240567a", "", kz.ErrIINFormat},
		{"951312405675", "", kz.ErrIINDate},
		{"950312705675", "", kz.ErrIINDate},
		{"", "", kz.ErrIINFormat},
	} {
		got, err := kz.ParseIIN(tc.in)
		if !errors.Is(err, tc.err) || got != tc.want {
			t.Errorf("ParseIIN(%q) = %q, %v; want %q, %v", tc.in, got, err, tc.want, tc.err)
		}
	}
}

func TestIINSecondPassWeights(t *testing.T) {
	t.Parallel()
	// 000000000011 style numbers exercise nothing; find a number whose first
	// pass gives 10 and check that the second pass decides its check digit.
	found := false
	for serial := 0; serial < 10000 && !found; serial++ {
		base := []byte("9001153" + pad4(serial))
		s1, s2 := 0, 0
		for i, c := range base {
			d := int(c - '0')
			s1 += d * (i + 1)
			s2 += d * ((i+2)%11 + 1)
		}
		if s1%11 != 10 || s2%11 == 10 {
			continue
		}
		found = true
		iin := string(base) + string(rune('0'+s2%11))
		if _, err := kz.ParseIIN(iin); err != nil {
			t.Fatalf("IIN %s whose check digit comes from the second pass was refused: %v", iin, err)
		}
	}
	if !found {
		t.Fatal("no serial exercises the second pass")
	}
}

func pad4(n int) string {
	b := []byte("0000")
	for i := 3; i >= 0; i-- {
		b[i] = byte('0' + n%10)
		n /= 10
	}
	return string(b)
}

func TestParseBIN(t *testing.T) {
	t.Parallel()
	if got, err := kz.ParseBIN("040540123456"); err != nil || got != "040540123456" {
		t.Fatalf("ParseBIN(valid) = %q, %v", got, err)
	}
	if _, err := kz.ParseBIN("040540123457"); !errors.Is(err, kz.ErrBINChecksum) {
		t.Fatalf("bad check digit: %v", err)
	}
	if _, err := kz.ParseBIN("040570123456"); !errors.Is(err, kz.ErrBINKind) {
		t.Fatalf("bad entity type: %v", err)
	}
}

func TestParsePhone(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"+7 701 123 45 67":   "+77011234567",
		"8 (701) 123-45-67":  "+77011234567",
		"77011234567":        "+77011234567",
		"+7 (7172) 55-55-55": "+77172555555",
	} {
		if got, err := kz.ParsePhone(in); err != nil || got != want {
			t.Errorf("ParsePhone(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"", "+8 701 123 45 67", "701 123 45 67", "+7701123456", "+770112345678", "+7 101 123 45 67", "+7 701 123 45 6x", "++77011234567"} {
		if got, err := kz.ParsePhone(in); !errors.Is(err, kz.ErrPhone) {
			t.Errorf("ParsePhone(%q) = %q, %v; want ErrPhone", in, got, err)
		}
	}
}

func TestParseEmail(t *testing.T) {
	t.Parallel()
	if got, err := kz.ParseEmail(" Aigerim.N@Mail.KZ "); err != nil || got != "Aigerim.N@mail.kz" {
		t.Fatalf("ParseEmail = %q, %v", got, err)
	}
	for _, in := range []string{"", "a", "a@", "@b.kz", "a@b", "a@@b.kz", "a b@c.kz", "a@b..kz", ".a@b.kz", "a@-b.kz"} {
		if _, err := kz.ParseEmail(in); !errors.Is(err, kz.ErrEmail) {
			t.Errorf("ParseEmail(%q): %v; want ErrEmail", in, err)
		}
	}
}
