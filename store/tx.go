package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"time"

	"github.com/derbes/derbes/journal"
)

// q runs the named queries on a transaction or a pool. Reads live here so
// that Tx and Reader share them.
type q struct {
	s  *Store
	db querier
}

// Tx is a write transaction (part of a group commit). It is only valid
// inside the function given to Store.Write.
type Tx struct {
	q
	tx      *sql.Tx
	head    journal.Head
	crossed []journal.Head
}

// Reader reads outside any write transaction; what it reads is not
// journaled, so it never reads personal data.
type Reader struct{ q }

// Read runs fn with a Reader.
func (s *Store) Read(ctx context.Context, fn func(r *Reader) error) error {
	return fn(&Reader{q{s: s, db: s.d.reader()}})
}

func (q q) exec(ctx context.Context, name string, args ...any) (sql.Result, error) {
	res, err := q.db.ExecContext(ctx, q.s.sql(name), args...)
	if err != nil {
		if q.s.d.conflict(err) {
			return nil, fmt.Errorf("%w (%s)", ErrConflict, name)
		}
		return nil, fmt.Errorf("store: %s: %w", name, err)
	}
	return res, nil
}

// execAll runs the named statements, whose results nobody reads, in
// order: in one round trip where the writer can (batchWriter.execAll).
// Each is given as its name followed by its arguments.
func (q q) execAll(ctx context.Context, stmts ...[]any) error {
	sts := make([]stmt, len(stmts))
	for i, st := range stmts {
		sts[i] = stmt{q.s.sql(st[0].(string)), st[1:]}
	}
	if w, ok := q.db.(*batchWriter); ok {
		if err := w.execAll(ctx, sts); err != nil {
			if q.s.d.conflict(err) {
				return fmt.Errorf("%w (%s)", ErrConflict, stmts[0][0])
			}
			return fmt.Errorf("store: %s…: %w", stmts[0][0], err)
		}
		return nil
	}
	for _, st := range stmts {
		if _, err := q.exec(ctx, st[0].(string), st[1:]...); err != nil {
			return err
		}
	}
	return nil
}

// execOne runs a statement that must change exactly one row.
func (q q) execOne(ctx context.Context, name string, args ...any) error {
	res, err := q.exec(ctx, name, args...)
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("store: %s: %w", name, err)
	}
	if n == 0 {
		return ErrNotFound
	}
	return nil
}

func (q q) row(ctx context.Context, name string, args []any, dest ...any) error {
	err := q.db.QueryRowContext(ctx, q.s.sql(name), args...).Scan(dest...)
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("store: %s: %w", name, err)
	}
	return nil
}

// Policy versions.

// PolicyVersion is one activation of a policy file.
type PolicyVersion struct {
	Version     int64
	Label       string
	SHA256      string
	Source      []byte
	ActivatedAt time.Time
	ActivatedBy string
}

// PolicyActive returns the last activated policy, or ErrNotFound.
func (q q) PolicyActive(ctx context.Context) (*PolicyVersion, error) {
	var p PolicyVersion
	var at int64
	if err := q.row(ctx, "PolicyActive", nil, &p.Version, &p.Label, &p.SHA256, &p.Source, &at, &p.ActivatedBy); err != nil {
		return nil, err
	}
	p.ActivatedAt = fromMicros(at)
	return &p, nil
}

// PolicyList returns every activation, oldest first, without sources.
func (q q) PolicyList(ctx context.Context) ([]PolicyVersion, error) {
	rows, err := q.db.QueryContext(ctx, q.s.sql("PolicyList"))
	if err != nil {
		return nil, fmt.Errorf("store: PolicyList: %w", err)
	}
	defer rows.Close()
	var out []PolicyVersion
	for rows.Next() {
		var p PolicyVersion
		var at int64
		if err := rows.Scan(&p.Version, &p.Label, &p.SHA256, &at, &p.ActivatedBy); err != nil {
			return nil, fmt.Errorf("store: PolicyList: %w", err)
		}
		p.ActivatedAt = fromMicros(at)
		out = append(out, p)
	}
	return out, rows.Err()
}

