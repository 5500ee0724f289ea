package web

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/derbes/derbes/journal"
	"github.com/derbes/derbes/policy"
	"github.com/derbes/derbes/request"
	"github.com/derbes/derbes/store"
	"github.com/derbes/derbes/vault"
)

// upcomingDays is how far ahead Today looks for destructions.
const upcomingDays = 7

// when is a moment as the console shows it: its date in the page's
// language and the time, both in Astana time.
type when struct {
	date
	Time string
}

func at(lang string, t time.Time) when {
	t = t.In(zone)
	return when{date: formatDate(lang, t), Time: t.Format("15:04")}
}

func atPtr(lang string, t *time.Time) *when {
	if t == nil {
		return nil
	}
	w := at(lang, *t)
	return &w
}

// staff returns the page's signed-in staff member.
func staff(p *page) *staffMember { return p.Data.(*consoleData).User }

// vaultProblem answers with the console's error page for an error of the
// vault: a refusal by its kind, anything else as an internal error.
func (s *server) vaultProblem(w http.ResponseWriter, r *http.Request, p *page, err error) {
	pr, ok := vault.AsProblem(err)
	if !ok {
		s.fail(w, r, p, err)
		return
	}
	switch pr.Kind {
	case vault.Invalid:
		s.consoleProblem(w, r, p, http.StatusUnprocessableEntity, "invalid")
	case vault.Denied:
		s.consoleProblem(w, r, p, http.StatusForbidden, "denied")
	case vault.NotFound:
		s.consoleProblem(w, r, p, http.StatusNotFound, "not_found")
	case vault.Conflict:
		s.consoleProblem(w, r, p, http.StatusConflict, "conflict")
	default:
		s.consoleProblem(w, r, p, http.StatusConflict, "state")
	}
}

// may answers 403 and returns false when the role lacks the action: the
// console does not even ask the vault (which would journal the refusal as
// a suspicious denial) for what the menu does not offer.
func (s *server) may(w http.ResponseWriter, r *http.Request, p *page, action string) bool {
	if staff(p).Role.May(action) {
		return true
	}
	s.consoleProblem(w, r, p, http.StatusForbidden, "denied")
	return false
}

// requestLine is a request in a list: no personal data, only its kind,
// state and deadline.
type requestLine struct {
	ID, URL, Kind, State string
	Received             when
	Due                  *when
	Overdue              bool
	Answered             bool
}

func requestLines(lang string, rs []*vault.Request) []requestLine {
	out := make([]requestLine, 0, len(rs))
	for _, x := range rs {
		out = append(out, requestLine{ID: x.ID, URL: "/console/requests/" + x.ID, Kind: T(lang, "console.kind."+x.Kind),
			State: T(lang, "console.state."+x.State), Received: at(lang, x.ReceivedAt), Due: atPtr(lang, x.Due), Overdue: x.Overdue,
			Answered: x.State == request.Answered})
	}
	return out
}

// todayView is what needs action today.
type todayView struct {
	ShowRequests, ShowIncidents, ShowUpcoming bool
	Overdue, Open                             []requestLine
	Incidents                                 []incidentLine
	Upcoming                                  []dueLine
	UpcomingUntil                             date
	// Review is set when the policy's yearly review is near or past
	// (seed 004 §12): a reminder to the responsible person.
	Review *reviewNote
}

type reviewNote struct {
	Date date
	Past bool
}

type incidentLine struct {
	ID, Kind, Status, Classification string
	Detected                         when
	NoticeDue                        *when
	NoticeLate                       bool
	NoticeSent                       *when
}

type dueLine struct {
	Record, Purpose, Rule string
	At                    *when
}

