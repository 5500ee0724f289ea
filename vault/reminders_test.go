package vault_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/derbes/derbes/calendar"
	"github.com/derbes/derbes/notify"
	"github.com/derbes/derbes/request"
	"github.com/derbes/derbes/vault"
)

type failingNotifier struct{}

func (failingNotifier) Notify(context.Context, notify.Message) error {
	return errors.New("smtp: connection refused")
}

func TestTheResponsiblePersonIsRemindedOncePerDeadlineAndThreshold(t *testing.T) {
	each(t, func(t *testing.T, b *bundle) {
		ctx := context.Background()
		sid, _, err := split(b.vault.CreateSubject(ctx, app, newAppeal()))
		if err != nil {
			t.Fatal(err)
		}
		received := time.Date(2026, 3, 2, 10, 0, 0, 0, calendar.Location()) // a Monday
		clock := received
		b.vault.SetClock(func() time.Time { return clock })
		r, err := b.vault.SubmitRequest(ctx, app, identified(request.Objection, sid))
		if err != nil {
			t.Fatal(err)
		}
		if r.Due == nil {
			t.Fatalf("an objection without a deadline: %+v", r)
		}
		out := &outbox{}
		remind := func(wantSent int) []notify.Message {
			t.Helper()
			before := len(out.sent)
			sent, waiting, err := b.vault.RemindDeadlines(ctx, out)
			if err != nil || sent != wantSent || waiting != 0 {
				t.Fatalf("at %s: sent %d, waiting %d, %v; want %d sent", clock, sent, waiting, err, wantSent)
			}
			return out.sent[before:]
		}

		remind(0) // three working days ahead: nothing yet

		clock = r.Due.Add(-2 * time.Hour)
		got := remind(1)
		m := got[0]
		if m.To != "dpo@example.kz" || m.Ref != r.ID || m.Kind != "deadline-reminder" || !strings.Contains(m.Subject, "срок истекает") {
			t.Fatalf("the due-soon reminder: %+v", m)
		}
		for _, secret := range []string{name, iin, email, sid} {
			if strings.Contains(m.Subject+m.Body, secret) {
				t.Errorf("the reminder holds %q", secret)
			}
		}
		remind(0) // sent already

		clock = r.Due.Add(time.Hour)
		// A mail server that refuses: nothing is remembered, the job fails.
		if sent, waiting, err := b.vault.RemindDeadlines(ctx, failingNotifier{}); err == nil || sent != 0 || waiting != 1 || strings.Contains(err.Error(), "dpo@") {
			t.Fatalf("with a failing notifier: %d %d %v", sent, waiting, err)
		}
		got = remind(1)
		if !strings.Contains(got[0].Subject, "срок истёк") || got[0].Ref != r.ID {
			t.Fatalf("the overdue reminder: %+v", got[0])
		}
		remind(0)

		// An incident's breach notice, due one working day after detection.
		edit(t, b, "    can: [collect, read, lookup, update, destroy, journal, requests, transfer]\n",
			"    can: [collect, read, lookup, update, destroy, journal, requests, transfer, admin]\n")
		inc, err := b.vault.ReportIncident(ctx, app, "a laptop with the register was stolen", nil)
		if err != nil {
			t.Fatal(err)
		}
		clock = clock.AddDate(0, 0, 7)
		got = remind(1)
		if got[0].Ref != inc || !strings.Contains(got[0].Subject, "Инцидент") || !strings.Contains(got[0].Subject, "срок истёк") {
			t.Fatalf("the incident's reminder: %+v", got[0])
		}
		remind(0)
	})
}

