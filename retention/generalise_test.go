package retention_test

import (
	"maps"
	"os"
	"strings"
	"testing"

	"github.com/derbes/derbes/policy"
	"github.com/derbes/derbes/retention"
)

// testPolicy is policy/testdata/minimal.yaml plus a field of every type the
// minimal policy lacks.
func testPolicy(t testing.TB) *policy.Policy {
	t.Helper()
	src, err := os.ReadFile("../policy/testdata/minimal.yaml")
	if err != nil {
		t.Fatal(err)
	}
	p, err := policy.Parse("minimal.yaml", src)
	if err != nil {
		t.Fatal(err)
	}
	p.Fields = append(p.Fields,
		policy.Field{ID: "children", Type: policy.TypeNumber},
		policy.Field{ID: "resident", Type: policy.TypeBool},
		policy.Field{ID: "company", Type: policy.TypeBIN},
		policy.Field{ID: "scan", Type: policy.TypeFile},
		policy.Field{ID: "visit", Type: policy.TypeDate},
	)
	return p
}

func TestGeneraliseLeavesNoIdentifyingValueInTheRow(t *testing.T) {
	t.Parallel()
	p := testPolicy(t)
	in := map[string]string{
		"iin":         "950312405675",
		"full_name":   "Нұрлан Әбдіқадырұлы Сейітов",
		"phone":       "+77011234567",
		"email":       "nurlan.seitov@example.kz",
		"address":     "Астана, Сарыарқа ауданы, Бейбітшілік көшесі 7-үй, 12 пәтер",
		"appeal_text": "Менің атым Нұрлан, телефоным +77011234567, үйім Бейбітшілік 7",
		"birth_date":  "1995-03-12",
		"health":      "диабет",
		"children":    "3",
		"resident":    "true",
		"company":     "040540123456",
		"scan":        "JVBERi0xLjQKJcfsj6IKNSAwIG9iago=",
		"visit":       "2025-11-04",
		"unknown":     "Сейітов Нұрлан",
	}
	got := retention.Generalise(p, in)
	want := map[string]string{
		"iin.birth_year":  "1995",
		"iin.sex":         "f",
		"address":         "Астана, Сарыарқа ауданы",
		"birth_date.year": "1995",
		"children":        "3",
		"resident":        "true",
		"visit.year":      "2025",
	}
	if !maps.Equal(got, want) {
		t.Fatalf("Generalise = %v, want %v", got, want)
	}
	// Nothing of a dropped value survives; of the IIN, date and address
	// only the generalisations above do.
	for field, v := range in {
		if field == "children" || field == "resident" {
			continue
		}
		for attr, o := range got {
			if strings.Contains(o, v) {
				t.Errorf("%s = %q contains the whole %s value", attr, o, field)
			}
		}
	}
	for _, field := range []string{"full_name", "phone", "email", "appeal_text", "company", "scan", "unknown", "health"} {
		for _, w := range windows(in[field], 4) {
			for attr, o := range got {
				if strings.Contains(o, w) {
					t.Errorf("%s = %q contains %q from %s", attr, o, w, field)
				}
			}
		}
	}
	for _, digits := range []string{"950312", "0312", "405675", "12 пәтер", "7-үй", "Бейбітшілік", "03-12", "11-04"} {
		for attr, o := range got {
			if strings.Contains(o, digits) {
				t.Errorf("%s = %q contains %q", attr, o, digits)
			}
		}
	}
}