// consoleToday shows requests overdue and open, open incidents with their
// notice deadlines, and the records whose retention ends in the next days;
// none of it is personal data.
func (s *server) consoleToday(w http.ResponseWriter, r *http.Request, p *page) {
	u, ctx, now := staff(p), r.Context(), s.now()
	v := todayView{}
	if u.Role.May(policy.CanRequests) {
		v.ShowRequests = true
		rs, err := s.vault.ListRequests(ctx, u.actor, store.RequestFilter{Limit: 500})
		if err != nil {
			s.vaultProblem(w, r, p, err)
			return
		}
		for _, l := range requestLines(p.Lang, rs) {
			switch {
			case l.Overdue:
				v.Overdue = append(v.Overdue, l)
			case !l.Answered:
				v.Open = append(v.Open, l)
			}
		}
	}
	if u.Role.May(policy.CanAdmin) {
		v.ShowIncidents, v.ShowUpcoming = true, true
		is, err := s.vault.Incidents(ctx, u.actor, "open")
		if err != nil {
			s.vaultProblem(w, r, p, err)
			return
		}
		for _, x := range is {
			v.Incidents = append(v.Incidents, incidentLine{ID: x.ID, Kind: T(p.Lang, "console.incident.kind."+x.Kind), Status: x.Status,
				Classification: T(p.Lang, "console.incident.class."+x.Classification),
				Detected:       at(p.Lang, x.DetectedAt), NoticeDue: atPtr(p.Lang, x.NoticeDue), NoticeSent: atPtr(p.Lang, x.NoticeSentAt),
				NoticeLate: x.NoticeDue != nil && x.NoticeSentAt == nil && now.After(*x.NoticeDue)})
		}
		until := now.AddDate(0, 0, upcomingDays)
		v.UpcomingUntil = formatDate(p.Lang, until.In(zone))
		ds, err := s.vault.Upcoming(ctx, until, 100)
		if err != nil {
			s.fail(w, r, p, err)
			return
		}
		act := s.vault.Policy()
		if pv := buildPolicy(p.Lang, act.Policy, now); pv.ReviewDue || pv.ReviewPast {
			v.Review = &reviewNote{Date: pv.Review, Past: pv.ReviewPast}
		}
		for _, d := range ds {
			l := dueLine{Record: d.RecordID, Purpose: d.Purpose, Rule: d.Rule, At: atPtr(p.Lang, d.At)}
			if pu, ok := act.Purpose(d.Purpose); ok {
				l.Purpose = pu.Title.In(p.Lang)
			}
			v.Upcoming = append(v.Upcoming, l)
		}
	}
	s.consoleRender(w, r, p, http.StatusOK, "today", T(p.Lang, "console.today.title"), v)
}

// lookupView is the lookup in its two steps (a purpose, then an
// identifier) and its result.
type lookupView struct {
	Purposes []option
	// Purpose is the chosen purpose; empty in the first step.
	Purpose      string
	PurposeTitle string
	Kinds        []option
	Error        string
	Searched     bool
	Subjects     []foundSubject
}

type option struct {
	Value, Text string
	Selected    bool
}

// foundSubject is what the role may see of a found subject.
type foundSubject struct {
	ID          string
	State       string
	Identifiers []fieldValue
	Records     []recordView
}

type recordView struct {
	ID, State, Channel, Ground string
	Created                    when
	Fields                     []fieldValue
	Withheld                   []string
}

// fieldValue is a value as the role sees it, Masked if the policy masks
// the field for the role.
type fieldValue struct {
	ID, Title, Value string
	Masked           bool
}

func (s *server) lookupPurposes(p *page, chosen string) []option {
	act := s.vault.Policy()
	var out []option
	for _, id := range staff(p).Role.Purposes {
		t := id
		if pu, ok := act.Purpose(id); ok {
			t = pu.Title.In(p.Lang)
		}
		out = append(out, option{Value: id, Text: t, Selected: id == chosen})
	}
	return out
}

func lookupKinds(lang, chosen string) []option {
	var out []option
	for _, k := range []string{policy.TypeIIN, policy.TypePhone, policy.TypeEmail} {
		out = append(out, option{Value: k, Text: T(lang, "console.lookup.by."+k), Selected: k == chosen})
	}
	return out
}

