package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"time"

	"github.com/derbes/derbes/bench"
)

// BenchCmd measures derbes on this machine.
type BenchCmd struct {
	Clients  int           `help:"Concurrent HTTP clients." default:"16"`
	Duration time.Duration `help:"Length of each workload." default:"5s"`
	Preload  int           `help:"Subjects created before the read and lookup workloads." default:"2000"`
	Destroy  int           `help:"Subjects (ten records each) prepared for the destroy workload; 0 sizes it from the rate of creates." name:"destroy-pool" default:"0"`
	Only     []string      `help:"Run only these workloads, in their usual order: create, read, lookup, lookup-phone, destroy, mixed." name:"workloads" placeholder:"W,W"`
	Profile  string        `help:"Write a CPU profile of each workload to DIR/<workload>.prof (and of the journal's verification to DIR/verify.prof); the clients' side of HTTP is in them too." placeholder:"DIR" type:"path"`
	Postgres string        `help:"Measure PostgreSQL at this URL (a scratch schema derbes_bench is created and dropped) instead of the embedded store." placeholder:"URL"`
}

// Run runs the benchmark in a scratch store (never the configured one).
func (c *BenchCmd) Run() error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	cfg := bench.Config{Clients: c.Clients, Duration: c.Duration, Preload: c.Preload, DestroyPool: c.Destroy, ProfileDir: c.Profile, Workloads: c.Only}
	if c.Postgres != "" {
		cfg.DB, cfg.Schema = c.Postgres, "derbes_bench"
		defer bench.DropSchema(context.Background(), c.Postgres, cfg.Schema)
		if err := bench.DropSchema(ctx, c.Postgres, cfg.Schema); err != nil {
			return err
		}
	}
	rep, err := bench.Run(ctx, cfg, os.Stderr)
	if err != nil {
		return err
	}
	fmt.Print(rep)
	return nil
}
