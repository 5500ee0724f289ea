package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Transfer is a disclosure of records to a recipient. Reference is
// encrypted with the subject's data key.
type Transfer struct {
	ID          string
	SubjectID   string
	Recipient   string
	Purpose     string
	Ground      string
	ConsentID   string
	Reference   []byte
	Records     string
	Fields      string
	Country     string
	CrossBorder bool
	DecidedBy   string
	CreatedAt   time.Time
	NotifyDue   *time.Time
	NotifiedAt  *time.Time
	RevokedAt   *time.Time
}

// TransferInsert records a transfer.
func (t *Tx) TransferInsert(ctx context.Context, x *Transfer) error {
	_, err := t.exec(ctx, "TransferInsert", x.ID, x.SubjectID, x.Recipient, x.Purpose, x.Ground, x.ConsentID, x.Reference, x.Records, x.Fields,
		x.Country, b2i(x.CrossBorder), x.DecidedBy, micros(x.CreatedAt), nullTime(x.NotifyDue))
	return err
}

func scanTransfer(sc interface{ Scan(...any) error }) (*Transfer, error) {
	var x Transfer
	var cb, created int64
	var due, notified, revoked sql.NullInt64
	if err := sc.Scan(&x.ID, &x.SubjectID, &x.Recipient, &x.Purpose, &x.Ground, &x.ConsentID, &x.Reference, &x.Records, &x.Fields,
		&x.Country, &cb, &x.DecidedBy, &created, &due, &notified, &revoked); err != nil {
		return nil, err
	}
	x.CrossBorder, x.CreatedAt = cb == 1, fromMicros(created)
	x.NotifyDue, x.NotifiedAt, x.RevokedAt = nullMicros(due), nullMicros(notified), nullMicros(revoked)
	return &x, nil
}

// TransferGet returns a transfer, or ErrNotFound.
func (t *Tx) TransferGet(ctx context.Context, id string) (*Transfer, error) {
	x, err := scanTransfer(t.db.QueryRowContext(ctx, t.s.sql("TransferGet"), id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("store: TransferGet: %w", err)
	}
	return x, nil
}

func (q q) transfers(ctx context.Context, name string, args ...any) ([]*Transfer, error) {
	rows, err := q.db.QueryContext(ctx, q.s.sql(name), args...)
	if err != nil {
		return nil, fmt.Errorf("store: %s: %w", name, err)
	}
	defer rows.Close()
	var out []*Transfer
	for rows.Next() {
		x, err := scanTransfer(rows)
		if err != nil {
			return nil, fmt.Errorf("store: %s: %w", name, err)
		}
		out = append(out, x)
	}
	return out, rows.Err()
}

// TransfersBySubject returns a subject's transfers, oldest first.
func (q q) TransfersBySubject(ctx context.Context, subject string) ([]*Transfer, error) {
	return q.transfers(ctx, "TransfersBySubject", subject)
}

// TransfersByRecipient returns up to limit transfers to a recipient, newest
// first.
func (q q) TransfersByRecipient(ctx context.Context, recipient string, limit int) ([]*Transfer, error) {
	return q.transfers(ctx, "TransfersByRecipient", recipient, limit)
}

// TransfersToNotify returns transfers whose subject is still to be told,
// soonest due first.
func (q q) TransfersToNotify(ctx context.Context, limit int) ([]*Transfer, error) {
	return q.transfers(ctx, "TransfersToNotify", limit)
}

// TransferNotified records that the subject was told.
func (t *Tx) TransferNotified(ctx context.Context, id string, at time.Time) error {
	return t.execOne(ctx, "TransferNotified", micros(at), id)
}

// TransferRevoke revokes a transfer and every grant issued for it.
func (t *Tx) TransferRevoke(ctx context.Context, id string, at time.Time) error {
	if err := t.execOne(ctx, "TransferRevoke", micros(at), id); err != nil {
		return err
	}
	_, err := t.exec(ctx, "GrantsRevoke", micros(at), id)
	return err
}

// Grant is a recipient's access to one transfer.
type Grant struct {
	ID         string
	TransferID string
	SecretHash []byte
	CreatedAt  time.Time
	ExpiresAt  time.Time
	RevokedAt  *time.Time
	LastUsedAt *time.Time
}

// GrantInsert issues a grant.
func (t *Tx) GrantInsert(ctx context.Context, g *Grant) error {
	_, err := t.exec(ctx, "GrantInsert", g.ID, g.TransferID, g.SecretHash, micros(g.CreatedAt), micros(g.ExpiresAt))
	return err
}

// GrantGet returns a grant, or ErrNotFound.
func (t *Tx) GrantGet(ctx context.Context, id string) (*Grant, error) {
	var g Grant
	var created, expires int64
	var revoked, used sql.NullInt64
	if err := t.row(ctx, "GrantGet", []any{id}, &g.ID, &g.TransferID, &g.SecretHash, &created, &expires, &revoked, &used); err != nil {
		return nil, err
	}
	g.CreatedAt, g.ExpiresAt, g.RevokedAt, g.LastUsedAt = fromMicros(created), fromMicros(expires), nullMicros(revoked), nullMicros(used)
	return &g, nil
}

// GrantTouch records a grant's last use.
func (t *Tx) GrantTouch(ctx context.Context, id string, at time.Time) error {
	_, err := t.exec(ctx, "GrantTouch", micros(at), id)
	return err
}
