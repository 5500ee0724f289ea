package vault_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/derbes/derbes/journal"
	"github.com/derbes/derbes/request"
	"github.com/derbes/derbes/vault"
)

// signIn asks a code for the IIN by phone and signs in with it.
func signIn(t *testing.T, b *bundle, iin string) string {
	t.Helper()
	ctx := context.Background()
	c, err := b.vault.PortalSendCode(ctx, iin, vault.ChannelPhone)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := b.vault.PortalSignIn(ctx, c.Challenge, c.Code)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func TestAResidentSignsInWithTheCodeSentToHerPhone(t *testing.T) {
	each(t, func(t *testing.T, b *bundle) {
		ctx := context.Background()
		sid, _, err := split(b.vault.CreateSubject(ctx, app, newAppeal()))
		if err != nil {
			t.Fatal(err)
		}
		ch, err := b.vault.PortalChannels(ctx, iin)
		if err != nil {
			t.Fatal(err)
		}
		if len(ch) != 2 || ch[0].Masked != "+7 701 *** ** 67" || ch[1].Masked != "a***********@example.kz" {
			t.Fatalf("channels = %+v", ch)
		}
		c, err := b.vault.PortalSendCode(ctx, iin, vault.ChannelPhone)
		if err != nil {
			t.Fatal(err)
		}
		if c.To != phone || len(c.Code) != 6 || c.Masked != "+7 701 *** ** 67" {
			t.Fatalf("code to %q (%q), %d digits", c.To, c.Masked, len(c.Code))
		}
		tok, err := b.vault.PortalSignIn(ctx, c.Challenge, c.Code)
		if err != nil {
			t.Fatal(err)
		}
		got, err := b.vault.PortalSession(ctx, tok)
		if err != nil || got != sid {
			t.Fatalf("session subject = %q, %v; want %s", got, err, sid)
		}
		if _, err := b.vault.PortalSignIn(ctx, c.Challenge, c.Code); !errors.Is(err, vault.ErrPortalCodeExpired) {
			t.Fatalf("a used code again: %v", err)
		}
		if err := b.vault.PortalSignOut(ctx, tok); err != nil {
			t.Fatal(err)
		}
		if _, err := b.vault.PortalSession(ctx, tok); !errors.Is(err, vault.ErrPortalSession) {
			t.Fatalf("after sign-out: %v", err)
		}
		// The code is in the database only as a keyed hash.
		for _, p := range []string{c.Code, phone} {
			if strings.Contains(codeRows(t, b), p) {
				t.Fatalf("%q is in the database in plain text", p)
			}
		}
	})
}

func codeRows(t *testing.T, b *bundle) string {
	t.Helper()
	rows, err := b.env.Raw.Query("SELECT id, code_hash FROM portal_codes")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var sb strings.Builder
	for rows.Next() {
		var id string
		var h []byte
		if err := rows.Scan(&id, &h); err != nil {
			t.Fatal(err)
		}
		sb.WriteString(id + string(h))
	}
	return sb.String()
}

func TestAWrongCodeCountsAndFiveWrongOnesSpendTheCode(t *testing.T) {
	each(t, func(t *testing.T, b *bundle) {
		ctx := context.Background()
		if _, err := b.vault.CreateSubject(ctx, app, newAppeal()); err != nil {
			t.Fatal(err)
		}
		c, err := b.vault.PortalSendCode(ctx, iin, vault.ChannelPhone)
		if err != nil {
			t.Fatal(err)
		}
		wrong := "000000"
		if c.Code == wrong {
			wrong = "111111"
		}
		for i := range vault.PortalCodeAttempts {
			if _, err := b.vault.PortalSignIn(ctx, c.Challenge, wrong); !errors.Is(err, vault.ErrPortalCodeWrong) {
				t.Fatalf("attempt %d: %v", i+1, err)
			}
		}
		if _, err := b.vault.PortalSignIn(ctx, c.Challenge, c.Code); !errors.Is(err, vault.ErrPortalCodeExpired) {
			t.Fatalf("the right code after five wrong ones: %v", err)
		}
		denied := 0
		for _, e := range journalOf(t, b) {
			if e.Action == "portal.sign-in" && e.Outcome == journal.Denied {
				denied++
			}
		}
		if denied != vault.PortalCodeAttempts {
			t.Fatalf("journaled %d refused sign-ins, want %d", denied, vault.PortalCodeAttempts)
		}
	})
}

func TestACodeExpiresAfterTenMinutes(t *testing.T) {
	each(t, func(t *testing.T, b *bundle) {
		ctx := context.Background()
		if _, err := b.vault.CreateSubject(ctx, app, newAppeal()); err != nil {
			t.Fatal(err)
		}
		at := time.Now().UTC().Truncate(time.Microsecond)
		b.vault.SetClock(func() time.Time { return at })
		c, err := b.vault.PortalSendCode(ctx, iin, vault.ChannelPhone)
		if err != nil {
			t.Fatal(err)
		}
		b.vault.SetClock(func() time.Time { return at.Add(vault.PortalCodeFor) })
		if _, err := b.vault.PortalSignIn(ctx, c.Challenge, c.Code); !errors.Is(err, vault.ErrPortalCodeExpired) {
			t.Fatalf("a code ten minutes old: %v", err)
		}
	})
}

func TestCodesPerIINAreLimitedWhetherOrNotTheIINIsKnown(t *testing.T) {
	each(t, func(t *testing.T, b *bundle) {
		ctx := context.Background()
		if _, err := b.vault.CreateSubject(ctx, app, newAppeal()); err != nil {
			t.Fatal(err)
		}
		const unknown = "900101300126"
		for _, who := range []string{iin, unknown} {
			for i := range vault.PortalCodesPerHour {
				if _, err := b.vault.PortalSendCode(ctx, who, vault.ChannelPhone); err != nil {
					t.Fatalf("code %d: %v", i+1, err)
				}
			}
			if _, err := b.vault.PortalSendCode(ctx, who, vault.ChannelEmail); !errors.Is(err, vault.ErrPortalTooMany) {
				t.Fatalf("one code too many: %v", err)
			}
		}
	})
}

func TestAnUnknownIINLooksLikeAKnownOne(t *testing.T) {
	each(t, func(t *testing.T, b *bundle) {
		ctx := context.Background()
		if _, err := b.vault.CreateSubject(ctx, app, newAppeal()); err != nil {
			t.Fatal(err)
		}
		const unknown = "900101300126"
		ch, err := b.vault.PortalChannels(ctx, unknown)
		if err != nil {
			t.Fatal(err)
		}
		if len(ch) != 2 || !strings.HasPrefix(ch[0].Masked, "+7 7") || !strings.Contains(ch[1].Masked, "*@") {
			t.Fatalf("channels of an unknown IIN = %+v; want masks like a known one's", ch)
		}
		again, _ := b.vault.PortalChannels(ctx, unknown)
		if !slices.Equal(ch, again) {
			t.Fatalf("the made-up masks change: %+v, then %+v", ch, again)
		}
		c, err := b.vault.PortalSendCode(ctx, unknown, vault.ChannelPhone)
		if err != nil || c.Challenge == "" || c.To != "" || c.Code != "" || c.Masked != ch[0].Masked {
			t.Fatalf("code for an unknown IIN: %+v, %v", c, err)
		}
		if _, err := b.vault.PortalSignIn(ctx, c.Challenge, "123456"); !errors.Is(err, vault.ErrPortalCodeWrong) {
			t.Fatalf("signing in for an unknown IIN: %v", err)
		}
		if _, err := b.vault.PortalChannels(ctx, "123"); err == nil {
			t.Fatalf("a malformed IIN: %v", err)
		}
	})
}

func TestSheSeesHerDataWithdrawsHerConsentAndAsksForTheLetter(t *testing.T) {
	each(t, func(t *testing.T, b *bundle) {
		ctx := context.Background()
		sid, _, err := split(b.vault.CreateSubject(ctx, app, newAppeal()))
		if err != nil {
			t.Fatal(err)
		}
		subject, err := b.vault.PortalSession(ctx, signIn(t, b, iin))
		if err != nil {
			t.Fatal(err)
		}
		v, err := b.vault.PortalHeld(ctx, subject)
		if err != nil {
			t.Fatal(err)
		}
		var values []string
		for _, h := range v.Held {
			for _, f := range h.Data {
				values = append(values, f.Value)
			}
		}
		if !slices.Contains(values, name) || !slices.Contains(values, text) || len(v.Consents) != 1 || !v.Consents[0].Live {
			t.Fatalf("held = %v, consents = %d", values, len(v.Consents))
		}
		read := false
		for _, e := range journalOf(t, b) {
			if e.Action == journal.SubjectRead && e.Actor == vault.PortalActor.ID && e.Subject == sid && e.Purpose == vault.PortalPurpose {
				read = true
			}
		}
		if !read {
			t.Fatal("her read is not journaled")
		}

		res, err := b.vault.PortalWithdraw(ctx, subject, v.Consents[0].ID)
		if err != nil {
			t.Fatal(err)
		}
		if res.Due == nil || len(res.Queued) != 1 {
			t.Fatalf("withdrawal: %+v", res)
		}
		v, _ = b.vault.PortalHeld(ctx, subject)
		if v.Consents[0].Live || v.Consents[0].State != "withdrawn" {
			t.Fatalf("after withdrawal the consent is %s", v.Consents[0].State)
		}

		r, err := b.vault.PortalRequest(ctx, subject, request.Correction, "ru", "Мекенжай қате")
		if err != nil {
			t.Fatal(err)
		}
		if r.State != request.InProgress || r.Channel != "portal" || r.Due == nil {
			t.Fatalf("request: %+v", r)
		}
		if _, err := b.vault.PortalRequest(ctx, subject, request.Correction, "ru", " "); code(err) != "value-required" {
			t.Fatalf("a correction without words: %v", err)
		}
		if _, err := b.vault.PortalRequest(ctx, subject, request.Withdrawal, "ru", "x"); code(err) != "unknown-kind" {
			t.Fatalf("a kind the portal does not take: %v", err)
		}

		v, _ = b.vault.PortalHeld(ctx, subject)
		if len(v.Requests) != 1 || v.Requests[0].ID != r.ID || v.Requests[0].Kind != request.Correction {
			t.Fatalf("her requests: %+v", v.Requests)
		}

		l, err := b.vault.PortalLetter(ctx, subject, "en")
		if err != nil {
			t.Fatal(err)
		}
		if l.Outcome != request.Fulfilled || l.Addressee != name || len(l.Held) < 2 {
			t.Fatalf("letter: outcome %s, to %q, %d held", l.Outcome, l.Addressee, len(l.Held))
		}
		if _, err := l.PDF("en"); err != nil {
			t.Fatal(err)
		}
	})
}

func TestSheCannotWithdrawAnotherSubjectsConsent(t *testing.T) {
	each(t, func(t *testing.T, b *bundle) {
		ctx := context.Background()
		if _, err := b.vault.CreateSubject(ctx, app, newAppeal()); err != nil {
			t.Fatal(err)
		}
		other := newAppeal()
		other.Identifiers = map[string]string{"iin": "900101300126", "phone": "+77021112233"}
		oid, _, err := split(b.vault.CreateSubject(ctx, app, other))
		if err != nil {
			t.Fatal(err)
		}
		cs, err := b.vault.Consents(ctx, app, oid, "appeals")
		if err != nil {
			t.Fatal(err)
		}
		subject, _ := b.vault.PortalSession(ctx, signIn(t, b, iin))
		if _, err := b.vault.PortalWithdraw(ctx, subject, cs[0].ID); code(err) != "not-found" {
			t.Fatalf("withdrawing another's consent: %v", err)
		}
	})
}

func TestConcurrentTriesCannotExceedTheLimit(t *testing.T) {
	each(t, func(t *testing.T, b *bundle) {
		ctx := context.Background()
		if _, err := b.vault.CreateSubject(ctx, app, newAppeal()); err != nil {
			t.Fatal(err)
		}
		c, err := b.vault.PortalSendCode(ctx, iin, vault.ChannelPhone)
		if err != nil {
			t.Fatal(err)
		}
		wrong := "000000"
		if c.Code == wrong {
			wrong = "111111"
		}
		var wg sync.WaitGroup
		var mu sync.Mutex
		counted := 0
		for range 3 * vault.PortalCodeAttempts {
			wg.Go(func() {
				_, err := b.vault.PortalSignIn(ctx, c.Challenge, wrong)
				if errors.Is(err, vault.ErrPortalCodeWrong) {
					mu.Lock()
					counted++
					mu.Unlock()
				} else if !errors.Is(err, vault.ErrPortalCodeExpired) {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		if counted != vault.PortalCodeAttempts {
			t.Fatalf("%d tries were let through, want %d", counted, vault.PortalCodeAttempts)
		}
	})
}

func TestSheSeesWhoReceivedHerData(t *testing.T) {
	each(t, func(t *testing.T, b *bundle) {
		ctx := context.Background()
		ns := newAppeal()
		ns.Consent.ThirdParty = true
		sid, _, err := split(b.vault.CreateSubject(ctx, app, ns))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := b.vault.CreateTransfer(ctx, app, vault.NewTransfer{Subject: sid, Recipient: "akimat", Purpose: "appeals", Fields: []string{"full_name", "appeal_text"}}); err != nil {
			t.Fatal(err)
		}
		subject, _ := b.vault.PortalSession(ctx, signIn(t, b, iin))
		v, err := b.vault.PortalHeld(ctx, subject)
		if err != nil {
			t.Fatal(err)
		}
		if len(v.Transfers) != 1 || v.Transfers[0].Recipient.ID != "akimat" || len(v.Transfers[0].Fields) != 2 {
			t.Fatalf("transfers: %+v", v.Transfers)
		}
	})
}
