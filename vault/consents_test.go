package vault_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/derbes/derbes/calendar"
	"github.com/derbes/derbes/consent"
	"github.com/derbes/derbes/vault"
)

func TestARecordNeedsAGround(t *testing.T) {
	each(t, func(t *testing.T, b *bundle) {
		ctx := context.Background()
		ns := newAppeal()
		ns.Consent = nil
		if _, _, err := split(b.vault.CreateSubject(ctx, app, ns)); code(err) != "consent-required" {
			t.Fatalf("a consent-ground record without a consent: %v", code(err))
		}
		ns = newAppeal()
		ns.Consent.Fields = []string{"iin", "full_name", "phone", "email", "address"} // no appeal_text
		_, _, err := split(b.vault.CreateSubject(ctx, app, ns))
		if p, ok := vault.AsProblem(err); !ok || p.Code != "consent-lacks-field" || p.Field != "appeal_text" {
			t.Fatalf("a consent lacking a field: %v", err)
		}
		if ids, _ := b.vault.Lookup(ctx, app, "appeals", "iin", iin); len(ids) != 0 {
			t.Fatal("a refused subject was stored")
		}

		// A subject stored without a record, then a record on a consent
		// that lacks a field, then on one that covers it.
		ns = newAppeal()
		ns.Record, ns.Consent = nil, nil
		sid, _, err := split(b.vault.CreateSubject(ctx, app, ns))
		if err != nil {
			t.Fatal(err)
		}
		rec := vault.NewRecord{Purpose: "appeals", Channel: "call", Fields: map[string]string{"full_name": name, "appeal_text": text}}
		if _, err := b.vault.AddRecord(ctx, app, sid, rec); code(err) != "consent-required" {
			t.Fatalf("a record before any consent: %v", code(err))
		}
		narrow := appealConsent()
		narrow.Fields = []string{"full_name"}
		if _, err := b.vault.GiveConsent(ctx, app, sid, *narrow); err != nil {
			t.Fatal(err)
		}
		if _, err := b.vault.AddRecord(ctx, app, sid, rec); code(err) != "consent-lacks-field" {
			t.Fatalf("a record beyond the consent: %v", code(err))
		}
		cid, err := b.vault.GiveConsent(ctx, app, sid, *appealConsent())
		if err != nil {
			t.Fatal(err)
		}
		rid, err := b.vault.AddRecord(ctx, app, sid, rec)
		if err != nil {
			t.Fatal(err)
		}
		r, err := b.vault.GetRecord(ctx, app, rid, "appeals", nil)
		if err != nil || r.Consent != cid {
			t.Fatalf("the record rests on %q, want %q (%v)", r.Consent, cid, err)
		}
	})
}

func TestAConsentMustSayWhatTheLawRequires(t *testing.T) {
	each(t, func(t *testing.T, b *bundle) {
		ctx := context.Background()
		for _, tc := range []struct {
			name  string
			edit  func(*consent.Request)
			code  string
			field string
		}{
			{"no full name", func(r *consent.Request) { r.SubjectName = " " }, "value-required", "subject_name"},
			{"no purpose", func(r *consent.Request) { r.Purposes = nil }, "purposes-required", "purposes"},
			{"a purpose not resting on consent", func(r *consent.Request) { r.Purposes = []string{"stats"} }, "purpose-not-on-consent", "purposes"},
			{"a forbidden field", func(r *consent.Request) { r.Fields = append(r.Fields, "health") }, "forbidden-category", "health"},
			{"a written form without its document", func(r *consent.Request) { r.Form = consent.Form{Kind: consent.FormWritten, Reference: "№ 17"} }, "evidence-required", "form"},
			{"an unknown form", func(r *consent.Request) { r.Form.Kind = "telepathy" }, "invalid-value", "form.kind"},
			{"a representative without authority", func(r *consent.Request) { r.Representative = &consent.Representative{FullName: "Ана"} }, "authority-required", "representative.authority"},
			{"a term already over", func(r *consent.Request) { r.Until = "2020-01-01" }, "invalid-value", "until"},
		} {
			ns := newAppeal()
			tc.edit(ns.Consent)
			_, _, err := split(b.vault.CreateSubject(ctx, app, ns))
			if p, ok := vault.AsProblem(err); !ok || p.Code != tc.code || p.Field != tc.field {
				t.Errorf("%s: %v (field %q); want %s naming %q", tc.name, code(err), fieldOf(p), tc.code, tc.field)
			}
		}
	})
}