func TestARecordBlockedLongerThanThePolicyAllowsIsDestroyedWithItsAct(t *testing.T) {
	each(t, func(t *testing.T, b *bundle) {
		ctx := context.Background()
		sid, rid, err := split(b.vault.CreateSubject(ctx, app, newAppeal()))
		if err != nil {
			t.Fatal(err)
		}
		blocked := time.Date(2026, 3, 2, 10, 0, 0, 0, calendar.Location())
		clock := blocked
		b.vault.SetClock(func() time.Time { return clock })
		r, err := b.vault.SubmitRequest(ctx, app, identified(request.Blocking, sid))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := b.vault.VerifyRequest(ctx, app, r.ID, vault.Verification{Checked: allChecked}); err != nil {
			t.Fatal(err)
		}
		if _, err := b.vault.FulfilRequest(ctx, app, r.ID, vault.Fulfilment{}); err != nil {
			t.Fatal(err)
		}
		enforce := func(want int) {
			t.Helper()
			n, err := b.vault.EnforceBlockedLimit(ctx)
			if err != nil || n != want {
				t.Fatalf("at %s: %d queued, %v; want %d", clock, n, err, want)
			}
		}

		// The law sets no limit: without one in the policy, nothing happens.
		clock = blocked.AddDate(1, 0, 0)
		enforce(0)

		edit(t, b, "fields:\n  - {id: iin", "deadlines: {blocked_limit: 6m}\nfields:\n  - {id: iin")
		clock = blocked.AddDate(0, 6, 0).Add(-time.Second)
		enforce(0)
		if res, err := b.vault.Sweep(ctx, "test"); err != nil || res.Destroyed != 0 {
			t.Fatalf("a sweep one second before the limit: %+v %v", res, err)
		}

		clock = blocked.AddDate(0, 6, 0)
		enforce(1)
		enforce(0) // queued already
		res, err := b.vault.Sweep(ctx, "test")
		if err != nil || res.Destroyed != 1 || res.Act == "" {
			t.Fatalf("the sweep after the limit: %+v %v", res, err)
		}
		act, err := b.vault.ActByID(ctx, res.Act)
		if err != nil || len(act.Records) != 1 || act.Records[0].RecordID != rid || act.Records[0].Rule != "blocked-limit" || !act.Valid {
			t.Fatalf("the act: %+v %v", act, err)
		}
		journaled := false
		for _, e := range journalOf(t, b) {
			if e.Action == "record.blocked-limit" && e.Record == rid {
				journaled = true
			}
		}
		if !journaled {
			t.Fatal("the queueing at the limit is not journaled")
		}
	})
}

func TestTheResponsiblePersonIsRemindedOfThePolicysYearlyReview(t *testing.T) {
	each(t, func(t *testing.T, b *bundle) {
		ctx := context.Background()
		// minimal.yaml is version test-1, review_by 2027-01-01.
		clock := time.Date(2026, 12, 1, 12, 0, 0, 0, calendar.Location())
		b.vault.SetClock(func() time.Time { return clock })
		out := &outbox{}
		remind := func(wantSent int) []notify.Message {
			t.Helper()
			before := len(out.sent)
			sent, _, err := b.vault.RemindDeadlines(ctx, out)
			if err != nil || sent != wantSent {
				t.Fatalf("at %s: sent %d, %v; want %d sent", clock, sent, err, wantSent)
			}
			return out.sent[before:]
		}
		remind(0) // 31 days before: not yet

		clock = time.Date(2026, 12, 5, 9, 0, 0, 0, calendar.Location())
		got := remind(1)
		if m := got[0]; m.Ref != "test-1" || m.To != "dpo@example.kz" || !strings.Contains(m.Subject, "Пересмотр политики") ||
			!strings.Contains(m.Subject, "срок истекает") || !strings.Contains(m.Body, "01.01.2027") {
			t.Fatalf("the review reminder: %+v", m)
		}
		remind(0) // once per threshold

		clock = time.Date(2027, 1, 2, 9, 0, 0, 0, calendar.Location())
		if got := remind(1); !strings.Contains(got[0].Subject, "срок истёк") {
			t.Fatalf("the overdue review reminder: %+v", got[0])
		}
		remind(0)

		// Reviewed: a new version with the next review date ends them.
		edit(t, b, "review_by: 2027-01-01", "review_by: 2028-01-01")
		remind(0)
	})
}
