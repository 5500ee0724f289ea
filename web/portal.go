package web

import (
	"context"
	"errors"
	"html/template"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/derbes/derbes/notify"
	"github.com/derbes/derbes/policy"
	"github.com/derbes/derbes/request"
	"github.com/derbes/derbes/vault"
)

// The subject portal (/portal): a resident signs in with a one-time code
// sent to a contact on file, sees what is held about her, withdraws a
// consent and makes requests. Every page that shows her data rests on a
// journaled read (vault.PortalHeld). README.md lists the routes.

// portalState is what the portal keeps in the process.
type portalState struct {
	lookups *limiter // IINs typed, per client address
	codes   *limiter // codes asked, per client address
	tries   *limiter // codes tried, per client address
}

// portalPages are the portal's templates, each with portal_layout.html.
var portalPages = []string{"portal_start", "portal_channels", "portal_code", "portal_data", "portal_withdraw", "portal_request", "portal_sent", "portal_error"}

// parsePortal parses the portal's pages.
func (s *server) parsePortal() {
	s.portal = &portalState{lookups: newLimiter(portalLookupsPerAddress, portalWindow),
		codes: newLimiter(portalCodesPerAddress, portalWindow), tries: newLimiter(portalTriesPerAddress, portalWindow)}
	for _, name := range portalPages {
		s.pages[name] = template.Must(template.ParseFS(templateFiles, "templates/portal_layout.html", "templates/"+name+".html"))
	}
}

// portalRoutes registers the portal. Without a notifier there is no way to
// send codes, and the portal is absent (404).
func (s *server) portalRoutes() {
	if s.opts.Notifier == nil {
		return
	}
	s.mux.HandleFunc("GET /portal", s.portalStart)
	s.mux.HandleFunc("POST /portal/channels", s.portalChannels)
	s.mux.HandleFunc("POST /portal/code", s.portalCode)
	s.mux.HandleFunc("POST /portal/sign-in", s.portalSignIn)
	s.mux.HandleFunc("POST /portal/sign-out", s.portalSignOut)
	s.mux.HandleFunc("GET /portal/data", s.signedIn(s.portalData))
	s.mux.HandleFunc("GET /portal/consents/{id}/withdraw", s.signedIn(s.portalWithdrawForm))
	s.mux.HandleFunc("POST /portal/consents/{id}/withdraw", s.signedIn(s.portalWithdraw))
	s.mux.HandleFunc("GET /portal/requests/new", s.signedIn(s.portalRequestForm))
	s.mux.HandleFunc("POST /portal/requests", s.signedIn(s.portalRequest))
	s.mux.HandleFunc("POST /portal/letter", s.signedIn(s.portalLetter))
	// A step of the sign-in reloaded, or bookmarked: start again.
	s.mux.HandleFunc("GET /portal/{step}", s.portalRestart)
}

func (s *server) portalRestart(w http.ResponseWriter, r *http.Request) {
	lang, _ := pickLang(r)
	http.Redirect(w, r, "/portal?lang="+lang, http.StatusSeeOther)
}

// portalPage starts a portal page; Nav holds the CSRF token of a signed-in
// resident (the layout's sign-out form uses it).
func (s *server) portalPage(w http.ResponseWriter, r *http.Request, title string) *page {
	p := s.newPage(w, r, "portal")
	p.Title = p.T(title)
	w.Header().Set("Cache-Control", "no-store")
	return p
}

// portalSession is the signed-in resident of a request.
type portalSession struct {
	Subject string
	Token   string
	CSRF    string
}

// signedIn runs h for a signed-in resident and sends anyone else to the
// sign-in page. State-changing requests must carry the session's CSRF
// token.
func (s *server) signedIn(h func(http.ResponseWriter, *http.Request, *page, portalSession)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		sub, tok, ok := s.portalSession(r)
		if !ok {
			clearPortalCookie(w, r)
			http.Redirect(w, r, "/portal", http.StatusSeeOther)
			return
		}
		sess := portalSession{Subject: sub, Token: tok, CSRF: portalCSRF(tok)}
		p := s.portalPage(w, r, "portal.title")
		p.Data = sess // until the handler sets its own; the layout reads .Session
		if r.Method == http.MethodPost && !csrfOK(r, tok) {
			s.portalProblem(w, r, p, http.StatusForbidden, "portal.error.csrf")
			return
		}
		h(w, r, p, sess)
	}
}

