package vault

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"strings"
	"time"

	"github.com/derbes/derbes/journal"
	"github.com/derbes/derbes/keys"
	"github.com/derbes/derbes/policy"
	"github.com/derbes/derbes/request"
	"github.com/derbes/derbes/store"
)

// The subject portal: a resident signs in with a one-time code sent to a
// contact on file, sees what is held about her, withdraws consents and
// makes requests. She acts for herself, under the law rather than under a
// role of the policy (Art. 24: the subject's right to her own data), so
// these methods do not go through authorize; each is journaled with the
// actor PortalActor and the subject's id.

// PortalActor is the subject acting for herself through the portal.
var PortalActor = Actor{ID: "subject:portal", Role: "subject"}

// PortalPurpose is the purpose journaled with the portal's reads: answering
// the subject's own request to see her data.
const PortalPurpose = "subject-request"

// Journal actions of the portal.
const (
	actionPortalLookup  = "portal.lookup"
	actionPortalCode    = "portal.code"
	actionPortalSignIn  = "portal.sign-in"
	actionPortalSignOut = "portal.sign-out"
)

// Limits of the portal's sign-in.
const (
	// PortalCodeFor is how long a one-time code may be used.
	PortalCodeFor = 10 * time.Minute
	// PortalCodeAttempts is how many times a code may be tried.
	PortalCodeAttempts = 5
	// PortalCodesPerHour is how many codes one IIN may be sent in an hour.
	PortalCodesPerHour = 5
	// PortalSessionFor is how long a portal session lasts.
	PortalSessionFor = 30 * time.Minute
)

// Errors of the portal's sign-in. They say nothing about whether an IIN is
// known.
var (
	// ErrPortalTooMany: too many codes were asked for this IIN lately.
	ErrPortalTooMany = errors.New("vault: too many codes asked for this IIN; try again later")
	// ErrPortalCodeWrong: the code does not match; it may be tried again.
	ErrPortalCodeWrong = errors.New("vault: the code is wrong")
	// ErrPortalCodeExpired: the code expired, was used, or was tried too
	// often; a new one must be asked for.
	ErrPortalCodeExpired = errors.New("vault: the code has expired")
	// ErrPortalSession: no valid portal session.
	ErrPortalSession = errors.New("vault: not signed in")
)

// Portal contact channels.
const (
	ChannelPhone = "phone"
	ChannelEmail = "email"
)

// PortalChannel is a contact a code can be sent to, masked.
type PortalChannel struct {
	Kind   string
	Masked string
}

// portalContacts finds the subject with an IIN and her phone and e-mail on
// file (identifiers first, then records). subject is "" when nobody has the
// IIN. The lookup is journaled in tx. During a rotation of the index key
// she may be indexed under the new key or the retiring one: both are tried.
func (v *Vault) portalContacts(ctx context.Context, tx *store.Tx, iin string) (subject string, contacts map[string]string, err error) {
	var ids []string
	for _, b := range v.ring.Blinds(policy.TypeIIN, iin) {
		found, err := tx.IdentifierFind(ctx, policy.TypeIIN, b.Hash)
		if err != nil {
			return "", nil, err
		}
		for _, id := range found {
			if !slices.Contains(ids, id) {
				ids = append(ids, id)
			}
		}
	}
	contacts = map[string]string{}
	if len(ids) == 1 {
		sub, err := tx.SubjectGet(ctx, ids[0])
		if err != nil {
			return "", nil, err
		}
		if sub.State != store.Destroyed {
			subject = sub.ID
			if contacts, err = v.contactsOf(ctx, tx, sub); err != nil {
				return "", nil, err
			}
		}
	}
	d := map[string]any{"found": subject != "", "channels": len(contacts)}
	return subject, contacts, tx.JournalAppend(ctx, &journal.Entry{Actor: PortalActor.ID, Action: actionPortalLookup, Purpose: PortalPurpose,
		Subject: subject, Outcome: journal.OK, Detail: detail(d)})
}

