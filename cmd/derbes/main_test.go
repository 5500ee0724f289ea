package main_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/derbes/derbes/access/oidctest"
	"github.com/derbes/derbes/store/storetest"
)

var bin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "derbes-cli")
	if err != nil {
		panic(err)
	}
	bin = filepath.Join(dir, "derbes")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// examplePolicy writes the iKomek example policy into dir with its
// placeholder dates (effective 2026-01-01, review_by 2027-01-01) moved
// around the day the test runs, so that the yearly review is neither near
// nor past: otherwise the deadline reminders would fail for the example's
// missing contact of the responsible person on some days and not others.
func examplePolicy(t *testing.T, dir string) string {
	t.Helper()
	src, err := os.ReadFile("../../examples/ikomek/policy.yaml")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	text := string(src)
	for old, new := range map[string]string{
		"\neffective: 2026-01-01\n": "\neffective: " + now.AddDate(0, -6, 0).Format(time.DateOnly) + "\n",
		"\nreview_by: 2027-01-01\n": "\nreview_by: " + now.AddDate(0, 6, 0).Format(time.DateOnly) + "\n",
	} {
		if !strings.Contains(text, old) {
			t.Fatalf("the example policy no longer says %q", strings.TrimSpace(old))
		}
		text = strings.Replace(text, old, new, 1)
	}
	file := filepath.Join(dir, "ikomek-policy.yaml")
	if err := os.WriteFile(file, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return file
}

// integrationKey makes the keyring and an API key of the integration role.
func integrationKey(t *testing.T, dir string, vars []string, policyFile string) string {
	t.Helper()
	if code, _, errs := run(t, dir, vars, "keys", "init"); code != 0 {
		t.Fatalf("keys init: %s", errs)
	}
	code, key, errs := run(t, dir, vars, "apikeys", "create", "--role", "integration", "--policy", policyFile)
	if code != 0 {
		t.Fatalf("apikeys create: %s", errs)
	}
	return strings.TrimSpace(key)
}

// apiCaller calls the API with key, for the appeals purpose, and returns
// the status and body.
func apiCaller(key string) func(method, url, body string) (int, []byte, error) {
	return func(method, url, body string) (int, []byte, error) {
		var rd io.Reader
		if body != "" {
			rd = strings.NewReader(body)
		}
		req, _ := http.NewRequest(method, url, rd)
		req.Header.Set("Authorization", "Bearer "+key)
		req.Header.Set("X-Purpose", "appeals")
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return 0, nil, err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		return resp.StatusCode, b, err
	}
}

// run runs derbes in dir and returns its exit code, stdout and stderr.
func run(t *testing.T, dir string, env []string, args ...string) (int, string, string) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return code, out.String(), errb.String()
}

func TestPolicyCheckNamesFileLineAndColumn(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	code, out, _ := run(t, "../..", nil, "policy", "check", "examples/ikomek/policy.yaml", "examples/toptips/policy.yaml")
	if code != 0 || strings.Count(out, ": ok") != 2 {
		t.Fatalf("the example policies: exit %d\n%s", code, out)
	}
	src, _ := os.ReadFile("../../policy/testdata/minimal.yaml")
	bad := strings.Replace(string(src), "purposes: [appeals, stats]", "purposes: [apeals, stats]", 1)
	os.WriteFile(filepath.Join(dir, "bad.yaml"), []byte(bad), 0o644)
	code, _, errs := run(t, dir, nil, "policy", "check", "bad.yaml")
	if code != 1 || !regexp.MustCompile(`(?m)^bad\.yaml:\d+:\d+: roles\[0\]\.purposes\[0\]: unknown purpose "apeals"$`).MatchString(errs) {
		t.Fatalf("exit %d, stderr:\n%s", code, errs)
	}
}

