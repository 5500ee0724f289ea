package web_test

import (
	"context"
	"encoding/base32"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/derbes/derbes/access"
	"github.com/derbes/derbes/consent"
	"github.com/derbes/derbes/examples"
	"github.com/derbes/derbes/journal"
	"github.com/derbes/derbes/policy"
	"github.com/derbes/derbes/request"
	"github.com/derbes/derbes/store/storetest"
	"github.com/derbes/derbes/vault"
	"github.com/derbes/derbes/web"
)

// The console's invented people: a resident with an overdue request for
// information, the responsible person (with a second factor) and a
// call-centre operator, who sees the IIN and phone only masked.
const (
	residentIIN   = "950312405675"
	residentPhone = "+77011234567"
	residentName  = "Айгерім Нұрланқызы"
	residentAddr  = "Астана, Сарыарқа ауданы"
	residentText  = "Подъездте жарық жоқ"
	password      = "correct horse battery staple"
)

type consoleBundle struct {
	env     *storetest.Env
	srv     *httptest.Server
	vault   *vault.Vault
	secret  []byte // aliya's TOTP secret
	request string
	subject string
}

// setupConsole serves web with the staff console over a fresh store of the
// dialect, with the iKomek policy in force (the operator's role seeing IIN
// and phone masked) and the people above.
func setupConsole(t testing.TB, dialect string) *consoleBundle {
	t.Helper()
	ctx := context.Background()
	env := storetest.Open(t, dialect)
	src, err := examples.Files.ReadFile("ikomek/policy.yaml")
	if err != nil {
		t.Fatal(err)
	}
	p, err := policy.Parse("ikomek", src)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range p.Roles {
		if r.ID == "call-operator" {
			p.Roles[i].Fields = slices.DeleteFunc(slices.Clone(r.Fields), func(f string) bool { return f == "iin" || f == "phone" })
			p.Roles[i].Masked = []string{"iin", "phone"}
		}
	}
	// The example's review date is a fixed placeholder; move it half a year
	// ahead of whenever the test runs, so that Today announces the review
	// only where a test brings it near.
	p.ReviewBy = time.Now().AddDate(0, 6, 0).Format(time.DateOnly)
	v, err := vault.Open(ctx, env.Store, env.Ring)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.Activate(ctx, vault.System, p, src); err != nil {
		t.Fatal(err)
	}
	app := vault.Actor{ID: "apikey:test", Role: "integration"}
	sid, err := v.CreateSubject(ctx, app, vault.NewSubject{
		Category: "applicant", Purpose: "appeals",
		Identifiers: map[string]string{"iin": residentIIN, "phone": residentPhone},
		Consent: &consent.Request{SubjectName: residentName, Purposes: []string{"appeals"}, ThirdParty: true,
			Fields: []string{"iin", "full_name", "phone", "address", "appeal_text"},
			Form:   consent.Form{Kind: consent.FormOther, Reference: "109 call recording"}},
		Record: &vault.NewRecord{Channel: "call-109", Ground: "consent", Fields: map[string]string{
			"full_name": residentName, "address": residentAddr, "appeal_text": residentText}},
	})
	if err != nil {
		t.Fatal(err)
	}
	req, err := v.SubmitRequest(ctx, app, vault.NewRequest{Kind: request.Information, Channel: "letter", Lang: "ru", Subject: sid.Subject,
		Content: request.Content{Requester: request.Requester{FullName: residentName},
			Identity: request.Identity{FullName: residentName, IIN: residentIIN, Signature: true,
				IDDocument: &request.IDDocument{Number: "049213456", Issued: "2019-05-14", Issuer: "ҚР ІІМ"}}}})
	if err != nil {
		t.Fatal(err)
	}
	past := time.Now().AddDate(0, 0, -14).UnixMicro()
	env.Exec(t, "UPDATE requests SET received_at = ?, clock_at = ?, due_at = ? WHERE id = ?", past, past, past+int64(5*24*time.Hour/time.Microsecond), req.ID)

	staff := access.NewStaff(env.Store, env.Ring, &access.Argon2{Time: 1, Memory: 1024, Threads: 1})
	c, err := staff.Create(ctx, "test", access.NewAccount{Login: "aliya", Name: "Әлия Серікова", Role: "responsible", Password: password, TOTP: true})
	if err != nil {
		t.Fatal(err)
	}
	secret, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(c.TOTPSecret)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := staff.Create(ctx, "test", access.NewAccount{Login: "operator1", Name: "Дамир", Role: "call-operator", Password: password}); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(web.New(v, env.Store, slog.New(slog.DiscardHandler), web.Options{Staff: staff}))
	t.Cleanup(srv.Close)
	return &consoleBundle{env: env, srv: srv, vault: v, secret: secret, request: req.ID, subject: sid.Subject}
}

