package vault_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/derbes/derbes/vault"
)

func TestASubjectExportsTheirDataForAPurposeAndTheReadIsJournaled(t *testing.T) {
	each(t, func(t *testing.T, b *bundle) {
		ctx := context.Background()
		sid, rid, err := split(b.vault.CreateSubject(ctx, app, newAppeal()))
		if err != nil {
			t.Fatal(err)
		}
		p, err := b.vault.ExportSubject(ctx, app, sid, "appeals")
		if err != nil {
			t.Fatal(err)
		}
		if p.Subject.ID != sid || p.Subject.Identifiers["iin"] != iin || p.Subject.Identifiers["email"] != email {
			t.Fatalf("the exported subject: %+v", p.Subject)
		}
		if len(p.Records) != 1 || p.Records[0].ID != rid || p.Records[0].Fields["appeal_text"] != text || p.Records[0].Fields["full_name"] != name {
			t.Fatalf("the exported records: %+v", p.Records)
		}
		if _, err := json.Marshal(p); err != nil {
			t.Fatal(err)
		}
		var entry string
		for _, e := range journalOf(t, b) {
			if e.Action == "subject.export" {
				entry = e.Subject + " " + e.Purpose + " " + e.Detail
			}
		}
		if !strings.Contains(entry, sid+" appeals") || !strings.Contains(entry, rid) {
			t.Fatalf("the export's journal entry: %q", entry)
		}
		if strings.Contains(entry, iin) || strings.Contains(entry, text) {
			t.Fatalf("the journal holds personal data: %q", entry)
		}
	})
}

func TestASubjectExportRefusesAnUndeclaredOrForeignPurposeAndADestroyedSubject(t *testing.T) {
	each(t, func(t *testing.T, b *bundle) {
		ctx := context.Background()
		sid, _, err := split(b.vault.CreateSubject(ctx, app, newAppeal()))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := b.vault.ExportSubject(ctx, app, sid, ""); code(err) != "purpose-required" {
			t.Fatalf("no purpose: %s", code(err))
		}
		if _, err := b.vault.ExportSubject(ctx, vault.Actor{ID: "x", Role: "analyst"}, sid, "appeals"); code(err) != "purpose-not-allowed" {
			t.Fatalf("a role that does not serve the purpose: %s", code(err))
		}
		p, err := b.vault.ExportSubject(ctx, app, sid, "stats")
		if err != nil || len(p.Records) != 0 {
			t.Fatalf("another purpose shows that purpose's records only: %+v %v", p, err)
		}
		if err := b.vault.DestroySubject(ctx, app, sid, "appeals", "subject-request"); err != nil {
			t.Fatal(err)
		}
		if _, err := b.vault.ExportSubject(ctx, app, sid, "appeals"); code(err) != "destroyed" {
			t.Fatalf("a destroyed subject: %s", code(err))
		}
		if _, err := b.vault.ExportSubject(ctx, app, "0194c1a2-7b3e-7c1d-9e2f-0a1b2c3d4e5f", "appeals"); code(err) != "not-found" {
			t.Fatalf("an unknown subject: %s", code(err))
		}
	})
}

func TestAPurposeExportsEverySubjectOnceInBatchesEachJournaled(t *testing.T) {
	each(t, func(t *testing.T, b *bundle) {
		ctx := context.Background()
		if _, err := b.vault.ExportPurpose(ctx, app, "appeals", func(*vault.Portable) error { return nil }); code(err) != "action-not-allowed" {
			t.Fatalf("a role without admin: %s", code(err))
		}
		edit(t, b, "can: [collect, read, lookup, update, destroy, journal, requests, transfer]", "can: [collect, read, lookup, update, destroy, journal, requests, transfer, admin]")
		const n = vault.ExportBatch + 5
		want := map[string]bool{}
		for i := range n {
			ns := newAppeal()
			ns.Identifiers = map[string]string{"phone": fmt.Sprintf("+7701%07d", i)}
			ns.Consent.Fields = []string{"full_name", "phone", "address", "appeal_text"}
			sid, _, err := split(b.vault.CreateSubject(ctx, app, ns))
			if err != nil {
				t.Fatal(err)
			}
			want[sid] = true
		}
		got := map[string]bool{}
		count, err := b.vault.ExportPurpose(ctx, app, "appeals", func(p *vault.Portable) error {
			if got[p.Subject.ID] || len(p.Records) != 1 || p.Records[0].Fields["appeal_text"] != text {
				return fmt.Errorf("subject %s exported twice or without its record: %+v", p.Subject.ID, p.Records)
			}
			got[p.Subject.ID] = true
			return nil
		})
		if err != nil || count != n || len(got) != n {
			t.Fatalf("exported %d (%d distinct), %v; want %d", count, len(got), err, n)
		}
		batches, named := 0, 0
		for _, e := range journalOf(t, b) {
			if e.Action == "purpose.export" {
				batches++
				for sid := range want {
					if strings.Contains(e.Detail, sid) {
						named++
					}
				}
			}
		}
		if batches != 2 || named != n {
			t.Fatalf("journal: %d batch entries naming %d subjects; want 2 naming %d", batches, named, n)
		}
	})
}
