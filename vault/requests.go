package vault

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/derbes/derbes/calendar"
	"github.com/derbes/derbes/journal"
	"github.com/derbes/derbes/keys"
	"github.com/derbes/derbes/policy"
	"github.com/derbes/derbes/request"
	"github.com/derbes/derbes/store"
)

// Journal actions of requests.
const (
	actionRequestReceive = "request.receive"
	actionRequestRead    = "request.read"
	actionRequestVerify  = "request.verify"
	actionRequestAssign  = "request.assign"
	actionRequestFulfil  = "request.fulfil"
	actionRequestRefuse  = "request.refuse"
	actionRequestAnswer  = "request.answer-sent"
	actionRecordBlock    = "record.block"
	actionRecordUnblock  = "record.unblock"
)

// NewRequest is a request as received.
type NewRequest struct {
	Kind    string
	Channel string
	// Lang is the language the subject is answered in: kk, ru or en.
	Lang string
	// Subject is the subject's id when the intake already knows it.
	Subject string
	request.Content
}

// Request is a request as staff see it.
type Request struct {
	ID             string           `json:"id"`
	Kind           string           `json:"kind"`
	State          string           `json:"state"`
	Outcome        string           `json:"outcome,omitempty"`
	Subject        string           `json:"subject,omitempty"`
	Channel        string           `json:"channel"`
	Representative bool             `json:"representative"`
	Lang           string           `json:"lang"`
	ReceivedAt     time.Time        `json:"received_at"`
	ClockAt        time.Time        `json:"clock_started_at"`
	Due            *time.Time       `json:"due_at,omitempty"`
	Overdue        bool             `json:"overdue"`
	Assignee       string           `json:"assignee,omitempty"`
	Refusal        string           `json:"refusal,omitempty"`
	AnsweredAt     *time.Time       `json:"answered_at,omitempty"`
	Content        *request.Content `json:"content,omitempty"`
	// Warning says why Due is missing or unconfirmed.
	Warning string `json:"warning,omitempty"`
}

func summary(r *store.Request, now time.Time) *Request {
	return &Request{ID: r.ID, Kind: r.Kind, State: r.State, Outcome: r.Outcome, Subject: r.SubjectID, Channel: r.Channel,
		Representative: r.Representative, Lang: r.Lang, ReceivedAt: r.ReceivedAt, ClockAt: r.ClockAt, Due: r.Due,
		Overdue: r.State != request.Answered && r.Due != nil && now.After(*r.Due), Assignee: r.Assignee, Refusal: r.Refusal, AnsweredAt: r.AnsweredAt}
}

// due counts a request's deadline from clock on the working-day calendar.
func (v *Vault) due(kind string, clock time.Time) (*time.Time, string) {
	days, _ := request.Deadline(v.active.Load().EffectiveDeadlines(), kind)
	d, err := v.cal.AddWorkingDays(clock, days)
	d = d.UTC().Truncate(time.Microsecond)
	switch {
	case err == nil:
		return &d, ""
	case calendar.IsWarning(err):
		return &d, "counted on a calendar year not yet confirmed: " + err.Error()
	}
	return nil, "the deadline could not be counted: " + err.Error() + "; load the year with --calendar-dir"
}

