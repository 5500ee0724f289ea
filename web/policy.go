package web

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/derbes/derbes/policy"
	"github.com/derbes/derbes/request"
	"github.com/derbes/derbes/store"
)

// policyView is a policy version as the page shows it, every text already
// in the page's language.
type policyView struct {
	Number  int64
	Label   string
	SHA256  string
	InForce bool
	// Current is the number of the version in force.
	Current   int64
	Activated date

	Effective date
	Review    date
	// ReviewSet is false when the policy names no review date and Review
	// is a year after Effective (seed 004 §12: reviewed yearly).
	ReviewSet  bool
	ReviewDue  bool
	ReviewPast bool

	Operator   operatorView
	Storage    storageView
	Subjects   []subjectView
	Forbidden  []string
	Purposes   []purposeView
	Channels   []string
	Recipients []recipientView
	Rights     []rightView
	Requisites []string
	// Versions are the other activations, newest first.
	Versions []versionView
}

type operatorView struct {
	Name, BIN, Address, Website  string
	Responsible, Position, Email string
	Phone                        string
	Tel                          template.URL
}

type storageView struct {
	InKZ    bool
	Country string
	Ground  string
	// BlockedLimit is how long blocked data are kept before they are
	// destroyed (deadlines.blocked_limit), in words; empty without one.
	BlockedLimit string
}

type subjectView struct {
	ID     string
	Title  string
	Fields []string
}

type purposeView struct {
	// Num is the purpose's place in the policy, from 1.
	Num        int
	ID         string
	Title      string
	Consent    bool
	Grounds    []groundView
	LegalBasis string
	Subjects   []subjectView
	Channels   []string
	Recipients []recipientView
	Retention  string
	End        string
	NoticeURL  string
}

type groundView struct {
	Title, Article string
}

type recipientView struct {
	ID          string
	Title       string
	Kind        string
	Country     string
	Abroad      bool
	CrossBorder string
}

type rightView struct {
	ID      string
	Right   string
	Term    string
	Clock   string
	Article string
	// OwnTerm marks a term the law does not fix (information).
	OwnTerm bool
}

type versionView struct {
	Number    int64
	Label     string
	Activated date
	Time      string
	SHA256    string
	InForce   bool
	URL       string
}

// reviewWarning is how long before the review date the page says the
// policy is due for review.
const reviewWarning = 30 * 24 * time.Hour

// buildPolicy describes p in lang as of now.
func buildPolicy(lang string, p *policy.Policy, now time.Time) *policyView {
	v := &policyView{Label: p.Version, Operator: buildOperator(lang, p), Storage: buildStorage(lang, p)}
	var eff time.Time
	v.Effective, eff, _ = parseDate(lang, p.Effective)
	var rev time.Time
	ok := false
	if p.ReviewBy != "" {
		v.Review, rev, ok = parseDate(lang, p.ReviewBy)
		v.ReviewSet = true
	} else if !eff.IsZero() {
		rev, ok = eff.AddDate(1, 0, 0), true
		v.Review = formatDate(lang, rev)
	}
	if ok {
		y, m, d := now.In(zone).Date()
		today := time.Date(y, m, d, 0, 0, 0, 0, zone)
		v.ReviewPast = today.After(rev)
		v.ReviewDue = !v.ReviewPast && rev.Sub(today) <= reviewWarning
	}

	// The subject categories, each with every field some purpose collects
	// about it, in the policy's order.
	for _, c := range p.SubjectCategories {
		v.Subjects = append(v.Subjects, subjectView{ID: c.ID, Title: c.Title.In(lang), Fields: fieldTitles(lang, p, categoryFields(p, c.ID))})
	}
	for _, c := range p.ForbiddenCategory {
		if has(lang, "category."+c) {
			v.Forbidden = append(v.Forbidden, T(lang, "category."+c))
		} else {
			v.Forbidden = append(v.Forbidden, c)
		}
	}
	for _, c := range p.Channels {
		v.Channels = append(v.Channels, c.Title.In(lang))
	}
	for _, r := range p.Recipients {
		v.Recipients = append(v.Recipients, buildRecipient(lang, p, r))
	}
	for i, pu := range p.Purposes {
		v.Purposes = append(v.Purposes, buildPurpose(lang, p, pu))
		v.Purposes[i].Num = i + 1
	}
	v.Rights = buildRights(lang, p.EffectiveDeadlines())
	reqs := p.Requests.Identity
	if len(reqs) == 0 {
		reqs = request.DefaultRequisites
	}
	for _, r := range reqs {
		v.Requisites = append(v.Requisites, T(lang, "requisite."+r))
	}
	return v
}

