package vault

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/derbes/derbes/consent"
	"github.com/derbes/derbes/journal"
	"github.com/derbes/derbes/keys"
	"github.com/derbes/derbes/policy"
	"github.com/derbes/derbes/store"
)

// Identifier kinds: the fields by which a subject can be found.
var identifierKinds = []string{policy.TypeIIN, policy.TypePhone, policy.TypeEmail}

// NewSubject is a subject to create, with its identifiers and, usually, its
// first record: one request, one transaction.
type NewSubject struct {
	Category string
	// Purpose for which the identifiers are collected.
	Purpose string
	// Identifiers by kind: "iin", "phone", "email".
	Identifiers map[string]string
	// Consent, if given, is recorded with the subject, and a consent-ground
	// record rests on it.
	Consent *consent.Request
	Record  *NewRecord
}

// Subject is what a caller may see of a subject.
type Subject struct {
	ID          string            `json:"id"`
	Category    string            `json:"category"`
	State       string            `json:"state"`
	Identifiers map[string]string `json:"identifiers,omitempty"`
	CreatedAt   time.Time         `json:"created_at"`
	DestroyedAt *time.Time        `json:"destroyed_at,omitempty"`
	Records     []RecordRef       `json:"records,omitempty"`
	// Masked names the identifiers shown masked to the caller's role.
	Masked []string `json:"masked,omitempty"`
}

// RecordRef names a record without its data.
type RecordRef struct {
	ID      string `json:"id"`
	Purpose string `json:"purpose"`
	State   string `json:"state"`
}

// Created names what a create stored.
type Created struct {
	Subject string `json:"subject"`
	Record  string `json:"record,omitempty"`
	Consent string `json:"consent,omitempty"`
}

// CreateSubject stores a new subject (and its consent and first record, if
// given).
func (v *Vault) CreateSubject(ctx context.Context, a Actor, ns NewSubject) (Created, error) {
	sid, rid, cid, err := v.createSubject(ctx, a, ns)
	return Created{Subject: sid, Record: rid, Consent: cid}, err
}

