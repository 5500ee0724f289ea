package web

import (
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/derbes/derbes/policy"
)

// pluralSuffix ends a key that exists per plural category.
var pluralSuffix = regexp.MustCompile(`\.(one|few|many|other)$`)

func TestEveryCatalogHasTheSameKeys(t *testing.T) {
	t.Parallel()
	base := func(lang string) []string {
		seen := map[string]bool{}
		for k := range catalogs[lang] {
			seen[pluralSuffix.ReplaceAllString(k, "")] = true
		}
		var out []string
		for k := range seen {
			out = append(out, k)
		}
		sort.Strings(out)
		return out
	}
	en := strings.Join(base("en"), "\n")
	for _, l := range Langs {
		if got := strings.Join(base(l), "\n"); got != en {
			t.Errorf("%s has other keys than en", l)
			for _, k := range base("en") {
				if !has(l, k) && !has(l, k+".other") && !has(l, k+".one") {
					t.Errorf("%s lacks %s", l, k)
				}
			}
		}
	}
}

func TestEveryPluralCategoryALanguageUsesIsInItsCatalog(t *testing.T) {
	t.Parallel()
	for _, l := range Langs {
		for _, unit := range []string{"unit.years", "unit.months", "unit.days", "unit.workdays"} {
			for n := range 200 {
				if s := tn(l, unit, n); strings.Contains(s, "⟦missing:") {
					t.Fatalf("%s: %d: %s", l, n, s)
				}
			}
		}
	}
	for n, want := range map[int]string{1: "1 рабочий день", 2: "2 рабочих дня", 5: "5 рабочих дней", 11: "11 рабочих дней", 15: "15 рабочих дней", 21: "21 рабочий день", 22: "22 рабочих дня"} {
		if got := tn("ru", "unit.workdays", n); got != want {
			t.Errorf("ru %d: %q, want %q", n, got, want)
		}
	}
	if got := tn("kk", "unit.workdays", 15); got != "15 жұмыс күні" {
		t.Errorf("kk 15: %q", got)
	}
}

func TestKazakhAndRussianMessagesAreInCyrillic(t *testing.T) {
	t.Parallel()
	// Messages that are format strings or citations only.
	latinOK := map[string]bool{"date.format": true, "law.sep": true, "versions.number": true}
	kazakhLetters := 0
	for _, l := range []string{"kk", "ru"} {
		for k, v := range catalogs[l] {
			if latinOK[k] || strings.HasPrefix(k, "law.") || strings.HasPrefix(k, "unit.") {
				continue
			}
			if !strings.ContainsFunc(v, func(r rune) bool { return unicode.Is(unicode.Cyrillic, r) }) {
				t.Errorf("%s %s is not in Cyrillic: %q", l, k, v)
			}
			if l == "kk" && strings.ContainsAny(v, "әғқңөұүһі") {
				kazakhLetters++
			}
			if l == "kk" && v == catalogs["ru"][k] && !strings.HasPrefix(k, "sec.operator") && k != "op.phone" && k != "notice.operator" && k != "versions.number" {
				t.Errorf("kk %s is the Russian text: %q", k, v)
			}
		}
	}
	if kazakhLetters < len(catalogs["kk"])/2 {
		t.Errorf("only %d Kazakh messages use Kazakh letters", kazakhLetters)
	}
}

func TestAMissingKeyIsMarked(t *testing.T) {
	t.Parallel()
	if got := T("kk", "no.such.key"); got != "⟦missing:no.such.key⟧" {
		t.Errorf("T: %q", got)
	}
	if got := tf("ru", "no.such.key", 1); got != Missing("no.such.key") {
		t.Errorf("tf: %q", got)
	}
	if got := T("xx", "skip"); got != Missing("skip") {
		t.Errorf("an unknown language: %q", got)
	}
}

func TestCitationsOfTheLawReadNaturallyInEachLanguage(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ cite, kk, ru, en string }{
		{"Art. 25 p.2 sp.8", "25-бап, 2-тармақ, 8-тармақша", "ст. 25 п. 2 пп. 8", "Art. 25 p.2 sp.8"},
		{"Art. 25 p.2 sp.6-7", "25-бап, 2-тармақ, 6-7-тармақшалар", "ст. 25 п. 2 пп. 6-7", "Art. 25 p.2 sp.6-7"},
		{"Art. 7, 8", "7, 8-баптар", "ст. 7, 8", "Art. 7, 8"},
		{"Art. 8 p.7", "8-бап, 7-тармақ", "ст. 8 п. 7", "Art. 8 p.7"},
		{"Art. 19-1", "19-1-бап", "ст. 19-1", "Art. 19-1"},
		{"Art. 9", "9-бап", "ст. 9", "Art. 9"},
		{"Labour Code", "Labour Code", "Labour Code", "Labour Code"},
	} {
		for lang, want := range map[string]string{"kk": tc.kk, "ru": tc.ru, "en": tc.en} {
			if got := article(lang, tc.cite); got != want {
				t.Errorf("%s %q: %q, want %q", lang, tc.cite, got, want)
			}
		}
	}
	for _, g := range policy.Grounds {
		for _, l := range Langs {
			if got := article(l, g.Article); got == g.Article && l != "en" {
				t.Errorf("%s: ground %s's article %q is not translated", l, g.ID, g.Article)
			}
		}
	}
}

func TestDatesAndRetentionReadNaturallyInEachLanguage(t *testing.T) {
	t.Parallel()
	d := time.Date(2026, 3, 1, 0, 0, 0, 0, zone)
	for lang, want := range map[string]string{"kk": "2026 жылғы 1 наурыз", "ru": "1 марта 2026 г.", "en": "1 March 2026"} {
		if got := formatDate(lang, d).Text; got != want {
			t.Errorf("%s: %q, want %q", lang, got, want)
		}
	}
	r := policy.Retention{Period: "1y6m", From: policy.FromEvent, Event: "appeal_closed", Then: policy.ThenDestroy}
	for lang, want := range map[string]string{
		"kk": "«appeal closed» оқиғасынан кейін 1 жыл 6 ай",
		"ru": "1 год 6 месяцев после события «appeal closed»",
		"en": "1 year 6 months after the event “appeal closed”",
	} {
		if got := retention(lang, r); got != want {
			t.Errorf("%s: %q, want %q", lang, got, want)
		}
	}
	if got := retention("ru", policy.Retention{Period: "5y", From: policy.FromRelationshipEnd}); got != "5 лет после прекращения отношений с оператором" {
		t.Errorf("ru 5y: %q", got)
	}
	if got := country("kk", "KZ"); got != "Қазақстан" {
		t.Errorf("kk KZ: %q", got)
	}
}