// PolicyGet returns an activation by its number, or ErrNotFound.
func (q q) PolicyGet(ctx context.Context, version int64) (*PolicyVersion, error) {
	var p PolicyVersion
	var at int64
	if err := q.row(ctx, "PolicyGet", []any{version}, &p.Version, &p.Label, &p.SHA256, &p.Source, &at, &p.ActivatedBy); err != nil {
		return nil, err
	}
	p.ActivatedAt = fromMicros(at)
	return &p, nil
}

// PolicyInsert records an activation and returns its version number.
func (t *Tx) PolicyInsert(ctx context.Context, p *PolicyVersion) (int64, error) {
	var v int64
	err := t.row(ctx, "PolicyInsert", []any{p.Label, p.SHA256, p.Source, micros(p.ActivatedAt), p.ActivatedBy}, &v)
	return v, err
}

// Subjects.

// Subject states.
const (
	Active    = "active"
	Blocked   = "blocked"
	Destroyed = "destroyed"
)

// Subject is a person the data is about. Identifiers is encrypted.
type Subject struct {
	ID          string
	Category    string
	State       string
	Identifiers []byte
	CreatedAt   time.Time
	DestroyedAt *time.Time
}

// SubjectInsert adds a subject.
func (t *Tx) SubjectInsert(ctx context.Context, s *Subject) error {
	_, err := t.exec(ctx, "SubjectInsert", s.ID, s.Category, s.Identifiers, micros(s.CreatedAt))
	return err
}

// SubjectGet returns a subject, or ErrNotFound.
func (t *Tx) SubjectGet(ctx context.Context, id string) (*Subject, error) {
	var s Subject
	var at int64
	var destroyed sql.NullInt64
	if err := t.row(ctx, "SubjectGet", []any{id}, &s.ID, &s.Category, &s.State, &s.Identifiers, &at, &destroyed); err != nil {
		return nil, err
	}
	s.CreatedAt, s.DestroyedAt = fromMicros(at), nullMicros(destroyed)
	return &s, nil
}

// SubjectDestroy marks a subject destroyed and removes its encrypted
// identifiers, its blind indexes and its records' ciphertexts. The caller
// deletes the data key (DataKeyDelete) in the same transaction.
func (t *Tx) SubjectDestroy(ctx context.Context, id string, at time.Time) error {
	if err := t.execOne(ctx, "SubjectDestroy", micros(at), id); err != nil {
		return err
	}
	return t.execAll(ctx,
		[]any{"IdentifiersDelete", id},
		[]any{"VersionsDeleteBySubject", id},
		[]any{"RecordsDestroyBySubject", micros(at), micros(at), id},
		[]any{"ConsentEventsForget", id},
		[]any{"ConsentsForget", id})
}

// IdentifierInsert indexes a subject under a blind index made by index key
// keyVersion. A second subject with the same IIN (under the same key) gets
// ErrConflict.
func (t *Tx) IdentifierInsert(ctx context.Context, kind string, hash []byte, keyVersion uint32, subject string) error {
	_, err := t.exec(ctx, "IdentifierInsert", kind, hash, subject, int64(keyVersion))
	return err
}