func buildOperator(lang string, p *policy.Policy) operatorView {
	o := p.Operator
	v := operatorView{Name: o.Name.In(lang), BIN: o.BIN, Address: o.Address, Website: o.Website,
		Responsible: o.Responsible.Name, Position: o.Responsible.Position, Email: o.Responsible.Email, Phone: o.Responsible.Phone}
	if tel := telURL(o.Responsible.Phone); tel != "" {
		v.Tel = template.URL(tel) // only + and digits: safe
	}
	return v
}

// telURL is a tel: link to a phone number, or "" if it has no digits.
func telURL(phone string) string {
	var b strings.Builder
	for i, r := range phone {
		if r >= '0' && r <= '9' || r == '+' && i == 0 {
			b.WriteRune(r)
		}
	}
	if b.Len() < 3 {
		return ""
	}
	return "tel:" + b.String()
}

func buildStorage(lang string, p *policy.Policy) storageView {
	c := p.Operator.Storage.Country
	if c == "" {
		c = "KZ"
	}
	v := storageView{InKZ: c == "KZ", Country: country(lang, c), Ground: p.Operator.Storage.Ground}
	if per, err := policy.ParsePeriod(p.Deadlines.BlockedLimit); err == nil {
		v.BlockedLimit = periodText(lang, per)
	}
	return v
}

// categoryFields lists the fields any purpose collects about a subject
// category, in the policy's field order.
func categoryFields(p *policy.Policy, category string) []string {
	seen := map[string]bool{}
	for _, pu := range p.Purposes {
		for _, f := range pu.Subjects[category] {
			seen[f] = true
		}
	}
	var out []string
	for _, f := range p.Fields {
		if seen[f.ID] {
			out = append(out, f.ID)
		}
	}
	return out
}

// fieldTitles titles field ids in lang; an id the policy does not declare
// (validation forbids it) is shown as is.
func fieldTitles(lang string, p *policy.Policy, ids []string) []string {
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		if f, ok := p.Field(id); ok {
			out = append(out, f.Title.In(lang))
		} else {
			out = append(out, id)
		}
	}
	return out
}

func buildRecipient(lang string, p *policy.Policy, r policy.Recipient) recipientView {
	c := r.Country
	if c == "" {
		c = "KZ"
	}
	v := recipientView{ID: r.ID, Title: r.Title.In(lang), Kind: T(lang, "kind."+r.Kind), Country: country(lang, c), Abroad: c != "KZ"}
	switch {
	case !v.Abroad:
		v.CrossBorder = T(lang, "rcpt.domestic")
	case slices.Contains(p.AdequateCountries, c):
		v.CrossBorder = T(lang, "rcpt.cb_adequate")
	default:
		v.CrossBorder = T(lang, "rcpt.cb_consent")
	}
	return v
}

func buildPurpose(lang string, p *policy.Policy, pu policy.Purpose) purposeView {
	v := purposeView{ID: pu.ID, Title: pu.Title.In(lang), Consent: slices.Contains(pu.Grounds, policy.GroundConsent), LegalBasis: pu.LegalBasis,
		NoticeURL: "/consent-notice?purpose=" + url.QueryEscape(pu.ID) + "&lang=" + lang}
	for _, g := range pu.Grounds {
		if gr, ok := policy.LookupGround(g); ok {
			v.Grounds = append(v.Grounds, groundView{Title: gr.Title.In(lang), Article: article(lang, gr.Article)})
		} else {
			v.Grounds = append(v.Grounds, groundView{Title: g})
		}
	}
	for _, c := range p.SubjectCategories {
		if fields, ok := pu.Subjects[c.ID]; ok {
			v.Subjects = append(v.Subjects, subjectView{ID: c.ID, Title: c.Title.In(lang), Fields: fieldTitles(lang, p, orderFields(p, fields))})
		}
	}
	for _, id := range pu.Channels {
		for _, c := range p.Channels {
			if c.ID == id {
				v.Channels = append(v.Channels, c.Title.In(lang))
			}
		}
	}
	for _, id := range pu.Recipients {
		for _, r := range p.Recipients {
			if r.ID == id {
				v.Recipients = append(v.Recipients, buildRecipient(lang, p, r))
			}
		}
	}
	v.Retention = retention(lang, pu.Retention)
	v.End = T(lang, "then."+pu.Retention.Then)
	return v
}

