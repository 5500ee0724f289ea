package vault

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/derbes/derbes/access"
	"github.com/derbes/derbes/consent"
	"github.com/derbes/derbes/journal"
	"github.com/derbes/derbes/keys"
	"github.com/derbes/derbes/policy"
	"github.com/derbes/derbes/store"
)

// NewRecord is personal data collected for one purpose through one channel
// on one legal ground.
type NewRecord struct {
	Purpose string
	Channel string
	Ground  string
	// Consent names the consent a consent-ground record rests on; empty
	// picks the newest consent in force that covers it.
	Consent string
	Fields  map[string]string
}

// Record is what a caller may see of a record: only the fields its role
// sees; Withheld names the others.
type Record struct {
	ID       string            `json:"id"`
	Subject  string            `json:"subject"`
	Purpose  string            `json:"purpose"`
	Channel  string            `json:"channel"`
	Ground   string            `json:"ground"`
	Consent  string            `json:"consent,omitempty"`
	State    string            `json:"state"`
	Fields   map[string]string `json:"fields"`
	Withheld []string          `json:"withheld,omitempty"`
	// Masked names the fields shown masked to the caller's role.
	Masked        []string   `json:"masked,omitempty"`
	PolicyVersion int64      `json:"policy_version"`
	CreatedAt     time.Time  `json:"created_at"`
	UpdatedAt     time.Time  `json:"updated_at"`
	DestroyedAt   *time.Time `json:"destroyed_at,omitempty"`
}

// preparedRecord is a checked record waiting to be encrypted.
type preparedRecord struct {
	NewRecord
	values    map[string]string
	retention policy.Retention
}

// prepareRecord checks a record against the policy: the purpose concerns
// the subject's category, the channel and ground are the purpose's, every
// field may be collected.
func prepareRecord(act *Active, category string, nr NewRecord) (*preparedRecord, error) {
	pu, ok := act.Purpose(nr.Purpose)
	if !ok {
		return nil, problem(Invalid, "unknown-purpose", "purpose", "purpose %q is not in the policy", nr.Purpose)
	}
	if _, ok := pu.AllowedFields(category); !ok {
		return nil, problem(Invalid, "category-not-allowed", "purpose", "purpose %q does not concern subjects of category %q", pu.ID, category)
	}
	switch {
	case nr.Channel == "":
		return nil, problem(Invalid, "channel-required", "channel", "say through which channel the data was collected")
	case !act.HasChannel(nr.Channel):
		return nil, problem(Invalid, "unknown-channel", "channel", "channel %q is not in the policy", nr.Channel)
	case len(pu.Channels) > 0 && !slices.Contains(pu.Channels, nr.Channel):
		return nil, problem(Invalid, "channel-not-allowed", "channel", "purpose %q does not collect through channel %q", pu.ID, nr.Channel)
	}
	if nr.Ground == "" && len(pu.Grounds) == 1 {
		nr.Ground = pu.Grounds[0]
	}
	switch {
	case nr.Ground == "":
		return nil, problem(Invalid, "ground-required", "ground", "purpose %q rests on several grounds (%s): say which one", pu.ID, strings.Join(pu.Grounds, ", "))
	case !slices.Contains(pu.Grounds, nr.Ground):
		return nil, problem(Invalid, "ground-not-allowed", "ground", "purpose %q does not rest on ground %q", pu.ID, nr.Ground)
	}
	if len(nr.Fields) == 0 {
		return nil, problem(Invalid, "fields-required", "fields", "a record needs at least one field")
	}
	values, perr := checkFields(act.Policy, pu, category, nr.Fields)
	if perr != nil {
		return nil, perr
	}
	return &preparedRecord{NewRecord: nr, values: values, retention: pu.Retention}, nil
}

// sealedRecord is a record encrypted under its own data key, and that key
// wrapped for the key store. Each record has its own key so that one record
// can be destroyed for good (its key shredded) while the subject keeps
// others.
type sealedRecord struct {
	*store.Record
	wrapped []byte
}

func (v *Vault) sealRecord(p *preparedRecord, subject string, policyVersion int64, now time.Time) (*sealedRecord, error) {
	id := newID()
	rk, wrapped, err := v.ring.NewDataKey(id)
	if err != nil {
		return nil, err
	}
	return &sealedRecord{&store.Record{
		ID: id, SubjectID: subject, Purpose: p.Purpose, Channel: p.Channel, Ground: p.Ground, ConsentID: p.Consent, State: store.Active,
		FieldNames: strings.Join(fieldList(p.values), ","), Fields: sealFields(rk, "field", id, p.values),
		PolicyVersion: policyVersion, CreatedAt: now, UpdatedAt: now, RetentionEnd: retentionEnd(p.retention, now),
	}, wrapped}, nil
}

