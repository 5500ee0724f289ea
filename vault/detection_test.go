package vault_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/derbes/derbes/calendar"
	"github.com/derbes/derbes/notify"
	"github.com/derbes/derbes/store"
	"github.com/derbes/derbes/vault"
)

// alertBox is a notifier that keeps what it is given.
type alertBox struct {
	mu   sync.Mutex
	sent []notify.Message
	got  chan struct{}
}

func newAlertBox() *alertBox { return &alertBox{got: make(chan struct{}, 100)} }

func (o *alertBox) Notify(_ context.Context, m notify.Message) error {
	o.mu.Lock()
	o.sent = append(o.sent, m)
	o.mu.Unlock()
	o.got <- struct{}{}
	return nil
}

// wait returns the messages once n arrived (or fails after a while).
func (o *alertBox) wait(t *testing.T, n int) []notify.Message {
	t.Helper()
	for range n {
		select {
		case <-o.got:
		case <-time.After(10 * time.Second):
			t.Fatalf("only %d alerts of %d arrived", len(o.sent), n)
		}
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]notify.Message(nil), o.sent...)
}

func incidentsOfKind(t *testing.T, b *bundle, kind string) []*vault.Incident {
	t.Helper()
	list, err := b.vault.Incidents(context.Background(), app, "")
	if err != nil {
		t.Fatal(err)
	}
	var out []*vault.Incident
	for _, x := range list {
		if x.Kind == kind {
			out = append(out, x)
		}
	}
	return out
}

// secondNode opens a second vault on the same data, as a second server
// would: on PostgreSQL through a store of its own; the embedded store
// serves one process, so there the second vault shares the store.
func secondNode(t *testing.T, b *bundle) *vault.Vault {
	t.Helper()
	ctx := context.Background()
	second := b.env.Store
	if b.env.Dialect == "postgres" {
		s, err := store.Open(ctx, b.env.Config)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		second = s
	}
	other, err := vault.Open(ctx, second, b.env.Ring)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := other.Resume(ctx); err != nil {
		t.Fatal(err)
	}
	return other
}

const withAdmin = "    can: [collect, read, lookup, update, destroy, journal, requests, transfer, admin]\n"
const canNow = "    can: [collect, read, lookup, update, destroy, journal, requests, transfer]\n"

func TestRefusalsAreCountedByEveryNodeTogether(t *testing.T) {
	each(t, func(t *testing.T, b *bundle) {
		ctx := context.Background()
		_, rid, err := split(b.vault.CreateSubject(ctx, app, newAppeal()))
		if err != nil {
			t.Fatal(err)
		}
		edit(t, b, canNow, withAdmin+"    limits: {denials_per_hour: 5}\n")
		other := secondNode(t, b)
		out := newAlertBox()
		b.vault.SetAlerts(vault.Alerts{Notifier: out})
		other.SetAlerts(vault.Alerts{Notifier: out})
		noon := time.Date(2026, 4, 14, 12, 0, 0, 0, calendar.Location())
		b.vault.SetClock(func() time.Time { return noon })
		other.SetClock(func() time.Time { return noon })
		// Three refusals on each node: neither passes 5 alone.
		for range 3 {
			b.vault.GetRecord(ctx, app, rid, "stats", nil)
			other.GetRecord(ctx, app, rid, "stats", nil)
		}
		got := incidentsOfKind(t, b, vault.IncidentDenials)
		if len(got) != 1 || got[0].Principal != app.ID || got[0].Classification != vault.Suspected {
			t.Fatalf("denial incidents: %+v", got)
		}
		msgs := out.wait(t, 1)
		m := msgs[0]
		if m.To != "dpo@example.kz" || m.Kind != "incident-alert" || m.Ref != got[0].ID || !strings.Contains(m.Body, got[0].ID) || m.Lang != "ru" || strings.Contains(m.Body, "%!") {
			t.Fatalf("alert: %+v", m)
		}
		if strings.Contains(m.Body+m.Subject, app.ID) || strings.Contains(m.Body, rid) {
			t.Fatalf("the alert names the principal or the record: %+v", m)
		}
	})
}

func TestAKeyUsedFromANewNetworkOpensAnIncident(t *testing.T) {
	each(t, func(t *testing.T, b *bundle) {
		ctx := context.Background()
		edit(t, b, canNow, withAdmin)
		out := newAlertBox()
		b.vault.SetAlerts(vault.Alerts{Notifier: out, To: "security@example.kz", Lang: "kk"})
		for _, addr := range []string{"10.1.2.3:5000", "10.1.2.200:6000", "10.1.2.3:5001"} {
			b.vault.ObserveNetwork(ctx, app, addr)
		}
		b.vault.ObserveNetwork(ctx, vault.Actor{ID: "staff:aliya", Role: "app"}, "203.0.113.9:443") // staff move between networks
		if got := incidentsOfKind(t, b, vault.IncidentNetwork); len(got) != 0 {
			t.Fatalf("the key's own network opened incidents: %+v", got)
		}
		b.vault.ObserveNetwork(ctx, app, "198.51.100.7:4000")
		b.vault.ObserveNetwork(ctx, app, "198.51.100.8:4000")
		b.vault.ObserveNetwork(ctx, app, "[2001:db8:1:2::1]:443")
		b.vault.ObserveNetwork(ctx, app, "[2001:db8:1:ffff::9]:443") // the same /48
		got := incidentsOfKind(t, b, vault.IncidentNetwork)
		if len(got) != 2 {
			t.Fatalf("want one incident per new network (two), got %+v", got)
		}
		for _, m := range out.wait(t, 2) {
			if m.To != "security@example.kz" || m.Lang != "kk" || !strings.Contains(m.Body, "Анықтау ережесі") || strings.Contains(m.Body, "198.51") || strings.Contains(m.Body, "2001:db8") {
				t.Fatalf("alert: %+v", m)
			}
		}
		// Another node knows the networks from the store.
		other, err := vault.Open(ctx, b.env.Store, b.env.Ring)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := other.Resume(ctx); err != nil {
			t.Fatal(err)
		}
		other.ObserveNetwork(ctx, app, "198.51.100.99:1")
		if got := incidentsOfKind(t, b, vault.IncidentNetwork); len(got) != 2 {
			t.Fatalf("a known network opened an incident on another node: %d", len(got))
		}
	})
}

