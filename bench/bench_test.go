package bench_test

import (
	"context"
	"os"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/derbes/derbes/bench"
	"github.com/derbes/derbes/kz"
	"github.com/derbes/derbes/store/storetest"
)

// The benchmark must measure real work: every operation of every workload
// succeeds (a benchmark of error responses would flatter derbes), on both
// stores, and the report prints each figure. This is the CI smoke run.
func TestBenchmarkWorkloadsSucceed(t *testing.T) {
	t.Parallel()
	for _, d := range storetest.Dialects {
		t.Run(d, func(t *testing.T) {
			t.Parallel()
			env := storetest.Config(t, d)
			cfg := bench.Config{Clients: 4, Duration: 150 * time.Millisecond, Preload: 20, DestroyPool: 40,
				Dir: env.Dir, DB: env.Config.URL, Schema: env.Config.Schema}
			rep, err := bench.Run(context.Background(), cfg, nil)
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range []bench.Result{rep.HTTP, rep.HTTPAgain, rep.Commit, rep.CommitAgain} {
				if c.Rate() <= 0 || c.Errors != 0 {
					t.Fatalf("ceiling: %v", c)
				}
			}
			httpCeiling := max(rep.HTTP.Rate(), rep.HTTPAgain.Rate())
			commitCeiling := max(rep.Commit.Rate(), rep.CommitAgain.Rate())
			if len(rep.Results) != len(bench.Workloads) {
				t.Fatalf("%d results for %d workloads", len(rep.Results), len(bench.Workloads))
			}
			for i, r := range rep.Results {
				if r.Name != bench.Workloads[i].Name {
					t.Errorf("result %d is %q, want %q", i, r.Name, bench.Workloads[i].Name)
				}
				if r.Ops == 0 || r.Errors != 0 {
					t.Errorf("%s: %d operations, %d errors", r.Name, r.Ops, r.Errors)
				}
				if r.HTTPCeiling != httpCeiling {
					t.Errorf("%s is not compared with the HTTP ceiling", r.Name)
				}
				oneWrite := bench.Workloads[i].Key == "create" || bench.Workloads[i].Key == "destroy"
				if oneWrite != (r.CommitCeiling == commitCeiling) {
					t.Errorf("%s: commit ceiling %v", r.Name, r.CommitCeiling)
				}
			}
			if v := rep.Verify; v == nil || v.Entries == 0 || v.Bytes <= 32*v.Entries || v.Elapsed <= 0 {
				t.Errorf("journal verification: %+v", v)
			}
			if rep.BytesPerSubj <= 0 {
				t.Errorf("no size per subject: %v", rep.BytesPerSubj)
			}
			if runtime.GOOS == "linux" || runtime.GOOS == "darwin" {
				for _, r := range rep.Results {
					if r.CPUPerOp <= 0 || r.MaxRSS <= 0 {
						t.Errorf("%s: cpu/op %s, peak RSS %d", r.Name, r.CPUPerOp, r.MaxRSS)
					}
				}
			}
			// One line per result, each with its figures.
			out := rep.String()
			lines := strings.Split(out, "\n")
			for _, want := range append([]string{"HTTP ceiling", "HTTP ceiling, again", "commit ceiling", "commit ceiling, again"}, names()...) {
				i := slices.IndexFunc(lines, func(l string) bool { return strings.HasPrefix(l, want+" ") })
				if i < 0 {
					t.Errorf("no line for %s in:\n%s", want, out)
					continue
				}
				if !figures.MatchString(lines[i]) {
					t.Errorf("the line of %s has no figures: %s", want, lines[i])
				}
			}
			for _, want := range []string{"% of commits", "journal verify", "MB/s", "entries/s", "bytes"} {
				if !strings.Contains(out, want) {
					t.Errorf("the report does not say %q:\n%s", want, out)
				}
			}
		})
	}
}

// figures are a rate, three latencies and the count of errors.
var figures = regexp.MustCompile(`\d+ ops/s +p50 +[0-9.]+[µm]?s +p99 +[0-9.]+[µm]?s +p999 +[0-9.]+[µm]?s +errors 0`)

