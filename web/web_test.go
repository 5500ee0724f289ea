package web_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/derbes/derbes/consent"
	"github.com/derbes/derbes/examples"
	"github.com/derbes/derbes/policy"
	"github.com/derbes/derbes/store/storetest"
	"github.com/derbes/derbes/vault"
	"github.com/derbes/derbes/web"
)

type testBundle struct {
	srv    *httptest.Server
	vault  *vault.Vault
	policy *policy.Policy
	src    []byte
}

// june is a day when neither example policy is due for review.
var june = time.Date(2026, 6, 1, 10, 0, 0, 0, time.UTC)

// setup serves the web face over a fresh embedded store with an example
// policy ("ikomek" or "toptips") in force, as of now.
func setup(t *testing.T, example string, now time.Time) *testBundle {
	t.Helper()
	ctx := context.Background()
	env := storetest.Open(t, "sqlite")
	src, p := examplePolicy(t, example)
	v, err := vault.Open(ctx, env.Store, env.Ring)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.Activate(ctx, vault.System, p, src); err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.DiscardHandler)
	srv := httptest.NewServer(web.NewAt(v, env.Store, log, func() time.Time { return now }))
	t.Cleanup(srv.Close)
	return &testBundle{srv: srv, vault: v, policy: p, src: src}
}

func examplePolicy(t *testing.T, example string) ([]byte, *policy.Policy) {
	t.Helper()
	src, err := examples.Files.ReadFile(example + "/policy.yaml")
	if err != nil {
		t.Fatal(err)
	}
	p, err := policy.Parse(example, src)
	if err != nil {
		t.Fatal(err)
	}
	return src, p
}

// get fetches path and returns the response (body read) and the body.
func (b *testBundle) get(t *testing.T, path string, cookies ...*http.Cookie) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, b.srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cookies {
		req.AddCookie(c)
	}
	return do(t, req)
}

func do(t *testing.T, req *http.Request) (*http.Response, string) {
	t.Helper()
	res, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res, string(body)
}

// pages lists every page of the web face for a policy, with the status
// each answers.
func pages(p *policy.Policy) map[string]int {
	out := map[string]int{
		"/policy":            200,
		"/policy/versions":   200,
		"/policy/versions/1": 200,
		"/consent-notice":    200,
		"/policy/versions/9": 404,
		"/policy/nowhere":    404,
		"/consent-notice?purpose=no-such-purpose": 404,
	}
	for _, pu := range p.Purposes {
		out["/consent-notice?purpose="+url.QueryEscape(pu.ID)] = 200
		out["/consent-notice?format=fragment&purpose="+url.QueryEscape(pu.ID)] = 200
	}
	return out
}

// withLang adds lang to a path's query.
func withLang(path, lang string) string {
	if strings.Contains(path, "?") {
		return path + "&lang=" + lang
	}
	return path + "?lang=" + lang
}

// leftovers are signs of text the templates or catalogs failed to expand.
var leftovers = regexp.MustCompile(`⟦missing:|\{\{|\}\}|ZgotmplZ|%!|\(MISSING\)|%\[\d\]|%[sd]\b`)

func TestEveryPageInEveryLanguageRendersCompletelyWithoutInlineScriptOrStyle(t *testing.T) {
	t.Parallel()
	for _, example := range []string{"ikomek", "toptips"} {
		t.Run(example, func(t *testing.T) {
			t.Parallel()
			b := setup(t, example, june)
			for path, status := range pages(b.policy) {
				for _, lang := range web.Langs {
					res, body := b.get(t, withLang(path, lang))
					where := withLang(path, lang)
					if res.StatusCode != status {
						t.Errorf("%s: status %d, want %d", where, res.StatusCode, status)
					}
					if ct := res.Header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
						t.Errorf("%s: content type %q", where, ct)
					}
					if m := leftovers.FindString(body); m != "" {
						i := strings.Index(body, m)
						t.Errorf("%s: unexpanded text %q in …%s…", where, m, body[max(0, i-80):min(len(body), i+80)])
					}
					if got := res.Header.Get("Content-Security-Policy"); got != web.CSP {
						t.Errorf("%s: CSP %q", where, got)
					}
					doc := parse(t, body)
					checkMarkup(t, where, doc)
					if !strings.Contains(path, "format=fragment") {
						if got := htmlLang(doc); got != lang {
							t.Errorf("%s: <html lang=%q>, want %q", where, got, lang)
						}
					}
				}
			}
		})
	}
}

