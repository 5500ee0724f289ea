package vault_test

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/derbes/derbes/store"
)

// A new master key re-wraps every data key while subjects are created and
// read: no request fails, everything is readable afterwards under the new
// key alone, and the journal shows the rotation.
func TestRotatingTheMasterKeyUnderLoadFailsNoRequest(t *testing.T) {
	each(t, func(t *testing.T, b *bundle) {
		ctx := context.Background()
		const before = 1200 // more than two batches of 500
		records := make([]string, before)
		for i := range before {
			_, rid, err := split(b.vault.CreateSubject(ctx, app, phoneSubject(i)))
			if err != nil {
				t.Fatal(err)
			}
			records[i] = rid
		}
		var (
			stop         atomic.Bool
			wg           sync.WaitGroup
			ops, failed  atomic.Int64
			mu           sync.Mutex
			createdAfter []string
		)
		for w := range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := w; !stop.Load(); i += 4 {
					ops.Add(1)
					if w == 0 {
						_, rid, err := split(b.vault.CreateSubject(ctx, app, phoneSubject(before+i)))
						if err != nil {
							failed.Add(1)
							t.Errorf("create during the rotation: %v", err)
							return
						}
						mu.Lock()
						createdAfter = append(createdAfter, rid)
						mu.Unlock()
						continue
					}
					r, err := b.vault.GetRecord(ctx, app, records[i%before], "appeals", nil)
					if err != nil || r.Fields["full_name"] == "" {
						failed.Add(1)
						t.Errorf("read during the rotation: %v", err)
						return
					}
				}
			}()
		}
		for ops.Load() == 0 {
			time.Sleep(time.Millisecond)
		}
		master := b.env.Ring.AddMaster()
		started := ops.Load()
		n, err := b.vault.RotateKeys(ctx, app, nil)
		during := ops.Load() - started
		// Traffic after the finish too, however slow the machine.
		for end := time.Now().Add(10 * time.Second); ops.Load() < started+during+50 && time.Now().Before(end); {
			time.Sleep(10 * time.Millisecond)
		}
		stop.Store(true)
		wg.Wait()
		if err != nil {
			t.Fatal(err)
		}
		if failed.Load() != 0 || during == 0 {
			t.Fatalf("%d of %d requests failed; %d ran during the rotation", failed.Load(), ops.Load(), during)
		}
		if n < 2*before { // each subject's key and its record's
			t.Fatalf("%d data keys re-wrapped, want at least %d", n, 2*before)
		}
		var left []store.WrappedKey
		err = b.env.Store.Write(ctx, func(tx *store.Tx) error {
			left, err = tx.DataKeysBelow(ctx, master, 10)
			return err
		})
		if err != nil || len(left) != 0 {
			t.Fatalf("%d data keys under the old master key (%v)", len(left), err)
		}
		mu.Lock()
		all := append(records, createdAfter...)
		mu.Unlock()
		for _, rid := range all {
			if r, err := b.vault.GetRecord(ctx, app, rid, "appeals", nil); err != nil || r.Fields["full_name"] == "" {
				t.Fatalf("record %s after the rotation: %v", rid, err)
			}
		}
		var actions []string
		for _, e := range journalOf(t, b) {
			if strings.HasPrefix(e.Action, "keys.rotate") {
				actions = append(actions, e.Action)
			}
		}
		if len(actions) < 4 || actions[0] != "keys.rotate.start" || actions[1] != "keys.rotate" || actions[len(actions)-1] != "keys.rotate.finish" {
			t.Fatalf("the journal shows the rotation as %v", actions)
		}
		if res, err := b.vault.VerifyJournal(ctx); err != nil || !res.OK() {
			t.Fatalf("journal: %+v %v", res, err)
		}
		// A second run finds nothing left, and says so in the journal.
		if n, err := b.vault.RotateKeys(ctx, app, nil); err != nil || n != 0 {
			t.Fatalf("a second run re-wrapped %d: %v", n, err)
		}
	})
}