func TestWithdrawalStopsProcessingOnThatGroundOnly(t *testing.T) {
	each(t, func(t *testing.T, b *bundle) {
		ctx := context.Background()
		sid, rid, err := split(b.vault.CreateSubject(ctx, app, newAppeal()))
		if err != nil {
			t.Fatal(err)
		}
		// A record for statistics rests on a ground of Art. 9, not on consent.
		sr, err := b.vault.AddRecord(ctx, app, sid, vault.NewRecord{Purpose: "stats", Channel: "call", Fields: map[string]string{"address": address}})
		if err != nil {
			t.Fatal(err)
		}
		cs, err := b.vault.Consents(ctx, app, sid, "appeals")
		if err != nil || len(cs) != 1 || !cs[0].Live || cs[0].Content.SubjectName != name || cs[0].Content.ClientIPHash == "" {
			t.Fatalf("consents: %+v %v", cs, err)
		}
		before := time.Now()
		res, err := b.vault.WithdrawConsent(ctx, app, cs[0].ID, "appeals", vault.Withdrawal{Reason: "subject-request"})
		if err != nil {
			t.Fatal(err)
		}
		want, _ := calendar.Default().AddWorkingDays(before, 15)
		if res.Due == nil || !sameDay(*res.Due, want) {
			t.Fatalf("withdrawal due %v, want the 15th working day %v (Art. 8 p.7)", res.Due, want)
		}
		if len(res.Queued) != 1 || res.Queued[0] != rid {
			t.Fatalf("queued for destruction: %v, want [%s]", res.Queued, rid)
		}
		if _, err := b.vault.GetRecord(ctx, app, rid, "appeals", nil); code(err) != "ground-withdrawn" {
			t.Fatalf("reading after withdrawal: %v", code(err))
		}
		x := "x"
		if _, err := b.vault.UpdateRecord(ctx, app, rid, "appeals", map[string]*string{"appeal_text": &x}); code(err) != "ground-withdrawn" {
			t.Fatalf("changing after withdrawal: %v", code(err))
		}
		if r, err := b.vault.GetRecord(ctx, app, sr, "stats", nil); err != nil || r.Fields["address"] != address {
			t.Fatalf("the record on another ground: %v", err)
		}
		if _, err := b.vault.WithdrawConsent(ctx, app, cs[0].ID, "appeals", vault.Withdrawal{}); code(err) != "consent-not-in-force" {
			t.Fatalf("withdrawing twice: %v", code(err))
		}
		refused, events := 0, map[string]bool{}
		for _, e := range journalOf(t, b) {
			events[e.Action] = true
			if e.Record == rid && e.Outcome == "denied" && strings.Contains(e.Detail, "ground-withdrawn") {
				refused++
			}
		}
		if refused != 2 || !events["consent.give"] || !events["consent.withdraw"] {
			t.Fatalf("journal: %d refusals, events %v", refused, events)
		}
	})
}

func sameDay(a, b time.Time) bool {
	return a.In(calendar.Location()).Format(time.DateOnly) == b.In(calendar.Location()).Format(time.DateOnly)
}

