package main_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// derbes bench prints a line of figures for each ceiling, each workload and
// the journal's verification, and with --profile leaves a CPU profile of
// each workload where it was asked to.
func TestBenchCommandPrintsEveryFigureAndProfiles(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	prof := filepath.Join(dir, "profiles")
	code, out, errs := run(t, dir, nil, "bench", "--duration", "100ms", "--clients", "2", "--preload", "10", "--destroy-pool", "20", "--profile", prof)
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out, errs)
	}
	for _, name := range []string{"HTTP ceiling", "HTTP ceiling, again", "commit ceiling", "commit ceiling, again", "create subject+record", "read record", "lookup by IIN", "lookup by phone", "destroy (10 records)", "mixed 70/20/10"} {
		re := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(name) + ` +\d+ ops/s +p50 +\S+ +p99 +\S+ +p999 +\S+ +errors 0 `)
		if !re.MatchString(out) {
			t.Errorf("no line of figures for %s in:\n%s", name, out)
		}
	}
	if !regexp.MustCompile(`(?m)^journal verify +\d+ entries/s +[0-9.]+ MB/s`).MatchString(out) {
		t.Errorf("no speed of the journal's verification in:\n%s", out)
	}
	for _, w := range []string{"create", "read", "lookup", "lookup-phone", "destroy", "mixed", "verify"} {
		st, err := os.Stat(filepath.Join(prof, w+".prof"))
		if err != nil || st.Size() == 0 {
			t.Errorf("profile of %s: %v", w, err)
		}
	}
	if strings.Contains(out+errs, "Тұрғын") {
		t.Error("the benchmark printed personal data")
	}
}
