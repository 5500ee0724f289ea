// Package bench measures derbes the way an appeals centre loads it: a real
// server on a real store, concurrent HTTP clients, every read journaled.
// Each figure is printed next to the machine's own ceiling measured in the
// same run (an HTTP handler that does nothing), so figures from noisy
// shared machines stay comparable.
package bench

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/derbes/derbes/access"
	"github.com/derbes/derbes/api"
	"github.com/derbes/derbes/examples"
	"github.com/derbes/derbes/keys"
	"github.com/derbes/derbes/kz"
	"github.com/derbes/derbes/policy"
	"github.com/derbes/derbes/store"
	"github.com/derbes/derbes/vault"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx"
)

// Config says what to measure.
type Config struct {
	// DB is empty for the embedded store or a postgres:// URL.
	DB string
	// Schema is the PostgreSQL schema (dropped afterwards by the caller).
	Schema string
	// Dir is where the embedded store is created (a temporary directory if
	// empty).
	Dir string
	// Clients is the number of concurrent HTTP clients.
	Clients int
	// Duration of each workload.
	Duration time.Duration
	// Preload subjects are created before the read and lookup workloads.
	Preload int
	// Workloads names the workloads to run (see Workloads); all when empty.
	Workloads []string
}

// Workloads are the workloads Run measures, in order: the key names them in
// Config.Workloads and Env.Op.
var Workloads = []struct{ Key, Name string }{
	{"create", "create subject+record"},
	{"read", "read record"},
	{"lookup", "lookup by IIN"},
	{"mixed", "mixed 70/20/10"},
}

// Result is one workload's figures.
type Result struct {
	Name     string
	Ops      int
	Errors   int
	Elapsed  time.Duration
	P50, P99 time.Duration
	P999     time.Duration
	// Ceiling is the same workload's rate against a handler that does
	// nothing, measured in the same run.
	Ceiling float64
	// CPUPerOp is the process's CPU time (user + system, from getrusage)
	// per operation. The clients run in the same process, so it includes
	// their side of HTTP; the ceiling's own CPUPerOp is that part.
	CPUPerOp time.Duration
	// MaxRSS is the process's peak resident set size (ru_maxrss) at the end
	// of the workload, in bytes.
	MaxRSS int64
	// PerCommit is the mean number of writes (each a journaled request)
	// that shared one database transaction: the group commit's batch.
	PerCommit float64
}

// Rate is operations per second.
func (r Result) Rate() float64 { return float64(r.Ops) / r.Elapsed.Seconds() }

func (r Result) String() string {
	ratio := ""
	if r.Ceiling > 0 {
		ratio = fmt.Sprintf("%5.1f%% of the HTTP ceiling", 100*r.Rate()/r.Ceiling)
	}
	res := ""
	if r.MaxRSS > 0 {
		res = fmt.Sprintf("  cpu/op %6s  peak RSS %4d MB", round(r.CPUPerOp), r.MaxRSS>>20)
	}
	if r.PerCommit > 0 {
		res += fmt.Sprintf("  %.1f writes/commit", r.PerCommit)
	}
	return fmt.Sprintf("%-22s %9.0f ops/s  p50 %7s  p99 %7s  p999 %7s  errors %d  %s%s",
		r.Name, r.Rate(), round(r.P50), round(r.P99), round(r.P999), r.Errors, ratio, res)
}

func round(d time.Duration) string {
	switch {
	case d < time.Millisecond:
		return d.Round(time.Microsecond).String()
	default:
		return d.Round(10 * time.Microsecond).String()
	}
}

// Report is a whole run.
type Report struct {
	Store   string
	Clients int
	Ceiling float64
	// CeilingCPUPerOp is the CPU time per operation of the HTTP ceiling:
	// the clients' and the bare server's share of each result's CPUPerOp.
	CeilingCPUPerOp time.Duration
	Results         []Result
	BytesPerSubj    float64
	// MaxRSS is the process's peak resident set size over the run, in bytes.
	MaxRSS int64
}

// Env is a derbes server on a scratch store, an echo server for the
// ceiling, and the clients' view of what exists. Run uses it; Go
// benchmarks (bench_test.go) use it to profile one workload at a time.
type Env struct {
	Store *store.Store
	w     *world
	echo  string
	stop  []func()
}