func (v *Vault) createSubject(ctx context.Context, a Actor, ns NewSubject) (subjectID, recordID, consentID string, err error) {
	act, _, err := v.authorize(ctx, a, policy.CanCollect, ns.Purpose, "", "")
	if err != nil {
		return "", "", "", err
	}
	if !act.HasSubjectCategory(ns.Category) {
		return "", "", "", problem(Invalid, "unknown-category", "category", "subject category %q is not in the policy", ns.Category)
	}
	pu, _ := act.Purpose(ns.Purpose)
	if _, ok := pu.AllowedFields(ns.Category); !ok {
		return "", "", "", problem(Invalid, "category-not-allowed", "category", "purpose %q does not concern subjects of category %q", pu.ID, ns.Category)
	}
	for kind := range ns.Identifiers {
		if !slices.Contains(identifierKinds, kind) {
			return "", "", "", problem(Invalid, "unknown-identifier", kind, "identifier %q is not one of iin, phone, email", kind)
		}
	}
	idents, perr := checkFields(act.Policy, pu, ns.Category, ns.Identifiers)
	if perr != nil {
		return "", "", "", perr
	}
	if len(idents) == 0 {
		return "", "", "", problem(Invalid, "identifier-required", "identifiers", "a subject needs at least one identifier: iin, phone or email")
	}
	now := v.now()
	var given *consent.Checked
	if ns.Consent != nil {
		for _, p := range ns.Consent.Purposes {
			if _, _, err := v.authorize(ctx, a, policy.CanCollect, p, "", ""); err != nil {
				return "", "", "", err
			}
		}
		if given, err = consent.Check(act.Policy, ns.Category, *ns.Consent, now); err != nil {
			return "", "", "", consentProblem(err)
		}
	}
	var rec *preparedRecord
	if ns.Record != nil {
		if ns.Record.Purpose == "" {
			ns.Record.Purpose = ns.Purpose
		}
		if ns.Record.Purpose != ns.Purpose {
			if _, _, err := v.authorize(ctx, a, policy.CanCollect, ns.Record.Purpose, "", ""); err != nil {
				return "", "", "", err
			}
		}
		if rec, err = prepareRecord(act, ns.Category, *ns.Record); err != nil {
			return "", "", "", err
		}
		if ns.Record.Consent != "" {
			return "", "", "", problem(Invalid, "consent-named-on-create", "record.consent", "a record created with its subject rests on the consent sent with them; do not name another")
		}
		if rec.Ground == policy.GroundConsent {
			if given == nil {
				return "", "", "", problem(Invalid, "consent-required", "consent", "purpose %q rests on consent here: send the subject's consent with them", rec.Purpose)
			}
			ok, missing := consent.Covers(strings.Join(given.Purposes, ","), strings.Join(given.Fields, ","), rec.Purpose, fieldList(rec.values))
			if !ok && missing != "" {
				return "", "", "", problem(Invalid, "consent-lacks-field", missing, "the consent does not cover field %q", missing)
			}
			if !ok {
				return "", "", "", problem(Invalid, "consent-not-covering", "consent", "the consent does not cover purpose %q", rec.Purpose)
			}
		}
	}

	subjectID = newID()
	dk, wrapped, err := v.ring.NewDataKey(subjectID)
	if err != nil {
		return "", "", "", err
	}
	sub := &store.Subject{ID: subjectID, Category: ns.Category, Identifiers: sealFields(dk, "identifier", subjectID, idents), CreatedAt: now}
	// The blind indexes under the current index key; during a rotation
	// of that key, the IIN's under the retiring key too, for the check
	// that nobody holds it yet.
	blind := make(map[string]keys.BlindIndex, len(idents))
	var retiringIIN []byte
	for kind, val := range idents {
		bs := v.ring.Blinds(kind, val)
		blind[kind] = bs[0]
		if kind == policy.TypeIIN && len(bs) > 1 {
			retiringIIN = bs[1].Hash
		}
	}
	var sc *sealedConsent
	if given != nil {
		if sc, err = v.sealConsent(act, a, subjectID, dk, given, now); err != nil {
			return "", "", "", err
		}
		consentID = sc.row.ID
	}
	var r *sealedRecord
	if rec != nil {
		if rec.Ground == policy.GroundConsent {
			rec.Consent = sc.row.ID
		}
		if r, err = v.sealRecord(rec, subjectID, act.Version, now); err != nil {
			return "", "", "", err
		}
		recordID = r.ID
	}
	err = v.store.Write(ctx, func(tx *store.Tx) error {
		if err := tx.DataKeyInsert(ctx, subjectID, keys.WrappedVersion(wrapped), wrapped); err != nil {
			return err
		}
		if err := tx.SubjectInsert(ctx, sub); err != nil {
			return err
		}
		if retiringIIN != nil {
			found, err := tx.IdentifierFind(ctx, policy.TypeIIN, retiringIIN)
			if err != nil {
				return err
			}
			if len(found) > 0 {
				return problem(Conflict, "subject-exists", policy.TypeIIN, "a subject with this IIN already exists; look it up and add a record to it")
			}
		}
		for _, kind := range identifierKinds {
			if b, ok := blind[kind]; ok {
				if err := tx.IdentifierInsert(ctx, kind, b.Hash, b.Version, subjectID); err != nil {
					if errors.Is(err, store.ErrConflict) {
						// Only the IIN is unique: a family may share a phone or an e-mail.
						return problem(Conflict, "subject-exists", kind, "a subject with this IIN already exists; look it up and add a record to it")
					}
					return err
				}
			}
		}
		if err := tx.JournalAppend(ctx, &journal.Entry{Actor: a.ID, Action: journal.SubjectCreate, Purpose: ns.Purpose, Subject: subjectID, Outcome: journal.OK,
			Detail: detail(map[string]any{"role": a.Role, "category": ns.Category, "identifiers": fieldList(idents), "policy_version": act.Version})}); err != nil {
			return err
		}
		if sc != nil {
			if err := sc.insert(ctx, tx, a); err != nil {
				return err
			}
		}
		if r != nil {
			return insertRecord(ctx, tx, a, r)
		}
		return nil
	})
	if err != nil {
		return "", "", "", err
	}
	return subjectID, recordID, consentID, nil
}

// GetSubject returns a subject's identifiers that the actor's role may see
// and the records it holds for the purpose.
func (v *Vault) GetSubject(ctx context.Context, a Actor, id, purpose string) (*Subject, error) {
	if !validID(id) {
		return nil, errNotFound
	}
	_, role, err := v.authorize(ctx, a, policy.CanRead, purpose, id, "")
	if err != nil {
		return nil, err
	}
	var sub *store.Subject
	var recs []*store.Record
	var wrapped []byte
	rc := v.countRead(a, id)
	err = v.store.Write(ctx, func(tx *store.Tx) error {
		if sub, err = tx.SubjectGet(ctx, id); err != nil {
			return err
		}
		if sub.State != store.Destroyed {
			if wrapped, err = tx.DataKeyGet(ctx, id); err != nil {
				return err
			}
		}
		if recs, err = tx.RecordsBySubject(ctx, id); err != nil {
			return err
		}
		if err := tx.JournalAppend(ctx, &journal.Entry{Actor: a.ID, Action: journal.SubjectRead, Purpose: purpose, Subject: id, Outcome: journal.OK,
			Detail: detail(map[string]any{"role": a.Role})}); err != nil {
			return err
		}
		return rc.add(ctx, tx, v.now())
	})
	v.settle(rc, err)
	if errors.Is(err, store.ErrNotFound) {
		return nil, errNotFound
	}
	if err != nil {
		return nil, err
	}
	v.observeRead(a, rc)
	out := &Subject{ID: sub.ID, Category: sub.Category, State: sub.State, CreatedAt: sub.CreatedAt, DestroyedAt: sub.DestroyedAt}
	for _, r := range recs {
		if r.Purpose == purpose {
			out.Records = append(out.Records, RecordRef{ID: r.ID, Purpose: r.Purpose, State: r.State})
		}
	}
	if sub.State == store.Destroyed {
		return out, nil
	}
	dk, err := v.ring.Unwrap(id, wrapped)
	if err != nil {
		return nil, err
	}
	out.Identifiers, err = openFields(dk, "identifier", id, sub.Identifiers, role.Sees)
	if err != nil {
		return nil, err
	}
	out.Masked = v.mask(role, out.Identifiers)
	return out, nil
}

