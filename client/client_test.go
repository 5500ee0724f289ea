package client_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/derbes/derbes/client"
)

const (
	testKey = "dbs_0123456789ab_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
	sid     = "0190c9a4-6f1e-7c3a-9b2d-5e8f1a2b3c4d"
	rid     = "0190c9a4-6f1e-7c3a-9b2d-5e8f1a2b3c4e"
)

// fake is a server that hands each request to handle after checking the
// API key.
func fake(t *testing.T, handle func(w http.ResponseWriter, r *http.Request)) *client.Client {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if got := r.Header.Get("Authorization"); got != "Bearer "+testKey {
			t.Errorf("Authorization = %q", got)
		}
		handle(w, r)
	}))
	t.Cleanup(srv.Close)
	return client.New(srv.URL+"/", testKey)
}

func answer(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func problem(w http.ResponseWriter, status int, code, detail, field string) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{"type": "urn:derbes:problem:" + code, "title": http.StatusText(status), "status": status, "detail": detail, "field": field})
}

func want(t *testing.T, r *http.Request, method, path string) {
	t.Helper()
	if r.Method != method || r.URL.EscapedPath() != path {
		t.Errorf("request %s %s, want %s %s", r.Method, r.URL.EscapedPath(), method, path)
	}
}

// body decodes a JSON request body strictly into a generic value.
func body(t *testing.T, r *http.Request) map[string]any {
	t.Helper()
	if ct := r.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q", ct)
	}
	var m map[string]any
	if err := json.NewDecoder(r.Body).Decode(&m); err != nil {
		t.Fatalf("body: %v", err)
	}
	return m
}

func jsonEqual(t *testing.T, got map[string]any, wantJSON string) {
	t.Helper()
	var w map[string]any
	if err := json.Unmarshal([]byte(wantJSON), &w); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, w) {
		g, _ := json.Marshal(got)
		t.Errorf("body = %s\nwant   %s", g, wantJSON)
	}
}