// portalView wraps a page's data with the session for the layout.
type portalView struct {
	Session *portalSession
	View    any
}

func (s *server) portalRender(w http.ResponseWriter, r *http.Request, status int, name string, p *page, sess *portalSession, v any) {
	p.Data = portalView{Session: sess, View: v}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		// The answer to a form has no address to reload: switching
		// language goes to the portal's start in that language.
		for i := range p.Langs {
			p.Langs[i].URL = "/portal?lang=" + p.Langs[i].Lang
		}
	}
	s.render(w, r, status, name, p)
}

// portalProblem answers with the portal's error page.
func (s *server) portalProblem(w http.ResponseWriter, r *http.Request, p *page, status int, key string) {
	var sess *portalSession
	if x, ok := p.Data.(portalSession); ok {
		sess = &x
	}
	p.Title = p.T(key)
	s.portalRender(w, r, status, "portal_error", p, sess, key)
}

// startView is the sign-in form.
type startView struct {
	IIN    string
	Error  string
	Notice string
}

func (s *server) portalStart(w http.ResponseWriter, r *http.Request) {
	if _, _, ok := s.portalSession(r); ok {
		http.Redirect(w, r, "/portal/data", http.StatusSeeOther)
		return
	}
	p := s.portalPage(w, r, "portal.start.title")
	v := startView{}
	if r.URL.Query().Get("signed_out") != "" {
		v.Notice = "portal.notice.signed_out"
	}
	s.portalRender(w, r, http.StatusOK, "portal_start", p, nil, v)
}

// channelsView offers the channels a code can go by.
type channelsView struct {
	IIN      string
	Channels []vault.PortalChannel
}

// PortalFloor is the least time the answers to an IIN typed take. Whether
// an IIN belongs to someone the operator holds data about is itself
// personal data (that she appealed to the centre, say): the pages already
// read the same for a known and an unknown IIN, and this keeps the time
// from telling either, since a known IIN costs the vault more work (her
// data key, her contacts decrypted).
const PortalFloor = 200 * time.Millisecond

