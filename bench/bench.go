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
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"strings"
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
	// DestroyPool is how many subjects, each with ten records, are prepared
	// (outside the measurement) for the destroy workload, which ends early
	// if it destroys them all. 0 sizes it from the create workload's rate
	// (see destroyPool).
	DestroyPool int
	// Workloads names the workloads to run (see Workloads); all when empty.
	Workloads []string
	// ProfileDir, if set, receives a CPU profile of each workload,
	// DIR/<key>.prof, and of the journal's verification, DIR/verify.prof.
	// The clients run in the process too: their side of HTTP is in the
	// profiles (net/http client, the bench package).
	ProfileDir string
}

// Workloads are the workloads Run measures, in order: the key names them in
// Config.Workloads and Env.Op.
var Workloads = []struct{ Key, Name string }{
	{"create", "create subject+record"},
	{"read", "read record"},
	{"lookup", "lookup by IIN"},
	{"lookup-phone", "lookup by phone"},
	{"destroy", "destroy (10 records)"},
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
	// HTTPCeiling is the rate of the same clients against an HTTP handler
	// that does nothing, measured in the same run.
	HTTPCeiling float64
	// CommitCeiling, for the workloads that are one write each (create,
	// destroy), is the rate of single-row commits of the database itself
	// from the same number of clients, measured in the same run.
	CommitCeiling float64
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
	// Note says what the reader must know to read the figures, such as a
	// workload that ran out of prepared subjects before its time was up.
	Note string
}

// Rate is operations per second.
func (r Result) Rate() float64 { return float64(r.Ops) / r.Elapsed.Seconds() }

// String is the result on one line: rate, latencies, errors, the ratios
// to the ceilings, CPU per operation, peak RSS, writes per commit.
func (r Result) String() string {
	ratio := ""
	if r.HTTPCeiling > 0 {
		ratio = fmt.Sprintf("  %5.1f%% of HTTP", 100*r.Rate()/r.HTTPCeiling)
	}
	if r.CommitCeiling > 0 {
		ratio += fmt.Sprintf("  %5.1f%% of commits", 100*r.Rate()/r.CommitCeiling)
	}
	res := ""
	if r.MaxRSS > 0 {
		res = fmt.Sprintf("  cpu/op %6s  peak RSS %4d MB", round(r.CPUPerOp), r.MaxRSS>>20)
	}
	if r.PerCommit > 0 {
		res += fmt.Sprintf("  %.1f writes/commit", r.PerCommit)
	}
	if r.Note != "" {
		res += "  (" + r.Note + ")"
	}
	return fmt.Sprintf("%-22s %8.0f ops/s  p50 %8s  p99 %8s  p999 %8s  errors %d%s%s",
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
	// HTTP is the ceiling of the HTTP exchange: the same clients against
	// a handler that does nothing. Its CPUPerOp is the clients' and the
	// bare server's share of each result's CPUPerOp.
	HTTP Result
	// Commit is the ceiling of the database: single-row INSERT commits
	// from the same number of clients (store.CommitProbe).
	Commit Result
	// CommitHow says how the commit ceiling was measured.
	CommitHow string
	// HTTPAgain and CommitAgain are the ceilings measured again after the
	// workloads. Results are compared with the better of the two.
	HTTPAgain, CommitAgain Result
	Results                []Result
	// Preloaded is how many subjects were created before the workloads,
	// and PreloadTime how long it took.
	Preloaded   int
	PreloadTime time.Duration
	// BytesPerSubj is the store's growth per preloaded subject.
	BytesPerSubj float64
	// Verify is the verification of the whole journal after the
	// workloads.
	Verify *Verify
	// MaxRSS is the process's peak resident set size over the run, in bytes.
	MaxRSS int64
}

// String is the report as derbes bench prints it: one line per result.
func (rep *Report) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "derbes bench: %s store, %d clients, %d preloaded subjects (in %s)\n",
		rep.Store, rep.Clients, rep.Preloaded, rep.PreloadTime.Round(time.Second))
	fmt.Fprintf(&b, "ceilings, measured in the same run before and after the workloads:\n")
	fmt.Fprintf(&b, "%s  (an HTTP handler that does nothing)\n", rep.HTTP)
	fmt.Fprintf(&b, "%s\n", rep.HTTPAgain)
	fmt.Fprintf(&b, "%s  (%s)\n", rep.Commit, rep.CommitHow)
	fmt.Fprintf(&b, "%s\n", rep.CommitAgain)
	fmt.Fprintf(&b, "workloads (%% of HTTP: rate / the better HTTP ceiling; %% of commits, for the one-write workloads: rate / the better commit ceiling):\n")
	for _, r := range rep.Results {
		fmt.Fprintf(&b, "%s\n", r)
	}
	if rep.Verify != nil {
		fmt.Fprintf(&b, "%s\n", rep.Verify)
	}
	fmt.Fprintf(&b, "store size per preloaded subject (subject, consent, record, keys, indexes, journal): %.0f bytes\n", rep.BytesPerSubj)
	if rep.MaxRSS > 0 {
		fmt.Fprintf(&b, "peak RSS of the whole run (server and clients): %d MB\n", rep.MaxRSS>>20)
	}
	return b.String()
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

