package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Incident is a suspected or confirmed breach. Content is encrypted with
// the incident's own data key (owner: the incident id).
type Incident struct {
	ID             string
	Kind           string
	Source         string
	Principal      string
	DetectedAt     time.Time
	Classification string
	Status         string
	NoticeDue      *time.Time
	NoticeSentAt   *time.Time
	Subjects       string
	Content        []byte
	UpdatedAt      time.Time
	Dedup          string
}

// IncidentInsert opens an incident; it reports false when the same rule
// already opened one for the same dedup key.
func (t *Tx) IncidentInsert(ctx context.Context, i *Incident) (bool, error) {
	res, err := t.exec(ctx, "IncidentInsert", i.ID, i.Kind, i.Source, i.Principal, micros(i.DetectedAt), nullTime(i.NoticeDue), i.Subjects, i.Content, micros(i.UpdatedAt), i.Dedup)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

func scanIncident(sc interface{ Scan(...any) error }) (*Incident, error) {
	var i Incident
	var detected, updated int64
	var due, sent sql.NullInt64
	if err := sc.Scan(&i.ID, &i.Kind, &i.Source, &i.Principal, &detected, &i.Classification, &i.Status, &due, &sent, &i.Subjects, &i.Content, &updated); err != nil {
		return nil, err
	}
	i.DetectedAt, i.UpdatedAt, i.NoticeDue, i.NoticeSentAt = fromMicros(detected), fromMicros(updated), nullMicros(due), nullMicros(sent)
	return &i, nil
}

// IncidentGet returns an incident, or ErrNotFound.
func (t *Tx) IncidentGet(ctx context.Context, id string) (*Incident, error) {
	i, err := scanIncident(t.db.QueryRowContext(ctx, t.s.sql("IncidentGet"), id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("store: IncidentGet: %w", err)
	}
	return i, nil
}

// IncidentList returns incidents (without content), open ones first.
func (q q) IncidentList(ctx context.Context, status string, limit int) ([]*Incident, error) {
	rows, err := q.db.QueryContext(ctx, q.s.sql("IncidentList"), status, status, limit)
	if err != nil {
		return nil, fmt.Errorf("store: IncidentList: %w", err)
	}
	defer rows.Close()
	var out []*Incident
	for rows.Next() {
		i, err := scanIncident(rows)
		if err != nil {
			return nil, fmt.Errorf("store: IncidentList: %w", err)
		}
		out = append(out, i)
	}
	return out, rows.Err()
}

// IncidentUpdate saves an incident's classification, status, notice and
// content.
func (t *Tx) IncidentUpdate(ctx context.Context, i *Incident) error {
	return t.execOne(ctx, "IncidentUpdate", i.Classification, i.Status, nullTime(i.NoticeSentAt), i.Subjects, i.Content, micros(i.UpdatedAt), i.ID)
}
