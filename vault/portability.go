package vault

import (
	"context"
	"errors"
	"time"

	"github.com/derbes/derbes/journal"
	"github.com/derbes/derbes/policy"
	"github.com/derbes/derbes/store"
)

// Journal actions of exports. The names are part of the exported journal
// format.
const (
	actionSubjectExport = "subject.export"
	actionPurposeExport = "purpose.export"
)

// Portable is a subject's data for a purpose in a machine-readable form:
// what a subject takes to another operator (portability), and one line of
// a purpose's export. It holds what the exporting role may see, masked
// where the role sees masked.
type Portable struct {
	Purpose    string    `json:"purpose"`
	ExportedAt time.Time `json:"exported_at"`
	Subject    *Subject  `json:"subject"`
	Records    []*Record `json:"records"`
}

// exportRead is what one transaction read of a subject for an export,
// still encrypted.
type exportRead struct {
	sub     *store.Subject
	wrapped []byte
	recs    []readable
}

// readForExport reads a subject and its readable records of purpose
// inside tx. A destroyed subject is errGone; records that may not be read
// (blocked, another purpose, a ground gone) are left out.
func (v *Vault) readForExport(ctx context.Context, tx *store.Tx, id, purpose string) (*exportRead, error) {
	sub, err := tx.SubjectGet(ctx, id)
	if err != nil {
		return nil, err
	}
	if sub.State == store.Destroyed {
		return nil, errGone
	}
	got := &exportRead{sub: sub}
	if got.wrapped, err = tx.DataKeyGet(ctx, id); err != nil {
		return nil, err
	}
	recs, err := tx.RecordsBySubject(ctx, id)
	if err != nil {
		return nil, err
	}
	now := v.now()
	for _, r := range recs {
		if readRefusal(r, purpose, now) != nil {
			continue
		}
		wrapped, err := tx.DataKeyGet(ctx, r.ID)
		if err != nil {
			return nil, err
		}
		got.recs = append(got.recs, readable{r, wrapped})
	}
	return got, nil
}

// recordIDs names the records an export read, for its journal entry.
func (g *exportRead) recordIDs() []string {
	out := make([]string, len(g.recs))
	for i, r := range g.recs {
		out[i] = r.rec.ID
	}
	return out
}

// decrypt opens what was read, showing what role sees.
func (v *Vault) decrypt(g *exportRead, role policy.Role, purpose string, at time.Time) (*Portable, error) {
	s := g.sub
	dk, err := v.ring.Unwrap(s.ID, g.wrapped)
	if err != nil {
		return nil, err
	}
	out := &Portable{Purpose: purpose, ExportedAt: at, Records: []*Record{},
		Subject: &Subject{ID: s.ID, Category: s.Category, State: s.State, CreatedAt: s.CreatedAt}}
	if out.Subject.Identifiers, err = openFields(dk, "identifier", s.ID, s.Identifiers, role.Sees); err != nil {
		return nil, err
	}
	out.Subject.Masked = v.mask(role, out.Subject.Identifiers)
	for _, r := range g.recs {
		out.Subject.Records = append(out.Subject.Records, RecordRef{ID: r.rec.ID, Purpose: r.rec.Purpose, State: r.rec.State})
		rec, err := v.open(r, role, nil)
		if err != nil {
			return nil, err
		}
		out.Records = append(out.Records, rec)
	}
	return out, nil
}

// ExportSubject returns a subject's identifiers and records of a purpose
// in a machine-readable form, for the subject to take elsewhere. It is a
// read: declared purpose, the role's read duty, and one journal entry
// naming the records read, in the same transaction as the read.
func (v *Vault) ExportSubject(ctx context.Context, a Actor, id, purpose string) (*Portable, error) {
	if !validID(id) {
		return nil, errNotFound
	}
	_, role, err := v.authorize(ctx, a, policy.CanRead, purpose, id, "")
	if err != nil {
		return nil, err
	}
	var got *exportRead
	var rc *readCount
	now := v.now()
	err = v.store.Write(ctx, func(tx *store.Tx) error {
		var err error
		if got, err = v.readForExport(ctx, tx, id, purpose); err != nil {
			return err
		}
		if err := tx.JournalAppend(ctx, &journal.Entry{Actor: a.ID, Action: actionSubjectExport, Purpose: purpose, Subject: id, Outcome: journal.OK,
			Detail: detail(map[string]any{"role": a.Role, "records": got.recordIDs()})}); err != nil {
			return err
		}
		rc = v.countRead(a, id)
		return rc.add(ctx, tx, now)
	})
	v.settle(rc, err)
	if errors.Is(err, store.ErrNotFound) {
		return nil, errNotFound
	}
	if err != nil {
		return nil, err
	}
	v.observeRead(a, rc)
	return v.decrypt(got, role, purpose, now)
}

// ExportBatch is how many subjects a purpose export reads per transaction
// (and journal entry).
const ExportBatch = 200

// ExportPurpose reads every subject holding an active record of a purpose,
// in batches of ExportBatch, and hands each to emit in id order. The role
// needs the admin duty besides reading the purpose. Each batch is read in
// one transaction that also journals one entry naming the batch's
// subjects and counting its records; emit runs after that commit, so a
// failed write shows in the journal as an export that happened (the safe
// side). It returns how many subjects were exported.
func (v *Vault) ExportPurpose(ctx context.Context, a Actor, purpose string, emit func(*Portable) error) (int, error) {
	if _, _, err := v.authorize(ctx, a, policy.CanAdmin, purpose, "", ""); err != nil {
		return 0, err
	}
	_, role, err := v.authorize(ctx, a, policy.CanRead, purpose, "", "")
	if err != nil {
		return 0, err
	}
	after, n := "", 0
	for {
		var batch []*exportRead
		var rc *readCount
		now := v.now()
		err := v.store.Write(ctx, func(tx *store.Tx) error {
			batch = batch[:0]
			ids, err := tx.SubjectsByPurpose(ctx, purpose, after, ExportBatch)
			if err != nil || len(ids) == 0 {
				return err
			}
			records := 0
			for _, id := range ids {
				g, err := v.readForExport(ctx, tx, id, purpose)
				if err != nil {
					return err
				}
				records += len(g.recs)
				batch = append(batch, g)
			}
			if err := tx.JournalAppend(ctx, &journal.Entry{Actor: a.ID, Action: actionPurposeExport, Purpose: purpose, Outcome: journal.OK,
				Detail: detail(map[string]any{"role": a.Role, "subjects": ids, "records": records})}); err != nil {
				return err
			}
			// A whole purpose read out is a mass read: the role's limits
			// apply, counted with the read.
			rc = v.countRead(a, ids...)
			return rc.add(ctx, tx, now)
		})
		v.settle(rc, err)
		if err != nil {
			return n, err
		}
		if len(batch) == 0 {
			return n, nil
		}
		v.observeRead(a, rc)
		for _, g := range batch {
			p, err := v.decrypt(g, role, purpose, now)
			if err != nil {
				return n, err
			}
			if err := emit(p); err != nil {
				return n, err
			}
			n++
		}
		after = batch[len(batch)-1].sub.ID
	}
}