// The administrator's path: keys, an API key, serving, the journal.
func TestAdministratorCommands(t *testing.T) {
	t.Parallel()
	for _, d := range storetest.Dialects {
		t.Run(d, func(t *testing.T) {
			t.Parallel()
			env := storetest.Config(t, d)
			dir := t.TempDir()
			vars := []string{"DERBES_DATA_DIR=" + filepath.Join(dir, "data"), "DERBES_KEYRING_FILE=" + filepath.Join(dir, "keyring.json")}
			if d == "postgres" {
				vars = append(vars, "DERBES_DB="+env.Config.URL, "DERBES_SCHEMA="+env.Config.Schema)
			}
			policyFile := examplePolicy(t, dir)

			if code, _, errs := run(t, dir, vars, "keys", "init"); code != 0 {
				t.Fatalf("keys init: %s", errs)
			}
			st, _ := os.Stat(filepath.Join(dir, "keyring.json"))
			if st.Mode().Perm() != 0o600 {
				t.Fatalf("keyring mode %o", st.Mode().Perm())
			}
			if code, _, errs := run(t, dir, vars, "keys", "init"); code == 0 || !strings.Contains(errs, "never overwrites") {
				t.Fatalf("a second keys init: %d %s", code, errs)
			}
			code, key, errs := run(t, dir, vars, "apikeys", "create", "--role", "integration", "--policy", policyFile)
			key = strings.TrimSpace(key)
			if code != 0 || !strings.HasPrefix(key, "dbs_") {
				t.Fatalf("apikeys create: %d %s %s", code, key, errs)
			}
			if code, _, errs := run(t, dir, vars, "apikeys", "create", "--role", "nobody", "--policy", policyFile); code == 0 || !strings.Contains(errs, `role "nobody" is not in the policy`) {
				t.Fatalf("a key for an unknown role: %d %s", code, errs)
			}

			base, stop := serve(t, dir, vars, "serve", "--policy", policyFile)
			req, _ := http.NewRequest("POST", base+"/v1/subjects", strings.NewReader(`{"category":"applicant","purpose":"appeals","identifiers":{"iin":"950312405675"},`+
				`"consent":{"subject_name":"Айгерім Тестқызы","purposes":["appeals"],"fields":["full_name","appeal_text"],"third_party_transfer":true,"form":{"kind":"other","reference":"call"}},`+
				`"record":{"channel":"call-109","fields":{"full_name":"Айгерім Тестқызы","appeal_text":"Лифт істемейді"}}}`))
			req.Header.Set("Authorization", "Bearer "+key)
			resp, err := http.DefaultClient.Do(req)
			if err != nil || resp.StatusCode != 201 {
				t.Fatalf("create through the served API: %v %v", resp.Status, err)
			}
			var created struct{ Consent string }
			json.NewDecoder(resp.Body).Decode(&created)
			resp.Body.Close()
			logs := stop()
			for _, secret := range []string{"950312405675", "Айгерім", "Лифт"} {
				if strings.Contains(logs, secret) {
					t.Fatalf("the server log holds %q:\n%s", secret, logs)
				}
			}

			// A withdrawal received on paper, recorded by the responsible person.
			code, out, errs := run(t, dir, vars, "consent", "withdraw", created.Consent, "--purpose", "appeals", "--role", "responsible")
			if code != 0 || !strings.Contains(out, `"kind": "withdrawn"`) || !strings.Contains(out, `"due":`) {
				t.Fatalf("consent withdraw: %d %s %s", code, out, errs)
			}
			if code, _, errs := run(t, dir, vars, "consent", "withdraw", created.Consent, "--purpose", "appeals", "--role", "responsible"); code == 0 || !strings.Contains(errs, "already withdrawn") {
				t.Fatalf("a second withdrawal: %d %s", code, errs)
			}

			// A subject's request, and the responsible person's morning list
			// today and a month later, when it is overdue.
			base, stop = serve(t, dir, vars, "serve", "--policy", policyFile)
			req, _ = http.NewRequest("POST", base+"/v1/requests", strings.NewReader(`{"kind":"information","channel":"letter","requester":{"full_name":"Айгерім Тестқызы"},"identity":{"full_name":"Айгерім Тестқызы","signature":true}}`))
			req.Header.Set("Authorization", "Bearer "+key)
			resp, err = http.DefaultClient.Do(req)
			if err != nil || resp.StatusCode != 201 {
				t.Fatalf("a request through the served API: %v %v", resp.Status, err)
			}
			var submitted struct{ ID string }
			json.NewDecoder(resp.Body).Decode(&submitted)
			resp.Body.Close()
			stop()
			code, out, errs = run(t, dir, vars, "jobs")
			for _, job := range []string{"retention-sweep", "transfer-notices", "journal-verify"} {
				if code != 0 || !regexp.MustCompile(`(?m)^`+job+` +ok `).MatchString(out) {
					t.Fatalf("jobs after serving: %d\n%s%s", code, out, errs)
				}
			}
			// A job whose last run failed is shown failed, with its error, and
			// the command exits 3 for monitoring.
			raw := env.Raw
			if d == "sqlite" {
				raw, err = sql.Open("sqlite", "file:"+filepath.Join(dir, "data", "derbes.db")+"?_pragma=busy_timeout(10000)")
				if err != nil {
					t.Fatal(err)
				}
				defer raw.Close()
			}
			if _, err := raw.Exec(env.Q("UPDATE job_schedule SET attempts = 2, last_error = ? WHERE name = ?"), "smtp: connection refused", "transfer-notices"); err != nil {
				t.Fatal(err)
			}
			code, out, errs = run(t, dir, vars, "jobs")
			if code != 3 || !regexp.MustCompile(`(?m)^transfer-notices +FAILED .* 2 +smtp: connection refused$`).MatchString(out) {
				t.Fatalf("jobs with a failing job: %d\n%s%s", code, out, errs)
			}
			code, out, errs = run(t, dir, vars, "requests", "due", "--role", "responsible")
			if code != 0 || !strings.Contains(out, "OVERDUE (0)") || !strings.Contains(out, submitted.ID) {
				t.Fatalf("requests due today: %d\n%s%s", code, out, errs)
			}
			later := time.Now().AddDate(0, 1, 0).Format(time.RFC3339)
			code, out, _ = run(t, dir, vars, "requests", "due", "--role", "responsible", "--at", later)
			if code != 3 || !strings.Contains(out, "OVERDUE (1)\n  "+submitted.ID) {
				t.Fatalf("requests due a month later: exit %d\n%s", code, out)
			}

			// The people-with-access report as of a moment before one of
			// two accounts was disabled.
			withPassword := append(slices.Clone(vars), "DERBES_PASSWORD=a long enough password")
			for _, login := range []string{"dana", "erlan"} {
				if code, _, errs := run(t, dir, withPassword, "staff", "create", "--login", login, "--name", "Сотрудник "+login, "--role", "supervisor"); code != 0 {
					t.Fatalf("staff create %s: %s", login, errs)
				}
			}
			mid := time.Now().Format(time.RFC3339Nano)
			time.Sleep(10 * time.Millisecond)
			if code, _, errs := run(t, dir, vars, "staff", "disable", "erlan"); code != 0 {
				t.Fatalf("staff disable: %s", errs)
			}
			code, out, errs = run(t, dir, vars, "access", "report", "--role", "responsible", "--at", mid, "--format", "csv", "--lang", "kk")
			if code != 0 || !strings.Contains(out, "staff:dana,staff,Сотрудник dana,supervisor,") || !strings.Contains(out, "staff:erlan,staff,") {
				t.Fatalf("access report then: %d\n%s%s", code, out, errs)
			}
			code, out, errs = run(t, dir, vars, "access", "report", "--role", "responsible", "--lang", "en")
			if code != 0 || !strings.Contains(out, "List of persons with access") || !strings.Contains(out, "staff:dana") || strings.Contains(out, "staff:erlan") {
				t.Fatalf("access report now: %d\n%s%s", code, out, errs)
			}
			if code, _, errs := run(t, dir, vars, "access", "report", "--role", "responsible", "--format", "pdf"); code != 2 || !strings.Contains(errs, "-o FILE") {
				t.Fatalf("a PDF to a terminal: %d %s", code, errs)
			}
			if code, _, errs := run(t, dir, vars, "access", "report", "--role", "responsible", "--at", "yesterday"); code != 2 || !strings.Contains(errs, "neither a date") {
				t.Fatalf("a bad date: %d %s", code, errs)
			}
			code, _, errs = run(t, dir, vars, "access", "report", "--role", "responsible", "--at", time.Now().Format(time.DateOnly), "--format", "pdf", "--lang", "kk", "-o", "access.pdf")
			if pdf, _ := os.ReadFile(filepath.Join(dir, "access.pdf")); code != 0 || !bytes.HasPrefix(pdf, []byte("%PDF-")) {
				t.Fatalf("access report PDF: %d %s", code, errs)
			}

			// Served with a directory, staff sign in through it.
			idp := oidctest.New(t)
			base, stop = serve(t, dir, append(slices.Clone(vars), "DERBES_OIDC_ISSUER="+idp.URL, "DERBES_OIDC_CLIENT_ID=derbes",
				"DERBES_OIDC_CLIENT_SECRET=s", "DERBES_OIDC_REDIRECT_URL="+"http://example.invalid/v1/login/oidc/callback"), "serve", "--policy", policyFile)
			noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
			resp, err = noFollow.Get(base + "/v1/login/oidc")
			if err != nil || resp.StatusCode != http.StatusFound || !strings.HasPrefix(resp.Header.Get("Location"), idp.URL+"/auth?") {
				t.Fatalf("sign-in through the directory: %v %v", resp, err)
			}
			resp.Body.Close()
			stop()

			code, out, errs = run(t, dir, vars, "keys", "rotate")
			if code != 0 || !strings.Contains(out, "3 data keys now wrapped by master key 2") { // the subject's, its record's and the request's
				t.Fatalf("keys rotate: %d %s %s", code, out, errs)
			}
			code, out, errs = run(t, dir, vars, "keys", "rotate", "--index", "--grace", "2s")
			if code != 0 || !strings.Contains(out, "1 subjects re-indexed; blind indexes now under index key 2") {
				t.Fatalf("keys rotate --index: %d %s %s", code, out, errs)
			}
			code, out, errs = run(t, dir, vars, "journal", "verify")
			if code != 0 || !strings.Contains(out, "journal OK") {
				t.Fatalf("journal verify: %d %s %s", code, out, errs)
			}
			if code, _, errs := run(t, dir, vars, "journal", "export", "-o", "journal.jsonl"); code != 0 {
				t.Fatalf("journal export: %s", errs)
			}
			code, out, errs = run(t, dir, vars, "journal", "verify", "--file", "journal.jsonl")
			if code != 0 || !strings.Contains(out, "journal OK") {
				t.Fatalf("offline verify: %d %s %s", code, out, errs)
			}

			other := t.TempDir()
			run(t, other, nil, "keys", "init", "--keyring", filepath.Join(other, "k.json"))
			code, _, errs = run(t, dir, append(vars, "DERBES_KEYRING_FILE="+filepath.Join(other, "k.json")), "journal", "verify")
			if code == 0 || !strings.Contains(errs, "does not open this data") {
				t.Fatalf("a wrong keyring: %d %s", code, errs)
			}
		})
	}
}

