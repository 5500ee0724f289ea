package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"

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

// run commits one batch and tells each op its outcome.
func (s *Store) run(batch []*op) {
	errs := make([]error, len(batch))
	err := s.runBatch(batch, errs)
	for i, o := range batch {
		if err != nil && errs[i] == nil {
			errs[i] = err
		}
		o.done <- errs[i]
	}
}

func (s *Store) runBatch(batch []*op, errs []error) (err error) {
	ctx := context.Background()
	tx, err := s.d.begin(ctx)
	if err != nil {
		return fmt.Errorf("store: begin: %w", err)
	}
	defer func() {
		if err != nil {
			tx.Rollback()
		}
	}()
	if err := s.d.lockJournal(ctx, tx); err != nil {
		return fmt.Errorf("store: lock journal: %w", err)
	}
	w := s.d.writer(tx)
	t := &Tx{q: q{s: s, db: w}, tx: tx}
	if t.head, err = t.JournalHead(ctx); err != nil && !errors.Is(err, ErrNotFound) {
		return err
	}
	start := t.head.Size
	single := len(batch) == 1
	ran := 0
	// Each write of a batch of several runs inside savepoint w, so that a
	// failing write rolls back only its own work. ROLLBACK TO keeps the
	// savepoint, clean, for the next write; after a write that succeeded
	// the savepoint is released and set again (one round trip on
	// PostgreSQL). COMMIT releases the last one.
	const (
		none  = iota // no savepoint yet
		clean        // savepoint w holds nothing since it was set
		dirty        // the last write's work is inside savepoint w
	)
	sp := none
	for i, o := range batch {
		if e := o.ctx.Err(); e != nil {
			errs[i] = e
			continue
		}
		if single {
			if errs[i] = o.fn(t); errs[i] != nil {
				return errs[i]
			}
			ran++
			continue
		}
		switch sp {
		case none:
			err = s.d.savepoint(ctx, w)
		case dirty:
			err = s.d.resavepoint(ctx, w)
		}
		if err != nil {
			return fmt.Errorf("store: savepoint: %w", err)
		}
		sp = dirty
		head, crossed := t.head, len(t.crossed)
		if errs[i] = o.fn(t); errs[i] != nil {
			if err := s.d.rollbackSavepoint(ctx, w); err != nil {
				return fmt.Errorf("store: rollback to savepoint: %w", err)
			}
			t.head, t.crossed = head, t.crossed[:crossed]
			sp = clean
		} else {
			ran++
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
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: commit: %w", err)
	}
	return nil
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
	conn  *sql.Conn
	mu    sync.Mutex
	known map[string]bool
	stmts map[string]*sql.Stmt
}

func newStmtCache(conn *sql.Conn) *stmtCache {
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
