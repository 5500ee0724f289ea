package main_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/derbes/derbes/consent"
	"github.com/derbes/derbes/examples"
	"github.com/derbes/derbes/keys"
	"github.com/derbes/derbes/policy"
	"github.com/derbes/derbes/store"
	"github.com/derbes/derbes/vault"
)

// The restore drill: back up, destroy someone, restore the data backup
// next to the current key store: everyone else is back, the destroyed
// person is not.
func TestRestoreDrill(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	data, keyring := filepath.Join(dir, "data"), filepath.Join(dir, "keyring.json")
	vars := []string{"DERBES_DATA_DIR=" + data, "DERBES_KEYRING_FILE=" + keyring}
	ring, _ := keys.Generate()
	ring.Save(keyring)
	ctx := context.Background()
	app := vault.Actor{ID: "test", Role: "integration"}
	open := func() (*store.Store, *vault.Vault) {
		s, err := store.Open(ctx, store.Config{Dir: data, Signer: ring.JournalKey()})
		if err != nil {
			t.Fatal(err)
		}
		v, err := vault.Open(ctx, s, ring)
		if err != nil {
			t.Fatal(err)
		}
		src, _ := examples.Files.ReadFile("ikomek/policy.yaml")
		p, _ := policy.Parse("ikomek", src)
		v.Activate(ctx, vault.System, p, src)
		return s, v
	}
	s, v := open()
	var records []string
	var subjects []string
	for _, iin := range []string{"950312405675", "900115301235"} {
		c, err := v.CreateSubject(ctx, app, vault.NewSubject{Category: "applicant", Purpose: "appeals", Identifiers: map[string]string{"iin": iin},
			Consent: &consent.Request{SubjectName: "Тұрғын", Purposes: []string{"appeals"}, Fields: []string{"full_name"}, Form: consent.Form{Kind: "other", Reference: "call"}},
			Record:  &vault.NewRecord{Channel: "call-109", Fields: map[string]string{"full_name": "Тұрғын " + iin}}})
		if err != nil {
			t.Fatal(err)
		}
		records, subjects = append(records, c.Record), append(subjects, c.Subject)
	}
	s.Close()
	if code, out, errs := run(t, dir, vars, "backup", filepath.Join(dir, "b1")); code != 0 {
		t.Fatalf("backup: %s %s", out, errs)
	}
	if code, _, errs := run(t, dir, vars, "backup", filepath.Join(dir, "b2"), "--keys"); code != 0 {
		t.Fatalf("backup with keys: %s", errs)
	}
	s, v = open()
	if err := v.DestroySubject(ctx, app, subjects[0], "appeals", "subject-request"); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if code, _, errs := run(t, dir, vars, "restore", filepath.Join(dir, "b2")); code == 0 || !strings.Contains(errs, "brings back subjects destroyed") {
		t.Fatalf("restoring a key store without --force: %d %s", code, errs)
	}
	if code, _, errs := run(t, dir, vars, "restore", filepath.Join(dir, "b1"), "--force"); code != 0 {
		t.Fatalf("restore: %s", errs)
	}
	s, v = open()
	defer s.Close()
	if r, err := v.GetRecord(ctx, app, records[1], "appeals", nil); err != nil || r.Fields["full_name"] != "Тұрғын 900115301235" {
		t.Fatalf("the other subject after the restore: %v", err)
	}
	if r, err := v.GetRecord(ctx, app, records[0], "appeals", nil); err == nil {
		t.Fatalf("the destroyed subject came back: %+v", r)
	}
}
