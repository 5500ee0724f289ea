package web_test

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/derbes/derbes/consent"
	"github.com/derbes/derbes/kz"
	"github.com/derbes/derbes/notify"
	"github.com/derbes/derbes/proxy"
	"github.com/derbes/derbes/store/storetest"
	"github.com/derbes/derbes/vault"
	"github.com/derbes/derbes/web"
)

// unknownIIN is valid but nobody's; the resident is the console tests'
// (console_test.go).
const unknownIIN = "900101300126"

// outbox keeps what the portal sends.
type outbox struct {
	mu   sync.Mutex
	sent []notify.Message
}

func (o *outbox) Notify(_ context.Context, m notify.Message) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.sent = append(o.sent, m)
	return nil
}

// last waits a little for the newest message to to (codes are sent in the
// background).
func (o *outbox) last(t *testing.T, to string) (notify.Message, bool) {
	t.Helper()
	for range 100 {
		o.mu.Lock()
		for i := len(o.sent) - 1; i >= 0; i-- {
			if o.sent[i].To == to {
				m := o.sent[i]
				o.mu.Unlock()
				return m, true
			}
		}
		o.mu.Unlock()
		time.Sleep(20 * time.Millisecond)
	}
	return notify.Message{}, false
}

func (o *outbox) count() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return len(o.sent)
}

