package client_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/derbes/derbes/client"
)

const (
	tid        = "0190c9a4-6f1e-7c3a-9b2d-5e8f1a2b3c70"
	grantToken = "dbg_0123456789ab_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA-"
)

const transferJSON = `{"id":"` + tid + `","subject":"` + sid + `","recipient":"akimat","purpose":"appeals","ground":"consent","consent":"` + cid + `",
	"records":["` + rid + `"],"fields":["full_name","iin"],"country":"KZ","cross_border":false,"decided_by":"apikey:0123456789ab",
	"created_at":"2026-03-05T10:00:00Z","notify_due":"2026-03-19T18:59:59.999999Z"`

func TestCreateTransfer(t *testing.T) {
	c := fake(t, func(w http.ResponseWriter, r *http.Request) {
		want(t, r, "POST", "/v1/transfers")
		wantPurpose(t, r, "") // the purpose is in the body
		jsonEqual(t, body(t, r), `{"subject":"`+sid+`","recipient":"akimat","purpose":"appeals","records":["`+rid+`"],
			"fields":["full_name","iin"],"ground":"consent","grant":"72h0m0s"}`)
		w.Header().Set("Location", "/v1/transfers?subject="+sid)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		io.WriteString(w, transferJSON+`,"grant":{"token":"`+grantToken+`","expires_at":"2026-03-08T10:00:00Z"}}`)
	})
	got, err := c.CreateTransfer(context.Background(), client.TransferIn{Subject: sid, Recipient: "akimat", Purpose: "appeals", Records: []string{rid},
		Fields: []string{"full_name", "iin"}, Ground: "consent", Grant: 72 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != tid || got.Consent != cid || got.NotifyDue == nil || got.RevokedAt != nil || got.Grant == nil || got.Grant.Token != grantToken ||
		!got.Grant.ExpiresAt.Equal(time.Date(2026, 3, 8, 10, 0, 0, 0, time.UTC)) || !slices.Equal(got.Fields, []string{"full_name", "iin"}) {
		t.Errorf("got %+v", got)
	}
}

func TestCreateTransferByLaw(t *testing.T) {
	c := fake(t, func(w http.ResponseWriter, r *http.Request) {
		// No grant, no records: only what was set is sent.
		jsonEqual(t, body(t, r), `{"subject":"`+sid+`","recipient":"police","purpose":"appeals","fields":["full_name"],
			"ground":"law-enforcement","reference":"request 12/345 of 2026-03-01"}`)
		w.WriteHeader(http.StatusCreated)
		io.WriteString(w, transferJSON+`}`)
	})
	got, err := c.CreateTransfer(context.Background(), client.TransferIn{Subject: sid, Recipient: "police", Purpose: "appeals", Fields: []string{"full_name"},
		Ground: "law-enforcement", Reference: "request 12/345 of 2026-03-01"})
	if err != nil || got.Grant != nil {
		t.Errorf("got %+v, %v", got, err)
	}
}

func TestCreateTransferRefused(t *testing.T) {
	for _, tc := range []struct {
		status      int
		code, field string
	}{
		{403, "recipient-not-allowed", "recipient"},
		{403, "consent-does-not-allow", "ground"},
		{403, "cross-border-not-allowed", "ground"},
		{403, "record-not-transferable", "records"},
		{422, "reference-required", "reference"},
		{422, "invalid-value", "grant"},
		{410, "destroyed", ""},
	} {
		c := fake(t, func(w http.ResponseWriter, r *http.Request) {
			problem(w, tc.status, tc.code, "refused", tc.field)
		})
		got, err := c.CreateTransfer(context.Background(), client.TransferIn{Subject: sid, Recipient: "akimat", Purpose: "appeals", Fields: []string{"full_name"},
			Grant: client.MaxGrant + time.Hour})
		var p *client.Problem
		if got != nil || !errors.As(err, &p) || p.Code() != tc.code || p.Status != tc.status || p.Field != tc.field {
			t.Errorf("%s: got %+v, %#v", tc.code, got, err)
		}
	}
}

func TestTransfers(t *testing.T) {
	c := fake(t, func(w http.ResponseWriter, r *http.Request) {
		want(t, r, "GET", "/v1/transfers")
		q := r.URL.Query()
		switch {
		case q.Get("subject") == sid && !q.Has("recipient"):
			io.WriteString(w, `{"transfers":[`+transferJSON+`,"revoked_at":"2026-03-06T10:00:00Z"}]}`)
		case q.Get("recipient") == "akimat & co" && !q.Has("subject"):
			io.WriteString(w, `{"transfers":null}`)
		case len(q) == 0:
			problem(w, 422, "filter-required", "list the transfers of a subject or to a recipient", "")
		default:
			t.Errorf("query %q", r.URL.RawQuery)
		}
	})
	ctx := context.Background()
	got, err := c.Transfers(ctx, sid, "")
	if err != nil || len(got) != 1 || got[0].RevokedAt == nil || got[0].Grant != nil {
		t.Errorf("Transfers(subject) = %+v, %v", got, err)
	}
	got, err = c.Transfers(ctx, "", "akimat & co")
	if err != nil || got == nil || len(got) != 0 {
		t.Errorf("Transfers(recipient) = %#v, %v", got, err)
	}
	if _, err := c.Transfers(ctx, "", ""); client.Code(err) != "filter-required" {
		t.Errorf("Transfers() = %v", err)
	}
}

func TestRevokeTransfer(t *testing.T) {
	revoked := false
	c := fake(t, func(w http.ResponseWriter, r *http.Request) {
		want(t, r, "POST", "/v1/transfers/"+tid+"/revoke")
		if r.ContentLength > 0 || r.Header.Get("Content-Type") != "" {
			t.Errorf("a revocation sends a body")
		}
		if revoked {
			problem(w, 409, "already-revoked", "the transfer was already revoked", "")
			return
		}
		revoked = true
		w.WriteHeader(http.StatusNoContent)
	})
	ctx := context.Background()
	if err := c.RevokeTransfer(ctx, tid); err != nil {
		t.Fatal(err)
	}
	if err := c.RevokeTransfer(ctx, tid); client.Code(err) != "already-revoked" {
		t.Errorf("a second revocation: %v", err)
	}
}

// fakeRecipient is a server that hands each request to handle after
// checking the grant token.
func fakeRecipient(t *testing.T, handle func(w http.ResponseWriter, r *http.Request)) *client.Recipient {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if got := r.Header.Get("Authorization"); got != "Bearer "+grantToken {
			t.Errorf("Authorization = %q", got)
		}
		if r.Header.Get("X-Purpose") != "" {
			t.Errorf("a recipient declares a purpose")
		}
		if r.Method != "GET" {
			t.Errorf("method %s", r.Method)
		}
		handle(w, r)
	}))
	t.Cleanup(srv.Close)
	return client.NewRecipient(srv.URL+"/", grantToken, client.WithHTTPClient(&http.Client{Timeout: 5 * time.Second}))
}

