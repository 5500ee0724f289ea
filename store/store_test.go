package store

import (
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"testing"
)

// The two dialects must offer the same queries and the same migrations.
func TestDialectsMatch(t *testing.T) {
	t.Parallel()
	sq, err := queries("sqlite")
	if err != nil {
		t.Fatal(err)
	}
	pq, err := queries("postgres")
	if err != nil {
		t.Fatal(err)
	}
	a, b := slices.Sorted(maps.Keys(sq)), slices.Sorted(maps.Keys(pq))
	if !slices.Equal(a, b) {
		t.Fatalf("queries differ:\nsqlite:   %v\npostgres: %v", a, b)
	}
	for _, part := range []string{"data", "keys"} {
		sm, _ := fs.Glob(files, "migrations/sqlite/"+part+"/*.sql")
		pm, _ := fs.Glob(files, "migrations/postgres/"+part+"/*.sql")
		if len(sm) == 0 || len(sm) != len(pm) {
			t.Fatalf("%s migrations: %d for sqlite, %d for postgres", part, len(sm), len(pm))
		}
		for i := range sm {
			if base(sm[i]) != base(pm[i]) {
				t.Fatalf("migration %d is %s for sqlite but %s for postgres", i, base(sm[i]), base(pm[i]))
			}
		}
	}
}

func base(p string) string {
	for i := len(p) - 1; i >= 0; i-- {
		if p[i] == '/' {
			return p[i+1:]
		}
	}
	return p
}

// Every query name the Go code runs is defined (a missing one panics at
// run time, so it is caught here instead).
func TestEveryQueryUsedExists(t *testing.T) {
	t.Parallel()
	sq, _ := queries("sqlite")
	srcs, _ := filepath.Glob("*.go")
	used := regexp.MustCompile(`(?:sql|exec|execOne|row)\((?:ctx, )?"([A-Za-z]+)"`)
	n := 0
	for _, f := range srcs {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range used.FindAllSubmatch(b, -1) {
			n++
			if sq[string(m[1])] == "" {
				t.Errorf("%s runs query %s, which queries/sqlite.sql does not define", f, m[1])
			}
		}
	}
	if n < 20 {
		t.Fatalf("found only %d query uses; the pattern is stale", n)
	}
}