func insertRecord(ctx context.Context, tx *store.Tx, a Actor, sr *sealedRecord) error {
	r := sr.Record
	if err := tx.DataKeyInsert(ctx, r.ID, keys.WrappedVersion(sr.wrapped), sr.wrapped); err != nil {
		return err
	}
	if err := tx.RecordInsert(ctx, r); err != nil {
		return err
	}
	return tx.JournalAppend(ctx, &journal.Entry{Actor: a.ID, Action: journal.RecordCreate, Purpose: r.Purpose, Subject: r.SubjectID, Record: r.ID, Outcome: journal.OK,
		Detail: detail(map[string]any{"role": a.Role, "channel": r.Channel, "ground": r.Ground, "fields": strings.Split(r.FieldNames, ","), "policy_version": r.PolicyVersion})})
}

// AddRecord stores a new record about an existing subject.
func (v *Vault) AddRecord(ctx context.Context, a Actor, subjectID string, nr NewRecord) (string, error) {
	if !validID(subjectID) {
		return "", errNotFound
	}
	act, _, err := v.authorize(ctx, a, policy.CanCollect, nr.Purpose, subjectID, "")
	if err != nil {
		return "", err
	}
	var r *sealedRecord
	err = v.store.Write(ctx, func(tx *store.Tx) error {
		sub, err := tx.SubjectGet(ctx, subjectID)
		if err != nil {
			return err
		}
		if sub.State == store.Destroyed {
			return errGone
		}
		rec, err := prepareRecord(act, sub.Category, nr)
		if err != nil {
			return err
		}
		if rec.Ground == policy.GroundConsent {
			cs, err := tx.ConsentsBySubject(ctx, subjectID)
			if err != nil {
				return err
			}
			id, perr := chooseConsent(cs, nr.Consent, rec.Purpose, fieldList(rec.values), v.now())
			if perr != nil {
				return perr
			}
			rec.Consent = id
		} else if nr.Consent != "" {
			return problem(Invalid, "consent-not-ground", "consent", "the record rests on ground %q, not on a consent", rec.Ground)
		}
		if r, err = v.sealRecord(rec, subjectID, act.Version, v.now()); err != nil {
			return err
		}
		return insertRecord(ctx, tx, a, r)
	})
	if errors.Is(err, store.ErrNotFound) {
		return "", errNotFound
	}
	if err != nil {
		return "", err
	}
	return r.ID, nil
}

// readable is a record read inside a transaction, with the subject's
// wrapped key, to be decrypted after commit.
type readable struct {
	rec     *store.Record
	wrapped []byte
}

// GetRecord reads a record for a declared purpose. The purpose must be the
// record's own (data collected for one purpose is not read for another),
// and fields, if given, must be ones the role sees.
func (v *Vault) GetRecord(ctx context.Context, a Actor, id, purpose string, fields []string) (*Record, error) {
	if !validID(id) {
		return nil, errNotFound
	}
	_, role, err := v.authorize(ctx, a, policy.CanRead, purpose, "", id)
	if err != nil {
		return nil, err
	}
	for _, f := range fields {
		if !role.Sees(f) {
			return nil, v.deny(ctx, a, journal.RecordRead, purpose, "", id, problem(Denied, "field-not-visible", f, "role %q may not see field %q", a.Role, f))
		}
	}
	var got readable
	var refusal *Problem
	denyKey, denyLimit := v.denialRule(a)
	var denials int64
	var rc *readCount
	err = v.store.Write(ctx, func(tx *store.Tx) error {
		r, err := tx.RecordGet(ctx, id)
		if err != nil {
			return err
		}
		entry := &journal.Entry{Actor: a.ID, Action: journal.RecordRead, Purpose: purpose, Subject: r.SubjectID, Record: id, Outcome: journal.OK}
		refusal = readRefusal(r, purpose, v.now())
		if refusal != nil {
			entry.Outcome, entry.Detail = journal.Denied, detail(map[string]any{"role": a.Role, "reason": refusal.Code})
			if err := tx.JournalAppend(ctx, entry); err != nil || denyLimit == 0 {
				return err
			}
			denials, err = tx.DetectionCount(ctx, denyKey, v.now())
			return err
		}
		if got.wrapped, err = tx.DataKeyGet(ctx, r.ID); err != nil {
			return err
		}
		got.rec = r
		entry.Detail = detail(decisions(r, role, fields))
		if err := tx.JournalAppend(ctx, entry); err != nil {
			return err
		}
		rc = v.countRead(a, r.SubjectID)
		return rc.add(ctx, tx, v.now())
	})
	v.settle(rc, err)
	if errors.Is(err, store.ErrNotFound) {
		return nil, errNotFound
	}
	if err != nil {
		return nil, err
	}
	if refusal != nil {
		v.observeDenial(a, denyKey, denials, denyLimit)
		return nil, refusal
	}
	v.observeRead(a, rc)
	return v.open(got, role, fields)
}