// browser is one staff member's browser: a cookie jar that does not
// follow redirects, so that each answer can be checked.
type browser struct {
	t    testing.TB
	b    *consoleBundle
	c    *http.Client
	csrf string
}

func (b *consoleBundle) browser(t testing.TB) *browser {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &browser{t: t, b: b, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func (br *browser) do(req *http.Request) (*http.Response, string) {
	br.t.Helper()
	res, err := br.c.Do(req)
	if err != nil {
		br.t.Fatal(err)
	}
	defer res.Body.Close()
	var sb strings.Builder
	buf := make([]byte, 32<<10)
	for {
		n, err := res.Body.Read(buf)
		sb.Write(buf[:n])
		if err != nil {
			break
		}
	}
	body := sb.String()
	if m := csrfField.FindStringSubmatch(body); m != nil {
		br.csrf = m[1]
	}
	return res, body
}

func (br *browser) get(path string) (*http.Response, string) {
	br.t.Helper()
	req, err := http.NewRequest(http.MethodGet, br.b.srv.URL+path, nil)
	if err != nil {
		br.t.Fatal(err)
	}
	return br.do(req)
}

// post sends a form with the page's CSRF token (unless form sets its own).
func (br *browser) post(path string, form url.Values) (*http.Response, string) {
	br.t.Helper()
	if !form.Has("csrf") {
		form.Set("csrf", br.csrf)
	}
	req, err := http.NewRequest(http.MethodPost, br.b.srv.URL+path, strings.NewReader(form.Encode()))
	if err != nil {
		br.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return br.do(req)
}

// signIn signs in and returns the answer to the sign-in form.
func (br *browser) signIn(login, pw, code string) (*http.Response, string) {
	br.t.Helper()
	br.get("/console/sign-in")
	return br.post("/console/sign-in", url.Values{"login": {login}, "password": {pw}, "code": {code}})
}

func (b *consoleBundle) aliya(t testing.TB) *browser {
	t.Helper()
	br := b.browser(t)
	if res, body := br.signIn("aliya", password, access.TOTP(b.secret, time.Now())); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("aliya's sign-in: %d\n%s", res.StatusCode, body)
	}
	br.get("/console/today") // the session's form token
	return br
}

func (b *consoleBundle) operator(t testing.TB) *browser {
	t.Helper()
	br := b.browser(t)
	if res, body := br.signIn("operator1", password, ""); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("operator's sign-in: %d\n%s", res.StatusCode, body)
	}
	br.get("/console/today") // the session's form token
	return br
}

func TestConsoleSignInSessionAndForms(t *testing.T) {
	t.Parallel()
	for _, d := range storetest.Dialects {
		t.Run(d, func(t *testing.T) {
			t.Parallel()
			b := setupConsole(t, d)

			br := b.browser(t)
			res, _ := br.get("/console/today")
			if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/console/sign-in" {
				t.Fatalf("without a session Today answers %d → %q", res.StatusCode, res.Header.Get("Location"))
			}
			res, body := br.signIn("aliya", password, "000000")
			if res.StatusCode != http.StatusUnauthorized || !strings.Contains(body, web.T("kk", "console.signin.failed")) {
				t.Fatalf("a wrong code answers %d:\n%s", res.StatusCode, body)
			}
			res, body = br.signIn("aliya", password, "")
			if res.StatusCode != http.StatusUnauthorized || !strings.Contains(body, `id="sign-in-error"`) {
				t.Fatalf("a missing second factor answers %d", res.StatusCode)
			}
			// The sign-in form's token is checked too.
			br.get("/console/sign-in")
			res, _ = br.post("/console/sign-in", url.Values{"csrf": {"forged"}, "login": {"aliya"}, "password": {password}, "code": {access.TOTP(b.secret, time.Now())}})
			if res.StatusCode != http.StatusForbidden {
				t.Fatalf("a sign-in with a forged form token answers %d", res.StatusCode)
			}

			res, _ = br.signIn("aliya", password, access.TOTP(b.secret, time.Now()))
			if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/console/today" {
				t.Fatalf("sign-in answers %d → %q", res.StatusCode, res.Header.Get("Location"))
			}
			var session *http.Cookie
			for _, c := range res.Cookies() {
				if c.Name == web.ConsoleCookie {
					session = c
				}
			}
			if session == nil || !session.HttpOnly || session.SameSite != http.SameSiteStrictMode || session.Path != "/console" {
				t.Fatalf("session cookie %+v", session)
			}

			res, body = br.get("/console/today")
			doc := parse(t, body)
			overdue := byID(doc, "overdue-requests")
			if res.StatusCode != http.StatusOK || overdue == nil {
				t.Fatalf("Today answers %d without #overdue-requests:\n%s", res.StatusCode, body)
			}
			link := find(overdue, func(n *html.Node) bool { v, _ := attr(n, "class"); return n.Data == "a" && v == "request-link" })
			if href, _ := attr(link, "href"); href != "/console/requests/"+b.request {
				t.Fatalf("the overdue request links to %q", href)
			}

			// A form without the session's token does nothing.
			res, _ = br.post("/console/requests/"+b.request+"/refuse", url.Values{"csrf": {"forged"}, "reason": {"no-data"}, "explanation": {"x"}})
			if res.StatusCode != http.StatusForbidden {
				t.Fatalf("a forged form answers %d", res.StatusCode)
			}
			if _, body := br.get("/console/requests/" + b.request); strings.Contains(body, `id="letter"`) {
				t.Fatal("a forged form answered the request")
			}

			// Nor does another site's sign-out button.
			if res, _ := br.post("/console/sign-out", url.Values{"csrf": {"forged"}}); res.StatusCode != http.StatusForbidden {
				t.Fatalf("a forged sign-out answers %d", res.StatusCode)
			}
			br.get("/console/today")
			res, _ = br.post("/console/sign-out", url.Values{})
			if res.StatusCode != http.StatusSeeOther {
				t.Fatalf("sign-out answers %d", res.StatusCode)
			}
			// Five wrong passwords lock the account; the right one is then
			// refused too, saying why.
			for range access.MaxFailures {
				b.browser(t).signIn("operator1", "wrong horse battery staple", "")
			}
			res, body = b.browser(t).signIn("operator1", password, "")
			if res.StatusCode != http.StatusUnauthorized || !strings.Contains(body, web.T("kk", "console.signin.locked")) {
				t.Fatalf("a locked account answers %d", res.StatusCode)
			}
			// The old cookie is dead in the store, not only in the browser.
			again := b.browser(t)
			u, _ := url.Parse(b.srv.URL + "/console/today")
			again.c.Jar.SetCookies(u, []*http.Cookie{{Name: web.ConsoleCookie, Value: session.Value, Path: "/console"}})
			if res, _ := again.get("/console/today"); res.StatusCode != http.StatusSeeOther {
				t.Fatalf("a signed-out session still opens Today: %d", res.StatusCode)
			}
		})
	}
}

