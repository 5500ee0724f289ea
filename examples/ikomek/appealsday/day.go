package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/derbes/derbes/client"
)

// config is what the command line sets.
type config struct {
	URL         string // the derbes server
	Key         string // an API key of the role "integration" ("dbs_…")
	Appeals     int    // how many calls and messages the day brings
	Seed        uint64 // the same seed gives the same day
	Concurrency int    // appeals handled at once
}

// The executors' fields: what each of them needs to resolve an appeal and
// call the resident back, and no more (seed 004 §5, §8). Never the IIN.
var executorFields = []string{"full_name", "phone", "address", "appeal_text"}

// grantFor is how long an executor may read an appeal: three days, unless
// the appeal is closed sooner.
const grantFor = "72h"

// executors, for the report: the recipients of the policy and the topics
// routed to them.
var executors = []struct{ ID, About string }{
	{"city-departments", "city akimat departments: lights, roads"},
	{"utilities", "utility companies: heating, water"},
	{"housing", "OSI/KSK and lift companies: lifts, buildings"},
	{"district-akimats", "district akimats: rubbish, playgrounds, the rest"},
}

// report is what happened during the day.
type report struct {
	URL, Seed   string
	Concurrency int
	Appeals     int            // contacts handled
	ByChannel   map[string]int // contacts by channel
	Consults    int            // consultations closed at the first call
	Known       int            // residents found by IIN from an earlier day
	Transferred map[string]int // appeals passed on, by executor
	Reads       int            // executor reads through a grant, all within it
	OutsideTry  int            // executor reads of a field not passed (the IIN)
	OutsideDeny int            // ... refused with 403
	Closed      int            // appeals closed: grant revoked
	AfterTry    int            // executor reads after the closure
	AfterDeny   int            // ... refused with 403
	Errors      []string       // everything unexpected
	Elapsed     time.Duration
	Calls       int // API calls made
	p50, p95    time.Duration
}

// transfers is the number of appeals passed to executors.
func (r *report) transfers() int {
	n := 0
	for _, v := range r.Transferred {
		n += v
	}
	return n
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
	calls := &counter{next: http.DefaultTransport.(*http.Transport).Clone()}
	calls.next.MaxIdleConnsPerHost = cfg.Concurrency
	hc := &http.Client{Timeout: 30 * time.Second, Transport: calls}

	// The centre's CRM: the application that registers appeals, with its
	// API key (role "integration" of the policy).
	crm := client.New(cfg.URL, cfg.Key, client.WithHTTPClient(hc))
	if err := crm.Ready(ctx); err != nil {
		return nil, fmt.Errorf("derbes at %s is not ready: %w", cfg.URL, err)
	}
	if err := checkPolicy(ctx, crm); err != nil {
		return nil, err
	}

	d := &day{crm: crm, url: cfg.URL, hc: hc, rep: &report{URL: cfg.URL, Seed: fmt.Sprint(cfg.Seed), Concurrency: cfg.Concurrency,
		ByChannel: map[string]int{}, Transferred: map[string]int{}}}
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
			d.fail(a, "day", ctx.Err())
			break feed
		}
	}
	close(work)
	wg.Wait()
	d.rep.Elapsed = time.Since(start)
	d.rep.Calls, d.rep.p50, d.rep.p95 = calls.stats()

	d.rep.print(out)
	if n := len(d.rep.Errors); n > 0 {
		return d.rep, fmt.Errorf("%d unexpected errors", n)
	}
	return d.rep, nil
}

// day is the state shared by the operators handling appeals at once.
type day struct {
	crm *client.Client
	url string
	hc  *http.Client
	mu  sync.Mutex
	rep *report
}

// count changes the report under the lock.
func (d *day) count(f func(r *report)) {
	d.mu.Lock()
	defer d.mu.Unlock()
	f(d.rep)
}

// fail records something unexpected. Errors from derbes never hold
// personal data, so they can be printed as they are.
func (d *day) fail(a appeal, step string, err error) {
	d.count(func(r *report) {
		r.Errors = append(r.Errors, fmt.Sprintf("appeal %d (%s): %s: %v", a.N, a.Channel, step, err))
	})
}

