package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"
)

// Due is a record whose term has ended (or whose ground is gone), with
// what an act of destruction records about it.
type Due struct {
	RecordID  string
	SubjectID string
	Purpose   string
	Ground    string
	Category  string
	Rule      string
	At        *time.Time
}

func (q q) dues(ctx context.Context, name string, withAt bool, args ...any) ([]Due, error) {
	rows, err := q.db.QueryContext(ctx, q.s.sql(name), args...)
	if err != nil {
		return nil, fmt.Errorf("store: %s: %w", name, err)
	}
	defer rows.Close()
	var out []Due
	for rows.Next() {
		var d Due
		dest := []any{&d.RecordID, &d.SubjectID, &d.Purpose, &d.Ground, &d.Category, &d.Rule}
		var at sql.NullInt64
		if withAt {
			dest = append(dest, &at)
		}
		if err := rows.Scan(dest...); err != nil {
			return nil, fmt.Errorf("store: %s: %w", name, err)
		}
		d.At = nullMicros(at)
		out = append(out, d)
	}
	return out, rows.Err()
}

// RecordsDue returns up to limit records whose term ended by now, and
// records queued for destruction whose time has come.
func (t *Tx) RecordsDue(ctx context.Context, now time.Time, limit int) ([]Due, error) {
	a, err := t.dues(ctx, "RecordsDue", false, micros(now), limit)
	if err != nil {
		return nil, err
	}
	b, err := t.dues(ctx, "RecordsQueuedDue", false, micros(now), limit)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	var out []Due
	for _, d := range append(a, b...) {
		if !seen[d.RecordID] && len(out) < limit {
			seen[d.RecordID] = true
			out = append(out, d)
		}
	}
	return out, nil
}

// RecordsEndingBefore lists what a sweep at until would destroy or
// depersonalise, and why.
func (q q) RecordsEndingBefore(ctx context.Context, until time.Time, limit int) ([]Due, error) {
	return q.dues(ctx, "RecordsEndingBefore", true, micros(until), micros(until), limit)
}

// RecordRetentionStart sets when a record's term ends.
func (t *Tx) RecordRetentionStart(ctx context.Context, id string, end time.Time) error {
	return t.execOne(ctx, "RecordRetentionStart", micros(end), id)
}

// RecordDestroy removes one record's ciphertext and marks it destroyed;
// ErrNotFound if it already was (so each is destroyed exactly once).
func (t *Tx) RecordDestroy(ctx context.Context, id string, at time.Time) error {
	if err := t.execOne(ctx, "RecordDestroy", micros(at), micros(at), id); err != nil {
		return err
	}
	if _, err := t.exec(ctx, "VersionsDelete", id); err != nil {
		return err
	}
	_, err := t.exec(ctx, "DestructionDequeue", id)
	return err
}

