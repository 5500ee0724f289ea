package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// PortalCode is a one-time sign-in code of the subject portal, as stored:
// the code itself only as a hash.
type PortalCode struct {
	ID string
	// IINHash is the blind index of the IIN the code was asked for.
	IINHash []byte
	// SubjectID is empty when no subject has that IIN: the code is stored
	// all the same, so that the portal behaves alike for both.
	SubjectID string
	Channel   string
	CodeHash  []byte
	CreatedAt time.Time
	ExpiresAt time.Time
	Attempts  int
	UsedAt    *time.Time
}

// PortalCodeInsert stores a new code.
func (t *Tx) PortalCodeInsert(ctx context.Context, c *PortalCode) error {
	var subject sql.NullString
	if c.SubjectID != "" {
		subject = sql.NullString{String: c.SubjectID, Valid: true}
	}
	_, err := t.exec(ctx, "PortalCodeInsert", c.ID, c.IINHash, subject, c.Channel, c.CodeHash, micros(c.CreatedAt), micros(c.ExpiresAt))
	return err
}

// PortalCodesSince counts the codes asked for one IIN (by its blind index)
// since a time.
func (t *Tx) PortalCodesSince(ctx context.Context, iinHash []byte, since time.Time) (int, error) {
	var n int
	err := t.row(ctx, "PortalCodesSince", []any{iinHash, micros(since)}, &n)
	return n, err
}

// PortalCodeGet returns a code, or ErrNotFound.
func (t *Tx) PortalCodeGet(ctx context.Context, id string) (*PortalCode, error) {
	var c PortalCode
	var subject sql.NullString
	var created, expires int64
	var used sql.NullInt64
	if err := t.row(ctx, "PortalCodeGet", []any{id}, &c.ID, &c.IINHash, &subject, &c.Channel, &c.CodeHash, &created, &expires, &c.Attempts, &used); err != nil {
		return nil, err
	}
	c.SubjectID, c.CreatedAt, c.ExpiresAt, c.UsedAt = subject.String, fromMicros(created), fromMicros(expires), nullMicros(used)
	return &c, nil
}

// PortalCodeAttempt counts one attempt at an unused code that has fewer
// than max attempts; ErrNotFound if it has none left.
func (t *Tx) PortalCodeAttempt(ctx context.Context, id string, max int) error {
	return t.execOne(ctx, "PortalCodeAttempt", id, max)
}

// PortalCodeUse marks a code used; ErrNotFound if it already was.
func (t *Tx) PortalCodeUse(ctx context.Context, id string, at time.Time) error {
	return t.execOne(ctx, "PortalCodeUse", micros(at), id)
}

// PortalCodesPrune deletes the codes created before a time.
func (t *Tx) PortalCodesPrune(ctx context.Context, before time.Time) error {
	_, err := t.exec(ctx, "PortalCodesPrune", micros(before))
	return err
}

// PortalSession is a subject's signed-in session in the portal.
type PortalSession struct {
	ID         string
	SubjectID  string
	SecretHash []byte
	CreatedAt  time.Time
	ExpiresAt  time.Time
	EndedAt    *time.Time
}

// PortalSessionInsert starts a session.
func (t *Tx) PortalSessionInsert(ctx context.Context, s *PortalSession) error {
	_, err := t.exec(ctx, "PortalSessionInsert", s.ID, s.SubjectID, s.SecretHash, micros(s.CreatedAt), micros(s.ExpiresAt))
	return err
}

// PortalSessionGet returns a session, or ErrNotFound.
func (q q) PortalSessionGet(ctx context.Context, id string) (*PortalSession, error) {
	var s PortalSession
	var created, expires int64
	var ended sql.NullInt64
	if err := q.row(ctx, "PortalSessionGet", []any{id}, &s.ID, &s.SubjectID, &s.SecretHash, &created, &expires, &ended); err != nil {
		return nil, err
	}
	s.CreatedAt, s.ExpiresAt, s.EndedAt = fromMicros(created), fromMicros(expires), nullMicros(ended)
	return &s, nil
}

// PortalSessionEnd ends a session (sign-out).
func (t *Tx) PortalSessionEnd(ctx context.Context, id string, at time.Time) error {
	_, err := t.exec(ctx, "PortalSessionEnd", micros(at), id)
	return err
}

// PortalRequests returns a subject's requests (without content or
// answer), newest first, at most 100.
func (t *Tx) PortalRequests(ctx context.Context, subject string) ([]*Request, error) {
	rows, err := t.db.QueryContext(ctx, t.s.sql("PortalRequests"), subject)
	if err != nil {
		return nil, fmt.Errorf("store: PortalRequests: %w", err)
	}
	defer rows.Close()
	var out []*Request
	for rows.Next() {
		r, err := scanRequest(rows)
		if err != nil {
			return nil, fmt.Errorf("store: PortalRequests: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}