// Lookup finds subjects by an identifier through its blind index. The
// lookup is journaled whether or not it finds anyone.
func (v *Vault) Lookup(ctx context.Context, a Actor, purpose, kind, value string) ([]string, error) {
	act, _, err := v.authorize(ctx, a, policy.CanLookup, purpose, "", "")
	if err != nil {
		return nil, err
	}
	if !slices.Contains(identifierKinds, kind) {
		return nil, problem(Invalid, "unknown-identifier", kind, "look up by iin, phone or email")
	}
	f, ok := act.Field(kind)
	if !ok {
		f = policy.Field{ID: kind, Type: kind}
	}
	n, perr := normalise(f, value)
	if perr != nil {
		return nil, perr
	}
	// During a rotation of the index key a subject is indexed under the
	// new key or, until the re-indexing reaches them, the retiring one.
	blinds := v.ring.Blinds(kind, n)
	var ids []string
	err = v.store.Write(ctx, func(tx *store.Tx) error {
		ids = ids[:0]
		for _, b := range blinds {
			found, err := tx.IdentifierFind(ctx, kind, b.Hash)
			if err != nil {
				return err
			}
			for _, id := range found {
				if !slices.Contains(ids, id) {
					ids = append(ids, id)
				}
			}
		}
		if len(blinds) > 1 {
			slices.Sort(ids)
		}
		return tx.JournalAppend(ctx, &journal.Entry{Actor: a.ID, Action: journal.SubjectLookup, Purpose: purpose, Outcome: journal.OK,
			Detail: detail(map[string]any{"role": a.Role, "by": kind, "found": len(ids)})})
	})
	return ids, err
}

// DestroySubject destroys a subject for good: its data key is deleted (so
// no copy of its ciphertexts can be opened again), its ciphertexts and
// blind indexes are removed, and the journal keeps the fact.
func (v *Vault) DestroySubject(ctx context.Context, a Actor, id, purpose, reason string) error {
	if !validID(id) {
		return errNotFound
	}
	if _, _, err := v.authorize(ctx, a, policy.CanDestroy, purpose, id, ""); err != nil {
		return err
	}
	if reason == "" {
		return problem(Invalid, "reason-required", "reason", "say why the data is destroyed (reason)")
	}
	if len(reason) > 64 || reasonCode(reason) != reason {
		return problem(Invalid, "invalid-reason", "reason", "reason is a short code such as purpose-achieved, subject-request, consent-withdrawn, unlawful")
	}
	err := v.store.Write(ctx, func(tx *store.Tx) error {
		return v.destroySubject(ctx, tx, a, id, purpose, map[string]any{"reason": reason})
	})
	if errors.Is(err, store.ErrNotFound) {
		return errNotFound
	}
	return err
}

// destroySubject destroys a subject inside tx: the data key first (after
// which nothing of theirs opens), then ciphertexts and indexes, then the
// journal entry with facts (never values).
func (v *Vault) destroySubject(ctx context.Context, tx *store.Tx, a Actor, id, purpose string, facts map[string]any) error {
	sub, err := tx.SubjectGet(ctx, id)
	if err != nil {
		return err
	}
	if sub.State == store.Destroyed {
		return errGone
	}
	recs, err := tx.RecordsBySubject(ctx, id)
	if err != nil {
		return err
	}
	// Shred the keys first: the subject's, and each record's.
	owners := []string{id}
	for _, r := range recs {
		owners = append(owners, r.ID)
	}
	if err := tx.DataKeysDelete(ctx, owners); err != nil {
		return err
	}
	if err := tx.SubjectDestroy(ctx, id, v.now()); err != nil {
		return err
	}
	d := map[string]any{"role": a.Role, "records": len(recs)}
	for k, x := range facts {
		d[k] = x
	}
	return tx.JournalAppend(ctx, &journal.Entry{Actor: a.ID, Action: journal.SubjectDestroy, Purpose: purpose, Subject: id, Outcome: journal.OK, Detail: detail(d)})
}

// reasonCode keeps only characters of a code: free text could carry
// personal data into the journal.
func reasonCode(s string) string {
	b := []byte(s)
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			b[i] = '_'
		}
	}
	return string(b)
}