// SubmitRequest records a request as received. The clock of kinds that
// run from receipt starts now; the others start when the facts are
// confirmed (VerifyRequest).
func (v *Vault) SubmitRequest(ctx context.Context, a Actor, nr NewRequest) (*Request, error) {
	act, _, err := v.authorize(ctx, a, policy.CanRequests, "", "", "")
	if err != nil {
		return nil, err
	}
	switch {
	case !slices.Contains(request.Kinds, nr.Kind):
		return nil, problem(Invalid, "unknown-kind", "kind", "kind must be one of %s", strings.Join(request.Kinds, ", "))
	case nr.Channel == "":
		return nil, problem(Invalid, "channel-required", "channel", "say how the request arrived (channel)")
	case len(nr.Channel) > 64 || reasonCode(nr.Channel) != nr.Channel:
		return nil, problem(Invalid, "invalid-value", "channel", "channel is a short code such as letter, e-mail, portal, visit")
	case nr.Lang == "":
		nr.Lang = "kk"
	}
	if nr.Lang != "kk" && nr.Lang != "ru" && nr.Lang != "en" {
		return nil, problem(Invalid, "invalid-value", "lang", "lang is kk, ru or en")
	}
	if strings.TrimSpace(nr.Requester.FullName) == "" {
		return nil, problem(Invalid, "value-required", "requester.full_name", "say who makes the request")
	}
	if rep := nr.Requester.Representative; rep != nil && (strings.TrimSpace(rep.FullName) == "" || strings.TrimSpace(rep.Authority) == "") {
		return nil, problem(Invalid, "authority-required", "requester.representative", "a representative's request names them and the document that empowers them")
	}
	if nr.Subject != "" && !validID(nr.Subject) {
		return nil, problem(Invalid, "invalid-value", "subject", "subject is a subject id")
	}
	if nr.Kind == request.Correction {
		for f := range nr.Corrections {
			if _, ok := act.Field(f); !ok {
				return nil, problem(Invalid, "unknown-field", f, "field %q is not in the policy", f)
			}
		}
	}
	if nr.Identity.IIN != "" {
		if _, perr := normalise(policy.Field{ID: "iin", Type: policy.TypeIIN}, nr.Identity.IIN); perr != nil {
			return nil, perr
		}
	}
	nr.Verified = nil
	b, err := json.Marshal(nr.Content)
	if err != nil {
		return nil, err
	}
	if len(b) > 256<<10 {
		return nil, problem(Invalid, "too-large", "", "the request is larger than 256 KiB")
	}
	now := v.now()
	r := &store.Request{ID: newID(), Kind: nr.Kind, State: request.Received, SubjectID: nr.Subject, Channel: nr.Channel,
		Representative: nr.Requester.Representative != nil, Lang: nr.Lang, ReceivedAt: now, ClockAt: now, UpdatedAt: now}
	warning := ""
	r.Due, warning = v.due(r.Kind, now)
	dk, wrapped, err := v.ring.NewDataKey(r.ID)
	if err != nil {
		return nil, err
	}
	r.Content = keys.Seal(dk, fieldAD("request", r.ID, "content"), b)
	err = v.store.Write(ctx, func(tx *store.Tx) error {
		if nr.Subject != "" {
			if _, err := tx.SubjectGet(ctx, nr.Subject); err != nil {
				return err
			}
		}
		if err := tx.DataKeyInsert(ctx, r.ID, keys.WrappedVersion(wrapped), wrapped); err != nil {
			return err
		}
		if err := tx.RequestInsert(ctx, r); err != nil {
			return err
		}
		return tx.JournalAppend(ctx, &journal.Entry{Actor: a.ID, Action: actionRequestReceive, Subject: r.SubjectID, Outcome: journal.OK,
			Detail: detail(map[string]any{"role": a.Role, "request": r.ID, "kind": r.Kind, "channel": r.Channel, "representative": r.Representative, "due": dueText(r.Due)})})
	})
	if errors.Is(err, store.ErrNotFound) {
		return nil, problem(Invalid, "unknown-subject", "subject", "no such subject")
	}
	if err != nil {
		return nil, err
	}
	out := summary(r, now)
	out.Warning = warning
	return out, nil
}

func dueText(t *time.Time) string {
	if t == nil {
		return "uncounted"
	}
	return t.In(calendar.Location()).Format(time.DateOnly)
}

// ListRequests lists requests by filter; no personal data is shown.
func (v *Vault) ListRequests(ctx context.Context, a Actor, f store.RequestFilter) ([]*Request, error) {
	if _, _, err := v.authorize(ctx, a, policy.CanRequests, "", "", ""); err != nil {
		return nil, err
	}
	var rows []*store.Request
	err := v.store.Read(ctx, func(r *store.Reader) error {
		var err error
		rows, err = r.RequestList(ctx, f)
		return err
	})
	if err != nil {
		return nil, err
	}
	now := v.now()
	out := make([]*Request, len(rows))
	for i, r := range rows {
		out[i] = summary(r, now)
	}
	return out, nil
}