const sharedJSON = `{"transfer":"` + tid + `","recipient":"akimat","purpose":"appeals","identifiers":{"iin":"900101300126"},
	"records":[{"id":"` + rid + `","fields":{"full_name":"Айгерим"}}],"expires_at":"2026-03-08T10:00:00Z"}`

func TestRecipientShared(t *testing.T) {
	r := fakeRecipient(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/v1/shared":
			if got := r.URL.Query()["fields"]; len(got) != 0 && !slices.Equal(got, []string{"full_name", "iin"}) {
				t.Errorf("fields = %q", got)
			}
			io.WriteString(w, sharedJSON)
		case "/v1/shared/records/" + rid:
			if got := r.URL.Query()["fields"]; !slices.Equal(got, []string{"full_name"}) {
				t.Errorf("fields = %q", got)
			}
			io.WriteString(w, `{"transfer":"`+tid+`","recipient":"akimat","purpose":"appeals","records":null,"expires_at":"2026-03-08T10:00:00Z"}`)
		default:
			t.Errorf("path %s", r.URL.Path)
		}
	})
	ctx := context.Background()
	for _, fields := range [][]string{nil, {"full_name", "iin"}} {
		got, err := r.Shared(ctx, fields...)
		if err != nil {
			t.Fatal(err)
		}
		if got.Transfer != tid || got.Identifiers["iin"] != "900101300126" || len(got.Records) != 1 || got.Records[0].Fields["full_name"] != "Айгерим" ||
			got.ExpiresAt.IsZero() {
			t.Errorf("got %+v", got)
		}
	}
	got, err := r.SharedRecord(ctx, rid, "full_name")
	if err != nil || got.Records == nil || len(got.Records) != 0 {
		t.Errorf("SharedRecord = %#v, %v", got, err)
	}
}

func TestRecipientProblems(t *testing.T) {
	r := fakeRecipient(t, func(w http.ResponseWriter, r *http.Request) {
		switch {
		case strings.Contains(r.URL.EscapedPath(), "%2F"):
			if p := r.URL.EscapedPath(); p != "/v1/shared/records/..%2Fx" {
				t.Errorf("path %q", p)
			}
			problem(w, 403, "record-not-granted", "that record was not passed to you", "record")
		case r.URL.Query().Get("fields") == "phone":
			problem(w, 403, "field-not-granted", `field "phone" was not passed to you`, "phone")
		case strings.HasPrefix(r.URL.Path, "/v1/shared/records/"):
			problem(w, 423, "blocked", "the record is blocked", "")
		default:
			w.Header().Set("WWW-Authenticate", `Bearer realm="derbes-shared"`)
			problem(w, 403, "grant-invalid", "the grant is not valid, was revoked or has expired", "")
		}
	})
	ctx := context.Background()
	for code, call := range map[string]func() error{
		"grant-invalid":      func() error { _, err := r.Shared(ctx); return err },
		"field-not-granted":  func() error { _, err := r.Shared(ctx, "phone"); return err },
		"record-not-granted": func() error { _, err := r.SharedRecord(ctx, "../x"); return err },
		"blocked":            func() error { _, err := r.SharedRecord(ctx, rid); return err },
	} {
		err := call()
		var p *client.Problem
		if !errors.As(err, &p) || p.Code() != code {
			t.Errorf("%s: err = %v", code, err)
		}
	}
}
