package vault_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/derbes/derbes/keys"
	"github.com/derbes/derbes/policy"
	"github.com/derbes/derbes/store"
	"github.com/derbes/derbes/store/storetest"
	"github.com/derbes/derbes/vault"
)

// edit activates the minimal policy with one change.
func edit(t *testing.T, b *bundle, old, new string) { editTB(t, b, old, new) }

func editTB(t testing.TB, b *bundle, old, new string) {
	t.Helper()
	src, _ := os.ReadFile("../policy/testdata/minimal.yaml")
	if !strings.Contains(string(src), old) {
		t.Fatalf("stale edit: %q", old)
	}
	s := strings.Replace(string(src), old, new, 1)
	p, err := policy.Parse("edited.yaml", []byte(s))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.vault.Activate(context.Background(), vault.System, p, []byte(s)); err != nil {
		t.Fatal(err)
	}
}

// withEvent is the minimal policy where an appeal is kept 30 days after it
// is closed.
func withEvent(t *testing.T, b *bundle) {
	t.Helper()
	src, _ := os.ReadFile("../policy/testdata/minimal.yaml")
	s := strings.Replace(string(src), "retention: {period: 5y, from: collection, then: destroy}", "retention: {period: 30d, from: event, event: appeal_closed, then: destroy}", 1)
	p, err := policy.Parse("event.yaml", []byte(s))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.vault.Activate(context.Background(), vault.System, p, []byte(s)); err != nil {
		t.Fatal(err)
	}
}

func TestARecordIsDestroyedWhenItsTermEndsAndNotASecondBefore(t *testing.T) {
	each(t, func(t *testing.T, b *bundle) {
		ctx := context.Background()
		collected := time.Date(2026, 1, 10, 9, 0, 0, 0, time.UTC)
		b.vault.SetClock(func() time.Time { return collected })
		sid, rid, err := split(b.vault.CreateSubject(ctx, app, newAppeal())) // appeals: 5y from collection, then destroy
		if err != nil {
			t.Fatal(err)
		}
		end := collected.AddDate(5, 0, 0)
		b.vault.SetClock(func() time.Time { return end.Add(-time.Second) })
		if res, err := b.vault.Sweep(ctx, "node-a"); err != nil || res.Destroyed != 0 || res.Act != "" {
			t.Fatalf("a second before the end: %+v %v", res, err)
		}
		b.vault.SetClock(func() time.Time { return end })
		res, err := b.vault.Sweep(ctx, "node-a")
		if err != nil || res.Destroyed != 1 || res.Act == "" {
			t.Fatalf("at the end: %+v %v", res, err)
		}
		if _, err := b.vault.GetRecord(ctx, app, rid, "appeals", nil); code(err) != "destroyed" {
			t.Fatalf("reading the swept record: %v", code(err))
		}
		act, err := b.vault.ActByID(ctx, res.Act)
		if err != nil || !act.Valid || len(act.Records) != 1 || act.Records[0].RecordID != rid || act.Records[0].Rule != "retention-end" {
			t.Fatalf("the act: %+v %v", act, err)
		}
		var sum vault.ActSummary
		json.Unmarshal(act.Summary, &sum)
		if sum.Records != 1 || len(sum.Counts) != 1 || sum.Counts[0].Purpose != "appeals" || sum.Counts[0].Category != "applicant" || sum.Counts[0].Ground != "consent" {
			t.Fatalf("the act's counts: %+v", sum)
		}
		if pdf, err := b.vault.ActPDF(ctx, res.Act, "ru"); err != nil || !strings.HasPrefix(string(pdf), "%PDF") {
			t.Fatalf("the act as a PDF: %v", err)
		}
		// The subject stays, with its identifiers: only the record's term ended.
		if s, err := b.vault.GetSubject(ctx, app, sid, "appeals"); err != nil || s.State != "active" {
			t.Fatalf("the subject: %+v %v", s, err)
		}
	})
}

func TestATermThatStartsWithAnEvent(t *testing.T) {
	each(t, func(t *testing.T, b *bundle) {
		ctx := context.Background()
		withEvent(t, b)
		_, rid, err := split(b.vault.CreateSubject(ctx, app, newAppeal()))
		if err != nil {
			t.Fatal(err)
		}
		if res, _ := b.vault.Sweep(ctx, "n"); res.Destroyed != 0 {
			t.Fatal("a record whose term has not started was swept")
		}
		if _, err := b.vault.StartRetention(ctx, app, rid, "appeals", "purpose_achieved"); code(err) != "wrong-event" {
			t.Fatalf("the wrong event: %v", code(err))
		}
		closed := time.Date(2026, 5, 4, 12, 0, 0, 0, time.UTC)
		b.vault.SetClock(func() time.Time { return closed })
		end, err := b.vault.StartRetention(ctx, app, rid, "appeals", "appeal_closed")
		if err != nil || !end.Equal(closed.AddDate(0, 0, 30)) {
			t.Fatalf("term ends %v, %v", end, err)
		}
		b.vault.SetClock(func() time.Time { return end.Add(-time.Second) })
		if res, _ := b.vault.Sweep(ctx, "n"); res.Destroyed != 0 {
			t.Fatal("swept before its end")
		}
		b.vault.SetClock(func() time.Time { return *end })
		if res, _ := b.vault.Sweep(ctx, "n"); res.Destroyed != 1 {
			t.Fatal("not swept at its end")
		}
	})
}

