package bench_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/derbes/derbes/journal"
	"github.com/derbes/derbes/store"
	"github.com/derbes/derbes/store/storetest"
)

// The group commit's optimisations (statements prepared once on the
// embedded store; the journal's statements deferred and pipelined;
// savepoints only for writes that change something, set together with
// their first change) must keep its contract: a write that fails leaves
// nothing, not even its journal entries, the others of its batch are
// committed whole, and the journal stays one unbroken, signed chain.
func TestGroupCommitKeepsEachWriteWhole(t *testing.T) {
	t.Parallel()
	for _, d := range storetest.Dialects {
		t.Run(d, func(t *testing.T) {
			t.Parallel()
			env := storetest.Open(t, d)
			s, ctx := env.Store, context.Background()
			errFail := errors.New("this write fails")

			// A key that exists, for the writes that conflict with it.
			if err := s.Write(ctx, func(tx *store.Tx) error {
				return tx.APIKeyInsert(ctx, &store.APIKey{ID: "taken", SecretHash: []byte("x"), Role: "r", Label: "l", CreatedAt: time.Now()})
			}); err != nil {
				t.Fatal(err)
			}

			// One slow write holds the writer, so that the others queue and
			// share batches.
			hold := make(chan struct{})
			var wg sync.WaitGroup
			wg.Add(1)
			go func() {
				defer wg.Done()
				err := s.Write(ctx, func(tx *store.Tx) error {
					<-hold
					return tx.JournalAppend(ctx, &journal.Entry{Actor: "test", Action: "hold", Outcome: journal.OK, Detail: `{"n":-1}`})
				})
				if err != nil {
					t.Error(err)
				}
			}()
			time.Sleep(20 * time.Millisecond)

			const n = 900
			var mu sync.Mutex
			var kept, keys, policies []string
			for i := range n {
				wg.Add(1)
				go func() {
					defer wg.Done()
					detail := fmt.Sprintf(`{"n":%d}`, i)
					key := fmt.Sprintf("key%d", i)
					kind, variant := i%6, i/6%2
					fails := kind == 2 || kind == 3 || kind == 5 || kind == 4 && i/12%2 == 0
					err := s.Write(ctx, func(tx *store.Tx) error {
						if kind == 3 {
							// Its first change conflicts.
							if err := tx.APIKeyInsert(ctx, &store.APIKey{ID: "taken", SecretHash: []byte("x"), Role: "r", Label: "l", CreatedAt: time.Now()}); !errors.Is(err, store.ErrConflict) {
								return fmt.Errorf("write %d: a taken key id gave %v", i, err)
							}
							return errFail
						}
						if kind == 4 && variant == 0 {
							// Reading the journal before appending to it
							// sends what earlier writes left pending.
							if _, err := tx.JournalRange(ctx, 0, 1<<30); err != nil {
								return err
							}
						}
						for k := range 1 + i%3 {
							if err := tx.JournalAppend(ctx, &journal.Entry{Actor: "test", Action: fmt.Sprintf("a%d", k), Outcome: journal.OK, Detail: detail}); err != nil {
								return err
							}
						}
						if (kind == 0 || kind == 5) && variant == 0 {
							// A query that changes data.
							if _, err := tx.PolicyInsert(ctx, &store.PolicyVersion{Label: detail, SHA256: "x", Source: []byte("x"), ActivatedAt: time.Now(), ActivatedBy: "test"}); err != nil {
								return err
							}
						}
						if kind == 1 || kind == 2 || kind == 4 {
							if err := tx.APIKeyInsert(ctx, &store.APIKey{ID: key, SecretHash: []byte("x"), Role: "r", Label: "l", CreatedAt: time.Now()}); err != nil {
								return err
							}
						}
						if kind == 4 {
							// Reading the journal inside a write sees what
							// the batch appended so far.
							h, err := tx.JournalRange(ctx, 0, 1<<30)
							if err != nil {
								return err
							}
							if len(h) == 0 || h[len(h)-1].Detail != detail {
								return fmt.Errorf("write %d does not see its own entries", i)
							}
						}
						if fails {
							return errFail
						}
						return nil
					})
					switch {
					case err == nil && !fails:
						mu.Lock()
						for range 1 + i%3 {
							kept = append(kept, detail)
						}
						if kind == 1 || kind == 4 {
							keys = append(keys, key)
						}
						if kind == 0 && variant == 0 {
							policies = append(policies, detail)
						}
						mu.Unlock()
					case !errors.Is(err, errFail) || !fails:
						t.Errorf("write %d: %v", i, err)
					}
				}()
			}
			time.Sleep(50 * time.Millisecond)
			close(hold)
			wg.Wait()
			if st := s.Stats(); st.Writes <= st.Commits {
				t.Errorf("no write shared a commit: %+v", st)
			}

			var got []string
			err := s.Read(ctx, func(r *store.Reader) error {
				cps, err := r.Checkpoints(ctx)
				if err != nil {
					return err
				}
				h, err := r.JournalHead(ctx)
				if err != nil {
					return err
				}
				res, err := journal.Verify(r.JournalAll(ctx), cps, &h, env.Ring.JournalPublicKey())
				if err != nil {
					return err
				}
				if res.Problem != "" {
					return fmt.Errorf("the journal does not verify: %s (at %d)", res.Problem, res.FirstBad)
				}
				for e, err := range r.JournalAll(ctx) {
					if err != nil {
						return err
					}
					if e.Actor == "test" && e.Action != "hold" {
						got = append(got, e.Detail)
					}
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			slices.Sort(got)
			slices.Sort(kept)
			if !slices.Equal(got, kept) {
				t.Fatalf("the journal holds %d entries of the writes that succeeded, want %d", len(got), len(kept))
			}
			var stored []string
			if err := s.Read(ctx, func(r *store.Reader) error {
				ks, err := r.APIKeyList(ctx)
				for _, k := range ks {
					if k.ID != "taken" {
						stored = append(stored, k.ID)
					}
				}
				return err
			}); err != nil {
				t.Fatal(err)
			}
			var labels []string
			if err := s.Read(ctx, func(r *store.Reader) error {
				ps, err := r.PolicyList(ctx)
				for _, p := range ps {
					labels = append(labels, p.Label)
				}
				return err
			}); err != nil {
				t.Fatal(err)
			}
			slices.Sort(labels)
			slices.Sort(policies)
			if !slices.Equal(labels, policies) {
				t.Fatalf("%d policy versions stored, want the %d of the writes that succeeded", len(labels), len(policies))
			}
			slices.Sort(stored)
			slices.Sort(keys)
			if !slices.Equal(stored, keys) {
				t.Fatalf("%d keys stored, want the %d of the writes that succeeded", len(stored), len(keys))
			}
		})
	}
}