// serve starts derbes with args on a free port and returns its URL and a
// function that stops it and returns what it logged.
func serve(t *testing.T, dir string, env []string, args ...string) (string, func() string) {
	base, _, stop := serveOut(t, dir, env, args...)
	return base, stop
}

// serveOut is serve that also returns what derbes printed on stdout by the
// time it was ready.
func serveOut(t *testing.T, dir string, env []string, args ...string) (string, func() string, func() string) {
	t.Helper()
	base, cmd, out, logs := startServer(t, dir, env, args...)
	stopped := false
	stop := func() string {
		if !stopped {
			stopped = true
			cmd.Process.Signal(os.Interrupt)
			cmd.Wait()
		}
		return logs.String()
	}
	t.Cleanup(func() { stop() })
	return base, out.String, stop
}

// startServer starts derbes with args on a free port and returns its URL
// once it is ready, the process, its stdout and its log (stderr, to be
// read once the process has been waited for). Stopping it is the caller's.
func startServer(t *testing.T, dir string, env []string, args ...string) (string, *exec.Cmd, *lockedBuffer, *bytes.Buffer) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	cmd := exec.Command(bin, append(args, "--listen", addr)...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	var logs bytes.Buffer
	cmd.Stderr = &logs
	out := &lockedBuffer{}
	cmd.Stdout = out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	base := "http://" + addr
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for {
		resp, err := http.Get(base + "/readyz")
		if err == nil && resp.StatusCode == 200 {
			resp.Body.Close()
			break
		}
		if ctx.Err() != nil {
			cmd.Process.Kill()
			cmd.Wait() // before reading what it logged
			t.Fatalf("derbes did not become ready:\n%s", logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	return base, cmd, out, &logs
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
