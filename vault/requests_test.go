package vault_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/derbes/derbes/calendar"
	"github.com/derbes/derbes/request"
	"github.com/derbes/derbes/store"
	"github.com/derbes/derbes/vault"
)

// identified is a request carrying every requisite the default policy asks.
func identified(kind, subject string) vault.NewRequest {
	return vault.NewRequest{Kind: kind, Channel: "letter", Lang: "kk", Subject: subject, Content: request.Content{
		Requester: request.Requester{FullName: name},
		Identity: request.Identity{FullName: name, IIN: iin, Signature: true,
			IDDocument: &request.IDDocument{Number: "049213456", Issued: "2019-05-14", Issuer: "ҚР ІІМ"}},
	}}
}

var allChecked = []string{request.ReqFullName, request.ReqIDDocument, request.ReqSignature, request.ReqIIN}

func TestACorrectionConfirmedBeforeNaurizIsDueAfterIt(t *testing.T) {
	each(t, func(t *testing.T, b *bundle) {
		ctx := context.Background()
		sid, rid, err := split(b.vault.CreateSubject(ctx, app, newAppeal()))
		if err != nil {
			t.Fatal(err)
		}
		received := time.Date(2026, 3, 19, 11, 0, 0, 0, calendar.Location())
		b.vault.SetClock(func() time.Time { return received })
		nr := identified(request.Correction, sid)
		nr.Record, nr.Corrections = rid, map[string]string{"address": "Астана, Есіл ауданы, 12-үй"}
		r, err := b.vault.SubmitRequest(ctx, app, nr)
		if err != nil {
			t.Fatal(err)
		}
		confirmed := time.Date(2026, 3, 20, 16, 0, 0, 0, calendar.Location()) // Friday before Nauryz
		b.vault.SetClock(func() time.Time { return confirmed.Add(time.Hour) })
		r, err = b.vault.VerifyRequest(ctx, app, r.ID, vault.Verification{Checked: allChecked, ConfirmedAt: &confirmed})
		if err != nil {
			t.Fatal(err)
		}
		if got := r.Due.In(calendar.Location()).Format("Mon 2006-01-02"); got != "Thu 2026-03-26" {
			t.Fatalf("due %s, want Thu 2026-03-26 (one working day after Friday 20 March, Nauryz days off between)", got)
		}
		b.vault.SetClock(time.Now)
		if _, err := b.vault.FulfilRequest(ctx, app, r.ID, vault.Fulfilment{}); err != nil {
			t.Fatal(err)
		}
		rec, err := b.vault.GetRecord(ctx, app, rid, "appeals", nil)
		if err != nil || rec.Fields["address"] != "Астана, Есіл ауданы, 12-үй" {
			t.Fatalf("after the correction: %+v %v", rec, err)
		}
		if b.env.Dialect == "sqlite" {
			for _, hay := range dump(t, b) {
				if bytes.Contains(hay.data, []byte("Сарыарқа")) || bytes.Contains(hay.data, []byte("12-үй")) {
					t.Errorf("an address in plaintext in %s", hay.name)
				}
			}
		}
	})
}