// Start opens the store cfg names, activates the iKomek policy and starts
// the servers. Close it.
func Start(ctx context.Context, cfg Config) (_ *Env, err error) {
	e := &Env{}
	defer func() {
		if err != nil {
			e.Close()
		}
	}()
	if cfg.Clients <= 0 {
		cfg.Clients = 16
	}
	if cfg.Dir == "" && cfg.DB == "" {
		dir, err := os.MkdirTemp("", "derbes-bench")
		if err != nil {
			return nil, err
		}
		e.stop = append(e.stop, func() { os.RemoveAll(dir) })
		cfg.Dir = filepath.Join(dir, "data")
	}
	ring, err := keys.Generate()
	if err != nil {
		return nil, err
	}
	st, err := store.Open(ctx, store.Config{URL: cfg.DB, Dir: cfg.Dir, Schema: cfg.Schema, Signer: ring.JournalKey()})
	if err != nil {
		return nil, err
	}
	e.Store = st
	e.stop = append(e.stop, func() { st.Close() })
	v, err := vault.Open(ctx, st, ring)
	if err != nil {
		return nil, err
	}
	src, _ := examples.Files.ReadFile("ikomek/policy.yaml")
	p, err := policy.Parse("ikomek/policy.yaml", src)
	if err != nil {
		return nil, err
	}
	if _, err := v.Activate(ctx, vault.System, p, src); err != nil {
		return nil, err
	}
	ak := access.NewKeys(st)
	key, _, err := ak.Create(ctx, "bench", "integration", "bench")
	if err != nil {
		return nil, err
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	base, stop, err := listen(api.New(v, ak, quiet, func(context.Context) error { return nil }))
	if err != nil {
		return nil, err
	}
	e.stop = append(e.stop, stop)
	echo, stopEcho, err := listen(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"subjects":[]}`))
	}))
	if err != nil {
		return nil, err
	}
	e.stop = append(e.stop, stopEcho)
	e.echo = echo
	c := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: cfg.Clients * 2, MaxConnsPerHost: cfg.Clients * 2}}
	e.w = &world{c: c, base: base, key: key, v: v, actor: vault.Actor{ID: "apikey:" + key[4:16], Role: "integration"}}
	return e, nil
}

// Close stops the servers and closes the store (removing a temporary
// directory it made).
func (e *Env) Close() {
	for i := len(e.stop) - 1; i >= 0; i-- {
		e.stop[i]()
	}
	e.stop = nil
}

// Preload creates n subjects with clients concurrent clients.
func (e *Env) Preload(ctx context.Context, n, clients int) error {
	return e.w.preload(ctx, n, clients)
}

// Op returns the operation of a workload by its key (see Workloads), or
// "ceiling" for the echo handler. Each call of the operation is one HTTP
// request (for "mixed", one chosen at random: 70% read, 20% lookup by IIN,
// 10% create). "direct-" before a workload's key calls the vault instead,
// without HTTP.
func (e *Env) Op(key string) func(i int) error {
	switch key {
	case "direct-create":
		return e.w.directCreate
	case "direct-read":
		return e.w.directRead
	case "direct-lookup":
		return e.w.directLookup
	case "direct-mixed":
		return e.w.directMixed
	case "ceiling":
		return func(int) error { return e.w.get(e.echo+"/", "") }
	case "create":
		return e.w.create
	case "read":
		return e.w.read
	case "lookup":
		return e.w.lookup
	case "mixed":
		return e.w.mixed
	}
	return nil
}

// Run starts a server on the configured store and runs the workloads.
func Run(ctx context.Context, cfg Config, progress io.Writer) (*Report, error) {
	if cfg.Clients <= 0 {
		cfg.Clients = 16
	}
	if cfg.Duration <= 0 {
		cfg.Duration = 5 * time.Second
	}
	for _, k := range cfg.Workloads {
		if !slices.ContainsFunc(Workloads, func(w struct{ Key, Name string }) bool { return w.Key == k }) {
			return nil, fmt.Errorf("bench: no workload %q", k)
		}
	}
	e, err := Start(ctx, cfg)
	if err != nil {
		return nil, err
	}
	defer e.Close()
	st := e.Store
	rep := &Report{Store: st.Dialect(), Clients: cfg.Clients}

	say := func(format string, args ...any) {
		if progress != nil {
			fmt.Fprintf(progress, format, args...)
		}
	}
	say("measuring the HTTP ceiling (%d clients, %s)…\n", cfg.Clients, cfg.Duration)
	ceil := measure(ctx, "ceiling", cfg, e.Op("ceiling"))
	rep.Ceiling, rep.CeilingCPUPerOp = ceil.Rate(), ceil.CPUPerOp
	if ceil.CPUPerOp > 0 {
		say("  %.0f ops/s, cpu/op %s (the clients' and a bare server's share)\n", ceil.Rate(), round(ceil.CPUPerOp))
	}

	say("preloading %d subjects…\n", cfg.Preload)
	before, _ := st.Size(ctx)
	if err := e.Preload(ctx, cfg.Preload, cfg.Clients); err != nil {
		return nil, err
	}
	for _, wl := range Workloads {
		if len(cfg.Workloads) > 0 && !slices.Contains(cfg.Workloads, wl.Key) {
			continue
		}
		say("%s…\n", wl.Name)
		s0 := st.Stats()
		r := measure(ctx, wl.Name, cfg, e.Op(wl.Key))
		if s1 := st.Stats(); s1.Commits > s0.Commits {
			r.PerCommit = float64(s1.Writes-s0.Writes) / float64(s1.Commits-s0.Commits)
		}
		r.Ceiling = rep.Ceiling
		rep.Results = append(rep.Results, r)
	}
	after, _ := st.Size(ctx)
	if n := e.w.count(); n > 0 {
		rep.BytesPerSubj = float64(after-before) / float64(n)
	}
	_, rep.MaxRSS, _ = usage()
	return rep, nil
}

func listen(h http.Handler) (string, func(), error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	srv := &http.Server{Handler: h}
	go srv.Serve(ln)
	return "http://" + ln.Addr().String(), func() { srv.Close() }, nil
}

// measure runs op from cfg.Clients goroutines for cfg.Duration.
func measure(ctx context.Context, name string, cfg Config, op func(i int) error) Result {
	var next, errs atomic.Int64
	lat := make([][]time.Duration, cfg.Clients)
	cpu0, _, _ := usage()
	start := time.Now()
	deadline := start.Add(cfg.Duration)
	var wg sync.WaitGroup
	for g := range cfg.Clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				t := time.Now()
				if !t.Before(deadline) {
					return
				}
				if err := op(int(next.Add(1))); err != nil {
					errs.Add(1)
				}
				lat[g] = append(lat[g], time.Since(t))
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	cpu1, rss, _ := usage()
	var all []time.Duration
	for _, l := range lat {
		all = append(all, l...)
	}
	slices.Sort(all)
	pct := func(p float64) time.Duration {
		if len(all) == 0 {
			return 0
		}
		return all[min(len(all)-1, int(p*float64(len(all))))]
	}
	r := Result{Name: name, Ops: len(all), Errors: int(errs.Load()), Elapsed: elapsed, P50: pct(0.50), P99: pct(0.99), P999: pct(0.999), MaxRSS: rss}
	if len(all) > 0 {
		r.CPUPerOp = (cpu1 - cpu0) / time.Duration(len(all))
	}
	return r
}

// world is the benchmark's view of what exists on the server.
type world struct {
	c     *http.Client
	base  string
	key   string
	v     *vault.Vault
	actor vault.Actor

	mu      sync.Mutex
	records []string
	iins    []string
	serial  atomic.Int64
}

func (w *world) count() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.records)
}

// IIN returns the n-th valid IIN of an invented series.
func IIN(n int) string {
	day := 1 + n%28
	month := 1 + (n/28)%12
	year := 50 + (n/336)%50
	serial := (n / 16800) % 10000
	base := fmt.Sprintf("%02d%02d%02d3%04d", year, month, day, serial)
	for c := range 10 {
		s := fmt.Sprintf("%s%d", base, c)
		if _, err := kz.ParseIIN(s); err == nil {
			return s
		}
	}
	return IIN(n + 7_000_000) // this serial has no check digit; use another
}

// body is the n-th create request: a resident of the appeals centre with
// their consent and their appeal.
func body(n int) (iin, body string) {
	iin = IIN(n)
	return iin, fmt.Sprintf(`{"category":"applicant","purpose":"appeals","identifiers":{"iin":%q,"phone":"+7 70%08d","email":"resident%d@example.kz"},`+
		`"consent":{"subject_name":"Тұрғын %[4]d","purposes":["appeals"],"fields":["iin","full_name","phone","email","address","appeal_text"],"third_party_transfer":true,"form":{"kind":"other","reference":"109 call recording"}},`+
		`"record":{"channel":"call-109","ground":"consent","fields":{"full_name":"Тұрғын %[4]d","address":"Астана, Есіл ауданы, %[5]d-үй","appeal_text":"Аулада жарық жоқ, өтініш №%[3]d"}}}`,
		iin, n%100000000, n, n, n%300)
}

func (w *world) created(record, iin string) {
	w.mu.Lock()
	w.records = append(w.records, record)
	w.iins = append(w.iins, iin)
	w.mu.Unlock()
}

func (w *world) create(int) error {
	iin, body := body(int(w.serial.Add(1)))
	req, _ := http.NewRequest("POST", w.base+"/v1/subjects", bytes.NewBufferString(body))
	req.Header.Set("Authorization", "Bearer "+w.key)
	req.Header.Set("Content-Type", "application/json")
	resp, err := w.c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		io.Copy(io.Discard, resp.Body)
		return fmt.Errorf("create: %s", resp.Status)
	}
	var out struct{ Record string }
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return err
	}
	w.created(out.Record, iin)
	return nil
}

// The direct operations call the vault without HTTP: what the server does
// for each request, less the HTTP, the authentication and the logging.

func (w *world) directCreate(int) error {
	iin, body := body(int(w.serial.Add(1)))
	var in api.SubjectIn
	if err := json.Unmarshal([]byte(body), &in); err != nil {
		return err
	}
	ns := vault.NewSubject{Category: in.Category, Purpose: in.Purpose, Identifiers: in.Identifiers, Consent: in.Consent}
	nr := vault.NewRecord(*in.Record)
	ns.Record = &nr
	c, err := w.v.CreateSubject(context.Background(), w.actor, ns)
	if err != nil {
		return err
	}
	w.created(c.Record, iin)
	return nil
}

func (w *world) directRead(int) error {
	rec, _ := w.pick()
	_, err := w.v.GetRecord(context.Background(), w.actor, rec, "appeals", nil)
	return err
}

func (w *world) directLookup(int) error {
	_, iin := w.pick()
	ids, err := w.v.Lookup(context.Background(), w.actor, "appeals", "iin", iin)
	if err == nil && len(ids) != 1 {
		err = fmt.Errorf("lookup: %d subjects", len(ids))
	}
	return err
}

func (w *world) directMixed(i int) error {
	switch n := rand.IntN(10); {
	case n < 7:
		return w.directRead(i)
	case n < 9:
		return w.directLookup(i)
	default:
		return w.directCreate(i)
	}
}

func (w *world) pick() (string, string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	i := rand.IntN(len(w.records))
	return w.records[i], w.iins[i]
}

func (w *world) read(int) error {
	rec, _ := w.pick()
	return w.get(w.base+"/v1/records/"+rec, "appeals")
}

func (w *world) lookup(int) error {
	_, iin := w.pick()
	return w.get(w.base+"/v1/subjects?iin="+iin, "appeals")
}

// mixed is the appeals centre's day: 70% reads, 20% lookups by IIN, 10%
// creates.
func (w *world) mixed(i int) error {
	switch n := rand.IntN(10); {
	case n < 7:
		return w.read(i)
	case n < 9:
		return w.lookup(i)
	default:
		return w.create(i)
	}
}

func (w *world) get(url, purpose string) error {
	req, _ := http.NewRequest("GET", url, nil)
	req.Header.Set("Authorization", "Bearer "+w.key)
	if purpose != "" {
		req.Header.Set("X-Purpose", purpose)
	}
	resp, err := w.c.Do(req)
	if err != nil {
		return err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET: %s", resp.Status)
	}
	return nil
}

func (w *world) preload(ctx context.Context, n, clients int) error {
	var wg sync.WaitGroup
	var failed atomic.Int64
	var next atomic.Int64
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for int(next.Add(1)) <= n && ctx.Err() == nil {
				if err := w.create(0); err != nil {
					failed.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	if f := failed.Load(); f > 0 {
		return fmt.Errorf("bench: %d of %d preloaded creates failed", f, n)
	}
	if w.count() == 0 {
		// Reads need something to read.
		return w.create(0)
	}
	return nil
}

// DropSchema removes a PostgreSQL benchmark schema and its key schema.
func DropSchema(ctx context.Context, url, schema string) error {
	db, err := sql.Open("pgx", url)
	if err != nil {
		return err
	}
	defer db.Close()
	for _, s := range []string{schema, schema + "_keys"} {
		if _, err := db.ExecContext(ctx, "DROP SCHEMA IF EXISTS "+s+" CASCADE"); err != nil {
			return fmt.Errorf("bench: dropping %s: %w", s, err)
		}
	}
	return nil
}