// handle is one contact, from the call to its closure.
func (d *day) handle(ctx context.Context, a appeal) {
	d.count(func(r *report) { r.Appeals++; r.ByChannel[a.Channel]++ })

	// 1. Register the resident, their consent and the appeal in one
	// request. Seed 004 §7-8: contacting the centre is consent to the
	// processing and to passing the data on to whoever resolves the
	// appeal; the call recording (or the message on the channel) is the
	// evidence.
	if a.Consultation {
		d.consult(ctx, a)
		return
	}
	subject, record, err := d.register(ctx, a)
	if err != nil {
		d.fail(a, "register", err)
		return
	}

	// 2. Pass the appeal to the executor that fits its topic: only this
	// appeal's record, only the fields the executor needs, with a grant
	// that lets the executor's system read them for 72 hours.
	x, err := d.passOn(ctx, subject, record, a.Topic.Recipient)
	if err != nil {
		d.fail(a, "transfer to "+a.Topic.Recipient, err)
		return
	}
	d.count(func(r *report) { r.Transferred[a.Topic.Recipient]++ })
	executor := newExecutor(d.url, x.token, d.hc)

	// 3. The executor reads the resident's contact data and the appeal
	// through its grant, and nothing else.
	shared, err := executor.read(ctx)
	if err != nil {
		d.fail(a, "executor read", err)
		return
	}
	if err := checkShared(shared, a); err != nil {
		d.fail(a, "executor read", err)
		return
	}
	d.count(func(r *report) { r.Reads++ })

	// 4. It reaches for the resident's IIN, which it was not given:
	// refused (403 field-not-granted), and the refusal is journaled.
	d.count(func(r *report) { r.OutsideTry++ })
	_, err = executor.read(ctx, "iin")
	switch {
	case err == nil:
		d.fail(a, "executor read of the IIN", errors.New("derbes gave a field the executor was not given"))
	case refused(err, "field-not-granted"):
		d.count(func(r *report) { r.OutsideDeny++ })
	default:
		d.fail(a, "executor read of the IIN", err)
	}
	if !a.Closed {
		return
	}

	// 5. The executor reports the problem fixed; the operator closes the
	// appeal and revokes the grant at once, without waiting 72 hours.
	if err := d.revoke(ctx, x.id); err != nil {
		d.fail(a, "revoke", err)
		return
	}
	d.count(func(r *report) { r.Closed++; r.AfterTry++ })
	_, err = executor.read(ctx)
	switch {
	case err == nil:
		d.fail(a, "executor read after closure", errors.New("derbes still answered a revoked grant"))
	case refused(err, "grant-invalid"):
		d.count(func(r *report) { r.AfterDeny++ })
	default:
		d.fail(a, "executor read after closure", err)
	}
}

// consult registers a consultation: a question answered during the call.
// It needs no IIN and no address, and goes to nobody (purpose
// consultation, channel call-109 only).
func (d *day) consult(ctx context.Context, a appeal) {
	p := a.Resident
	_, err := d.crm.CreateSubject(ctx, client.SubjectIn{
		Category:    "applicant",
		Purpose:     "consultation",
		Identifiers: map[string]string{"phone": p.Phone},
		Consent: &client.ConsentIn{
			SubjectName: p.FullName,
			Purposes:    []string{"consultation"},
			Fields:      []string{"full_name", "phone", "appeal_text"},
			// Nothing of a consultation leaves the centre.
			ThirdParty: false,
			Form:       client.ConsentForm{Kind: client.FormOther, Reference: evidence[a.Channel]},
		},
		Record: &client.RecordIn{
			Channel: a.Channel,
			Fields:  map[string]string{"full_name": p.FullName, "appeal_text": a.Text},
		},
	})
	if err != nil {
		d.fail(a, "register consultation", err)
		return
	}
	d.count(func(r *report) { r.Consults++ })
}

// evidence is how each channel proves the resident's consent.
var evidence = map[string]string{
	"call-109":   "109 call recording",
	"website":    "appeal form on ikomekastana.kz",
	"social":     "message to the centre's social-network account",
	"mobile-app": "appeal sent in the iKomek mobile app",
	"chatbot":    "chat-bot conversation log",
	"email":      "e-mail received by the centre",
}

// register stores an appeal: a new resident with their consent and the
// appeal, or, for a resident the centre already knows by IIN, a new
// consent and the appeal added to them. It returns the subject and the
// appeal's record.
func (d *day) register(ctx context.Context, a appeal) (subject, record string, err error) {
	p := a.Resident
	ids := map[string]string{"iin": p.IIN, "phone": p.Phone}
	fields := []string{"iin", "full_name", "phone", "address", "appeal_text"}
	if p.Email != "" {
		ids["email"] = p.Email
		fields = append(fields, "email")
	}
	consent := client.ConsentIn{
		SubjectName: p.FullName,
		Purposes:    []string{"appeals"},
		Fields:      fields,
		// Seed 004 §8-9: the appeal goes to the executors.
		ThirdParty: true,
		Form:       client.ConsentForm{Kind: client.FormOther, Reference: evidence[a.Channel]},
	}
	rec := client.RecordIn{
		Purpose: "appeals",
		Channel: a.Channel,
		Fields:  map[string]string{"full_name": p.FullName, "address": p.Address, "appeal_text": a.Text},
	}
	created, err := d.crm.CreateSubject(ctx, client.SubjectIn{
		Category: "applicant", Purpose: "appeals", Identifiers: ids, Consent: &consent, Record: &rec})
	if client.Code(err) != "subject-exists" {
		return created.Subject, created.Record, err
	}

	// The resident appealed before (an IIN belongs to one subject): find
	// them, record this contact's consent, and add the appeal to them.
	found, err := d.crm.Lookup(ctx, "appeals", "iin", p.IIN)
	if err != nil {
		return "", "", err
	}
	if len(found) != 1 {
		return "", "", fmt.Errorf("lookup by IIN found %d subjects", len(found))
	}
	if rec.Consent, err = d.crm.GiveConsent(ctx, found[0], consent); err != nil {
		return "", "", err
	}
	created, err = d.crm.AddRecord(ctx, found[0], rec)
	if err != nil {
		return "", "", err
	}
	d.count(func(r *report) { r.Known++ })
	return found[0], created.Record, nil
}