func parse(t *testing.T, body string) *html.Node {
	t.Helper()
	doc, err := html.Parse(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

// checkMarkup fails on any script or style element, style or event handler
// attribute, table without header cells, or image without alt text.
func checkMarkup(t *testing.T, where string, doc *html.Node) {
	t.Helper()
	for n := range doc.Descendants() {
		if n.Type != html.ElementNode {
			continue
		}
		switch n.Data {
		case "script", "style":
			t.Errorf("%s: a <%s> element", where, n.Data)
		case "table":
			if find(n, func(x *html.Node) bool { return x.Type == html.ElementNode && x.Data == "th" }) == nil {
				t.Errorf("%s: a table without header cells", where)
			}
		case "img":
			if _, ok := attr(n, "alt"); !ok {
				t.Errorf("%s: an image without alt", where)
			}
		}
		for _, a := range n.Attr {
			if a.Key == "style" || strings.HasPrefix(a.Key, "on") {
				t.Errorf("%s: <%s %s=…>", where, n.Data, a.Key)
			}
		}
	}
}

func attr(n *html.Node, key string) (string, bool) {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val, true
		}
	}
	return "", false
}

func find(n *html.Node, match func(*html.Node) bool) *html.Node {
	for x := range n.Descendants() {
		if match(x) {
			return x
		}
	}
	return nil
}

func byID(doc *html.Node, id string) *html.Node {
	return find(doc, func(x *html.Node) bool {
		v, ok := attr(x, "id")
		return x.Type == html.ElementNode && ok && v == id
	})
}

func htmlLang(doc *html.Node) string {
	n := find(doc, func(x *html.Node) bool { return x.Type == html.ElementNode && x.Data == "html" })
	if n == nil {
		return ""
	}
	v, _ := attr(n, "lang")
	return v
}

// text is the text of a node with entities decoded and white space
// collapsed.
func text(n *html.Node) string {
	var b strings.Builder
	for x := range n.Descendants() {
		if x.Type == html.TextNode {
			b.WriteString(x.Data)
			b.WriteByte(' ')
		}
	}
	return strings.Join(strings.Fields(b.String()), " ")
}

func squash(s string) string { return strings.Join(strings.Fields(s), " ") }

func TestThePolicyPageShowsWhatThePolicySaysInEachLanguage(t *testing.T) {
	t.Parallel()
	for _, example := range []string{"ikomek", "toptips"} {
		t.Run(example, func(t *testing.T) {
			t.Parallel()
			b := setup(t, example, june)
			p := b.policy
			for _, lang := range web.Langs {
				_, body := b.get(t, "/policy?lang="+lang)
				page := text(parse(t, body))
				want := []string{p.Operator.Name.In(lang), p.Operator.BIN, p.Operator.Website, p.Operator.Responsible.Name,
					web.T(lang, "policy.title"), web.T(lang, "storage.kz")}
				for _, pu := range p.Purposes {
					want = append(want, pu.Title.In(lang))
					for _, g := range pu.Grounds {
						gr, _ := policy.LookupGround(g)
						want = append(want, gr.Title.In(lang))
					}
				}
				for _, r := range p.Recipients {
					want = append(want, r.Title.In(lang))
				}
				for _, c := range p.SubjectCategories {
					want = append(want, c.Title.In(lang))
				}
				for _, c := range p.Channels {
					want = append(want, c.Title.In(lang))
				}
				for _, pu := range p.Purposes {
					for _, fields := range pu.Subjects {
						for _, id := range fields {
							f, _ := p.Field(id)
							want = append(want, f.Title.In(lang))
						}
					}
				}
				for _, w := range want {
					if !strings.Contains(page, squash(w)) {
						t.Errorf("%s: the policy page lacks %q", lang, w)
					}
				}
			}
		})
	}
}