// Preload creates n subjects, through the vault (not HTTP) from many
// goroutines, saying every few seconds on progress (if not nil) how far it
// got.
func (e *Env) Preload(ctx context.Context, n int, progress io.Writer) error {
	return e.w.preload(ctx, n, progress)
}

// PrepareDestroy creates n subjects with ten records each for the destroy
// workload, replacing those prepared before.
func (e *Env) PrepareDestroy(ctx context.Context, n int, progress io.Writer) error {
	return e.w.prepareDestroy(ctx, n, progress)
}

// Op returns the operation of a workload by its key (see Workloads), or
// "ceiling" for the echo handler. Each call of the operation is one HTTP
// request (for "mixed", one chosen at random: 70% read, 20% lookup by IIN,
// 10% create). "direct-" before a workload's key calls the vault instead,
// without HTTP. "destroy" destroys the subjects PrepareDestroy prepared,
// one per call, and returns ErrNoneLeft once they are all gone.
func (e *Env) Op(key string) func(i int) error {
	switch key {
	case "direct-create":
		return e.w.directCreate
	case "direct-read":
		return e.w.directRead
	case "direct-lookup":
		return e.w.directLookup
	case "direct-lookup-phone":
		return e.w.directLookupPhone
	case "direct-destroy":
		return e.w.directDestroy
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
	case "lookup-phone":
		return e.w.lookupPhone
	case "destroy":
		return e.w.destroy
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
	if cfg.ProfileDir != "" {
		if err := os.MkdirAll(cfg.ProfileDir, 0o755); err != nil {
			return nil, fmt.Errorf("bench: %w", err)
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
	rep.HTTP = measure(ctx, "HTTP ceiling", cfg, e.Op("ceiling"))
	say("  %.0f ops/s, cpu/op %s (the clients' and a bare server's share)\n", rep.HTTP.Rate(), round(rep.HTTP.CPUPerOp))
	say("measuring the commit ceiling…\n")
	if rep.Commit, rep.CommitHow, err = commitCeiling(ctx, st, cfg); err != nil {
		return nil, err
	}
	say("  %.0f commits/s\n", rep.Commit.Rate())

	say("preloading %d subjects…\n", cfg.Preload)
	before, _ := st.Size(ctx)
	t0 := time.Now()
	if err := e.Preload(ctx, cfg.Preload, progress); err != nil {
		return nil, err
	}
	rep.Preloaded, rep.PreloadTime = e.w.count(), time.Since(t0)
	say("  %d subjects in %s\n", rep.Preloaded, rep.PreloadTime.Round(time.Second))
	// The size per subject is taken before the destroy workload's subjects
	// are prepared: they are not the store's usual shape.
	after, _ := st.Size(ctx)
	if n := e.w.count(); n > 0 {
		rep.BytesPerSubj = float64(after-before) / float64(n)
	}
	createRate := 0.0
	for _, wl := range Workloads {
		if len(cfg.Workloads) > 0 && !slices.Contains(cfg.Workloads, wl.Key) {
			continue
		}
		pool := 0
		if wl.Key == "destroy" {
			pool = destroyPool(cfg, createRate)
			say("preparing %d subjects with ten records each to destroy…\n", pool)
			t0 := time.Now()
			if err := e.PrepareDestroy(ctx, pool, progress); err != nil {
				return nil, err
			}
			say("  in %s\n", time.Since(t0).Round(time.Second))
		}
		say("%s…\n", wl.Name)
		s0 := st.Stats()
		var r Result
		if err := profiled(cfg.ProfileDir, wl.Key, func() { r = measure(ctx, wl.Name, cfg, e.Op(wl.Key)) }); err != nil {
			return nil, err
		}
		if s1 := st.Stats(); s1.Commits > s0.Commits {
			r.PerCommit = float64(s1.Writes-s0.Writes) / float64(s1.Commits-s0.Commits)
		}
		if wl.Key == "create" {
			createRate = r.Rate()
		}
		if wl.Key == "destroy" && r.Ops >= pool {
			r.Note = fmt.Sprintf("all %d prepared subjects destroyed in %s", pool, r.Elapsed.Round(time.Millisecond))
		}
		rep.Results = append(rep.Results, r)
	}
	say("verifying the journal…\n")
	var verr error
	if err := profiled(cfg.ProfileDir, "verify", func() { rep.Verify, verr = e.verifyJournal(ctx) }); err != nil {
		return nil, err
	}
	if verr != nil {
		return nil, verr
	}

	// The machine is often shared: the ceilings are measured again at the
	// end, and each result is compared with the better of the two, the
	// machine at its least disturbed.
	say("measuring the ceilings again…\n")
	rep.HTTPAgain = measure(ctx, "HTTP ceiling, again", cfg, e.Op("ceiling"))
	if rep.CommitAgain, _, err = commitCeiling(ctx, st, cfg); err != nil {
		return nil, err
	}
	rep.CommitAgain.Name = "commit ceiling, again"
	for i, r := range rep.Results {
		r.HTTPCeiling = max(rep.HTTP.Rate(), rep.HTTPAgain.Rate())
		if k := workloadKey(r.Name); k == "create" || k == "destroy" {
			r.CommitCeiling = max(rep.Commit.Rate(), rep.CommitAgain.Rate())
		}
		rep.Results[i] = r
	}
	_, rep.MaxRSS, _ = usage()
	return rep, nil
}

// destroyPool is how many subjects to prepare for the destroy workload:
// cfg.DestroyPool if set, else enough for the whole duration at twice the
// rate of creates measured in the same run (a destroy is one write, like a
// create, and is usually faster), at least 100 per second of duration.
// Preparing them costs ten writes each, outside the measurement; if they
// run out, the workload ends early and its line says so.
func destroyPool(cfg Config, createRate float64) int {
	if cfg.DestroyPool > 0 {
		return cfg.DestroyPool
	}
	return int(max(2*createRate, 100) * cfg.Duration.Seconds())
}

func workloadKey(name string) string {
	for _, w := range Workloads {
		if w.Name == name {
			return w.Key
		}
	}
	return ""
}

// profiled runs fn under a CPU profile written to dir/name.prof, or just
// runs it if dir is empty.
func profiled(dir, name string, fn func()) error {
	if dir == "" {
		fn()
		return nil
	}
	f, err := os.Create(filepath.Join(dir, name+".prof"))
	if err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return fmt.Errorf("bench: profile of %s: %w", name, err)
	}
	fn()
	pprof.StopCPUProfile()
	return f.Close()
}

// commitCeiling measures single-row commits of the store's database from
// cfg.Clients goroutines, and says how.
func commitCeiling(ctx context.Context, st *store.Store, cfg Config) (Result, string, error) {
	p, err := st.CommitProbe(ctx)
	if err != nil {
		return Result{}, "", err
	}
	defer p.Close()
	r := measure(ctx, "commit ceiling", cfg, func(int) error { return p.Commit(ctx) })
	how := fmt.Sprintf("single-row INSERT commits into a scratch SQLite file, WAL, synchronous=FULL, %d clients sharing one connection as the store's writer does", cfg.Clients)
	if st.Dialect() == "postgres" {
		how = fmt.Sprintf("single-row INSERT commits into a scratch table, %d clients over the store's pool of at most 16 connections", cfg.Clients)
	}
	if r.Errors > 0 {
		return r, how, fmt.Errorf("bench: %d of %d commits of the commit ceiling failed", r.Errors, r.Ops)
	}
	return r, how, nil
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
				err := op(int(next.Add(1)))
				if errors.Is(err, ErrNoneLeft) {
					return
				}
				if err != nil {
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

	mu       sync.Mutex
	subjects []subject
	serial   atomic.Int64

	// doomed are subjects with ten records each, prepared for the destroy
	// workload; next is the index of the next one to destroy.
	doomed []string
	next   atomic.Int64
}

// subject is what the clients know of a subject they created: its first
// record, and the identifiers they look it up by.
type subject struct{ record, iin, phone string }

// ErrNoneLeft is what the destroy operation returns once every prepared
// subject is destroyed: the workload ends there, and it is no failure.
var ErrNoneLeft = errors.New("bench: no prepared subject left to destroy")

func (w *world) count() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.subjects)
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

// phone is the n-th subject's phone number, written the way an operator
// types it (the vault keeps it in E.164).
func phone(n int) string { return fmt.Sprintf("+7 70%08d", n%100000000) }

// body is the n-th create request: a resident of the appeals centre with
// their consent and their appeal.
func body(n int) (s subject, body string) {
	s = subject{iin: IIN(n), phone: phone(n)}
	return s, fmt.Sprintf(`{"category":"applicant","purpose":"appeals","identifiers":{"iin":%q,"phone":%q,"email":"resident%d@example.kz"},`+
		`"consent":{"subject_name":"Тұрғын %[3]d","purposes":["appeals"],"fields":["iin","full_name","phone","email","address","appeal_text"],"third_party_transfer":true,"form":{"kind":"other","reference":"109 call recording"}},`+
		`"record":{"channel":"call-109","ground":"consent","fields":{"full_name":"Тұрғын %[3]d","address":"Астана, Есіл ауданы, %[4]d-үй","appeal_text":"Аулада жарық жоқ, өтініш №%[3]d"}}}`,
		s.iin, s.phone, n, n%300)
}

// appeal is the n-th further appeal of a subject: a record of its own.
func appeal(n, i int) vault.NewRecord {
	return vault.NewRecord{Purpose: "appeals", Channel: "call-109", Ground: "consent", Fields: map[string]string{
		"full_name":   fmt.Sprintf("Тұрғын %d", n),
		"address":     fmt.Sprintf("Астана, Есіл ауданы, %d-үй", n%300),
		"appeal_text": fmt.Sprintf("Аулада жарық жоқ, өтініш №%d-%d", n, i),
	}}
}

func (w *world) created(record string, s subject) {
	s.record = record
	w.mu.Lock()
	w.subjects = append(w.subjects, s)
	w.mu.Unlock()
}

func (w *world) create(int) error {
	s, body := body(int(w.serial.Add(1)))
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
	w.created(out.Record, s)
	return nil
}

// The direct operations call the vault without HTTP: what the server does
// for each request, less the HTTP, the authentication and the logging.

func (w *world) directCreate(int) error {
	_, err := w.directCreateSubject(context.Background(), true)
	return err
}

// directCreateSubject creates the next subject through the vault, and
// remembers it for reads and lookups if known is true.
func (w *world) directCreateSubject(ctx context.Context, known bool) (vault.Created, error) {
	n := int(w.serial.Add(1))
	s, body := body(n)
	var in api.SubjectIn
	if err := json.Unmarshal([]byte(body), &in); err != nil {
		return vault.Created{}, err
	}
	ns := vault.NewSubject{Category: in.Category, Purpose: in.Purpose, Identifiers: in.Identifiers, Consent: in.Consent}
	nr := vault.NewRecord(*in.Record)
	ns.Record = &nr
	c, err := w.v.CreateSubject(ctx, w.actor, ns)
	if err != nil {
		return c, err
	}
	if known {
		w.created(c.Record, s)
	}
	return c, nil
}

func (w *world) directRead(int) error {
	s := w.pick()
	_, err := w.v.GetRecord(context.Background(), w.actor, s.record, "appeals", nil)
	return err
}

func (w *world) directLookup(int) error {
	return w.directFind("iin", w.pick().iin)
}

func (w *world) directLookupPhone(int) error {
	return w.directFind("phone", w.pick().phone)
}

func (w *world) directFind(kind, value string) error {
	ids, err := w.v.Lookup(context.Background(), w.actor, "appeals", kind, value)
	if err == nil && len(ids) != 1 {
		err = fmt.Errorf("lookup by %s: %d subjects", kind, len(ids))
	}
	return err
}

func (w *world) directDestroy(int) error {
	id, err := w.nextDoomed()
	if err != nil {
		return err
	}
	return w.v.DestroySubject(context.Background(), w.actor, id, "appeals", "subject-request")
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

// pick returns one of all the subjects created so far, preloaded or not,
// each as likely as any other.
func (w *world) pick() subject {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.subjects[rand.IntN(len(w.subjects))]
}

func (w *world) read(int) error {
	return w.get(w.base+"/v1/records/"+w.pick().record, "appeals")
}

func (w *world) lookup(int) error {
	return w.find("iin", w.pick().iin)
}

func (w *world) lookupPhone(int) error {
	return w.find("phone", w.pick().phone)
}

// find looks a subject up through the API and checks that exactly one is
// found: a lookup that finds nothing costs less and would flatter derbes.
func (w *world) find(kind, value string) error {
	req, _ := http.NewRequest("GET", w.base+"/v1/subjects?"+kind+"="+url.QueryEscape(value), nil)
	req.Header.Set("Authorization", "Bearer "+w.key)
	req.Header.Set("X-Purpose", "appeals")
	resp, err := w.c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		io.Copy(io.Discard, resp.Body)
		return fmt.Errorf("lookup: %s", resp.Status)
	}
	var out api.Found
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return err
	}
	if len(out.Subjects) != 1 {
		return fmt.Errorf("lookup by %s: %d subjects", kind, len(out.Subjects))
	}
	return nil
}

// destroy destroys the next prepared subject, with its ten records, as the
// CRM does on a subject's demand: DELETE /v1/subjects/{id}.
func (w *world) destroy(int) error {
	id, err := w.nextDoomed()
	if err != nil {
		return err
	}
	req, _ := http.NewRequest("DELETE", w.base+"/v1/subjects/"+id+"?reason=subject-request", nil)
	req.Header.Set("Authorization", "Bearer "+w.key)
	req.Header.Set("X-Purpose", "appeals")
	resp, err := w.c.Do(req)
	if err != nil {
		return err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		return fmt.Errorf("destroy: %s", resp.Status)
	}
	return nil
}

func (w *world) nextDoomed() (string, error) {
	i := int(w.next.Add(1)) - 1
	if i >= len(w.doomed) {
		return "", ErrNoneLeft
	}
	return w.doomed[i], nil
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

func (w *world) get(u, purpose string) error {
	req, _ := http.NewRequest("GET", u, nil)
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

// loaders is how many goroutines create subjects through the vault before
// the measurement: enough that the group commit fills its batches (more
// writes per commit, fewer fsyncs), which is what makes loading hundreds of
// thousands of subjects take minutes rather than an hour.
const loaders = 64

// parallel calls fn(i) for i in [0, n) from loaders goroutines, and says
// every few seconds how far it got. It stops at the first error.
func parallel(ctx context.Context, n int, what string, progress io.Writer, fn func(ctx context.Context, i int) error) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var next, done atomic.Int64
	var wg sync.WaitGroup
	for range min(loaders, n) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				if err := fn(ctx, i); err != nil {
					cancel(err)
					return
				}
				done.Add(1)
			}
		}()
	}
	finished := make(chan struct{})
	go func() { wg.Wait(); close(finished) }()
	last, lastDone := time.Now(), int64(0)
	tick := time.NewTicker(5 * time.Second)
	defer tick.Stop()
	for {
		select {
		case <-finished:
			if err := context.Cause(ctx); err != nil {
				return fmt.Errorf("bench: %s: %w", what, err)
			}
			return nil
		case <-tick.C:
			if progress != nil {
				d, now := done.Load(), time.Now()
				fmt.Fprintf(progress, "  %s: %d of %d (%.0f/s in the last %s)\n", what, d, n, float64(d-lastDone)/now.Sub(last).Seconds(), now.Sub(last).Round(time.Second))
				last, lastDone = now, d
			}
		}
	}
}