func TestConsoleHandlesARequestEndToEnd(t *testing.T) {
	t.Parallel()
	for _, d := range storetest.Dialects {
		t.Run(d, func(t *testing.T) {
			t.Parallel()
			b := setupConsole(t, d)
			br := b.aliya(t)
			path := "/console/requests/" + b.request
			_, body := br.get(path)
			if byID(parse(t, body), "request-due") == nil || !strings.Contains(body, web.T("kk", "console.request.overdue")) {
				t.Fatalf("the request page shows no overdue due date:\n%s", body)
			}
			// Asked for documents, the request waits for them.
			br.post(path+"/verify", url.Values{"checked": {"full_name"}, "await": {"1"}})
			_, body = br.get(path)
			if got := text(byID(parse(t, body), "request-state")); got != web.T("kk", "console.state.verifying") {
				t.Fatalf("after asking for documents the request is %q", got)
			}
			res, _ := br.post(path+"/verify", url.Values{"checked": {"full_name", "iin", "id_document", "signature"}})
			if res.StatusCode != http.StatusSeeOther {
				t.Fatalf("verify answers %d", res.StatusCode)
			}
			res, _ = br.get(path + "/letter.pdf")
			if res.StatusCode != http.StatusConflict {
				t.Fatalf("the letter of an unanswered request answers %d", res.StatusCode)
			}
			br.get(path)
			res, _ = br.post(path+"/fulfil", url.Values{"done": {"Жауап хатпен жіберілді"}})
			if res.StatusCode != http.StatusSeeOther {
				t.Fatalf("fulfil answers %d", res.StatusCode)
			}
			_, body = br.get(path)
			if byID(parse(t, body), "letter") == nil {
				t.Fatalf("an answered request offers no letter:\n%s", body)
			}
			res, pdf := br.get(path + "/letter.pdf")
			if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "application/pdf" || !strings.HasPrefix(pdf, "%PDF-") {
				t.Fatalf("the letter answers %d %q", res.StatusCode, res.Header.Get("Content-Type"))
			}
			_, body = br.get("/console/today")
			if byID(parse(t, body), "overdue-requests") != nil {
				t.Fatal("the answered request is still overdue on Today")
			}
			// Deciding again is refused by the vault, and says so.
			res, _ = br.post(path+"/refuse", url.Values{"reason": {"no-data"}, "explanation": {"late"}})
			if res.StatusCode != http.StatusConflict {
				t.Fatalf("refusing an answered request answers %d", res.StatusCode)
			}
			// The operator's role does not handle requests.
			if res, _ := b.operator(t).get(path); res.StatusCode != http.StatusForbidden {
				t.Fatalf("the operator opens a request: %d", res.StatusCode)
			}
		})
	}
}