func TestCreateSubject(t *testing.T) {
	c := fake(t, func(w http.ResponseWriter, r *http.Request) {
		want(t, r, "POST", "/v1/subjects")
		if r.Header.Get("X-Purpose") != "" {
			t.Errorf("X-Purpose sent on a create: the purpose is in the body")
		}
		jsonEqual(t, body(t, r), `{"category":"applicant","purpose":"appeals","identifiers":{"iin":"900101300126"},
			"record":{"channel":"call-109","fields":{"full_name":"Айгерим"}}}`)
		w.Header().Set("Location", "/v1/subjects/"+sid)
		answer(w, http.StatusCreated, map[string]string{"subject": sid, "record": rid})
	})
	got, err := c.CreateSubject(context.Background(), client.SubjectIn{
		Category: "applicant", Purpose: "appeals", Identifiers: map[string]string{"iin": "900101300126"},
		Record: &client.RecordIn{Channel: "call-109", Fields: map[string]string{"full_name": "Айгерим"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if got != (client.Created{Subject: sid, Record: rid}) {
		t.Errorf("got %+v", got)
	}
}

func TestLookupEncodesValues(t *testing.T) {
	cases := []struct{ kind, value string }{
		{"phone", "+7 (707) 123-45-67"},
		{"email", "a+b&c=d@example.kz"},
		{"iin", "900101300126"},
	}
	for _, tc := range cases {
		t.Run(tc.kind, func(t *testing.T) {
			c := fake(t, func(w http.ResponseWriter, r *http.Request) {
				want(t, r, "GET", "/v1/subjects")
				q := r.URL.Query()
				if len(q) != 1 || q.Get(tc.kind) != tc.value {
					t.Errorf("query %q decodes to %v, want only %s=%q", r.URL.RawQuery, q, tc.kind, tc.value)
				}
				if p := r.Header.Get("X-Purpose"); p != "appeals" {
					t.Errorf("X-Purpose = %q", p)
				}
				answer(w, 200, map[string]any{"subjects": []string{sid}})
			})
			ids, err := c.Lookup(context.Background(), "appeals", tc.kind, tc.value)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(ids, []string{sid}) {
				t.Errorf("ids = %v", ids)
			}
		})
	}
}

func TestLookupNoneAndBadKind(t *testing.T) {
	var calls atomic.Int32
	c := fake(t, func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		answer(w, 200, map[string]any{"subjects": []string{}})
	})
	ids, err := c.Lookup(context.Background(), "appeals", "email", "x@example.kz")
	if err != nil || ids == nil || len(ids) != 0 {
		t.Errorf("Lookup = %v, %v; want an empty list", ids, err)
	}
	if _, err := c.Lookup(context.Background(), "appeals", "passport", "N123"); err == nil {
		t.Error("lookup by passport: no error")
	}
	if calls.Load() != 1 {
		t.Errorf("%d requests, want 1 (a bad kind is refused before sending)", calls.Load())
	}
}

func TestSubjectEscapesID(t *testing.T) {
	c := fake(t, func(w http.ResponseWriter, r *http.Request) {
		want(t, r, "GET", "/v1/subjects/a%2Fb%3Fc")
		if r.URL.RawQuery != "" {
			t.Errorf("query %q", r.URL.RawQuery)
		}
		problem(w, 404, "not-found", "no such subject or record", "")
	})
	_, err := c.Subject(context.Background(), "a/b?c", "appeals")
	if client.Code(err) != "not-found" {
		t.Errorf("err = %v", err)
	}
}

func TestSubject(t *testing.T) {
	c := fake(t, func(w http.ResponseWriter, r *http.Request) {
		want(t, r, "GET", "/v1/subjects/"+sid)
		if p := r.Header.Get("X-Purpose"); p != "appeals" {
			t.Errorf("X-Purpose = %q", p)
		}
		io.WriteString(w, `{"id":"`+sid+`","category":"applicant","state":"destroyed","created_at":"2026-03-01T10:00:00Z",
			"destroyed_at":"2026-03-02T10:00:00Z","records":[{"id":"`+rid+`","purpose":"appeals","state":"destroyed"}]}`)
	})
	s, err := c.Subject(context.Background(), sid, "appeals")
	if err != nil {
		t.Fatal(err)
	}
	if s.State != client.StateDestroyed || s.DestroyedAt == nil || !s.DestroyedAt.Equal(time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)) ||
		len(s.Records) != 1 || s.Records[0].ID != rid || s.Identifiers != nil {
		t.Errorf("got %+v", s)
	}
}

func TestDestroySubject(t *testing.T) {
	c := fake(t, func(w http.ResponseWriter, r *http.Request) {
		want(t, r, "DELETE", "/v1/subjects/"+sid)
		if got := r.URL.Query().Get("reason"); got != "subject-request" {
			t.Errorf("reason = %q", got)
		}
		if p := r.Header.Get("X-Purpose"); p != "appeals" {
			t.Errorf("X-Purpose = %q", p)
		}
		if r.ContentLength > 0 {
			t.Errorf("a body was sent")
		}
		w.WriteHeader(http.StatusNoContent)
	})
	if err := c.DestroySubject(context.Background(), sid, "subject-request", "appeals"); err != nil {
		t.Fatal(err)
	}
}

func TestAddRecordAndRecords(t *testing.T) {
	c := fake(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.Method {
		case "POST":
			want(t, r, "POST", "/v1/subjects/"+sid+"/records")
			jsonEqual(t, body(t, r), `{"purpose":"consultation","channel":"call-109","ground":"consent","fields":{"phone":"+77071234567"}}`)
			answer(w, 201, map[string]string{"subject": sid, "record": rid})
		case "GET":
			want(t, r, "GET", "/v1/subjects/"+sid+"/records")
			if p := r.Header.Get("X-Purpose"); p != "consultation" {
				t.Errorf("X-Purpose = %q", p)
			}
			io.WriteString(w, `{"records":[{"id":"`+rid+`","subject":"`+sid+`","purpose":"consultation","channel":"call-109","ground":"consent",
				"state":"active","fields":{"phone":"+77071234567"},"withheld":["iin"],"policy_version":3,
				"created_at":"2026-03-01T10:00:00Z","updated_at":"2026-03-01T11:00:00Z"}]}`)
		}
	})
	ctx := context.Background()
	created, err := c.AddRecord(ctx, sid, client.RecordIn{Purpose: "consultation", Channel: "call-109", Ground: "consent", Fields: map[string]string{"phone": "+77071234567"}})
	if err != nil || created.Record != rid || created.Subject != sid {
		t.Fatalf("AddRecord = %+v, %v", created, err)
	}
	recs, err := c.Records(ctx, sid, "consultation")
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 1 || recs[0].Fields["phone"] != "+77071234567" || recs[0].PolicyVersion != 3 || !slices.Equal(recs[0].Withheld, []string{"iin"}) ||
		!recs[0].UpdatedAt.Equal(time.Date(2026, 3, 1, 11, 0, 0, 0, time.UTC)) {
		t.Errorf("got %+v", recs)
	}
}

func TestRecordFields(t *testing.T) {
	c := fake(t, func(w http.ResponseWriter, r *http.Request) {
		want(t, r, "GET", "/v1/records/"+rid)
		if f := r.URL.Query()["fields"]; !slices.Equal(f, []string{"full_name", "phone"}) {
			t.Errorf("fields = %q", f)
		}
		answer(w, 200, map[string]any{"id": rid, "fields": map[string]string{"full_name": "A", "phone": "+77071234567"}})
	})
	rec, err := c.Record(context.Background(), rid, "appeals", "full_name", "phone")
	if err != nil {
		t.Fatal(err)
	}
	if rec.ID != rid || len(rec.Fields) != 2 {
		t.Errorf("got %+v", rec)
	}
}

func TestUpdateRecord(t *testing.T) {
	c := fake(t, func(w http.ResponseWriter, r *http.Request) {
		want(t, r, "PATCH", "/v1/records/"+rid)
		if p := r.Header.Get("X-Purpose"); p != "appeals" {
			t.Errorf("X-Purpose = %q", p)
		}
		jsonEqual(t, body(t, r), `{"fields":{"phone":"+77017654321","address":null}}`)
		answer(w, 200, map[string]any{"id": rid, "fields": map[string]string{"phone": "+77017654321"}})
	})
	phone := "+77017654321"
	rec, err := c.UpdateRecord(context.Background(), rid, "appeals", map[string]*string{"phone": &phone, "address": nil})
	if err != nil {
		t.Fatal(err)
	}
	if rec.Fields["phone"] != phone {
		t.Errorf("got %+v", rec)
	}
}

func TestJournal(t *testing.T) {
	// Three entries, served two at a time.
	c := fake(t, func(w http.ResponseWriter, r *http.Request) {
		want(t, r, "GET", "/v1/journal")
		after, _ := strconv.ParseInt(r.URL.Query().Get("after"), 10, 64)
		limit := 2
		page := map[string]any{}
		var entries []map[string]any
		for seq := after + 1; seq <= 3 && len(entries) < limit; seq++ {
			entries = append(entries, map[string]any{"seq": seq, "at": "2026-03-01T10:00:00Z", "actor": "apikey:0123456789ab",
				"action": "record.read", "outcome": "ok", "detail": `{"role":"x"}`, "hash": "AAEC"})
		}
		page["entries"] = entries
		if len(entries) == limit {
			page["next"] = entries[len(entries)-1]["seq"]
		}
		answer(w, 200, page)
	})
	ctx := context.Background()
	p, err := c.Journal(ctx, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Entries) != 2 || p.Next != 2 || !slices.Equal(p.Entries[0].Hash, []byte{0, 1, 2}) || p.Entries[1].Seq != 2 {
		t.Errorf("page = %+v", p)
	}
	var seqs []int64
	for e, err := range c.JournalEntries(ctx, 0) {
		if err != nil {
			t.Fatal(err)
		}
		seqs = append(seqs, e.Seq)
	}
	if !slices.Equal(seqs, []int64{1, 2, 3}) {
		t.Errorf("JournalEntries yielded %v", seqs)
	}
}

func TestJournalQuery(t *testing.T) {
	c := fake(t, func(w http.ResponseWriter, r *http.Request) {
		if got := r.URL.RawQuery; got != "after=41&limit=500" {
			t.Errorf("query = %q", got)
		}
		if r.Header.Get("X-Purpose") != "" {
			t.Error("X-Purpose sent on a journal read")
		}
		answer(w, 200, map[string]any{"entries": []any{}})
	})
	p, err := c.Journal(context.Background(), 41, 500)
	if err != nil || p.Entries == nil || p.Next != 0 {
		t.Errorf("Journal = %+v, %v", p, err)
	}
}

func TestVerifyPolicyHealth(t *testing.T) {
	c := fake(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/v1/journal/verify":
			io.WriteString(w, `{"ok":false,"entries":10,"checkpoints":0,"problem":"entry 4 does not match its hash","first_bad":4}`)
		case "/v1/policy":
			io.WriteString(w, `{"version":2,"sha256":"ab","policy":{"derbes":1,"version":"2026-1"}}`)
		case "/healthz":
			io.WriteString(w, `{"status":"ok"}`)
		case "/readyz":
			problem(w, 503, "not-ready", "no active policy", "")
		default:
			t.Errorf("unexpected %s", r.URL.Path)
		}
	})
	ctx := context.Background()
	v, err := c.VerifyJournal(ctx)
	if err != nil || v.OK || v.FirstBad != 4 || v.Entries != 10 || v.Problem == "" {
		t.Errorf("VerifyJournal = %+v, %v", v, err)
	}
	p, err := c.Policy(ctx)
	if err != nil || p.Version != 2 || p.SHA256 != "ab" {
		t.Fatalf("Policy = %+v, %v", p, err)
	}
	var pol struct{ Version string }
	if err := json.Unmarshal(p.Policy, &pol); err != nil || pol.Version != "2026-1" {
		t.Errorf("policy = %s", p.Policy)
	}
	if err := c.Health(ctx); err != nil {
		t.Errorf("Health: %v", err)
	}
	if err := c.Ready(ctx); client.Code(err) != "not-ready" {
		t.Errorf("Ready: %v", err)
	}
}