func (v *Vault) contactsOf(ctx context.Context, tx *store.Tx, sub *store.Subject) (map[string]string, error) {
	p := v.active.Load().Policy
	typeOf := func(id string) string {
		if f, ok := p.Field(id); ok {
			return f.Type
		}
		return id
	}
	out := map[string]string{}
	dk, err := v.dataKey(ctx, tx, sub.ID)
	if err != nil {
		return nil, err
	}
	idents, err := openFields(dk, "identifier", sub.ID, sub.Identifiers, func(string) bool { return true })
	if err != nil {
		return nil, err
	}
	take := func(values map[string]string) {
		for k, x := range values {
			switch t := typeOf(k); t {
			case policy.TypePhone, policy.TypeEmail:
				kind := map[string]string{policy.TypePhone: ChannelPhone, policy.TypeEmail: ChannelEmail}[t]
				if out[kind] == "" && x != "" {
					out[kind] = x
				}
			}
		}
	}
	take(idents)
	recs, err := tx.RecordsBySubject(ctx, sub.ID)
	if err != nil {
		return nil, err
	}
	for _, r := range recs {
		if r.State == store.Destroyed || out[ChannelPhone] != "" && out[ChannelEmail] != "" {
			continue
		}
		rk, err := v.dataKey(ctx, tx, r.ID)
		if err != nil {
			return nil, err
		}
		vals, err := openFields(rk, "field", r.ID, r.Fields, func(f string) bool { t := typeOf(f); return t == policy.TypePhone || t == policy.TypeEmail })
		if err != nil {
			return nil, err
		}
		take(vals)
	}
	return out, nil
}

// portalIIN checks an IIN's shape and returns its blind index under the
// current key (what the portal's codes are counted by) and its normalised
// form (to find her during a rotation of the index key too).
func (v *Vault) portalIIN(iin string) ([]byte, string, error) {
	f, ok := v.active.Load().Field("iin")
	if !ok || f.Type != policy.TypeIIN {
		f = policy.Field{ID: "iin", Type: policy.TypeIIN}
	}
	n, perr := normalise(f, iin)
	if perr != nil {
		return nil, "", perr
	}
	return v.ring.Index(policy.TypeIIN, n), n, nil
}

// PortalChannels returns the channels a code for an IIN can be sent by,
// masked. It always offers the phone and the e-mail: for an IIN nobody has,
// and for a contact not on file, it shows a made-up mask derived from the
// IIN (the same every time), so that the answer does not tell who is known.
func (v *Vault) PortalChannels(ctx context.Context, iin string) ([]PortalChannel, error) {
	h, n, err := v.portalIIN(iin)
	if err != nil {
		return nil, err
	}
	var contacts map[string]string
	err = v.store.Write(ctx, func(tx *store.Tx) error {
		_, contacts, err = v.portalContacts(ctx, tx, n)
		return err
	})
	if err != nil {
		return nil, err
	}
	return v.channels(h, contacts), nil
}

// channels masks the contacts on file, and makes up the others.
func (v *Vault) channels(iinHash []byte, contacts map[string]string) []PortalChannel {
	fake := v.ring.Index("portal-mask", string(iinHash))
	out := []PortalChannel{{Kind: ChannelPhone, Masked: fakePhone(fake)}, {Kind: ChannelEmail, Masked: fakeEmail(fake)}}
	for i := range out {
		if c := contacts[out[i].Kind]; c != "" {
			out[i].Masked = MaskContact(out[i].Kind, c)
		}
	}
	return out
}

// MaskContact shows a phone or an e-mail address enough to recognise it:
// "+7 701 *** ** 67", "a******@mail.kz".
func MaskContact(kind, value string) string {
	switch kind {
	case ChannelPhone:
		if len(value) == 12 && strings.HasPrefix(value, "+7") {
			return "+7 " + value[2:5] + " *** ** " + value[10:]
		}
	case ChannelEmail:
		if at := strings.LastIndexByte(value, '@'); at > 0 {
			r := []rune(value[:at])
			return string(r[0]) + strings.Repeat("*", len(r)-1) + value[at:]
		}
	}
	return "***"
}

var (
	fakeOperators = []string{"701", "702", "705", "707", "747", "771", "775", "777", "778"}
	fakeDomains   = []string{"mail.ru", "gmail.com", "mail.kz", "inbox.kz", "yandex.kz"}
)

func fakePhone(b []byte) string {
	return fmt.Sprintf("+7 %s *** ** %02d", fakeOperators[int(b[0])%len(fakeOperators)], int(b[1])%100)
}

func fakeEmail(b []byte) string {
	return string(rune('a'+b[2]%26)) + strings.Repeat("*", 4+int(b[3])%6) + "@" + fakeDomains[int(b[4])%len(fakeDomains)]
}

// PortalCode is a code to send: To and Code are empty when there is no one
// to send it to (an unknown IIN, or a contact not on file), which the
// caller must not reveal.
type PortalCode struct {
	// Challenge names the code for PortalSignIn; not secret.
	Challenge string
	// Masked is the contact as the page shows it (made up when there is
	// no one to send to).
	Masked string
	To     string
	Code   string
}

