package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/derbes/derbes/journal"
)

// Write runs fn in a write transaction shared with other concurrent writes
// (group commit) and returns once that transaction has committed: a nil
// error means fn's changes and journal entries are durable. If fn returns an
// error, its changes are rolled back and the error returned; the other
// writes of the batch are unaffected.
//
// fn must not keep tx after it returns, and must be quick: the whole batch
// waits for it. Encrypt before, decrypt after.
func (s *Store) Write(ctx context.Context, fn func(tx *Tx) error) error {
	o := &op{ctx: ctx, fn: fn, done: make(chan error, 1)}
	select {
	case <-s.quit:
		return ErrClosed
	case s.queue <- o:
	case <-ctx.Done():
		return ctx.Err()
	}
	// Once queued the write will run (or fail) without regard to ctx: a
	// client that goes away must not leave an action without its journal
	// entry.
	return <-o.done
}

func (s *Store) loop() {
	defer close(s.done)
	for {
		var first *op
		select {
		case first = <-s.queue:
		case <-s.quit:
			// Finish what is queued, then stop.
			for {
				select {
				case o := <-s.queue:
					s.run([]*op{o})
				default:
					return
				}
			}
		}
		batch := []*op{first}
	fill:
		for len(batch) < s.max {
			select {
			case o := <-s.queue:
				batch = append(batch, o)
			default:
				break fill
			}
		}
		s.run(batch)
	}
}

// Stats counts the store's group commits since it was opened.
type Stats struct {
	// Commits is the number of batches run; Writes the calls to Write they
	// held.
	Commits, Writes int64
	// Busy is the time the writer spent running batches, commits included:
	// Busy divided by the elapsed time is how loaded the single writer is.
	Busy time.Duration
}

// Stats returns the counts of group commits so far.
func (s *Store) Stats() Stats {
	return Stats{Commits: s.commits.Load(), Writes: s.writes.Load(), Busy: time.Duration(s.busy.Load())}
}

// run commits one batch and tells each op its outcome.
func (s *Store) run(batch []*op) {
	s.commits.Add(1)
	s.writes.Add(int64(len(batch)))
	errs := make([]error, len(batch))
	start := time.Now()
	err := s.runBatch(batch, errs)
	s.busy.Add(int64(time.Since(start)))
	for i, o := range batch {
		if err != nil && errs[i] == nil {
			errs[i] = err
		}
		o.done <- errs[i]
	}
}

