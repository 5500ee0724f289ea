package vault

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/derbes/derbes/calendar"
	"github.com/derbes/derbes/consent"
	"github.com/derbes/derbes/journal"
	"github.com/derbes/derbes/keys"
	"github.com/derbes/derbes/policy"
	"github.com/derbes/derbes/store"
)

// Journal actions of the consent ledger.
const (
	actionConsentGive     = "consent.give"
	actionConsentRead     = "consent.read"
	actionConsentWithdraw = "consent.withdraw"
	actionConsentRefuse   = "consent.refuse-withdrawal"
	actionAccountDeleted  = "subject.account-deleted"
)

// Consent is a consent as a caller sees it.
type Consent struct {
	ID              string          `json:"id"`
	Subject         string          `json:"subject"`
	State           string          `json:"state"`
	Live            bool            `json:"live"`
	Purposes        []string        `json:"purposes"`
	Fields          []string        `json:"fields"`
	Until           *time.Time      `json:"until,omitempty"`
	ThirdParty      bool            `json:"third_party_transfer"`
	CrossBorder     bool            `json:"cross_border_transfer"`
	Publication     bool            `json:"publication"`
	NotifyTransfers bool            `json:"notify_of_transfers"`
	AccountBound    bool            `json:"account_bound"`
	Form            string          `json:"form"`
	PolicyVersion   int64           `json:"policy_version"`
	GivenAt         time.Time       `json:"given_at"`
	EndedAt         *time.Time      `json:"ended_at,omitempty"`
	Content         consent.Content `json:"content"`
	Events          []ConsentEvent  `json:"events"`
}

// ConsentEvent is an event of the ledger as a caller sees it.
type ConsentEvent struct {
	ID     string     `json:"id"`
	Kind   string     `json:"kind"`
	At     time.Time  `json:"at"`
	Actor  string     `json:"actor"`
	Reason string     `json:"reason,omitempty"`
	Due    *time.Time `json:"due,omitempty"`
	Basis  string     `json:"basis,omitempty"`
}

// WithCalendar sets the working-day calendar deadlines are counted on.
func (v *Vault) WithCalendar(c *calendar.Calendar) *Vault {
	v.cal = c
	return v
}

func consentProblem(err error) error {
	var ci *consent.Invalid
	if errors.As(err, &ci) {
		return problem(Invalid, ci.Code, ci.Field, "%s", ci.Message)
	}
	return err
}

// sealedConsent is a checked consent ready to insert.
type sealedConsent struct {
	row   *store.Consent
	event *store.ConsentEvent
}

// sealConsent encrypts a checked consent's personal content with the
// subject's data key.
func (v *Vault) sealConsent(act *Active, a Actor, subjectID string, dk keys.DataKey, c *consent.Checked, now time.Time) (*sealedConsent, error) {
	id := newID()
	content := consent.Content{SubjectName: c.SubjectName, Reference: c.Form.Reference, DocumentSHA256: c.Form.DocumentSHA256,
		Page: c.Form.Page, OtherConditions: c.OtherConditions}
	if c.Representative != nil {
		content.Representative, content.Authority = c.Representative.FullName, c.Representative.Authority
	}
	if c.Form.ClientIP != "" {
		content.ClientIPHash = hex.EncodeToString(v.ring.Index("client-ip", c.Form.ClientIP))
	}
	b, err := json.Marshal(content)
	if err != nil {
		return nil, err
	}
	row := &store.Consent{
		ID: id, SubjectID: subjectID, State: store.ConsentGiven,
		Purposes: strings.Join(c.Purposes, ","), Fields: strings.Join(c.Fields, ","),
		ThirdParty: c.ThirdParty, CrossBorder: c.CrossBorder, Publication: c.Publication, NotifyTransfers: c.NotifyTransfers,
		AccountBound: c.AccountBound, Form: c.Form.Kind, Until: c.Until, PolicyVersion: act.Version,
		Content: keys.Seal(dk, fieldAD("consent", id, "content"), b), GivenAt: now,
	}
	ev := &store.ConsentEvent{ID: newID(), ConsentID: id, Kind: consent.Given, At: now, Actor: a.ID}
	return &sealedConsent{row, ev}, nil
}

