package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Request is a subject's request as stored. Content and Answer are
// encrypted with the request's own data key (owner: the request id).
type Request struct {
	ID             string
	Kind           string
	State          string
	Outcome        string
	SubjectID      string
	Channel        string
	Representative bool
	Lang           string
	ReceivedAt     time.Time
	ClockAt        time.Time
	Due            *time.Time
	Assignee       string
	Refusal        string
	Content        []byte
	Answer         []byte
	AnsweredAt     *time.Time
	UpdatedAt      time.Time
}

// RequestInsert stores a new request.
func (t *Tx) RequestInsert(ctx context.Context, r *Request) error {
	_, err := t.exec(ctx, "RequestInsert", r.ID, r.Kind, r.State, r.SubjectID, r.Channel, b2i(r.Representative), r.Lang,
		micros(r.ReceivedAt), micros(r.ClockAt), nullTime(r.Due), r.Content, micros(r.UpdatedAt))
	return err
}

func scanRequest(sc interface{ Scan(...any) error }) (*Request, error) {
	var r Request
	var rep, received, clock, updated int64
	var due, answered sql.NullInt64
	if err := sc.Scan(&r.ID, &r.Kind, &r.State, &r.Outcome, &r.SubjectID, &r.Channel, &rep, &r.Lang, &received, &clock, &due,
		&r.Assignee, &r.Refusal, &r.Content, &r.Answer, &answered, &updated); err != nil {
		return nil, err
	}
	r.Representative = rep == 1
	r.ReceivedAt, r.ClockAt, r.Due, r.AnsweredAt, r.UpdatedAt = fromMicros(received), fromMicros(clock), nullMicros(due), nullMicros(answered), fromMicros(updated)
	return &r, nil
}

// RequestGet returns a request, or ErrNotFound.
func (t *Tx) RequestGet(ctx context.Context, id string) (*Request, error) {
	r, err := scanRequest(t.db.QueryRowContext(ctx, t.s.sql("RequestGet"), id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("store: RequestGet: %w", err)
	}
	return r, nil
}

// RequestUpdate saves a request's state; it fails with ErrConflict if the
// request changed since it was read (prev is the UpdatedAt then).
func (t *Tx) RequestUpdate(ctx context.Context, r *Request, prev time.Time) error {
	err := t.execOne(ctx, "RequestUpdate", r.State, r.Outcome, r.SubjectID, micros(r.ClockAt), nullTime(r.Due), r.Assignee, r.Refusal,
		r.Answer, nullTime(r.AnsweredAt), micros(r.UpdatedAt), r.ID, micros(prev))
	if errors.Is(err, ErrNotFound) {
		return fmt.Errorf("%w: request %s changed meanwhile", ErrConflict, r.ID)
	}
	return err
}

// RequestFilter selects requests; zero values select everything.
type RequestFilter struct {
	State string
	// OverdueAt, when set, selects open requests due before it (and those
	// whose deadline could not be counted).
	OverdueAt time.Time
	Assignee  string
	Limit     int
}

// RequestList returns requests (without content or answer): open ones by
// due date first, then answered ones.
func (q q) RequestList(ctx context.Context, f RequestFilter) ([]*Request, error) {
	overdue, at := int64(0), int64(0)
	if !f.OverdueAt.IsZero() {
		overdue, at = 1, micros(f.OverdueAt)
	}
	if f.Limit <= 0 || f.Limit > 1000 {
		f.Limit = 1000
	}
	rows, err := q.db.QueryContext(ctx, q.s.sql("RequestList"), f.State, f.State, overdue, at, f.Assignee, f.Assignee, f.Limit)
	if err != nil {
		return nil, fmt.Errorf("store: RequestList: %w", err)
	}
	defer rows.Close()
	var out []*Request
	for rows.Next() {
		r, err := scanRequest(rows)
		if err != nil {
			return nil, fmt.Errorf("store: RequestList: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// RecordsSetState moves every record of a subject in state from to state
// to (blocking and unblocking) and returns how many moved.
func (t *Tx) RecordsSetState(ctx context.Context, subject, from, to string, at time.Time) (int64, error) {
	res, err := t.exec(ctx, "RecordsSetState", to, micros(at), subject, from)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}