// readRefusal says why a record may not be read or changed for purpose, or
// nil.
func readRefusal(r *store.Record, purpose string, now time.Time) *Problem {
	switch {
	case r.State == store.Destroyed:
		return errGone
	case r.State == store.Blocked:
		return problem(Locked, "blocked", "", "the record is blocked")
	case r.Purpose != purpose:
		return problem(Denied, "purpose-mismatch", "", "the record was collected for another purpose; it may only be read for that purpose")
	case r.Ground == policy.GroundConsent && !consent.Live(r.ConsentState, r.ConsentUntil, now):
		// Art. 8 p.7: processing on a withdrawn or expired consent stops.
		if r.ConsentState == store.ConsentWithdrawn {
			return problem(Conflict, "ground-withdrawn", "", "the consent this record rests on was withdrawn; it may no longer be processed")
		}
		return problem(Conflict, "ground-expired", "", "the consent this record rests on has expired; it may no longer be processed")
	}
	return nil
}

// mask masks, in place, the values the role sees only masked, and returns
// their names.
func (v *Vault) mask(role policy.Role, values map[string]string) []string {
	var masked []string
	p := v.active.Load().Policy
	for _, f := range fieldList(values) {
		if role.Masks(f) {
			fd, _ := p.Field(f)
			values[f] = access.Mask(fd.Type, values[f])
			masked = append(masked, f)
		}
	}
	return masked
}

// decisions describes, for the journal, what a read showed: the fields in
// full and those masked.
func decisions(r *store.Record, role policy.Role, want []string) map[string]any {
	var full, masked []string
	for _, f := range visible(r, role, want) {
		if role.Masks(f) {
			masked = append(masked, f)
		} else {
			full = append(full, f)
		}
	}
	d := map[string]any{"role": role.ID, "fields": full}
	if len(masked) > 0 {
		d["masked"] = masked
	}
	return d
}

// visible lists the fields of r that a read returns.
func visible(r *store.Record, role policy.Role, want []string) []string {
	var out []string
	for _, f := range strings.Split(r.FieldNames, ",") {
		if role.Sees(f) && (len(want) == 0 || slices.Contains(want, f)) {
			out = append(out, f)
		}
	}
	return out
}

// open decrypts the fields the role sees.
func (v *Vault) open(got readable, role policy.Role, want []string) (*Record, error) {
	r := got.rec
	dk, err := v.ring.Unwrap(r.ID, got.wrapped)
	if err != nil {
		return nil, err
	}
	show := visible(r, role, want)
	fields, err := openFields(dk, "field", r.ID, r.Fields, func(f string) bool { return slices.Contains(show, f) })
	if err != nil {
		return nil, err
	}
	masked := v.mask(role, fields)
	out := &Record{ID: r.ID, Subject: r.SubjectID, Purpose: r.Purpose, Channel: r.Channel, Ground: r.Ground, Consent: r.ConsentID, State: r.State, Fields: fields,
		Masked: masked, PolicyVersion: r.PolicyVersion, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt, DestroyedAt: r.DestroyedAt}
	for _, f := range strings.Split(r.FieldNames, ",") {
		if !slices.Contains(show, f) && (len(want) == 0 || slices.Contains(want, f)) {
			out.Withheld = append(out.Withheld, f)
		}
	}
	return out, nil
}