// evenOut waits until PortalFloor has passed since start.
func evenOut(ctx context.Context, start time.Time) {
	t := time.NewTimer(PortalFloor - time.Since(start))
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

func (s *server) portalChannels(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	p := s.portalPage(w, r, "portal.start.title")
	if !s.portal.lookups.allow(clientAddress(r), s.now()) {
		s.portalProblem(w, r, p, http.StatusTooManyRequests, "portal.error.too_many")
		return
	}
	iin := strings.TrimSpace(r.PostFormValue("iin"))
	chans, err := s.vault.PortalChannels(r.Context(), iin)
	evenOut(r.Context(), start)
	if _, bad := vault.AsProblem(err); bad {
		s.portalRender(w, r, http.StatusUnprocessableEntity, "portal_start", p, nil, startView{IIN: iin, Error: "portal.error.iin"})
		return
	}
	if err != nil {
		s.fail(w, r, p, err)
		return
	}
	p.Title = p.T("portal.channels.title")
	s.portalRender(w, r, http.StatusOK, "portal_channels", p, nil, channelsView{IIN: iin, Channels: chans})
}

// codeView is the form for the code just sent.
type codeView struct {
	Challenge string
	Masked    string
	Error     string
}

func (s *server) portalCode(w http.ResponseWriter, r *http.Request) {
	p := s.portalPage(w, r, "portal.code.title")
	if !s.portal.codes.allow(clientAddress(r), s.now()) {
		s.portalProblem(w, r, p, http.StatusTooManyRequests, "portal.error.too_many")
		return
	}
	iin, channel := strings.TrimSpace(r.PostFormValue("iin")), r.PostFormValue("channel")
	start := time.Now()
	c, err := s.vault.PortalSendCode(r.Context(), iin, channel)
	evenOut(r.Context(), start)
	if pr, bad := vault.AsProblem(err); bad {
		if pr.Field == "channel" {
			// No channel chosen: the choice again.
			s.portalChannels(w, r)
			return
		}
		s.portalRender(w, r, http.StatusUnprocessableEntity, "portal_start", p, nil, startView{IIN: iin, Error: "portal.error.iin"})
		return
	}
	if errors.Is(err, vault.ErrPortalTooMany) {
		s.portalProblem(w, r, p, http.StatusTooManyRequests, "portal.error.too_many")
		return
	}
	if err != nil {
		s.fail(w, r, p, err)
		return
	}
	if c.To != "" {
		s.sendCode(r.Context(), p.Lang, c)
	}
	s.portalRender(w, r, http.StatusOK, "portal_code", p, nil, codeView{Challenge: c.Challenge, Masked: c.Masked})
}

// sendCode sends a code in the background, so that the answer takes as
// long whether or not there was anyone to send it to. In development the
// code goes to the log instead, and only then.
func (s *server) sendCode(ctx context.Context, lang string, c *vault.PortalCode) {
	if s.opts.Development {
		s.log.LogAttrs(ctx, slog.LevelInfo, "portal: one-time code (development mode: not sent)",
			slog.String("to", c.Masked), slog.String("code", c.Code))
		return
	}
	m := notify.Message{Kind: "portal-code", Ref: c.Challenge, To: c.To, Lang: lang,
		Subject: T(lang, "portal.code.message_subject"), Body: tf(lang, "portal.code.message", c.Code)}
	go func() {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
		defer cancel()
		if err := s.opts.Notifier.Notify(ctx, m); err != nil {
			// The error names no address (notify.Notifier's contract).
			s.log.LogAttrs(ctx, slog.LevelError, "portal: sending a one-time code", slog.String("challenge", c.Challenge), slog.String("error", err.Error()))
		}
	}()
}

func (s *server) portalSignIn(w http.ResponseWriter, r *http.Request) {
	p := s.portalPage(w, r, "portal.code.title")
	if !s.portal.tries.allow(clientAddress(r), s.now()) {
		s.portalProblem(w, r, p, http.StatusTooManyRequests, "portal.error.too_many")
		return
	}
	challenge, masked := r.PostFormValue("challenge"), r.PostFormValue("masked")
	tok, err := s.vault.PortalSignIn(r.Context(), challenge, r.PostFormValue("code"))
	switch {
	case errors.Is(err, vault.ErrPortalCodeWrong):
		s.portalRender(w, r, http.StatusUnprocessableEntity, "portal_code", p, nil, codeView{Challenge: challenge, Masked: masked, Error: "portal.error.code_wrong"})
		return
	case errors.Is(err, vault.ErrPortalCodeExpired):
		s.portalRender(w, r, http.StatusUnprocessableEntity, "portal_start", p, nil, startView{Error: "portal.error.code_expired"})
		return
	case err != nil:
		s.fail(w, r, p, err)
		return
	}
	setPortalCookie(w, r, tok)
	http.Redirect(w, r, "/portal/data", http.StatusSeeOther)
}

func (s *server) portalSignOut(w http.ResponseWriter, r *http.Request) {
	if _, tok, ok := s.portalSession(r); ok {
		if !csrfOK(r, tok) {
			s.portalProblem(w, r, s.portalPage(w, r, "portal.title"), http.StatusForbidden, "portal.error.csrf")
			return
		}
		if err := s.vault.PortalSignOut(r.Context(), tok); err != nil {
			s.fail(w, r, nil, err)
			return
		}
	}
	clearPortalCookie(w, r)
	http.Redirect(w, r, "/portal?signed_out=1", http.StatusSeeOther)
}

// dataView is what is held about the resident.
type dataView struct {
	Records   []heldView
	Transfers []transferView
	Consents  []consentView
	Requests  []portalRequestLine
	Notice    string
}

// portalRequestLine is one of her requests.
type portalRequestLine struct {
	ID, Kind, State, Outcome string
	Received                 date
	Due                      *date
	Overdue                  bool
}

type heldView struct {
	Identifiers bool
	Purpose     string
	Ground      string
	Channel     string
	Collected   date
	State       string
	Retention   string
	End         string
	Data        []fieldView
	Recipients  []string
}

type fieldView struct{ Title, Value string }

type transferView struct {
	Recipient, Purpose, Ground, Country string
	At                                  date
	Fields                              []string
}

type consentView struct {
	ID       string
	Live     bool
	State    string
	Purposes []string
	Fields   []string
	Given    date
	Ended    *date
	Due      *date
}

func (s *server) portalData(w http.ResponseWriter, r *http.Request, p *page, sess portalSession) {
	held, err := s.vault.PortalHeld(r.Context(), sess.Subject)
	if err != nil {
		s.portalVaultError(w, r, p, err)
		return
	}
	p.Title = p.T("portal.data.title")
	v := buildData(p.Lang, s.vault.Policy().Policy, held)
	switch r.URL.Query().Get("done") {
	case "withdrawn", "request":
		v.Notice = "portal.notice." + r.URL.Query().Get("done")
	}
	s.portalRender(w, r, http.StatusOK, "portal_data", p, &sess, v)
}

func buildData(lang string, pol *policy.Policy, held *vault.PortalView) dataView {
	var v dataView
	title := func(t policy.Text, id string) string {
		if x := t.In(lang); x != "" {
			return x
		}
		return id
	}
	for _, h := range held.Held {
		hv := heldView{Identifiers: h.Record == "identifiers", Collected: formatDate(lang, h.Collected.In(zone)), State: T(lang, "portal.state."+h.State)}
		if !hv.Identifiers {
			hv.Purpose, hv.Ground, hv.Channel = title(h.Purpose.Title, h.Purpose.ID), title(h.Ground.Title, h.Ground.ID), title(h.Channel.Title, h.Channel.ID)
			if pu, ok := pol.Purpose(h.Purpose.ID); ok {
				hv.Retention, hv.End = retention(lang, pu.Retention), T(lang, "then."+pu.Retention.Then)
			}
			for _, rc := range h.Recipients {
				hv.Recipients = append(hv.Recipients, title(rc.Title, rc.ID))
			}
		}
		data := slices.Clone(h.Data)
		pos := func(id string) int {
			return slices.IndexFunc(pol.Fields, func(f policy.Field) bool { return f.ID == id })
		}
		slices.SortStableFunc(data, func(a, b request.HeldField) int { return pos(a.ID) - pos(b.ID) })
		for _, f := range data {
			hv.Data = append(hv.Data, fieldView{Title: title(f.Title, f.ID), Value: f.Value})
		}
		v.Records = append(v.Records, hv)
	}
	for _, x := range held.Transfers {
		tv := transferView{Recipient: title(x.Recipient.Title, x.Recipient.ID), Purpose: title(x.Purpose.Title, x.Purpose.ID),
			Ground: title(x.Ground.Title, x.Ground.ID), Country: country(lang, x.Country), At: formatDate(lang, x.At.In(zone))}
		for _, f := range x.Fields {
			tv.Fields = append(tv.Fields, title(f.Title, f.ID))
		}
		v.Transfers = append(v.Transfers, tv)
	}
	for _, c := range held.Consents {
		cv := consentView{ID: c.ID, Live: c.Live, State: T(lang, "portal.consent_state."+c.State), Given: formatDate(lang, c.GivenAt.In(zone))}
		for _, id := range c.Purposes {
			pu, _ := pol.Purpose(id)
			cv.Purposes = append(cv.Purposes, title(pu.Title, id))
		}
		cv.Fields = fieldTitles(lang, pol, orderFields(pol, c.Fields))
		if c.EndedAt != nil {
			d := formatDate(lang, c.EndedAt.In(zone))
			cv.Ended = &d
		}
		for _, e := range c.Events {
			if e.Due != nil {
				d := formatDate(lang, e.Due.In(zone))
				cv.Due = &d
			}
		}
		v.Consents = append(v.Consents, cv)
	}
	for _, r := range held.Requests {
		l := portalRequestLine{ID: r.ID, Kind: T(lang, "portal.kind."+r.Kind), State: T(lang, "portal.req_state."+r.State),
			Received: formatDate(lang, r.ReceivedAt.In(zone)), Overdue: r.Overdue}
		if r.Outcome != "" {
			l.Outcome = T(lang, "portal.req_outcome."+r.Outcome)
		}
		if r.Due != nil && r.State != request.Answered {
			d := formatDate(lang, r.Due.In(zone))
			l.Due = &d
		}
		v.Requests = append(v.Requests, l)
	}
	return v
}

// portalVaultError answers a vault error: a destroyed subject's data is
// gone, anything else is internal.
func (s *server) portalVaultError(w http.ResponseWriter, r *http.Request, p *page, err error) {
	if pr, ok := vault.AsProblem(err); ok {
		switch pr.Kind {
		case vault.NotFound:
			s.portalProblem(w, r, p, http.StatusNotFound, "portal.error.not_found")
			return
		case vault.Gone:
			s.portalProblem(w, r, p, http.StatusGone, "portal.error.gone")
			return
		case vault.Conflict:
			s.portalProblem(w, r, p, http.StatusConflict, "portal.error.conflict")
			return
		}
	}
	s.fail(w, r, p, err)
}

// withdrawView is the confirmation step of a withdrawal.
type withdrawView struct {
	Consent consentView
}

// portalConsent finds one of the resident's consents for the page.
func (s *server) portalConsent(w http.ResponseWriter, r *http.Request, p *page, sess portalSession) (*consentView, bool) {
	held, err := s.vault.PortalHeld(r.Context(), sess.Subject)
	if err != nil {
		s.portalVaultError(w, r, p, err)
		return nil, false
	}
	v := buildData(p.Lang, s.vault.Policy().Policy, held)
	for _, c := range v.Consents {
		if c.ID == r.PathValue("id") {
			return &c, true
		}
	}
	s.portalProblem(w, r, p, http.StatusNotFound, "portal.error.not_found")
	return nil, false
}

func (s *server) portalWithdrawForm(w http.ResponseWriter, r *http.Request, p *page, sess portalSession) {
	c, ok := s.portalConsent(w, r, p, sess)
	if !ok {
		return
	}
	p.Title = p.T("portal.withdraw.title")
	s.portalRender(w, r, http.StatusOK, "portal_withdraw", p, &sess, withdrawView{Consent: *c})
}

func (s *server) portalWithdraw(w http.ResponseWriter, r *http.Request, p *page, sess portalSession) {
	if _, err := s.vault.PortalWithdraw(r.Context(), sess.Subject, r.PathValue("id")); err != nil {
		s.portalVaultError(w, r, p, err)
		return
	}
	http.Redirect(w, r, "/portal/data?done=withdrawn", http.StatusSeeOther)
}

// portalRequestView is the form for a request.
type portalRequestView struct {
	Kinds []kindView
	Text  string
	Error string
}

type kindView struct {
	ID, Title, Hint string
	Checked         bool
}

func requestForm(lang, chosen, text, errKey string) portalRequestView {
	v := portalRequestView{Text: text, Error: errKey}
	for _, k := range vault.PortalRequests {
		v.Kinds = append(v.Kinds, kindView{ID: k, Title: T(lang, "portal.kind."+k), Hint: T(lang, "portal.kind."+k+".hint"), Checked: k == chosen})
	}
	return v
}

func (s *server) portalRequestForm(w http.ResponseWriter, r *http.Request, p *page, sess portalSession) {
	kind := r.URL.Query().Get("kind")
	if !slices.Contains(vault.PortalRequests, kind) {
		kind = vault.PortalRequests[0]
	}
	p.Title = p.T("portal.request.title")
	s.portalRender(w, r, http.StatusOK, "portal_request", p, &sess, requestForm(p.Lang, kind, "", ""))
}

// sentView confirms a request.
type sentView struct {
	ID   string
	Kind string
	Due  *date
}

func (s *server) portalRequest(w http.ResponseWriter, r *http.Request, p *page, sess portalSession) {
	kind, text := r.PostFormValue("kind"), r.PostFormValue("text")
	req, err := s.vault.PortalRequest(r.Context(), sess.Subject, kind, p.Lang, text)
	if pr, ok := vault.AsProblem(err); ok && pr.Kind == vault.Invalid {
		key := "portal.error.request"
		if pr.Field == "text" {
			key = "portal.error.text"
		}
		p.Title = p.T("portal.request.title")
		s.portalRender(w, r, http.StatusUnprocessableEntity, "portal_request", p, &sess, requestForm(p.Lang, kind, text, key))
		return
	}
	if err != nil {
		s.portalVaultError(w, r, p, err)
		return
	}
	v := sentView{ID: req.ID, Kind: T(p.Lang, "portal.kind."+req.Kind)}
	if req.Due != nil {
		d := formatDate(p.Lang, req.Due.In(zone))
		v.Due = &d
	}
	p.Title = p.T("portal.sent.title")
	s.portalRender(w, r, http.StatusOK, "portal_sent", p, &sess, v)
}

// portalLetter answers the resident's request for information at once and
// sends the letter as a PDF in the page's language.
func (s *server) portalLetter(w http.ResponseWriter, r *http.Request, p *page, sess portalSession) {
	l, err := s.vault.PortalLetter(r.Context(), sess.Subject, p.Lang)
	if err != nil {
		s.portalVaultError(w, r, p, err)
		return
	}
	b, err := l.PDF(p.Lang)
	if err != nil {
		s.fail(w, r, p, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/pdf")
	h.Set("Content-Disposition", `attachment; filename="derbes-`+request.Information+`-`+l.RequestID+`.pdf"`)
	h.Set("Cache-Control", "no-store")
	w.Write(b)
}
