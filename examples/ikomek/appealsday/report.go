package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/derbes/derbes/client"
)

// executors, for the report: the recipients of the policy and the topics
// routed to them (see topics).
var executors = []struct{ ID, About string }{
	{"city-departments", "city akimat departments: lights, roads"},
	{"utilities", "utility companies: heating, water"},
	{"housing", "OSI/KSK and lift companies: lifts, buildings"},
	{"district-akimats", "district akimats: rubbish, playgrounds, the rest"},
}

// report is what happened during the day.
type report struct {
	cfg         config
	Contacts    int            // calls and messages handled
	ByChannel   map[string]int // contacts by channel
	Consults    int            // consultations closed at the first call
	Known       int            // appeals of residents found by IIN
	Transferred map[string]int // appeals passed on, by executor
	Reads       int            // executor reads through a grant, all within it
	OutsideTry  int            // executor reads of a field not passed (the IIN)
	OutsideDeny int            // ... refused with 403
	Closed      int            // appeals closed: grant revoked
	AfterTry    int            // executor reads after the closure
	AfterDeny   int            // ... refused with 403
	Asked       int            // residents who asked what is held about them
	Answered    int            // ... answered, naming the executor
	Errors      []string       // everything unexpected

	Elapsed  time.Duration
	Calls    int           // API calls made
	P50, P95 time.Duration // their latency
}

func newReport(cfg config) *report {
	return &report{cfg: cfg, ByChannel: map[string]int{}, Transferred: map[string]int{}}
}

// transfers is the number of appeals passed to executors.
func (r *report) transfers() int {
	n := 0
	for _, v := range r.Transferred {
		n += v
	}
	return n
}

// print writes the report for the centre's manager.
func (r *report) print(w io.Writer) {
	line := func(label string, n int, note string) {
		fmt.Fprintln(w, strings.TrimRight(fmt.Sprintf("  %-44s %5d  %s", label, n, note), " "))
	}
	fmt.Fprintf(w, "iKomek 109 — a day of appeals\n")
	fmt.Fprintf(w, "  (derbes at %s, seed %d, %d at a time)\n\n", r.cfg.URL, r.cfg.Seed, r.cfg.Concurrency)

	line("Calls and messages received", r.Contacts, "")
	for _, c := range channelWeights {
		note := ""
		if c.ID == "call-109" {
			note = fmt.Sprintf("%d of them consultations", r.Consults)
		}
		line("  "+c.ID, r.ByChannel[c.ID], note)
	}
	line("Consultations closed at the first call", r.Consults, "nothing passed on")
	line("Appeals passed to executors", r.transfers(), "name, phone, address, appeal text; 72-hour grant")
	for _, e := range executors {
		line("  "+e.ID, r.Transferred[e.ID], e.About)
	}
	if r.Known > 0 {
		line("  of them from residents known before", r.Known, "found by IIN")
	}
	line("Executor reads through their grants", r.Reads, "all within the grant")
	line("Reads outside the grant refused", r.OutsideDeny, fmt.Sprintf("of %d tries (the executor asked for the IIN)", r.OutsideTry))
	line("Appeals closed, grants revoked", r.Closed, "")
	line("Executor reads after closure refused", r.AfterDeny, fmt.Sprintf("of %d tries", r.AfterTry))
	line("Residents who asked what is held on them", r.Asked, fmt.Sprintf("%d answered, each naming the executor", r.Answered))
	line("Errors", len(r.Errors), "")
	for i, e := range r.Errors {
		if i == 10 {
			fmt.Fprintf(w, "    ... and %d more\n", len(r.Errors)-10)
			break
		}
		fmt.Fprintf(w, "    %s\n", e)
	}
	secs := r.Elapsed.Seconds()
	fmt.Fprintf(w, "\n  Elapsed %s: %.1f contacts/s; %d API calls, %.0f/s, p50 %s, p95 %s\n",
		r.Elapsed.Round(time.Millisecond), float64(r.Contacts)/secs, r.Calls, float64(r.Calls)/secs,
		r.P50.Round(10*time.Microsecond), r.P95.Round(10*time.Microsecond))
}

// checkPolicy makes sure the server enforces the iKomek policy this day is
// written for: its purposes, their channels and the executors.
func checkPolicy(ctx context.Context, c *client.Client) error {
	ap, err := c.Policy(ctx)
	if err != nil {
		return fmt.Errorf("reading the active policy: %w", err)
	}
	var p struct {
		Purposes []struct {
			ID         string   `json:"id"`
			Channels   []string `json:"channels"`
			Recipients []string `json:"recipients"`
		} `json:"purposes"`
	}
	if err := json.Unmarshal(ap.Policy, &p); err != nil {
		return fmt.Errorf("reading the active policy: %w", err)
	}
	want := map[string][]string{"consultation": {"call-109"}}
	for _, c := range channelWeights {
		want["appeals"] = append(want["appeals"], c.ID)
	}
	notIKomek := "the active policy is not iKomek's (examples/ikomek/policy.yaml): "
	for _, pu := range p.Purposes {
		chans, ok := want[pu.ID]
		if !ok {
			continue
		}
		for _, ch := range chans {
			if !slices.Contains(pu.Channels, ch) {
				return fmt.Errorf("%spurpose %s has no channel %s", notIKomek, pu.ID, ch)
			}
		}
		if pu.ID == "appeals" {
			for _, e := range executors {
				if !slices.Contains(pu.Recipients, e.ID) {
					return fmt.Errorf("%sappeals do not go to %s", notIKomek, e.ID)
				}
			}
		}
		delete(want, pu.ID)
	}
	for id := range want {
		return fmt.Errorf("%sit has no purpose %s", notIKomek, id)
	}
	return nil
}

// counter counts the API calls and times them (until the answer's
// headers), for when the program is used as a load generator.
type counter struct {
	next http.RoundTripper
	mu   sync.Mutex
	took []time.Duration
}

func newCounter(conns int) *counter {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = conns
	return &counter{next: t}
}

func (c *counter) RoundTrip(req *http.Request) (*http.Response, error) {
	start := time.Now()
	resp, err := c.next.RoundTrip(req)
	c.mu.Lock()
	c.took = append(c.took, time.Since(start))
	c.mu.Unlock()
	return resp, err
}

func (c *counter) stats() (n int, p50, p95 time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.took) == 0 {
		return 0, 0, 0
	}
	t := slices.Clone(c.took)
	slices.Sort(t)
	return len(t), t[len(t)*50/100], t[len(t)*95/100]
}