// checkShared checks that the executor got what it needs about this
// appeal, and not the IIN.
func checkShared(s *shared, a appeal) error {
	if s.Identifiers["iin"] != "" {
		return errors.New("the executor was shown the IIN")
	}
	if s.Identifiers["phone"] == "" {
		return errors.New("the executor got no phone number to call back")
	}
	if len(s.Records) != 1 {
		return fmt.Errorf("the executor got %d records, want the one appeal", len(s.Records))
	}
	f := s.Records[0].Fields
	if f["appeal_text"] != a.Text || f["full_name"] != a.Resident.FullName || f["address"] == "" {
		return errors.New("the executor got another appeal's data")
	}
	return nil
}

// refused reports whether err is derbes's 403 with the problem code.
func refused(err error, code string) bool {
	var p *client.Problem
	return errors.As(err, &p) && p.Status == http.StatusForbidden && p.Code() == code
}

// checkPolicy makes sure the server enforces the iKomek policy this day is
// written for: its purposes, channels and recipients.
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
	want := map[string][]string{"consultation": {"call-109"}, "appeals": nil}
	for _, c := range channelWeights {
		want["appeals"] = append(want["appeals"], c.ID)
	}
	for _, pu := range p.Purposes {
		chans, ok := want[pu.ID]
		if !ok {
			continue
		}
		for _, ch := range chans {
			if !slices.Contains(pu.Channels, ch) {
				return fmt.Errorf("the active policy is not iKomek's: purpose %s has no channel %s", pu.ID, ch)
			}
		}
		if pu.ID == "appeals" {
			for _, e := range executors {
				if !slices.Contains(pu.Recipients, e.ID) {
					return fmt.Errorf("the active policy is not iKomek's: appeals do not go to %s", e.ID)
				}
			}
		}
		delete(want, pu.ID)
	}
	for id := range want {
		return fmt.Errorf("the active policy is not iKomek's: it has no purpose %s", id)
	}
	return nil
}

// print writes the report for the centre's manager.
func (r *report) print(w io.Writer) {
	line := func(label string, n int, note string) {
		fmt.Fprintf(w, "  %-44s %5d  %s\n", label, n, note)
	}
	fmt.Fprintf(w, "iKomek 109 — a day of appeals\n")
	fmt.Fprintf(w, "  (derbes at %s, seed %s, %d at a time)\n\n", r.URL, r.Seed, r.Concurrency)

	line("Calls and messages received", r.Appeals, "")
	for _, c := range channelWeights {
		line("  "+c.ID, r.ByChannel[c.ID], "")
	}
	line("Consultations closed at the first call", r.Consults, "nothing passed on")
	line("Appeals passed to executors", r.transfers(), "name, phone, address, appeal text; grant of "+grantFor)
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
	line("Errors", len(r.Errors), "")
	for i, e := range r.Errors {
		if i == 10 {
			fmt.Fprintf(w, "    ... and %d more\n", len(r.Errors)-10)
			break
		}
		fmt.Fprintf(w, "    %s\n", e)
	}
	secs := r.Elapsed.Seconds()
	fmt.Fprintf(w, "\n  Elapsed %s: %.1f appeals/s; %d API calls, %.0f/s, p50 %s, p95 %s\n",
		r.Elapsed.Round(time.Millisecond), float64(r.Appeals)/secs, r.Calls, float64(r.Calls)/secs,
		r.p50.Round(10*time.Microsecond), r.p95.Round(10*time.Microsecond))
}

// counter counts the API calls and times them.
type counter struct {
	next *http.Transport
	n    atomic.Int64
	mu   sync.Mutex
	took []time.Duration
}

func (c *counter) RoundTrip(req *http.Request) (*http.Response, error) {
	start := time.Now()
	resp, err := c.next.RoundTrip(req)
	c.n.Add(1)
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
	sort.Slice(t, func(i, j int) bool { return t[i] < t[j] })
	return int(c.n.Load()), t[len(t)*50/100], t[len(t)*95/100]
}

var _ = strings.Join
