// Package browsertest drives derbes's pages in a real browser: Debian's
// Chromium through playwright-core, with an axe-core accessibility check
// and a screenshot of every page visited. Each user's main path is one
// script, *.spec.mjs; TestBrowser serves derbes (the embedded store, the
// iKomek example policy, a few residents and staff) and runs every script
// against it.
//
// CI installs Chromium and the npm packages (.ci/run); outside CI the test
// skips, saying what is missing. Screenshots are kept in
// browsertest/screenshots (DERBES_SCREENSHOTS elsewhere).
package browsertest

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"log/slog"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/derbes/derbes/access"
	"github.com/derbes/derbes/api"
	"github.com/derbes/derbes/examples"
	"github.com/derbes/derbes/keys"
	"github.com/derbes/derbes/policy"
	"github.com/derbes/derbes/store"
	"github.com/derbes/derbes/store/storetest"
	"github.com/derbes/derbes/vault"
	"github.com/derbes/derbes/web"
)

// chromium is Debian's browser, which .ci/run installs.
func chromium() string {
	if c := os.Getenv("CHROMIUM"); c != "" {
		return c
	}
	return "/usr/bin/chromium"
}

// needBrowser skips outside CI when Chromium, node or the npm packages are
// missing, and fails in CI, which must have them.
func needBrowser(t *testing.T) {
	t.Helper()
	var missing []string
	if _, err := os.Stat(chromium()); err != nil {
		missing = append(missing, "Chromium ("+chromium()+"; apt-get install chromium)")
	}
	if _, err := exec.LookPath("node"); err != nil {
		missing = append(missing, "node")
	}
	if _, err := os.Stat("node_modules/playwright-core"); err != nil {
		missing = append(missing, "the npm packages (cd browsertest && npm ci)")
	}
	if len(missing) == 0 {
		return
	}
	if os.Getenv("CI") != "" {
		t.Fatalf("CI must have %s", strings.Join(missing, ", "))
	}
	t.Skipf("SKIP: browser tests need %s", strings.Join(missing, ", "))
}

// site is a derbes serving the pages and the API, with what the paths
// need to know about it.
type site struct {
	url     string
	vault   *vault.Vault
	store   *store.Store
	ring    *keys.Ring
	raw     *sql.DB
	outbox  *outbox
	fixture map[string]any
	log     *bytes.Buffer
}

// exec runs a statement on the store's database, for what the fixture
// cannot do through derbes (a request that arrived weeks ago).
func (s *site) exec(t *testing.T, query string, args ...any) {
	t.Helper()
	if _, err := s.raw.Exec(query, args...); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
}

// serve starts derbes over a fresh embedded store with the iKomek example
// policy in force.
func serve(t *testing.T) *site {
	t.Helper()
	ctx := context.Background()
	env := storetest.Open(t, "sqlite")
	src, err := examples.Files.ReadFile("ikomek/policy.yaml")
	if err != nil {
		t.Fatal(err)
	}
	p, err := policy.Parse("examples/ikomek/policy.yaml", src)
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
	var logs bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&logs, nil))
	staff := access.NewStaff(env.Store, env.Ring, nil)
	ob := &outbox{}
	h := web.Mount(api.New(v, access.NewKeys(env.Store), log, nil).WithStaff(staff),
		web.New(v, env.Store, log, web.Options{Staff: staff, Notifier: ob}))
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &site{url: srv.URL, vault: v, store: env.Store, ring: env.Ring, raw: env.Raw, outbox: ob, log: &logs,
		fixture: map[string]any{"purpose": "appeals"}}
}

// run runs one path script against s and fails with its output.
func (s *site) run(t *testing.T, script string) {
	t.Helper()
	fx := filepath.Join(t.TempDir(), "fixture.json")
	b, err := json.Marshal(s.fixture)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(fx, b, 0o600); err != nil {
		t.Fatal(err)
	}
	shots := os.Getenv("DERBES_SCREENSHOTS")
	if shots == "" {
		shots, _ = filepath.Abs("screenshots")
	}
	cmd := exec.Command("node", script)
	cmd.Env = append(os.Environ(), "DERBES_URL="+s.url, "DERBES_FIXTURE="+fx, "DERBES_SCREENSHOTS="+shots, "CHROMIUM="+chromium())
	out, err := cmd.CombinedOutput()
	t.Logf("%s:\n%s", script, out)
	if err != nil {
		t.Fatalf("%s failed: %v", script, err)
	}
}

// A visitor reads the published policy, its versions and the consent
// notices in Kazakh, Russian and English.
func TestPolicyPages(t *testing.T) {
	needBrowser(t)
	serve(t).run(t, "policy.spec.mjs")
}