func TestProblems(t *testing.T) {
	c := fake(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/v1/records/" + rid:
			problem(w, 403, "field-not-visible", `role "x" may not see field "iin"`, "iin")
		case "/v1/subjects":
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(http.StatusBadGateway)
			io.WriteString(w, "<html>bad gateway</html>")
		}
	})
	ctx := context.Background()
	_, err := c.Record(ctx, rid, "appeals", "iin")
	var p *client.Problem
	if !errors.As(err, &p) {
		t.Fatalf("err = %#v, not a *Problem", err)
	}
	want := client.Problem{Type: "urn:derbes:problem:field-not-visible", Title: "Forbidden", Status: 403, Detail: `role "x" may not see field "iin"`, Field: "iin"}
	if *p != want || p.Code() != "field-not-visible" || client.Code(err) != "field-not-visible" {
		t.Errorf("problem = %+v", p)
	}
	if !strings.Contains(err.Error(), "field-not-visible") {
		t.Errorf("Error() = %q", err.Error())
	}

	_, err = c.Lookup(ctx, "appeals", "iin", "900101300126")
	if !errors.As(err, &p) || p.Status != 502 || p.Code() != "" || p.Type != "about:blank" {
		t.Errorf("a proxy's error page: %#v", err)
	}
	if strings.Contains(err.Error(), "html") && strings.Contains(err.Error(), "bad gateway</") {
		t.Errorf("the body of a foreign answer is echoed: %q", err.Error())
	}
	if client.Code(errors.New("x")) != "" {
		t.Error("Code of a plain error is not empty")
	}
}