func TestTheRightsShowTheLawsDeadlinesWherePolicyPromisedLonger(t *testing.T) {
	t.Parallel()
	b := setup(t, "toptips", june)
	if b.policy.Deadlines.Correction != 7 || b.policy.Deadlines.Withdrawal != 22 {
		t.Fatalf("the toptips example no longer promises 7 and 22 days: %+v", b.policy.Deadlines)
	}
	want := map[string]map[string]string{
		"kk": {"correction": "1 жұмыс күні", "destruction": "1 жұмыс күні", "withdrawal": "15 жұмыс күні", "objection": "3 жұмыс күні", "transfer-notice": "10 жұмыс күні"},
		"ru": {"correction": "1 рабочий день", "destruction": "1 рабочий день", "withdrawal": "15 рабочих дней", "objection": "3 рабочих дня", "transfer-notice": "10 рабочих дней"},
		"en": {"correction": "1 working day", "destruction": "1 working day", "withdrawal": "15 working days", "objection": "3 working days", "transfer-notice": "10 working days"},
	}
	articles := map[string]string{"kk": "25-бап, 2-тармақ, 8-тармақша", "ru": "ст. 25 п. 2 пп. 8", "en": "Art. 25 p.2 sp.8"}
	for lang, rows := range want {
		_, body := b.get(t, "/policy?lang="+lang)
		doc := parse(t, body)
		for right, term := range rows {
			row := byID(doc, "right-"+right)
			if row == nil {
				t.Errorf("%s: no row for the right %s", lang, right)
				continue
			}
			if got := text(row); !strings.Contains(got, term) {
				t.Errorf("%s: %s: %q lacks %q", lang, right, got, term)
			}
			if got := text(row); strings.Contains(got, "7 ") && right == "correction" || strings.Contains(got, "22") {
				t.Errorf("%s: %s shows the policy's longer term: %q", lang, right, got)
			}
		}
		if got := text(byID(doc, "right-correction")); !strings.Contains(got, articles[lang]) {
			t.Errorf("%s: the correction row does not cite %q: %q", lang, articles[lang], got)
		}
		for _, r := range []string{"information", "blocking", "public-removal"} {
			if byID(doc, "right-"+r) == nil {
				t.Errorf("%s: no row for the right %s", lang, r)
			}
		}
	}
}

func TestTheReviewReminderAppearsThirtyDaysBeforeTheReviewDate(t *testing.T) {
	t.Parallel()
	// The examples are to be reviewed by 2027-01-01.
	for _, tc := range []struct {
		name string
		now  time.Time
		want string // the message, or "" for none
	}{
		{"two months before", time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC), ""},
		{"three weeks before", time.Date(2026, 12, 11, 12, 0, 0, 0, time.UTC), "policy.review_soon"},
		{"on the day, in Astana", time.Date(2026, 12, 31, 20, 0, 0, 0, time.UTC), "policy.review_soon"},
		{"after it", time.Date(2027, 2, 1, 12, 0, 0, 0, time.UTC), "policy.review_past"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t, "ikomek", tc.now)
			for _, lang := range web.Langs {
				_, body := b.get(t, "/policy?lang="+lang)
				doc := parse(t, body)
				notice := find(doc, func(x *html.Node) bool {
					c, _ := attr(x, "class")
					return strings.Contains(c, "review-due")
				})
				if tc.want == "" {
					if notice != nil {
						t.Errorf("%s: a review reminder: %q", lang, text(notice))
					}
					continue
				}
				if notice == nil {
					t.Fatalf("%s: no review reminder", lang)
				}
				head := web.T(lang, "policy.review_due_head")
				msg := strings.SplitN(web.T(lang, tc.want), "%s", 2)[0]
				if got := text(notice); !strings.Contains(got, head) || !strings.Contains(got, squash(msg)) {
					t.Errorf("%s: reminder %q; want %q and %q", lang, got, head, msg)
				}
			}
		})
	}
}