// journalActions lists the actions journaled after seq.
func journalActions(t *testing.T, v *vault.Vault, after int64) ([]*journal.Entry, int64) {
	t.Helper()
	es, err := v.Journal(context.Background(), vault.Actor{ID: "test", Role: "responsible"}, after, 10000)
	if err != nil {
		t.Fatal(err)
	}
	if len(es) > 0 {
		after = es[len(es)-1].Seq
	}
	return es, after
}

func hasAction(es []*journal.Entry, action, purpose string) bool {
	return slices.ContainsFunc(es, func(e *journal.Entry) bool { return e.Action == action && e.Purpose == purpose })
}

func TestConsoleLookupAsksForThePurposeFirstAndShowsWhatTheRoleMaySee(t *testing.T) {
	t.Parallel()
	for _, d := range storetest.Dialects {
		t.Run(d, func(t *testing.T) {
			t.Parallel()
			b := setupConsole(t, d)
			br := b.operator(t)
			_, body := br.get("/console/lookup")
			doc := parse(t, body)
			if byID(doc, "purpose-form") == nil || byID(doc, "lookup-form") != nil {
				t.Fatal("the lookup does not ask for the purpose first")
			}
			_, before := journalActions(t, b.vault, 0)
			res, body := br.post("/console/lookup", url.Values{"kind": {"iin"}, "value": {residentIIN}})
			if res.StatusCode != http.StatusUnprocessableEntity || strings.Contains(body, residentName) || strings.Contains(body, "95031") {
				t.Fatalf("a lookup without a purpose answers %d", res.StatusCode)
			}
			if res, _ := br.post("/console/lookup", url.Values{"purpose": {"no-such-purpose"}, "kind": {"iin"}, "value": {residentIIN}}); res.StatusCode != http.StatusUnprocessableEntity {
				t.Fatalf("a lookup for a purpose not of the role answers %d", res.StatusCode)
			}
			if es, _ := journalActions(t, b.vault, before); hasAction(es, journal.SubjectLookup, "") || hasAction(es, journal.SubjectRead, "appeals") {
				t.Fatal("a refused lookup reached the vault")
			}

			_, body = br.get("/console/lookup?purpose=appeals")
			if byID(parse(t, body), "lookup-form") == nil {
				t.Fatal("after the purpose the lookup asks for no identifier")
			}
			res, body = br.post("/console/lookup", url.Values{"purpose": {"appeals"}, "kind": {"iin"}, "value": {"12345"}})
			if res.StatusCode != http.StatusUnprocessableEntity || byID(parse(t, body), "lookup-error") == nil {
				t.Fatalf("a malformed IIN answers %d", res.StatusCode)
			}
			res, body = br.post("/console/lookup", url.Values{"purpose": {"appeals"}, "kind": {"iin"}, "value": {residentIIN}})
			if res.StatusCode != http.StatusOK {
				t.Fatalf("the lookup answers %d", res.StatusCode)
			}
			if cc := res.Header.Get("Cache-Control"); cc != "no-store" {
				t.Errorf("the lookup result may be cached: Cache-Control %q", cc)
			}
			result := byID(parse(t, body), "lookup-result")
			if result == nil {
				t.Fatalf("no #lookup-result:\n%s", body)
			}
			got := text(result)
			for _, want := range []string{"95031*******", "+7 701 *** ** 67", residentName, residentAddr, residentText} {
				if !strings.Contains(got, want) {
					t.Errorf("the result lacks %q: %s", want, got)
				}
			}
			if strings.Contains(body, residentIIN) || strings.Contains(body, residentPhone) {
				t.Error("the operator sees the IIN or phone unmasked")
			}
			es, _ := journalActions(t, b.vault, before)
			if !hasAction(es, journal.SubjectLookup, "appeals") || !hasAction(es, journal.SubjectRead, "appeals") {
				t.Fatal("the lookup's reads are not journaled with the purpose")
			}

			// The responsible person's role sees the IIN in full.
			_, body = b.aliya(t).post("/console/lookup", url.Values{"purpose": {"appeals"}, "kind": {"phone"}, "value": {"8 701 123 45 67"}})
			if !strings.Contains(body, residentIIN) {
				t.Fatal("the responsible person does not see the IIN")
			}
		})
	}
}