func (s *sealedConsent) insert(ctx context.Context, tx *store.Tx, a Actor) error {
	if err := tx.ConsentInsert(ctx, s.row); err != nil {
		return err
	}
	if err := tx.ConsentEventInsert(ctx, s.event); err != nil {
		return err
	}
	return tx.JournalAppend(ctx, &journal.Entry{Actor: a.ID, Action: actionConsentGive, Subject: s.row.SubjectID, Outcome: journal.OK,
		Detail: detail(map[string]any{"role": a.Role, "consent": s.row.ID, "purposes": strings.Split(s.row.Purposes, ","),
			"fields": strings.Split(s.row.Fields, ","), "form": s.row.Form, "third_party": s.row.ThirdParty, "cross_border": s.row.CrossBorder,
			"policy_version": s.row.PolicyVersion})})
}

// GiveConsent records a consent given by (or for) an existing subject.
func (v *Vault) GiveConsent(ctx context.Context, a Actor, subjectID string, r consent.Request) (string, error) {
	if !validID(subjectID) {
		return "", errNotFound
	}
	if len(r.Purposes) == 0 {
		return "", problem(Invalid, "purposes-required", "purposes", "a consent names the purposes it allows")
	}
	act, _, err := v.authorize(ctx, a, policy.CanCollect, r.Purposes[0], subjectID, "")
	if err != nil {
		return "", err
	}
	for _, p := range r.Purposes[1:] {
		if _, _, err := v.authorize(ctx, a, policy.CanCollect, p, subjectID, ""); err != nil {
			return "", err
		}
	}
	var id string
	err = v.store.Write(ctx, func(tx *store.Tx) error {
		sub, err := tx.SubjectGet(ctx, subjectID)
		if err != nil {
			return err
		}
		if sub.State == store.Destroyed {
			return errGone
		}
		now := v.now()
		c, err := consent.Check(act.Policy, sub.Category, r, now)
		if err != nil {
			return consentProblem(err)
		}
		dk, err := v.dataKey(ctx, tx, subjectID)
		if err != nil {
			return err
		}
		sc, err := v.sealConsent(act, a, subjectID, dk, c, now)
		if err != nil {
			return err
		}
		id = sc.row.ID
		return sc.insert(ctx, tx, a)
	})
	if errors.Is(err, store.ErrNotFound) {
		return "", errNotFound
	}
	return id, err
}

func (v *Vault) dataKey(ctx context.Context, tx *store.Tx, subjectID string) (keys.DataKey, error) {
	wrapped, err := tx.DataKeyGet(ctx, subjectID)
	if err != nil {
		return keys.DataKey{}, err
	}
	return v.ring.Unwrap(subjectID, wrapped)
}

// chooseConsent finds the live consent a new consent-ground record rests
// on: the one named, or the newest that covers its purpose and fields.
func chooseConsent(consents []*store.Consent, named, purpose string, fields []string, now time.Time) (string, *Problem) {
	lacking := ""
	for i := len(consents) - 1; i >= 0; i-- {
		c := consents[i]
		if named != "" && c.ID != named {
			continue
		}
		if !consent.Live(c.State, c.Until, now) {
			if named != "" {
				return "", problem(Conflict, "consent-not-in-force", "consent", "the named consent is %s", describeEnded(c, now))
			}
			continue
		}
		ok, missing := consent.Covers(c.Purposes, c.Fields, purpose, fields)
		if ok {
			return c.ID, nil
		}
		if missing != "" && lacking == "" {
			lacking = missing
		}
	}
	namedFound := named == "" || slices.ContainsFunc(consents, func(c *store.Consent) bool { return c.ID == named })
	switch {
	case !namedFound:
		return "", problem(Invalid, "consent-not-found", "consent", "the subject has no such consent")
	case named != "" && lacking == "":
		return "", problem(Invalid, "consent-not-covering", "consent", "the named consent does not cover purpose %q", purpose)
	case lacking != "":
		return "", problem(Invalid, "consent-lacks-field", lacking, "no consent of this subject in force covers field %q for purpose %q", lacking, purpose)
	}
	return "", problem(Invalid, "consent-required", "consent", "purpose %q rests on consent here, and no consent of this subject in force covers it; record the consent first", purpose)
}

func describeEnded(c *store.Consent, now time.Time) string {
	if c.State == store.ConsentWithdrawn {
		return "withdrawn"
	}
	return "expired"
}

