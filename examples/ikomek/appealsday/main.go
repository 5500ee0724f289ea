// Command appealsday plays a day of the Astana appeals centre iKomek 109
// (examples/ikomek/policy.yaml) against a running derbes, through the Go
// client: it is a worked example of how an application uses derbes.
//
// Residents call 109 or write through the website, social networks, the
// mobile app, the chat bot or e-mail. Each contact is registered with the
// resident's consent (seed 004 §7-8). About a third are consultations,
// answered on the call and passed to nobody. The rest are appeals, passed
// to the organisation that resolves them (seed 004 §9) with only the
// fields it needs and a 72-hour grant; the executor's system reads them
// through the grant, and is refused anything else. When an appeal is
// closed, its grant is revoked and the executor can read no more. A few
// residents ask what the centre holds about them (Law 94-V Art. 24).
//
//	go run ./cmd/derbes demo            # prints an API key
//	go run ./examples/ikomek/appealsday -key dbs_…
//
// With -concurrency above 1 the same program is a load generator. It exits
// with status 1 if anything unexpected happened.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"sync"
	"time"

	"github.com/derbes/derbes/client"
)

func main() {
	var cfg config
	flag.StringVar(&cfg.URL, "url", "http://127.0.0.1:8080", "the derbes server")
	flag.StringVar(&cfg.Key, "key", "", `API key of the role "integration" (default $DERBES_KEY)`)
	flag.IntVar(&cfg.Appeals, "appeals", 40, "calls and messages in the day")
	flag.Uint64Var(&cfg.Seed, "seed", 1, "the same seed plays the same day")
	flag.IntVar(&cfg.Concurrency, "concurrency", 1, "contacts handled at once")
	flag.Parse()
	if cfg.Key == "" {
		cfg.Key = os.Getenv("DERBES_KEY")
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if _, err := run(ctx, cfg, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "appealsday:", err)
		os.Exit(1)
	}
}

// config is what the command line sets.
type config struct {
	URL         string // the derbes server
	Key         string // an API key of the role "integration" ("dbs_…")
	Appeals     int    // how many calls and messages the day brings
	Seed        uint64 // the same seed plays the same day
	Concurrency int    // contacts handled at once
}

// run plays the day against the derbes at cfg.URL and writes the report
// to out. It returns an error when the day could not start, or when
// anything unexpected happened during it (the report lists what).
func run(ctx context.Context, cfg config, out io.Writer) (*report, error) {
	if cfg.Key == "" {
		return nil, errors.New("no API key: pass -key or set DERBES_KEY (derbes demo prints one)")
	}
	if cfg.Appeals < 1 || cfg.Concurrency < 1 {
		return nil, errors.New("-appeals and -concurrency must be at least 1")
	}
	calls := newCounter(cfg.Concurrency)
	hc := &http.Client{Timeout: 30 * time.Second, Transport: calls}

	// The centre's CRM: the application that registers appeals, with its
	// API key (role "integration" of the policy). One client serves every
	// operator at once.
	crm := client.New(cfg.URL, cfg.Key, client.WithHTTPClient(hc))
	if err := crm.Ready(ctx); err != nil {
		return nil, fmt.Errorf("derbes at %s is not ready: %w", cfg.URL, err)
	}
	if err := checkPolicy(ctx, crm); err != nil {
		return nil, err
	}

	d := &day{crm: crm, url: cfg.URL, hc: hc, rep: newReport(cfg)}
	plan := planDay(cfg.Appeals, cfg.Seed)
	start := time.Now()
	work := make(chan appeal)
	var wg sync.WaitGroup
	for range cfg.Concurrency {
		wg.Go(func() {
			for a := range work {
				d.handle(ctx, a)
			}
		})
	}
feed:
	for _, a := range plan {
		select {
		case work <- a:
		case <-ctx.Done():
			d.fail(a, "the day was interrupted", ctx.Err())
			break feed
		}
	}
	close(work)
	wg.Wait()
	d.rep.Elapsed = time.Since(start)
	d.rep.Calls, d.rep.P50, d.rep.P95 = calls.stats()

	d.rep.print(out)
	if n := len(d.rep.Errors); n > 0 {
		return d.rep, fmt.Errorf("%d unexpected errors", n)
	}
	return d.rep, nil
}
