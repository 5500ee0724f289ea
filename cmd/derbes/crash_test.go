package main_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/derbes/derbes/bench"
	"github.com/derbes/derbes/store/storetest"
)

// A server killed with SIGKILL while sixteen clients create subjects as
// fast as they can loses none it acknowledged: after a restart each
// subject whose create was answered 201 is found by its IIN with its
// record readable, a create that got no answer left either nothing or the
// whole subject, every subject has its journal entry, and the journal
// verifies.
func TestAServerKilledMidCreateLosesNoAcknowledgedSubject(t *testing.T) {
	t.Parallel()
	for _, d := range storetest.Dialects {
		t.Run(d, func(t *testing.T) {
			t.Parallel()
			env := storetest.Config(t, d)
			dir := t.TempDir()
			// The embedded store lives where env.Raw looks.
			vars := []string{"DERBES_DATA_DIR=" + env.Dir, "DERBES_KEYRING_FILE=" + filepath.Join(dir, "keyring.json")}
			if d == "postgres" {
				vars = []string{"DERBES_DATA_DIR=" + filepath.Join(dir, "data"), "DERBES_KEYRING_FILE=" + filepath.Join(dir, "keyring.json"),
					"DERBES_DB=" + env.Config.URL, "DERBES_SCHEMA=" + env.Config.Schema}
			}
			policyFile := examplePolicy(t, dir)
			key := integrationKey(t, dir, vars, policyFile)
			call := apiCaller(key)

			base, server, _, serverLog := startServer(t, dir, vars, "serve", "--policy", policyFile)
			var killed atomic.Bool
			t.Cleanup(func() {
				if !killed.Load() {
					server.Process.Kill()
					server.Wait()
				}
			})

			// Each client creates subject after subject until a create
			// goes unanswered. A create answered 201 is acknowledged, even
			// if the answer's body was cut short; one that got no status
			// is unknown: it may or may not have been committed.
			const clients = 16
			var (
				next         atomic.Int64
				mu           sync.Mutex
				acknowledged = map[int]string{} // serial → subject id ("" if the body was cut)
				unknown      []int
				wg           sync.WaitGroup
			)
			for range clients {
				wg.Go(func() {
					for {
						n := int(next.Add(1))
						status, b, err := call("POST", base+"/v1/subjects", crashBody(n))
						if status == http.StatusCreated {
							var created struct{ Subject string }
							json.Unmarshal(b, &created)
							mu.Lock()
							acknowledged[n] = created.Subject
							mu.Unlock()
							continue
						}
						if err == nil {
							t.Errorf("create %d answered %d: %s", n, status, b)
							return
						}
						if !killed.Load() {
							t.Errorf("create %d before the kill: %v", n, err)
							return
						}
						mu.Lock()
						unknown = append(unknown, n)
						mu.Unlock()
						return
					}
				})
			}
			// Kill the server once it has acknowledged some hundreds, with
			// every client in the middle of a create.
			for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
				mu.Lock()
				n := len(acknowledged)
				mu.Unlock()
				if n >= 400 || t.Failed() {
					break
				}
			}
			killed.Store(true)
			if err := server.Process.Kill(); err != nil {
				t.Fatal(err)
			}
			server.Wait()
			wg.Wait()
			if t.Failed() {
				t.FailNow()
			}
			if logs := serverLog.String(); strings.Contains(logs, bench.IIN(1)) || strings.Contains(logs, "Шағым") {
				t.Fatal("the killed server's log holds personal data")
			}
			if len(acknowledged) <= 50 {
				t.Fatalf("the server acknowledged only %d creates before the kill: this run shows nothing", len(acknowledged))
			}

			base, stop := serve(t, dir, vars, "serve", "--policy", policyFile)
			// found looks up the subject created by the n-th create, if any,
			// and if whole is set reads its record, which must be all there.
			found := func(n int, whole bool) (subject string, ok bool) {
				t.Helper()
				status, b, err := call("GET", base+"/v1/subjects?iin="+bench.IIN(n), "")
				var f struct{ Subjects []string }
				if err != nil || status != 200 || json.Unmarshal(b, &f) != nil || len(f.Subjects) > 1 {
					t.Errorf("lookup of create %d after the restart: %d %v %s", n, status, err, b)
					return "", false
				}
				if len(f.Subjects) == 0 || !whole {
					return strings.Join(f.Subjects, ""), len(f.Subjects) == 1
				}
				status, b, err = call("GET", base+"/v1/subjects/"+f.Subjects[0]+"/records", "")
				var recs struct {
					Records []struct{ Fields map[string]string }
				}
				if err != nil || status != 200 || json.Unmarshal(b, &recs) != nil || len(recs.Records) != 1 ||
					recs.Records[0].Fields["appeal_text"] != appealText(n) {
					t.Errorf("the record of create %d after the restart: %d %v %s", n, status, err, b)
				}
				return f.Subjects[0], true
			}
			var lost, present int
			for n, subject := range acknowledged {
				got, ok := found(n, true)
				switch {
				case !ok:
					lost++
				case subject != "" && got != subject:
					t.Errorf("create %d was acknowledged as subject %s, but its IIN finds %s", n, subject, got)
				default:
					present++
				}
			}
			// A create that got no answer may have been committed or not, but
			// not in part: its client, retrying, would be told the IIN is
			// taken by a subject nobody can read.
			committed := 0
			for _, n := range unknown {
				if _, ok := found(n, true); ok {
					committed++
				}
			}
			stop()
			t.Logf("%d creates acknowledged before the kill, %d found after the restart; of %d unanswered, %d committed",
				len(acknowledged), present, len(unknown), committed)
			if lost > 0 {
				t.Fatalf("%d of %d acknowledged subjects are gone after the restart", lost, len(acknowledged))
			}

			// Every subject in the store is one of those, and has its entry
			// in the journal; the journal verifies.
			var subjects int
			if err := env.Raw.QueryRow("SELECT COUNT(*) FROM subjects").Scan(&subjects); err != nil {
				t.Fatal(err)
			}
			if subjects != len(acknowledged)+committed {
				t.Errorf("%d subjects in the store, but %d acknowledged and %d more committed unanswered", subjects, len(acknowledged), committed)
			}
			code, out, errs := run(t, dir, vars, "journal", "verify")
			if code != 0 || !strings.Contains(out, "journal OK") {
				t.Fatalf("journal verify after the kill: %d %s %s", code, out, errs)
			}
			if code, _, errs := run(t, dir, vars, "journal", "export", "-o", "journal.jsonl"); code != 0 {
				t.Fatalf("journal export: %s", errs)
			}
			j, err := os.ReadFile(filepath.Join(dir, "journal.jsonl"))
			if err != nil {
				t.Fatal(err)
			}
			if n := bytes.Count(j, []byte(`"action":"subject.create"`)); n != subjects {
				t.Fatalf("%d subject.create entries in the journal for %d subjects", n, subjects)
			}
		})
	}
}

// crashBody is the n-th create of the crash test: a resident with two
// identifiers, their consent and an appeal of three fields.
func crashBody(n int) string {
	return fmt.Sprintf(`{"category":"applicant","purpose":"appeals","identifiers":{"iin":%q,"phone":"+7 701%07d"},`+
		`"consent":{"subject_name":"Тұрғын %[3]d","purposes":["appeals"],"fields":["iin","full_name","phone","address","appeal_text"],"third_party_transfer":true,"form":{"kind":"other","reference":"109 call recording"}},`+
		`"record":{"channel":"call-109","fields":{"full_name":"Тұрғын %[3]d","address":"Астана, Есіл ауданы, %[3]d-үй","appeal_text":%[4]q}}}`,
		bench.IIN(n), n%10000000, n, appealText(n))
}

func appealText(n int) string {
	return fmt.Sprintf("Шағым №%d: аулада жарық жоқ", n)
}