// PortalSendCode makes a one-time code for an IIN and a channel. The code
// is stored only as a keyed hash; at most PortalCodesPerHour codes are made
// per IIN in an hour, whether or not anyone has it.
func (v *Vault) PortalSendCode(ctx context.Context, iin, channel string) (*PortalCode, error) {
	if channel != ChannelPhone && channel != ChannelEmail {
		return nil, problem(Invalid, "invalid-value", "channel", "channel is phone or email")
	}
	h, normal, err := v.portalIIN(iin)
	if err != nil {
		return nil, err
	}
	code, err := sixDigits()
	if err != nil {
		return nil, err
	}
	now := v.now()
	out := &PortalCode{Challenge: newID()}
	err = v.store.Write(ctx, func(tx *store.Tx) error {
		n, err := tx.PortalCodesSince(ctx, h, now.Add(-time.Hour))
		if err != nil {
			return err
		}
		if n >= PortalCodesPerHour {
			return ErrPortalTooMany
		}
		if err := tx.PortalCodesPrune(ctx, now.Add(-24*time.Hour)); err != nil {
			return err
		}
		subject, contacts, err := v.portalContacts(ctx, tx, normal)
		if err != nil {
			return err
		}
		for _, c := range v.channels(h, contacts) {
			if c.Kind == channel {
				out.Masked = c.Masked
			}
		}
		to := contacts[channel]
		if to == "" {
			subject = ""
		}
		if err := tx.PortalCodeInsert(ctx, &store.PortalCode{ID: out.Challenge, IINHash: h, SubjectID: subject, Channel: channel,
			CodeHash: v.codeHash(out.Challenge, code), CreatedAt: now, ExpiresAt: now.Add(PortalCodeFor)}); err != nil {
			return err
		}
		out.To, out.Code = to, code
		if to == "" {
			out.Code = ""
			return nil
		}
		return tx.JournalAppend(ctx, &journal.Entry{Actor: PortalActor.ID, Action: actionPortalCode, Purpose: PortalPurpose, Subject: subject,
			Outcome: journal.OK, Detail: detail(map[string]any{"channel": channel, "challenge": out.Challenge})})
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func sixDigits() (string, error) {
	n, err := rand.Int(rand.Reader, big.NewInt(1_000_000))
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%06d", n.Int64()), nil
}

// codeHash keys the hash with the keyring's index key, which is not in the
// database: a copy of the database alone cannot try the million codes.
func (v *Vault) codeHash(challenge, code string) []byte {
	return v.ring.Index("portal-code", challenge+"\x00"+code)
}

// PortalSignIn checks a code and opens a session; the token goes in the
// session cookie. A wrong code counts an attempt (ErrPortalCodeWrong); an
// expired, used or exhausted one is ErrPortalCodeExpired.
func (v *Vault) PortalSignIn(ctx context.Context, challenge, code string) (token string, err error) {
	code = strings.TrimSpace(code)
	if !validID(challenge) {
		return "", ErrPortalCodeExpired
	}
	now := v.now()
	var wrong bool
	err = v.store.Write(ctx, func(tx *store.Tx) error {
		wrong = false
		c, err := tx.PortalCodeGet(ctx, challenge)
		if errors.Is(err, store.ErrNotFound) {
			return ErrPortalCodeExpired
		}
		if err != nil {
			return err
		}
		if c.UsedAt != nil || !now.Before(c.ExpiresAt) || c.Attempts >= PortalCodeAttempts {
			return ErrPortalCodeExpired
		}
		if err := tx.PortalCodeAttempt(ctx, c.ID, PortalCodeAttempts); errors.Is(err, store.ErrNotFound) {
			return ErrPortalCodeExpired // a concurrent try took the last one
		} else if err != nil {
			return err
		}
		match := subtle.ConstantTimeCompare(v.codeHash(c.ID, code), c.CodeHash) == 1
		if !match || c.SubjectID == "" {
			// The attempt is counted: commit, and say so after.
			wrong = true
			return tx.JournalAppend(ctx, &journal.Entry{Actor: PortalActor.ID, Action: actionPortalSignIn, Subject: c.SubjectID, Outcome: journal.Denied,
				Detail: detail(map[string]any{"challenge": c.ID, "reason": "wrong-code", "attempt": c.Attempts + 1})})
		}
		if err := tx.PortalCodeUse(ctx, c.ID, now); err != nil {
			return err
		}
		secret := make([]byte, 32)
		if _, err := rand.Read(secret); err != nil {
			return err
		}
		sum := sha256.Sum256(secret)
		s := &store.PortalSession{ID: newID(), SubjectID: c.SubjectID, SecretHash: sum[:], CreatedAt: now, ExpiresAt: now.Add(PortalSessionFor)}
		if err := tx.PortalSessionInsert(ctx, s); err != nil {
			return err
		}
		token = s.ID + "." + base64.RawURLEncoding.EncodeToString(secret)
		return tx.JournalAppend(ctx, &journal.Entry{Actor: PortalActor.ID, Action: actionPortalSignIn, Subject: c.SubjectID, Outcome: journal.OK,
			Detail: detail(map[string]any{"challenge": c.ID, "session": s.ID, "channel": c.Channel})})
	})
	if err != nil {
		return "", err
	}
	if wrong {
		return "", ErrPortalCodeWrong
	}
	return token, nil
}

// PortalSession returns the subject of a session token, or
// ErrPortalSession.
func (v *Vault) PortalSession(ctx context.Context, token string) (subject string, err error) {
	s, err := v.portalSession(ctx, token)
	if err != nil {
		return "", err
	}
	return s.SubjectID, nil
}

func (v *Vault) portalSession(ctx context.Context, token string) (*store.PortalSession, error) {
	id, secret, ok := strings.Cut(token, ".")
	if !ok || !validID(id) {
		return nil, ErrPortalSession
	}
	raw, err := base64.RawURLEncoding.DecodeString(secret)
	if err != nil {
		return nil, ErrPortalSession
	}
	var s *store.PortalSession
	err = v.store.Read(ctx, func(r *store.Reader) error {
		s, err = r.PortalSessionGet(ctx, id)
		return err
	})
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrPortalSession
	}
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(raw)
	if subtle.ConstantTimeCompare(sum[:], s.SecretHash) != 1 || s.EndedAt != nil || !v.now().Before(s.ExpiresAt) {
		return nil, ErrPortalSession
	}
	return s, nil
}

// PortalSignOut ends a session.
func (v *Vault) PortalSignOut(ctx context.Context, token string) error {
	s, err := v.portalSession(ctx, token)
	if err != nil {
		return err
	}
	return v.store.Write(ctx, func(tx *store.Tx) error {
		if err := tx.PortalSessionEnd(ctx, s.ID, v.now()); err != nil {
			return err
		}
		return tx.JournalAppend(ctx, &journal.Entry{Actor: PortalActor.ID, Action: actionPortalSignOut, Subject: s.SubjectID, Outcome: journal.OK,
			Detail: detail(map[string]any{"session": s.ID})})
	})
}

// PortalView is what is held about a subject, as she sees it.
type PortalView struct {
	// Held are her identifiers and records, with their values, purposes,
	// grounds, retention and the recipients the policy allows.
	Held []request.HeldRecord
	// Transfers are the disclosures of her data from the register.
	Transfers []request.HeldTransfer
	// Consents are her consents, newest first.
	Consents []*Consent
	// Requests are her requests (without their content), newest first.
	Requests []*Request
}

// PortalHeld shows the subject what is held about her, decrypted: a read
// with the subject as the actor and PortalPurpose, journaled in the same
// transaction.
func (v *Vault) PortalHeld(ctx context.Context, subject string) (*PortalView, error) {
	if !validID(subject) {
		return nil, errNotFound
	}
	p := v.active.Load().Policy
	out := &PortalView{}
	var rows []*store.Consent
	events := map[string][]*store.ConsentEvent{}
	var dk keys.DataKey
	err := v.store.Write(ctx, func(tx *store.Tx) error {
		sub, err := tx.SubjectGet(ctx, subject)
		if err != nil {
			return err
		}
		if sub.State == store.Destroyed {
			return errGone
		}
		if out.Held, err = v.held(ctx, tx, p, subject, true); err != nil {
			return err
		}
		if out.Transfers, err = heldTransfers(ctx, tx, p, subject); err != nil {
			return err
		}
		if rows, err = tx.ConsentsBySubject(ctx, subject); err != nil {
			return err
		}
		reqs, err := tx.PortalRequests(ctx, subject)
		if err != nil {
			return err
		}
		out.Requests = out.Requests[:0]
		for _, r := range reqs {
			out.Requests = append(out.Requests, summary(r, v.now()))
		}
		for _, c := range rows {
			if events[c.ID], err = tx.ConsentEvents(ctx, c.ID); err != nil {
				return err
			}
		}
		if dk, err = v.dataKey(ctx, tx, subject); err != nil {
			return err
		}
		return tx.JournalAppend(ctx, &journal.Entry{Actor: PortalActor.ID, Action: journal.SubjectRead, Purpose: PortalPurpose, Subject: subject,
			Outcome: journal.OK, Detail: detail(map[string]any{"role": PortalActor.Role, "records": len(out.Held), "consents": len(rows), "transfers": len(out.Transfers)})})
	})
	if errors.Is(err, store.ErrNotFound) {
		return nil, errNotFound
	}
	if err != nil {
		return nil, err
	}
	now := v.now()
	for i := len(rows) - 1; i >= 0; i-- {
		x, err := v.openConsent(dk, rows[i], events[rows[i].ID], now)
		if err != nil {
			return nil, err
		}
		out.Consents = append(out.Consents, x)
	}
	return out, nil
}

// PortalWithdraw withdraws one of the subject's own consents: processing
// on it stops and the Art. 8 p.7 clock starts, as for any withdrawal.
func (v *Vault) PortalWithdraw(ctx context.Context, subject, consentID string) (*WithdrawResult, error) {
	if !validID(consentID) || !validID(subject) {
		return nil, errNotFound
	}
	var res *WithdrawResult
	err := v.store.Write(ctx, func(tx *store.Tx) error {
		c, err := tx.ConsentGet(ctx, consentID)
		if err != nil {
			return err
		}
		if c.SubjectID != subject {
			// Another subject's consent is, to her, no consent at all.
			return errNotFound
		}
		res, err = v.withdraw(ctx, tx, PortalActor, c, Withdrawal{Reason: "subject-request"})
		return err
	})
	if errors.Is(err, store.ErrNotFound) {
		return nil, errNotFound
	}
	return res, err
}

// PortalRequests are the kinds of requests the portal takes.
var PortalRequests = []string{request.Correction, request.Blocking, request.Destruction}

// PortalRequest records a request the signed-in subject makes. The portal
// sign-in is its identity check: the one-time code proved control of a
// contact on file for the IIN, so the request is received already verified
// (requisite "portal-code") and goes straight in progress, its clock
// running from now.
func (v *Vault) PortalRequest(ctx context.Context, subject, kind, lang, text string) (*Request, error) {
	if !slices.Contains(PortalRequests, kind) {
		return nil, problem(Invalid, "unknown-kind", "kind", "kind must be one of %s", strings.Join(PortalRequests, ", "))
	}
	text = strings.TrimSpace(text)
	if len(text) > 4000 {
		return nil, problem(Invalid, "too-large", "text", "the text is at most 4000 bytes")
	}
	if kind == request.Correction && text == "" {
		return nil, problem(Invalid, "value-required", "text", "say what is wrong and what is right")
	}
	r, _, err := v.portalRequest(ctx, subject, kind, lang, text, nil)
	return r, err
}

// PortalLetter answers the subject's request for information at once, with
// the values (she is signed in), and returns the letter: the request is
// received, verified by the sign-in, fulfilled and answered in one
// transaction, and stays in the register like any other.
func (v *Vault) PortalLetter(ctx context.Context, subject, lang string) (*request.Letter, error) {
	_, l, err := v.portalRequest(ctx, subject, request.Information, lang, "", func(tx *store.Tx, r *store.Request, c *request.Content, dk keys.DataKey) (*request.Letter, error) {
		now := v.now()
		l := v.letter(r, c, now)
		l.Outcome = request.Fulfilled
		var err error
		if l.Held, err = v.held(ctx, tx, v.active.Load().Policy, subject, true); err != nil {
			return nil, err
		}
		if l.Transfers, err = heldTransfers(ctx, tx, v.active.Load().Policy, subject); err != nil {
			return nil, err
		}
		if err := v.answer(ctx, tx, PortalActor, r, l, dk, now); err != nil {
			return nil, err
		}
		if err := tx.JournalAppend(ctx, &journal.Entry{Actor: PortalActor.ID, Action: actionRequestFulfil, Subject: subject, Outcome: journal.OK,
			Detail: detail(map[string]any{"role": PortalActor.Role, "request": r.ID, "kind": r.Kind, "records": len(l.Held), "outcome": l.Outcome})}); err != nil {
			return nil, err
		}
		return l, tx.JournalAppend(ctx, &journal.Entry{Actor: PortalActor.ID, Action: actionRequestAnswer, Subject: subject, Outcome: journal.OK,
			Detail: detail(map[string]any{"role": PortalActor.Role, "request": r.ID, "outcome": l.Outcome})})
	})
	return l, err
}

// portalRequest stores a verified request of the subject and, if then is
// set, carries it on in the same transaction.
func (v *Vault) portalRequest(ctx context.Context, subject, kind, lang, text string,
	then func(tx *store.Tx, r *store.Request, c *request.Content, dk keys.DataKey) (*request.Letter, error)) (*Request, *request.Letter, error) {
	if !validID(subject) {
		return nil, nil, errNotFound
	}
	if lang != "kk" && lang != "ru" && lang != "en" {
		lang = "kk"
	}
	now := v.now()
	r := &store.Request{ID: newID(), Kind: kind, State: request.InProgress, SubjectID: subject, Channel: "portal",
		Lang: lang, ReceivedAt: now, ClockAt: now, UpdatedAt: now}
	var warning string
	r.Due, warning = v.due(kind, now)
	dk, wrapped, err := v.ring.NewDataKey(r.ID)
	if err != nil {
		return nil, nil, err
	}
	var letter *request.Letter
	err = v.store.Write(ctx, func(tx *store.Tx) error {
		sub, err := tx.SubjectGet(ctx, subject)
		if err != nil {
			return err
		}
		if sub.State == store.Destroyed {
			return errGone
		}
		c := request.Content{Text: text, Verified: []string{"portal-code"}}
		c.Identity.FullName, c.Identity.IIN, err = v.nameAndIIN(ctx, tx, sub)
		if err != nil {
			return err
		}
		c.Requester.FullName = c.Identity.FullName
		b, err := json.Marshal(c)
		if err != nil {
			return err
		}
		r.Content = keys.Seal(dk, fieldAD("request", r.ID, "content"), b)
		if err := tx.DataKeyInsert(ctx, r.ID, keys.WrappedVersion(wrapped), wrapped); err != nil {
			return err
		}
		if err := tx.RequestInsert(ctx, r); err != nil {
			return err
		}
		if err := tx.JournalAppend(ctx, &journal.Entry{Actor: PortalActor.ID, Action: actionRequestReceive, Subject: subject, Outcome: journal.OK,
			Detail: detail(map[string]any{"role": PortalActor.Role, "request": r.ID, "kind": kind, "channel": r.Channel, "representative": false, "due": dueText(r.Due)})}); err != nil {
			return err
		}
		if err := tx.JournalAppend(ctx, &journal.Entry{Actor: PortalActor.ID, Action: actionRequestVerify, Subject: subject, Outcome: journal.OK,
			Detail: detail(map[string]any{"role": PortalActor.Role, "request": r.ID, "checked": c.Verified, "due": dueText(r.Due)})}); err != nil {
			return err
		}
		if then == nil {
			return nil
		}
		if letter, err = then(tx, r, &c, dk); err != nil {
			return err
		}
		return tx.RequestUpdate(ctx, r, r.UpdatedAt)
	})
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil, errNotFound
	}
	if err != nil {
		return nil, nil, err
	}
	out := summary(r, now)
	out.Warning = warning
	return out, letter, nil
}

// nameAndIIN finds the subject's name (a field of type name in her
// records) and IIN, for the request's identity.
func (v *Vault) nameAndIIN(ctx context.Context, tx *store.Tx, sub *store.Subject) (name, iin string, err error) {
	p := v.active.Load().Policy
	dk, err := v.dataKey(ctx, tx, sub.ID)
	if err != nil {
		return "", "", err
	}
	idents, err := openFields(dk, "identifier", sub.ID, sub.Identifiers, func(k string) bool { return k == "iin" })
	if err != nil {
		return "", "", err
	}
	iin = idents["iin"]
	recs, err := tx.RecordsBySubject(ctx, sub.ID)
	if err != nil {
		return "", "", err
	}
	isName := func(f string) bool { fd, ok := p.Field(f); return ok && fd.Type == policy.TypeName }
	for _, r := range recs {
		if r.State == store.Destroyed {
			continue
		}
		rk, err := v.dataKey(ctx, tx, r.ID)
		if err != nil {
			return "", "", err
		}
		vals, err := openFields(rk, "field", r.ID, r.Fields, isName)
		if err != nil {
			return "", "", err
		}
		for _, f := range fieldList(vals) {
			if vals[f] != "" {
				return vals[f], iin, nil
			}
		}
	}
	return "", iin, nil
}
