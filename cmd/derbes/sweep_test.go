package main_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/derbes/derbes/consent"
	"github.com/derbes/derbes/examples"
	"github.com/derbes/derbes/keys"
	"github.com/derbes/derbes/policy"
	"github.com/derbes/derbes/store"
	"github.com/derbes/derbes/store/storetest"
	"github.com/derbes/derbes/vault"
)

// sweepFixture is a data store of one dialect, with the environment a
// derbes process needs to open it and a raw connection to look inside.
type sweepFixture struct {
	env  *storetest.Env
	dir  string
	vars []string
	raw  *sql.DB
	v    *vault.Vault
	s    *store.Store
	n    int // records created so far
}

func newSweepFixture(t *testing.T, dialect string) *sweepFixture {
	t.Helper()
	env := storetest.Config(t, dialect)
	dir := t.TempDir()
	data, keyring := filepath.Join(dir, "data"), filepath.Join(dir, "keyring.json")
	ring, _ := keys.Generate()
	if err := ring.Save(keyring); err != nil {
		t.Fatal(err)
	}
	f := &sweepFixture{env: env, dir: dir, vars: []string{"DERBES_DATA_DIR=" + data, "DERBES_KEYRING_FILE=" + keyring}, raw: env.Raw}
	cfg := store.Config{Dir: data, Signer: ring.JournalKey()}
	if dialect == "postgres" {
		cfg = env.Config
		cfg.Signer = ring.JournalKey()
		f.vars = append(f.vars, "DERBES_DB="+env.Config.URL, "DERBES_SCHEMA="+env.Config.Schema)
	}
	ctx := context.Background()
	s, err := store.Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if dialect == "sqlite" {
		f.raw, err = sql.Open("sqlite", "file:"+filepath.Join(data, "derbes.db")+"?_pragma=busy_timeout(10000)")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { f.raw.Close() })
	}
	f.s = s
	f.v, err = vault.Open(ctx, s, ring)
	if err != nil {
		t.Fatal(err)
	}
	src, _ := examples.Files.ReadFile("ikomek/policy.yaml")
	p, _ := policy.Parse("ikomek", src)
	if _, err := f.v.Activate(ctx, vault.System, p, src); err != nil {
		t.Fatal(err)
	}
	return f
}

