package vault_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/derbes/derbes/journal"
	"github.com/derbes/derbes/request"
	"github.com/derbes/derbes/vault"
)

func TestMonitoringSeesRequestsFallingDueAndTheJournalsCheckpoints(t *testing.T) {
	each(t, func(t *testing.T, b *bundle) {
		ctx := context.Background()
		sid, _, err := split(b.vault.CreateSubject(ctx, app, newAppeal()))
		if err != nil {
			t.Fatal(err)
		}
		r, err := b.vault.SubmitRequest(ctx, app, identified(request.Information, sid))
		if err != nil {
			t.Fatal(err)
		}
		if r, err = b.vault.VerifyRequest(ctx, app, r.ID, vault.Verification{Checked: allChecked}); err != nil || r.Due == nil {
			t.Fatalf("verify: %+v %v", r, err)
		}
		due := *r.Due
		for _, c := range []struct {
			at            time.Time
			soon, overdue int64
		}{
			{due.Add(-30 * 24 * time.Hour), 0, 0},
			{due.Add(-24 * time.Hour), 1, 0},
			{due.Add(time.Hour), 0, 1},
		} {
			b.vault.SetClock(func() time.Time { return c.at })
			g, err := b.vault.Gauges(ctx)
			if err != nil || g.RequestsDueSoon != c.soon || g.RequestsOverdue != c.overdue {
				t.Fatalf("at %s (due %s): due soon %d, overdue %d, %v; want %d, %d", c.at, due, g.RequestsDueSoon, g.RequestsOverdue, err, c.soon, c.overdue)
			}
		}
		g, err := b.vault.Gauges(ctx)
		if err != nil || g.Checkpoint != 0 || g.HeadAt.IsZero() {
			t.Fatalf("before a thousand entries: %+v %v", g, err)
		}
		// Lookups are journaled: enough of them make a checkpoint.
		var wg sync.WaitGroup
		for w := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range journal.CheckpointEvery / 8 {
					if _, err := b.vault.Lookup(ctx, app, "appeals", "iin", iin); err != nil {
						t.Errorf("lookup %d: %v", w, err)
						return
					}
				}
			}()
		}
		wg.Wait()
		if g, err = b.vault.Gauges(ctx); err != nil || g.Checkpoint != journal.CheckpointEvery || g.CheckpointAt.IsZero() {
			t.Fatalf("after a thousand entries: %+v %v", g, err)
		}
	})
}
