package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/derbes/derbes/access"
	"github.com/derbes/derbes/api"
	"github.com/derbes/derbes/client"
	"github.com/derbes/derbes/policy"
	"github.com/derbes/derbes/store"
	"github.com/derbes/derbes/store/storetest"
	"github.com/derbes/derbes/vault"
)

const (
	iin   = "950312405675"
	name  = "Айгерім Тестқызы"
	text  = "Подъездегі жарық үш күн бойы жоқ"
	phone = "+7 701 123 45 67"
)

type testBundle struct {
	env     *storetest.Env
	srv     *httptest.Server
	app     *client.Client // role app: appeals, every action
	analyst *client.Client // role analyst: statistics only
	keys    *access.Keys
	logs    *syncBuffer
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func setup(t *testing.T, dialect string, with ...func(*api.Server) *api.Server) *testBundle {
	t.Helper()
	ctx := context.Background()
	env := storetest.Open(t, dialect)
	src, err := os.ReadFile("../policy/testdata/minimal.yaml")
	if err != nil {
		t.Fatal(err)
	}
	p, err := policy.Parse("minimal.yaml", src)
	if err != nil {
		t.Fatal(err)
	}
	v, err := vault.Open(ctx, env.Store, env.Ring)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.Activate(ctx, vault.System, p, src); err != nil {
		t.Fatal(err)
	}
	logs := &syncBuffer{}
	log := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	k := access.NewKeys(env.Store)
	h := api.New(v, k, log, func(context.Context) error { return nil })
	for _, w := range with {
		h = w(h)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	appKey, _, err := k.Create(ctx, "test", "app", "")
	if err != nil {
		t.Fatal(err)
	}
	analystKey, _, _ := k.Create(ctx, "test", "analyst", "")
	return &testBundle{env: env, srv: srv, keys: k, logs: logs,
		app: client.New(srv.URL, appKey), analyst: client.New(srv.URL, analystKey)}
}

func each(t *testing.T, fn func(t *testing.T, b *testBundle)) {
	t.Parallel()
	for _, d := range storetest.Dialects {
		t.Run(d, func(t *testing.T) {
			t.Parallel()
			fn(t, setup(t, d))
		})
	}
}

func appeal() client.SubjectIn {
	return client.SubjectIn{
		Category: "applicant", Purpose: "appeals",
		Consent: &client.ConsentIn{SubjectName: name, Purposes: []string{"appeals"}, Fields: []string{"iin", "phone", "full_name", "appeal_text"},
			ThirdParty: true, Form: client.ConsentForm{Kind: "other", Reference: "call recording"}},
		Identifiers: map[string]string{"iin": iin, "phone": phone},
		Record: &client.RecordIn{Channel: "call", Fields: map[string]string{
			"full_name": name, "appeal_text": text,
		}},
	}
}

func TestAPersonIsKeptFoundChangedAndDestroyed(t *testing.T) {
	each(t, func(t *testing.T, b *testBundle) {
		ctx := context.Background()
		c, err := b.app.CreateSubject(ctx, appeal())
		if err != nil {
			t.Fatal(err)
		}
		ids, err := b.app.Lookup(ctx, "appeals", "phone", "8 (701) 123-45-67")
		if err != nil || len(ids) != 1 || ids[0] != c.Subject {
			t.Fatalf("lookup by phone: %v %v", ids, err)
		}
		recs, err := b.app.Records(ctx, c.Subject, "appeals")
		if err != nil || len(recs) != 1 || recs[0].Fields["full_name"] != name {
			t.Fatalf("records: %+v %v", recs, err)
		}
		done := "Жарық қосылды"
		upd, err := b.app.UpdateRecord(ctx, c.Record, "appeals", map[string]*string{"appeal_text": &done})
		if err != nil || upd.Fields["appeal_text"] != done {
			t.Fatalf("update: %+v %v", upd, err)
		}
		again, err := b.app.Record(ctx, c.Record, "appeals")
		if err != nil || !again.UpdatedAt.Equal(upd.UpdatedAt) || again.Fields["appeal_text"] != done {
			t.Fatalf("read after update: %+v %v", again, err)
		}
		only, err := b.app.Record(ctx, c.Record, "appeals", "full_name")
		if err != nil || len(only.Fields) != 1 {
			t.Fatalf("asking for one field: %+v %v", only, err)
		}
		if err := b.app.DestroySubject(ctx, c.Subject, "purpose-achieved", "appeals"); err != nil {
			t.Fatal(err)
		}
		if ids, err := b.app.Lookup(ctx, "appeals", "iin", iin); err != nil || len(ids) != 0 {
			t.Fatalf("lookup after destruction: %v %v", ids, err)
		}
		if _, err := b.app.Record(ctx, c.Record, "appeals"); client.Code(err) != "destroyed" {
			t.Fatalf("read after destruction: %v", err)
		}
		var p *client.Problem
		_, err = b.app.Record(ctx, c.Record, "appeals")
		if !asProblem(err, &p) || p.Status != http.StatusGone {
			t.Fatalf("status after destruction: %v", err)
		}
		v, err := b.app.VerifyJournal(ctx)
		if err != nil || !v.OK {
			t.Fatalf("journal: %+v %v", v, err)
		}
	})
}

func asProblem(err error, p **client.Problem) bool {
	x, ok := err.(*client.Problem)
	*p = x
	return ok
}

func TestARoleWithoutThePurposeIsRefusedAndTheRefusalJournaled(t *testing.T) {
	each(t, func(t *testing.T, b *testBundle) {
		ctx := context.Background()
		c, err := b.app.CreateSubject(ctx, appeal())
		if err != nil {
			t.Fatal(err)
		}
		_, err = b.analyst.Records(ctx, c.Subject, "appeals")
		var p *client.Problem
		if !asProblem(err, &p) || p.Status != 403 || p.Type != "urn:derbes:problem:purpose-not-allowed" {
			t.Fatalf("analyst reading appeals: %v", err)
		}
		page, err := b.app.Journal(ctx, 0, 1000)
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, e := range page.Entries {
			if e.Outcome == "denied" && e.Purpose == "appeals" && e.Subject == c.Subject && strings.HasPrefix(e.Actor, "apikey:") {
				found = true
			}
		}
		if !found {
			t.Fatalf("the refusal is not in the journal: %+v", page.Entries)
		}
		if _, err := b.analyst.Journal(ctx, 0, 10); client.Code(err) != "action-not-allowed" {
			t.Fatalf("analyst reading the journal: %v", err)
		}
	})
}

func TestRequestsWithoutAValidKeyAreRefused(t *testing.T) {
	each(t, func(t *testing.T, b *testBundle) {
		ctx := context.Background()
		for _, key := range []string{"", "dbs_000000000000_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "nonsense"} {
			_, err := client.New(b.srv.URL, key).Lookup(ctx, "appeals", "iin", iin)
			var p *client.Problem
			if !asProblem(err, &p) || p.Status != 401 {
				t.Fatalf("key %q: %v", key, err)
			}
		}
		key, k, _ := b.keys.Create(ctx, "test", "app", "")
		if _, err := client.New(b.srv.URL, key).Lookup(ctx, "appeals", "iin", iin); err != nil {
			t.Fatal(err)
		}
		if err := b.keys.Revoke(ctx, "test", k.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := client.New(b.srv.URL, key).Lookup(ctx, "appeals", "iin", iin); client.Code(err) != "unauthenticated" {
			t.Fatalf("a revoked key: %v", err)
		}
	})
}

// raw sends a request as a careless or hostile client would.
func raw(t *testing.T, b *testBundle, method, path, contentType string, body io.Reader) (*http.Response, api.Problem) {
	t.Helper()
	req, _ := http.NewRequest(method, b.srv.URL+path, body)
	key, _, _ := b.keys.Create(context.Background(), "test", "app", "")
	req.Header.Set("Authorization", "Bearer "+key)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var p api.Problem
	if resp.Header.Get("Content-Type") == "application/problem+json" {
		json.NewDecoder(resp.Body).Decode(&p)
	}
	return resp, p
}

func TestBadRequestsGetAClearProblemAndStoreNothing(t *testing.T) {
	each(t, func(t *testing.T, b *testBundle) {
		good := `{"category":"applicant","purpose":"appeals","identifiers":{"iin":"950312405675"},"record":{"channel":"call","fields":{"full_name":"Айгерім"}}}`
		for _, tc := range []struct {
			name        string
			method      string
			path        string
			contentType string
			body        string
			status      int
			code        string
			field       string
		}{
			{"malformed JSON", "POST", "/v1/subjects", "application/json", `{"category":`, 400, "malformed-json", ""},
			{"a JSON array", "POST", "/v1/subjects", "application/json", `[]`, 400, "malformed-json", ""},
			{"null", "POST", "/v1/subjects", "application/json", `null`, 400, "malformed-json", ""},
			{"two objects", "POST", "/v1/subjects", "application/json", good + good, 400, "malformed-json", ""},
			{"an unknown member", "POST", "/v1/subjects", "application/json", strings.Replace(good, `"category"`, `"categroy"`, 1), 400, "unknown-member", "categroy"},
			{"a number where a string belongs", "POST", "/v1/subjects", "application/json", strings.Replace(good, `"950312405675"`, `950312405675`, 1), 422, "wrong-type", "identifiers"},
			{"an invalid IIN", "POST", "/v1/subjects", "application/json", strings.Replace(good, `405675`, `405676`, 1), 422, "invalid-iin", "iin"},
			{"a forbidden field", "POST", "/v1/subjects", "application/json", strings.Replace(good, `"full_name"`, `"health"`, 1), 422, "forbidden-category", "health"},
			{"a field outside the purpose", "POST", "/v1/subjects", "application/json", strings.Replace(good, `"full_name"`, `"birth_date"`, 1), 422, "field-not-allowed", "birth_date"},
			{"text instead of JSON", "POST", "/v1/subjects", "text/plain", good, 415, "unsupported-media-type", ""},
			{"a huge body", "POST", "/v1/subjects", "application/json", `{"category":"` + strings.Repeat("a", 2<<20) + `"}`, 413, "body-too-large", ""},
			{"a wrong method", "PUT", "/v1/subjects", "application/json", good, 405, "method-not-allowed", ""},
			{"an unknown route", "GET", "/v2/subjects", "", "", 404, "no-such-route", ""},
			{"a malformed id", "GET", "/v1/records/../../etc?purpose=appeals", "", "", 404, "", ""},
			{"a lookup by two identifiers", "GET", "/v1/subjects?iin=950312405675&phone=87011234567&purpose=appeals", "", "", 400, "lookup-needs-one-identifier", ""},
			{"a negative journal position", "GET", "/v1/journal?after=-1", "", "", 400, "invalid-parameter", "after"},
		} {
			resp, p := raw(t, b, tc.method, tc.path, tc.contentType, strings.NewReader(tc.body))
			if resp.StatusCode != tc.status || (tc.code != "" && p.Type != api.ProblemType(tc.code)) || p.Field != tc.field {
				t.Errorf("%s: %d %+v; want %d %s naming %q", tc.name, resp.StatusCode, p, tc.status, tc.code, tc.field)
			}
			if tc.code != "" && (p.Status != tc.status || p.Title == "") {
				t.Errorf("%s: incomplete problem %+v", tc.name, p)
			}
			if strings.Contains(p.Detail, "950312405") || strings.Contains(p.Detail, "Айгерім") {
				t.Errorf("%s: the problem repeats personal data: %s", tc.name, p.Detail)
			}
			if tc.status == 405 && resp.Header.Get("Allow") == "" {
				t.Errorf("%s: no Allow header", tc.name)
			}
		}
		if ids, err := b.app.Lookup(context.Background(), "appeals", "iin", iin); err != nil || len(ids) != 0 {
			t.Fatalf("a refused request stored something: %v %v", ids, err)
		}
	})
}

func TestNoPersonalDataInTheLog(t *testing.T) {
	each(t, func(t *testing.T, b *testBundle) {
		ctx := context.Background()
		c, err := b.app.CreateSubject(ctx, appeal())
		if err != nil {
			t.Fatal(err)
		}
		b.app.Lookup(ctx, "appeals", "iin", iin)
		b.app.Lookup(ctx, "appeals", "phone", phone)
		b.app.Records(ctx, c.Subject, "appeals")
		b.analyst.Records(ctx, c.Subject, "appeals")
		bad := appeal()
		bad.Identifiers["iin"] = "950312405676"
		b.app.CreateSubject(ctx, bad)
		logs := b.logs.String()
		if !strings.Contains(logs, `"route":"GET /v1/subjects"`) {
			t.Fatalf("the log does not show the requests:\n%s", logs)
		}
		for _, s := range []string{iin, "950312405676", "7011234567", name, "Айгерім", text} {
			if strings.Contains(logs, s) {
				t.Errorf("the log holds %q", s)
			}
		}
		resp, err := http.Get(b.srv.URL + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		metrics, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if !strings.Contains(string(metrics), `derbes_http_requests_total{route="GET /v1/subjects",status="2xx"} 2`) || !strings.Contains(string(metrics), "derbes_subjects 1") ||
			!strings.Contains(string(metrics), `derbes_http_request_duration_seconds_bucket{route="GET /v1/subjects",le="+Inf"} 2`) ||
			!strings.Contains(string(metrics), "derbes_requests_due_soon 0") || !strings.Contains(string(metrics), "derbes_journal_checkpoint 0") ||
			strings.Contains(string(metrics), "derbes_journal_head_seconds 0\n") {
			t.Fatalf("metrics:\n%s", metrics)
		}
		for _, s := range []string{iin, "950312405676", "7011234567", name, sid(c)} {
			if strings.Contains(string(metrics), s) {
				t.Errorf("the metrics hold %q", s)
			}
		}
	})
}

func sid(c client.Created) string { return c.Subject }

func TestWithATokenMetricsAnswerOnlyWhoCarriesIt(t *testing.T) {
	t.Parallel()
	const token = "s3cret-metrics-token"
	b := setup(t, "sqlite", func(s *api.Server) *api.Server { return s.WithMetricsToken(token) })
	get := func(auth string) (int, string) {
		req, _ := http.NewRequest("GET", b.srv.URL+"/metrics", nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	for _, auth := range []string{"", "Bearer wrong", "Basic " + token, token} {
		if code, body := get(auth); code != http.StatusUnauthorized || strings.Contains(body, "derbes_") {
			t.Errorf("with %q: %d\n%s", auth, code, body)
		}
	}
	if code, body := get("Bearer " + token); code != http.StatusOK || !strings.Contains(body, "derbes_subjects") {
		t.Fatalf("with the token: %d\n%s", code, body)
	}
}

func TestTheAPIDescribesItself(t *testing.T) {
	t.Parallel()
	b := setup(t, "sqlite")
	for path, want := range map[string]string{"/v1/openapi.json": `"openapi"`, "/docs": "POST", "/healthz": "ok", "/readyz": "ready"} {
		resp, err := http.Get(b.srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(string(body), want) {
			t.Errorf("%s: %d %.200s", path, resp.StatusCode, body)
		}
	}
}

// TestAKeyRevokedOnOneServerIsRefusedByAnother runs two servers on the same
// PostgreSQL database, as a deployment of several nodes does: a key
// revoked through one is refused by the other at its next request.
func TestAKeyRevokedOnOneServerIsRefusedByAnother(t *testing.T) {
	t.Parallel()
	b := setup(t, "postgres")
	ctx := context.Background()
	s2, err := store.Open(ctx, b.env.Config)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s2.Close() })
	v2, err := vault.Open(ctx, s2, b.env.Ring)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v2.Resume(ctx); err != nil {
		t.Fatal(err)
	}
	second := httptest.NewServer(api.New(v2, access.NewKeys(s2), slog.New(slog.DiscardHandler), func(context.Context) error { return nil }))
	t.Cleanup(second.Close)

	key, k, err := b.keys.Create(ctx, "test", "app", "")
	if err != nil {
		t.Fatal(err)
	}
	other := client.New(second.URL, key)
	for range 3 { // the second server now has the key in its cache
		if _, err := other.Lookup(ctx, "appeals", "iin", iin); err != nil {
			t.Fatal(err)
		}
	}
	// Revoked through the first server's keys.
	if err := b.keys.Revoke(ctx, "test", k.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := other.Lookup(ctx, "appeals", "iin", iin); client.Code(err) != "unauthenticated" {
		t.Fatalf("the second server accepted a key revoked on the first: %v", err)
	}
	if _, err := b.app.Lookup(ctx, "appeals", "iin", iin); err != nil {
		t.Fatalf("another key stopped working: %v", err)
	}
}

func TestASubjectsDataIsExportedForAPurposeAsOneDocument(t *testing.T) {
	each(t, func(t *testing.T, b *testBundle) {
		ctx := context.Background()
		c, err := b.app.CreateSubject(ctx, appeal())
		if err != nil {
			t.Fatal(err)
		}
		p, err := b.app.ExportSubject(ctx, c.Subject, "appeals")
		if err != nil {
			t.Fatal(err)
		}
		if p.Purpose != "appeals" || p.Subject.Identifiers["iin"] != iin || len(p.Records) != 1 || p.Records[0].Fields["appeal_text"] != text {
			t.Fatalf("the export: %+v", p)
		}
		if _, err := b.analyst.ExportSubject(ctx, c.Subject, "appeals"); client.Code(err) != "purpose-not-allowed" {
			t.Fatalf("a role that does not serve the purpose: %v", err)
		}
		if _, err := b.app.ExportSubject(ctx, c.Subject, ""); client.Code(err) != "purpose-required" {
			t.Fatalf("no purpose: %v", err)
		}
		if strings.Contains(b.logs.String(), iin) || strings.Contains(b.logs.String(), text) {
			t.Fatal("personal data in the log")
		}
	})
}
