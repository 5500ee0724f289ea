package api

import (
	"crypto/subtle"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/derbes/derbes/store"
)

// metrics counts requests by route and status class, in the Prometheus
// text format. Routes are patterns ("GET /v1/records/{id}"), never paths:
// a path can hold an identifier.
type metrics struct {
	mu       sync.Mutex
	requests map[[2]string]int64 // route, status class → count
	seconds  map[string]float64  // route → total seconds
	counts   map[string]int64    // route → count
	// buckets counts, per route, answers that took at most each of
	// latencyBuckets (not cumulative here; summed when written), so that
	// percentiles can be read, which a sum and a count cannot give.
	buckets map[string][]int64
}

// latencyBuckets are the upper bounds of the latency histogram, in seconds:
// from a cached read to a slow bulk request.
var latencyBuckets = []float64{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5}

func newMetrics() *metrics {
	return &metrics{requests: map[[2]string]int64{}, seconds: map[string]float64{}, counts: map[string]int64{}, buckets: map[string][]int64{}}
}

func (m *metrics) observe(route string, status int, took time.Duration) {
	if route == "" {
		route = "unrouted"
	}
	class := fmt.Sprintf("%dxx", status/100)
	m.mu.Lock()
	m.requests[[2]string{route, class}]++
	m.seconds[route] += took.Seconds()
	m.counts[route]++
	b := m.buckets[route]
	if b == nil {
		b = make([]int64, len(latencyBuckets))
		m.buckets[route] = b
	}
	if i := sort.SearchFloat64s(latencyBuckets, took.Seconds()); i < len(b) {
		b[i]++
	}
	m.mu.Unlock()
}

// WithMetricsToken makes /metrics answer only requests that carry
// "Authorization: Bearer token" (Prometheus: authorization.credentials).
// Without a token /metrics is open, for monitoring on an internal network.
func (s *Server) WithMetricsToken(token string) *Server {
	s.metricsToken = token
	return s
}