// JobLease takes or renews the lease of a job for holder until until; it
// reports false when another holder's lease is still running.
func (t *Tx) JobLease(ctx context.Context, name, holder string, now, until time.Time) (bool, error) {
	res, err := t.exec(ctx, "JobLease", name, holder, micros(until), micros(now))
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// JobRelease ends holder's lease and records the run.
func (t *Tx) JobRelease(ctx context.Context, name, holder string, at time.Time) error {
	_, err := t.exec(ctx, "JobRelease", micros(at), name, holder)
	return err
}

// Act is an act of destruction.
type Act struct {
	ID        string
	Kind      string
	StartedAt time.Time
	SealedAt  *time.Time
	Records   int64
	Summary   string
	Signature []byte
}

// ActRecord is one record an act destroyed or depersonalised.
type ActRecord struct {
	RecordID, SubjectID, Purpose, Category, Ground, Action, Rule string
}

// ActInsert opens an act.
func (t *Tx) ActInsert(ctx context.Context, a *Act) error {
	_, err := t.exec(ctx, "ActInsert", a.ID, a.Kind, micros(a.StartedAt))
	return err
}

// ActRecordInsert adds a record to an act, in the destruction's
// transaction.
func (t *Tx) ActRecordInsert(ctx context.Context, act string, r ActRecord) error {
	_, err := t.exec(ctx, "ActRecordInsert", act, r.RecordID, r.SubjectID, r.Purpose, r.Category, r.Ground, r.Action, r.Rule)
	return err
}

// ActRecords returns an act's records.
func (q q) ActRecords(ctx context.Context, act string) ([]ActRecord, error) {
	rows, err := q.db.QueryContext(ctx, q.s.sql("ActRecords"), act)
	if err != nil {
		return nil, fmt.Errorf("store: ActRecords: %w", err)
	}
	defer rows.Close()
	var out []ActRecord
	for rows.Next() {
		var r ActRecord
		if err := rows.Scan(&r.RecordID, &r.SubjectID, &r.Purpose, &r.Category, &r.Ground, &r.Action, &r.Rule); err != nil {
			return nil, fmt.Errorf("store: ActRecords: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// ActSeal seals an act; ErrNotFound if it already was.
func (t *Tx) ActSeal(ctx context.Context, a *Act) error {
	return t.execOne(ctx, "ActSeal", nullTime(a.SealedAt), a.Records, a.Summary, a.Signature, a.ID)
}

func (q q) acts(ctx context.Context, name string, args ...any) ([]*Act, error) {
	rows, err := q.db.QueryContext(ctx, q.s.sql(name), args...)
	if err != nil {
		return nil, fmt.Errorf("store: %s: %w", name, err)
	}
	defer rows.Close()
	var out []*Act
	for rows.Next() {
		var a Act
		var started int64
		var sealed sql.NullInt64
		if err := rows.Scan(&a.ID, &a.Kind, &started, &sealed, &a.Records, &a.Summary, &a.Signature); err != nil {
			return nil, fmt.Errorf("store: %s: %w", name, err)
		}
		a.StartedAt, a.SealedAt = fromMicros(started), nullMicros(sealed)
		out = append(out, &a)
	}
	return out, rows.Err()
}

// ActsUnsealed returns the acts a cut-short sweep left open.
func (q q) ActsUnsealed(ctx context.Context) ([]*Act, error) { return q.acts(ctx, "ActsUnsealed") }

// ActList returns the newest acts.
func (q q) ActList(ctx context.Context, limit int) ([]*Act, error) {
	return q.acts(ctx, "ActList", limit)
}

// ActGet returns an act, or ErrNotFound.
func (q q) ActGet(ctx context.Context, id string) (*Act, error) {
	as, err := q.acts(ctx, "ActGet", id)
	if err != nil {
		return nil, err
	}
	if len(as) == 0 {
		return nil, ErrNotFound
	}
	return as[0], nil
}

// StatsInsert stores a depersonalised statistics row.
func (t *Tx) StatsInsert(ctx context.Context, id, purpose, category string, year int, attributes string, at time.Time) error {
	_, err := t.exec(ctx, "StatsInsert", id, purpose, category, year, attributes, micros(at))
	return err
}

// StatsRow is a depersonalised statistics row.
type StatsRow struct {
	Category   string
	Year       int
	Attributes string
}

// StatsByPurpose returns a purpose's statistics rows.
func (q q) StatsByPurpose(ctx context.Context, purpose string) ([]StatsRow, error) {
	rows, err := q.db.QueryContext(ctx, q.s.sql("StatsByPurpose"), purpose)
	if err != nil {
		return nil, fmt.Errorf("store: StatsByPurpose: %w", err)
	}
	defer rows.Close()
	var out []StatsRow
	for rows.Next() {
		var r StatsRow
		if err := rows.Scan(&r.Category, &r.Year, &r.Attributes); err != nil {
			return nil, fmt.Errorf("store: StatsByPurpose: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// JobRun is one run of a scheduled job.
type JobRun struct {
	Job        string    `json:"job"`
	StartedAt  time.Time `json:"started_at"`
	FinishedAt time.Time `json:"finished_at"`
	Node       string    `json:"node"`
	Outcome    string    `json:"outcome"`
	Summary    string    `json:"summary"`
}

// JobRunInsert records a run.
func (t *Tx) JobRunInsert(ctx context.Context, r JobRun) error {
	_, err := t.exec(ctx, "JobRunInsert", r.Job, micros(r.StartedAt), micros(r.FinishedAt), r.Node, r.Outcome, r.Summary)
	return err
}

// JobRuns returns the newest runs.
func (q q) JobRuns(ctx context.Context, limit int) ([]JobRun, error) {
	rows, err := q.db.QueryContext(ctx, q.s.sql("JobRuns"), limit)
	if err != nil {
		return nil, fmt.Errorf("store: JobRuns: %w", err)
	}
	defer rows.Close()
	var out []JobRun
	for rows.Next() {
		var r JobRun
		var s, f int64
		if err := rows.Scan(&r.Job, &s, &f, &r.Node, &r.Outcome, &r.Summary); err != nil {
			return nil, fmt.Errorf("store: JobRuns: %w", err)
		}
		r.StartedAt, r.FinishedAt = fromMicros(s), fromMicros(f)
		out = append(out, r)
	}
	return out, rows.Err()
}

// RecordsDestroyBatch destroys a batch of records for the sweep — their
// data keys, ciphertexts, versions and queue entries — in a few statements
// rather than a few per record, and adds them to act. Every record must
// still exist and not be destroyed: otherwise nothing of the batch is kept
// (the caller's transaction fails), so no record is destroyed twice or
// left out of its act.
func (t *Tx) RecordsDestroyBatch(ctx context.Context, act string, recs []ActRecord, at time.Time) error {
	if len(recs) == 0 {
		return nil
	}
	ids := make([]string, len(recs))
	lines := make([][7]string, len(recs))
	for i, r := range recs {
		ids[i] = r.RecordID
		lines[i] = [7]string{r.RecordID, r.SubjectID, r.Purpose, r.Category, r.Ground, r.Action, r.Rule}
	}
	idList, err := json.Marshal(ids)
	if err != nil {
		return err
	}
	if _, err := t.exec(ctx, "DataKeysDelete", string(idList)); err != nil {
		return err
	}
	res, err := t.exec(ctx, "RecordsDestroy", micros(at), string(idList))
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil || n != int64(len(ids)) {
		return fmt.Errorf("store: RecordsDestroy: %d of %d records destroyed (%v): %w", n, len(ids), err, ErrConflict)
	}
	if _, err := t.exec(ctx, "VersionsDeleteMany", string(idList)); err != nil {
		return err
	}
	if _, err := t.exec(ctx, "DestructionDequeueMany", string(idList)); err != nil {
		return err
	}
	b, err := json.Marshal(lines)
	if err != nil {
		return err
	}
	_, err = t.exec(ctx, "ActRecordsInsert", act, string(b))
	return err
}
