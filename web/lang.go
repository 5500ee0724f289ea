package web

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"strconv"
	"strings"
	"time"

	"golang.org/x/text/language"
	"golang.org/x/text/language/display"

	"github.com/derbes/derbes/proxy"
)

// Langs are the languages of every page, Kazakh (the state language, the
// default) first.
var Langs = []string{"kk", "ru", "en"}

// DefaultLang is the language of a visitor who has not chosen one.
const DefaultLang = "kk"

// LangCookie remembers the visitor's language.
const LangCookie = "derbes_lang"

// langNames are the languages' own names, as the switch shows them.
var langNames = map[string]string{"kk": "Қазақша", "ru": "Русский", "en": "English"}

//go:embed i18n/*.json
var catalogFiles embed.FS

// catalogs are the UI messages by language and key. A key missing from a
// catalog renders as a visible marker (T), which the tests look for.
//
// A language's catalog is i18n/<lang>.json together with every
// i18n/<part>.<lang>.json, so that each face (the published policy, the
// staff console, the subject portal) keeps its messages in its own files.
// A key defined twice is a mistake, caught when derbes starts.
var catalogs = func() map[string]map[string]string {
	out := map[string]map[string]string{}
	entries, err := fs.ReadDir(catalogFiles, "i18n")
	if err != nil {
		panic("web: catalogs: " + err.Error())
	}
	for _, l := range Langs {
		out[l] = map[string]string{}
	}
	for _, e := range entries {
		name := strings.TrimSuffix(e.Name(), ".json")
		lang := name[strings.LastIndex(name, ".")+1:]
		if _, ok := out[lang]; !ok {
			panic("web: catalog " + e.Name() + " is for no language of " + strings.Join(Langs, ", "))
		}
		b, err := catalogFiles.ReadFile("i18n/" + e.Name())
		if err != nil {
			panic("web: catalog " + e.Name() + ": " + err.Error())
		}
		m := map[string]string{}
		if err := json.Unmarshal(b, &m); err != nil {
			panic("web: catalog " + e.Name() + ": " + err.Error())
		}
		for k, v := range m {
			if _, dup := out[lang][k]; dup {
				panic("web: catalog " + e.Name() + ": key " + k + " is defined twice")
			}
			out[lang][k] = v
		}
	}
	return out
}()

// Missing is how T renders a key the catalog lacks: visible on the page and
// easy for a test to find.
func Missing(key string) string { return "⟦missing:" + key + "⟧" }

// T returns the message key in lang, or Missing(key).
func T(lang, key string) string {
	if s, ok := catalogs[lang][key]; ok {
		return s
	}
	return Missing(key)
}

// has reports whether lang's catalog has key.
func has(lang, key string) bool {
	_, ok := catalogs[lang][key]
	return ok
}

// tf formats the message key in lang with args (fmt verbs, explicit
// indexes where languages order the arguments differently).
func tf(lang, key string, args ...any) string {
	if !has(lang, key) {
		return Missing(key)
	}
	return fmt.Sprintf(T(lang, key), args...)
}

// tn formats the message key for the count n: the catalog holds key.one,
// key.few, key.many or key.other as the language's plural rules need.
func tn(lang, key string, n int) string {
	return tf(lang, key+"."+pluralCategory(lang, n), n)
}

// pluralCategory is the CLDR plural category of an integer: Kazakh
// nouns after a numeral stay singular; Russian has one, few and many.
func pluralCategory(lang string, n int) string {
	if n < 0 {
		n = -n
	}
	switch lang {
	case "en":
		if n == 1 {
			return "one"
		}
		return "other"
	case "ru":
		switch {
		case n%10 == 1 && n%100 != 11:
			return "one"
		case n%10 >= 2 && n%10 <= 4 && (n%100 < 12 || n%100 > 14):
			return "few"
		}
		return "many"
	}
	return "other"
}