func (s *Store) runBatch(batch []*op, errs []error) (err error) {
	ctx := context.Background()
	tx, c, err := s.d.begin(ctx)
	if err != nil {
		return fmt.Errorf("store: begin: %w", err)
	}
	defer c.end() // after the rollback below
	defer func() {
		if err != nil {
			tx.Rollback()
		}
	}()
	if err := s.d.lockJournal(ctx, tx); err != nil {
		return fmt.Errorf("store: lock journal: %w", err)
	}
	w := &batchWriter{c: c, deferrable: s.deferrable, isolate: len(batch) > 1}
	if s.keyRoles != nil {
		w.keys, w.keyRoles = s.d.keys(), s.keyRoles
	}
	t := &Tx{q: q{s: s, db: w}, tx: tx}
	if t.head, err = t.JournalHead(ctx); err != nil && !errors.Is(err, ErrNotFound) {
		return err
	}
	start := t.head.Size
	ran := 0
	for i, o := range batch {
		if e := o.ctx.Err(); e != nil {
			errs[i] = e
			continue
		}
		if !w.isolate {
			if errs[i] = o.fn(t); errs[i] != nil {
				return errs[i]
			}
			ran++
			continue
		}
		head, crossed := t.head, len(t.crossed)
		w.startWrite()
		if errs[i] = o.fn(t); errs[i] != nil {
			if err := w.undoWrite(ctx); err != nil {
				return fmt.Errorf("store: rollback to savepoint: %w", err)
			}
			t.head, t.crossed = head, t.crossed[:crossed]
		} else {
			ran++
		}
		if w.failed != nil {
			return w.failed
		}
	}
	if ran == 0 {
		return tx.Rollback()
	}
	if t.head.Size != start {
		if err := s.sealHead(ctx, t); err != nil {
			return err
		}
	}
	if err := w.flush(ctx); err != nil {
		return err
	}
	// Where the key store commits apart (keySide): new keys before the
	// data that needs them, shredding and re-wrapping after the data that
	// records it.
	if len(w.births) > 0 {
		if err := w.keys.commit(ctx, w.births); err != nil {
			return fmt.Errorf("store: commit of new data keys: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		s.forgetBirths(ctx, w.births)
		return fmt.Errorf("store: commit: %w", err)
	}
	if deaths := append(s.lateDeaths, w.deaths...); len(deaths) > 0 {
		s.lateDeaths = nil
		if err := w.keys.commit(ctx, deaths); err != nil {
			// The data are committed: the shredding is owed, not undone.
			// The next batch that commits tries again; an open after a
			// crash finishes it from the data (finishShredding).
			s.lateDeaths = deaths
			slog.Error("store: shredding or re-wrapping data keys after a commit failed; it is tried again with the next write", slog.Int("statements", len(deaths)), slog.String("error", err.Error()))
		}
	}
	return nil
}

// forgetBirths deletes the data keys a batch committed before its data
// failed to commit: they would open nothing. At worst (a crash before
// this) they stay, wrapping keys of nothing, which is harmless.
func (s *Store) forgetBirths(ctx context.Context, births []stmt) {
	var del []stmt
	for _, b := range births {
		if b.query == s.sql("DataKeyInsert") {
			del = append(del, stmt{s.sql("DataKeyDelete"), b.args[:1]})
		}
	}
	if len(del) > 0 {
		if err := s.d.keys().commit(ctx, del); err != nil {
			slog.Warn("store: data keys of a batch that failed to commit are left behind (they open nothing)", slog.Int("keys", len(del)), slog.String("error", err.Error()))
		}
	}
}

// sealHead signs the new head of the journal and keeps a checkpoint for
// every multiple of journal.CheckpointEvery the batch crossed.
func (s *Store) sealHead(ctx context.Context, t *Tx) error {
	if s.signer == nil {
		return errors.New("store: no journal signing key")
	}
	h := journal.Head{Size: t.head.Size, Hash: t.head.Hash, At: s.now().UTC()}
	h.Sign(s.signer)
	if _, err := t.db.ExecContext(ctx, s.sql("JournalHeadPut"), h.Size, h.Hash, micros(h.At), h.Signature); err != nil {
		return fmt.Errorf("store: journal head: %w", err)
	}
	for _, c := range t.crossed {
		c.At = h.At
		c.Sign(s.signer)
		if _, err := t.db.ExecContext(ctx, s.sql("CheckpointInsert"), c.Size, c.Hash, micros(c.At), c.Signature); err != nil {
			return fmt.Errorf("store: checkpoint: %w", err)
		}
	}
	return nil
}

// wconn is where a dialect runs the statements of a batch, inside its
// transaction.
type wconn interface {
	querier
	// pipeline runs stmts in order, in one round trip where the database
	// allows it, and stops at the first that fails. It returns the result
	// of the last statement, and the index of the one that failed.
	pipeline(ctx context.Context, stmts []stmt) (sql.Result, int, error)
	// end releases what the batch held, once its transaction has ended.
	end()
}

// stmt is a statement and its arguments.
type stmt struct {
	query string
	args  []any
}

// keySide is a key store that commits apart from the data: the embedded
// store's keys.db. In WAL mode SQLite commits a transaction over two
// attached files one file at a time, so a crash between the two could keep
// a subject and its journal entry without the data key that opens it (a
// create half done, never acknowledged, that nobody could read or make
// again) or the reverse. Instead the key store has a connection of its
// own, and a batch commits its new keys first, then its data, then the
// shredding and re-wrapping of keys: a crash between leaves at worst a key
// that opens nothing, or the shredding of data already recorded destroyed,
// which the next open finishes.
type keySide interface {
	querier // reads of keys, each in a transaction of its own
	// commit runs stmts in one transaction of the key store.
	commit(ctx context.Context, stmts []stmt) error
}

// keyRole is what a statement does on a key store that commits apart.
type keyRole int

const (
	keyNone  keyRole = iota
	keyRead          // runs at once on the key store
	keyBirth         // a new key: committed before the batch's data
	keyDeath         // shredding or re-wrapping: committed after them
)

// keyStatements are the statements on the key store, by name.
var keyStatements = map[string]keyRole{
	"MasterList":     keyRead,
	"DataKeyGet":     keyRead,
	"DataKeysBelow":  keyRead,
	"MasterInsert":   keyBirth,
	"DataKeyInsert":  keyBirth,
	"DataKeyDelete":  keyDeath,
	"DataKeysDelete": keyDeath,
	"DataKeyRewrap":  keyDeath,
}

// The savepoint that isolates each write of a batch of several.
const (
	savepointSet      = "SAVEPOINT w"
	savepointRelease  = "RELEASE SAVEPOINT w"
	savepointRollback = "ROLLBACK TO SAVEPOINT w"
)

// batchWriter is what the writes of one batch run their statements on.
//
// Each write of a batch of several must be undone alone if it fails:
// before its first statement that changes anything, savepoint w is set
// (released and set again after an earlier write that changed something),
// and a failing write rolls back to it. ROLLBACK TO keeps w, so the next
// write needs no new one; COMMIT releases the last. A write that changes
// nothing (reads and journal entries) needs no savepoint at all.
//
// The journal's statements (entries, the signed head, checkpoints) are
// only written, never read back, by the writes, and nothing depends on
// their outcome but the commit: they are kept until a statement needs them
// to have run, and then sent in order, together with that statement where
// the database allows (one round trip on PostgreSQL). A failing write's
// entries are dropped with it. What is left is sent before the commit; if
// any of it fails, the whole batch fails and nothing is committed.
//
// Statements run without the cancellation of the write's context: once a
// write has started it runs to its end, so that a client that goes away
// can neither leave an action without its journal entry nor interrupt the
// batch's transaction (SQLite rolls back the whole transaction when a
// write statement is interrupted; PostgreSQL aborts it on a cancelled
// statement).
type batchWriter struct {
	c          wconn
	deferrable map[string]bool
	isolate    bool // a batch of several: each write in its own savepoint

	// pending are the deferred statements; pending[:mark] belong to the
	// writes before the current one.
	pending []stmt
	mark    int
	// sp says whether savepoint w is set: spNone, spClean (nothing since
	// it was set or rolled back to) or spDirty.
	sp int
	// own says the current write has set savepoint w (and everything of
	// earlier writes has been sent before it).
	own bool
	// failed is a failure of a statement the writer sent of its own accord
	// (a deferred one, a savepoint): the batch fails.
	failed error

	// keys, where set, is a key store that commits apart (keySide);
	// keyRoles says which statements go there. births and deaths are the
	// batch's key statements by role; [:bmark] and [:dmark] belong to the
	// writes before the current one.
	keys         keySide
	keyRoles     map[string]keyRole
	births       []stmt
	deaths       []stmt
	bmark, dmark int
}

const (
	spNone = iota
	spClean
	spDirty
)

// startWrite begins the next write of the batch.
func (w *batchWriter) startWrite() {
	w.mark, w.own = len(w.pending), false
	w.bmark, w.dmark = len(w.births), len(w.deaths)
}

// undoWrite undoes the current write, which failed.
func (w *batchWriter) undoWrite(ctx context.Context) error {
	w.pending = w.pending[:w.mark]
	w.births, w.deaths = w.births[:w.bmark], w.deaths[:w.dmark]
	if !w.own {
		return nil // it changed nothing but what was still pending
	}
	w.own = false
	w.sp = spClean
	_, err := w.c.ExecContext(ctx, savepointRollback)
	return err
}

// changing sends what must precede statements that change data: in a
// batch of several, the savepoint of the current write (with, before it,
// what earlier writes left pending), and then own, all in one pipeline. A
// failure of one of own is the write's; of what precedes them, the
// batch's.
func (w *batchWriter) changing(ctx context.Context, own ...stmt) (sql.Result, error) {
	var stmts []stmt
	if w.isolate && !w.own {
		if w.mark > 0 && w.sp == spClean {
			// Earlier writes' statements go after the savepoint: it must
			// be set again after them.
			w.sp = spDirty
		}
		stmts = append(stmts, w.pending[:w.mark]...)
		w.pending = append(w.pending[:0], w.pending[w.mark:]...)
		w.mark = 0
		switch w.sp {
		case spNone:
			stmts = append(stmts, stmt{query: savepointSet})
		case spDirty:
			stmts = append(stmts, stmt{query: savepointRelease}, stmt{query: savepointSet})
		}
		w.sp, w.own = spDirty, true
	}
	if len(own) == 0 && len(stmts) == 0 {
		return nil, nil
	}
	prefix := len(stmts)
	stmts = append(stmts, own...)
	res, bad, err := w.c.pipeline(ctx, stmts)
	if err != nil && bad < prefix {
		w.failed = fmt.Errorf("store: journal or savepoint: %w", err)
	}
	return res, err
}

// sync sends every pending statement: a statement about to read or write
// the journal's tables must see them.
func (w *batchWriter) sync(ctx context.Context) error {
	if len(w.pending) == 0 {
		return nil
	}
	if len(w.pending) > w.mark {
		// The current write's own entries: they must be undone with it.
		if _, err := w.changing(ctx); err != nil {
			return err
		}
	}
	return w.flush(ctx)
}

// flush sends the pending statements. A failure fails the batch.
func (w *batchWriter) flush(ctx context.Context) error {
	if w.failed != nil {
		return w.failed
	}
	if len(w.pending) == 0 {
		return nil
	}
	_, _, err := w.c.pipeline(ctx, w.pending)
	w.pending, w.mark = w.pending[:0], 0
	if err != nil {
		w.failed = fmt.Errorf("store: journal: %w", err)
	}
	if !w.own && w.sp == spClean {
		// What was sent went after the savepoint: it must be set again
		// before the next write changes anything.
		w.sp = spDirty
	}
	return w.failed
}

// journaled reports whether query touches the journal's tables.
func journaled(query string) bool {
	return strings.Contains(query, "journal") || strings.Contains(query, "checkpoints")
}

// reading reports whether query only reads.
func reading(query string) bool {
	return len(query) >= 6 && strings.EqualFold(query[:6], "SELECT")
}

func (w *batchWriter) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	ctx = context.WithoutCancel(ctx)
	switch w.keyRoles[query] {
	case keyBirth:
		w.births = append(w.births, stmt{query, args})
		return deferred{}, nil
	case keyDeath:
		w.deaths = append(w.deaths, stmt{query, args})
		return deferred{}, nil
	case keyRead:
		return w.keys.ExecContext(ctx, query, args...)
	}
	if w.deferrable[query] {
		w.pending = append(w.pending, stmt{query, args})
		return deferred{}, nil
	}
	if journaled(query) {
		if err := w.sync(ctx); err != nil {
			return nil, err
		}
	}
	return w.changing(ctx, stmt{query, args})
}

// execAll runs statements whose results nobody reads, as ExecContext
// would one by one, but in one pipeline (one round trip on PostgreSQL)
// where none of them is deferred or for the key store.
func (w *batchWriter) execAll(ctx context.Context, stmts []stmt) error {
	ctx = context.WithoutCancel(ctx)
	for _, st := range stmts {
		if w.deferrable[st.query] || w.keyRoles[st.query] != keyNone || journaled(st.query) {
			for _, st := range stmts {
				if _, err := w.ExecContext(ctx, st.query, st.args...); err != nil {
					return err
				}
			}
			return nil
		}
	}
	_, err := w.changing(ctx, stmts...)
	return err
}

func (w *batchWriter) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	ctx = context.WithoutCancel(ctx)
	if w.keyRoles[query] == keyRead {
		return w.keys.QueryContext(ctx, query, args...)
	}
	if err := w.before(ctx, query); err != nil {
		return nil, err
	}
	return w.c.QueryContext(ctx, query, args...)
}

