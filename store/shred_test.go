package store_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"

	"github.com/derbes/derbes/consent"
	"github.com/derbes/derbes/examples"
	"github.com/derbes/derbes/policy"
	"github.com/derbes/derbes/store"
	"github.com/derbes/derbes/store/storetest"
	"github.com/derbes/derbes/vault"
)

// On the embedded store a destruction commits the data file first and the
// key file second. A power loss between the two must not leave the
// subject's key alive to open an old backup: the next open deletes it.
// (On PostgreSQL both are one database and one commit.)
func TestAKeyLeftByACrashMidDestructionIsShreddedAtTheNextOpen(t *testing.T) {
	ctx := context.Background()
	env := storetest.Open(t, "sqlite")
	src, err := examples.Files.ReadFile("ikomek/policy.yaml")
	if err != nil {
		t.Fatal(err)
	}
	p, err := policy.Parse("ikomek", src)
	if err != nil {
		t.Fatal(err)
	}
	v, err := vault.Open(ctx, env.Store, env.Ring)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.Activate(ctx, vault.System, p, src); err != nil {
		t.Fatal(err)
	}
	app := vault.Actor{ID: "apikey:test", Role: "integration"}
	create := func(iin string) vault.Created {
		c, err := v.CreateSubject(ctx, app, vault.NewSubject{Category: "applicant", Purpose: "appeals",
			Identifiers: map[string]string{"iin": iin},
			Consent:     &consent.Request{SubjectName: "Test", Purposes: []string{"appeals"}, Fields: []string{"iin", "appeal_text"}, Form: consent.Form{Kind: consent.FormOther, Reference: "call"}},
			Record:      &vault.NewRecord{Channel: "call-109", Ground: "consent", Fields: map[string]string{"appeal_text": "text"}}})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	gone, kept := create("950312405675"), create("900115301235")
	// The key of the subject to destroy, as it was before.
	keysDB, err := sql.Open("sqlite", "file:"+filepath.Join(env.Dir, "keys.db")+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	defer keysDB.Close()
	var master int64
	var wrapped []byte
	if err := keysDB.QueryRow(`SELECT master_version, wrapped FROM data_keys WHERE owner = ?`, gone.Subject).Scan(&master, &wrapped); err != nil {
		t.Fatal(err)
	}
	if err := v.DestroySubject(ctx, app, gone.Subject, "appeals", "test"); err != nil {
		t.Fatal(err)
	}
	env.Store.Close()
	// The crash: the data file's commit is on disk, the key file's is not.
	if _, err := keysDB.Exec(`INSERT INTO data_keys (owner, master_version, wrapped) VALUES (?, ?, ?)`, gone.Subject, master, wrapped); err != nil {
		t.Fatal(err)
	}
	s, err := store.Open(ctx, env.Config)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	count := func(owner string) (n int) {
		if err := keysDB.QueryRow(`SELECT count(*) FROM data_keys WHERE owner = ?`, owner).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if count(gone.Subject) != 0 {
		t.Fatal("the destroyed subject's key survived the reopening: an old backup of the data would open with it")
	}
	if count(kept.Subject) != 1 {
		t.Fatal("the reopening deleted the key of a subject who was not destroyed")
	}
}