func TestAWithdrawalAgainstAnUnfulfilledObligationIsARecordedRefusal(t *testing.T) {
	each(t, func(t *testing.T, b *bundle) {
		ctx := context.Background()
		sid, rid, err := split(b.vault.CreateSubject(ctx, app, newAppeal()))
		if err != nil {
			t.Fatal(err)
		}
		cs, _ := b.vault.Consents(ctx, app, sid, "appeals")
		basis := "the appeal is under review by the akimat; its answer is due by law"
		if _, err := b.vault.WithdrawConsent(ctx, app, cs[0].ID, "appeals", vault.Withdrawal{Refusal: &vault.Refusal{Reason: "i-do-not-want"}}); code(err) != "invalid-reason" {
			t.Fatalf("a refusal on a reason the law does not accept: %v", code(err))
		}
		res, err := b.vault.WithdrawConsent(ctx, app, cs[0].ID, "appeals", vault.Withdrawal{Refusal: &vault.Refusal{Reason: "obligation-unfulfilled", Basis: basis}})
		if err != nil || res.Kind != consent.WithdrawalRefused {
			t.Fatalf("refusal: %+v %v", res, err)
		}
		if _, err := b.vault.GetRecord(ctx, app, rid, "appeals", nil); err != nil {
			t.Fatalf("the record after a refused withdrawal: %v", err)
		}
		cs, _ = b.vault.Consents(ctx, app, sid, "appeals")
		last := cs[0].Events[len(cs[0].Events)-1]
		if !cs[0].Live || last.Kind != consent.WithdrawalRefused || last.Basis != basis || last.Reason != "obligation-unfulfilled" {
			t.Fatalf("after the refusal: %+v", cs[0])
		}
	})
}

func TestDeletingTheAccountWithdrawsExactlyTheConsentsBoundToIt(t *testing.T) {
	each(t, func(t *testing.T, b *bundle) {
		ctx := context.Background()
		ns := newAppeal()
		ns.Consent.AccountBound = true
		sid, _, err := split(b.vault.CreateSubject(ctx, app, ns))
		if err != nil {
			t.Fatal(err)
		}
		kept, err := b.vault.GiveConsent(ctx, app, sid, *appealConsent()) // given on paper, not bound to the account
		if err != nil {
			t.Fatal(err)
		}
		out, err := b.vault.AccountDeleted(ctx, app, sid, "appeals")
		if err != nil || len(out) != 1 {
			t.Fatalf("account deleted: %+v %v", out, err)
		}
		cs, _ := b.vault.Consents(ctx, app, sid, "appeals")
		for _, c := range cs {
			if (c.ID == kept) != c.Live {
				t.Fatalf("consent %s (account bound %v) live=%v after the account was deleted", c.ID, c.AccountBound, c.Live)
			}
		}
	})
}

// Late in the year a withdrawal's deadline reaches a year the operator has
// not loaded yet: it is counted on the rules and says it is unconfirmed,
// never silently on weekends alone.
func TestAWithdrawalDeadlineInAnUnconfirmedYearSaysSo(t *testing.T) {
	each(t, func(t *testing.T, b *bundle) {
		ctx := context.Background()
		sid, _, err := split(b.vault.CreateSubject(ctx, app, newAppeal()))
		if err != nil {
			t.Fatal(err)
		}
		cs, _ := b.vault.Consents(ctx, app, sid, "appeals")
		b.vault.SetClock(func() time.Time { return time.Date(2026, 12, 20, 10, 0, 0, 0, time.UTC) })
		res, err := b.vault.WithdrawConsent(ctx, app, cs[0].ID, "appeals", vault.Withdrawal{})
		if err != nil {
			t.Fatal(err)
		}
		if res.Due == nil || res.Due.Year() != 2027 || !strings.Contains(res.Warning, "2027") {
			t.Fatalf("due %v, warning %q", res.Due, res.Warning)
		}
		for _, e := range journalOf(t, b) {
			if e.Action == "consent.withdraw" && !strings.Contains(e.Detail, "unconfirmed-year") {
				t.Fatalf("the journal does not say the year is unconfirmed: %s", e.Detail)
			}
		}
	})
}