func TestEarlierVersionsAreListedAndReadableAfterASecondActivation(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := setup(t, "toptips", june)
	src := []byte(strings.Replace(string(b.src), `version: "1"`, `version: "2026-2"`, 1))
	src = []byte(strings.Replace(string(src), `en: "PRO IT COMPANY LLP"`, `en: "PRO IT COMPANY LLP (renamed)"`, 1))
	p2, err := policy.Parse("v2", src)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.vault.Activate(ctx, vault.System, p2, src); err != nil {
		t.Fatal(err)
	}

	_, body := b.get(t, "/policy?lang=en")
	doc := parse(t, body)
	page := text(doc)
	if !strings.Contains(page, "PRO IT COMPANY LLP (renamed)") || !strings.Contains(page, "2026-2 (activation No. 2)") {
		t.Errorf("the policy page does not show version 2: %q", page[:min(len(page), 400)])
	}
	if find(doc, func(x *html.Node) bool { v, _ := attr(x, "href"); return v == "/policy/versions/1?lang=en" }) == nil {
		t.Error("the policy page has no link to version 1")
	}

	_, body = b.get(t, "/policy/versions?lang=ru")
	doc = parse(t, body)
	for _, id := range []string{"version-1", "version-2"} {
		if byID(doc, id) == nil {
			t.Errorf("the versions page does not list %s", id)
		}
	}
	if got := text(byID(doc, "version-2")); !strings.Contains(got, web.T("ru", "policy.in_force")) {
		t.Errorf("version 2 is not marked in force: %q", got)
	}

	res, body := b.get(t, "/policy/versions/1?lang=kk")
	if res.StatusCode != 200 {
		t.Fatalf("version 1: %d", res.StatusCode)
	}
	doc = parse(t, body)
	page = text(doc)
	if !strings.Contains(page, web.T("kk", "policy.old_head")) || !strings.Contains(page, web.T("kk", "policy.not_in_force")) {
		t.Error("version 1 is not marked as no longer in force")
	}
	if strings.Contains(page, "(renamed)") || !strings.Contains(page, b.policy.Operator.Name.KK) {
		t.Error("version 1 shows version 2's text")
	}
	if find(doc, func(x *html.Node) bool { v, _ := attr(x, "href"); return v == "/policy/versions/2?lang=kk" }) == nil {
		t.Error("version 1 has no link to version 2")
	}
	if res, _ := b.get(t, "/policy/versions/2?lang=kk"); res.StatusCode != 200 {
		t.Errorf("version 2: %d", res.StatusCode)
	}
	for _, path := range []string{"/policy/versions/3", "/policy/versions/0", "/policy/versions/x", "/policy/versions/-1"} {
		if res, _ := b.get(t, path); res.StatusCode != 404 {
			t.Errorf("%s: %d, want 404", path, res.StatusCode)
		}
	}
}

func TestTheLanguageIsChosenByParameterAndRememberedInACookie(t *testing.T) {
	t.Parallel()
	b := setup(t, "ikomek", june)

	res, body := b.get(t, "/policy")
	if got := htmlLang(parse(t, body)); got != "kk" {
		t.Errorf("default language %q, want kk", got)
	}
	if len(res.Cookies()) != 0 {
		t.Error("a cookie was set without a choice")
	}

	res, body = b.get(t, "/policy?lang=ru")
	var cookie *http.Cookie
	for _, c := range res.Cookies() {
		if c.Name == web.LangCookie {
			cookie = c
		}
	}
	if cookie == nil || cookie.Value != "ru" || !cookie.HttpOnly || cookie.SameSite != http.SameSiteLaxMode {
		t.Fatalf("language cookie %+v", cookie)
	}
	doc := parse(t, body)
	for _, l := range web.Langs {
		link := find(doc, func(x *html.Node) bool { v, _ := attr(x, "hreflang"); return v == l })
		if link == nil {
			t.Errorf("no link to %s", l)
			continue
		}
		if v, _ := attr(link, "lang"); v != l {
			t.Errorf("the link to %s has lang %q", l, v)
		}
		if _, cur := attr(link, "aria-current"); cur != (l == "ru") {
			t.Errorf("the link to %s: aria-current %v", l, cur)
		}
	}

	_, body = b.get(t, "/policy/versions", cookie)
	if got := htmlLang(parse(t, body)); got != "ru" {
		t.Errorf("with the cookie: %q, want ru", got)
	}
	_, body = b.get(t, "/policy?lang=xx", cookie)
	if got := htmlLang(parse(t, body)); got != "ru" {
		t.Errorf("with an unknown lang and the cookie: %q, want ru", got)
	}

	// The switch keeps the other parameters of the page.
	_, body = b.get(t, "/consent-notice?purpose=appeals&lang=en")
	doc = parse(t, body)
	link := find(doc, func(x *html.Node) bool { v, _ := attr(x, "hreflang"); return v == "kk" })
	if v, _ := attr(link, "href"); v != "/consent-notice?lang=kk&purpose=appeals" {
		t.Errorf("switch link %q", v)
	}
}