// due makes n appeals whose term has ended: up to 1000 collected through
// the vault, the rest copies of them, each with its own data key (a sweep
// takes thousands of records per transaction, so a sweep to kill midway
// needs more than collecting can make quickly).
func (f *sweepFixture) due(t *testing.T, n int) {
	t.Helper()
	ctx := context.Background()
	app := vault.Actor{ID: "test", Role: "integration"}
	made := min(n, 1000)
	errs := make(chan error, made)
	for i := range made {
		go func() {
			_, err := f.v.CreateSubject(ctx, app, vault.NewSubject{Category: "applicant", Purpose: "appeals",
				Identifiers: map[string]string{"email": fmt.Sprintf("r%d@example.kz", f.n+i)},
				Consent: &consent.Request{SubjectName: "Тұрғын", Purposes: []string{"appeals"}, Fields: []string{"full_name", "appeal_text"},
					Form: consent.Form{Kind: consent.FormOther, Reference: "call"}},
				Record: &vault.NewRecord{Channel: "call-109", Fields: map[string]string{"full_name": "Тұрғын", "appeal_text": "Лифт"}}})
			errs <- err
		}()
	}
	for range made {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	for from := made; from < n; from += made {
		f.copyRecords(t, from/made, min(made, n-from))
	}
	f.n += n
	// Time passes: every appeal's term has ended.
	if _, err := f.raw.Exec("UPDATE records SET retention_end = 1 WHERE state <> 'destroyed'"); err != nil {
		t.Fatal(err)
	}
}

// copyRecords copies count collected records, and their data keys, under
// the ids "<id>.<k>".
func (f *sweepFixture) copyRecords(t *testing.T, k, count int) {
	t.Helper()
	if f.env.Dialect == "sqlite" && k == 1 {
		f.raw.SetMaxOpenConns(1) // the attachment is per connection
		if _, err := f.raw.Exec("ATTACH DATABASE ? AS keys", filepath.Join(f.dir, "data", "keys.db")); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := f.raw.Exec(f.env.Q(`INSERT INTO data_keys (owner, master_version, wrapped)
		SELECT d.owner || '.' || ?, d.master_version, d.wrapped FROM data_keys d JOIN records r ON r.id = d.owner
		WHERE r.id NOT LIKE '%.%' ORDER BY r.id LIMIT ?`), fmt.Sprint(k), count); err != nil {
		t.Fatal(err)
	}
	if _, err := f.raw.Exec(f.env.Q(`INSERT INTO records (id, subject_id, purpose, channel, ground, state, field_names, fields, policy_version,
		created_at, updated_at, destroyed_at, consent_id, retention_end)
		SELECT id || '.' || ?, subject_id, purpose, channel, ground, state, field_names, fields, policy_version,
		created_at, updated_at, destroyed_at, consent_id, retention_end FROM records
		WHERE id NOT LIKE '%.%' ORDER BY id LIMIT ?`), fmt.Sprint(k), count); err != nil {
		t.Fatal(err)
	}
}

// counts returns how many records are destroyed, how many of them are in
// an act, and how many acts are open; it fails the test on an act line
// for a record not destroyed, or a record in two acts.
func (f *sweepFixture) counts(t *testing.T) (destroyed, inActs, unsealed int) {
	t.Helper()
	row := func(q string, dest *int) {
		t.Helper()
		if err := f.raw.QueryRow(q).Scan(dest); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	row("SELECT COUNT(*) FROM records WHERE state = 'destroyed'", &destroyed)
	row("SELECT COUNT(*) FROM act_records a JOIN records r ON r.id = a.record_id WHERE r.state = 'destroyed'", &inActs)
	var all, twice int
	row("SELECT COUNT(*) FROM act_records", &all)
	if all != inActs {
		t.Fatalf("%d act lines, %d of them for destroyed records", all, inActs)
	}
	row("SELECT COUNT(*) FROM (SELECT record_id FROM act_records GROUP BY record_id HAVING COUNT(*) > 1) x", &twice)
	if twice != 0 {
		t.Fatalf("%d records destroyed twice (in two acts)", twice)
	}
	row("SELECT COUNT(*) FROM acts WHERE sealed_at IS NULL", &unsealed)
	return
}

// A sweep killed with SIGKILL leaves nothing half-done: every destroyed
// record is in an act and every act line is a destroyed record; the next
// sweep seals the open act and finishes.
func TestASweepKilledMidwayLeavesNothingHalfDone(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("creates a few thousand records")
	}
	for _, dialect := range storetest.Dialects {
		t.Run(dialect, func(t *testing.T) {
			t.Parallel()
			f := newSweepFixture(t, dialect)
			const n = 12000 // more than two of the sweep's transactions
			f.due(t, n)

			cmd := exec.Command(bin, "sweep")
			cmd.Env = append(os.Environ(), f.vars...)
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			// Kill it once it has destroyed something, in the middle.
			deadline := time.Now().Add(30 * time.Second)
			for {
				var destroyed int
				f.raw.QueryRow("SELECT COUNT(*) FROM records WHERE state = 'destroyed'").Scan(&destroyed)
				if destroyed > 0 || time.Now().After(deadline) {
					break
				}
				time.Sleep(2 * time.Millisecond)
			}
			cmd.Process.Signal(syscall.SIGKILL)
			cmd.Wait()

			destroyed, inActs, unsealed := f.counts(t)
			t.Logf("after the kill: %d destroyed, %d in acts, %d acts open", destroyed, inActs, unsealed)
			if destroyed != inActs {
				t.Fatalf("%d records destroyed but %d in acts", destroyed, inActs)
			}
			if destroyed == n {
				t.Log("the sweep finished before the kill: this run shows less than it should")
			}
			// The lease of the killed sweep runs out after its term; a
			// restarted node waits for it, as here, by taking it over once
			// expired.
			if _, err := f.raw.Exec("UPDATE jobs SET lease_until = 0"); err != nil {
				t.Fatal(err)
			}
			code, out, errs := run(t, f.dir, f.vars, "sweep")
			if code != 0 || !strings.Contains(out, "destroyed") {
				t.Fatalf("the sweep after the kill: %d %s %s", code, out, errs)
			}
			destroyed, inActs, unsealed = f.counts(t)
			if destroyed != n || inActs != n || unsealed != 0 {
				t.Fatalf("after the second sweep: %d destroyed, %d in acts, %d acts open", destroyed, inActs, unsealed)
			}
			if code, out, _ := run(t, f.dir, f.vars, "journal", "verify"); code != 0 {
				t.Fatalf("journal: %s", out)
			}
		})
	}
}

// Two `derbes sweep` processes started together on one store, again and
// again: each due record is destroyed exactly once, and each sweep that
// destroyed something made exactly one act, sealed once in the journal.
func TestTwoSweepProcessesAtOnceDestroyEachRecordOnce(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("creates a few thousand records")
	}
	for _, dialect := range storetest.Dialects {
		t.Run(dialect, func(t *testing.T) {
			t.Parallel()
			f := newSweepFixture(t, dialect)
			sweeps := 0
			for round := range 4 {
				f.due(t, 500)
				var wg sync.WaitGroup
				var mu sync.Mutex
				for range 2 {
					wg.Go(func() {
						code, out, errs := run(t, f.dir, f.vars, "sweep")
						mu.Lock()
						defer mu.Unlock()
						switch {
						case code == 0 && !strings.Contains(out, "act none"):
							sweeps++
						case code == 0:
						case strings.Contains(errs, "another sweep is running"):
						default:
							t.Errorf("round %d: a sweep: %d %s %s", round, code, out, errs)
						}
					})
				}
				wg.Wait()
				destroyed, inActs, unsealed := f.counts(t)
				if destroyed != f.n || inActs != f.n || unsealed != 0 {
					t.Fatalf("round %d: %d records due in all, %d destroyed, %d in acts, %d acts open", round, f.n, destroyed, inActs, unsealed)
				}
			}
			var acts, seals int
			f.raw.QueryRow("SELECT COUNT(*) FROM acts").Scan(&acts)
			f.raw.QueryRow("SELECT COUNT(*) FROM journal WHERE action = 'act.seal'").Scan(&seals)
			if acts != sweeps || seals != sweeps {
				t.Fatalf("%d sweeps destroyed something, but %d acts and %d seals in the journal", sweeps, acts, seals)
			}
		})
	}
}