// consoleLookupForm asks for the purpose first; with ?purpose= of the
// role's, it asks for the identifier.
func (s *server) consoleLookupForm(w http.ResponseWriter, r *http.Request, p *page) {
	if !s.may(w, r, p, policy.CanLookup) {
		return
	}
	v := lookupView{Purposes: s.lookupPurposes(p, "")}
	if purpose := r.URL.Query().Get("purpose"); purpose != "" {
		if !staff(p).Role.Allows(purpose) {
			s.consoleProblem(w, r, p, http.StatusUnprocessableEntity, "purpose_first")
			return
		}
		v.Purpose, v.Kinds = purpose, lookupKinds(p.Lang, policy.TypeIIN)
		v.PurposeTitle = s.purposeTitle(p.Lang, purpose)
	}
	s.consoleRender(w, r, p, http.StatusOK, "lookup", T(p.Lang, "console.lookup.title"), v)
}

func (s *server) purposeTitle(lang, id string) string {
	if pu, ok := s.vault.Policy().Purpose(id); ok {
		return pu.Title.In(lang)
	}
	return id
}

// consoleLookup finds a subject for the declared purpose and shows what
// the role may see, through the vault's Lookup, GetSubject and ListRecords
// (the API's calls): each is authorized for the purpose and journaled.
// Without a purpose of the role it shows nothing (422).
func (s *server) consoleLookup(w http.ResponseWriter, r *http.Request, p *page) {
	if !s.may(w, r, p, policy.CanLookup) {
		return
	}
	u, ctx := staff(p), r.Context()
	purpose, kind, value := r.PostFormValue("purpose"), r.PostFormValue("kind"), strings.TrimSpace(r.PostFormValue("value"))
	if purpose == "" || !u.Role.Allows(purpose) {
		s.consoleProblem(w, r, p, http.StatusUnprocessableEntity, "purpose_first")
		return
	}
	v := lookupView{Purposes: s.lookupPurposes(p, purpose), Purpose: purpose, PurposeTitle: s.purposeTitle(p.Lang, purpose), Kinds: lookupKinds(p.Lang, kind)}
	if value == "" || len(value) > 320 || !slices.Contains([]string{policy.TypeIIN, policy.TypePhone, policy.TypeEmail}, kind) {
		v.Error = T(p.Lang, "console.lookup.invalid")
		s.consoleRender(w, r, p, http.StatusUnprocessableEntity, "lookup", T(p.Lang, "console.lookup.title"), v)
		return
	}
	ids, err := s.vault.Lookup(ctx, u.actor, purpose, kind, value)
	if pr, ok := vault.AsProblem(err); ok && pr.Kind == vault.Invalid {
		// The typed value is not echoed back: the page shows no data the
		// vault did not return.
		v.Error = T(p.Lang, "console.lookup.invalid")
		s.consoleRender(w, r, p, http.StatusUnprocessableEntity, "lookup", T(p.Lang, "console.lookup.title"), v)
		return
	}
	if err != nil {
		s.vaultProblem(w, r, p, err)
		return
	}
	v.Searched = true
	act := s.vault.Policy()
	title := func(id string) string {
		if f, ok := act.Field(id); ok {
			return f.Title.In(p.Lang)
		}
		return id
	}
	for _, id := range ids {
		sub, err := s.vault.GetSubject(ctx, u.actor, id, purpose)
		if err != nil {
			s.vaultProblem(w, r, p, err)
			return
		}
		sv := foundSubject{ID: sub.ID, State: T(p.Lang, "console.subject_state."+sub.State)}
		for _, k := range fieldNames(sub.Identifiers) {
			sv.Identifiers = append(sv.Identifiers, fieldValue{ID: k, Title: title(k), Value: sub.Identifiers[k], Masked: slices.Contains(sub.Masked, k)})
		}
		if u.Role.May(policy.CanRead) {
			recs, err := s.vault.ListRecords(ctx, u.actor, id, purpose)
			if err != nil {
				s.vaultProblem(w, r, p, err)
				return
			}
			for _, rec := range recs {
				rv := recordView{ID: rec.ID, State: rec.State, Channel: rec.Channel, Ground: rec.Ground, Created: at(p.Lang, rec.CreatedAt)}
				if c, ok := channel(act.Policy, rec.Channel); ok {
					rv.Channel = c.Title.In(p.Lang)
				}
				for _, f := range fieldNames(rec.Fields) {
					rv.Fields = append(rv.Fields, fieldValue{ID: f, Title: title(f), Value: rec.Fields[f], Masked: slices.Contains(rec.Masked, f)})
				}
				for _, f := range rec.Withheld {
					rv.Withheld = append(rv.Withheld, title(f))
				}
				sv.Records = append(sv.Records, rv)
			}
		}
		v.Subjects = append(v.Subjects, sv)
	}
	s.consoleRender(w, r, p, http.StatusOK, "lookup", T(p.Lang, "console.lookup.title"), v)
}

