package store

import (
	"context"
	"fmt"
	"time"
)

// The scheduler's state (package jobs). Each method that ends or extends a
// claim names the claim by its owner, and changes nothing (ErrNotFound)
// when that claim is no longer the job's: a node whose lease ran out and
// was taken over cannot complete the period a second time.

// JobSchedule is the shared state of one periodic job.
type JobSchedule struct {
	Name       string    `json:"name"`
	NextRunAt  time.Time `json:"next_run_at"`
	LeaseOwner string    `json:"lease_owner,omitempty"`
	// LeaseUntil is zero when no node holds the job.
	LeaseUntil time.Time `json:"lease_until,omitzero"`
	// Attempts counts the failures since the last success.
	Attempts     int       `json:"attempts"`
	LastError    string    `json:"last_error,omitempty"`
	LastStarted  time.Time `json:"last_started,omitzero"`
	LastFinished time.Time `json:"last_finished,omitzero"`
	LastOK       time.Time `json:"last_ok,omitzero"`
}

// Claim is a node's hold on one run of a job.
type Claim struct {
	// Due is when the run was due (the job's next_run_at when claimed).
	Due time.Time
	// Attempts counts the failures before this run.
	Attempts int
}

// JobScheduleEnsure registers a job, first due at first; a job already
// registered keeps its state.
func (t *Tx) JobScheduleEnsure(ctx context.Context, name string, first time.Time) error {
	_, err := t.exec(ctx, "JobScheduleEnsure", name, micros(first))
	return err
}

// JobClaim takes the job for owner until the lease ends, if it is due at
// now and no other lease on it runs; ErrNotFound otherwise.
func (t *Tx) JobClaim(ctx context.Context, name, owner string, now, until time.Time) (*Claim, error) {
	var due int64
	var c Claim
	if err := t.row(ctx, "JobClaim", []any{owner, micros(until), micros(now), name}, &due, &c.Attempts); err != nil {
		return nil, err
	}
	c.Due = fromMicros(due)
	return &c, nil
}

// JobRenew extends owner's lease; ErrNotFound when it is no longer owner's.
func (t *Tx) JobRenew(ctx context.Context, name, owner string, until time.Time) error {
	return t.execOne(ctx, "JobRenew", micros(until), name, owner)
}

// JobComplete ends owner's successful run and sets the next one;
// ErrNotFound when the claim is no longer owner's.
func (t *Tx) JobComplete(ctx context.Context, name, owner string, next, now time.Time) error {
	return t.execOne(ctx, "JobComplete", micros(next), micros(now), name, owner)
}

// JobFail ends owner's failed run, keeping its error and retrying at next;
// ErrNotFound when the claim is no longer owner's. reason must not hold
// personal data.
func (t *Tx) JobFail(ctx context.Context, name, owner, reason string, next, now time.Time) error {
	return t.execOne(ctx, "JobFail", micros(next), reason, micros(now), name, owner)
}

// JobSchedules returns every registered job's state, by name.
func (q q) JobSchedules(ctx context.Context) ([]JobSchedule, error) {
	rows, err := q.db.QueryContext(ctx, q.s.sql("JobSchedules"))
	if err != nil {
		return nil, fmt.Errorf("store: JobSchedules: %w", err)
	}
	defer rows.Close()
	var out []JobSchedule
	for rows.Next() {
		var j JobSchedule
		var next, until, started, finished, ok int64
		if err := rows.Scan(&j.Name, &next, &j.LeaseOwner, &until, &j.Attempts, &j.LastError, &started, &finished, &ok); err != nil {
			return nil, fmt.Errorf("store: JobSchedules: %w", err)
		}
		j.NextRunAt = fromMicros(next)
		j.LeaseUntil, j.LastStarted, j.LastFinished, j.LastOK = orZero(until), orZero(started), orZero(finished), orZero(ok)
		out = append(out, j)
	}
	return out, rows.Err()
}

// orZero reads a time where 0 means never.
func orZero(us int64) time.Time {
	if us == 0 {
		return time.Time{}
	}
	return fromMicros(us)
}

// JobAbandon gives owner's run back unfinished, still due.
func (t *Tx) JobAbandon(ctx context.Context, name, owner string) error {
	return t.execOne(ctx, "JobAbandon", name, owner)
}

// ReminderSent reports whether the reminder of a request's or incident's
// deadline at threshold was sent.
func (q q) ReminderSent(ctx context.Context, kind, ref, threshold string) (bool, error) {
	var n int
	err := q.row(ctx, "ReminderSent", []any{kind, ref, threshold}, &n)
	return n > 0, err
}

// ReminderInsert remembers a reminder as sent.
func (t *Tx) ReminderInsert(ctx context.Context, kind, ref, threshold string, at time.Time) error {
	_, err := t.exec(ctx, "ReminderInsert", kind, ref, threshold, micros(at))
	return err
}

// BlockedRecord is a record blocked and not yet queued for destruction.
type BlockedRecord struct {
	RecordID, SubjectID string
	BlockedAt           time.Time
}

// RecordsBlockedBefore returns up to limit records blocked at or before
// before and not yet queued for destruction, longest blocked first.
func (q q) RecordsBlockedBefore(ctx context.Context, before time.Time, limit int) ([]BlockedRecord, error) {
	rows, err := q.db.QueryContext(ctx, q.s.sql("RecordsBlockedBefore"), micros(before), limit)
	if err != nil {
		return nil, fmt.Errorf("store: RecordsBlockedBefore: %w", err)
	}
	defer rows.Close()
	var out []BlockedRecord
	for rows.Next() {
		var b BlockedRecord
		var at int64
		if err := rows.Scan(&b.RecordID, &b.SubjectID, &at); err != nil {
			return nil, fmt.Errorf("store: RecordsBlockedBefore: %w", err)
		}
		b.BlockedAt = fromMicros(at)
		out = append(out, b)
	}
	return out, rows.Err()
}