// Consents returns a subject's consents and their events, for a declared
// purpose; the read is journaled.
func (v *Vault) Consents(ctx context.Context, a Actor, subjectID, purpose string) ([]*Consent, error) {
	if !validID(subjectID) {
		return nil, errNotFound
	}
	act, role, err := v.authorize(ctx, a, policy.CanRead, purpose, subjectID, "")
	if err != nil {
		return nil, err
	}
	// The content of a consent (the subject's name, the evidence) is shown
	// only to roles that see the subject's name.
	showContent := slices.ContainsFunc(act.Fields, func(f policy.Field) bool { return f.Type == policy.TypeName && role.Sees(f.ID) })
	var rows []*store.Consent
	events := map[string][]*store.ConsentEvent{}
	var dk keys.DataKey
	err = v.store.Write(ctx, func(tx *store.Tx) error {
		sub, err := tx.SubjectGet(ctx, subjectID)
		if err != nil {
			return err
		}
		if sub.State == store.Destroyed {
			return errGone
		}
		all, err := tx.ConsentsBySubject(ctx, subjectID)
		if err != nil {
			return err
		}
		rows = rows[:0]
		for _, c := range all {
			if slices.Contains(strings.Split(c.Purposes, ","), purpose) {
				rows = append(rows, c)
			}
		}
		for _, c := range rows {
			if events[c.ID], err = tx.ConsentEvents(ctx, c.ID); err != nil {
				return err
			}
		}
		if dk, err = v.dataKey(ctx, tx, subjectID); err != nil {
			return err
		}
		return tx.JournalAppend(ctx, &journal.Entry{Actor: a.ID, Action: actionConsentRead, Purpose: purpose, Subject: subjectID, Outcome: journal.OK,
			Detail: detail(map[string]any{"role": a.Role, "consents": len(rows)})})
	})
	if errors.Is(err, store.ErrNotFound) {
		return nil, errNotFound
	}
	if err != nil {
		return nil, err
	}
	now := v.now()
	out := make([]*Consent, 0, len(rows))
	for _, c := range rows {
		x, err := v.openConsent(dk, c, events[c.ID], now)
		if err != nil {
			return nil, err
		}
		if !showContent {
			x.Content = consent.Content{}
			for i := range x.Events {
				x.Events[i].Basis = ""
			}
		}
		out = append(out, x)
	}
	return out, nil
}

func (v *Vault) openConsent(dk keys.DataKey, c *store.Consent, evs []*store.ConsentEvent, now time.Time) (*Consent, error) {
	x := &Consent{ID: c.ID, Subject: c.SubjectID, State: c.State, Live: consent.Live(c.State, c.Until, now),
		Purposes: strings.Split(c.Purposes, ","), Fields: strings.Split(c.Fields, ","), Until: c.Until,
		ThirdParty: c.ThirdParty, CrossBorder: c.CrossBorder, Publication: c.Publication, NotifyTransfers: c.NotifyTransfers,
		AccountBound: c.AccountBound, Form: c.Form, PolicyVersion: c.PolicyVersion, GivenAt: c.GivenAt, EndedAt: c.EndedAt}
	if c.State == store.ConsentGiven && !x.Live {
		x.State = consent.Expired
	}
	pt, err := keys.Open(dk, fieldAD("consent", c.ID, "content"), c.Content)
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(pt, &x.Content); err != nil {
		return nil, fmt.Errorf("vault: consent content: %w", err)
	}
	for _, e := range evs {
		ce := ConsentEvent{ID: e.ID, Kind: e.Kind, At: e.At, Actor: e.Actor, Reason: e.Reason, Due: e.Due}
		if e.Content != nil {
			b, err := keys.Open(dk, fieldAD("consent-event", e.ID, "basis"), e.Content)
			if err != nil {
				return nil, err
			}
			ce.Basis = string(b)
		}
		x.Events = append(x.Events, ce)
	}
	return x, nil
}

// Withdrawal is a subject's withdrawal of a consent as the operator handles
// it. Refusal, when set, records a reasoned refusal instead (Art. 8 p.2:
// the withdrawal contradicts a law, or an obligation is unfulfilled).
type Withdrawal struct {
	// Reason is a code: subject-request, account-deleted...
	Reason  string
	Refusal *Refusal
}

// Refusal is the operator's reasoned refusal to stop processing.
type Refusal struct {
	// Reason is a code: contradicts-law | obligation-unfulfilled.
	Reason string
	// Basis names the law or the obligation, in words.
	Basis string
}

