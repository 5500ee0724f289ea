package main

import (
	"bytes"
	"context"
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

	"github.com/derbes/derbes/kz"
)

// TestADayOfAppeals plays a short day against `derbes demo` on the
// embedded store: once, and again with the same residents four at a time,
// when the centre finds them all by IIN.
func TestADayOfAppeals(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and serves derbes")
	}
	base, key := demo(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	var out bytes.Buffer
	rep, err := run(ctx, config{URL: base, Key: key, Appeals: 20, Seed: 1, Concurrency: 1}, &out)
	t.Logf("\n%s", out.String())
	if err != nil {
		t.Fatalf("the day: %v", err)
	}
	if len(rep.Errors) != 0 {
		t.Fatalf("unexpected errors: %q", rep.Errors)
	}
	if rep.Contacts != 20 {
		t.Errorf("%d contacts handled, want 20", rep.Contacts)
	}
	for _, c := range channelWeights {
		if rep.ByChannel[c.ID] == 0 {
			t.Errorf("no contact came through channel %s", c.ID)
		}
	}
	if rep.Consults == 0 {
		t.Error("no consultations")
	}
	n := rep.transfers()
	if n == 0 || n+rep.Consults != rep.Contacts {
		t.Errorf("%d transfers and %d consultations of %d contacts", n, rep.Consults, rep.Contacts)
	}
	if rep.Reads != n {
		t.Errorf("%d executor reads of %d transfers", rep.Reads, n)
	}
	if rep.OutsideTry == 0 || rep.OutsideDeny != rep.OutsideTry {
		t.Errorf("%d of %d reads outside the grant refused", rep.OutsideDeny, rep.OutsideTry)
	}
	if rep.Closed == 0 || rep.AfterTry != rep.Closed || rep.AfterDeny != rep.AfterTry {
		t.Errorf("%d closed, %d of %d reads after closure refused", rep.Closed, rep.AfterDeny, rep.AfterTry)
	}
	if rep.Asked == 0 || rep.Answered != rep.Asked {
		t.Errorf("%d of %d information requests answered naming the executor", rep.Answered, rep.Asked)
	}
	if rep.Known != 0 {
		t.Errorf("%d residents known before the first day", rep.Known)
	}
	for _, want := range []string{"iKomek 109 — a day of appeals", "Consultations closed at the first call", "Appeals passed to executors",
		"Reads outside the grant refused", "Executor reads after closure refused", "Residents who asked what is held on them", "contacts/s"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the report lacks %q", want)
		}
	}

	if !regexp.MustCompile(`(?m)^  Errors +0$`).MatchString(out.String()) {
		t.Error("the report does not say: Errors 0")
	}

	// The same residents call again, four at a time: each is found by IIN,
	// gives consent again, and only the new appeal is passed on.
	out.Reset()
	again, err := run(ctx, config{URL: base, Key: key, Appeals: 20, Seed: 1, Concurrency: 4}, &out)
	if err != nil {
		t.Fatalf("the second day: %v\n%s", err, out.String())
	}
	if again.Known != again.transfers() || again.Reads != n || again.OutsideDeny != n || again.AfterDeny != rep.AfterDeny || again.Answered != rep.Asked {
		t.Errorf("the second day differs:\n%s", out.String())
	}
}

// demo builds derbes, starts `derbes demo` in a temporary directory on a
// free port, and returns its URL and the API key it printed. The demo is
// stopped when the test ends.
func demo(t *testing.T) (base, key string) {
	t.Helper()
	dir := t.TempDir()
	bin := filepath.Join(dir, "derbes")
	if out, err := exec.Command("go", "build", "-o", bin, "../../../cmd/derbes").CombinedOutput(); err != nil {
		t.Fatalf("building derbes: %v\n%s", err, out)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()

	cmd := exec.Command(bin, "demo", "--listen", addr)
	cmd.Dir = dir
	// The demo's own files, in dir: nothing from the environment.
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "DERBES_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	stdout, stderr := &lockedBuffer{}, &lockedBuffer{}
	cmd.Stdout, cmd.Stderr = stdout, stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-done
			t.Errorf("the demo did not stop on interrupt:\n%s", stderr.String())
		}
	})

	base = "http://" + addr
	keyRE := regexp.MustCompile(`dbs_[0-9a-f]{12}_[A-Za-z0-9_-]{43}`)
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		select {
		case <-done:
			t.Fatalf("the demo exited:\n%s", stderr.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("the demo did not become ready:\nstdout:\n%s\nstderr:\n%s", stdout.String(), stderr.String())
		}
		key = keyRE.FindString(stdout.String())
		if key == "" {
			continue
		}
		resp, err := http.Get(base + "/readyz")
		if err != nil {
			continue
		}
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			return base, key
		}
	}
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

// The invented residents are valid: derbes would refuse them otherwise,
// but this says which generator is at fault.
func TestPlanDay(t *testing.T) {
	day := planDay(300, 42)
	if !slices.EqualFunc(day, planDay(300, 42), func(a, b appeal) bool { return a.Resident == b.Resident && a.Text == b.Text && a.Channel == b.Channel }) {
		t.Fatal("the same seed planned another day")
	}
	iins := map[string]bool{}
	consults := 0
	for _, a := range day {
		r := a.Resident
		if _, err := kz.ParsePhone(r.Phone); err != nil || !strings.HasPrefix(r.Phone, "+7 7") {
			t.Errorf("appeal %d: phone %q: %v", a.N, r.Phone, err)
		}
		if a.Consultation {
			consults++
			if r.IIN != "" || a.Channel != "call-109" {
				t.Errorf("consultation %d: IIN %q, channel %s", a.N, r.IIN, a.Channel)
			}
			continue
		}
		if _, err := kz.ParseIIN(r.IIN); err != nil {
			t.Errorf("appeal %d: IIN %s: %v", a.N, r.IIN, err)
		}
		if iins[r.IIN] {
			t.Errorf("appeal %d: IIN %s twice", a.N, r.IIN)
		}
		iins[r.IIN] = true
		if (a.Channel == "email") != (r.Email != "") {
			t.Errorf("appeal %d by %s: e-mail %q", a.N, a.Channel, r.Email)
		}
		if r.Email != "" {
			if _, err := kz.ParseEmail(r.Email); err != nil {
				t.Errorf("appeal %d: e-mail %q: %v", a.N, r.Email, err)
			}
		}
		if a.Topic.Recipient == "" || a.Text == "" || r.Address == "" || r.FullName == "" {
			t.Errorf("appeal %d is incomplete: %+v", a.N, a)
		}
	}
	if consults != 100 {
		t.Errorf("%d consultations of 300 contacts, want a third", consults)
	}
	// The check digits of the demo's residents (cmd/derbes/demo.go).
	for _, iin := range []string{"950312405675", "900115301235"} {
		if k, ok := iinCheckDigit(iin[:11]); !ok || byte('0'+k) != iin[11] {
			t.Errorf("check digit of %s: %d %v", iin, k, ok)
		}
	}
}
