package vault_test

import (
	"context"
	"strings"
	"testing"
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