// withRequest runs fn on a request inside a write transaction, with its
// decrypted content, and saves the request (and its content) if fn says so.
func (v *Vault) withRequest(ctx context.Context, id string, fn func(tx *store.Tx, r *store.Request, c *request.Content, dk keys.DataKey) (save bool, err error)) error {
	if !validID(id) {
		return errNotFound
	}
	err := v.store.Write(ctx, func(tx *store.Tx) error {
		r, err := tx.RequestGet(ctx, id)
		if err != nil {
			return err
		}
		prev := r.UpdatedAt
		dk, err := v.dataKey(ctx, tx, id)
		if err != nil {
			return err
		}
		pt, err := keys.Open(dk, fieldAD("request", id, "content"), r.Content)
		if err != nil {
			return err
		}
		var c request.Content
		if err := json.Unmarshal(pt, &c); err != nil {
			return fmt.Errorf("vault: request content: %w", err)
		}
		save, err := fn(tx, r, &c, dk)
		if err != nil || !save {
			return err
		}
		b, err := json.Marshal(c)
		if err != nil {
			return err
		}
		r.Content = keys.Seal(dk, fieldAD("request", id, "content"), b)
		r.UpdatedAt = v.now()
		if !r.UpdatedAt.After(prev) {
			r.UpdatedAt = prev.Add(time.Microsecond)
		}
		return tx.RequestUpdate(ctx, r, prev)
	})
	if errors.Is(err, store.ErrNotFound) {
		return errNotFound
	}
	return err
}

// GetRequest returns a request with its content; the read is journaled.
func (v *Vault) GetRequest(ctx context.Context, a Actor, id string) (*Request, error) {
	if _, _, err := v.authorize(ctx, a, policy.CanRequests, "", "", ""); err != nil {
		return nil, err
	}
	var out *Request
	err := v.withRequest(ctx, id, func(tx *store.Tx, r *store.Request, c *request.Content, _ keys.DataKey) (bool, error) {
		out = summary(r, v.now())
		out.Content = c
		return false, tx.JournalAppend(ctx, &journal.Entry{Actor: a.ID, Action: actionRequestRead, Subject: r.SubjectID, Outcome: journal.OK,
			Detail: detail(map[string]any{"role": a.Role, "request": id})})
	})
	return out, err
}

// AssignRequest gives a request to a staff member (by their id in the
// operator's directory).
func (v *Vault) AssignRequest(ctx context.Context, a Actor, id, assignee string) (*Request, error) {
	if _, _, err := v.authorize(ctx, a, policy.CanRequests, "", "", ""); err != nil {
		return nil, err
	}
	if assignee == "" || len(assignee) > 128 || reasonCode(strings.ToLower(assignee)) != strings.ToLower(assignee) {
		return nil, problem(Invalid, "invalid-value", "assignee", "assignee is a staff id (letters, digits, - and _)")
	}
	var out *Request
	err := v.withRequest(ctx, id, func(tx *store.Tx, r *store.Request, c *request.Content, _ keys.DataKey) (bool, error) {
		if r.State == request.Answered {
			return false, problem(Conflict, "request-answered", "", "the request is already answered")
		}
		r.Assignee = assignee
		out = summary(r, v.now())
		return true, tx.JournalAppend(ctx, &journal.Entry{Actor: a.ID, Action: actionRequestAssign, Subject: r.SubjectID, Outcome: journal.OK,
			Detail: detail(map[string]any{"role": a.Role, "request": id, "assignee": assignee})})
	})
	return out, err
}

// Verification is the staff's check of the requester's identity.
type Verification struct {
	// Subject is the subject the request concerns, as identified.
	Subject string
	// Checked lists the requisites the staff checked and found valid.
	Checked []string
	// ConfirmedAt is when the confirming documents arrived (default now);
	// the clock of correction, blocking, unblocking and destruction starts
	// then.
	ConfirmedAt *time.Time
	// Await records that the requester was asked for documents: the request
	// waits in state verifying instead of being decided now.
	Await bool
}

