package vault_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/derbes/derbes/calendar"
	"github.com/derbes/derbes/vault"
)

func TestAKeyReadingTooManySubjectsOpensExactlyOneIncident(t *testing.T) {
	each(t, func(t *testing.T, b *bundle) {
		ctx := context.Background()
		// 120 subjects, read three times over by one key whose role may read 100 an hour.
		var ids []string
		for i := range 120 {
			ns := newAppeal()
			ns.Identifiers = map[string]string{"email": fmt.Sprintf("m%d@example.kz", i)}
			sid, _, err := split(b.vault.CreateSubject(ctx, app, ns))
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, sid)
		}
		edit(t, b, "    can: [collect, read, lookup, update, destroy, journal, requests, transfer]\n",
			"    can: [collect, read, lookup, update, destroy, journal, requests, transfer, admin]\n    limits: {subjects_per_hour: 100}\n")
		// Friday 20 March 2026, 18:30 in Astana: Nauryz holidays follow.
		friday := time.Date(2026, 3, 20, 18, 30, 0, 0, calendar.Location())
		b.vault.SetClock(func() time.Time { return friday })
		for round := range 3 {
			for i, sid := range ids {
				if _, err := b.vault.ListRecords(ctx, app, sid, "appeals"); err != nil {
					t.Fatalf("round %d read %d: %v", round, i, err)
				}
			}
		}
		list, err := b.vault.Incidents(ctx, app, "open")
		if err != nil {
			t.Fatal(err)
		}
		if len(list) != 1 || list[0].Kind != vault.IncidentMassRead || list[0].Principal != app.ID {
			t.Fatalf("incidents: %+v", list)
		}
		due := list[0].NoticeDue.In(calendar.Location()).Format("Mon 2006-01-02")
		if due != "Thu 2026-03-26" {
			t.Fatalf("the breach notice is due %s; one working day after Friday 20 March (Nauryz follows) is Thursday 26 March", due)
		}
		x, err := b.vault.UpdateIncident(ctx, app, list[0].ID, vault.IncidentChange{Classification: vault.Confirmed, Measure: "key revoked", Subjects: ids[:3]})
		if err != nil || x.Classification != vault.Confirmed || len(x.Content.Measures) != 1 {
			t.Fatalf("update: %+v %v", x, err)
		}
		n, err := b.vault.DraftNotice(ctx, app, list[0].ID)
		if err != nil || n.Responsible == "" || len(n.Subjects) != 3 || n.Due == nil {
			t.Fatalf("notice: %+v %v", n, err)
		}
	})
}

func TestRepeatedDenialsAndOffHoursWorkOpenIncidents(t *testing.T) {
	each(t, func(t *testing.T, b *bundle) {
		ctx := context.Background()
		_, rid, err := split(b.vault.CreateSubject(ctx, app, newAppeal()))
		if err != nil {
			t.Fatal(err)
		}
		edit(t, b, "    can: [collect, read, lookup, update, destroy, journal, requests, transfer]\n",
			"    can: [collect, read, lookup, update, destroy, journal, requests, transfer, admin]\n    limits: {denials_per_hour: 5, hours: \"08:00-20:00\"}\n")
		noon := time.Date(2026, 4, 14, 12, 0, 0, 0, calendar.Location())
		b.vault.SetClock(func() time.Time { return noon })
		for range 8 {
			b.vault.GetRecord(ctx, app, rid, "stats", nil) // purpose-mismatch, every time
		}
		b.vault.SetClock(func() time.Time { return noon.Add(11 * time.Hour) }) // 23:00
		if _, err := b.vault.GetRecord(ctx, app, rid, "appeals", nil); err != nil {
			t.Fatal(err)
		}
		b.vault.GetRecord(ctx, app, rid, "appeals", nil)
		list, _ := b.vault.Incidents(ctx, app, "")
		kinds := map[string]int{}
		for _, x := range list {
			kinds[x.Kind]++
		}
		if kinds[vault.IncidentDenials] != 1 || kinds[vault.IncidentOffHours] != 1 || len(list) != 2 {
			t.Fatalf("incidents: %v", kinds)
		}
	})
}
