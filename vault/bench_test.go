package vault_test

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/derbes/derbes/store/storetest"
)

// BenchmarkSweep measures the retention sweep: DERBES_BENCH_SWEEP records
// (default 20000) are due, and one sweep destroys them all. Up to 2000 are
// collected through the vault (subject, consent, record, data keys,
// journal); beyond that, each collected record is copied with its own data
// key under new ids (the copies share their subjects), so that a million
// due records take minutes to prepare, not hours. Run:
//
//	DERBES_BENCH_SWEEP=1000000 go test ./vault -run '^$' -bench Sweep -benchtime 1x -timeout 60m
func BenchmarkSweep(b *testing.B) {
	n := 20000
	if s := os.Getenv("DERBES_BENCH_SWEEP"); s != "" {
		n, _ = strconv.Atoi(s)
	}
	for _, d := range storetest.Dialects {
		b.Run(d, func(b *testing.B) {
			for range b.N {
				b.StopTimer()
				bd := setupB(b, d)
				ctx := context.Background()
				collected := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
				bd.vault.SetClock(func() time.Time { return collected })
				errs := make(chan error, 64)
				sem := make(chan struct{}, 64)
				made := min(n, 2000)
				for i := range made {
					sem <- struct{}{}
					go func() {
						defer func() { <-sem }()
						ns := newAppeal()
						ns.Identifiers = map[string]string{"email": fmt.Sprintf("s%d@example.kz", i)}
						if _, err := bd.vault.CreateSubject(ctx, app, ns); err != nil {
							select {
							case errs <- err:
							default:
							}
						}
					}()
				}
				for range cap(sem) {
					sem <- struct{}{}
				}
				select {
				case err := <-errs:
					b.Fatal(err)
				default:
				}
				if n > made {
					copyRecords(b, bd, made, n)
					n = made * (n / made) // whole copies
				}
				bd.vault.SetClock(func() time.Time { return collected.AddDate(6, 0, 0) })
				b.StartTimer()
				start := time.Now()
				res, err := bd.vault.Sweep(ctx, "bench")
				if err != nil {
					b.Fatal(err)
				}
				el := time.Since(start)
				if res.Destroyed != n {
					b.Fatalf("destroyed %d of %d", res.Destroyed, n)
				}
				b.ReportMetric(float64(n)/el.Seconds(), "records/s")
			}
		})
	}
}

// setupB opens a fresh store and vault for a benchmark.
func setupB(b *testing.B, dialect string) *bundle {
	b.Helper()
	env := storetest.Open(b, dialect)
	return openTB(b, env)
}

// BenchmarkReadUnderASubjectLimit is the cost of a read of a subject not
// read before in the hour, by a role without limits and by one with
// subjects_per_hour, whose distinct subjects are counted in the store. Run:
//
//	go test ./vault -run xxx -bench ReadUnderASubjectLimit -benchtime 2000x
func BenchmarkReadUnderASubjectLimit(b *testing.B) {
	for _, d := range storetest.Dialects {
		for _, limited := range []bool{false, true} {
			b.Run(fmt.Sprintf("%s/limited=%v", d, limited), func(b *testing.B) {
				bd := setupB(b, d)
				ctx := context.Background()
				if limited {
					editTB(b, bd, canNow, withAdmin+"    limits: {subjects_per_hour: 1000000}\n")
				}
				ids := make([]string, b.N)
				for i := range ids {
					ns := newAppeal()
					ns.Identifiers = map[string]string{"email": fmt.Sprintf("r%d@example.kz", i)}
					sid, _, err := split(bd.vault.CreateSubject(ctx, app, ns))
					if err != nil {
						b.Fatal(err)
					}
					ids[i] = sid
				}
				b.ResetTimer()
				for i := range b.N {
					if _, err := bd.vault.ListRecords(ctx, app, ids[i], "appeals"); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// copyRecords makes n due records (rounded down to a multiple of made) out
// of the made collected ones: each is copied, with a copy of its data key,
// under the id "<id>.<k>".
func copyRecords(b *testing.B, bd *bundle, made, n int) {
	b.Helper()
	env := bd.env
	keysTable := "keys.data_keys"
	if env.Dialect == "postgres" {
		keysTable = env.Schema + "_keys.data_keys"
	} else {
		if _, err := env.Raw.Exec("ATTACH DATABASE ? AS keys", env.Dir+"/keys.db"); err != nil {
			b.Fatal(err)
		}
		env.Raw.SetMaxOpenConns(1) // the attachment is per connection
	}
	// One statement per table: whole copies of the collected records.
	copies := (n - made) / made
	series := "WITH RECURSIVE s(k) AS (SELECT 1 UNION ALL SELECT k + 1 FROM s WHERE k < ?) "
	if _, err := env.Raw.Exec(env.Q(series+`INSERT INTO `+keysTable+` (owner, master_version, wrapped)
		SELECT d.owner || '.' || s.k, d.master_version, d.wrapped FROM `+keysTable+` d JOIN records r ON r.id = d.owner CROSS JOIN s`), copies); err != nil {
		b.Fatal(err)
	}
	if _, err := env.Raw.Exec(env.Q(series+`INSERT INTO records (id, subject_id, purpose, channel, ground, state, field_names, fields, policy_version,
		created_at, updated_at, destroyed_at, consent_id, retention_end)
		SELECT id || '.' || s.k, subject_id, purpose, channel, ground, state, field_names, fields, policy_version,
		created_at, updated_at, destroyed_at, consent_id, retention_end FROM records CROSS JOIN s`), copies); err != nil {
		b.Fatal(err)
	}
}