// Refusal reasons the law accepts (Art. 8 p.2).
var refusalReasons = []string{"contradicts-law", "obligation-unfulfilled"}

// WithdrawResult says what a withdrawal did.
type WithdrawResult struct {
	Event string `json:"event"`
	Kind  string `json:"kind"`
	// Due is when the operator's remaining steps must be done (Art. 8 p.7,
	// in working days); nil when the calendar lacks the year (the journal
	// and the log say so).
	Due *time.Time `json:"due,omitempty"`
	// Queued are the records that rest on no other ground and wait for
	// destruction.
	Queued []string `json:"queued_for_destruction,omitempty"`
	// Warning says why Due is missing or unconfirmed.
	Warning string `json:"warning,omitempty"`
}

// WithdrawConsent withdraws a consent, or records a reasoned refusal.
func (v *Vault) WithdrawConsent(ctx context.Context, a Actor, consentID, purpose string, w Withdrawal) (*WithdrawResult, error) {
	if !validID(consentID) {
		return nil, errNotFound
	}
	if _, _, err := v.authorize(ctx, a, policy.CanUpdate, purpose, "", ""); err != nil {
		return nil, err
	}
	if w.Reason == "" {
		w.Reason = "subject-request"
	}
	if reasonCode(w.Reason) != w.Reason || len(w.Reason) > 64 {
		return nil, problem(Invalid, "invalid-reason", "reason", "reason is a short code such as subject-request")
	}
	if w.Refusal != nil {
		if !slices.Contains(refusalReasons, w.Refusal.Reason) {
			return nil, problem(Invalid, "invalid-reason", "refusal.reason", "a withdrawal may only be refused because it contradicts a law or an obligation is unfulfilled (Art. 8 p.2): %s", strings.Join(refusalReasons, " or "))
		}
		if strings.TrimSpace(w.Refusal.Basis) == "" || len(w.Refusal.Basis) > 2000 {
			return nil, problem(Invalid, "basis-required", "refusal.basis", "a refusal states its basis: the law or the obligation (at most 2000 bytes)")
		}
	}
	var res *WithdrawResult
	var refusal *Problem
	err := v.store.Write(ctx, func(tx *store.Tx) error {
		refusal = nil
		c, err := tx.ConsentGet(ctx, consentID)
		if err != nil {
			return err
		}
		if !slices.Contains(strings.Split(c.Purposes, ","), purpose) {
			refusal = problem(Denied, "purpose-mismatch", "", "the consent does not cover purpose %q; declare one of its purposes", purpose)
			return tx.JournalAppend(ctx, &journal.Entry{Actor: a.ID, Action: actionConsentWithdraw, Purpose: purpose, Subject: c.SubjectID, Outcome: journal.Denied,
				Detail: detail(map[string]any{"role": a.Role, "consent": c.ID, "reason": refusal.Code})})
		}
		if sub, err := tx.SubjectGet(ctx, c.SubjectID); err != nil || sub.State == store.Destroyed {
			if err != nil {
				return err
			}
			return errGone
		}
		res, err = v.withdraw(ctx, tx, a, c, w)
		return err
	})
	if errors.Is(err, store.ErrNotFound) {
		return nil, errNotFound
	}
	if refusal != nil {
		return nil, refusal
	}
	return res, err
}

