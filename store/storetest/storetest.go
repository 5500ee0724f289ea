// Package storetest opens fresh stores for tests: the embedded store in a
// temporary directory, and PostgreSQL in a fresh pair of schemas.
//
// PostgreSQL is found at DERBES_TEST_POSTGRES (default
// postgres://postgres@127.0.0.1:5432/test?sslmode=disable). Outside CI a
// test skips, saying so, when no server answers; with CI set it fails.
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx"
	_ "modernc.org/sqlite"             // database/sql driver "sqlite"

	"github.com/derbes/derbes/keys"
	"github.com/derbes/derbes/store"
)

// Dialects are the stores every shared test runs on.
var Dialects = []string{"sqlite", "postgres"}

// Env is an opened test store with a way around it for tampering tests.
type Env struct {
	Dialect string
	Config  store.Config
	Store   *store.Store
	Ring    *keys.Ring
	// Dir holds the embedded store's files (sqlite only).
	Dir string
	// Raw reaches the data directly, as an attacker with database access
	// would; Raw.Exec uses the dialect's placeholders.
	Raw *sql.DB
	// Schema is the PostgreSQL data schema (postgres only).
	Schema string
}

// PostgresURL is the server the PostgreSQL tests use.
func PostgresURL() string {
	if u := os.Getenv("DERBES_TEST_POSTGRES"); u != "" {
		return u
	}
	return "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
}

// Open returns a fresh store of the dialect, closed at the end of the test.
func Open(t testing.TB, dialect string) *Env {
	t.Helper()
	ring, err := keys.Generate()
	if err != nil {
		t.Fatal(err)
	}
	return OpenWith(t, dialect, ring)
}

// OpenWith is Open with a given keyring.
func OpenWith(t testing.TB, dialect string, ring *keys.Ring) *Env {
	t.Helper()
	env := Config(t, dialect)
	env.Ring = ring
	env.Config.Signer = ring.JournalKey()
	s, err := store.Open(context.Background(), env.Config)
	if err != nil {
		t.Fatalf("open %s store: %v", dialect, err)
	}
	env.Store = s
	t.Cleanup(func() { s.Close() })
	return env
}

// Config prepares an empty place for a store of the dialect, without
// opening it.
func Config(t testing.TB, dialect string) *Env {
	t.Helper()
	env := &Env{Dialect: dialect}
	switch dialect {
	case "sqlite":
		env.Dir = t.TempDir()
		env.Config = store.Config{Dir: env.Dir}
		raw, err := sql.Open("sqlite", "file:"+filepath.Join(env.Dir, "derbes.db")+"?_pragma=busy_timeout(10000)")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { raw.Close() })
		env.Raw = raw
	case "postgres":
		url := PostgresURL()
		admin, err := sql.Open("pgx", url)
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		if err := admin.PingContext(ctx); err != nil {
			admin.Close()
			if os.Getenv("CI") != "" {
				t.Fatalf("PostgreSQL at %s does not answer, and CI needs it: %v", url, err)
			}
			t.Skipf("SKIP: no PostgreSQL at %s (%v); set DERBES_TEST_POSTGRES to run the PostgreSQL half of this test", url, err)
		}
		b := make([]byte, 6)
		rand.Read(b)
		env.Schema = "t_" + hex.EncodeToString(b)
		env.Config = store.Config{URL: url, Schema: env.Schema}
		raw, err := sql.Open("pgx", url+"&search_path="+env.Schema+","+env.Schema+"_keys")
		if err != nil {
			t.Fatal(err)
		}
		env.Raw = raw
		t.Cleanup(func() {
			raw.Close()
			admin.Exec(fmt.Sprintf("DROP SCHEMA IF EXISTS %s CASCADE", env.Schema))
			admin.Exec(fmt.Sprintf("DROP SCHEMA IF EXISTS %s_keys CASCADE", env.Schema))
			admin.Close()
		})
	default:
		t.Fatalf("unknown dialect %q", dialect)
	}
	return env
}

// Q rewrites a query written with ? placeholders for the env's dialect.
func (e *Env) Q(query string) string {
	if e.Dialect != "postgres" {
		return query
	}
	out := make([]byte, 0, len(query)+8)
	n := 0
	for i := 0; i < len(query); i++ {
		if query[i] == '?' {
			n++
			out = append(out, fmt.Sprintf("$%d", n)...)
			continue
		}
		out = append(out, query[i])
	}
	return string(out)
}

// Exec runs a tampering statement directly on the data.
func (e *Env) Exec(t testing.TB, query string, args ...any) {
	t.Helper()
	if _, err := e.Raw.Exec(e.Q(query), args...); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
}
