package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Consent states.
const (
	ConsentGiven     = "given"
	ConsentWithdrawn = "withdrawn"
)

// Consent is a consent as given (Art. 8 p.4). Content is encrypted.
type Consent struct {
	ID              string
	SubjectID       string
	State           string
	Purposes        string
	Fields          string
	ThirdParty      bool
	CrossBorder     bool
	Publication     bool
	NotifyTransfers bool
	AccountBound    bool
	Form            string
	Until           *time.Time
	PolicyVersion   int64
	Content         []byte
	GivenAt         time.Time
	EndedAt         *time.Time
}

// ConsentEvent is one immutable event of the consent ledger.
type ConsentEvent struct {
	ID        string
	ConsentID string
	Kind      string
	At        time.Time
	Actor     string
	Reason    string
	Due       *time.Time
	Content   []byte
}

func b2i(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

func nullTime(t *time.Time) sql.NullInt64 {
	if t == nil {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: micros(*t), Valid: true}
}

// ConsentInsert records a consent as given.
func (t *Tx) ConsentInsert(ctx context.Context, c *Consent) error {
	_, err := t.exec(ctx, "ConsentInsert", c.ID, c.SubjectID, c.Purposes, c.Fields, b2i(c.ThirdParty), b2i(c.CrossBorder), b2i(c.Publication),
		b2i(c.NotifyTransfers), b2i(c.AccountBound), c.Form, nullTime(c.Until), c.PolicyVersion, c.Content, micros(c.GivenAt))
	return err
}

func scanConsent(sc interface{ Scan(...any) error }) (*Consent, error) {
	var c Consent
	var tp, cb, pub, nt, ab, given int64
	var until, ended sql.NullInt64
	if err := sc.Scan(&c.ID, &c.SubjectID, &c.State, &c.Purposes, &c.Fields, &tp, &cb, &pub, &nt, &ab, &c.Form, &until, &c.PolicyVersion, &c.Content, &given, &ended); err != nil {
		return nil, err
	}
	c.ThirdParty, c.CrossBorder, c.Publication, c.NotifyTransfers, c.AccountBound = tp == 1, cb == 1, pub == 1, nt == 1, ab == 1
	c.Until, c.GivenAt, c.EndedAt = nullMicros(until), fromMicros(given), nullMicros(ended)
	return &c, nil
}

// ConsentGet returns a consent, or ErrNotFound.
func (t *Tx) ConsentGet(ctx context.Context, id string) (*Consent, error) {
	c, err := scanConsent(t.db.QueryRowContext(ctx, t.s.sql("ConsentGet"), id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("store: ConsentGet: %w", err)
	}
	return c, nil
}

// ConsentsBySubject returns a subject's consents, oldest first.
func (t *Tx) ConsentsBySubject(ctx context.Context, subject string) ([]*Consent, error) {
	rows, err := t.db.QueryContext(ctx, t.s.sql("ConsentsBySubject"), subject)
	if err != nil {
		return nil, fmt.Errorf("store: ConsentsBySubject: %w", err)
	}
	defer rows.Close()
	var out []*Consent
	for rows.Next() {
		c, err := scanConsent(rows)
		if err != nil {
			return nil, fmt.Errorf("store: ConsentsBySubject: %w", err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// ConsentEnd ends a given consent (withdrawn or expired); ErrNotFound if it
// is not in force.
func (t *Tx) ConsentEnd(ctx context.Context, id, state string, at time.Time) error {
	return t.execOne(ctx, "ConsentEnd", state, micros(at), id)
}

// ConsentEventInsert appends an event to the ledger.
func (t *Tx) ConsentEventInsert(ctx context.Context, e *ConsentEvent) error {
	_, err := t.exec(ctx, "ConsentEventInsert", e.ID, e.ConsentID, e.Kind, micros(e.At), e.Actor, e.Reason, nullTime(e.Due), e.Content)
	return err
}

// ConsentEvents returns a consent's events in order.
func (t *Tx) ConsentEvents(ctx context.Context, consent string) ([]*ConsentEvent, error) {
	rows, err := t.db.QueryContext(ctx, t.s.sql("ConsentEvents"), consent)
	if err != nil {
		return nil, fmt.Errorf("store: ConsentEvents: %w", err)
	}
	defer rows.Close()
	var out []*ConsentEvent
	for rows.Next() {
		var e ConsentEvent
		var at int64
		var due sql.NullInt64
		if err := rows.Scan(&e.ID, &e.ConsentID, &e.Kind, &at, &e.Actor, &e.Reason, &due, &e.Content); err != nil {
			return nil, fmt.Errorf("store: ConsentEvents: %w", err)
		}
		e.At, e.Due = fromMicros(at), nullMicros(due)
		out = append(out, &e)
	}
	return out, rows.Err()
}

// DestructionEnqueue queues a record whose ground is gone for destruction.
func (t *Tx) DestructionEnqueue(ctx context.Context, record, subject, reason string, at time.Time, due *time.Time) error {
	_, err := t.exec(ctx, "DestructionEnqueue", record, subject, reason, micros(at), nullTime(due))
	return err
}

// Queued is a record waiting for destruction.
type Queued struct {
	RecordID  string
	SubjectID string
	Reason    string
	QueuedAt  time.Time
	Due       *time.Time
}

// DestructionQueue returns up to limit queued records, oldest first.
func (q q) DestructionQueue(ctx context.Context, limit int) ([]Queued, error) {
	rows, err := q.db.QueryContext(ctx, q.s.sql("DestructionQueue"), limit)
	if err != nil {
		return nil, fmt.Errorf("store: DestructionQueue: %w", err)
	}
	defer rows.Close()
	var out []Queued
	for rows.Next() {
		var x Queued
		var at int64
		var due sql.NullInt64
		if err := rows.Scan(&x.RecordID, &x.SubjectID, &x.Reason, &at, &due); err != nil {
			return nil, fmt.Errorf("store: DestructionQueue: %w", err)
		}
		x.QueuedAt, x.Due = fromMicros(at), nullMicros(due)
		out = append(out, x)
	}
	return out, rows.Err()
}

// ConsentsExpired returns up to limit consents whose term ended by now and
// that are still marked given.
func (t *Tx) ConsentsExpired(ctx context.Context, now time.Time, limit int) ([]*Consent, error) {
	rows, err := t.db.QueryContext(ctx, t.s.sql("ConsentsExpired"), micros(now), limit)
	if err != nil {
		return nil, fmt.Errorf("store: ConsentsExpired: %w", err)
	}
	defer rows.Close()
	var out []*Consent
	for rows.Next() {
		c, err := scanConsent(rows)
		if err != nil {
			return nil, fmt.Errorf("store: ConsentsExpired: %w", err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}
