package vault

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
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
	"github.com/derbes/derbes/notify"
	"github.com/derbes/derbes/policy"
	"github.com/derbes/derbes/store"
)

// Journal actions of transfers.
const (
	actionTransferCreate = "transfer.create"
	actionTransferRevoke = "transfer.revoke"
	actionTransferNotify = "transfer.notify"
	actionSharedRead     = "shared.read"
)

// MaxGrant is the longest a recipient's access may last.
const MaxGrant = 30 * 24 * time.Hour

// NewTransfer is a disclosure to decide.
type NewTransfer struct {
	Subject   string
	Recipient string
	Purpose   string
	// Records to pass; empty means every active record of the purpose.
	Records []string
	// Fields to pass: only these are disclosed.
	Fields []string
	// Ground is "consent" (the consent must allow third-party and, if
	// needed, cross-border transfer) or a ground of Art. 9 with Reference.
	Ground    string
	Reference string
	// GrantFor, when positive, issues an access grant for the recipient's
	// system lasting this long (at most MaxGrant).
	GrantFor time.Duration
}

// Transfer is a transfer as staff see it.
type Transfer struct {
	ID          string     `json:"id"`
	Subject     string     `json:"subject"`
	Recipient   string     `json:"recipient"`
	Purpose     string     `json:"purpose"`
	Ground      string     `json:"ground"`
	Consent     string     `json:"consent,omitempty"`
	Records     []string   `json:"records"`
	Fields      []string   `json:"fields"`
	Country     string     `json:"country"`
	CrossBorder bool       `json:"cross_border"`
	DecidedBy   string     `json:"decided_by"`
	CreatedAt   time.Time  `json:"created_at"`
	NotifyDue   *time.Time `json:"notify_due,omitempty"`
	NotifiedAt  *time.Time `json:"notified_at,omitempty"`
	RevokedAt   *time.Time `json:"revoked_at,omitempty"`
	// Grant is the recipient's access token, shown once.
	Grant *IssuedGrant `json:"grant,omitempty"`
}

// IssuedGrant is a new access grant.
type IssuedGrant struct {
	Token     string    `json:"token"`
	ExpiresAt time.Time `json:"expires_at"`
}

func transferView(x *store.Transfer) *Transfer {
	return &Transfer{ID: x.ID, Subject: x.SubjectID, Recipient: x.Recipient, Purpose: x.Purpose, Ground: x.Ground, Consent: x.ConsentID,
		Records: strings.Split(x.Records, ","), Fields: strings.Split(x.Fields, ","), Country: x.Country, CrossBorder: x.CrossBorder,
		DecidedBy: x.DecidedBy, CreatedAt: x.CreatedAt, NotifyDue: x.NotifyDue, NotifiedAt: x.NotifiedAt, RevokedAt: x.RevokedAt}
}