// VerifyRequest checks the requester's identity against the requisites the
// policy requires. A request that lacks any is refused with reasons, never
// dropped; otherwise it goes in progress.
func (v *Vault) VerifyRequest(ctx context.Context, a Actor, id string, ver Verification) (*Request, error) {
	act, _, err := v.authorize(ctx, a, policy.CanRequests, "", "", "")
	if err != nil {
		return nil, err
	}
	for _, c := range ver.Checked {
		if !slices.Contains(request.Requisites, c) {
			return nil, problem(Invalid, "invalid-value", "checked", "requisites are %s", strings.Join(request.Requisites, ", "))
		}
	}
	required := act.Requests.Identity
	if len(required) == 0 {
		required = request.DefaultRequisites
	}
	var out *Request
	err = v.withRequest(ctx, id, func(tx *store.Tx, r *store.Request, c *request.Content, dk keys.DataKey) (bool, error) {
		if r.State == request.Answered || r.State == request.InProgress {
			return false, problem(Conflict, "request-not-verifiable", "", "the request is %s", r.State)
		}
		now := v.now()
		if ver.Await {
			c.Verified = ver.Checked
			r.State = request.Verifying
			out = summary(r, now)
			return true, tx.JournalAppend(ctx, &journal.Entry{Actor: a.ID, Action: actionRequestVerify, Subject: r.SubjectID, Outcome: journal.OK,
				Detail: detail(map[string]any{"role": a.Role, "request": id, "awaiting": "documents"})})
		}
		provided := c.Identity.Provided()
		var missing []string
		for _, req := range required {
			if !slices.Contains(provided, req) || !slices.Contains(ver.Checked, req) {
				missing = append(missing, req)
			}
		}
		if len(missing) > 0 {
			c.Verified = ver.Checked
			letter := v.letter(r, c, now)
			letter.Outcome, letter.Reason, letter.Missing = request.Refused, request.RefusedIdentity, missing
			if err := v.answer(ctx, tx, a, r, letter, dk, now); err != nil {
				return false, err
			}
			out = summary(r, now)
			return true, tx.JournalAppend(ctx, &journal.Entry{Actor: a.ID, Action: actionRequestRefuse, Subject: r.SubjectID, Outcome: journal.OK,
				Detail: detail(map[string]any{"role": a.Role, "request": id, "reason": request.RefusedIdentity, "missing": missing})})
		}
		subject := ver.Subject
		if subject == "" {
			subject = r.SubjectID
		}
		if !validID(subject) {
			return false, problem(Invalid, "subject-required", "subject", "say which subject the verified requester is")
		}
		if _, err := tx.SubjectGet(ctx, subject); err != nil {
			if errors.Is(err, store.ErrNotFound) {
				return false, problem(Invalid, "unknown-subject", "subject", "no such subject")
			}
			return false, err
		}
		c.Verified = ver.Checked
		r.SubjectID, r.State = subject, request.InProgress
		if request.ClockFromConfirmation(r.Kind) {
			r.ClockAt = now
			if ver.ConfirmedAt != nil {
				if ver.ConfirmedAt.After(now) || ver.ConfirmedAt.Before(r.ReceivedAt) {
					return false, problem(Invalid, "invalid-value", "confirmed_at", "confirmed_at lies between receipt and now")
				}
				r.ClockAt = ver.ConfirmedAt.UTC().Truncate(time.Microsecond)
			}
			r.Due, _ = v.due(r.Kind, r.ClockAt)
		}
		out = summary(r, now)
		return true, tx.JournalAppend(ctx, &journal.Entry{Actor: a.ID, Action: actionRequestVerify, Subject: subject, Outcome: journal.OK,
			Detail: detail(map[string]any{"role": a.Role, "request": id, "checked": ver.Checked, "due": dueText(r.Due)})})
	})
	return out, err
}