// consolePaths are the console's pages for a role, each with the status
// it answers.
func consolePaths(b *consoleBundle, responsible bool) map[string]int {
	if responsible {
		return map[string]int{"/console/today": 200, "/console/lookup": 200, "/console/lookup?purpose=appeals": 200,
			"/console/requests": 200, "/console/requests/" + b.request: 200, "/console/journal": 200, "/console/people": 200,
			"/console/transfers": 403, "/console/lookup?purpose=nope": 422, "/console/requests/nope": 404}
	}
	return map[string]int{"/console/today": 200, "/console/lookup": 200, "/console/lookup?purpose=appeals": 200,
		"/console/transfers": 200, "/console/requests": 403, "/console/journal": 403}
}

func TestEveryConsolePageInEveryLanguageHasEveryMessage(t *testing.T) {
	t.Parallel()
	for _, d := range storetest.Dialects {
		t.Run(d, func(t *testing.T) {
			t.Parallel()
			b := setupConsole(t, d)
			for who, br := range map[string]*browser{"responsible": b.aliya(t), "operator": b.operator(t)} {
				for path, status := range consolePaths(b, who == "responsible") {
					for _, lang := range web.Langs {
						where := who + " " + withLang(path, lang)
						res, body := br.get(withLang(path, lang))
						if res.StatusCode != status {
							t.Errorf("%s: status %d, want %d", where, res.StatusCode, status)
						}
						if m := leftovers.FindString(body); m != "" {
							i := strings.Index(body, m)
							t.Errorf("%s: unexpanded text %q in …%s…", where, m, body[max(0, i-80):min(len(body), i+80)])
						}
						doc := parse(t, body)
						checkMarkup(t, where, doc)
						if got := htmlLang(doc); got != lang {
							t.Errorf("%s: <html lang=%q>", where, got)
						}
					}
				}
				// The lookup's result, in each language.
				for _, lang := range web.Langs {
					br.get("/console/today?lang=" + lang)
					_, body := br.post("/console/lookup", url.Values{"purpose": {"appeals"}, "kind": {"iin"}, "value": {residentIIN}})
					if m := leftovers.FindString(body); m != "" {
						t.Errorf("%s lookup result in %s: unexpanded %q", who, lang, m)
					}
					if byID(parse(t, body), "lookup-result") == nil {
						t.Errorf("%s lookup in %s shows no result", who, lang)
					}
					checkMarkup(t, who+" lookup "+lang, parse(t, body))
				}
			}
			br := b.browser(t)
			for _, lang := range web.Langs {
				_, body := br.get("/console/sign-in?lang=" + lang)
				if m := leftovers.FindString(body); m != "" {
					t.Errorf("sign-in in %s: unexpanded %q", lang, m)
				}
				checkMarkup(t, "sign-in "+lang, parse(t, body))
			}
		})
	}
}

