package vault_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/derbes/derbes/vault"
)

// BenchmarkReindex measures how fast a rotation of the blind-index key
// re-indexes: DERBES_BENCH_REINDEX subjects (default 20000), each with a
// phone and an e-mail, are created, then the index key is rotated. The rate
// is taken between the first and the last batch, so that the grace waited
// for other nodes is not counted. Run:
//
//	DERBES_BENCH_REINDEX=100000 go test ./vault -run xxx -bench Reindex -benchtime 1x
func BenchmarkReindex(b *testing.B) {
	n := 20000
	if s := os.Getenv("DERBES_BENCH_REINDEX"); s != "" {
		n, _ = strconv.Atoi(s)
	}
	for _, d := range []string{"sqlite", "postgres"} {
		b.Run(d, func(b *testing.B) {
			for range b.N {
				b.StopTimer()
				bd := setupB(b, d)
				ctx := context.Background()
				errs := make(chan error, 1)
				sem := make(chan struct{}, 64)
				for i := range n {
					sem <- struct{}{}
					go func() {
						defer func() { <-sem }()
						if _, err := bd.vault.CreateSubject(ctx, app, phoneSubject(i)); err != nil {
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
				path := filepath.Join(b.TempDir(), "keyring.json")
				var first, last time.Time
				var firstDone, lastDone int
				b.StartTimer()
				done, err := bd.vault.RotateIndex(ctx, vault.System, vault.IndexRotation{
					Save: func() error { return bd.env.Ring.Save(path) },
					Progress: func(done int) {
						if first.IsZero() {
							first, firstDone = time.Now(), done
						}
						last, lastDone = time.Now(), done
					},
				})
				b.StopTimer()
				if err != nil || done != n {
					b.Fatalf("re-indexed %d of %d: %v", done, n, err)
				}
				rate := float64(lastDone-firstDone) / last.Sub(first).Seconds()
				b.ReportMetric(rate, "subjects/s")
				fmt.Printf("reindex %s: %d subjects, %.0f subjects/s (%.1f s without the grace)\n", d, n, rate, float64(n)/rate)
			}
		})
	}
}
