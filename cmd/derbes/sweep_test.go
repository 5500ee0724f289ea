package main_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/derbes/derbes/consent"
	"github.com/derbes/derbes/examples"
	"github.com/derbes/derbes/keys"
	"github.com/derbes/derbes/policy"
	"github.com/derbes/derbes/store"
	"github.com/derbes/derbes/vault"
)

// A sweep killed with SIGKILL leaves nothing half-done: every destroyed
// record is in an act and every act line is a destroyed record; the next
// sweep seals the open act and finishes.
func TestASweepKilledMidwayLeavesNothingHalfDone(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("creates a few thousand records")
	}
	dir := t.TempDir()
	data, keyring := filepath.Join(dir, "data"), filepath.Join(dir, "keyring.json")
	ring, _ := keys.Generate()
	if err := ring.Save(keyring); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
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
	if _, err := v.Activate(ctx, vault.System, p, src); err != nil {
		t.Fatal(err)
	}
	app := vault.Actor{ID: "test", Role: "integration"}
	const n = 3000
	errs := make(chan error, n)
	for i := range n {
		go func() {
			_, err := v.CreateSubject(ctx, app, vault.NewSubject{Category: "applicant", Purpose: "appeals",
				Identifiers: map[string]string{"email": fmt.Sprintf("r%d@example.kz", i)},
				Consent: &consent.Request{SubjectName: "Тұрғын", Purposes: []string{"appeals"}, Fields: []string{"full_name", "appeal_text"},
					Form: consent.Form{Kind: consent.FormOther, Reference: "call"}},
				Record: &vault.NewRecord{Channel: "call-109", Fields: map[string]string{"full_name": "Тұрғын", "appeal_text": "Лифт"}}})
			errs <- err
		}()
	}
	for range n {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	s.Close()
	// Time passes: every appeal's term has ended.
	raw, _ := sql.Open("sqlite", "file:"+filepath.Join(data, "derbes.db"))
	if _, err := raw.Exec("UPDATE records SET retention_end = 1"); err != nil {
		t.Fatal(err)
	}
	raw.Close()

	vars := []string{"DERBES_DATA_DIR=" + data, "DERBES_KEYRING_FILE=" + keyring}
	cmd := exec.Command(bin, "sweep")
	cmd.Env = append(os.Environ(), vars...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(400 * time.Millisecond)
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()

	destroyed, inActs, unsealed := counts(t, data)
	t.Logf("after the kill: %d destroyed, %d in acts, %d acts open", destroyed, inActs, unsealed)
	if destroyed != inActs {
		t.Fatalf("%d records destroyed but %d in acts", destroyed, inActs)
	}
	// The lease of the killed sweep runs out after its term; a restarted
	// node waits for it, as here, by taking it over once expired.
	raw, _ = sql.Open("sqlite", "file:"+filepath.Join(data, "derbes.db"))
	raw.Exec("UPDATE jobs SET lease_until = 0")
	raw.Close()
	code, out, errs2 := run(t, dir, vars, "sweep")
	if code != 0 || !strings.Contains(out, "destroyed") {
		t.Fatalf("the sweep after the kill: %d %s %s", code, out, errs2)
	}
	destroyed, inActs, unsealed = counts(t, data)
	if destroyed != n || inActs != n || unsealed != 0 {
		t.Fatalf("after the second sweep: %d destroyed, %d in acts, %d acts open", destroyed, inActs, unsealed)
	}
	if code, out, _ := run(t, dir, vars, "journal", "verify"); code != 0 {
		t.Fatalf("journal: %s", out)
	}
}

func counts(t *testing.T, data string) (destroyed, inActs, unsealed int) {
	t.Helper()
	raw, err := sql.Open("sqlite", "file:"+filepath.Join(data, "derbes.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	raw.QueryRow("SELECT COUNT(*) FROM records WHERE state = 'destroyed'").Scan(&destroyed)
	raw.QueryRow("SELECT COUNT(*) FROM act_records a JOIN records r ON r.id = a.record_id WHERE r.state = 'destroyed'").Scan(&inActs)
	var all int
	raw.QueryRow("SELECT COUNT(*) FROM act_records").Scan(&all)
	if all != inActs {
		t.Fatalf("%d act lines, %d of them for destroyed records", all, inActs)
	}
	raw.QueryRow("SELECT COUNT(*) FROM acts WHERE sealed_at IS NULL").Scan(&unsealed)
	return
}