// Fulfilment is how staff answer a request in progress.
type Fulfilment struct {
	// Partly marks an answer that fulfils only part of the request.
	Partly bool
	// IncludeValues puts the values, not only the kinds of data, in an
	// information answer.
	IncludeValues bool
	// Done says in words what was done (objections, removals from public
	// sources; added to the letter for other kinds).
	Done string
	// Record and Corrections override the request's own (correction).
	Record      string
	Corrections map[string]*string
	// Consent overrides the request's own (withdrawal).
	Consent string
}

// FulfilRequest carries out a verified request through the vault, in the
// same transaction as its answer and their journal entries.
func (v *Vault) FulfilRequest(ctx context.Context, a Actor, id string, f Fulfilment) (*Request, error) {
	act, _, err := v.authorize(ctx, a, policy.CanRequests, "", "", "")
	if err != nil {
		return nil, err
	}
	if len(f.Done) > 4000 {
		return nil, problem(Invalid, "too-large", "done", "done is at most 4000 bytes")
	}
	var out *Request
	err = v.withRequest(ctx, id, func(tx *store.Tx, r *store.Request, c *request.Content, dk keys.DataKey) (bool, error) {
		if r.State != request.InProgress {
			return false, problem(Conflict, "request-not-in-progress", "", "the request is %s; verify it first", r.State)
		}
		now := v.now()
		letter := v.letter(r, c, now)
		letter.Outcome, letter.Done = request.Fulfilled, f.Done
		if f.Partly {
			letter.Outcome = request.Partly
		}
		facts := map[string]any{"role": a.Role, "request": id, "kind": r.Kind}
		switch r.Kind {
		case request.Information:
			held, err := v.held(ctx, tx, act.Policy, r.SubjectID, f.IncludeValues)
			if err != nil {
				return false, err
			}
			letter.Held = held
			if letter.Transfers, err = heldTransfers(ctx, tx, act.Policy, r.SubjectID); err != nil {
				return false, err
			}
			facts["records"] = len(held)
		case request.Correction:
			changes := f.Corrections
			if changes == nil {
				changes = map[string]*string{}
				for k, x := range c.Corrections {
					changes[k] = &x
				}
			}
			rec := f.Record
			if rec == "" {
				rec = c.Record
			}
			changed, err := v.correct(ctx, tx, a, act, r.SubjectID, rec, changes, id)
			if err != nil {
				return false, err
			}
			facts["fields"] = changed
			if letter.Done == "" {
				letter.Done = "corrected: " + strings.Join(changed, ", ")
			}
		case request.Blocking, request.Unblocking:
			from, to, action := store.Active, store.Blocked, actionRecordBlock
			if r.Kind == request.Unblocking {
				from, to, action = store.Blocked, store.Active, actionRecordUnblock
			}
			n, err := tx.RecordsSetState(ctx, r.SubjectID, from, to, now)
			if err != nil {
				return false, err
			}
			facts["records"] = n
			if err := tx.JournalAppend(ctx, &journal.Entry{Actor: a.ID, Action: action, Subject: r.SubjectID, Outcome: journal.OK,
				Detail: detail(map[string]any{"role": a.Role, "request": id, "records": n})}); err != nil {
				return false, err
			}
			if letter.Done == "" {
				letter.Done = fmt.Sprintf("%s: %d records", to, n)
			}
		case request.Destruction:
			if err := v.destroySubject(ctx, tx, a, r.SubjectID, "", map[string]any{"reason": "subject-request", "request": id}); err != nil {
				return false, err
			}
			if letter.Done == "" {
				letter.Done = "destroyed"
			}
		case request.Withdrawal:
			cid := f.Consent
			if cid == "" {
				cid = c.Consent
			}
			if !validID(cid) {
				return false, problem(Invalid, "consent-required", "consent", "say which consent is withdrawn")
			}
			cons, err := tx.ConsentGet(ctx, cid)
			if err != nil || cons.SubjectID != r.SubjectID {
				return false, problem(Invalid, "consent-not-subjects", "consent", "the consent is not the requester's")
			}
			res, err := v.withdraw(ctx, tx, a, cons, Withdrawal{Reason: "subject-request"})
			if err != nil {
				return false, err
			}
			facts["queued"] = len(res.Queued)
			if letter.Done == "" {
				letter.Done = "consent withdrawn; processing on it stopped"
			}
		case request.Objection, request.PublicRemoval:
			if strings.TrimSpace(f.Done) == "" {
				return false, problem(Invalid, "value-required", "done", "say what was decided or done")
			}
		}
		if err := v.answer(ctx, tx, a, r, letter, dk, now); err != nil {
			return false, err
		}
		facts["outcome"] = letter.Outcome
		out = summary(r, now)
		return true, tx.JournalAppend(ctx, &journal.Entry{Actor: a.ID, Action: actionRequestFulfil, Subject: r.SubjectID, Outcome: journal.OK, Detail: detail(facts)})
	})
	return out, err
}