// orderFields puts ids in the policy's field order.
func orderFields(p *policy.Policy, ids []string) []string {
	out := slices.Clone(ids)
	pos := func(id string) int {
		return slices.IndexFunc(p.Fields, func(f policy.Field) bool { return f.ID == id })
	}
	slices.SortStableFunc(out, func(a, b string) int { return pos(a) - pos(b) })
	return out
}

// retention says how long a purpose keeps its records, in lang.
func retention(lang string, r policy.Retention) string {
	if r.Period == "" {
		return T(lang, "retention.until_achieved")
	}
	per, err := policy.ParsePeriod(r.Period)
	if err != nil {
		return r.Period
	}
	span := periodText(lang, per)
	if r.From == policy.FromEvent {
		return tf(lang, "retention.from.event", span, strings.ReplaceAll(r.Event, "_", " "))
	}
	return tf(lang, "retention.from."+r.From, span)
}

// periodText says a period in lang: "1 жыл 6 ай".
func periodText(lang string, per policy.Period) string {
	var parts []string
	if per.Years > 0 {
		parts = append(parts, tn(lang, "unit.years", per.Years))
	}
	if per.Months > 0 {
		parts = append(parts, tn(lang, "unit.months", per.Months))
	}
	if per.Days > 0 {
		parts = append(parts, tn(lang, "unit.days", per.Days))
	}
	return strings.Join(parts, " ")
}

// buildRights lists the subject's rights with the terms that apply: the
// policy's where shorter, the law's otherwise (EffectiveDeadlines).
func buildRights(lang string, d policy.Deadlines) []rightView {
	var out []rightView
	for _, k := range []string{request.Information, request.Correction, request.Blocking, request.Destruction,
		request.Withdrawal, request.Objection, request.PublicRemoval} {
		days, art := request.Deadline(d, k)
		clock := "clock.receipt"
		if request.ClockFromConfirmation(k) {
			clock = "clock.confirmation"
		}
		out = append(out, rightView{ID: k, Right: T(lang, "right."+k), Term: tn(lang, "unit.workdays", days),
			Clock: T(lang, clock), Article: article(lang, art), OwnTerm: k == request.Information})
	}
	return append(out, rightView{ID: "transfer-notice", Right: T(lang, "right.transfer-notice"),
		Term: tn(lang, "unit.workdays", d.TransferNotice), Clock: T(lang, "clock.transfer"), Article: article(lang, "Art. 19 p.1")})
}

// versions lists every activation, newest first, marking the one in force.
func (s *server) versions(ctx context.Context, lang string, inForce int64) ([]versionView, error) {
	var list []store.PolicyVersion
	err := s.store.Read(ctx, func(r *store.Reader) error {
		var err error
		list, err = r.PolicyList(ctx)
		return err
	})
	if err != nil {
		return nil, err
	}
	out := make([]versionView, 0, len(list))
	for i := len(list) - 1; i >= 0; i-- {
		pv := list[i]
		at := pv.ActivatedAt.In(zone)
		out = append(out, versionView{Number: pv.Version, Label: pv.Label, Activated: formatDate(lang, at), Time: at.Format("15:04"),
			SHA256: pv.SHA256, InForce: pv.Version == inForce, URL: "/policy/versions/" + strconv.FormatInt(pv.Version, 10) + "?lang=" + lang})
	}
	return out, nil
}

// earlier is an earlier activation, parsed.
type earlier struct {
	version *store.PolicyVersion // without its source
	policy  *policy.Policy
}