// withdraw does the work of a withdrawal inside tx.
func (v *Vault) withdraw(ctx context.Context, tx *store.Tx, a Actor, c *store.Consent, w Withdrawal) (*WithdrawResult, error) {
	now := v.now()
	if !consent.Live(c.State, c.Until, now) {
		return nil, problem(Conflict, "consent-not-in-force", "", "the consent is already %s", describeEnded(c, now))
	}
	ev := &store.ConsentEvent{ID: newID(), ConsentID: c.ID, At: now, Actor: a.ID}
	if w.Refusal != nil {
		dk, err := v.dataKey(ctx, tx, c.SubjectID)
		if err != nil {
			return nil, err
		}
		ev.Kind, ev.Reason = consent.WithdrawalRefused, w.Refusal.Reason
		ev.Content = keys.Seal(dk, fieldAD("consent-event", ev.ID, "basis"), []byte(w.Refusal.Basis))
		if err := tx.ConsentEventInsert(ctx, ev); err != nil {
			return nil, err
		}
		return &WithdrawResult{Event: ev.ID, Kind: ev.Kind}, tx.JournalAppend(ctx, &journal.Entry{Actor: a.ID, Action: actionConsentRefuse, Subject: c.SubjectID, Outcome: journal.OK,
			Detail: detail(map[string]any{"role": a.Role, "consent": c.ID, "reason": ev.Reason})})
	}
	act := v.active.Load()
	d := map[string]any{"role": a.Role, "consent": c.ID, "reason": w.Reason}
	due, err := v.cal.AddWorkingDays(now, act.EffectiveDeadlines().Withdrawal)
	warning := ""
	due = due.UTC().Truncate(time.Microsecond)
	switch {
	case err == nil:
		ev.Due = &due
		d["due"] = due.Format(time.DateOnly)
	case calendar.IsWarning(err):
		ev.Due = &due
		d["due"], d["calendar"] = due.Format(time.DateOnly), "unconfirmed-year"
		warning = "the deadline was counted on a calendar year not yet confirmed by the yearly order: " + err.Error()
	default:
		// Never refuse a withdrawal for want of a calendar year: record it,
		// and say loudly that its deadline could not be counted.
		d["calendar"] = "year-missing"
		warning = "the deadline of Art. 8 p.7 could not be counted: " + err.Error() + "; load the year with --calendar-dir"
	}
	ev.Kind, ev.Reason = consent.Withdrawn, w.Reason
	if err := tx.ConsentEnd(ctx, c.ID, store.ConsentWithdrawn, now); err != nil {
		return nil, err
	}
	if err := tx.ConsentEventInsert(ctx, ev); err != nil {
		return nil, err
	}
	recs, err := tx.RecordsBySubject(ctx, c.SubjectID)
	if err != nil {
		return nil, err
	}
	res := &WithdrawResult{Event: ev.ID, Kind: ev.Kind, Due: ev.Due, Warning: warning}
	for _, r := range recs {
		if r.ConsentID == c.ID && r.State != store.Destroyed {
			if err := tx.DestructionEnqueue(ctx, r.ID, r.SubjectID, "consent-withdrawn", now, ev.Due); err != nil {
				return nil, err
			}
			res.Queued = append(res.Queued, r.ID)
		}
	}
	d["records_queued"] = len(res.Queued)
	return res, tx.JournalAppend(ctx, &journal.Entry{Actor: a.ID, Action: actionConsentWithdraw, Subject: c.SubjectID, Outcome: journal.OK, Detail: detail(d)})
}

// AccountDeleted withdraws every consent in force that is bound to the
// subject's account (seed 000 §7.1: deleting the personal account is a
// withdrawal), and no other.
func (v *Vault) AccountDeleted(ctx context.Context, a Actor, subjectID, purpose string) ([]*WithdrawResult, error) {
	if !validID(subjectID) {
		return nil, errNotFound
	}
	if _, _, err := v.authorize(ctx, a, policy.CanUpdate, purpose, subjectID, ""); err != nil {
		return nil, err
	}
	var out []*WithdrawResult
	err := v.store.Write(ctx, func(tx *store.Tx) error {
		out = out[:0]
		if _, err := tx.SubjectGet(ctx, subjectID); err != nil {
			return err
		}
		cs, err := tx.ConsentsBySubject(ctx, subjectID)
		if err != nil {
			return err
		}
		now := v.now()
		for _, c := range cs {
			if !c.AccountBound || !consent.Live(c.State, c.Until, now) {
				continue
			}
			r, err := v.withdraw(ctx, tx, a, c, Withdrawal{Reason: "account-deleted"})
			if err != nil {
				return err
			}
			out = append(out, r)
		}
		return tx.JournalAppend(ctx, &journal.Entry{Actor: a.ID, Action: actionAccountDeleted, Purpose: purpose, Subject: subjectID, Outcome: journal.OK,
			Detail: detail(map[string]any{"role": a.Role, "consents_withdrawn": len(out)})})
	})
	if errors.Is(err, store.ErrNotFound) {
		return nil, errNotFound
	}
	return out, err
}