// RefuseRequest answers a request with a reasoned refusal.
func (v *Vault) RefuseRequest(ctx context.Context, a Actor, id, reason, explanation string) (*Request, error) {
	if _, _, err := v.authorize(ctx, a, policy.CanRequests, "", "", ""); err != nil {
		return nil, err
	}
	if !slices.Contains(request.RefusalReasons, reason) {
		return nil, problem(Invalid, "invalid-reason", "reason", "reason is one of %s", strings.Join(request.RefusalReasons, ", "))
	}
	if strings.TrimSpace(explanation) == "" || len(explanation) > 4000 {
		return nil, problem(Invalid, "value-required", "explanation", "a refusal gives its reasons in words (at most 4000 bytes)")
	}
	var out *Request
	err := v.withRequest(ctx, id, func(tx *store.Tx, r *store.Request, c *request.Content, dk keys.DataKey) (bool, error) {
		if r.State == request.Answered {
			return false, problem(Conflict, "request-answered", "", "the request is already answered")
		}
		now := v.now()
		letter := v.letter(r, c, now)
		letter.Outcome, letter.Reason, letter.Explanation = request.Refused, reason, explanation
		if err := v.answer(ctx, tx, a, r, letter, dk, now); err != nil {
			return false, err
		}
		out = summary(r, now)
		return true, tx.JournalAppend(ctx, &journal.Entry{Actor: a.ID, Action: actionRequestRefuse, Subject: r.SubjectID, Outcome: journal.OK,
			Detail: detail(map[string]any{"role": a.Role, "request": id, "reason": reason})})
	})
	return out, err
}

// letter starts the answer to r.
func (v *Vault) letter(r *store.Request, c *request.Content, now time.Time) *request.Letter {
	p := v.active.Load().Policy
	l := &request.Letter{Schema: "derbes-answer/1", RequestID: r.ID, Kind: r.Kind, Lang: r.Lang, Received: r.ReceivedAt, Answered: now,
		Operator: request.LetterOperator{Name: p.Operator.Name, BIN: p.Operator.BIN, Address: p.Operator.Address, Responsible: p.Operator.Responsible.Name,
			Contact: strings.Trim(p.Operator.Responsible.Email+", "+p.Operator.Responsible.Phone, ", ")},
		Addressee: c.Requester.FullName}
	if r.Due != nil {
		l.Due = *r.Due
	}
	if rep := c.Requester.Representative; rep != nil {
		l.Addressee, l.Representative = rep.FullName, c.Requester.FullName
	}
	return l
}

// answer stores the letter (encrypted with the request's key) and closes r.
func (v *Vault) answer(ctx context.Context, tx *store.Tx, a Actor, r *store.Request, l *request.Letter, dk keys.DataKey, now time.Time) error {
	b, err := json.Marshal(l)
	if err != nil {
		return err
	}
	r.Answer = keys.Seal(dk, fieldAD("request", r.ID, "answer"), b)
	r.State, r.Outcome, r.AnsweredAt = request.Answered, l.Outcome, &now
	if l.Outcome == request.Refused {
		r.Refusal = l.Reason
	}
	return nil
}