// ListRecords reads a subject's active records of a purpose; each read is
// journaled.
func (v *Vault) ListRecords(ctx context.Context, a Actor, subjectID, purpose string) ([]*Record, error) {
	if !validID(subjectID) {
		return nil, errNotFound
	}
	_, role, err := v.authorize(ctx, a, policy.CanRead, purpose, subjectID, "")
	if err != nil {
		return nil, err
	}
	var got []readable
	rc := v.countRead(a, subjectID)
	err = v.store.Write(ctx, func(tx *store.Tx) error {
		got = got[:0]
		sub, err := tx.SubjectGet(ctx, subjectID)
		if err != nil {
			return err
		}
		if sub.State == store.Destroyed {
			return errGone
		}
		recs, err := tx.RecordsBySubject(ctx, subjectID)
		if err != nil {
			return err
		}
		for _, r := range recs {
			if p := readRefusal(r, purpose, v.now()); p != nil {
				if r.Purpose == purpose && r.State != store.Destroyed {
					// A record of this purpose that may not be read: say so
					// in the journal rather than skip it silently.
					if err := tx.JournalAppend(ctx, &journal.Entry{Actor: a.ID, Action: journal.RecordRead, Purpose: purpose, Subject: subjectID, Record: r.ID,
						Outcome: journal.Denied, Detail: detail(map[string]any{"role": a.Role, "reason": p.Code})}); err != nil {
						return err
					}
				}
				continue
			}
			wrapped, err := tx.DataKeyGet(ctx, r.ID)
			if err != nil {
				return err
			}
			got = append(got, readable{r, wrapped})
			if err := tx.JournalAppend(ctx, &journal.Entry{Actor: a.ID, Action: journal.RecordRead, Purpose: purpose, Subject: subjectID, Record: r.ID, Outcome: journal.OK,
				Detail: detail(decisions(r, role, nil))}); err != nil {
				return err
			}
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
	out := make([]*Record, 0, len(got))
	for _, g := range got {
		r, err := v.open(g, role, nil)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

// UpdateRecord changes a record's fields: a value sets the field, an empty
// value removes it. The old values are not kept anywhere.
func (v *Vault) UpdateRecord(ctx context.Context, a Actor, id, purpose string, changes map[string]*string) (*Record, error) {
	if !validID(id) {
		return nil, errNotFound
	}
	act, role, err := v.authorize(ctx, a, policy.CanUpdate, purpose, "", id)
	if err != nil {
		return nil, err
	}
	if len(changes) == 0 {
		return nil, problem(Invalid, "fields-required", "fields", "say which fields to change")
	}
	for _, f := range sortStrings(keysOf(changes)) {
		if !role.Sees(f) {
			return nil, v.deny(ctx, a, journal.RecordUpdate, purpose, "", id, problem(Denied, "field-not-visible", f, "role %q may not see, so may not change, field %q", a.Role, f))
		}
	}
	var updated readable
	var refusal *Problem
	err = v.store.Write(ctx, func(tx *store.Tx) error {
		r, err := tx.RecordGet(ctx, id)
		if err != nil {
			return err
		}
		if refusal = readRefusal(r, purpose, v.now()); refusal != nil {
			return tx.JournalAppend(ctx, &journal.Entry{Actor: a.ID, Action: journal.RecordUpdate, Purpose: purpose, Subject: r.SubjectID, Record: id,
				Outcome: journal.Denied, Detail: detail(map[string]any{"role": a.Role, "reason": refusal.Code})})
		}
		sub, err := tx.SubjectGet(ctx, r.SubjectID)
		if err != nil {
			return err
		}
		wrapped, err := tx.DataKeyGet(ctx, r.ID)
		if err != nil {
			return err
		}
		dk, err := v.ring.Unwrap(r.ID, wrapped)
		if err != nil {
			return err
		}
		values, err := openFields(dk, "field", id, r.Fields, func(string) bool { return true })
		if err != nil {
			return err
		}
		set := map[string]string{}
		for f, val := range changes {
			if val == nil || *val == "" {
				delete(values, f)
				if _, ok := act.Field(f); !ok {
					return problem(Invalid, "unknown-field", f, "field %q is not in the policy", f)
				}
				continue
			}
			set[f] = *val
		}
		pu, _ := act.Purpose(r.Purpose)
		checked, perr := checkFields(act.Policy, pu, sub.Category, set)
		if perr != nil {
			return perr
		}
		for f, val := range checked {
			values[f] = val
		}
		if len(values) == 0 {
			return problem(Invalid, "fields-required", "fields", "a record keeps at least one field; destroy the subject's data instead")
		}
		if err := tx.VersionInsert(ctx, r, v.now(), a.ID); err != nil {
			return err
		}
		r.Fields = sealFields(dk, "field", id, values)
		r.FieldNames = strings.Join(fieldList(values), ",")
		r.UpdatedAt = v.now()
		if err := tx.RecordUpdate(ctx, r); err != nil {
			return err
		}
		updated = readable{r, wrapped}
		changed := keysOf(changes)
		return tx.JournalAppend(ctx, &journal.Entry{Actor: a.ID, Action: journal.RecordUpdate, Purpose: purpose, Subject: r.SubjectID, Record: id, Outcome: journal.OK,
			Detail: detail(map[string]any{"role": a.Role, "fields": sortStrings(changed)})})
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
	return v.open(updated, role, nil)
}

func sortStrings(s []string) []string {
	slices.Sort(s)
	return s
}

func keysOf[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}
