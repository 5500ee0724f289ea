package main_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/derbes/derbes/store/storetest"
)

// Two `derbes serve` processes on one PostgreSQL schema, with traffic at
// both and, meanwhile, a rotation of the blind-index key by a third
// process: no request fails, the journal verifies, and each periodic job
// ran once, on one node or the other.
func TestTwoNodesServeOneDatabase(t *testing.T) {
	t.Parallel()
	env := storetest.Config(t, "postgres")
	dir := t.TempDir()
	vars := []string{"DERBES_DATA_DIR=" + filepath.Join(dir, "data"), "DERBES_KEYRING_FILE=" + filepath.Join(dir, "keyring.json"),
		"DERBES_DB=" + env.Config.URL, "DERBES_SCHEMA=" + env.Config.Schema}
	policyFile := examplePolicy(t, dir)
	key := integrationKey(t, dir, vars, policyFile)
	var nodes [2]string
	var stops [2]func() string
	for i := range nodes {
		nodes[i], stops[i] = serve(t, dir, vars, "serve", "--policy", policyFile)
	}

	call := apiCaller(key)

	const workers = 8
	iins := validIINs(4000)
	var requests, failed, next atomic.Int64
	var rotating atomic.Bool
	rotating.Store(true)
	fail := func(format string, args ...any) {
		failed.Add(1)
		t.Errorf(format, args...)
	}
	rotated := make(chan string, 1)
	go func() {
		// Let traffic start, then rotate the index key while it runs.
		time.Sleep(300 * time.Millisecond)
		code, out, errs := run(t, dir, vars, "keys", "rotate", "--index", "--grace", "2s")
		rotating.Store(false)
		rotated <- fmt.Sprintf("%d %s %s", code, out, errs)
	}()
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Until the rotation is over, and a little more.
			for i := 0; rotating.Load() || i < 5; i++ {
				n := int(next.Add(1)) - 1
				if n >= len(iins) {
					fail("ran out of IINs before the rotation finished")
					return
				}
				iin := iins[n]
				// Created at one node, read and found at the other.
				at, other := nodes[(w+i)%2], nodes[(w+i+1)%2]
				body := `{"category":"applicant","purpose":"appeals","identifiers":{"iin":"` + iin + `"},` +
					`"consent":{"subject_name":"Мадина Серікова","purposes":["appeals"],"fields":["full_name","appeal_text"],"third_party_transfer":true,"form":{"kind":"other","reference":"call"}},` +
					`"record":{"channel":"call-109","fields":{"full_name":"Мадина Серікова","appeal_text":"Лифт істемейді"}}}`
				requests.Add(1)
				code, b, err := call("POST", at+"/v1/subjects", body)
				if err != nil || code != 201 {
					fail("create at %s: %d %v %s", at, code, err, b)
					return
				}
				var created struct{ Subject string }
				json.Unmarshal(b, &created)
				requests.Add(1)
				if code, b, err := call("GET", other+"/v1/subjects/"+created.Subject+"/records", ""); err != nil || code != 200 || !bytes.Contains(b, []byte("Лифт істемейді")) {
					fail("read at %s: %d %v %s", other, code, err, b)
					return
				}
				requests.Add(1)
				code, b, err = call("GET", other+"/v1/subjects?iin="+iin, "")
				var found struct{ Subjects []string }
				json.Unmarshal(b, &found)
				if err != nil || code != 200 || len(found.Subjects) != 1 || found.Subjects[0] != created.Subject {
					fail("lookup at %s: %d %v %s", other, code, err, b)
					return
				}
				// Keep the traffic going through the whole rotation.
				time.Sleep(20 * time.Millisecond)
			}
		}()
	}
	wg.Wait()
	// Lookups of everyone at both nodes after the rotation.
	rot := <-rotated
	if !strings.HasPrefix(rot, "0 ") || !strings.Contains(rot, "blind indexes now under index key 2") {
		t.Fatalf("keys rotate --index: %s", rot)
	}
	time.Sleep(1100 * time.Millisecond) // nodes re-read the keyring once a second
	iins = iins[:min(int(next.Load()), len(iins))]
	for i, iin := range iins {
		requests.Add(1)
		code, b, err := call("GET", nodes[i%2]+"/v1/subjects?iin="+iin, "")
		if err != nil || code != 200 || !bytes.Contains(b, []byte(`"subjects":["`)) {
			fail("lookup after the rotation at %s: %d %v %s", nodes[i%2], code, err, b)
		}
	}
	// Both nodes started their schedulers at once; each job is due at
	// start and then not for minutes, so each must have run exactly once.
	jobRuns := func() (jobs map[string]int, done bool) {
		code, out, errs := run(t, dir, vars, "jobs", "--limit", "100")
		if code != 0 {
			t.Fatalf("derbes jobs: %d %s %s", code, out, errs)
		}
		states, runs, _ := strings.Cut(out, "\nRUN")
		jobs, done = map[string]int{}, true
		for _, l := range strings.Split(states, "\n")[1:] {
			if f := strings.Fields(l); len(f) > 1 {
				jobs[f[0]] = 0
				done = done && f[1] == "ok"
			}
		}
		for _, l := range strings.Split(runs, "\n")[1:] {
			if f := strings.Fields(l); len(f) > 0 {
				jobs[f[0]]++
			}
		}
		return jobs, done
	}
	ran, done := jobRuns()
	for deadline := time.Now().Add(30 * time.Second); !done && time.Now().Before(deadline); {
		time.Sleep(500 * time.Millisecond)
		ran, done = jobRuns()
	}
	if !done || len(ran) < 5 {
		t.Fatalf("the jobs did not all run while both nodes served: %v", ran)
	}
	t.Logf("runs per job on the two nodes: %v", ran)
	for job, n := range ran {
		if n != 1 {
			t.Errorf("job %s ran %d times on two nodes, not once", job, n)
		}
	}
	for _, stop := range stops {
		logs := stop()
		if strings.Contains(logs, iins[0]) || strings.Contains(logs, "Лифт істемейді") {
			t.Fatal("a node's log holds personal data")
		}
	}
	if failed.Load() != 0 {
		t.Fatalf("%d of %d requests failed", failed.Load(), requests.Load())
	}
	code, out, errs := run(t, dir, vars, "journal", "verify")
	if code != 0 || !strings.Contains(out, "journal OK") {
		t.Fatalf("journal verify: %d %s %s", code, out, errs)
	}
	if code, _, errs := run(t, dir, vars, "journal", "export", "-o", "journal.jsonl"); code != 0 {
		t.Fatalf("journal export: %s", errs)
	}
	j, _ := os.ReadFile(filepath.Join(dir, "journal.jsonl"))
	for _, want := range []string{`"action":"keys.index.start"`, `"action":"keys.index.finish"`} {
		if !bytes.Contains(j, []byte(want)) {
			t.Fatalf("the journal lacks %s", want)
		}
	}
	if n := bytes.Count(j, []byte(`"action":"subject.create"`)); n != len(iins) {
		t.Fatalf("%d subject.create entries, want %d", n, len(iins))
	}
	t.Logf("%d requests at two nodes, none failed", requests.Load())
}