func TestTheConsoleLanguageIsRememberedOnTheAccount(t *testing.T) {
	t.Parallel()
	for _, d := range storetest.Dialects {
		t.Run(d, func(t *testing.T) {
			t.Parallel()
			b := setupConsole(t, d)
			br := b.operator(t)
			br.get("/console/today?lang=ru")
			_, body := br.get("/console/lookup")
			if htmlLang(parse(t, body)) != "ru" {
				t.Fatal("the chosen language is not kept")
			}
			br.post("/console/sign-out", url.Values{})
			// Another browser, without any cookie of the first.
			other := b.operator(t)
			if _, body := other.get("/console/today"); htmlLang(parse(t, body)) != "ru" {
				t.Fatal("the language is not remembered on the account")
			}
			// aliya has chosen nothing: Kazakh.
			if _, body := b.aliya(t).get("/console/today"); htmlLang(parse(t, body)) != "kk" {
				t.Fatal("one account's language leaked to another")
			}
		})
	}
}

func TestTheConsoleJournalPageSaysWhetherTheJournalVerifies(t *testing.T) {
	t.Parallel()
	for _, d := range storetest.Dialects {
		t.Run(d, func(t *testing.T) {
			t.Parallel()
			b := setupConsole(t, d)
			br := b.aliya(t)
			_, body := br.get("/console/journal?lang=ru")
			status := byID(parse(t, body), "journal-status")
			if v, _ := attr(status, "class"); v != "ok" {
				t.Fatalf("an untouched journal does not verify: %s", text(status))
			}
			// Someone with database access rewrites an entry.
			b.env.Exec(t, "UPDATE journal SET action = ? WHERE seq = ?", "subject.destroy", 3)
			_, body = br.get("/console/journal")
			status = byID(parse(t, body), "journal-status")
			if v, _ := attr(status, "class"); v != "alert" || !strings.Contains(text(status), "№") {
				t.Fatalf("a rewritten journal is shown as %q: %s", v, text(status))
			}
		})
	}
}

// No console page shows the resident's data unless a journaled read is
// behind it: only the lookup (purpose declared) and the request a
// responsible person opens (request.read) show any.
func TestNoConsolePageShowsPersonalDataWithoutAJournaledRead(t *testing.T) {
	t.Parallel()
	for _, d := range storetest.Dialects {
		t.Run(d, func(t *testing.T) {
			t.Parallel()
			b := setupConsole(t, d)
			values := []string{residentIIN, residentPhone, residentName, residentAddr, residentText, "95031", "*** ** 67"}
			for who, br := range map[string]*browser{"responsible": b.aliya(t), "operator": b.operator(t)} {
				for path := range consolePaths(b, who == "responsible") {
					_, before := journalActions(t, b.vault, 0)
					_, body := br.get(path)
					es, _ := journalActions(t, b.vault, before)
					for _, val := range values {
						if !strings.Contains(body, val) {
							continue
						}
						read := slices.ContainsFunc(es, func(e *journal.Entry) bool {
							return e.Outcome == journal.OK && (e.Action == "request.read" || e.Action == journal.SubjectRead)
						})
						if !read {
							t.Errorf("%s %s shows %q without a journaled read", who, path, val)
						}
					}
				}
			}
		})
	}
}

