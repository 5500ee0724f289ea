package vault

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/derbes/derbes/journal"
	"github.com/derbes/derbes/store"
)

// Journal actions of a rotation of the blind-index key. The names are part
// of the exported journal format.
const (
	actionIndexStart   = "keys.index.start"
	actionIndexBatch   = "keys.index.reindex"
	actionIndexFinish  = "keys.index.finish"
	reindexBatch       = 500
	defaultIndexGrace  = 3 * time.Second
	minimumIndexGrace  = 2 * time.Second
	reindexPassesLimit = 100
)

// IndexRotation says how to rotate the blind-index key.
type IndexRotation struct {
	// Save writes the keyring where every node reads it. It is called
	// when the rotation begins and when it ends.
	Save func() error
	// Grace is how long to wait, after each save of the keyring, for
	// every node to read it (nodes re-read it at most once a second): once
	// before new subjects are indexed under the new key, once before
	// re-indexing. Default 3 s; never less than 2 s.
	Grace time.Duration
	// Progress, if set, is called after each batch with the number of
	// subjects re-indexed so far.
	Progress func(done int)
}

// RotateIndex replaces the blind-index key while the vault serves: it adds
// a new index key that lookups try, then makes it current (lookups then try
// it and the retiring one), re-indexes every subject's identifiers under it
// in batches, each in one transaction with its journal entry, and once no
// index under the retiring key is left, drops that key. The start and the
// finish are journaled. Run again after an interruption, it resumes: the
// keyring still holds the second key, and only indexes older than the
// current key are re-indexed. It returns how many subjects were re-indexed.
func (v *Vault) RotateIndex(ctx context.Context, a Actor, o IndexRotation) (int, error) {
	if o.Save == nil {
		return 0, errors.New("vault: an index rotation needs somewhere to save the keyring")
	}
	grace := o.Grace
	if grace == 0 {
		grace = defaultIndexGrace
	}
	grace = max(grace, minimumIndexGrace)
	from, to, resumed := v.ring.BeginIndexRotation()
	if !resumed {
		if err := o.Save(); err != nil {
			return 0, err
		}
	}
	if err := v.store.Write(ctx, func(tx *store.Tx) error {
		return tx.JournalAppend(ctx, &journal.Entry{Actor: a.ID, Action: actionIndexStart, Outcome: journal.OK,
			Detail: detail(map[string]any{"from_version": from, "to_version": to, "resumed": resumed})})
	}); err != nil {
		return 0, err
	}
	// Two steps, each after every node has read the keyring: first all
	// lookups learn the new key (incoming), then new subjects are indexed
	// under it (switch). Switching at once, a node still on the old
	// keyring would miss whoever another node had just indexed under the
	// new key.
	if err := sleep(ctx, grace); err != nil {
		return 0, err
	}
	if v.ring.SwitchIndexKey() {
		if err := o.Save(); err != nil {
			return 0, err
		}
		if err := sleep(ctx, grace); err != nil {
			return 0, err
		}
	}
	done := 0
	for pass := 0; ; pass++ {
		n, err := v.reindexPass(ctx, a, to, func(batch int) {
			done += batch
			if o.Progress != nil {
				o.Progress(done)
			}
		})
		if err != nil {
			return done, err
		}
		var left int64
		if err := v.store.Read(ctx, func(r *store.Reader) error {
			var err error
			left, err = r.IdentifiersCountBelow(ctx, to)
			return err
		}); err != nil {
			return done, err
		}
		if left == 0 {
			break
		}
		if n == 0 || pass == reindexPassesLimit {
			// Indexes under an old key that a pass cannot re-index: a
			// subject whose data key does not open, say. Keep the
			// retiring key, so that they are still found.
			return done, fmt.Errorf("vault: %d blind indexes are still under an old index key after %d passes; the retiring key is kept", left, pass+1)
		}
	}
	v.ring.FinishIndexRotation()
	if err := o.Save(); err != nil {
		return done, err
	}
	err := v.store.Write(ctx, func(tx *store.Tx) error {
		return tx.JournalAppend(ctx, &journal.Entry{Actor: a.ID, Action: actionIndexFinish, Outcome: journal.OK,
			Detail: detail(map[string]any{"from_version": from, "to_version": to, "reindexed": done})})
	})
	return done, err
}

// reindexPass re-indexes, in subject id order, every subject with an
// index older than version, and returns how many.
func (v *Vault) reindexPass(ctx context.Context, a Actor, version uint32, progress func(batch int)) (int, error) {
	after, total := "", 0
	for {
		var ids []string
		err := v.store.Write(ctx, func(tx *store.Tx) error {
			var err error
			if ids, err = tx.IdentifiersBelow(ctx, version, after, reindexBatch); err != nil || len(ids) == 0 {
				return err
			}
			for _, id := range ids {
				if err := v.reindexSubject(ctx, tx, id, version); err != nil {
					return err
				}
			}
			return tx.JournalAppend(ctx, &journal.Entry{Actor: a.ID, Action: actionIndexBatch, Outcome: journal.OK,
				Detail: detail(map[string]any{"to_version": version, "subjects": len(ids)})})
		})
		if err != nil {
			return total, err
		}
		if len(ids) == 0 {
			return total, nil
		}
		total += len(ids)
		progress(len(ids))
		after = ids[len(ids)-1]
	}
}

// reindexSubject opens a subject's identifiers and indexes them under the
// index key of version.
func (v *Vault) reindexSubject(ctx context.Context, tx *store.Tx, id string, version uint32) error {
	sub, err := tx.SubjectGet(ctx, id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && sub.State == store.Destroyed) {
		return nil // destroyed meanwhile: its indexes went with it
	}
	if err != nil {
		return err
	}
	wrapped, err := tx.DataKeyGet(ctx, id)
	if err != nil {
		return fmt.Errorf("vault: re-indexing %s: %w", id, err)
	}
	dk, err := v.ring.Unwrap(id, wrapped)
	if err != nil {
		return fmt.Errorf("vault: re-indexing %s: %w", id, err)
	}
	idents, err := openFields(dk, "identifier", id, sub.Identifiers, func(string) bool { return true })
	if err != nil {
		return fmt.Errorf("vault: re-indexing %s: %w", id, err)
	}
	for kind, val := range idents {
		b, ok := v.ring.IndexWith(version, kind, val)
		if !ok {
			return fmt.Errorf("vault: the keyring no longer holds index key %d (another rotation began?)", version)
		}
		if err := tx.IdentifierReindex(ctx, kind, id, b, version); err != nil {
			return fmt.Errorf("vault: re-indexing %s: %w", id, err)
		}
	}
	return nil
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