func (w *batchWriter) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	ctx = context.WithoutCancel(ctx)
	if w.keyRoles[query] == keyRead {
		return w.keys.QueryRowContext(ctx, query, args...)
	}
	// A *sql.Row cannot carry an error of what must run before; the
	// writer keeps it (failed), and the batch fails.
	w.before(ctx, query)
	return w.c.QueryRowContext(ctx, query, args...)
}

// before sends what must run before a query.
func (w *batchWriter) before(ctx context.Context, query string) error {
	if journaled(query) {
		if err := w.sync(ctx); err != nil {
			return err
		}
	}
	if !reading(query) {
		_, err := w.changing(ctx)
		return err
	}
	return nil
}

// deferred is the result of a deferred statement: each changes one row,
// or fails the batch.
type deferred struct{}

func (deferred) LastInsertId() (int64, error) { return 0, errors.New("store: no insert id") }
func (deferred) RowsAffected() (int64, error) { return 1, nil }

// querier is what *sql.DB and *sql.Tx share.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// stmtCache runs the store's queries on one connection as statements
// prepared once for the connection's life, instead of parsing the SQL text
// at every call: on the embedded store, parsing was a fifth of the writer's
// time. Only the texts in known are prepared (the named queries and the
// savepoint statements), so the cache cannot grow without bound; any other
// text runs unprepared. It is used by the single writer goroutine, but
// locks anyway: a Tx handed to a write's function must stay safe.
type stmtCache struct {
	conn  preparer
	mu    sync.Mutex
	known map[string]bool
	stmts map[string]*sql.Stmt
}