func TestTodayShowsOpenIncidentsAndDestructionsDue(t *testing.T) {
	t.Parallel()
	for _, d := range storetest.Dialects {
		t.Run(d, func(t *testing.T) {
			t.Parallel()
			b := setupConsole(t, d)
			ctx := context.Background()
			id, err := b.vault.ReportIncident(ctx, vault.Actor{ID: "staff:aliya", Role: "responsible"}, "a laptop was lost", nil)
			if err != nil {
				t.Fatal(err)
			}
			soon := time.Now().Add(48 * time.Hour).UnixMicro()
			b.env.Exec(t, "UPDATE records SET retention_end = ?", soon)

			_, body := b.aliya(t).get("/console/today?lang=en")
			doc := parse(t, body)
			inc := byID(doc, "incident-"+id)
			if inc == nil {
				t.Fatalf("Today does not show the open incident:\n%s", body)
			}
			if got := text(inc); !strings.Contains(got, web.T("en", "console.incident.kind.manual")) || !strings.Contains(got, web.T("en", "console.incident.class.suspected")) {
				t.Errorf("the incident line says %q", got)
			}
			if find(inc, func(n *html.Node) bool { return n.Data == "time" }) == nil {
				t.Errorf("the incident line shows no dates: %q", text(inc))
			}
			up := byID(doc, "upcoming-destructions")
			if up == nil || find(up, func(n *html.Node) bool { v, _ := attr(n, "id"); return strings.HasPrefix(v, "due-") }) == nil {
				t.Fatalf("Today does not show the record whose retention ends in two days:\n%s", body)
			}
			if strings.Contains(body, residentName) || strings.Contains(body, "a laptop was lost") {
				t.Error("Today shows personal data or an incident's description")
			}
			// The operator's role sees neither.
			_, body = b.operator(t).get("/console/today")
			if strings.Contains(body, `id="incidents"`) || strings.Contains(body, `id="upcoming-destructions"`) {
				t.Error("the operator sees incidents or destructions")
			}
		})
	}
}

func TestTodayRemindsTheResponsiblePersonOfThePolicyReview(t *testing.T) {
	t.Parallel()
	b := setupConsole(t, "sqlite")
	br := b.aliya(t)
	if _, body := br.get("/console/today"); strings.Contains(body, `id="policy-review"`) {
		t.Fatal("a review more than 30 days away is announced")
	}
	src, err := examples.Files.ReadFile("ikomek/policy.yaml")
	if err != nil {
		t.Fatal(err)
	}
	p, err := policy.Parse("ikomek", src)
	if err != nil {
		t.Fatal(err)
	}
	p.ReviewBy = time.Now().AddDate(0, 0, 10).Format(time.DateOnly)
	src = append(src, "\n# review soon\n"...)
	if _, err := b.vault.Activate(context.Background(), vault.System, p, src); err != nil {
		t.Fatal(err)
	}
	_, body := br.get("/console/today?lang=en")
	review := byID(parse(t, body), "policy-review")
	if review == nil || !strings.Contains(text(review), "less than 30 days") {
		t.Fatalf("no reminder ten days before the review:\n%s", body)
	}
	if _, body := b.operator(t).get("/console/today"); strings.Contains(body, `id="policy-review"`) {
		t.Error("the operator is reminded of the policy review")
	}
}

func TestWithoutAStaffServiceThereIsNoConsole(t *testing.T) {
	t.Parallel()
	b := setup(t, "ikomek", june)
	for _, path := range []string{"/console", "/console/sign-in", "/console/today"} {
		if res, _ := b.get(t, path); res.StatusCode != http.StatusNotFound {
			t.Errorf("%s answers %d", path, res.StatusCode)
		}
	}
}
