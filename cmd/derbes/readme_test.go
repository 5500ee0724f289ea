package main_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestREADMETour runs the README's curl tour, as written, against
// `derbes demo`. Only three things are substituted: the demo's address (a
// free port instead of 8080), the API key it printed, and `go run
// ./cmd/derbes` by the binary built for these tests, run beside the demo's
// data.
func TestREADMETour(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("curl"); err != nil {
		t.Skip("SKIP: curl is not installed")
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile("(?s)<!-- tour:begin -->\n```sh\n(.*?)```\n<!-- tour:end -->").FindSubmatch(readme)
	if m == nil {
		t.Fatal("README has no tour block")
	}
	tour := string(m[1])
	if !strings.Contains(string(readme), "go run ./cmd/derbes demo") {
		t.Fatal("the README's quick start no longer runs the demo")
	}

	dir := t.TempDir()
	base, stdout, stop := serveOut(t, dir, nil, "demo")
	deadline := time.Now().Add(10 * time.Second)
	var key string
	for time.Now().Before(deadline) {
		if k := regexp.MustCompile(`dbs_[0-9a-f]{12}_[A-Za-z0-9_-]{43}`).FindString(stdout()); k != "" {
			key = k
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if key == "" {
		t.Fatalf("demo printed no API key:\n%s", stdout())
	}
	script := strings.ReplaceAll(tour, "http://127.0.0.1:8080", base)
	script = regexp.MustCompile(`(?m)^export DERBES_KEY=.*$`).ReplaceAllString(script, "export DERBES_KEY="+key)
	script = strings.ReplaceAll(script, "go run ./cmd/derbes", `"`+bin+`"`)
	cmd := exec.Command("bash", "-euo", "pipefail", "-c", script)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("the tour failed: %v\n%s\nserver log:\n%s", err, out, stop())
	}
	for _, want := range []string{`"subject":`, `"records":[{`, "Аулада жарық жоқ", "urn:derbes:problem:purpose-required", "urn:derbes:problem:invalid-iin",
		`"kind":"withdrawn"`, `"queued_for_destruction":[`, `{"records":[]}`, `{"subjects":[]}`, "journal OK"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("the tour's output lacks %q:\n%s", want, out)
		}
	}
	logs := stop()
	for _, secret := range []string{"880421410004", "Нұрлан", "7051112233", "Аулада"} {
		if strings.Contains(logs, secret) {
			t.Errorf("the server log holds %q", secret)
		}
	}
	if pdf, err := os.ReadFile(filepath.Join(dir, "receipt.pdf")); err != nil || !strings.HasPrefix(string(pdf), "%PDF") {
		t.Errorf("the tour's receipt is not a PDF: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "derbes-keyring.json")); err != nil {
		t.Errorf("the demo made no keyring beside its data: %v", err)
	}
}