func TestDepersonalisedStatisticsNameNobody(t *testing.T) {
	each(t, func(t *testing.T, b *bundle) {
		ctx := context.Background()
		collected := time.Date(2025, 6, 1, 9, 0, 0, 0, time.UTC)
		b.vault.SetClock(func() time.Time { return collected })
		sid, _, err := split(b.vault.CreateSubject(ctx, app, newAppeal()))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := b.vault.AddRecord(ctx, app, sid, vault.NewRecord{Purpose: "stats", Channel: "call", Fields: map[string]string{"address": address, "birth_date": "1995-03-12"}}); err != nil {
			t.Fatal(err)
		}
		b.vault.SetClock(func() time.Time { return collected.AddDate(1, 0, 0) }) // stats: 1y, then depersonalise
		res, err := b.vault.Sweep(ctx, "n")
		if err != nil || res.Depersonalised != 1 || res.Destroyed != 0 {
			t.Fatalf("sweep: %+v %v", res, err)
		}
		if _, err := b.vault.StatsRows(ctx, app, "stats"); code(err) != "action-not-allowed" {
			t.Fatalf("a role without admin exporting statistics: %v", code(err))
		}
		edit(t, b, "can: [collect, read, lookup, update, destroy, journal, requests, transfer]", "can: [collect, read, lookup, update, destroy, journal, requests, transfer, admin]")
		rows, err := b.vault.StatsRows(ctx, app, "stats")
		if err != nil || len(rows) != 1 {
			t.Fatalf("statistics: %v %v", rows, err)
		}
		row := rows[0]
		if row["address"] != "Астана, Сарыарқа ауданы" || row["birth_date.year"] != "1995" || row["category"] != "applicant" || row["collected_year"] != "2025" {
			t.Fatalf("the statistics row: %v", row)
		}
		for k, v := range row {
			if strings.Contains(v, "7-үй") || strings.Contains(v, "03-12") {
				t.Fatalf("%s holds a direct identifier: %q", k, v)
			}
		}
		exported := false
		for _, e := range journalOf(t, b) {
			exported = exported || e.Action == "stats.export"
		}
		if !exported {
			t.Fatal("the export is not journaled")
		}
	})
}

func TestSweepsOnSeveralNodesDestroyEachRecordOnce(t *testing.T) {
	t.Parallel()
	for _, d := range storetest.Dialects {
		t.Run(d, func(t *testing.T) {
			t.Parallel()
			b := setup(t, d)
			ctx := context.Background()
			collected := time.Date(2026, 1, 10, 9, 0, 0, 0, time.UTC)
			b.vault.SetClock(func() time.Time { return collected })
			const n = 60
			for i := range n {
				ns := newAppeal()
				ns.Identifiers = map[string]string{"email": "p" + string(rune('a'+i%26)) + string(rune('a'+i/26)) + "@example.kz"}
				if _, err := b.vault.CreateSubject(ctx, app, ns); err != nil {
					t.Fatal(err)
				}
			}
			// A second node: its own store handle and vault on the same data.
			other := b
			if d == "postgres" {
				env2 := *b.env
				s2, err := store.Open(ctx, env2.Config)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { s2.Close() })
				env2.Store = s2
				other = open(t, &env2)
			}
			later := collected.AddDate(5, 0, 0)
			for _, x := range []*bundle{b, other} {
				x.vault.SetClock(func() time.Time { return later })
			}
			var wg sync.WaitGroup
			var mu sync.Mutex
			destroyed, busy, acts := 0, 0, 0
			for i := range 12 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					v := []*bundle{b, other}[i%2].vault
					res, err := v.Sweep(ctx, "node-"+string(rune('a'+i)))
					mu.Lock()
					defer mu.Unlock()
					if errors.Is(err, vault.ErrSweepRunning) {
						busy++
						return
					}
					if err != nil {
						t.Error(err)
						return
					}
					destroyed += res.Destroyed
					if res.Act != "" {
						acts++
					}
				}()
			}
			wg.Wait()
			if destroyed != n {
				t.Fatalf("%d destructions for %d due records (busy %d)", destroyed, n, busy)
			}
			all, _ := b.vault.Acts(ctx, 100)
			total := 0
			for _, a := range all {
				var s vault.ActSummary
				json.Unmarshal(a.Summary, &s)
				total += s.Records
				if !a.Valid {
					t.Fatalf("act %s has no valid signature", a.ID)
				}
			}
			if len(all) != acts || total != n {
				t.Fatalf("%d acts listing %d records; %d sweeps made acts", len(all), total, acts)
			}
			entries := 0
			for _, e := range journalOf(t, b) {
				if e.Action == "record.destroy" {
					entries++
				}
			}
			if entries != n {
				t.Fatalf("%d record.destroy entries for %d records", entries, n)
			}
		})
	}
}