type portalBundle struct {
	srv     *httptest.Server
	raw     *sql.DB
	vault   *vault.Vault
	outbox  *outbox
	logs    *syncBuffer
	subject string
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// portalSetup serves the web face with the portal over a fresh store of
// the dialect, the iKomek policy and one resident with a consent.
func portalSetup(t *testing.T, dialect string, dev bool) *portalBundle {
	t.Helper()
	ctx := context.Background()
	env := storetest.Open(t, dialect)
	src, p := examplePolicy(t, "ikomek")
	v, err := vault.Open(ctx, env.Store, env.Ring)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.Activate(ctx, vault.System, p, src); err != nil {
		t.Fatal(err)
	}
	c, err := v.CreateSubject(ctx, vault.Actor{ID: "apikey:test", Role: "integration"}, vault.NewSubject{
		Category: "applicant", Purpose: "appeals",
		Identifiers: map[string]string{"iin": residentIIN, "phone": residentPhone},
		Consent: &consent.Request{SubjectName: residentName, Purposes: []string{"appeals"}, ThirdParty: true,
			Fields: []string{"iin", "full_name", "phone", "address", "appeal_text"},
			Form:   consent.Form{Kind: consent.FormOther, Reference: "109 call recording"}},
		Record: &vault.NewRecord{Channel: "call-109", Ground: "consent", Fields: map[string]string{
			"full_name": residentName, "appeal_text": residentText}},
	})
	if err != nil {
		t.Fatal(err)
	}
	ob := &outbox{}
	logs := &syncBuffer{}
	h := web.New(v, env.Store, slog.New(slog.NewJSONHandler(logs, nil)), web.Options{Notifier: ob, Development: dev})
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &portalBundle{srv: srv, raw: env.Raw, vault: v, outbox: ob, logs: logs, subject: c.Subject}
}

// eachStore runs a portal test on every store.
func eachStore(t *testing.T, fn func(t *testing.T, dialect string)) {
	t.Parallel()
	for _, d := range storetest.Dialects {
		t.Run(d, func(t *testing.T) {
			t.Parallel()
			fn(t, d)
		})
	}
}

// phone is a client with cookies, as a resident's phone.
type phone struct {
	t      *testing.T
	b      *portalBundle
	client *http.Client
}

func (b *portalBundle) browser(t *testing.T) *phone {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &phone{t: t, b: b, client: &http.Client{Jar: jar}}
}

func (br *phone) get(path string) (int, string) {
	br.t.Helper()
	res, err := br.client.Get(br.b.srv.URL + path)
	if err != nil {
		br.t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(body)
}

func (br *phone) post(path string, form url.Values) (int, string) {
	br.t.Helper()
	res, err := br.client.PostForm(br.b.srv.URL+path, form)
	if err != nil {
		br.t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(body)
}

var (
	challengeRe = regexp.MustCompile(`name="challenge" value="([^"]+)"`)
	csrfRe      = regexp.MustCompile(`name="csrf" value="([^"]+)"`)
	digitsRe    = regexp.MustCompile(`\b\d{6}\b`)
	maskRe      = regexp.MustCompile(`<span class="masked">[^<]*</span>`)
)

func match(t *testing.T, re *regexp.Regexp, body string) string {
	t.Helper()
	m := re.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no %s in:\n%s", re, body)
	}
	return m[len(m)-1]
}

// askCode goes through the IIN and channel forms and returns the code page.
func (br *phone) askCode(iin string) (int, string) {
	br.t.Helper()
	if st, body := br.post("/portal/channels?lang=en", url.Values{"iin": {iin}}); st != http.StatusOK {
		br.t.Fatalf("channels: %d\n%s", st, body)
	}
	return br.post("/portal/code?lang=en", url.Values{"iin": {iin}, "channel": {"phone"}})
}

// signIn signs the resident in with the code from her phone and returns
// the data page.
func (br *phone) signIn() string {
	br.t.Helper()
	st, body := br.askCode(residentIIN)
	if st != http.StatusOK {
		br.t.Fatalf("code: %d\n%s", st, body)
	}
	m, ok := br.b.outbox.last(br.t, residentPhone)
	if !ok {
		br.t.Fatal("no code was sent to her phone")
	}
	code := match(br.t, digitsRe, m.Body)
	st, body = br.post("/portal/sign-in?lang=en", url.Values{"challenge": {match(br.t, challengeRe, body)}, "code": {code}})
	if st != http.StatusOK || !strings.Contains(body, residentText) {
		br.t.Fatalf("after sign-in: %d\n%s", st, body)
	}
	return body
}

func TestAResidentSignsInSeesHerDataAndWithdrawsHerConsent(t *testing.T) {
	eachStore(t, func(t *testing.T, dialect string) {
		b := portalSetup(t, dialect, false)
		br := b.browser(t)
		body := br.signIn()
		for _, want := range []string{residentName, residentIIN, "&#43;77011234567", "Withdraw this consent", "in force"} {
			if !strings.Contains(body, want) {
				t.Errorf("the data page lacks %q:\n%s", want, body)
			}
		}
		if strings.Contains(b.logs.String(), residentName) || strings.Contains(b.logs.String(), residentPhone) {
			t.Fatal("personal data in the log")
		}
		// The session cookie is HttpOnly, SameSite=Strict, for /portal.
		res, err := http.PostForm(b.srv.URL+"/portal/sign-in", url.Values{})
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		id := match(t, regexp.MustCompile(`id="consent-([0-9a-f-]{36})"`), body)
		st, confirm := br.get("/portal/consents/" + id + "/withdraw?lang=en")
		if st != http.StatusOK || !strings.Contains(confirm, "Yes, withdraw my consent") {
			t.Fatalf("confirmation: %d\n%s", st, confirm)
		}
		// Without the form's token nothing happens.
		if st, _ := br.post("/portal/consents/"+id+"/withdraw?lang=en", url.Values{}); st != http.StatusForbidden {
			t.Fatalf("a withdrawal without the CSRF token: %d", st)
		}
		st, after := br.post("/portal/consents/"+id+"/withdraw?lang=en", url.Values{"csrf": {match(t, csrfRe, confirm)}})
		if st != http.StatusOK || !strings.Contains(after, "Your consent is withdrawn") || !strings.Contains(after, `<dd class="consent-state">withdrawn</dd>`) {
			t.Fatalf("after withdrawal: %d\n%s", st, after)
		}
		if strings.Contains(after, "Withdraw this consent") {
			t.Fatal("a withdrawn consent still offers withdrawal")
		}

		// A request for correction, and the letter.
		st, form := br.get("/portal/requests/new?kind=correction&lang=en")
		if st != http.StatusOK {
			t.Fatalf("request form: %d", st)
		}
		csrf := match(t, csrfRe, form)
		if st, _ := br.post("/portal/requests?lang=en", url.Values{"csrf": {csrf}, "kind": {"correction"}}); st != http.StatusUnprocessableEntity {
			t.Fatalf("a correction without words: %d", st)
		}
		st, sent := br.post("/portal/requests?lang=en", url.Values{"csrf": {csrf}, "kind": {"correction"}, "text": {"My address is wrong"}})
		if st != http.StatusOK || !strings.Contains(sent, "Answer due by") {
			t.Fatalf("request: %d\n%s", st, sent)
		}
		if _, data := br.get("/portal/data?lang=en"); !strings.Contains(data, "<strong>Correct my data</strong>: received") || !strings.Contains(data, "in progress") {
			t.Fatalf("her request is not listed:\n%s", data)
		}
		res, err = br.client.PostForm(b.srv.URL+"/portal/letter?lang=en", url.Values{"csrf": {csrf}})
		if err != nil {
			t.Fatal(err)
		}
		pdf, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "application/pdf" || !bytes.HasPrefix(pdf, []byte("%PDF")) {
			t.Fatalf("letter: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
		}

		// Signing out ends the session on the server too.
		if st, _ := br.post("/portal/sign-out", url.Values{"csrf": {csrf}}); st != http.StatusOK {
			t.Fatalf("sign-out: %d", st)
		}
		if _, body := br.get("/portal/data"); strings.Contains(body, residentText) {
			t.Fatal("the data page after sign-out")
		}
	})
}

func TestTheSessionCookieIsHttpOnlyStrictAndForThePortal(t *testing.T) {
	t.Parallel()
	b := portalSetup(t, "sqlite", false)
	br := b.browser(t)
	_, body := br.askCode(residentIIN)
	m, _ := b.outbox.last(t, residentPhone)
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := client.PostForm(b.srv.URL+"/portal/sign-in", url.Values{"challenge": {match(t, challengeRe, body)}, "code": {match(t, digitsRe, m.Body)}})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	c := res.Header.Get("Set-Cookie")
	for _, want := range []string{web.PortalCookie + "=", "Path=/portal", "HttpOnly", "SameSite=Strict"} {
		if !strings.Contains(c, want) {
			t.Errorf("Set-Cookie %q lacks %s", c, want)
		}
	}
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/portal/data" {
		t.Fatalf("sign-in answered %d to %q", res.StatusCode, res.Header.Get("Location"))
	}
}

func TestAWrongCodeIsRefusedAndTheFormAsksAgain(t *testing.T) {
	eachStore(t, func(t *testing.T, dialect string) {
		b := portalSetup(t, dialect, false)
		br := b.browser(t)
		_, body := br.askCode(residentIIN)
		m, _ := b.outbox.last(t, residentPhone)
		wrong := "000000"
		if strings.Contains(m.Body, wrong) {
			wrong = "111111"
		}
		st, again := br.post("/portal/sign-in?lang=en", url.Values{"challenge": {match(t, challengeRe, body)}, "code": {wrong}})
		if st != http.StatusUnprocessableEntity || !strings.Contains(again, "The code is wrong") || !strings.Contains(again, `name="code"`) {
			t.Fatalf("wrong code: %d\n%s", st, again)
		}
		if st, _ := br.get("/portal/data"); st != http.StatusOK {
			t.Fatal(st)
		}
		if _, page := br.get("/portal/data"); strings.Contains(page, residentText) {
			t.Fatal("signed in with a wrong code")
		}
		// A made-up challenge is an expired code: ask for a new one.
		st, start := br.post("/portal/sign-in?lang=en", url.Values{"challenge": {"0190f0a0-0000-7000-8000-000000000000"}, "code": {"123456"}})
		if st != http.StatusUnprocessableEntity || !strings.Contains(start, "ask for a new one") {
			t.Fatalf("an unknown challenge: %d\n%s", st, start)
		}
	})
}

func TestAnUnknownIINGetsTheSamePagesAsAKnownOne(t *testing.T) {
	eachStore(t, func(t *testing.T, dialect string) {
		b := portalSetup(t, dialect, false)
		pages := func(iin string) (string, string) {
			br := b.browser(t)
			start := time.Now()
			st1, channels := br.post("/portal/channels?lang=ru", url.Values{"iin": {iin}})
			took := time.Since(start)
			st2, code := br.post("/portal/code?lang=ru", url.Values{"iin": {iin}, "channel": {"email"}})
			if st1 != http.StatusOK || st2 != http.StatusOK {
				t.Fatalf("%s: %d, %d", iin, st1, st2)
			}
			// Nor the time: a known IIN's extra work hides under the floor.
			if took < web.PortalFloor || time.Since(start)-took < web.PortalFloor {
				t.Errorf("%s: answered in %s and %s, sooner than %s", iin, took, time.Since(start)-took, web.PortalFloor)
			}
			// Only the masks, the IIN typed and the challenge may differ.
			norm := func(s string) string {
				s = maskRe.ReplaceAllString(s, "MASK")
				s = strings.ReplaceAll(s, iin, "IIN")
				s = challengeRe.ReplaceAllString(s, "CHALLENGE")
				return regexp.MustCompile(`(name="masked" value=")[^"]*|на [^ ]+@[^ <]+`).ReplaceAllString(s, "$1MASKED")
			}
			return norm(channels), norm(code)
		}
		kc, kcode := pages(residentIIN)
		uc, ucode := pages(unknownIIN)
		if kc != uc {
			t.Errorf("the channel pages differ:\nknown:\n%s\nunknown:\n%s", kc, uc)
		}
		if kcode != ucode {
			t.Errorf("the code pages differ:\nknown:\n%s\nunknown:\n%s", kcode, ucode)
		}
		// She has no e-mail on file and the unknown IIN none at all:
		// nothing went anywhere.
		time.Sleep(100 * time.Millisecond)
		if n := b.outbox.count(); n != 0 {
			t.Fatalf("%d messages sent", n)
		}
	})
}

func TestCodesAreLimitedPerClientAddress(t *testing.T) {
	t.Parallel()
	b := portalSetup(t, "sqlite", false)
	br := b.browser(t)
	// Different IINs, so that the per-IIN limit of the vault is not
	// what stops them.
	iins := []string{residentIIN, unknownIIN, "900115301235", "950312405676", "040540123456"}
	limited := 0
	for i := range 12 {
		st, body := br.post("/portal/code?lang=en", url.Values{"iin": {iins[i%len(iins)]}, "channel": {"phone"}})
		switch st {
		case http.StatusOK:
		case http.StatusTooManyRequests:
			if !strings.Contains(body, "Too many attempts") {
				t.Fatalf("429 page:\n%s", body)
			}
			limited++
		case http.StatusUnprocessableEntity:
			// an IIN that does not pass the check digit: not counted here
		default:
			t.Fatalf("code %d: %d", i+1, st)
		}
	}
	if limited != 2 {
		t.Fatalf("%d of 12 codes refused; want the last 2 (10 per address)", limited)
	}
}

// Behind a reverse proxy every resident's connection comes from the proxy:
// with the proxy trusted, each resident keeps her own limit, and a client
// that writes X-Forwarded-For itself, not through a trusted proxy, gains
// nothing by it.
func TestBehindATrustedProxyEachClientHasHerOwnLimit(t *testing.T) {
	t.Parallel()
	b := portalSetup(t, "sqlite", false)
	trusted, err := proxy.Parse([]string{"127.0.0.0/8", "::1"}) // the test's proxy is this process
	if err != nil {
		t.Fatal(err)
	}
	lb := httptest.NewServer(trusted.Handler(b.srv.Config.Handler))
	t.Cleanup(lb.Close)
	// Enough valid IINs that the vault's limit per IIN never decides.
	var iins []string
	for n := 0; len(iins) < 12; n++ {
		if iin, err := kz.ParseIIN(fmt.Sprintf("900115300%03d", n)); err == nil {
			iins = append(iins, iin)
		}
	}
	ask := func(base, from string, i int) int {
		t.Helper()
		req, _ := http.NewRequest("POST", base+"/portal/code?lang=en", strings.NewReader(url.Values{"iin": {iins[i%len(iins)]}, "channel": {"phone"}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("X-Forwarded-For", from)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	for i := range 10 {
		if st := ask(lb.URL, "198.51.100.1", i); st != http.StatusOK {
			t.Fatalf("code %d from the first resident: %d", i+1, st)
		}
	}
	if st := ask(lb.URL, "198.51.100.1", 10); st != http.StatusTooManyRequests {
		t.Fatalf("the first resident's 11th code: %d", st)
	}
	if st := ask(lb.URL, "198.51.100.2", 0); st != http.StatusOK {
		t.Fatalf("a second resident behind the same proxy is refused: %d", st)
	}
	// Straight to derbes, where the peer is not a trusted proxy, the
	// header is ignored: new addresses in it do not reset the limit.
	limited := 0
	for i := range 12 {
		if ask(b.srv.URL, fmt.Sprintf("203.0.113.%d", i), i) == http.StatusTooManyRequests {
			limited++
		}
	}
	if limited != 2 {
		t.Fatalf("%d of 12 codes with forged X-Forwarded-For refused; want 2", limited)
	}
}

// A proxy that terminates TLS says so in X-Forwarded-Proto: cookies are
// then Secure and HSTS is sent, as if derbes served HTTPS itself.
func TestCookiesAreSecureBehindATrustedTLSProxy(t *testing.T) {
	t.Parallel()
	b := portalSetup(t, "sqlite", false)
	trusted, _ := proxy.Parse([]string{"127.0.0.0/8", "::1"})
	lb := httptest.NewServer(trusted.Handler(b.srv.Config.Handler))
	t.Cleanup(lb.Close)
	get := func(base, proto string) *http.Response {
		t.Helper()
		req, _ := http.NewRequest("GET", base+"/portal?lang=kk", nil)
		req.Header.Set("X-Forwarded-Proto", proto)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res
	}
	res := get(lb.URL, "https")
	if c := res.Header.Get("Set-Cookie"); !strings.Contains(c, web.LangCookie+"=kk") || !strings.Contains(c, "; Secure") {
		t.Errorf("behind a TLS proxy, Set-Cookie %q", c)
	}
	if res.Header.Get("Strict-Transport-Security") == "" {
		t.Error("behind a TLS proxy, no HSTS")
	}
	for _, res := range []*http.Response{get(lb.URL, "http"), get(b.srv.URL, "https")} {
		if c := res.Header.Get("Set-Cookie"); strings.Contains(c, "Secure") || res.Header.Get("Strict-Transport-Security") != "" {
			t.Errorf("over plain HTTP (or a forged header), Set-Cookie %q, HSTS %q", c, res.Header.Get("Strict-Transport-Security"))
		}
	}
}

func TestTheVaultLimitsCodesPerIINThroughThePortal(t *testing.T) {
	eachStore(t, func(t *testing.T, dialect string) {
		for _, iin := range []string{residentIIN, unknownIIN} {
			// A server for each, to stay under the limit per address.
			b := portalSetup(t, dialect, false)
			statuses := []int{}
			for range vault.PortalCodesPerHour + 1 {
				st, _ := b.browser(t).post("/portal/code?lang=en", url.Values{"iin": {iin}, "channel": {"phone"}})
				statuses = append(statuses, st)
			}
			if statuses[vault.PortalCodesPerHour] != http.StatusTooManyRequests {
				t.Fatalf("%s: %v", iin, statuses)
			}
		}
	})
}

func TestInDevelopmentTheCodeGoesToTheLogAndNowhereElse(t *testing.T) {
	t.Parallel()
	b := portalSetup(t, "sqlite", true)
	b.browser(t).askCode(residentIIN)
	if !regexp.MustCompile(`"code":"\d{6}"`).MatchString(b.logs.String()) {
		t.Fatalf("no code in the development log:\n%s", b.logs.String())
	}
	time.Sleep(100 * time.Millisecond)
	if b.outbox.count() != 0 {
		t.Fatal("a code was sent in development mode")
	}
	prod := portalSetup(t, "sqlite", false)
	prod.browser(t).askCode(residentIIN)
	if _, ok := prod.outbox.last(t, residentPhone); !ok {
		t.Fatal("no code sent")
	}
	if strings.Contains(prod.logs.String(), `"code"`) {
		t.Fatalf("a code in the production log:\n%s", prod.logs.String())
	}
}

func TestEveryPortalPageIsTranslated(t *testing.T) {
	t.Parallel()
	b := portalSetup(t, "sqlite", false)
	br := b.browser(t)
	data := br.signIn()
	id := match(t, regexp.MustCompile(`id="consent-([0-9a-f-]{36})"`), data)
	csrf := match(t, csrfRe, data)
	anon := b.browser(t)
	var challenge string
	for _, lang := range web.Langs {
		q := "?lang=" + lang
		type visit struct {
			name string
			do   func() (int, string)
		}
		visits := []visit{
			{"start", func() (int, string) { return anon.get("/portal" + q) }},
			{"start with a bad IIN", func() (int, string) { return anon.post("/portal/channels"+q, url.Values{"iin": {"123"}}) }},
			{"channels", func() (int, string) { return anon.post("/portal/channels"+q, url.Values{"iin": {unknownIIN}}) }},
			{"code", func() (int, string) {
				st, page := anon.post("/portal/code"+q, url.Values{"iin": {unknownIIN}, "channel": {"phone"}})
				challenge = match(t, challengeRe, page)
				return st, page
			}},
			{"wrong code", func() (int, string) {
				return anon.post("/portal/sign-in"+q, url.Values{"challenge": {challenge}, "code": {"123456"}})
			}},
			{"expired code", func() (int, string) {
				return anon.post("/portal/sign-in"+q, url.Values{"challenge": {"x"}, "code": {"123456"}})
			}},
			{"signed out", func() (int, string) { return anon.get("/portal?signed_out=1&lang=" + lang) }},
			{"data", func() (int, string) { return br.get("/portal/data" + q) }},
			{"data after withdrawal", func() (int, string) { return br.get("/portal/data" + q + "&done=withdrawn") }},
			{"withdraw", func() (int, string) { return br.get("/portal/consents/" + id + "/withdraw" + q) }},
			{"no such consent", func() (int, string) {
				return br.get("/portal/consents/0190f0a0-0000-7000-8000-000000000000/withdraw" + q)
			}},
			{"request form", func() (int, string) { return br.get("/portal/requests/new" + q) }},
			{"request without words", func() (int, string) {
				return br.post("/portal/requests"+q, url.Values{"csrf": {csrf}, "kind": {"correction"}})
			}},
			{"request sent", func() (int, string) {
				return br.post("/portal/requests"+q, url.Values{"csrf": {csrf}, "kind": {"blocking"}})
			}},
			{"forged form", func() (int, string) { return br.post("/portal/requests"+q, url.Values{"kind": {"blocking"}}) }},
		}
		for _, v := range visits {
			st, body := v.do()
			if st >= 500 {
				t.Errorf("%s %s: %d", lang, v.name, st)
			}
			if m := regexp.MustCompile(`⟦missing:[^⟧]*⟧`).FindAllString(body, -1); m != nil {
				t.Errorf("%s %s: %v", lang, v.name, m)
			}
			if !strings.Contains(body, `<html lang="`+lang+`">`) {
				t.Errorf("%s %s: not in %s", lang, v.name, lang)
			}
			if strings.Contains(body, "<script") || strings.Contains(body, " style=") {
				t.Errorf("%s %s: inline script or style", lang, v.name)
			}
		}
	}
}

func TestThePortalIsAbsentWithoutANotifier(t *testing.T) {
	t.Parallel()
	b := setup(t, "ikomek", june)
	if res, _ := b.get(t, "/portal"); res.StatusCode != http.StatusNotFound {
		t.Fatalf("GET /portal without a notifier: %d", res.StatusCode)
	}
}

func TestAnExpiredCodeSendsHerBackToAskForANewOne(t *testing.T) {
	eachStore(t, func(t *testing.T, dialect string) {
		b := portalSetup(t, dialect, false)
		br := b.browser(t)
		_, body := br.askCode(residentIIN)
		m, _ := b.outbox.last(t, residentPhone)
		// Ten minutes pass.
		if _, err := b.raw.Exec("UPDATE portal_codes SET expires_at = created_at"); err != nil {
			t.Fatal(err)
		}
		st, page := br.post("/portal/sign-in?lang=en", url.Values{"challenge": {match(t, challengeRe, body)}, "code": {match(t, digitsRe, m.Body)}})
		if st != http.StatusUnprocessableEntity || !strings.Contains(page, "The code has expired") || !strings.Contains(page, `id="iin"`) {
			t.Fatalf("an expired code: %d\n%s", st, page)
		}
		if _, data := br.get("/portal/data"); strings.Contains(data, residentText) {
			t.Fatal("signed in with an expired code")
		}
	})
}

func TestIINsTypedAreLimitedPerClientAddress(t *testing.T) {
	t.Parallel()
	b := portalSetup(t, "sqlite", false)
	br := b.browser(t)
	for i := range 30 {
		if st, _ := br.post("/portal/channels?lang=en", url.Values{"iin": {unknownIIN}}); st != http.StatusOK {
			t.Fatalf("lookup %d: %d", i+1, st)
		}
	}
	if st, _ := br.post("/portal/channels?lang=en", url.Values{"iin": {unknownIIN}}); st != http.StatusTooManyRequests {
		t.Fatalf("the 31st lookup: %d", st)
	}
}

func TestAReloadedSignInStepStartsAgain(t *testing.T) {
	t.Parallel()
	b := portalSetup(t, "sqlite", false)
	st, body := b.browser(t).get("/portal/code?lang=ru")
	if st != http.StatusOK || !strings.Contains(body, `id="iin"`) || !strings.Contains(body, `<html lang="ru">`) {
		t.Fatalf("GET /portal/code: %d", st)
	}
}

func TestACodeWithoutAChannelAsksForOne(t *testing.T) {
	t.Parallel()
	b := portalSetup(t, "sqlite", false)
	st, body := b.browser(t).post("/portal/code?lang=en", url.Values{"iin": {residentIIN}})
	if st != http.StatusOK || !strings.Contains(body, `id="channel-form"`) {
		t.Fatalf("no channel: %d\n%s", st, body)
	}
	time.Sleep(100 * time.Millisecond)
	if b.outbox.count() != 0 {
		t.Fatal("a code was sent without a channel")
	}
}