// serveMetrics writes the metrics: counts only, never personal data.
func (s *Server) serveMetrics(w http.ResponseWriter, r *http.Request) {
	if s.metricsToken != "" {
		got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || subtle.ConstantTimeCompare([]byte(got), []byte(s.metricsToken)) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="derbes metrics"`)
			writeProblem(w, http.StatusUnauthorized, "unauthenticated", "/metrics needs the metrics token (Authorization: Bearer …)", "")
			return
		}
	}
	var b strings.Builder
	s.metrics.mu.Lock()
	keys := make([][2]string, 0, len(s.metrics.requests))
	for k := range s.metrics.requests {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i][0]+keys[i][1] < keys[j][0]+keys[j][1] })
	b.WriteString("# HELP derbes_http_requests_total HTTP requests by route and status class.\n# TYPE derbes_http_requests_total counter\n")
	for _, k := range keys {
		fmt.Fprintf(&b, "derbes_http_requests_total{route=%q,status=%q} %d\n", k[0], k[1], s.metrics.requests[k])
	}
	routes := make([]string, 0, len(s.metrics.counts))
	for r := range s.metrics.counts {
		routes = append(routes, r)
	}
	sort.Strings(routes)
	b.WriteString("# HELP derbes_http_request_seconds Time spent answering, by route.\n# TYPE derbes_http_request_seconds summary\n")
	for _, r := range routes {
		fmt.Fprintf(&b, "derbes_http_request_seconds_sum{route=%q} %g\nderbes_http_request_seconds_count{route=%q} %d\n", r, s.metrics.seconds[r], r, s.metrics.counts[r])
	}
	b.WriteString("# HELP derbes_http_request_duration_seconds Latency of answers, by route.\n# TYPE derbes_http_request_duration_seconds histogram\n")
	for _, r := range routes {
		var cum int64
		for i, le := range latencyBuckets {
			cum += s.metrics.buckets[r][i]
			fmt.Fprintf(&b, "derbes_http_request_duration_seconds_bucket{route=%q,le=\"%g\"} %d\n", r, le, cum)
		}
		fmt.Fprintf(&b, "derbes_http_request_duration_seconds_bucket{route=%q,le=\"+Inf\"} %d\n", r, s.metrics.counts[r])
		fmt.Fprintf(&b, "derbes_http_request_duration_seconds_sum{route=%q} %g\nderbes_http_request_duration_seconds_count{route=%q} %d\n", r, s.metrics.seconds[r], r, s.metrics.counts[r])
	}
	s.metrics.mu.Unlock()
	g, err := s.vault.Gauges(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	for _, x := range []struct {
		name, help string
		v          int64
	}{
		{"derbes_subjects", "Subjects not destroyed.", g.Subjects},
		{"derbes_records_active", "Active records.", g.Records},
		{"derbes_journal_entries", "Entries in the journal (its signed head).", g.Journal},
		{"derbes_requests_open", "Subjects' requests not yet answered.", g.RequestsOpen},
		{"derbes_requests_overdue", "Open requests past their legal deadline.", g.RequestsOverdue},
		{"derbes_requests_due_soon", "Open requests whose deadline falls within the next three days.", g.RequestsDueSoon},
		{"derbes_journal_checkpoint", "Size of the journal at its last signed checkpoint.", g.Checkpoint},
		{"derbes_incidents_open", "Open incidents.", g.IncidentsOpen},
		{"derbes_destruction_queue", "Records waiting for destruction because their ground is gone.", g.QueuedForDestruction},
	} {
		fmt.Fprintf(&b, "# HELP %s %s\n# TYPE %s gauge\n%s %d\n", x.name, x.help, x.name, x.name, x.v)
	}
	last := 0.0
	if !g.LastAct.IsZero() {
		last = float64(g.LastAct.Unix())
	}
	fmt.Fprintf(&b, "# HELP derbes_last_act_seconds When the last act of destruction was sealed (Unix time).\n# TYPE derbes_last_act_seconds gauge\nderbes_last_act_seconds %g\n", last)
	for _, x := range []struct {
		name, help string
		at         time.Time
	}{
		{"derbes_journal_checkpoint_seconds", "When the last checkpoint of the journal was signed (Unix time; 0: none yet).", g.CheckpointAt},
		{"derbes_journal_head_seconds", "When the journal's head was last signed (Unix time): a head that stops moving under traffic means a stuck journal.", g.HeadAt},
	} {
		v := 0.0
		if !x.at.IsZero() {
			v = float64(x.at.Unix())
		}
		fmt.Fprintf(&b, "# HELP %s %s\n# TYPE %s gauge\n%s %g\n", x.name, x.help, x.name, x.name, v)
	}
	jobs, err := s.vault.JobSchedules(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJobMetrics(&b, jobs)
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	w.Write([]byte(b.String()))
}

// writeJobMetrics shows each periodic job's failures since its last success
// (alert when above 0) and when it last ran and last succeeded, so that a
// job that silently stopped running shows too.
func writeJobMetrics(b *strings.Builder, jobs []store.JobSchedule) {
	unix := func(t time.Time) float64 {
		if t.IsZero() {
			return 0
		}
		return float64(t.Unix())
	}
	for _, m := range []struct {
		name, help string
		v          func(store.JobSchedule) float64
	}{
		{"derbes_job_failures", "Failed runs of a periodic job since its last success.", func(j store.JobSchedule) float64 { return float64(j.Attempts) }},
		{"derbes_job_last_run_seconds", "When a periodic job's last run ended (Unix time; 0: never).", func(j store.JobSchedule) float64 { return unix(j.LastFinished) }},
		{"derbes_job_last_success_seconds", "When a periodic job last succeeded (Unix time; 0: never).", func(j store.JobSchedule) float64 { return unix(j.LastOK) }},
		{"derbes_job_next_run_seconds", "When a periodic job is next due (Unix time).", func(j store.JobSchedule) float64 { return unix(j.NextRunAt) }},
	} {
		fmt.Fprintf(b, "# HELP %s %s\n# TYPE %s gauge\n", m.name, m.help, m.name)
		for _, j := range jobs {
			fmt.Fprintf(b, "%s{job=%q} %g\n", m.name, j.Name, m.v(j))
		}
	}
}