// Answer returns a request's answer letter; handing it out is journaled as
// sending it.
func (v *Vault) Answer(ctx context.Context, a Actor, id string) (*request.Letter, error) {
	if _, _, err := v.authorize(ctx, a, policy.CanRequests, "", "", ""); err != nil {
		return nil, err
	}
	var l request.Letter
	err := v.withRequest(ctx, id, func(tx *store.Tx, r *store.Request, _ *request.Content, dk keys.DataKey) (bool, error) {
		if r.Answer == nil {
			return false, problem(Conflict, "not-answered", "", "the request has no answer yet")
		}
		pt, err := keys.Open(dk, fieldAD("request", id, "answer"), r.Answer)
		if err != nil {
			return false, err
		}
		if err := json.Unmarshal(pt, &l); err != nil {
			return false, fmt.Errorf("vault: answer: %w", err)
		}
		return false, tx.JournalAppend(ctx, &journal.Entry{Actor: a.ID, Action: actionRequestAnswer, Subject: r.SubjectID, Outcome: journal.OK,
			Detail: detail(map[string]any{"role": a.Role, "request": id, "outcome": r.Outcome})})
	})
	if err != nil {
		return nil, err
	}
	return &l, nil
}

// held describes everything held about a subject, for an information
// answer: its identifiers and each record not destroyed.
func (v *Vault) held(ctx context.Context, tx *store.Tx, p *policy.Policy, subject string, values bool) ([]request.HeldRecord, error) {
	sub, err := tx.SubjectGet(ctx, subject)
	if err != nil {
		return nil, err
	}
	if sub.State == store.Destroyed {
		return nil, nil
	}
	recs, err := tx.RecordsBySubject(ctx, subject)
	if err != nil {
		return nil, err
	}
	dk, err := v.dataKey(ctx, tx, subject)
	if err != nil {
		return nil, err
	}
	var out []request.HeldRecord
	idents, err := openFields(dk, "identifier", subject, sub.Identifiers, func(string) bool { return true })
	if err != nil {
		return nil, err
	}
	ih := request.HeldRecord{Record: "identifiers", Collected: sub.CreatedAt, State: sub.State, Retention: "as long as any record is kept"}
	for _, k := range fieldList(idents) {
		ih.Data = append(ih.Data, heldField(p, k, idents[k], values))
	}
	out = append(out, ih)
	for _, r := range recs {
		if r.State == store.Destroyed {
			continue
		}
		rk, err := v.dataKey(ctx, tx, r.ID)
		if err != nil {
			return nil, err
		}
		vals, err := openFields(rk, "field", r.ID, r.Fields, func(string) bool { return values })
		if err != nil {
			return nil, err
		}
		pu, _ := p.Purpose(r.Purpose)
		g, _ := policy.LookupGround(r.Ground)
		h := request.HeldRecord{Record: r.ID, Purpose: request.Item{ID: r.Purpose, Title: pu.Title}, Ground: request.Item{ID: r.Ground, Title: g.Title},
			Channel: request.Item{ID: r.Channel, Title: channelTitle(p, r.Channel)}, Collected: r.CreatedAt, State: r.State, Retention: retentionText(pu.Retention)}
		for _, f := range strings.Split(r.FieldNames, ",") {
			h.Data = append(h.Data, heldField(p, f, vals[f], values))
		}
		for _, rid := range pu.Recipients {
			for _, rc := range p.Recipients {
				if rc.ID == rid {
					h.Recipients = append(h.Recipients, request.Item{ID: rid, Title: rc.Title})
				}
			}
		}
		out = append(out, h)
	}
	return out, nil
}

