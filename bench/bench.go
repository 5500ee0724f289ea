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
}

// Rate is operations per second.
func (r Result) Rate() float64 { return float64(r.Ops) / r.Elapsed.Seconds() }

func (r Result) String() string {
	ratio := ""
	if r.Ceiling > 0 {
		ratio = fmt.Sprintf("%5.1f%% of the HTTP ceiling", 100*r.Rate()/r.Ceiling)
	}
	return fmt.Sprintf("%-22s %9.0f ops/s  p50 %7s  p99 %7s  p999 %7s  errors %d  %s",
		r.Name, r.Rate(), round(r.P50), round(r.P99), round(r.P999), r.Errors, ratio)
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
	Store        string
	Clients      int
	Ceiling      float64
	Results      []Result
	BytesPerSubj float64
}

// Run starts a server on the configured store and runs the workloads.
func Run(ctx context.Context, cfg Config, progress io.Writer) (*Report, error) {
	if cfg.Clients <= 0 {
		cfg.Clients = 16
	}
	if cfg.Duration <= 0 {
		cfg.Duration = 5 * time.Second
	}
	if cfg.Dir == "" && cfg.DB == "" {
		dir, err := os.MkdirTemp("", "derbes-bench")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(dir)
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
	defer st.Close()
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
	defer stop()
	echo, stopEcho, err := listen(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"subjects":[]}`))
	}))
	if err != nil {
		return nil, err
	}
	defer stopEcho()

	c := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: cfg.Clients * 2, MaxConnsPerHost: cfg.Clients * 2}}
	w := &world{c: c, base: base, key: key}
	rep := &Report{Store: st.Dialect(), Clients: cfg.Clients}

	say := func(format string, args ...any) {
		if progress != nil {
			fmt.Fprintf(progress, format, args...)
		}
	}
	say("measuring the HTTP ceiling (%d clients, %s)…\n", cfg.Clients, cfg.Duration)
	ceil := measure(ctx, "ceiling", cfg, func(i int) error { return w.get(echo+"/", "") })
	rep.Ceiling = ceil.Rate()

	say("preloading %d subjects…\n", cfg.Preload)
	before, _ := st.Size(ctx)
	if err := w.preload(ctx, cfg.Preload, cfg.Clients); err != nil {
		return nil, err
	}
	for _, wl := range []struct {
		name string
		op   func(i int) error
	}{
		{"create subject+record", w.create},
		{"read record", w.read},
		{"lookup by IIN", w.lookup},
	} {
		say("%s…\n", wl.name)
		r := measure(ctx, wl.name, cfg, wl.op)
		r.Ceiling = rep.Ceiling
		rep.Results = append(rep.Results, r)
	}
	after, _ := st.Size(ctx)
	if n := w.count(); n > 0 {
		rep.BytesPerSubj = float64(after-before) / float64(n)
	}
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
	return Result{Name: name, Ops: len(all), Errors: int(errs.Load()), Elapsed: elapsed, P50: pct(0.50), P99: pct(0.99), P999: pct(0.999)}
}

// world is the benchmark's view of what exists on the server.
type world struct {
	c    *http.Client
	base string
	key  string

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

func (w *world) create(int) error {
	n := int(w.serial.Add(1))
	iin := IIN(n)
	body := fmt.Sprintf(`{"category":"applicant","purpose":"appeals","identifiers":{"iin":%q,"phone":"+7 70%08d","email":"resident%d@example.kz"},`+
		`"consent":{"subject_name":"Тұрғын %[4]d","purposes":["appeals"],"fields":["iin","full_name","phone","email","address","appeal_text"],"third_party_transfer":true,"form":{"kind":"other","reference":"109 call recording"}},`+
		`"record":{"channel":"call-109","ground":"consent","fields":{"full_name":"Тұрғын %[4]d","address":"Астана, Есіл ауданы, %[5]d-үй","appeal_text":"Аулада жарық жоқ, өтініш №%[3]d"}}}`,
		iin, n%100000000, n, n, n%300)
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
	w.mu.Lock()
	w.records = append(w.records, out.Record)
	w.iins = append(w.iins, iin)
	w.mu.Unlock()
	return nil
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