// CreateTransfer decides a disclosure: it is refused, with the reason
// journaled and nothing disclosed, unless the policy lets the purpose pass
// data to the recipient, the records and fields are the subject's and in
// force, and the ground allows it (a consent that allows third-party and,
// abroad, cross-border transfer; or a ground of Art. 9 with its reference).
func (v *Vault) CreateTransfer(ctx context.Context, a Actor, nt NewTransfer) (*Transfer, error) {
	if !validID(nt.Subject) {
		return nil, errNotFound
	}
	if nt.Purpose == "" {
		return nil, problem(Invalid, "purpose-required", "purpose", "say for which purpose the data is passed")
	}
	act, role, err := v.authorize(ctx, a, policy.CanTransfer, nt.Purpose, nt.Subject, "")
	if err != nil {
		return nil, err
	}
	refuse := func(p *Problem) (*Transfer, error) {
		return nil, v.deny(ctx, a, actionTransferCreate, nt.Purpose, nt.Subject, "", p)
	}
	rc, ok := recipient(act.Policy, nt.Recipient)
	if !ok {
		return refuse(problem(Invalid, "unknown-recipient", "recipient", "recipient %q is not in the policy", nt.Recipient))
	}
	pu, _ := act.Purpose(nt.Purpose)
	if !slices.Contains(pu.Recipients, rc.ID) {
		return refuse(problem(Denied, "recipient-not-allowed", "recipient", "the policy does not let purpose %q pass data to %q", pu.ID, rc.ID))
	}
	if len(nt.Fields) == 0 {
		return nil, problem(Invalid, "fields-required", "fields", "say exactly which fields are passed")
	}
	for _, f := range nt.Fields {
		if !role.Sees(f) || role.Masks(f) {
			return refuse(problem(Denied, "field-not-visible", f, "role %q may not see, so may not pass on, field %q", a.Role, f))
		}
	}
	if nt.GrantFor < 0 || nt.GrantFor > MaxGrant {
		return nil, problem(Invalid, "invalid-value", "grant", "a grant lasts at most %s", MaxGrant)
	}
	if nt.Ground == "" && len(pu.Grounds) == 1 {
		nt.Ground = pu.Grounds[0]
	}
	country := rc.Country
	if country == "" {
		country = "KZ"
	}
	cross := country != act.Operator.Storage.Country
	adequate := slices.Contains(act.AdequateCountries, country)
	now := v.now()
	x := &store.Transfer{ID: newID(), SubjectID: nt.Subject, Recipient: rc.ID, Purpose: pu.ID, Ground: nt.Ground, Fields: strings.Join(nt.Fields, ","),
		Country: country, CrossBorder: cross, DecidedBy: a.ID, CreatedAt: now}
	var grant *store.Grant
	var token string
	if nt.GrantFor > 0 {
		grant, token = newGrant(x.ID, now, nt.GrantFor)
	}
	var refusal *Problem
	err = v.store.Write(ctx, func(tx *store.Tx) error {
		refusal = nil
		deny := func(p *Problem) error {
			refusal = p
			return tx.JournalAppend(ctx, &journal.Entry{Actor: a.ID, Action: actionTransferCreate, Purpose: pu.ID, Subject: nt.Subject, Outcome: journal.Denied,
				Detail: detail(map[string]any{"role": a.Role, "recipient": rc.ID, "reason": p.Code})})
		}
		sub, err := tx.SubjectGet(ctx, nt.Subject)
		if err != nil {
			return err
		}
		if sub.State == store.Destroyed {
			return errGone
		}
		recs, err := tx.RecordsBySubject(ctx, nt.Subject)
		if err != nil {
			return err
		}
		var chosen []*store.Record
		for _, r := range recs {
			if len(nt.Records) > 0 && !slices.Contains(nt.Records, r.ID) {
				continue
			}
			if p := readRefusal(r, pu.ID, now); p != nil {
				if len(nt.Records) > 0 {
					return deny(problem(Denied, "record-not-transferable", "records", "record %s may not be passed on: %s", r.ID, p.Message))
				}
				continue
			}
			chosen = append(chosen, r)
		}
		if len(chosen) == 0 || (len(nt.Records) > 0 && len(chosen) != len(nt.Records)) {
			return deny(problem(Invalid, "records-not-found", "records", "the subject has no such records of purpose %q in force", pu.ID))
		}
		var have []string
		ids := make([]string, len(chosen))
		for i, r := range chosen {
			ids[i] = r.ID
			have = append(have, strings.Split(r.FieldNames, ",")...)
		}
		idents := identifierKinds
		for _, f := range nt.Fields {
			if !slices.Contains(have, f) && !slices.Contains(idents, f) {
				return deny(problem(Invalid, "field-not-held", f, "the records hold no field %q", f))
			}
		}
		x.Records = strings.Join(ids, ",")
		switch g := nt.Ground; {
		case g == policy.GroundConsent:
			cs, err := tx.ConsentsBySubject(ctx, nt.Subject)
			if err != nil {
				return err
			}
			var allowing *store.Consent
			for _, c := range cs {
				if !consent.Live(c.State, c.Until, now) {
					continue
				}
				if ok, _ := consent.Covers(c.Purposes, c.Fields, pu.ID, onlyRecordFields(nt.Fields, idents)); !ok {
					continue
				}
				if (c.ThirdParty || rc.Kind == policy.RecipientProcessor) && (!cross || adequate || c.CrossBorder) {
					allowing = c
				}
			}
			if allowing == nil {
				code, msg := "consent-does-not-allow", "no consent of the subject in force allows passing these fields to a third party (Art. 7 p.6)"
				if cross && !adequate {
					code, msg = "cross-border-not-allowed", fmt.Sprintf("%s is not among the states the policy considers to protect personal data, and no consent in force allows cross-border transfer (Art. 16)", country)
				}
				return deny(problem(Denied, code, "ground", "%s", msg))
			}
			x.ConsentID = allowing.ID
			if allowing.NotifyTransfers {
				days := act.EffectiveDeadlines().TransferNotice
				if due, err := v.cal.AddWorkingDays(now, days); err == nil || calendar.IsWarning(err) {
					due = due.UTC().Truncate(time.Microsecond)
					x.NotifyDue = &due
				} else {
					x.NotifyDue = &now // the deadline could not be counted: notify at once
				}
			}
		default:
			gr, ok := policy.LookupGround(g)
			if !ok || g == "" {
				return deny(problem(Invalid, "ground-required", "ground", "say on which ground the data is passed: consent or a ground of Art. 9"))
			}
			if strings.TrimSpace(nt.Reference) == "" || len(nt.Reference) > 500 {
				return deny(problem(Invalid, "reference-required", "reference", "a transfer on %s (%s) names its basis: the request's number and date, the treaty, the law", gr.ID, gr.Article))
			}
			if cross && !adequate && g != "international-treaty" {
				return deny(problem(Denied, "cross-border-not-allowed", "ground", "%s is not among the states the policy considers to protect personal data; without consent only a treaty allows it (Art. 16)", country))
			}
		}
		if nt.Reference != "" {
			dk, err := v.dataKey(ctx, tx, nt.Subject)
			if err != nil {
				return err
			}
			x.Reference = keys.Seal(dk, fieldAD("transfer", x.ID, "reference"), []byte(nt.Reference))
		}
		if err := tx.TransferInsert(ctx, x); err != nil {
			return err
		}
		if grant != nil {
			if err := tx.GrantInsert(ctx, grant); err != nil {
				return err
			}
		}
		return tx.JournalAppend(ctx, &journal.Entry{Actor: a.ID, Action: actionTransferCreate, Purpose: pu.ID, Subject: nt.Subject, Outcome: journal.OK,
			Detail: detail(map[string]any{"role": a.Role, "transfer": x.ID, "recipient": rc.ID, "records": len(ids), "fields": nt.Fields,
				"ground": x.Ground, "cross_border": cross, "country": country, "grant": grant != nil, "notify_due": dueText(x.NotifyDue)})})
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
	out := transferView(x)
	if grant != nil {
		out.Grant = &IssuedGrant{Token: token, ExpiresAt: grant.ExpiresAt}
	}
	return out, nil
}

func recipient(p *policy.Policy, id string) (policy.Recipient, bool) {
	for _, r := range p.Recipients {
		if r.ID == id {
			return r, true
		}
	}
	return policy.Recipient{}, false
}

// onlyRecordFields drops the subject identifiers, which consents need not
// list field by field for a record to be passed with them.
func onlyRecordFields(fields, idents []string) []string {
	var out []string
	for _, f := range fields {
		if !slices.Contains(idents, f) {
			out = append(out, f)
		}
	}
	return out
}

func newGrant(transfer string, now time.Time, d time.Duration) (*store.Grant, string) {
	id := make([]byte, 6)
	secret := make([]byte, 32)
	rand.Read(id)
	rand.Read(secret)
	sec := base64.RawURLEncoding.EncodeToString(secret)
	sum := sha256.Sum256([]byte(sec))
	g := &store.Grant{ID: hex.EncodeToString(id), TransferID: transfer, SecretHash: sum[:], CreatedAt: now, ExpiresAt: now.Add(d)}
	return g, "dbg_" + g.ID + "_" + sec
}

// ListTransfers lists transfers of a subject or to a recipient.
func (v *Vault) ListTransfers(ctx context.Context, a Actor, subject, recipient string) ([]*Transfer, error) {
	if _, _, err := v.authorize(ctx, a, policy.CanTransfer, "", "", ""); err != nil {
		return nil, err
	}
	var rows []*store.Transfer
	err := v.store.Read(ctx, func(r *store.Reader) error {
		var err error
		switch {
		case subject != "":
			rows, err = r.TransfersBySubject(ctx, subject)
		case recipient != "":
			rows, err = r.TransfersByRecipient(ctx, recipient, 1000)
		default:
			return problem(Invalid, "filter-required", "", "list the transfers of a subject or to a recipient")
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	out := make([]*Transfer, len(rows))
	for i, x := range rows {
		out[i] = transferView(x)
	}
	return out, nil
}

// RevokeTransfer ends a transfer's grants at once.
func (v *Vault) RevokeTransfer(ctx context.Context, a Actor, id string) error {
	if !validID(id) {
		return errNotFound
	}
	if _, _, err := v.authorize(ctx, a, policy.CanTransfer, "", "", ""); err != nil {
		return err
	}
	err := v.store.Write(ctx, func(tx *store.Tx) error {
		x, err := tx.TransferGet(ctx, id)
		if err != nil {
			return err
		}
		if err := tx.TransferRevoke(ctx, id, v.now()); err != nil {
			if errors.Is(err, store.ErrNotFound) {
				return problem(Conflict, "already-revoked", "", "the transfer was already revoked")
			}
			return err
		}
		return tx.JournalAppend(ctx, &journal.Entry{Actor: a.ID, Action: actionTransferRevoke, Purpose: x.Purpose, Subject: x.SubjectID, Outcome: journal.OK,
			Detail: detail(map[string]any{"role": a.Role, "transfer": id, "recipient": x.Recipient})})
	})
	if errors.Is(err, store.ErrNotFound) {
		return errNotFound
	}
	return err
}

// Shared is what a recipient reads through its grant: exactly the
// transferred fields of the transferred records.
type Shared struct {
	Transfer    string            `json:"transfer"`
	Recipient   string            `json:"recipient"`
	Purpose     string            `json:"purpose"`
	Identifiers map[string]string `json:"identifiers,omitempty"`
	Records     []SharedRecord    `json:"records"`
	ExpiresAt   time.Time         `json:"expires_at"`
}

// SharedRecord is one transferred record.
type SharedRecord struct {
	ID     string            `json:"id"`
	Fields map[string]string `json:"fields"`
}

// ErrBadGrant means the grant token is unknown, malformed, revoked or
// expired; which one is not said.
var ErrBadGrant = errors.New("vault: invalid, revoked or expired grant")

// ReadShared lets a recipient read through its grant token: record, if
// set, narrows to one record, and fields to some of the transferred fields.
// Everything else is refused (403) and journaled as the recipient's.
func (v *Vault) ReadShared(ctx context.Context, token, record string, fields []string) (*Shared, error) {
	rest, ok := strings.CutPrefix(token, "dbg_")
	if !ok || len(rest) != 12+1+43 || rest[12] != '_' {
		return nil, ErrBadGrant
	}
	gid, sec := rest[:12], rest[13:]
	sum := sha256.Sum256([]byte(sec))
	if record != "" && !validID(record) {
		record = "-" // never let junk from the path reach the journal
	}
	var x *store.Transfer
	var g *store.Grant
	var recs []*store.Record
	var sub *store.Subject
	var wrapped []byte
	recKeys := map[string][]byte{}
	var refusal *Problem
	bad := false
	err := v.store.Write(ctx, func(tx *store.Tx) error {
		refusal, bad = nil, false
		var err error
		if g, err = tx.GrantGet(ctx, gid); err != nil {
			return err
		}
		now := v.now()
		if x, err = tx.TransferGet(ctx, g.TransferID); err != nil {
			return err
		}
		actor := "recipient:" + x.Recipient + "/grant:" + g.ID
		if subtle.ConstantTimeCompare(g.SecretHash, sum[:]) != 1 || g.RevokedAt != nil || x.RevokedAt != nil || !now.Before(g.ExpiresAt) {
			// An attempt with a known grant that no longer (or never) opens
			// is itself worth a line in the journal.
			bad = true
			return tx.JournalAppend(ctx, &journal.Entry{Actor: actor, Action: actionSharedRead, Purpose: x.Purpose, Subject: x.SubjectID, Outcome: journal.Denied,
				Detail: detail(map[string]any{"transfer": x.ID, "reason": "grant-invalid"})})
		}
		deny := func(p *Problem) error {
			refusal = p
			return tx.JournalAppend(ctx, &journal.Entry{Actor: actor, Action: actionSharedRead, Purpose: x.Purpose, Subject: x.SubjectID, Record: record, Outcome: journal.Denied,
				Detail: detail(map[string]any{"transfer": x.ID, "reason": p.Code})})
		}
		granted := strings.Split(x.Fields, ",")
		for _, f := range fields {
			if !slices.Contains(granted, f) {
				return deny(problem(Denied, "field-not-granted", f, "field %q was not passed to you", f))
			}
		}
		ids := strings.Split(x.Records, ",")
		if record != "" && !slices.Contains(ids, record) {
			return deny(problem(Denied, "record-not-granted", "record", "that record was not passed to you"))
		}
		if sub, err = tx.SubjectGet(ctx, x.SubjectID); err != nil {
			return err
		}
		if sub.State == store.Destroyed {
			return deny(errGone)
		}
		all, err := tx.RecordsBySubject(ctx, x.SubjectID)
		if err != nil {
			return err
		}
		recs = recs[:0]
		for _, r := range all {
			if slices.Contains(ids, r.ID) && (record == "" || r.ID == record) {
				if p := readRefusal(r, x.Purpose, now); p != nil {
					return deny(p)
				}
				recs = append(recs, r)
			}
		}
		if wrapped, err = tx.DataKeyGet(ctx, x.SubjectID); err != nil {
			return err
		}
		for _, r := range recs {
			if recKeys[r.ID], err = tx.DataKeyGet(ctx, r.ID); err != nil {
				return err
			}
		}
		if err := tx.GrantTouch(ctx, g.ID, now); err != nil {
			return err
		}
		for _, r := range recs {
			if err := tx.JournalAppend(ctx, &journal.Entry{Actor: actor, Action: journal.RecordRead, Purpose: x.Purpose, Subject: x.SubjectID, Record: r.ID,
				Outcome: journal.OK, Detail: detail(map[string]any{"transfer": x.ID, "fields": want(granted, fields)})}); err != nil {
				return err
			}
		}
		return nil
	})
	if errors.Is(err, store.ErrNotFound) || bad {
		return nil, ErrBadGrant
	}
	if err != nil {
		return nil, err
	}
	if refusal != nil {
		return nil, refusal
	}
	dk, err := v.ring.Unwrap(x.SubjectID, wrapped)
	if err != nil {
		return nil, err
	}
	show := want(strings.Split(x.Fields, ","), fields)
	in := func(f string) bool { return slices.Contains(show, f) }
	out := &Shared{Transfer: x.ID, Recipient: x.Recipient, Purpose: x.Purpose, ExpiresAt: g.ExpiresAt}
	if out.Identifiers, err = openFields(dk, "identifier", x.SubjectID, sub.Identifiers, in); err != nil {
		return nil, err
	}
	for _, r := range recs {
		rk, err := v.ring.Unwrap(r.ID, recKeys[r.ID])
		if err != nil {
			return nil, err
		}
		vals, err := openFields(rk, "field", r.ID, r.Fields, in)
		if err != nil {
			return nil, err
		}
		out.Records = append(out.Records, SharedRecord{ID: r.ID, Fields: vals})
	}
	return out, nil
}

func want(granted, asked []string) []string {
	if len(asked) == 0 {
		return granted
	}
	return asked
}

// NotifyTransfers tells subjects, whose consent asked for it, of transfers
// of their data (Art. 19), through n; it returns how many were sent and
// how many are still waiting (no contact, or the notifier failed).
func (v *Vault) NotifyTransfers(ctx context.Context, n notify.Notifier) (sent, waiting int, err error) {
	act := v.active.Load()
	var due []*store.Transfer
	if err := v.store.Read(ctx, func(r *store.Reader) error {
		var err error
		due, err = r.TransfersToNotify(ctx, 500)
		return err
	}); err != nil {
		return 0, 0, err
	}
	for _, x := range due {
		var to string
		err := v.store.Write(ctx, func(tx *store.Tx) error {
			sub, err := tx.SubjectGet(ctx, x.SubjectID)
			if err != nil || sub.State == store.Destroyed {
				return err
			}
			dk, err := v.dataKey(ctx, tx, x.SubjectID)
			if err != nil {
				return err
			}
			ids, err := openFields(dk, "identifier", x.SubjectID, sub.Identifiers, func(k string) bool { return k == "email" || k == "phone" })
			if err != nil {
				return err
			}
			to = ids["email"]
			if to == "" {
				to = ids["phone"]
			}
			return tx.JournalAppend(ctx, &journal.Entry{Actor: System.ID, Action: journal.SubjectRead, Purpose: x.Purpose, Subject: x.SubjectID, Outcome: journal.OK,
				Detail: detail(map[string]any{"transfer": x.ID, "reason": "transfer-notice", "contact": contactKind(to)})})
		})
		if err != nil || to == "" {
			waiting++
			continue
		}
		rc, _ := recipient(act.Policy, x.Recipient)
		pu, _ := act.Purpose(x.Purpose)
		m := notify.Message{Kind: "transfer-notice", Ref: x.ID, To: to, Lang: "kk",
			Subject: "Дербес деректеріңіз берілді / Ваши персональные данные переданы",
			Body: fmt.Sprintf("%s: %s.\n%s: %s.\n\n%s: %s.\n%s: %s.\n\n(Law 94-V Art. 19)",
				"Алушы", rc.Title.KK, "Мақсаты", pu.Title.KK, "Получатель", rc.Title.RU, "Цель", pu.Title.RU)}
		if err := n.Notify(ctx, m); err != nil {
			waiting++
			continue
		}
		err = v.store.Write(ctx, func(tx *store.Tx) error {
			if err := tx.TransferNotified(ctx, x.ID, v.now()); err != nil {
				return err
			}
			return tx.JournalAppend(ctx, &journal.Entry{Actor: System.ID, Action: actionTransferNotify, Purpose: x.Purpose, Subject: x.SubjectID, Outcome: journal.OK,
				Detail: detail(map[string]any{"transfer": x.ID, "channel": contactKind(to)})})
		})
		if err != nil {
			return sent, waiting, err
		}
		sent++
	}
	return sent, waiting, nil
}

func contactKind(to string) string {
	switch {
	case to == "":
		return "none"
	case strings.HasPrefix(to, "+"):
		return "phone"
	}
	return "email"
}

// Pusher delivers a transfer to a recipient's system (a signed webhook),
// for recipients that do not read through a grant.
type Pusher interface {
	// Push sends payload (JSON of Shared) to recipient; ErrNoPush if the
	// recipient has no push endpoint.
	Push(ctx context.Context, recipient, transfer string, payload []byte) error
}

// ErrNoPush means the recipient has no push endpoint configured.
var ErrNoPush = errors.New("vault: the recipient has no push endpoint")

// WithPusher sets how transfers are pushed to recipients.
func (v *Vault) WithPusher(p Pusher) *Vault {
	v.pusher = p
	return v
}

// PushTransfer delivers a transfer's records (exactly the transferred
// fields) to the recipient's endpoint; the delivery, or its failure, is
// journaled. It needs a grant to read through, so it is given the
// transfer's own grant token.
func (v *Vault) PushTransfer(ctx context.Context, a Actor, token string) error {
	if v.pusher == nil {
		return problem(Conflict, "push-not-configured", "", "no recipient push endpoints are configured on this server")
	}
	sh, err := v.ReadShared(ctx, token, "", nil)
	if err != nil {
		return err
	}
	payload, err := json.Marshal(sh)
	if err != nil {
		return err
	}
	perr := v.pusher.Push(ctx, sh.Recipient, sh.Transfer, payload)
	outcome, reason := journal.OK, ""
	if perr != nil {
		outcome, reason = journal.Failed, "delivery-failed"
		if errors.Is(perr, ErrNoPush) {
			reason = "no-endpoint"
		}
	}
	if err := v.store.Write(ctx, func(tx *store.Tx) error {
		return tx.JournalAppend(ctx, &journal.Entry{Actor: a.ID, Action: "transfer.push", Purpose: sh.Purpose, Outcome: outcome,
			Detail: detail(map[string]any{"role": a.Role, "transfer": sh.Transfer, "recipient": sh.Recipient, "records": len(sh.Records), "reason": reason})})
	}); err != nil {
		return err
	}
	if errors.Is(perr, ErrNoPush) {
		return problem(Invalid, "no-push-endpoint", "push", "recipient %q has no push endpoint configured", sh.Recipient)
	}
	if perr != nil {
		return problem(Conflict, "push-failed", "push", "the recipient's endpoint did not accept the delivery; the transfer stands and its grant still works")
	}
	return nil
}