// validLang reports whether l is one of Langs.
func validLang(l string) bool {
	for _, x := range Langs {
		if x == l {
			return true
		}
	}
	return false
}

// pickLang returns the language of a request: the lang parameter, then the
// cookie, then Kazakh. chosen reports a valid lang parameter, which the
// caller remembers in the cookie.
func pickLang(r *http.Request) (lang string, chosen bool) {
	if l := r.URL.Query().Get("lang"); validLang(l) {
		return l, true
	}
	if c, err := r.Cookie(LangCookie); err == nil && validLang(c.Value) {
		return c.Value, false
	}
	return DefaultLang, false
}

// rememberLang sets the language cookie for a year.
func rememberLang(w http.ResponseWriter, r *http.Request, lang string) {
	if c, err := r.Cookie(LangCookie); err == nil && c.Value == lang {
		return
	}
	http.SetCookie(w, &http.Cookie{Name: LangCookie, Value: lang, Path: "/", MaxAge: 365 * 24 * 3600,
		HttpOnly: true, Secure: proxy.HTTPS(r), SameSite: http.SameSiteLaxMode})
}

// zone is Astana time. A fixed offset, so that dates do not depend on the
// machine's tzdata (older copies still say UTC+6).
var zone = time.FixedZone("Asia/Almaty", 5*60*60)

// date is a date as the page shows it and as <time datetime> carries it.
type date struct {
	ISO  string
	Text string
}

// formatDate writes t's date in lang: "2026 жылғы 1 қаңтар", "1 января
// 2026 г.", "1 January 2026".
func formatDate(lang string, t time.Time) date {
	return date{ISO: t.Format(time.DateOnly),
		Text: tf(lang, "date.format", t.Day(), T(lang, "month."+strconv.Itoa(int(t.Month()))), t.Year())}
}

// parseDate formats a YYYY-MM-DD string; one that does not parse is shown
// as written.
func parseDate(lang, s string) (date, time.Time, bool) {
	t, err := time.ParseInLocation(time.DateOnly, s, zone)
	if err != nil {
		return date{Text: s}, time.Time{}, false
	}
	return formatDate(lang, t), t, true
}

// country names an ISO 3166-1 alpha-2 code in lang ("KZ" → "Қазақстан").
func country(lang, code string) string {
	r, err := language.ParseRegion(code)
	if err != nil {
		return code
	}
	if n := display.Regions(language.Make(lang)).Name(r); n != "" {
		return n
	}
	return code
}

// article writes a citation of Law 94-V the way each language cites one:
// "Art. 25 p.2 sp.6-7" is "ст. 25 п. 2 пп. 6-7" in Russian and
// "25-бап, 2-тармақ, 6-7-тармақшалар" in Kazakh. A citation of another
// shape is shown as written.
func article(lang, cite string) string {
	rest, ok := strings.CutPrefix(cite, "Art. ")
	if !ok {
		return cite
	}
	var arts []string
	var point, sub string
	for _, tok := range strings.Fields(rest) {
		switch {
		case strings.HasPrefix(tok, "p."):
			point = strings.TrimPrefix(tok, "p.")
		case strings.HasPrefix(tok, "sp."):
			sub = strings.TrimPrefix(tok, "sp.")
		case point == "" && sub == "":
			arts = append(arts, strings.TrimSuffix(tok, ","))
		default:
			return cite
		}
	}
	if len(arts) == 0 {
		return cite
	}
	key := "law.article"
	if len(arts) > 1 {
		key = "law.articles"
	}
	parts := []string{tf(lang, key, strings.Join(arts, ", "))}
	if point != "" {
		parts = append(parts, tf(lang, "law.point", point))
	}
	if sub != "" {
		key := "law.subpoint"
		if strings.Contains(sub, "-") {
			key = "law.subpoints"
		}
		parts = append(parts, tf(lang, key, sub))
	}
	return strings.Join(parts, T(lang, "law.sep"))
}
