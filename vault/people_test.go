package vault_test

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/derbes/derbes/access"
	"github.com/derbes/derbes/policy"
	"github.com/derbes/derbes/vault"
)

func TestThePeopleWithAccessReportAsOfADate(t *testing.T) {
	each(t, func(t *testing.T, b *bundle) {
		ctx := context.Background()
		edit(t, b, canNow, withAdmin)
		keys := access.NewKeys(b.env.Store)
		_, crm, err := keys.Create(ctx, "test", "app", "CRM")
		if err != nil {
			t.Fatal(err)
		}
		staff := access.NewStaff(b.env.Store, b.env.Ring, &access.Argon2{Time: 1, Memory: 1024, Threads: 1})
		for _, n := range []access.NewAccount{
			{Login: "dana", Name: "Дана Ахметова", Role: "analyst", Password: "a long enough password"},
			{Login: "erlan", Name: "Ерлан Сейітов", Role: "analyst", Password: "a long enough password"},
		} {
			if _, err := staff.Create(ctx, "test", n); err != nil {
				t.Fatal(err)
			}
		}
		time.Sleep(5 * time.Millisecond)
		then := time.Now()
		time.Sleep(5 * time.Millisecond)
		// After the date: Erlan leaves, and a new policy version lets the
		// analysts see the birth date too.
		if err := staff.Disable(ctx, "test", "erlan"); err != nil {
			t.Fatal(err)
		}
		src, _ := os.ReadFile("../policy/testdata/minimal.yaml")
		s := strings.Replace(string(src), canNow, withAdmin, 1)
		s = strings.Replace(s, "    purposes: [stats]\n    fields: [address]\n", "    purposes: [stats]\n    fields: [address, birth_date]\n", 1)
		p, err := policy.Parse("later.yaml", []byte(s))
		if err != nil {
			t.Fatal(err)
		}
		later, err := b.vault.Activate(ctx, vault.System, p, []byte(s))
		if err != nil {
			t.Fatal(err)
		}

		lines := func(r *vault.AccessReport) map[string]string {
			got := map[string]string{}
			for _, l := range r.Lines {
				got[l.Principal+" "+l.Purpose] = strings.Join(l.Fields, ",")
			}
			return got
		}
		was, err := b.vault.PeopleWithAccessReport(ctx, app, then)
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]string{
			"apikey:" + crm.ID + " appeals": "iin,full_name,phone,email,address,appeal_text",
			"apikey:" + crm.ID + " stats":   "address",
			"staff:dana stats":              "address",
			"staff:erlan stats":             "address",
		}
		if got := lines(was); len(got) != len(want) || was.PolicyVersion != later.Version-1 {
			t.Fatalf("report as of then (policy %d, want %d): %v", was.PolicyVersion, later.Version-1, got)
		}
		for k, v := range want {
			if lines(was)[k] != v {
				t.Fatalf("then: line %q = %q, want %q", k, lines(was)[k], v)
			}
		}
		for _, l := range was.Lines {
			if l.Principal == "staff:erlan" && (l.Until == nil || !l.Until.After(then)) {
				t.Fatalf("Erlan's line does not say he left after the date: %+v", l)
			}
		}

		now, err := b.vault.PeopleWithAccessReport(ctx, app, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		got := lines(now)
		if _, ok := got["staff:erlan stats"]; ok || got["staff:dana stats"] != "address,birth_date" || now.PolicyVersion != later.Version {
			t.Fatalf("report now (policy %d): %v", now.PolicyVersion, got)
		}

		before, err := b.vault.PeopleWithAccessReport(ctx, app, time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC))
		if err != nil || len(before.Lines) != 0 || before.PolicyVersion != 0 {
			t.Fatalf("before any policy: %+v %v", before, err)
		}

		// The printed forms say the same, in the language asked for.
		var csv, text bytes.Buffer
		if err := was.WriteCSV(&csv, "ru"); err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(csv.String(), "principal,kind,label,role,role_title,") || !strings.Contains(csv.String(), "staff:erlan,staff,Ерлан Сейітов,analyst,Аналитик") {
			t.Fatalf("csv:\n%s", csv.String())
		}
		if err := was.WriteText(&text, "kk"); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(text.String(), "Дербес деректерге қол жеткізе алатын адамдар тізімі") || !strings.Contains(text.String(), "staff:erlan") {
			t.Fatalf("text:\n%s", text.String())
		}
		for _, lang := range []string{"kk", "ru", "en"} {
			pdf, err := was.PDF(lang, time.Now())
			if err != nil || !bytes.HasPrefix(pdf, []byte("%PDF-")) {
				t.Fatalf("pdf %s: %v", lang, err)
			}
		}
		if _, err := was.PDF("de", time.Now()); err == nil {
			t.Fatal("a PDF in German")
		}
	})
}
