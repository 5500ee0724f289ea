package vault_test

import (
	"context"
	"errors"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/derbes/derbes/calendar"
	"github.com/derbes/derbes/notify"
	"github.com/derbes/derbes/policy"
	"github.com/derbes/derbes/request"
	"github.com/derbes/derbes/store/storetest"
	"github.com/derbes/derbes/vault"
)

// withAbroad is the minimal policy with a processor in Germany that the
// appeals purpose may pass data to.
func withAbroad(t *testing.T, dialect string) *bundle {
	t.Helper()
	src, err := os.ReadFile("../policy/testdata/minimal.yaml")
	if err != nil {
		t.Fatal(err)
	}
	s := strings.Replace(string(src), "recipients:\n", "recipients:\n  - {id: cloud, kind: processor, country: DE, title: {kk: Бұлт, ru: Облако, en: Cloud}}\n", 1)
	s = strings.Replace(s, "recipients: [akimat]", "recipients: [akimat, cloud]", 1)
	p, err := policy.Parse("abroad.yaml", []byte(s))
	if err != nil {
		t.Fatal(err)
	}
	b := setup(t, dialect)
	if _, err := b.vault.Activate(context.Background(), vault.System, p, []byte(s)); err != nil {
		t.Fatal(err)
	}
	return b
}

func eachAbroad(t *testing.T, fn func(t *testing.T, b *bundle)) {
	t.Parallel()
	for _, d := range storetest.Dialects {
		t.Run(d, func(t *testing.T) {
			t.Parallel()
			fn(t, withAbroad(t, d))
		})
	}
}

func TestATransferTheConsentDoesNotAllowIsRefusedAndNothingDisclosed(t *testing.T) {
	eachAbroad(t, func(t *testing.T, b *bundle) {
		ctx := context.Background()
		sid, _, err := split(b.vault.CreateSubject(ctx, app, newAppeal())) // third_party_transfer: false
		if err != nil {
			t.Fatal(err)
		}
		nt := vault.NewTransfer{Subject: sid, Recipient: "akimat", Purpose: "appeals", Fields: []string{"full_name", "appeal_text"}, GrantFor: time.Hour}
		for _, tc := range []struct {
			edit func(*vault.NewTransfer)
			code string
		}{
			{func(*vault.NewTransfer) {}, "consent-does-not-allow"},
			{func(x *vault.NewTransfer) { x.Recipient = "nobody" }, "unknown-recipient"},
			{func(x *vault.NewTransfer) { x.Purpose, x.Fields = "stats", []string{"address"} }, "recipient-not-allowed"},
			{func(x *vault.NewTransfer) { x.Ground = "law-enforcement" }, "reference-required"},
			{func(x *vault.NewTransfer) { x.Recipient, x.Ground, x.Reference = "cloud", "law-enforcement", "№ 5" }, "cross-border-not-allowed"},
			{func(x *vault.NewTransfer) { x.Fields = []string{"health"} }, "field-not-visible"},
		} {
			x := nt
			tc.edit(&x)
			if _, err := b.vault.CreateTransfer(ctx, app, x); code(err) != tc.code {
				t.Errorf("%+v: %v, want %s", x, code(err), tc.code)
			}
		}
		list, err := b.vault.ListTransfers(ctx, app, sid, "")
		if err != nil || len(list) != 0 {
			t.Fatalf("refused transfers were registered: %+v %v", list, err)
		}
		refused := 0
		for _, e := range journalOf(t, b) {
			if e.Action == "transfer.create" && e.Outcome == "denied" {
				refused++
			}
		}
		if refused != 6 {
			t.Fatalf("%d refusals journaled, want 6", refused)
		}
	})
}