type countingTransport struct{ n atomic.Int32 }

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.n.Add(1)
	return http.DefaultTransport.RoundTrip(r)
}

func TestOptionsAndBaseURL(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		want(t, r, "GET", "/derbes/healthz")
		io.WriteString(w, `{"status":"ok"}`)
	}))
	defer srv.Close()
	tr := &countingTransport{}
	c := client.New(srv.URL+"/derbes/", testKey, client.WithHTTPClient(&http.Client{Transport: tr}))
	if err := c.Health(context.Background()); err != nil {
		t.Fatal(err)
	}
	if tr.n.Load() != 1 {
		t.Errorf("the given http.Client was not used")
	}
}

func TestTransportErrorHidesQuery(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close() // nothing listens any more
	c := client.New(url, testKey)
	_, err := c.Lookup(context.Background(), "appeals", "iin", "900101300126")
	if err == nil {
		t.Fatal("no error from a closed server")
	}
	if strings.Contains(err.Error(), "900101300126") {
		t.Errorf("the error repeats the identifier: %q", err.Error())
	}
	var p *client.Problem
	if errors.As(err, &p) {
		t.Errorf("a transport error became a Problem: %v", err)
	}
}

func TestContextCancel(t *testing.T) {
	c := fake(t, func(w http.ResponseWriter, r *http.Request) {
		<-r.Context().Done()
	})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := c.Health(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
}
