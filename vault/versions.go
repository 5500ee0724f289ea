package vault

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/derbes/derbes/journal"
	"github.com/derbes/derbes/policy"
	"github.com/derbes/derbes/store"
)

// RecordVersion describes an earlier version of a record (no values).
type RecordVersion struct {
	Version    int64     `json:"version"`
	Fields     []string  `json:"fields"`
	ReplacedAt time.Time `json:"replaced_at"`
	ReplacedBy string    `json:"replaced_by"`
}

// Versions lists a record's earlier versions; the role needs update.
func (v *Vault) Versions(ctx context.Context, a Actor, id, purpose string) ([]RecordVersion, error) {
	if !validID(id) {
		return nil, errNotFound
	}
	if _, _, err := v.authorize(ctx, a, policy.CanUpdate, purpose, "", id); err != nil {
		return nil, err
	}
	var out []RecordVersion
	err := v.store.Write(ctx, func(tx *store.Tx) error {
		r, err := tx.RecordGet(ctx, id)
		if err != nil {
			return err
		}
		if r.Purpose != purpose {
			return problem(Denied, "purpose-mismatch", "", "the record was collected for another purpose")
		}
		vs, err := tx.Versions(ctx, id)
		for _, x := range vs {
			out = append(out, RecordVersion{Version: x.Version, Fields: strings.Split(x.FieldNames, ","), ReplacedAt: x.ReplacedAt, ReplacedBy: x.ReplacedBy})
		}
		return err
	})
	if errors.Is(err, store.ErrNotFound) {
		return nil, errNotFound
	}
	return out, err
}

// RestoreRecord brings back an earlier version of a record, such as the
// one before an intruder changed it (Art. 22 p.1: restore data changed by
// unauthorised access). The version replaced is kept in turn, so a restore
// can itself be undone.
func (v *Vault) RestoreRecord(ctx context.Context, a Actor, id, purpose string, version int64) (*Record, error) {
	if !validID(id) {
		return nil, errNotFound
	}
	_, role, err := v.authorize(ctx, a, policy.CanUpdate, purpose, "", id)
	if err != nil {
		return nil, err
	}
	var restored readable
	err = v.store.Write(ctx, func(tx *store.Tx) error {
		r, err := tx.RecordGet(ctx, id)
		if err != nil {
			return err
		}
		if r.Purpose != purpose {
			return problem(Denied, "purpose-mismatch", "", "the record was collected for another purpose")
		}
		if p := readRefusal(r, purpose, v.now()); p != nil {
			return p
		}
		vs, err := tx.Versions(ctx, id)
		if err != nil {
			return err
		}
		var old *store.Version
		for i := range vs {
			if vs[i].Version == version {
				old = &vs[i]
			}
		}
		if old == nil {
			return problem(NotFound, "no-such-version", "version", "the record has no version %d", version)
		}
		for _, f := range strings.Split(old.FieldNames+","+r.FieldNames, ",") {
			if f != "" && !role.Sees(f) {
				return problem(Denied, "field-not-visible", f, "role %q may not see, so may not restore, field %q", a.Role, f)
			}
		}
		now := v.now()
		if err := tx.VersionInsert(ctx, r, now, a.ID); err != nil {
			return err
		}
		r.Fields, r.FieldNames, r.UpdatedAt = old.Fields, old.FieldNames, now
		if err := tx.RecordCorrect(ctx, r); err != nil {
			return err
		}
		wrapped, err := tx.DataKeyGet(ctx, id)
		if err != nil {
			return err
		}
		restored = readable{r, wrapped}
		return tx.JournalAppend(ctx, &journal.Entry{Actor: a.ID, Action: "record.restore", Purpose: purpose, Subject: r.SubjectID, Record: id, Outcome: journal.OK,
			Detail: detail(map[string]any{"role": a.Role, "version": version, "fields": strings.Split(old.FieldNames, ",")})})
	})
	if errors.Is(err, store.ErrNotFound) {
		return nil, errNotFound
	}
	if err != nil {
		return nil, err
	}
	return v.open(restored, role, nil)
}
