package vault_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/derbes/derbes/access"
	"github.com/derbes/derbes/vault"
)

func TestARoleSeesMaskedWhatThePolicyMasksAndNothingItDenies(t *testing.T) {
	each(t, func(t *testing.T, b *bundle) {
		ctx := context.Background()
		sid, rid, err := split(b.vault.CreateSubject(ctx, app, newAppeal()))
		if err != nil {
			t.Fatal(err)
		}
		edit(t, b, "    fields: [iin, full_name, phone, email, address, appeal_text]\n",
			"    fields: [full_name, email, address, appeal_text]\n    masked: [iin, phone]\n")
		s, err := b.vault.GetSubject(ctx, app, sid, "appeals")
		if err != nil {
			t.Fatal(err)
		}
		if s.Identifiers["iin"] != "95031*******" || s.Identifiers["phone"] != "+7 701 *** ** 67" || s.Identifiers["email"] != email {
			t.Fatalf("identifiers: %v", s.Identifiers)
		}
		if strings.Join(s.Masked, ",") != "iin,phone" {
			t.Fatalf("masked: %v", s.Masked)
		}
		r, err := b.vault.GetRecord(ctx, app, rid, "appeals", nil)
		if err != nil || r.Fields["full_name"] != name {
			t.Fatalf("record: %+v %v", r, err)
		}
		if _, err := b.vault.GetRecord(ctx, app, rid, "appeals", []string{"health"}); code(err) != "field-not-visible" {
			t.Fatalf("a denied field: %v", code(err))
		}
		var read, denied bool
		for _, e := range journalOf(t, b) {
			if e.Action == "record.read" && e.Record == rid && e.Outcome == "ok" {
				read = true
			}
			if e.Action == "record.read" && e.Outcome == "denied" && strings.Contains(e.Detail, "field-not-visible") {
				denied = true
			}
		}
		if !read || !denied {
			t.Fatalf("journal: read %v, denial %v", read, denied)
		}
	})
}

func TestThePeopleWithAccessReportMatchesTheKeysAndAccounts(t *testing.T) {
	each(t, func(t *testing.T, b *bundle) {
		ctx := context.Background()
		edit(t, b, "    can: [collect, read, lookup, update, destroy, journal, requests, transfer]\n",
			"    can: [collect, read, lookup, update, destroy, journal, requests, transfer, admin]\n")
		keys := access.NewKeys(b.env.Store)
		before := time.Now()
		_, crm, err := keys.Create(ctx, "test", "app", "CRM")
		if err != nil {
			t.Fatal(err)
		}
		_, old, _ := keys.Create(ctx, "test", "analyst", "old report tool")
		keys.Revoke(ctx, "test", old.ID)
		staff := access.NewStaff(b.env.Store, b.env.Ring, &access.Argon2{Time: 1, Memory: 1024, Threads: 1})
		if _, err := staff.Create(ctx, "test", access.NewAccount{Login: "dana", Name: "Дана", Role: "analyst", Password: "a long enough password"}); err != nil {
			t.Fatal(err)
		}
		lines, err := b.vault.PeopleWithAccess(ctx, app, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]string{}
		for _, l := range lines {
			got[l.Principal+" "+l.Purpose] = strings.Join(l.Fields, ",")
		}
		want := map[string]string{
			"apikey:" + crm.ID + " appeals": "iin,full_name,phone,email,address,appeal_text",
			"apikey:" + crm.ID + " stats":   "address",
			"staff:dana stats":              "address",
		}
		if len(got) != len(want) {
			t.Fatalf("report: %v", got)
		}
		for k, v := range want {
			if got[k] != v {
				t.Fatalf("report line %q = %q, want %q (all: %v)", k, got[k], v, got)
			}
		}
		earlier, _ := b.vault.PeopleWithAccess(ctx, app, before.Add(-time.Hour))
		if len(earlier) != 0 {
			t.Fatalf("before any key existed: %v", earlier)
		}
	})
}

func TestARecordChangedByAnIntruderIsRestored(t *testing.T) {
	each(t, func(t *testing.T, b *bundle) {
		ctx := context.Background()
		_, rid, err := split(b.vault.CreateSubject(ctx, app, newAppeal()))
		if err != nil {
			t.Fatal(err)
		}
		intruder := vault.Actor{ID: "apikey:stolen", Role: "app"}
		junk := "Мекенжайы өзгертілді"
		if _, err := b.vault.UpdateRecord(ctx, intruder, rid, "appeals", map[string]*string{"address": &junk, "appeal_text": nil}); err != nil {
			t.Fatal(err)
		}
		vs, err := b.vault.Versions(ctx, app, rid, "appeals")
		if err != nil || len(vs) != 1 || vs[0].ReplacedBy != intruder.ID {
			t.Fatalf("versions: %+v %v", vs, err)
		}
		r, err := b.vault.RestoreRecord(ctx, app, rid, "appeals", vs[0].Version)
		if err != nil {
			t.Fatal(err)
		}
		if r.Fields["address"] != address || r.Fields["appeal_text"] != text || r.Fields["full_name"] != name {
			t.Fatalf("restored: %v", r.Fields)
		}
		again, _ := b.vault.GetRecord(ctx, app, rid, "appeals", nil)
		if again.Fields["address"] != address {
			t.Fatalf("re-read: %v", again.Fields)
		}
	})
}