func TestGeneraliseReadsBirthYearAndSexFromTheIIN(t *testing.T) {
	t.Parallel()
	p := testPolicy(t)
	for _, c := range []struct{ iin, year, sex string }{
		{"950312405675", "1995", "f"}, // 7th digit 4: 1900s, female
		{"900115301235", "1990", "m"}, // 7th digit 3: 1900s, male
		{"870101100000", "1887", "m"}, // 1: 1800s, male
		{"870101200000", "1887", "f"}, // 2: 1800s, female
		{"050607500000", "2005", "m"}, // 5: 2000s, male
		{"050607600000", "2005", "f"}, // 6: 2000s, female
		{" 900115301235 ", "1990", "m"},
	} {
		t.Run(c.iin, func(t *testing.T) {
			t.Parallel()
			got := retention.Generalise(p, map[string]string{"iin": c.iin})
			want := map[string]string{"iin.birth_year": c.year, "iin.sex": c.sex}
			if !maps.Equal(got, want) {
				t.Errorf("Generalise(%q) = %v, want %v", c.iin, got, want)
			}
		})
	}
}

func TestGeneraliseKeepsOnlyTheSettlementAndDistrictOfAnAddress(t *testing.T) {
	t.Parallel()
	p := testPolicy(t)
	for _, c := range []struct{ in, want string }{
		{"Астана, Сарыарқа ауданы, 7-үй, 12 пәтер", "Астана, Сарыарқа ауданы"},
		{"Алматы, Медеу ауданы, Абай даңғылы, 10", "Алматы, Медеу ауданы"},
		{"  Шымкент ,   Абай   ауданы  ", "Шымкент, Абай ауданы"},
		{"Қарағанды", "Қарағанды"},
		{"Ақтөбе, 5 шағын аудан, 12", "Ақтөбе"},
		{"Ақтөбе, , Астана ауданы, Сәтпаев 3", "Ақтөбе, Астана ауданы"},
		{"010000, Астана, Есіл ауданы", ""},
		{"ул. Абая 7", ""},
		{"Астана, ivan@example.kz", "Астана"},
		{"", ""},
		{" , ", ""},
	} {
		t.Run(c.in, func(t *testing.T) {
			t.Parallel()
			got := retention.Generalise(p, map[string]string{"address": c.in})
			want := map[string]string{}
			if c.want != "" {
				want["address"] = c.want
			}
			if !maps.Equal(got, want) {
				t.Errorf("Generalise(%q) = %v, want %v", c.in, got, want)
			}
		})
	}
}

func TestGeneraliseDropsValuesThatDoNotHaveTheirTypesForm(t *testing.T) {
	t.Parallel()
	p := testPolicy(t)
	for _, in := range []map[string]string{
		{"iin": "95031240567"},           // 11 digits
		{"iin": "951312405675"},          // month 13
		{"iin": "950300405675"},          // day 0
		{"iin": "950312005675"},          // century digit 0
		{"iin": "950312705675"},          // century digit 7
		{"iin": "9503124056７5"},          // a full-width digit
		{"birth_date": "12.03.1995"},     // not the stored form
		{"birth_date": "Нұрлан"},         //
		{"children": "үш"},               // not a number
		{"children": "3 (Асель, Ерлан)"}, // not a number either
		{"resident": "иә"},               // not true/false
		{"resident": "Нұрлан"},           //
	} {
		if got := retention.Generalise(p, in); len(got) != 0 {
			t.Errorf("Generalise(%v) = %v, want nothing", in, got)
		}
	}
}

func TestGeneraliseWithoutAPolicyOrValuesReturnsAnEmptyRow(t *testing.T) {
	t.Parallel()
	if got := retention.Generalise(nil, map[string]string{"iin": "950312405675"}); got == nil || len(got) != 0 {
		t.Errorf("Generalise(nil policy) = %#v, want an empty map", got)
	}
	if got := retention.Generalise(testPolicy(t), nil); got == nil || len(got) != 0 {
		t.Errorf("Generalise(nil values) = %#v, want an empty map", got)
	}
}

// windows returns the substrings of s that are n characters long; bytes of
// invalid UTF-8 count as one character each and are kept as they are.
func windows(s string, n int) []string {
	var starts []int
	for i := range s { // i steps over runes; an invalid byte is one step
		starts = append(starts, i)
	}
	starts = append(starts, len(s))
	var out []string
	for i := 0; i+n < len(starts); i++ {
		out = append(out, s[starts[i]:starts[i+n]])
	}
	return out
}