// preload creates n subjects through the vault. The timed workloads go
// through HTTP; the preload only has to make the store as large as the
// operator's, as fast as the store allows.
func (w *world) preload(ctx context.Context, n int, progress io.Writer) error {
	if n <= 0 && w.count() == 0 {
		n = 1 // reads need something to read
	}
	return parallel(ctx, n, "preloading subjects", progress, func(ctx context.Context, _ int) error {
		_, err := w.directCreateSubject(ctx, true)
		return err
	})
}

// prepareDestroy creates n subjects, each with ten records (one created
// with it, nine added), for the destroy workload: not counted among the
// subjects the other workloads read or look up.
func (w *world) prepareDestroy(ctx context.Context, n int, progress io.Writer) error {
	ids := make([]string, n)
	err := parallel(ctx, n, "preparing subjects to destroy", progress, func(ctx context.Context, i int) error {
		c, err := w.directCreateSubject(ctx, false)
		if err != nil {
			return err
		}
		for j := 1; j < 10; j++ {
			if _, err := w.v.AddRecord(ctx, w.actor, c.Subject, appeal(i, j)); err != nil {
				return err
			}
		}
		ids[i] = c.Subject
		return nil
	})
	if err != nil {
		return err
	}
	w.doomed = ids
	w.next.Store(0)
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
