package bench_test

import (
	"context"
	"testing"
	"time"

	"github.com/derbes/derbes/bench"
	"github.com/derbes/derbes/kz"
)

// The benchmark must measure real work: every operation of every workload
// succeeds (a benchmark of error responses would flatter derbes).
func TestBenchmarkWorkloadsSucceed(t *testing.T) {
	t.Parallel()
	rep, err := bench.Run(context.Background(), bench.Config{Clients: 4, Duration: 150 * time.Millisecond, Preload: 20, Dir: t.TempDir()}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Results) != 3 || rep.Ceiling <= 0 {
		t.Fatalf("report: %+v", rep)
	}
	for _, r := range rep.Results {
		if r.Ops == 0 || r.Errors != 0 {
			t.Errorf("%s: %d operations, %d errors", r.Name, r.Ops, r.Errors)
		}
	}
	if rep.BytesPerSubj <= 0 {
		t.Errorf("no size per subject: %v", rep.BytesPerSubj)
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