func TestARequestWithoutIdentityRequisitesGetsAReasonedRefusal(t *testing.T) {
	each(t, func(t *testing.T, b *bundle) {
		ctx := context.Background()
		sid, _, err := split(b.vault.CreateSubject(ctx, app, newAppeal()))
		if err != nil {
			t.Fatal(err)
		}
		nr := identified(request.Information, sid)
		nr.Identity.IDDocument, nr.Identity.Signature = nil, false
		r, err := b.vault.SubmitRequest(ctx, app, nr)
		if err != nil {
			t.Fatal(err)
		}
		r, err = b.vault.VerifyRequest(ctx, app, r.ID, vault.Verification{Checked: allChecked})
		if err != nil {
			t.Fatal(err)
		}
		if r.State != request.Answered || r.Outcome != request.Refused || r.Refusal != request.RefusedIdentity {
			t.Fatalf("request after verification: %+v", r)
		}
		l, err := b.vault.Answer(ctx, app, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		if l.Reason != request.RefusedIdentity || strings.Join(l.Missing, ",") != "id_document,signature" || l.Addressee != name {
			t.Fatalf("letter: %+v", l)
		}
		if _, err := l.PDF("kk"); err != nil {
			t.Fatalf("the refusal letter does not render: %v", err)
		}
		seen := map[string]bool{}
		for _, e := range journalOf(t, b) {
			if strings.Contains(e.Detail, r.ID) {
				seen[e.Action] = true
			}
		}
		for _, a := range []string{"request.receive", "request.refuse", "request.answer-sent"} {
			if !seen[a] {
				t.Errorf("the journal lacks %s: %v", a, seen)
			}
		}
	})
}

func TestBlockingStopsEveryReadUntilUnblocked(t *testing.T) {
	each(t, func(t *testing.T, b *bundle) {
		ctx := context.Background()
		sid, rid, err := split(b.vault.CreateSubject(ctx, app, newAppeal()))
		if err != nil {
			t.Fatal(err)
		}
		sr, err := b.vault.AddRecord(ctx, app, sid, vault.NewRecord{Purpose: "stats", Channel: "call", Fields: map[string]string{"address": address}})
		if err != nil {
			t.Fatal(err)
		}
		handle := func(kind string) {
			t.Helper()
			r, err := b.vault.SubmitRequest(ctx, app, identified(kind, sid))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := b.vault.VerifyRequest(ctx, app, r.ID, vault.Verification{Checked: allChecked}); err != nil {
				t.Fatal(err)
			}
			if _, err := b.vault.FulfilRequest(ctx, app, r.ID, vault.Fulfilment{}); err != nil {
				t.Fatal(err)
			}
		}
		handle(request.Blocking)
		for _, x := range []struct{ id, purpose string }{{rid, "appeals"}, {sr, "stats"}} {
			_, err := b.vault.GetRecord(ctx, app, x.id, x.purpose, nil)
			if p, ok := vault.AsProblem(err); !ok || p.Kind != vault.Locked {
				t.Fatalf("reading a blocked %s record: %v", x.purpose, err)
			}
		}
		// The request's own handling still works: an information request
		// about the blocked subject is answered.
		r, _ := b.vault.SubmitRequest(ctx, app, identified(request.Information, sid))
		b.vault.VerifyRequest(ctx, app, r.ID, vault.Verification{Checked: allChecked})
		if _, err := b.vault.FulfilRequest(ctx, app, r.ID, vault.Fulfilment{}); err != nil {
			t.Fatalf("answering while blocked: %v", err)
		}
		handle(request.Unblocking)
		if _, err := b.vault.GetRecord(ctx, app, rid, "appeals", nil); err != nil {
			t.Fatalf("reading after unblocking: %v", err)
		}
		locked := 0
		for _, e := range journalOf(t, b) {
			if e.Outcome == "denied" && strings.Contains(e.Detail, `"blocked"`) {
				locked++
			}
		}
		if locked != 2 {
			t.Fatalf("%d refused reads journaled, want 2", locked)
		}
	})
}

func TestTheInformationAnswerListsExactlyWhatIsHeld(t *testing.T) {
	each(t, func(t *testing.T, b *bundle) {
		ctx := context.Background()
		sid, rid, err := split(b.vault.CreateSubject(ctx, app, newAppeal()))
		if err != nil {
			t.Fatal(err)
		}
		sr, err := b.vault.AddRecord(ctx, app, sid, vault.NewRecord{Purpose: "stats", Channel: "call", Fields: map[string]string{"address": address}})
		if err != nil {
			t.Fatal(err)
		}
		other := newAppeal()
		other.Identifiers = map[string]string{"iin": "900115301235"}
		other.Record.Fields = map[string]string{"full_name": "Басқа Адам", "appeal_text": "басқа өтініш"}
		if _, err := b.vault.CreateSubject(ctx, app, other); err != nil {
			t.Fatal(err)
		}
		r, _ := b.vault.SubmitRequest(ctx, app, identified(request.Information, sid))
		if _, err := b.vault.VerifyRequest(ctx, app, r.ID, vault.Verification{Checked: allChecked}); err != nil {
			t.Fatal(err)
		}
		if _, err := b.vault.FulfilRequest(ctx, app, r.ID, vault.Fulfilment{IncludeValues: true}); err != nil {
			t.Fatal(err)
		}
		l, err := b.vault.Answer(ctx, app, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]request.HeldRecord{}
		for _, h := range l.Held {
			got[h.Record] = h
		}
		if len(got) != 3 || got["identifiers"].Record == "" {
			t.Fatalf("held: %+v", l.Held)
		}
		ap, st := got[rid], got[sr]
		if ap.Purpose.ID != "appeals" || ap.Ground.ID != "consent" || ap.Channel.ID != "call" || len(ap.Recipients) != 1 || ap.Recipients[0].ID != "akimat" {
			t.Fatalf("the appeal: %+v", ap)
		}
		if st.Purpose.ID != "stats" || st.Ground.ID != "depersonalised-statistics" || len(st.Recipients) != 0 || !strings.Contains(st.Retention, "depersonalise") {
			t.Fatalf("the statistics record: %+v", st)
		}
		values := map[string]string{}
		for _, h := range l.Held {
			for _, f := range h.Data {
				values[h.Record+"/"+f.ID] = f.Value
			}
		}
		if values[rid+"/full_name"] != name || values["identifiers/iin"] != iin || values[sr+"/address"] != address {
			t.Fatalf("values: %v", values)
		}
		pdf, err := l.PDF("ru")
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range []string{"900115301235", "Басқа Адам", "басқа өтініш"} {
			if bytes.Contains(pdf, []byte(s)) || strings.Contains(values[rid+"/appeal_text"], s) {
				t.Fatalf("another subject's %q is in the answer", s)
			}
		}
	})
}

func TestOverdueRequestsComeFirst(t *testing.T) {
	each(t, func(t *testing.T, b *bundle) {
		ctx := context.Background()
		sid, _, err := split(b.vault.CreateSubject(ctx, app, newAppeal()))
		if err != nil {
			t.Fatal(err)
		}
		b.vault.SetClock(func() time.Time { return time.Date(2026, 3, 2, 9, 0, 0, 0, calendar.Location()) })
		old, err := b.vault.SubmitRequest(ctx, app, identified(request.Objection, sid))
		if err != nil {
			t.Fatal(err)
		}
		b.vault.SetClock(time.Now)
		fresh, err := b.vault.SubmitRequest(ctx, app, identified(request.Information, sid))
		if err != nil {
			t.Fatal(err)
		}
		list, err := b.vault.ListRequests(ctx, app, store.RequestFilter{OverdueAt: time.Now()})
		if err != nil {
			t.Fatal(err)
		}
		if len(list) != 1 || list[0].ID != old.ID || !list[0].Overdue {
			t.Fatalf("overdue list: %+v", list)
		}
		all, _ := b.vault.ListRequests(ctx, app, store.RequestFilter{})
		if len(all) != 2 || all[0].ID != old.ID || all[1].ID != fresh.ID {
			t.Fatalf("the whole list: %+v", all)
		}
		analyst := vault.Actor{ID: "apikey:analyst", Role: "analyst"}
		if _, err := b.vault.ListRequests(ctx, analyst, store.RequestFilter{}); code(err) != "action-not-allowed" {
			t.Fatalf("a role without requests: %v", code(err))
		}
	})
}

func TestARequestAwaitingDocumentsWaitsInVerifying(t *testing.T) {
	each(t, func(t *testing.T, b *bundle) {
		ctx := context.Background()
		sid, _, err := split(b.vault.CreateSubject(ctx, app, newAppeal()))
		if err != nil {
			t.Fatal(err)
		}
		r, _ := b.vault.SubmitRequest(ctx, app, identified(request.Destruction, sid))
		r, err = b.vault.VerifyRequest(ctx, app, r.ID, vault.Verification{Checked: []string{request.ReqFullName}, Await: true})
		if err != nil || r.State != request.Verifying {
			t.Fatalf("awaiting documents: %+v %v", r, err)
		}
		r, err = b.vault.VerifyRequest(ctx, app, r.ID, vault.Verification{Checked: allChecked})
		if err != nil || r.State != request.InProgress {
			t.Fatalf("documents arrived: %+v %v", r, err)
		}
		if _, err := b.vault.FulfilRequest(ctx, app, r.ID, vault.Fulfilment{}); err != nil {
			t.Fatal(err)
		}
		if ids, _ := b.vault.Lookup(ctx, app, "appeals", "iin", iin); len(ids) != 0 {
			t.Fatal("the subject was not destroyed")
		}
	})
}