// Receipt builds the receipt of a consent event (the latest when eventID is
// empty) for a declared purpose of the consent; reading it is journaled.
func (v *Vault) Receipt(ctx context.Context, a Actor, consentID, eventID, purpose string) (*consent.Receipt, error) {
	if !validID(consentID) || (eventID != "" && !validID(eventID)) {
		return nil, errNotFound
	}
	if _, _, err := v.authorize(ctx, a, policy.CanRead, purpose, "", ""); err != nil {
		return nil, err
	}
	var row *store.Consent
	var evs []*store.ConsentEvent
	var dk keys.DataKey
	var pv *store.PolicyVersion
	var refusal *Problem
	err := v.store.Write(ctx, func(tx *store.Tx) error {
		var err error
		refusal = nil
		if row, err = tx.ConsentGet(ctx, consentID); err != nil {
			return err
		}
		if !slices.Contains(strings.Split(row.Purposes, ","), purpose) {
			refusal = problem(Denied, "purpose-mismatch", "", "the consent does not cover purpose %q; declare one of its purposes", purpose)
			return tx.JournalAppend(ctx, &journal.Entry{Actor: a.ID, Action: actionConsentRead, Purpose: purpose, Subject: row.SubjectID, Outcome: journal.Denied,
				Detail: detail(map[string]any{"role": a.Role, "consent": row.ID, "reason": refusal.Code})})
		}
		if row.Content == nil {
			return errGone
		}
		if evs, err = tx.ConsentEvents(ctx, consentID); err != nil {
			return err
		}
		if dk, err = v.dataKey(ctx, tx, row.SubjectID); err != nil {
			return err
		}
		if pv, err = tx.PolicyGet(ctx, row.PolicyVersion); err != nil {
			return err
		}
		return tx.JournalAppend(ctx, &journal.Entry{Actor: a.ID, Action: actionConsentRead, Purpose: purpose, Subject: row.SubjectID, Outcome: journal.OK,
			Detail: detail(map[string]any{"role": a.Role, "consent": consentID, "receipt": true})})
	})
	if errors.Is(err, store.ErrNotFound) {
		return nil, errNotFound
	}
	if err != nil {
		return nil, err
	}
	if refusal != nil {
		return nil, refusal
	}
	c, err := v.openConsent(dk, row, evs, v.now())
	if err != nil {
		return nil, err
	}
	p, err := policy.Parse("policy version", pv.Source)
	if err != nil {
		return nil, fmt.Errorf("vault: the policy shown with consent %s no longer parses: %w", consentID, err)
	}
	ev := c.Events[len(c.Events)-1]
	if eventID != "" {
		found := false
		for _, e := range c.Events {
			if e.ID == eventID {
				ev, found = e, true
			}
		}
		if !found {
			return nil, errNotFound
		}
	}
	r := &consent.Receipt{
		Schema: "derbes-consent-receipt/1", ReceiptID: ev.ID, ConsentID: c.ID, Event: ev.Kind, EventTime: ev.At,
		Operator: consent.ReceiptOperator{Name: p.Operator.Name, BIN: p.Operator.BIN, Address: p.Operator.Address,
			Responsible: p.Operator.Responsible.Name, Contact: strings.Trim(p.Operator.Responsible.Email+", "+p.Operator.Responsible.Phone, ", ")},
		Subject: consent.ReceiptSubject{ID: c.Subject, FullName: c.Content.SubjectName, Representative: c.Content.Representative, Authority: c.Content.Authority},
		Until:   c.Until, ThirdPartyTransfer: c.ThirdParty, CrossBorder: c.CrossBorder, Publication: c.Publication, NotifyTransfers: c.NotifyTransfers,
		OtherConditions: c.Content.OtherConditions,
		Form: consent.ReceiptForm{Kind: c.Form, Reference: c.Content.Reference, DocumentSHA256: c.Content.DocumentSHA256, Page: c.Content.Page,
			ClientIPHash: c.Content.ClientIPHash, At: c.GivenAt},
		Notice: consent.ReceiptNotice{PolicyVersion: pv.Version, PolicyLabel: pv.Label},
	}
	for _, id := range c.Purposes {
		pu, _ := p.Purpose(id)
		r.Purposes = append(r.Purposes, consent.ReceiptItem{ID: id, Title: pu.Title})
	}
	for _, id := range c.Fields {
		f, _ := p.Field(id)
		r.Data = append(r.Data, consent.ReceiptItem{ID: id, Title: f.Title})
	}
	if ev.Kind == consent.Withdrawn || ev.Kind == consent.WithdrawalRefused {
		r.Withdrawal = &consent.ReceiptWithdrawal{Due: ev.Due, Reason: ev.Reason, Basis: ev.Basis}
	}
	return r, nil
}