func TestEveryResponseCarriesTheSecurityHeaders(t *testing.T) {
	t.Parallel()
	b := setup(t, "ikomek", june)
	for _, path := range []string{"/policy", "/policy/nowhere", "/static/derbes.css", "/consent-snippet.js", "/consent-notice?format=fragment&purpose=appeals"} {
		res, _ := b.get(t, path)
		for k, v := range map[string]string{
			"Content-Security-Policy": web.CSP,
			"X-Content-Type-Options":  "nosniff",
			"Referrer-Policy":         "no-referrer",
			"X-Frame-Options":         "DENY",
		} {
			if got := res.Header.Get(k); got != v {
				t.Errorf("%s: %s %q, want %q", path, k, got, v)
			}
		}
		if pp := res.Header.Get("Permissions-Policy"); !strings.Contains(pp, "camera=()") {
			t.Errorf("%s: Permissions-Policy %q", path, pp)
		}
	}
	for _, d := range []string{"default-src 'self'", "script-src 'self'", "style-src 'self'", "frame-ancestors 'none'", "base-uri 'none'", "form-action 'self'"} {
		if !strings.Contains(web.CSP, d) {
			t.Errorf("CSP lacks %s", d)
		}
	}
	if strings.Contains(web.CSP, "unsafe") {
		t.Error("CSP allows unsafe sources")
	}
	res, body := b.get(t, "/static/derbes.css")
	if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/css") || !strings.Contains(body, "@media print") {
		t.Errorf("stylesheet: %d %q", res.StatusCode, res.Header.Get("Content-Type"))
	}
	if res, _ := b.get(t, "/static/"); res.StatusCode != 404 {
		t.Errorf("a directory listing: %d", res.StatusCode)
	}

	// A cross-origin POST is refused before any handler; a same-origin one
	// meets a read-only page.
	req, _ := http.NewRequest(http.MethodPost, b.srv.URL+"/policy", strings.NewReader("x=1"))
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	if res, _ := do(t, req); res.StatusCode != http.StatusForbidden || res.Header.Get("Content-Security-Policy") != web.CSP {
		t.Errorf("a cross-origin POST: %d, CSP %q; want 403 with the CSP", res.StatusCode, res.Header.Get("Content-Security-Policy"))
	}
	req, _ = http.NewRequest(http.MethodPost, b.srv.URL+"/policy", strings.NewReader("x=1"))
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	if res, _ := do(t, req); res.StatusCode != http.StatusMethodNotAllowed || res.Header.Get("Allow") != "GET, HEAD" {
		t.Errorf("a same-origin POST: %d %q, want 405", res.StatusCode, res.Header.Get("Allow"))
	}
}

func TestTheConsentNoticeIsRenderedFromThePolicyAndEmbeddable(t *testing.T) {
	t.Parallel()
	b := setup(t, "ikomek", june)
	res, body := b.get(t, "/consent-notice?format=fragment&purpose=appeals&lang=ru")
	if res.Header.Get("Access-Control-Allow-Origin") != "*" {
		t.Error("the fragment cannot be fetched from the operator's site")
	}
	if len(res.Cookies()) != 0 {
		t.Error("the fragment sets a cookie")
	}
	doc := parse(t, body)
	if find(doc, func(x *html.Node) bool { return x.Type == html.ElementNode && x.Data == "h1" }) != nil || strings.Contains(body, "<header") {
		t.Error("the fragment carries the page around it")
	}
	sec := find(doc, func(x *html.Node) bool { c, _ := attr(x, "class"); return c == "derbes-notice" })
	if sec == nil {
		t.Fatal("no notice in the fragment")
	}
	if v, _ := attr(sec, "data-policy-version"); v != "1" {
		t.Errorf("data-policy-version %q", v)
	}
	if v, _ := attr(sec, "lang"); v != "ru" {
		t.Errorf("lang %q", v)
	}
	notice := text(sec)
	p := b.policy
	pu, _ := p.Purpose("appeals")
	want := []string{p.Operator.Name.RU, p.Operator.BIN, pu.Title.RU, "Согласие субъекта", "15 рабочих дней", "ст. 8 п. 7",
		web.T("ru", "retention.until_achieved"), web.T("ru", "then.destroy")}
	for _, r := range pu.Recipients {
		for _, x := range p.Recipients {
			if x.ID == r {
				want = append(want, x.Title.RU)
			}
		}
	}
	for _, f := range pu.Subjects["applicant"] {
		fl, _ := p.Field(f)
		want = append(want, fl.Title.RU)
	}
	for _, w := range want {
		if !strings.Contains(notice, squash(w)) {
			t.Errorf("the notice lacks %q", w)
		}
	}

	// A purpose on another ground says so and offers no withdrawal.
	tb := setup(t, "toptips", june)
	_, body = tb.get(t, "/consent-notice?purpose=statistics&lang=en")
	page := text(parse(t, body))
	if !strings.Contains(page, "without your consent") || strings.Contains(page, "withdraw your consent at any time") {
		t.Errorf("a non-consent notice: %q", page)
	}
	for _, g := range []string{"State statistics", "State revenue bodies", "Art. 9"} {
		if !strings.Contains(page, g) {
			t.Errorf("a non-consent notice lacks %q", g)
		}
	}
}

