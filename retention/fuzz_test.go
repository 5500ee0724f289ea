package retention_test

import (
	"maps"
	"strings"
	"testing"
	"unicode"

	"github.com/derbes/derbes/retention"
)

// FuzzGeneralise checks that Generalise never panics, produces only the
// attributes its rules allow, is not influenced at all by the values of
// identifying fields, and never outputs a substring of a name, phone or
// e-mail value longer than 3 characters, unless a kept value (address,
// number, boolean, dates) holds the same text. Substrings are compared with
// whitespace and commas removed (addresses are re-joined and trimmed) and
// invalid UTF-8 replaced, so that a match is a match of whole characters.
func FuzzGeneralise(f *testing.F) {
	f.Add("Нұрлан Сейітов", "+77011234567", "nurlan@example.kz", "телефоным +77011234567",
		"950312405675", "1995-03-12", "Астана, Сарыарқа ауданы, 7-үй", "3", "true")
	f.Add("Астана", "Сарыарқа", "1995", "Астана, Сарыарқа",
		"900115301235", "1990-01-15", "Астана, Сарыарқа ауданы", "1995", "false")
	f.Add("Иван, Петров", "8 (701) 123-45-67", "a@b.kz", "", "", "", "Иван, Петров, 1", "1e3", "")
	f.Add("", "", "", "", "abcdefghijkl", "not a date", ",,,", "NaN", "maybe")
	f.Add("\xff\xfe\xfd\xfc", "\x00\x00\x00\x00", "  ,  ", "\xff", "\xff", "\xff", "\xff, \xfe", "\xff", "\xff")
	p := testPolicy(f)
	allowed := map[string]bool{
		"iin.birth_year": true, "iin.sex": true, "birth_date.year": true,
		"address": true, "children": true, "resident": true,
	}
	f.Fuzz(func(t *testing.T, name, phone, email, text, iin, date, address, number, boolean string) {
		kept := map[string]string{
			"iin": iin, "birth_date": date, "address": address,
			"children": number, "resident": boolean,
		}
		all := maps.Clone(kept)
		all["full_name"] = name
		all["phone"] = phone
		all["email"] = email
		all["appeal_text"] = text
		all["company"] = name
		all["scan"] = phone
		all["health"] = email
		all["no_such_field"] = name

		got := retention.Generalise(p, all)
		for attr := range got {
			if !allowed[attr] {
				t.Errorf("unexpected attribute %q = %q", attr, got[attr])
			}
		}
		if base := retention.Generalise(p, kept); !maps.Equal(got, base) {
			t.Fatalf("identifying fields changed the row: %v, without them %v", got, base)
		}
		// The text kept values may legitimately pass on, whitespace and
		// commas aside (addresses are re-joined and trimmed).
		explained := norm(address) + "\x00" + norm(number) + "\x00" + norm(boolean) +
			"\x00" + norm(date) + "\x00" + got["iin.birth_year"]
		for _, id := range []string{name, phone, email} {
			for _, w := range windows(norm(id), 4) {
				if strings.Contains(explained, w) {
					continue
				}
				for attr, o := range got {
					if strings.Contains(norm(o), w) {
						t.Errorf("%s = %q contains %q of an identifier", attr, o, w)
					}
				}
			}
		}
	})
}

// norm drops whitespace and commas and replaces invalid UTF-8 with U+FFFD.
func norm(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) || r == ',' {
			return -1
		}
		return r
	}, s)
}