// IdentifierFind returns the subjects indexed under a blind index.
func (t *Tx) IdentifierFind(ctx context.Context, kind string, hash []byte) ([]string, error) {
	rows, err := t.db.QueryContext(ctx, t.s.sql("IdentifierFind"), kind, hash)
	if err != nil {
		return nil, fmt.Errorf("store: IdentifierFind: %w", err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("store: IdentifierFind: %w", err)
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// Records.

// Record is personal data about a subject collected for one purpose.
// Fields is encrypted; FieldNames lists the policy fields it holds.
type Record struct {
	ID        string
	SubjectID string
	Purpose   string
	Channel   string
	Ground    string
	// ConsentID is the consent a consent-ground record rests on.
	ConsentID     string
	State         string
	FieldNames    string
	Fields        []byte
	PolicyVersion int64
	CreatedAt     time.Time
	UpdatedAt     time.Time
	DestroyedAt   *time.Time

	// ConsentState and ConsentUntil describe the consent the record rests
	// on, as read with it ("" when it rests on another ground).
	ConsentState string
	ConsentUntil *time.Time

	// RetentionEnd is when the record's term ends; nil until it starts
	// (an event, the end of a relationship, the purpose achieved).
	RetentionEnd *time.Time
}

// RecordInsert adds a record.
func (t *Tx) RecordInsert(ctx context.Context, r *Record) error {
	_, err := t.exec(ctx, "RecordInsert", r.ID, r.SubjectID, r.Purpose, r.Channel, r.Ground, r.ConsentID, r.FieldNames, r.Fields, r.PolicyVersion, micros(r.CreatedAt), micros(r.UpdatedAt), nullTime(r.RetentionEnd))
	return err
}

func scanRecord(sc interface{ Scan(...any) error }) (*Record, error) {
	var r Record
	var created, updated int64
	var destroyed, until, end sql.NullInt64
	if err := sc.Scan(&r.ID, &r.SubjectID, &r.Purpose, &r.Channel, &r.Ground, &r.ConsentID, &r.State, &r.FieldNames, &r.Fields, &r.PolicyVersion,
		&created, &updated, &destroyed, &r.ConsentState, &until, &end); err != nil {
		return nil, err
	}
	r.RetentionEnd = nullMicros(end)
	r.CreatedAt, r.UpdatedAt, r.DestroyedAt = fromMicros(created), fromMicros(updated), nullMicros(destroyed)
	r.ConsentUntil = nullMicros(until)
	return &r, nil
}

// RecordGet returns a record, or ErrNotFound.
func (t *Tx) RecordGet(ctx context.Context, id string) (*Record, error) {
	r, err := scanRecord(t.db.QueryRowContext(ctx, t.s.sql("RecordGet"), id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("store: RecordGet: %w", err)
	}
	return r, nil
}

// RecordsBySubject returns a subject's records, oldest first.
func (t *Tx) RecordsBySubject(ctx context.Context, subject string) ([]*Record, error) {
	rows, err := t.db.QueryContext(ctx, t.s.sql("RecordsBySubject"), subject)
	if err != nil {
		return nil, fmt.Errorf("store: RecordsBySubject: %w", err)
	}
	defer rows.Close()
	var out []*Record
	for rows.Next() {
		r, err := scanRecord(rows)
		if err != nil {
			return nil, fmt.Errorf("store: RecordsBySubject: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// RecordCorrect replaces the encrypted fields of a record that is not
// destroyed, on a subject's correction request.
func (t *Tx) RecordCorrect(ctx context.Context, r *Record) error {
	return t.execOne(ctx, "RecordCorrect", r.FieldNames, r.Fields, micros(r.UpdatedAt), r.ID)
}

// RecordUpdate replaces an active record's encrypted fields.
func (t *Tx) RecordUpdate(ctx context.Context, r *Record) error {
	return t.execOne(ctx, "RecordUpdate", r.FieldNames, r.Fields, micros(r.UpdatedAt), r.ID)
}

// Keys.

// MasterInsert remembers a master key version's check value (idempotent).
func (t *Tx) MasterInsert(ctx context.Context, version uint32, check []byte, at time.Time) error {
	_, err := t.exec(ctx, "MasterInsert", int64(version), check, micros(at))
	return err
}

// MasterChecks returns the check value of every master version in use.
func (t *Tx) MasterChecks(ctx context.Context) (map[uint32][]byte, error) {
	rows, err := t.db.QueryContext(ctx, t.s.sql("MasterList"))
	if err != nil {
		return nil, fmt.Errorf("store: MasterList: %w", err)
	}
	defer rows.Close()
	out := map[uint32][]byte{}
	for rows.Next() {
		var v int64
		var c []byte
		if err := rows.Scan(&v, &c); err != nil {
			return nil, fmt.Errorf("store: MasterList: %w", err)
		}
		out[uint32(v)] = c
	}
	return out, rows.Err()
}

// DataKeyInsert stores a wrapped data key.
func (t *Tx) DataKeyInsert(ctx context.Context, owner string, master uint32, wrapped []byte) error {
	_, err := t.exec(ctx, "DataKeyInsert", owner, int64(master), wrapped)
	return err
}

// DataKeyGet returns a wrapped data key, or ErrNotFound once shredded.
func (t *Tx) DataKeyGet(ctx context.Context, owner string) ([]byte, error) {
	var w []byte
	err := t.row(ctx, "DataKeyGet", []any{owner}, &w)
	return w, err
}

// DataKeysDelete shreds several data keys in one statement.
func (t *Tx) DataKeysDelete(ctx context.Context, owners []string) error {
	list, err := json.Marshal(owners)
	if err != nil {
		return err
	}
	_, err = t.exec(ctx, "DataKeysDelete", string(list))
	return err
}

// DataKeyDelete shreds a data key: the ciphertexts it opened are lost.
func (t *Tx) DataKeyDelete(ctx context.Context, owner string) error {
	_, err := t.exec(ctx, "DataKeyDelete", owner)
	return err
}

// WrappedKey is a data key as stored.
type WrappedKey struct {
	Owner   string
	Wrapped []byte
}

// DataKeysBelow returns up to limit data keys wrapped by a master version
// older than version.
func (t *Tx) DataKeysBelow(ctx context.Context, version uint32, limit int) ([]WrappedKey, error) {
	rows, err := t.db.QueryContext(ctx, t.s.sql("DataKeysBelow"), int64(version), limit)
	if err != nil {
		return nil, fmt.Errorf("store: DataKeysBelow: %w", err)
	}
	defer rows.Close()
	var out []WrappedKey
	for rows.Next() {
		var k WrappedKey
		if err := rows.Scan(&k.Owner, &k.Wrapped); err != nil {
			return nil, fmt.Errorf("store: DataKeysBelow: %w", err)
		}
		out = append(out, k)
	}
	return out, rows.Err()
}

// DataKeyRewrap replaces a wrapped key if it is still the one read (a
// concurrent destruction wins).
func (t *Tx) DataKeyRewrap(ctx context.Context, owner string, old []byte, master uint32, wrapped []byte) error {
	_, err := t.exec(ctx, "DataKeyRewrap", int64(master), wrapped, owner, old)
	return err
}

// API keys.

// APIKey is an application's credential, bound to a role of the policy.
type APIKey struct {
	ID         string
	SecretHash []byte
	Role       string
	Label      string
	CreatedAt  time.Time
	RevokedAt  *time.Time
	LastUsedAt *time.Time
}

// APIKeyInsert stores a new API key.
func (t *Tx) APIKeyInsert(ctx context.Context, k *APIKey) error {
	_, err := t.exec(ctx, "APIKeyInsert", k.ID, k.SecretHash, k.Role, k.Label, micros(k.CreatedAt))
	return err
}

// APIKeyRevoke revokes a key; ErrNotFound if unknown or already revoked.
func (t *Tx) APIKeyRevoke(ctx context.Context, id string, at time.Time) error {
	if err := t.execOne(ctx, "APIKeyRevoke", micros(at), id); err != nil {
		return err
	}
	return t.RevocationBump(ctx)
}

// APIKeyTouch records a key's last use.
func (t *Tx) APIKeyTouch(ctx context.Context, id string, at time.Time) error {
	_, err := t.exec(ctx, "APIKeyTouch", micros(at), id)
	return err
}

func scanAPIKey(sc interface{ Scan(...any) error }) (*APIKey, error) {
	var k APIKey
	var created int64
	var revoked, used sql.NullInt64
	if err := sc.Scan(&k.ID, &k.SecretHash, &k.Role, &k.Label, &created, &revoked, &used); err != nil {
		return nil, err
	}
	k.CreatedAt, k.RevokedAt, k.LastUsedAt = fromMicros(created), nullMicros(revoked), nullMicros(used)
	return &k, nil
}

// APIKeyGet returns an API key, or ErrNotFound.
func (q q) APIKeyGet(ctx context.Context, id string) (*APIKey, error) {
	k, err := scanAPIKey(q.db.QueryRowContext(ctx, q.s.sql("APIKeyGet"), id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("store: APIKeyGet: %w", err)
	}
	return k, nil
}

// APIKeyList returns every API key, oldest first.
func (q q) APIKeyList(ctx context.Context) ([]*APIKey, error) {
	rows, err := q.db.QueryContext(ctx, q.s.sql("APIKeyList"))
	if err != nil {
		return nil, fmt.Errorf("store: APIKeyList: %w", err)
	}
	defer rows.Close()
	var out []*APIKey
	for rows.Next() {
		k, err := scanAPIKey(rows)
		if err != nil {
			return nil, fmt.Errorf("store: APIKeyList: %w", err)
		}
		out = append(out, k)
	}
	return out, rows.Err()
}

// Journal.

// JournalAppend adds an entry at the end of the journal: it gets the next
// sequence number, the transaction's time if unset, and its chained hash.
func (t *Tx) JournalAppend(ctx context.Context, e *journal.Entry) error {
	prev := t.head.Hash
	if t.head.Size == 0 {
		prev = journal.Genesis
	}
	e.Seq = t.head.Size + 1
	if e.At.IsZero() {
		e.At = t.s.now()
	}
	e.At = fromMicros(micros(e.At))
	e.Hash = journal.Chain(prev, e)
	if _, err := t.exec(ctx, "JournalInsert", e.Seq, micros(e.At), e.Actor, e.Action, e.Purpose, e.Subject, e.Record, e.Outcome, e.Detail, e.Hash); err != nil {
		return err
	}
	t.head.Size, t.head.Hash = e.Seq, e.Hash
	if e.Seq%journal.CheckpointEvery == 0 {
		t.crossed = append(t.crossed, journal.Head{Size: e.Seq, Hash: e.Hash})
	}
	return nil
}

// JournalHead returns the signed head, or ErrNotFound for an empty journal.
func (q q) JournalHead(ctx context.Context) (journal.Head, error) {
	var h journal.Head
	var at int64
	if err := q.row(ctx, "JournalHeadGet", nil, &h.Size, &h.Hash, &at, &h.Signature); err != nil {
		return journal.Head{}, err
	}
	h.At = fromMicros(at)
	return h, nil
}

// Checkpoints returns the signed checkpoints, oldest first.
func (q q) Checkpoints(ctx context.Context) ([]journal.Head, error) {
	rows, err := q.db.QueryContext(ctx, q.s.sql("CheckpointList"))
	if err != nil {
		return nil, fmt.Errorf("store: CheckpointList: %w", err)
	}
	defer rows.Close()
	var out []journal.Head
	for rows.Next() {
		var h journal.Head
		var at int64
		if err := rows.Scan(&h.Size, &h.Hash, &at, &h.Signature); err != nil {
			return nil, fmt.Errorf("store: CheckpointList: %w", err)
		}
		h.At = fromMicros(at)
		out = append(out, h)
	}
	return out, rows.Err()
}

// JournalRange returns up to limit entries after seq, in order.
func (q q) JournalRange(ctx context.Context, after int64, limit int) ([]*journal.Entry, error) {
	rows, err := q.db.QueryContext(ctx, q.s.sql("JournalRange"), after, limit)
	if err != nil {
		return nil, fmt.Errorf("store: JournalRange: %w", err)
	}
	defer rows.Close()
	var out []*journal.Entry
	for rows.Next() {
		var e journal.Entry
		var at int64
		if err := rows.Scan(&e.Seq, &at, &e.Actor, &e.Action, &e.Purpose, &e.Subject, &e.Record, &e.Outcome, &e.Detail, &e.Hash); err != nil {
			return nil, fmt.Errorf("store: JournalRange: %w", err)
		}
		e.At = fromMicros(at)
		out = append(out, &e)
	}
	return out, rows.Err()
}

// JournalAll iterates over the whole journal in order, a page at a time.
func (q q) JournalAll(ctx context.Context) iter.Seq2[*journal.Entry, error] {
	return func(yield func(*journal.Entry, error) bool) {
		var after int64
		for {
			page, err := q.JournalRange(ctx, after, 5000)
			if err != nil {
				yield(nil, err)
				return
			}
			for _, e := range page {
				if !yield(e, nil) {
					return
				}
			}
			if len(page) < 5000 {
				return
			}
			after = page[len(page)-1].Seq
		}
	}
}

// Version is an earlier version of a record, encrypted as it was.
type Version struct {
	Version    int64
	FieldNames string
	Fields     []byte
	ReplacedAt time.Time
	ReplacedBy string
}

// VersionInsert keeps a record's current fields as its next version,
// before they are replaced.
func (t *Tx) VersionInsert(ctx context.Context, r *Record, at time.Time, by string) error {
	_, err := t.exec(ctx, "VersionInsert", r.ID, r.ID, r.FieldNames, r.Fields, micros(at), by)
	return err
}

// Versions returns a record's earlier versions, oldest first.
func (t *Tx) Versions(ctx context.Context, record string) ([]Version, error) {
	rows, err := t.db.QueryContext(ctx, t.s.sql("VersionList"), record)
	if err != nil {
		return nil, fmt.Errorf("store: VersionList: %w", err)
	}
	defer rows.Close()
	var out []Version
	for rows.Next() {
		var v Version
		var at int64
		if err := rows.Scan(&v.Version, &v.FieldNames, &v.Fields, &at, &v.ReplacedBy); err != nil {
			return nil, fmt.Errorf("store: VersionList: %w", err)
		}
		v.ReplacedAt = fromMicros(at)
		out = append(out, v)
	}
	return out, rows.Err()
}

// Gauges are counts for monitoring.
type Gauges struct {
	Subjects, Records, Journal, RequestsOpen, RequestsOverdue, IncidentsOpen, QueuedForDestruction int64
	LastAct                                                                                        time.Time

	// RequestsDueSoon counts open requests whose deadline falls within
	// DueSoon from now (not yet overdue).
	RequestsDueSoon int64
	// Checkpoint is the size of the last signed checkpoint, and
	// CheckpointAt when it was made; HeadAt is when the journal's head was
	// last signed. A head that stops moving while requests are served means
	// the journal is stuck.
	Checkpoint           int64
	CheckpointAt, HeadAt time.Time
}

// DueSoon is the horizon of Gauges.RequestsDueSoon: three days, enough to
// answer a request whose deadline comes after a weekend.
const DueSoon = 72 * time.Hour

// Gauges counts what monitoring shows.
func (q q) Gauges(ctx context.Context, now time.Time) (Gauges, error) {
	var g Gauges
	var last int64
	err := q.row(ctx, "Gauges", []any{micros(now)}, &g.Subjects, &g.Records, &g.Journal, &g.RequestsOpen, &g.RequestsOverdue, &g.IncidentsOpen, &g.QueuedForDestruction, &last)
	if last > 0 {
		g.LastAct = fromMicros(last)
	}
	if err != nil {
		return g, err
	}
	var cpAt, headAt int64
	err = q.row(ctx, "GaugesOps", []any{micros(now), micros(now.Add(DueSoon))}, &g.Checkpoint, &cpAt, &headAt, &g.RequestsDueSoon)
	if cpAt > 0 {
		g.CheckpointAt = fromMicros(cpAt)
	}
	if headAt > 0 {
		g.HeadAt = fromMicros(headAt)
	}
	return g, err
}