func TestTheSnippetIsServedAsASmallScriptWithoutEval(t *testing.T) {
	t.Parallel()
	b := setup(t, "ikomek", june)
	res, body := b.get(t, "/consent-snippet.js")
	if res.StatusCode != 200 {
		t.Fatalf("status %d", res.StatusCode)
	}
	if ct := res.Header.Get("Content-Type"); ct != "text/javascript; charset=utf-8" {
		t.Errorf("content type %q", ct)
	}
	if res.Header.Get("Cross-Origin-Resource-Policy") != "cross-origin" {
		t.Error("the snippet cannot be loaded by the operator's site")
	}
	code := regexp.MustCompile(`(?s)/\*.*?\*/`).ReplaceAllString(body, "")
	for _, bad := range []string{"eval(", "new Function", "innerHTML", "document.write", ".style", "setTimeout(\"", "api_key", "Authorization"} {
		if strings.Contains(code, bad) {
			t.Errorf("the snippet uses %s", bad)
		}
	}
	if len(body) > 8<<10 {
		t.Errorf("the snippet is %d bytes", len(body))
	}
	for _, s := range []string{"/consent-notice?format=fragment", "derbes_consent", `kind: "website"`, "sendBeacon", "policy_version", "location.pathname"} {
		if !strings.Contains(code, s) {
			t.Errorf("the snippet lacks %s", s)
		}
	}
}

func TestThePagesShowNoPersonalData(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := setup(t, "ikomek", june)
	const name, iin, phone, address = "Әлия Жұмабекқызы Серікова", "950312405675", "+77011234567", "Сарыарқа даңғылы, 99-999"
	app := vault.Actor{ID: "apikey:test", Role: "integration"}
	_, err := b.vault.CreateSubject(ctx, app, vault.NewSubject{
		Category: "applicant", Purpose: "appeals",
		Identifiers: map[string]string{"iin": iin, "phone": phone},
		Consent: &consent.Request{SubjectName: name, Purposes: []string{"appeals"}, Fields: []string{"iin", "full_name", "phone", "address", "appeal_text"},
			Form: consent.Form{Kind: consent.FormWebsite, Page: "https://ikomekastana.kz/appeal", ClientIP: "203.0.113.7"}},
		Record: &vault.NewRecord{Channel: "website", Fields: map[string]string{"full_name": name, "address": address, "appeal_text": "Лифт жұмыс істемейді"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	for path := range pages(b.policy) {
		for _, lang := range web.Langs {
			_, body := b.get(t, withLang(path, lang))
			for _, pd := range []string{name, "Серікова", iin, phone, "7011234567", address, "Лифт жұмыс", "203.0.113.7"} {
				if strings.Contains(body, pd) {
					t.Errorf("%s shows %q", withLang(path, lang), pd)
				}
			}
		}
	}
}

func TestMountSendsTheWebPathsToWebAndTheRestToTheAPI(t *testing.T) {
	t.Parallel()
	named := func(name string) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, name) })
	}
	h := web.Mount(named("api"), named("web"))
	for path, want := range map[string]string{
		"/policy": "web", "/policy/versions/2": "web", "/consent-notice": "web", "/consent-snippet.js": "web", "/static/derbes.css": "web",
		"/v1/policy": "api", "/healthz": "api", "/docs": "api", "/": "api", "/policyx": "api", "/consent-notices": "api", "//policy": "api",
	} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "http://derbes.test"+path, nil))
		if got := rec.Body.String(); got != want {
			t.Errorf("%s went to %s, want %s", path, got, want)
		}
	}
}

// toptips destroys blocked data within six months (deadlines.blocked_limit,
// which derbes enforces); the published page says so, and iKomek's, which
// sets no such limit, says nothing.
func TestThePolicySaysHowLongBlockedDataAreKept(t *testing.T) {
	t.Parallel()
	b := setup(t, "toptips", june)
	want := map[string]string{"kk": "6 ай", "ru": "6 месяцев", "en": "6 months"}
	for lang, span := range want {
		_, body := b.get(t, "/policy?lang="+lang)
		el := byID(parse(t, body), "blocked-limit")
		if el == nil || !strings.Contains(text(el), span) {
			t.Errorf("%s: the blocked-data term is missing or wrong: %v", lang, el)
		}
	}
	_, body := setup(t, "ikomek", june).get(t, "/policy?lang=en")
	if byID(parse(t, body), "blocked-limit") != nil {
		t.Error("a policy without blocked_limit shows a term for blocked data")
	}
}