func channel(p *policy.Policy, id string) (policy.Channel, bool) {
	for _, c := range p.Channels {
		if c.ID == id {
			return c, true
		}
	}
	return policy.Channel{}, false
}

// fieldNames are a map's keys in the policy's usual reading order (by
// name, so that pages are stable).
func fieldNames(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// consoleRequests lists the requests, open ones by due date first.
func (s *server) consoleRequests(w http.ResponseWriter, r *http.Request, p *page) {
	if !s.may(w, r, p, policy.CanRequests) {
		return
	}
	rs, err := s.vault.ListRequests(r.Context(), staff(p).actor, store.RequestFilter{Limit: 500})
	if err != nil {
		s.vaultProblem(w, r, p, err)
		return
	}
	s.consoleRender(w, r, p, http.StatusOK, "requests", T(p.Lang, "console.requests.title"), requestLines(p.Lang, rs))
}

// requestView is one request as its handler sees it: the read of its
// content is journaled by GetRequest.
type requestView struct {
	requestLine
	Channel, Lang, Outcome string
	Requester              string
	Representative         bool
	Text                   string
	Provided               []option
	Reasons                []option
	AnsweredAt             *when
	CanVerify, CanDecide   bool
	Letter                 string
}

// consoleRequest shows a request with its deadline and the forms its
// state allows.
func (s *server) consoleRequest(w http.ResponseWriter, r *http.Request, p *page) {
	if !s.may(w, r, p, policy.CanRequests) {
		return
	}
	x, err := s.vault.GetRequest(r.Context(), staff(p).actor, r.PathValue("id"))
	if err != nil {
		s.vaultProblem(w, r, p, err)
		return
	}
	v := requestView{requestLine: requestLines(p.Lang, []*vault.Request{x})[0], Channel: x.Channel, Lang: langNames[x.Lang],
		Representative: x.Representative, AnsweredAt: atPtr(p.Lang, x.AnsweredAt),
		CanVerify: x.State == request.Received || x.State == request.Verifying, CanDecide: x.State != request.Answered}
	if c, ok := channel(s.vault.Policy().Policy, x.Channel); ok {
		v.Channel = c.Title.In(p.Lang)
	}
	if x.Outcome != "" {
		v.Outcome = T(p.Lang, "console.outcome."+x.Outcome)
	}
	if x.Content != nil {
		v.Requester, v.Text = x.Content.Requester.FullName, x.Content.Text
		for _, q := range x.Content.Identity.Provided() {
			v.Provided = append(v.Provided, option{Value: q, Text: T(p.Lang, "console.requisite."+q), Selected: true})
		}
	}
	for _, reason := range request.RefusalReasons {
		v.Reasons = append(v.Reasons, option{Value: reason, Text: T(p.Lang, "console.reason."+reason)})
	}
	if x.State == request.Answered {
		v.Letter = "/console/requests/" + x.ID + "/letter.pdf"
	}
	s.consoleRender(w, r, p, http.StatusOK, "request", T(p.Lang, "console.request.title"), v)
}

// afterRequest answers a decision on a request: back to the request page,
// or the vault's refusal.
func (s *server) afterRequest(w http.ResponseWriter, r *http.Request, p *page, err error) {
	if err != nil {
		s.vaultProblem(w, r, p, err)
		return
	}
	http.Redirect(w, r, "/console/requests/"+r.PathValue("id"), http.StatusSeeOther)
}

// consoleVerify records the requisites checked (vault.VerifyRequest): the
// request goes in progress, or is refused with reasons if any is missing,
// or (await) waits for the documents the requester was asked for.
func (s *server) consoleVerify(w http.ResponseWriter, r *http.Request, p *page) {
	if !s.may(w, r, p, policy.CanRequests) {
		return
	}
	_, err := s.vault.VerifyRequest(r.Context(), staff(p).actor, r.PathValue("id"), vault.Verification{Checked: r.PostForm["checked"], Await: r.PostFormValue("await") == "1"})
	s.afterRequest(w, r, p, err)
}

// consoleFulfil answers a request in progress (vault.FulfilRequest).
func (s *server) consoleFulfil(w http.ResponseWriter, r *http.Request, p *page) {
	if !s.may(w, r, p, policy.CanRequests) {
		return
	}
	_, err := s.vault.FulfilRequest(r.Context(), staff(p).actor, r.PathValue("id"), vault.Fulfilment{
		Partly: r.PostFormValue("partly") == "on", IncludeValues: r.PostFormValue("values") == "on", Done: strings.TrimSpace(r.PostFormValue("done"))})
	s.afterRequest(w, r, p, err)
}

// consoleRefuse answers a request with a reasoned refusal
// (vault.RefuseRequest).
func (s *server) consoleRefuse(w http.ResponseWriter, r *http.Request, p *page) {
	if !s.may(w, r, p, policy.CanRequests) {
		return
	}
	_, err := s.vault.RefuseRequest(r.Context(), staff(p).actor, r.PathValue("id"), r.PostFormValue("reason"), strings.TrimSpace(r.PostFormValue("explanation")))
	s.afterRequest(w, r, p, err)
}

// consoleLetter downloads the answer letter as PDF, in the language the
// subject is answered in; vault.Answer journals it as sent.
func (s *server) consoleLetter(w http.ResponseWriter, r *http.Request, p *page) {
	if !s.may(w, r, p, policy.CanRequests) {
		return
	}
	l, err := s.vault.Answer(r.Context(), staff(p).actor, r.PathValue("id"))
	if err != nil {
		s.vaultProblem(w, r, p, err)
		return
	}
	b, err := l.PDF(l.Lang)
	if err != nil {
		s.fail(w, r, p, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/pdf")
	h.Set("Content-Disposition", fmt.Sprintf(`attachment; filename="answer-%s.pdf"`, l.RequestID))
	h.Set("Cache-Control", "no-store")
	w.Write(b)
}

// transferLine is a transfer in the list: to whom, for what, which fields
// (names, not values), and its grant's state.
type transferLine struct {
	ID, Recipient, Purpose, Country string
	Fields                          []string
	CrossBorder                     bool
	Created                         when
	NotifyDue, Notified, Revoked    *when
}

// consoleTransfers lists the transfers to each recipient of the policy.
func (s *server) consoleTransfers(w http.ResponseWriter, r *http.Request, p *page) {
	if !s.may(w, r, p, policy.CanTransfer) {
		return
	}
	act := s.vault.Policy()
	var out []transferLine
	for _, rec := range act.Recipients {
		ts, err := s.vault.ListTransfers(r.Context(), staff(p).actor, "", rec.ID)
		if err != nil {
			s.vaultProblem(w, r, p, err)
			return
		}
		for _, x := range ts {
			l := transferLine{ID: x.ID, Recipient: rec.Title.In(p.Lang), Purpose: s.purposeTitle(p.Lang, x.Purpose), Country: country(p.Lang, x.Country),
				CrossBorder: x.CrossBorder, Created: at(p.Lang, x.CreatedAt), NotifyDue: atPtr(p.Lang, x.NotifyDue), Notified: atPtr(p.Lang, x.NotifiedAt),
				Revoked: atPtr(p.Lang, x.RevokedAt)}
			for _, f := range x.Fields {
				if fd, ok := act.Field(f); ok {
					f = fd.Title.In(p.Lang)
				}
				l.Fields = append(l.Fields, f)
			}
			out = append(out, l)
		}
	}
	s.consoleRender(w, r, p, http.StatusOK, "transfers", T(p.Lang, "console.transfers.title"), out)
}

// journalView is the journal's newest entries and whether the whole chain
// verifies.
type journalView struct {
	OK bool
	// Entries is how many entries verified, counted in words.
	Entries  string
	Problem  string
	FirstBad int64
	Lines    []journalLine
}

type journalLine struct {
	Seq                             int64
	At                              when
	Actor, Action, Purpose, Outcome string
}

// journalShown is how many of the newest entries the journal page shows.
const journalShown = 100

// consoleJournal verifies the journal and shows its newest entries.
// Entries hold no personal data (keyed references and facts only).
func (s *server) consoleJournal(w http.ResponseWriter, r *http.Request, p *page) {
	if !s.may(w, r, p, policy.CanJournal) {
		return
	}
	res, err := s.vault.VerifyJournal(r.Context())
	if err != nil {
		s.fail(w, r, p, err)
		return
	}
	v := journalView{OK: res.OK(), Entries: tn(p.Lang, "console.journal.entries", int(res.Entries)), Problem: res.Problem, FirstBad: res.FirstBad}
	after := max(res.Entries-journalShown, 0)
	es, err := s.vault.Journal(r.Context(), staff(p).actor, after, journalShown)
	if err != nil {
		s.vaultProblem(w, r, p, err)
		return
	}
	for i := len(es) - 1; i >= 0; i-- {
		e := es[i]
		v.Lines = append(v.Lines, journalLine{Seq: e.Seq, At: at(p.Lang, e.At), Actor: e.Actor, Action: e.Action, Purpose: e.Purpose, Outcome: outcomeText(p.Lang, e.Outcome)})
	}
	s.consoleRender(w, r, p, http.StatusOK, "journal", T(p.Lang, "console.journal.title"), v)
}

func outcomeText(lang, o string) string {
	switch o {
	case journal.OK, journal.Denied, journal.Failed:
		return T(lang, "console.journal.outcome."+o)
	}
	return o
}

// accessLine is a line of the people-with-access report.
type accessLine struct {
	Principal, Kind, Label, Role, Purpose string
	Fields, Masked, Can                   []string
	Since                                 when
}

// consolePeople shows who could see which data for which purpose (the
// vault's report, Art. 22).
func (s *server) consolePeople(w http.ResponseWriter, r *http.Request, p *page) {
	if !s.may(w, r, p, policy.CanAdmin) {
		return
	}
	ls, err := s.vault.PeopleWithAccess(r.Context(), staff(p).actor, s.now())
	if err != nil {
		s.vaultProblem(w, r, p, err)
		return
	}
	act := s.vault.Policy()
	title := func(ids []string) []string {
		out := make([]string, len(ids))
		for i, id := range ids {
			out[i] = id
			if f, ok := act.Field(id); ok {
				out[i] = f.Title.In(p.Lang)
			}
		}
		return out
	}
	out := make([]accessLine, 0, len(ls))
	for _, l := range ls {
		role := l.Role
		if ro, ok := act.Role(l.Role); ok {
			role = ro.Title.In(p.Lang)
		}
		out = append(out, accessLine{Principal: l.Principal, Kind: T(p.Lang, "console.people.kind."+l.Kind), Label: l.Label, Role: role,
			Purpose: s.purposeTitle(p.Lang, l.Purpose), Fields: title(l.Fields), Masked: title(l.Masked), Can: l.Can, Since: at(p.Lang, l.Since)})
	}
	s.consoleRender(w, r, p, http.StatusOK, "people", T(p.Lang, "console.people.title"), out)
}