func names() []string {
	var n []string
	for _, w := range bench.Workloads {
		n = append(n, w.Name)
	}
	return n
}

func TestBenchmarkRunsOnlyTheWorkloadsAsked(t *testing.T) {
	t.Parallel()
	rep, err := bench.Run(context.Background(), bench.Config{Clients: 2, Duration: 50 * time.Millisecond, Preload: 4, Dir: t.TempDir(), Workloads: []string{"mixed"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Results) != 1 || rep.Results[0].Name != "mixed 70/20/10" || rep.Results[0].Errors != 0 {
		t.Fatalf("results: %+v", rep.Results)
	}
	if _, err := bench.Run(context.Background(), bench.Config{Workloads: []string{"nothing"}}, nil); err == nil {
		t.Fatal("an unknown workload was accepted")
	}
}

// BenchmarkWorkloads runs each workload through HTTP with 8 goroutines per
// core, and again as direct calls of the vault (direct-…, no HTTP), for
// profiling one workload at a time:
//
//	go test ./bench -run '^$' -bench 'Workloads/^create$' -benchtime 20000x -cpuprofile /tmp/create.prof
//
// DERBES_BENCH_POSTGRES=postgres://… measures PostgreSQL instead (schema
// derbes_gobench, dropped before and after); DERBES_BENCH_PRELOAD sets the
// number of subjects created first (default 2000).
func BenchmarkWorkloads(b *testing.B) {
	ctx := context.Background()
	cfg := bench.Config{Dir: b.TempDir(), Clients: 16}
	if url := os.Getenv("DERBES_BENCH_POSTGRES"); url != "" {
		cfg.DB, cfg.Schema, cfg.Dir = url, "derbes_gobench", ""
		if err := bench.DropSchema(ctx, url, cfg.Schema); err != nil {
			b.Fatal(err)
		}
		defer bench.DropSchema(ctx, url, cfg.Schema)
	}
	preload := 2000
	if n, err := strconv.Atoi(os.Getenv("DERBES_BENCH_PRELOAD")); err == nil {
		preload = n
	}
	e, err := bench.Start(ctx, cfg)
	if err != nil {
		b.Fatal(err)
	}
	defer e.Close()
	if err := e.Preload(ctx, preload, nil); err != nil {
		b.Fatal(err)
	}
	keys := []string{"ceiling"}
	for _, w := range bench.Workloads {
		keys = append(keys, w.Key, "direct-"+w.Key)
	}
	for _, k := range keys {
		b.Run(k, func(b *testing.B) {
			op := e.Op(k)
			if k == "destroy" || k == "direct-destroy" {
				// Each operation destroys a subject with ten records,
				// prepared before the timer starts.
				if err := e.PrepareDestroy(ctx, b.N, nil); err != nil {
					b.Fatal(err)
				}
			}
			var errs atomic.Int64
			b.SetParallelism(8)
			cpu0, _, _ := bench.Usage()
			s0 := e.Store.Stats()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if err := op(0); err != nil {
						errs.Add(1)
					}
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ops/s")
			if s1 := e.Store.Stats(); s1.Commits > s0.Commits {
				b.ReportMetric(float64(s1.Writes-s0.Writes)/float64(s1.Commits-s0.Commits), "writes/commit")
				b.ReportMetric(float64((s1.Busy-s0.Busy).Microseconds())/float64(b.N), "writer-µs/op")
			}
			if cpu1, _, ok := bench.Usage(); ok {
				b.ReportMetric(float64((cpu1-cpu0).Microseconds())/float64(b.N), "cpu-µs/op")
			}
			if n := errs.Load(); n > 0 {
				b.Fatalf("%d of %d operations failed", n, b.N)
			}
		})
	}
}

func TestInventedIINsAreValidAndDistinct(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for n := 1; n < 50000; n++ {
		s := bench.IIN(n)
		if _, err := kz.ParseIIN(s); err != nil {
			t.Fatalf("IIN(%d) = %s: %v", n, s, err)
		}
		if seen[s] {
			t.Fatalf("IIN(%d) = %s repeats", n, s)
		}
		seen[s] = true
	}
}
