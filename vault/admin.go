package vault

import (
	"context"
	"errors"
	"fmt"

	"github.com/derbes/derbes/journal"
	"github.com/derbes/derbes/policy"
	"github.com/derbes/derbes/store"
)

// Journal returns up to limit journal entries after seq. Journal entries
// hold no personal data, so reading them is not itself journaled; the role
// needs the journal action.
func (v *Vault) Journal(ctx context.Context, a Actor, after int64, limit int) ([]*journal.Entry, error) {
	if _, _, err := v.authorize(ctx, a, policy.CanJournal, "", "", ""); err != nil {
		return nil, err
	}
	var out []*journal.Entry
	err := v.store.Read(ctx, func(r *store.Reader) error {
		var err error
		out, err = r.JournalRange(ctx, after, limit)
		return err
	})
	return out, err
}

// MayReadJournal checks that the actor's role may read the journal; a
// refusal is journaled.
func (v *Vault) MayReadJournal(ctx context.Context, a Actor) error {
	_, _, err := v.authorize(ctx, a, policy.CanJournal, "", "", "")
	return err
}

// VerifyJournal checks the whole journal against the keyring's journal key.
func (v *Vault) VerifyJournal(ctx context.Context) (journal.Result, error) {
	var res journal.Result
	err := v.store.Read(ctx, func(r *store.Reader) error {
		cps, err := r.Checkpoints(ctx)
		if err != nil {
			return err
		}
		var head *journal.Head
		h, err := r.JournalHead(ctx)
		switch {
		case err == nil:
			head = &h
		case !errors.Is(err, store.ErrNotFound):
			return err
		}
		res, err = journal.Verify(r.JournalAll(ctx), cps, head, v.ring.JournalPublicKey())
		return err
	})
	return res, err
}

// Export writes the journal (entries, checkpoints, head) to w in the format
// journal.ReadExport reads.
func (v *Vault) Export(ctx context.Context, w *journal.ExportWriter) error {
	return v.store.Read(ctx, func(r *store.Reader) error {
		cps, err := r.Checkpoints(ctx)
		if err != nil {
			return err
		}
		h, err := r.JournalHead(ctx)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		if err := w.Begin(v.ring.JournalPublicKey()); err != nil {
			return err
		}
		for e, err := range r.JournalAll(ctx) {
			if err != nil {
				return err
			}
			if err := w.Entry(e); err != nil {
				return err
			}
		}
		return w.End(cps, &h)
	})
}

// Journal actions of a master-key rotation besides its batches
// (journal.KeysRotate): a run that re-wraps nothing still shows.
const (
	actionRotateStart  = "keys.rotate.start"
	actionRotateFinish = "keys.rotate.finish"
)

// RotateKeys re-wraps every data key under the keyring's current master key,
// batch by batch, while the vault keeps serving. progress is called after
// each batch with the number re-wrapped so far. It is resumable: run again
// after an interruption and it continues where it stopped. The journal
// shows each run's start, each batch and the finish.
func (v *Vault) RotateKeys(ctx context.Context, a Actor, progress func(done int)) (int, error) {
	cur := v.ring.Current()
	c, err := v.ring.CheckValue(cur)
	if err != nil {
		return 0, err
	}
	if err := v.store.Write(ctx, func(tx *store.Tx) error {
		if err := tx.MasterInsert(ctx, cur, c, v.now()); err != nil {
			return err
		}
		return tx.JournalAppend(ctx, &journal.Entry{Actor: a.ID, Action: actionRotateStart, Outcome: journal.OK,
			Detail: detail(map[string]any{"master_version": cur})})
	}); err != nil {
		return 0, err
	}
	done := 0
	for {
		var batch []store.WrappedKey
		err := v.store.Write(ctx, func(tx *store.Tx) error {
			var err error
			if batch, err = tx.DataKeysBelow(ctx, cur, 500); err != nil {
				return err
			}
			for _, k := range batch {
				dk, err := v.ring.Unwrap(k.Owner, k.Wrapped)
				if err != nil {
					return fmt.Errorf("vault: data key of %s: %w", k.Owner, err)
				}
				w, err := v.ring.Wrap(k.Owner, dk)
				if err != nil {
					return err
				}
				if err := tx.DataKeyRewrap(ctx, k.Owner, k.Wrapped, cur, w); err != nil {
					return err
				}
			}
			if len(batch) == 0 {
				return tx.JournalAppend(ctx, &journal.Entry{Actor: a.ID, Action: actionRotateFinish, Outcome: journal.OK,
					Detail: detail(map[string]any{"master_version": cur, "rewrapped": done})})
			}
			return tx.JournalAppend(ctx, &journal.Entry{Actor: a.ID, Action: journal.KeysRotate, Outcome: journal.OK,
				Detail: detail(map[string]any{"master_version": cur, "rewrapped": len(batch)})})
		})
		if err != nil {
			return done, err
		}
		done += len(batch)
		if progress != nil {
			progress(done)
		}
		if len(batch) == 0 {
			return done, nil
		}
	}
}

// Resume makes the last activated policy the active one again, without a
// new activation: for commands that act under the policy a server serves.
func (v *Vault) Resume(ctx context.Context) (*Active, error) {
	p, err := v.ActivePolicy(ctx)
	if err != nil {
		return nil, err
	}
	var pv *store.PolicyVersion
	err = v.store.Read(ctx, func(r *store.Reader) error {
		pv, err = r.PolicyActive(ctx)
		return err
	})
	if err != nil {
		return nil, err
	}
	a := &Active{Policy: p, Version: pv.Version, SHA256: pv.SHA256}
	v.active.Store(a)
	return a, nil
}

// ActivePolicy reads the last activated policy from the store.
func (v *Vault) ActivePolicy(ctx context.Context) (*policy.Policy, error) {
	var pv *store.PolicyVersion
	err := v.store.Read(ctx, func(r *store.Reader) error {
		var err error
		pv, err = r.PolicyActive(ctx)
		return err
	})
	if errors.Is(err, store.ErrNotFound) {
		return nil, errors.New("vault: no policy was ever activated; run derbes serve --policy FILE first")
	}
	if err != nil {
		return nil, err
	}
	return policy.Parse(fmt.Sprintf("active policy %d", pv.Version), pv.Source)
}

// Gauges returns the counts monitoring shows; no personal data.
func (v *Vault) Gauges(ctx context.Context) (store.Gauges, error) {
	var g store.Gauges
	err := v.store.Read(ctx, func(r *store.Reader) error {
		var err error
		g, err = r.Gauges(ctx, v.now())
		return err
	})
	return g, err
}