// heldTransfers lists the subject's transfers from the register.
func heldTransfers(ctx context.Context, tx *store.Tx, p *policy.Policy, subject string) ([]request.HeldTransfer, error) {
	xs, err := tx.TransfersBySubject(ctx, subject)
	if err != nil {
		return nil, err
	}
	var out []request.HeldTransfer
	for _, x := range xs {
		rc, _ := recipient(p, x.Recipient)
		pu, _ := p.Purpose(x.Purpose)
		g, _ := policy.LookupGround(x.Ground)
		h := request.HeldTransfer{Recipient: request.Item{ID: rc.ID, Title: rc.Title}, Purpose: request.Item{ID: pu.ID, Title: pu.Title},
			Ground: request.Item{ID: g.ID, Title: g.Title}, Country: x.Country, At: x.CreatedAt}
		for _, f := range strings.Split(x.Fields, ",") {
			fd, _ := p.Field(f)
			h.Fields = append(h.Fields, request.Item{ID: f, Title: fd.Title})
		}
		out = append(out, h)
	}
	return out, nil
}

func heldField(p *policy.Policy, id, value string, values bool) request.HeldField {
	f, _ := p.Field(id)
	h := request.HeldField{Item: request.Item{ID: id, Title: f.Title}}
	if values {
		h.Value = value
	}
	return h
}

func channelTitle(p *policy.Policy, id string) policy.Text {
	for _, c := range p.Channels {
		if c.ID == id {
			return c.Title
		}
	}
	return policy.Text{}
}

func retentionText(r policy.Retention) string {
	s := "until the purpose is achieved"
	if r.Period != "" {
		s = r.Period + " from " + strings.ReplaceAll(r.From, "_", " ")
		if r.From == policy.FromEvent {
			s = r.Period + " from " + strings.ReplaceAll(r.Event, "_", " ")
		}
	}
	return s + ", then " + r.Then
}

// correct changes a record's fields on a correction request: no purpose
// declared (the request is the ground), the policy's field rules apply, and
// the old values are not kept.
func (v *Vault) correct(ctx context.Context, tx *store.Tx, a Actor, act *Active, subject, recordID string, changes map[string]*string, requestID string) ([]string, error) {
	if !validID(recordID) {
		return nil, problem(Invalid, "record-required", "record", "say which record to correct")
	}
	if len(changes) == 0 {
		return nil, problem(Invalid, "fields-required", "corrections", "say which fields to correct")
	}
	r, err := tx.RecordGet(ctx, recordID)
	if err != nil || r.SubjectID != subject {
		return nil, problem(Invalid, "record-not-subjects", "record", "the record is not the requester's")
	}
	if r.State == store.Destroyed {
		return nil, errGone
	}
	sub, err := tx.SubjectGet(ctx, subject)
	if err != nil {
		return nil, err
	}
	dk, err := v.dataKey(ctx, tx, r.ID)
	if err != nil {
		return nil, err
	}
	values, err := openFields(dk, "field", r.ID, r.Fields, func(string) bool { return true })
	if err != nil {
		return nil, err
	}
	set := map[string]string{}
	for f, x := range changes {
		if x == nil || *x == "" {
			delete(values, f)
			continue
		}
		set[f] = *x
	}
	pu, _ := act.Purpose(r.Purpose)
	checked, perr := checkFields(act.Policy, pu, sub.Category, set)
	if perr != nil {
		return nil, perr
	}
	for f, x := range checked {
		values[f] = x
	}
	if len(values) == 0 {
		return nil, problem(Invalid, "fields-required", "corrections", "a record keeps at least one field; ask for destruction instead")
	}
	if err := tx.VersionInsert(ctx, r, v.now(), a.ID); err != nil {
		return nil, err
	}
	r.Fields = sealFields(dk, "field", r.ID, values)
	r.FieldNames = strings.Join(fieldList(values), ",")
	r.UpdatedAt = v.now()
	if err := tx.RecordCorrect(ctx, r); err != nil {
		return nil, err
	}
	changed := sortStrings(keysOf(changes))
	return changed, tx.JournalAppend(ctx, &journal.Entry{Actor: a.ID, Action: journal.RecordUpdate, Subject: subject, Record: r.ID, Outcome: journal.OK,
		Detail: detail(map[string]any{"role": a.Role, "fields": changed, "request": requestID})})
}