func TestARecipientReadsExactlyWhatWasPassedUntilRevoked(t *testing.T) {
	eachAbroad(t, func(t *testing.T, b *bundle) {
		ctx := context.Background()
		ns := newAppeal()
		ns.Consent.ThirdParty = true
		sid, rid, err := split(b.vault.CreateSubject(ctx, app, ns))
		if err != nil {
			t.Fatal(err)
		}
		other := newAppeal()
		other.Consent.ThirdParty = true
		other.Identifiers = map[string]string{"iin": "900115301235"}
		osid, orid, err := split(b.vault.CreateSubject(ctx, app, other))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := b.vault.CreateTransfer(ctx, app, vault.NewTransfer{Subject: osid, Recipient: "akimat", Purpose: "appeals", Fields: []string{"full_name"}}); err != nil {
			t.Fatal(err)
		}
		x, err := b.vault.CreateTransfer(ctx, app, vault.NewTransfer{Subject: sid, Recipient: "akimat", Purpose: "appeals",
			Fields: []string{"phone", "appeal_text"}, GrantFor: 2 * time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		if x.Grant == nil || x.Consent == "" || x.CrossBorder {
			t.Fatalf("transfer: %+v", x)
		}
		sh, err := b.vault.ReadShared(ctx, x.Grant.Token, "", nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(sh.Records) != 1 || sh.Records[0].ID != rid || len(sh.Records[0].Fields) != 1 || sh.Records[0].Fields["appeal_text"] != text ||
			sh.Identifiers["phone"] != phone || len(sh.Identifiers) != 1 {
			t.Fatalf("shared: %+v", sh)
		}
		if _, err := b.vault.ReadShared(ctx, x.Grant.Token, "", []string{"full_name"}); code(err) != "field-not-granted" {
			t.Fatalf("another field: %v", code(err))
		}
		if _, err := b.vault.ReadShared(ctx, x.Grant.Token, orid, nil); code(err) != "record-not-granted" {
			t.Fatalf("another subject's record: %v", code(err))
		}
		b.vault.SetClock(func() time.Time { return time.Now().Add(3 * time.Hour) })
		if _, err := b.vault.ReadShared(ctx, x.Grant.Token, "", nil); !errors.Is(err, vault.ErrBadGrant) {
			t.Fatalf("after expiry: %v", err)
		}
		b.vault.SetClock(time.Now)
		if err := b.vault.RevokeTransfer(ctx, app, x.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := b.vault.ReadShared(ctx, x.Grant.Token, "", nil); !errors.Is(err, vault.ErrBadGrant) {
			t.Fatalf("after revocation: %v", err)
		}
		reads := 0
		for _, e := range journalOf(t, b) {
			if strings.HasPrefix(e.Actor, "recipient:akimat/grant:") && e.Action == "record.read" && e.Outcome == "ok" {
				reads++
			}
		}
		if reads != 1 {
			t.Fatalf("%d reads journaled as the recipient's, want 1", reads)
		}
		late := 0
		for _, e := range journalOf(t, b) {
			if e.Action == "shared.read" && e.Outcome == "denied" && strings.Contains(e.Detail, "grant-invalid") {
				late++
			}
		}
		if late != 2 {
			t.Fatalf("%d reads with an expired or revoked grant journaled, want 2", late)
		}

		// The subject asks who received their data: the register answers.
		r, _ := b.vault.SubmitRequest(ctx, app, identified(request.Information, sid))
		b.vault.VerifyRequest(ctx, app, r.ID, vault.Verification{Checked: allChecked})
		b.vault.FulfilRequest(ctx, app, r.ID, vault.Fulfilment{})
		l, err := b.vault.Answer(ctx, app, r.ID)
		if err != nil || len(l.Transfers) != 1 || l.Transfers[0].Recipient.ID != "akimat" || len(l.Transfers[0].Fields) != 2 {
			t.Fatalf("transfers in the information answer: %+v %v", l, err)
		}
	})
}

func TestCrossBorderNeedsTheConsentsPermission(t *testing.T) {
	eachAbroad(t, func(t *testing.T, b *bundle) {
		ctx := context.Background()
		ns := newAppeal()
		ns.Consent.ThirdParty = true
		sid, _, err := split(b.vault.CreateSubject(ctx, app, ns))
		if err != nil {
			t.Fatal(err)
		}
		nt := vault.NewTransfer{Subject: sid, Recipient: "cloud", Purpose: "appeals", Fields: []string{"appeal_text"}}
		if _, err := b.vault.CreateTransfer(ctx, app, nt); code(err) != "cross-border-not-allowed" {
			t.Fatalf("abroad without the consent's permission: %v", code(err))
		}
		c := appealConsent()
		c.CrossBorder = true
		if _, err := b.vault.GiveConsent(ctx, app, sid, *c); err != nil {
			t.Fatal(err)
		}
		x, err := b.vault.CreateTransfer(ctx, app, nt)
		if err != nil || !x.CrossBorder || x.Country != "DE" {
			t.Fatalf("abroad with permission: %+v %v", x, err)
		}
	})
}

type outbox struct {
	mu   sync.Mutex
	sent []notify.Message
}

func (o *outbox) Notify(_ context.Context, m notify.Message) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.sent = append(o.sent, m)
	return nil
}

func TestTheSubjectIsToldOfATransferWhenTheirConsentAsks(t *testing.T) {
	each(t, func(t *testing.T, b *bundle) {
		ctx := context.Background()
		ns := newAppeal()
		ns.Consent.ThirdParty, ns.Consent.NotifyTransfers = true, true
		sid, _, err := split(b.vault.CreateSubject(ctx, app, ns))
		if err != nil {
			t.Fatal(err)
		}
		at := time.Date(2026, 3, 20, 17, 0, 0, 0, calendar.Location())
		b.vault.SetClock(func() time.Time { return at })
		x, err := b.vault.CreateTransfer(ctx, app, vault.NewTransfer{Subject: sid, Recipient: "akimat", Purpose: "appeals", Fields: []string{"appeal_text"}})
		if err != nil {
			t.Fatal(err)
		}
		want, _ := calendar.Default().AddWorkingDays(at, 10)
		if x.NotifyDue == nil || !sameDay(*x.NotifyDue, want) {
			t.Fatalf("notice due %v, want the 10th working day %v (Art. 19)", x.NotifyDue, want)
		}
		b.vault.SetClock(time.Now)
		o := &outbox{}
		sent, waiting, err := b.vault.NotifyTransfers(ctx, o)
		if err != nil || sent != 1 || waiting != 0 || len(o.sent) != 1 || o.sent[0].To != email || o.sent[0].Ref != x.ID {
			t.Fatalf("notify: %d sent, %d waiting, %v, %+v", sent, waiting, err, o.sent)
		}
		if sent, _, _ := b.vault.NotifyTransfers(ctx, o); sent != 0 {
			t.Fatal("a notice was sent twice")
		}
		for _, e := range journalOf(t, b) {
			if strings.Contains(e.Detail, email) {
				t.Fatalf("the journal holds the address: %s", e.Detail)
			}
		}
	})
}

type fakePusher struct {
	mu   sync.Mutex
	sent map[string][]byte
}

func (f *fakePusher) Push(_ context.Context, recipient, transfer string, payload []byte) error {
	if recipient != "akimat" {
		return vault.ErrNoPush
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.sent[transfer] = payload
	return nil
}

func TestATransferPushedToTheRecipientCarriesExactlyItsFields(t *testing.T) {
	eachAbroad(t, func(t *testing.T, b *bundle) {
		ctx := context.Background()
		ns := newAppeal()
		ns.Consent.ThirdParty, ns.Consent.CrossBorder = true, true
		sid, _, err := split(b.vault.CreateSubject(ctx, app, ns))
		if err != nil {
			t.Fatal(err)
		}
		if err := b.vault.PushTransfer(ctx, app, "dbg_x"); code(err) != "push-not-configured" {
			t.Fatalf("without a pusher: %v", code(err))
		}
		p := &fakePusher{sent: map[string][]byte{}}
		b.vault.WithPusher(p)
		x, err := b.vault.CreateTransfer(ctx, app, vault.NewTransfer{Subject: sid, Recipient: "akimat", Purpose: "appeals", Fields: []string{"appeal_text"}, GrantFor: time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		if err := b.vault.PushTransfer(ctx, app, x.Grant.Token); err != nil {
			t.Fatal(err)
		}
		got := string(p.sent[x.ID])
		if !strings.Contains(got, text) || strings.Contains(got, name) || strings.Contains(got, iin) {
			t.Fatalf("pushed: %s", got)
		}
		y, err := b.vault.CreateTransfer(ctx, app, vault.NewTransfer{Subject: sid, Recipient: "cloud", Purpose: "appeals", Fields: []string{"appeal_text"}, GrantFor: time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		if err := b.vault.PushTransfer(ctx, app, y.Grant.Token); code(err) != "no-push-endpoint" {
			t.Fatalf("a recipient without an endpoint: %v", code(err))
		}
		pushes := map[string]int{}
		for _, e := range journalOf(t, b) {
			if e.Action == "transfer.push" {
				pushes[e.Outcome]++
			}
		}
		if pushes["ok"] != 1 || pushes["failed"] != 1 {
			t.Fatalf("journal: %v", pushes)
		}
	})
}
