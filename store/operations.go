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
