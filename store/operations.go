package store

import (
	"context"
	"fmt"
)

// SubjectsByPurpose returns up to limit ids of subjects that hold an
// active record of purpose, in id order, after the id after ("" for the
// first page).
func (t *Tx) SubjectsByPurpose(ctx context.Context, purpose, after string, limit int) ([]string, error) {
	rows, err := t.db.QueryContext(ctx, t.s.sql("SubjectsByPurpose"), after, purpose, limit)
	if err != nil {
		return nil, fmt.Errorf("store: SubjectsByPurpose: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("store: SubjectsByPurpose: %w", err)
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

// IdentifiersBelow returns up to limit ids of subjects, after the id
// after, that have a blind index made by an index key older than version.
func (t *Tx) IdentifiersBelow(ctx context.Context, version uint32, after string, limit int) ([]string, error) {
	rows, err := t.db.QueryContext(ctx, t.s.sql("IdentifiersBelow"), int64(version), after, limit)
	if err != nil {
		return nil, fmt.Errorf("store: IdentifiersBelow: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("store: IdentifiersBelow: %w", err)
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

// IdentifiersCountBelow counts the blind indexes made by index keys older
// than version: none left means a rotation may drop its retiring key.
func (q q) IdentifiersCountBelow(ctx context.Context, version uint32) (int64, error) {
	var n int64
	err := q.row(ctx, "IdentifiersCountBelow", []any{int64(version)}, &n)
	return n, err
}

// IdentifierReindex replaces a subject's blind index of kind with hash,
// made by index key version, unless it is already that new. A hash another
// subject's IIN holds gets ErrConflict.
func (t *Tx) IdentifierReindex(ctx context.Context, kind, subject string, hash []byte, version uint32) error {
	_, err := t.exec(ctx, "IdentifierReindex", hash, int64(version), kind, subject, int64(version))
	return err
}