// earlierVersion returns activation n, parsed once and cached.
func (s *server) earlierVersion(ctx context.Context, n int64) (*earlier, error) {
	if e, ok := s.parsed.Load(n); ok {
		return e.(*earlier), nil
	}
	var pv *store.PolicyVersion
	err := s.store.Read(ctx, func(r *store.Reader) error {
		var err error
		pv, err = r.PolicyGet(ctx, n)
		return err
	})
	if err != nil {
		return nil, err
	}
	p, err := policy.Parse(fmt.Sprintf("policy version %d", n), pv.Source)
	if err != nil {
		return nil, fmt.Errorf("web: policy version %d no longer parses: %w", n, err)
	}
	pv.Source = nil
	e := &earlier{version: pv, policy: p}
	s.parsed.Store(n, e)
	return e, nil
}

// policy serves the policy in force.
func (s *server) policy(w http.ResponseWriter, r *http.Request) {
	p := s.newPage(w, r, "policy")
	a := s.vault.Policy()
	if a == nil {
		s.problem(w, r, p, http.StatusServiceUnavailable, "no_policy")
		return
	}
	vs, err := s.versions(r.Context(), p.Lang, a.Version)
	if err != nil {
		s.fail(w, r, p, err)
		return
	}
	v := buildPolicy(p.Lang, a.Policy, s.now())
	v.Number, v.SHA256, v.InForce, v.Current = a.Version, a.SHA256, true, a.Version
	v.Versions = slices.DeleteFunc(vs, func(x versionView) bool { return x.InForce })
	p.Title, p.Data = T(p.Lang, "policy.title"), v
	s.render(w, r, http.StatusOK, "policy", p)
}

// version serves one activation: the one in force, or an earlier one
// marked as no longer in force.
func (s *server) version(w http.ResponseWriter, r *http.Request) {
	p := s.newPage(w, r, "versions")
	n, err := strconv.ParseInt(r.PathValue("n"), 10, 64)
	if err != nil || n <= 0 {
		s.problem(w, r, p, http.StatusNotFound, "not_found")
		return
	}
	a := s.vault.Policy()
	if a == nil {
		s.problem(w, r, p, http.StatusServiceUnavailable, "no_policy")
		return
	}
	var v *policyView
	if n == a.Version {
		v = buildPolicy(p.Lang, a.Policy, s.now())
		v.Number, v.SHA256, v.InForce = a.Version, a.SHA256, true
	} else {
		e, err := s.earlierVersion(r.Context(), n)
		if errors.Is(err, store.ErrNotFound) {
			s.problem(w, r, p, http.StatusNotFound, "not_found")
			return
		}
		if err != nil {
			s.fail(w, r, p, err)
			return
		}
		v = buildPolicy(p.Lang, e.policy, s.now())
		v.Number, v.SHA256 = e.version.Version, e.version.SHA256
		v.Activated = formatDate(p.Lang, e.version.ActivatedAt.In(zone))
		// An earlier version is not reviewed any more.
		v.ReviewDue, v.ReviewPast = false, false
	}
	vs, err := s.versions(r.Context(), p.Lang, a.Version)
	if err != nil {
		s.fail(w, r, p, err)
		return
	}
	v.Current = a.Version
	v.Versions = slices.DeleteFunc(vs, func(x versionView) bool { return x.Number == n })
	p.Title, p.Data = T(p.Lang, "policy.title"), v
	s.render(w, r, http.StatusOK, "policy", p)
}

// versionsView is the data of the versions page.
type versionsView struct {
	Versions []versionView
}

// versionList serves the list of activations.
func (s *server) versionList(w http.ResponseWriter, r *http.Request) {
	p := s.newPage(w, r, "versions")
	var inForce int64
	if a := s.vault.Policy(); a != nil {
		inForce = a.Version
	}
	vs, err := s.versions(r.Context(), p.Lang, inForce)
	if err != nil {
		s.fail(w, r, p, err)
		return
	}
	p.Title, p.Data = T(p.Lang, "versions.title"), versionsView{Versions: vs}
	s.render(w, r, http.StatusOK, "versions", p)
}