// preparer is a connection, or a pool: a statement prepared on a pool
// prepares itself on each of its connections once, as it runs there.
type preparer interface {
	querier
	PrepareContext(ctx context.Context, query string) (*sql.Stmt, error)
}

func newStmtCache(conn preparer) *stmtCache {
	return &stmtCache{conn: conn, known: map[string]bool{}, stmts: map[string]*sql.Stmt{}}
}

// allow makes the texts preparable.
func (c *stmtCache) allow(texts ...string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, t := range texts {
		c.known[t] = true
	}
}

// stmt returns the prepared statement of query, or nil to run it
// unprepared (an unknown text, or one that does not prepare: running it
// reports the error).
func (c *stmtCache) stmt(ctx context.Context, query string) *sql.Stmt {
	c.mu.Lock()
	defer c.mu.Unlock()
	if st, ok := c.stmts[query]; ok {
		return st
	}
	if !c.known[query] {
		return nil
	}
	st, err := c.conn.PrepareContext(ctx, query)
	if err != nil {
		return nil
	}
	c.stmts[query] = st
	return st
}

func (c *stmtCache) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if st := c.stmt(ctx, query); st != nil {
		return st.ExecContext(ctx, args...)
	}
	return c.conn.ExecContext(ctx, query, args...)
}

func (c *stmtCache) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if st := c.stmt(ctx, query); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return c.conn.QueryContext(ctx, query, args...)
}

func (c *stmtCache) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if st := c.stmt(ctx, query); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return c.conn.QueryRowContext(ctx, query, args...)
}

// close closes the prepared statements.
func (c *stmtCache) close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	var errs []error
	for q, st := range c.stmts {
		errs = append(errs, st.Close())
		delete(c.stmts, q)
	}
	return errors.Join(errs...)
}
