package vault_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/derbes/derbes/store"
	"github.com/derbes/derbes/vault"
)

// phoneSubject is a subject known by a phone number only.
func phoneSubject(i int) vault.NewSubject {
	ns := newAppeal()
	ns.Identifiers = map[string]string{"phone": fmt.Sprintf("+7702%07d", i), "email": fmt.Sprintf("person%d@example.kz", i)}
	ns.Consent.Fields = []string{"full_name", "phone", "email", "address", "appeal_text"}
	return ns
}

func saver(t *testing.T, b *bundle) func() error {
	path := filepath.Join(t.TempDir(), "keyring.json")
	return func() error { return b.env.Ring.Save(path) }
}

func TestRotatingTheIndexKeyUnderLoadFailsNoRequest(t *testing.T) {
	each(t, func(t *testing.T, b *bundle) {
		ctx := context.Background()
		const before = 300
		ids := make([]string, before)
		for i := range before {
			sid, _, err := split(b.vault.CreateSubject(ctx, app, phoneSubject(i)))
			if err != nil {
				t.Fatal(err)
			}
			ids[i] = sid
		}
		var (
			stop            atomic.Bool
			wg              sync.WaitGroup
			lookups, failed atomic.Int64
			mu              sync.Mutex
			created         = map[int]string{}
			next            atomic.Int64
		)
		next.Store(before)
		for w := range 6 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := w; !stop.Load(); i += 6 {
					if w%2 == 0 { // a create, then its lookup
						n := int(next.Add(1))
						c, err := b.vault.CreateSubject(ctx, app, phoneSubject(n))
						if err != nil {
							failed.Add(1)
							t.Errorf("create during the rotation: %v", err)
							return
						}
						mu.Lock()
						created[n] = c.Subject
						mu.Unlock()
						continue
					}
					k := i % before
					kind, value := "phone", fmt.Sprintf("8 702 %07d", k)
					if i%3 == 0 {
						kind, value = "email", fmt.Sprintf("person%d@example.kz", k)
					}
					got, err := b.vault.Lookup(ctx, app, "appeals", kind, value)
					lookups.Add(1)
					if err != nil || len(got) != 1 || got[0] != ids[k] {
						failed.Add(1)
						t.Errorf("lookup by %s during the rotation: %v %v; want [%s]", kind, got, err, ids[k])
						return
					}
				}
			}()
		}
		n, err := b.vault.RotateIndex(ctx, vault.System, vault.IndexRotation{Save: saver(t, b), Grace: 2 * time.Second})
		time.Sleep(200 * time.Millisecond) // traffic after the finish too
		stop.Store(true)
		wg.Wait()
		if err != nil {
			t.Fatal(err)
		}
		if failed.Load() != 0 || lookups.Load() < 100 {
			t.Fatalf("%d of %d lookups failed", failed.Load(), lookups.Load())
		}
		if n < before {
			t.Fatalf("%d subjects re-indexed, want at least %d", n, before)
		}
		if cur, retiring := b.env.Ring.IndexVersions(); cur != 2 || retiring != 0 {
			t.Fatalf("index keys after the rotation: current %d, retiring %d", cur, retiring)
		}
		var left int64
		b.env.Store.Read(ctx, func(r *store.Reader) error { left, err = r.IdentifiersCountBelow(ctx, 2); return err })
		if left != 0 {
			t.Fatalf("%d indexes under the old key", left)
		}
		// Everyone, old and new, is found under the new key alone.
		mu.Lock()
		defer mu.Unlock()
		for i, sid := range created {
			got, err := b.vault.Lookup(ctx, app, "appeals", "phone", fmt.Sprintf("+7702%07d", i))
			if err != nil || len(got) != 1 || got[0] != sid {
				t.Fatalf("a subject created during the rotation: %v %v", got, err)
			}
		}
		for _, k := range []int{0, before / 2, before - 1} {
			if got, err := b.vault.Lookup(ctx, app, "appeals", "email", fmt.Sprintf("person%d@example.kz", k)); err != nil || len(got) != 1 || got[0] != ids[k] {
				t.Fatalf("a subject from before: %v %v", got, err)
			}
		}
		var actions []string
		for _, e := range journalOf(t, b) {
			if strings.HasPrefix(e.Action, "keys.index.") {
				actions = append(actions, e.Action)
			}
		}
		if len(actions) < 3 || actions[0] != "keys.index.start" || actions[len(actions)-1] != "keys.index.finish" {
			t.Fatalf("the journal shows the rotation as %v", actions)
		}
		if res, err := b.vault.VerifyJournal(ctx); err != nil || !res.OK() {
			t.Fatalf("journal: %+v %v", res, err)
		}
	})
}

func TestAnInterruptedIndexRotationResumesAndAnIINStaysUnique(t *testing.T) {
	each(t, func(t *testing.T, b *bundle) {
		ctx := context.Background()
		if _, err := b.vault.CreateSubject(ctx, app, newAppeal()); err != nil {
			t.Fatal(err)
		}
		// A rotation that saved its keyring and was killed after the switch.
		b.env.Ring.BeginIndexRotation()
		b.env.Ring.SwitchIndexKey()
		// The IIN is still indexed under the retiring key only: a second
		// subject with it is refused all the same.
		if _, err := b.vault.CreateSubject(ctx, app, newAppeal()); code(err) != "subject-exists" {
			t.Fatalf("the same IIN during a rotation: %s", code(err))
		}
		if got, err := b.vault.Lookup(ctx, app, "appeals", "iin", iin); err != nil || len(got) != 1 {
			t.Fatalf("lookup before re-indexing: %v %v", got, err)
		}
		n, err := b.vault.RotateIndex(ctx, vault.System, vault.IndexRotation{Save: saver(t, b), Grace: time.Millisecond})
		if err != nil || n != 1 {
			t.Fatalf("resumed rotation: %d %v", n, err)
		}
		if cur, retiring := b.env.Ring.IndexVersions(); cur != 2 || retiring != 0 {
			t.Fatalf("index keys: %d %d", cur, retiring)
		}
		if _, err := b.vault.CreateSubject(ctx, app, newAppeal()); code(err) != "subject-exists" {
			t.Fatalf("the same IIN after the rotation: %s", code(err))
		}
		resumed := false
		for _, e := range journalOf(t, b) {
			resumed = resumed || (e.Action == "keys.index.start" && strings.Contains(e.Detail, `"resumed":true`))
		}
		if !resumed {
			t.Fatal("the journal does not show the rotation resumed")
		}
	})
}
