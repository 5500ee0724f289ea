package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

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
	t := &Tx{q: q{s: s, db: tx}, tx: tx}
	if t.head, err = t.JournalHead(ctx); err != nil && !errors.Is(err, ErrNotFound) {
		return err
	}
	start := t.head.Size
	single := len(batch) == 1
	ran := 0
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
		if _, err := tx.ExecContext(ctx, "SAVEPOINT w"); err != nil {
			return fmt.Errorf("store: savepoint: %w", err)
		}
		head, crossed := t.head, len(t.crossed)
		if errs[i] = o.fn(t); errs[i] != nil {
			if _, err := tx.ExecContext(ctx, "ROLLBACK TO SAVEPOINT w"); err != nil {
				return fmt.Errorf("store: rollback to savepoint: %w", err)
			}
			t.head, t.crossed = head, t.crossed[:crossed]
		} else {
			ran++
		}
		if _, err := tx.ExecContext(ctx, "RELEASE SAVEPOINT w"); err != nil {
			return fmt.Errorf("store: release savepoint: %w", err)
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
	if _, err := t.tx.ExecContext(ctx, s.sql("JournalHeadPut"), h.Size, h.Hash, micros(h.At), h.Signature); err != nil {
		return fmt.Errorf("store: journal head: %w", err)
	}
	for _, c := range t.crossed {
		c.At = h.At
		c.Sign(s.signer)
		if _, err := t.tx.ExecContext(ctx, s.sql("CheckpointInsert"), c.Size, c.Hash, micros(c.At), c.Signature); err != nil {
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