func TestABrokenJournalOpensExactlyOneIncident(t *testing.T) {
	each(t, func(t *testing.T, b *bundle) {
		ctx := context.Background()
		edit(t, b, canNow, withAdmin)
		if _, _, err := split(b.vault.CreateSubject(ctx, app, newAppeal())); err != nil {
			t.Fatal(err)
		}
		res, err := b.vault.CheckJournal(ctx)
		if err != nil || !res.OK() {
			t.Fatalf("an untouched journal: %+v %v", res, err)
		}
		if got := incidentsOfKind(t, b, vault.IncidentJournal); len(got) != 0 {
			t.Fatalf("incidents for a journal that verifies: %+v", got)
		}
		b.env.Exec(t, "UPDATE journal SET actor = 'someone-else' WHERE seq = 2")
		for range 3 {
			res, err := b.vault.CheckJournal(ctx)
			if err != nil || res.OK() || res.FirstBad != 2 {
				t.Fatalf("a tampered journal: %+v %v", res, err)
			}
		}
		got := incidentsOfKind(t, b, vault.IncidentJournal)
		if len(got) != 1 || got[0].Classification != vault.Suspected || got[0].NoticeDue == nil {
			t.Fatalf("journal incidents: %+v", got)
		}
	})
}

func TestDistinctSubjectsAreCountedByEveryNodeTogether(t *testing.T) {
	each(t, func(t *testing.T, b *bundle) {
		ctx := context.Background()
		var ids []string
		for i := range 14 {
			ns := newAppeal()
			ns.Identifiers = map[string]string{"email": fmt.Sprintf("n%d@example.kz", i)}
			sid, _, err := split(b.vault.CreateSubject(ctx, app, ns))
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, sid)
		}
		edit(t, b, canNow, withAdmin+"    limits: {subjects_per_hour: 10}\n")
		other := secondNode(t, b)
		noon := time.Date(2026, 4, 14, 12, 0, 0, 0, calendar.Location())
		b.vault.SetClock(func() time.Time { return noon })
		other.SetClock(func() time.Time { return noon })
		// Seven subjects on each node, each read twice: 14 distinct in all,
		// neither node past 10 alone.
		for round := range 2 {
			for i, sid := range ids {
				node := b.vault
				if i%2 == 1 {
					node = other
				}
				if _, err := node.ListRecords(ctx, app, sid, "appeals"); err != nil {
					t.Fatalf("round %d read %d: %v", round, i, err)
				}
			}
		}
		if got := incidentsOfKind(t, b, vault.IncidentMassRead); len(got) != 1 || got[0].Principal != app.ID {
			t.Fatalf("mass-read incidents: %+v", got)
		}
	})
}

func TestDetectionCountersOfPastWindowsAreForgotten(t *testing.T) {
	each(t, func(t *testing.T, b *bundle) {
		ctx := context.Background()
		var ids []string
		for i := range 3 {
			ns := newAppeal()
			ns.Identifiers = map[string]string{"email": fmt.Sprintf("f%d@example.kz", i)}
			sid, _, err := split(b.vault.CreateSubject(ctx, app, ns))
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, sid)
		}
		edit(t, b, canNow, withAdmin+"    limits: {subjects_per_hour: 100}\n")
		monday := time.Date(2026, 4, 13, 12, 0, 0, 0, calendar.Location())
		b.vault.SetClock(func() time.Time { return monday })
		for _, sid := range ids {
			if _, err := b.vault.ListRecords(ctx, app, sid, "appeals"); err != nil {
				t.Fatal(err)
			}
		}
		rows := func(table string) int {
			var n int
			if err := b.env.Raw.QueryRow("SELECT COUNT(*) FROM " + table).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		if rows("detection_subjects") != 3 || rows("detection_counts") != 1 {
			t.Fatalf("after Monday's reads: %d subjects, %d counters", rows("detection_subjects"), rows("detection_counts"))
		}
		b.vault.SetClock(func() time.Time { return monday.AddDate(0, 0, 3) })
		if _, err := b.vault.ListRecords(ctx, app, ids[0], "appeals"); err != nil {
			t.Fatal(err)
		}
		if rows("detection_subjects") != 1 || rows("detection_counts") != 1 {
			t.Fatalf("three days later: %d subjects, %d counters; Monday's are kept", rows("detection_subjects"), rows("detection_counts"))
		}
	})
}