// A copy of the data store taken before a destruction, restored next to
// the current key store after it, yields nothing: the keys are gone.
func TestARestoredOldCopyDoesNotBringDestroyedDataBack(t *testing.T) {
	t.Parallel()
	for _, d := range storetest.Dialects {
		t.Run(d, func(t *testing.T) {
			t.Parallel()
			b := setup(t, d)
			ctx := context.Background()
			sid, rid, err := split(b.vault.CreateSubject(ctx, app, newAppeal()))
			if err != nil {
				t.Fatal(err)
			}
			backup := snapshot(t, b)
			if err := b.vault.DestroySubject(ctx, app, sid, "appeals", "subject-request"); err != nil {
				t.Fatal(err)
			}
			b2 := restore(t, b, backup)
			if s, err := b2.vault.GetSubject(ctx, app, sid, "appeals"); err == nil && len(s.Identifiers) > 0 {
				t.Fatalf("the restored copy yields identifiers: %+v", s)
			}
			r, err := b2.vault.GetRecord(ctx, app, rid, "appeals", nil)
			if err == nil {
				t.Fatalf("the restored copy yields the record: %+v", r)
			}
			if !errors.Is(err, keys.ErrOpen) && !strings.Contains(err.Error(), "not found") {
				t.Logf("reading the restored record fails with: %v", err)
			}
		})
	}
}

var dataTables = []string{"subjects", "identifiers", "records", "consents", "consent_events"}

// snapshot copies the data store (not the key store).
func snapshot(t *testing.T, b *bundle) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, tbl := range dataTables {
		bk := "bk_" + tbl
		b.env.Exec(t, "CREATE TABLE "+bk+" AS SELECT * FROM "+tbl)
		out[tbl] = bk
	}
	return out
}

// restore puts the data store back as it was, next to the current key
// store, and opens a fresh vault on it.
func restore(t *testing.T, b *bundle, backup map[string]string) *bundle {
	t.Helper()
	for tbl, bk := range backup {
		b.env.Exec(t, "DELETE FROM "+tbl)
		b.env.Exec(t, "INSERT INTO "+tbl+" SELECT * FROM "+bk)
	}
	ctx := context.Background()
	env2 := *b.env
	s2, err := store.Open(ctx, env2.Config)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s2.Close() })
	env2.Store = s2
	return open(t, &env2)
}

func TestAConsentWhoseTermEndsExpiresAndItsRecordsGo(t *testing.T) {
	each(t, func(t *testing.T, b *bundle) {
		ctx := context.Background()
		ns := newAppeal()
		ns.Consent.Until = "2026-12-31"
		sid, rid, err := split(b.vault.CreateSubject(ctx, app, ns))
		if err != nil {
			t.Fatal(err)
		}
		b.vault.SetClock(func() time.Time { return time.Date(2026, 12, 31, 18, 0, 0, 0, time.UTC) }) // 23:00 in Astana, still the 31st
		if res, _ := b.vault.Sweep(ctx, "n"); res.Expired != 0 {
			t.Fatal("a consent expired before its last day ended")
		}
		b.vault.SetClock(func() time.Time { return time.Date(2026, 12, 31, 19, 30, 0, 0, time.UTC) }) // 00:30 on 1 January in Astana
		res, err := b.vault.Sweep(ctx, "n")
		if err != nil || res.Expired != 1 || res.Destroyed != 1 {
			t.Fatalf("sweep after the term: %+v %v", res, err)
		}
		cs, err := b.vault.Consents(ctx, app, sid, "appeals")
		if err != nil || len(cs) != 1 || cs[0].State != "expired" || cs[0].Events[len(cs[0].Events)-1].Kind != "expired" {
			t.Fatalf("consent after the sweep: %+v %v", cs, err)
		}
		if _, err := b.vault.GetRecord(ctx, app, rid, "appeals", nil); code(err) != "destroyed" {
			t.Fatalf("the record resting on it: %v", code(err))
		}
	})
}
