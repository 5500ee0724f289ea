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
	xid          = "0190c9a4-6f1e-7c3a-9b2d-5e8f1a2b3c80"
	sessionToken = "dss_0123456789ab_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
)

func TestLogin(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		want(t, r, "POST", "/base/v1/login")
		if got := r.Header.Get("Authorization"); got != "" {
			t.Errorf("Authorization %q sent to sign in", got)
		}
		b := body(t, r)
		switch b["password"] {
		case "correct horse battery":
			jsonEqual(t, b, `{"login":"a.serikova","password":"correct horse battery","totp":"492039"}`)
			answer(w, 200, map[string]string{"token": sessionToken, "expires_at": "2026-03-20T17:00:00Z"})
		case "no second factor":
			jsonEqual(t, b, `{"login":"a.serikova","password":"no second factor"}`)
			answer(w, 200, map[string]string{"token": sessionToken, "expires_at": "2026-03-20T17:00:00Z"})
		case "locked":
			w.Header().Set("Retry-After", "900")
			problem(w, 429, "locked", "too many failed attempts: the account is locked for 15 minutes", "")
		default:
			problem(w, 401, "login-failed", "wrong login, password or code", "")
		}
	}))
	t.Cleanup(srv.Close)
	ctx := context.Background()
	s, err := client.Login(ctx, srv.URL+"/base/", "a.serikova", "correct horse battery", "492039")
	if err != nil || s.Token != sessionToken || !s.ExpiresAt.Equal(time.Date(2026, 3, 20, 17, 0, 0, 0, time.UTC)) {
		t.Fatalf("Login = %+v, %v", s, err)
	}
	if _, err := client.Login(ctx, srv.URL+"/base", "a.serikova", "no second factor", ""); err != nil {
		t.Error(err)
	}
	var p *client.Problem
	if s, err := client.Login(ctx, srv.URL+"/base", "a.serikova", "wrong", "000000"); s != nil || !errors.As(err, &p) || p.Code() != "login-failed" || p.Status != 401 {
		t.Errorf("wrong password: %+v, %v", s, err)
	}
	if _, err := client.Login(ctx, srv.URL+"/base", "a.serikova", "locked", ""); client.Code(err) != "locked" {
		t.Errorf("locked: %v", err)
	}

}

// TestSessionTokenIsAKey: a client made with a session token sends it
// like an API key.
func TestSessionTokenIsAKey(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if got := r.Header.Get("Authorization"); got != "Bearer "+sessionToken {
			t.Errorf("Authorization = %q", got)
		}
		answer(w, 200, map[string]any{"incidents": []any{}})
	}))
	t.Cleanup(srv.Close)
	if _, err := client.New(srv.URL, sessionToken).Incidents(context.Background(), ""); err != nil {
		t.Fatal(err)
	}
}

func TestMasked(t *testing.T) {
	c := fake(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/v1/subjects/" + sid:
			io.WriteString(w, `{"id":"`+sid+`","category":"applicant","state":"active","identifiers":{"iin":"95031*******","phone":"+7 701 *** ** 67"},
				"masked":["iin","phone"],"created_at":"2026-03-01T10:00:00Z"}`)
		case "/v1/records/" + rid:
			io.WriteString(w, `{"id":"`+rid+`","subject":"`+sid+`","purpose":"appeals","channel":"call","ground":"consent","state":"active",
				"fields":{"full_name":"Айгерим","phone":"+7 701 *** ** 67"},"masked":["phone"],"policy_version":1,
				"created_at":"2026-03-01T10:00:00Z","updated_at":"2026-03-01T10:00:00Z"}`)
		default:
			t.Errorf("path %s", r.URL.Path)
		}
	})
	ctx := context.Background()
	s, err := c.Subject(ctx, sid, "appeals")
	if err != nil || !slices.Equal(s.Masked, []string{"iin", "phone"}) || s.Identifiers["iin"] != "95031*******" {
		t.Errorf("Subject = %+v, %v", s, err)
	}
	r, err := c.Record(ctx, rid, "appeals")
	if err != nil || !slices.Equal(r.Masked, []string{"phone"}) || r.Fields["phone"] != "+7 701 *** ** 67" {
		t.Errorf("Record = %+v, %v", r, err)
	}
}

const accessJSON = `{"at":"2026-03-20T04:00:00Z","lines":[
	{"principal":"staff:a.serikova","kind":"staff","label":"Айгерим","role":"clerk","role_title":"Clerk","purpose":"appeals",
	 "fields":["full_name"],"masked":["iin","phone"],"can":["read","update"],"since":"2026-03-02T08:00:00Z"},
	{"principal":"apikey:0123456789ab","kind":"api-key","role":"app","role_title":"Application","purpose":"appeals",
	 "fields":null,"can":["collect"],"since":"2026-01-02T08:00:00Z","until":"2026-03-10T08:00:00Z"}]}`

func TestAccessReport(t *testing.T) {
	at := time.Date(2026, 3, 20, 9, 0, 0, 0, time.FixedZone("Astana", 5*3600))
	c := fake(t, func(w http.ResponseWriter, r *http.Request) {
		want(t, r, "GET", "/v1/access/report")
		q := r.URL.Query()
		if r.Header.Get("X-Purpose") != "" {
			t.Error("X-Purpose sent with the access report")
		}
		switch {
		case q.Get("format") == "csv":
			if q.Get("at") != "2026-03-20T09:00:00+05:00" || !strings.Contains(r.Header.Get("Accept"), "text/csv") {
				t.Errorf("csv: query %q, Accept %q", r.URL.RawQuery, r.Header.Get("Accept"))
			}
			w.Header().Set("Content-Type", "text/csv; charset=utf-8")
			io.WriteString(w, "principal,kind,label,role,purpose,fields,masked,can,since,until\n")
		case q.Get("at") == "2026-03-20T09:00:00+05:00" && len(q) == 1:
			io.WriteString(w, accessJSON)
		case len(q) == 0 || q.Get("at") == "2026-03-20T09:00:00.5+05:00":
			// A key issued half a second before at is not cut off by a
			// time rounded down to the second.
			io.WriteString(w, `{"at":"2026-03-20T04:00:00Z","lines":null}`)
		default:
			t.Errorf("query %q", r.URL.RawQuery)
		}
	})
	ctx := context.Background()
	rep, err := c.AccessReport(ctx, at)
	if err != nil || len(rep.Lines) != 2 || !slices.Equal(rep.Lines[0].Masked, []string{"iin", "phone"}) || rep.Lines[0].Until != nil ||
		rep.Lines[1].Until == nil || rep.Lines[1].Fields != nil {
		t.Errorf("AccessReport = %+v, %v", rep, err)
	}
	rep, err = c.AccessReport(ctx, time.Time{})
	if err != nil || rep.Lines == nil || len(rep.Lines) != 0 {
		t.Errorf("AccessReport(now) = %+v, %v", rep, err)
	}
	if _, err := c.AccessReport(ctx, at.Add(500*time.Millisecond)); err != nil {
		t.Error(err)
	}
	csv, err := c.AccessReportCSV(ctx, at)
	if err != nil || !strings.HasPrefix(string(csv), "principal,kind,") {
		t.Errorf("AccessReportCSV = %q, %v", csv, err)
	}
}

func TestAccessReportRefused(t *testing.T) {
	c := fake(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("format") == "csv" && r.URL.Query().Get("at") == "" {
			io.WriteString(w, `{"at":"2026-03-20T04:00:00Z","lines":[]}`) // JSON where CSV was asked for
			return
		}
		problem(w, 403, "action-not-allowed", `role "clerk" may not admin`, "")
	})
	ctx := context.Background()
	if rep, err := c.AccessReport(ctx, time.Time{}); rep != nil || client.Code(err) != "action-not-allowed" {
		t.Errorf("AccessReport = %+v, %v", rep, err)
	}
	if csv, err := c.AccessReportCSV(ctx, time.Date(2026, 3, 20, 0, 0, 0, 0, time.UTC)); csv != nil || client.Code(err) != "action-not-allowed" {
		t.Errorf("AccessReportCSV = %q, %v", csv, err)
	}
	if _, err := c.AccessReportCSV(ctx, time.Time{}); err == nil || !strings.Contains(err.Error(), "not CSV") {
		t.Errorf("a JSON answer to a CSV request: %v", err)
	}
}

const incidentJSON = `{"id":"` + xid + `","kind":"mass-read","source":"rule:subjects_per_hour","principal":"apikey:0123456789ab",
	"detected_at":"2026-03-20T13:30:00Z","classification":"suspected","status":"open","notice_due":"2026-03-26T18:59:59.999999Z"`

func TestIncidents(t *testing.T) {
	c := fake(t, func(w http.ResponseWriter, r *http.Request) {
		want(t, r, "GET", "/v1/incidents")
		switch r.URL.RawQuery {
		case "status=open":
			io.WriteString(w, `{"incidents":[`+incidentJSON+`}]}`)
		case "":
			io.WriteString(w, `{"incidents":null}`)
		default:
			t.Errorf("query %q", r.URL.RawQuery)
		}
	})
	ctx := context.Background()
	list, err := c.Incidents(ctx, client.IncidentOpen)
	if err != nil || len(list) != 1 || list[0].Kind != client.IncidentMassRead || list[0].NoticeDue == nil || list[0].Content != nil ||
		!list[0].NoticeDue.Equal(time.Date(2026, 3, 26, 18, 59, 59, 999999000, time.UTC)) {
		t.Errorf("Incidents = %+v, %v", list, err)
	}
	list, err = c.Incidents(ctx, "")
	if err != nil || list == nil || len(list) != 0 {
		t.Errorf("Incidents() = %#v, %v", list, err)
	}
}

func TestReportIncident(t *testing.T) {
	c := fake(t, func(w http.ResponseWriter, r *http.Request) {
		want(t, r, "POST", "/v1/incidents")
		b := body(t, r)
		if b["description"] == "" {
			problem(w, 422, "value-required", "describe what happened", "description")
			return
		}
		jsonEqual(t, b, `{"description":"a list was left on a bus","subjects":["`+sid+`"]}`)
		w.Header().Set("Location", "/v1/incidents/"+xid)
		answer(w, 201, map[string]string{"incident": xid})
	})
	ctx := context.Background()
	id, err := c.ReportIncident(ctx, "a list was left on a bus", sid)
	if err != nil || id != xid {
		t.Errorf("ReportIncident = %q, %v", id, err)
	}
	var p *client.Problem
	if id, err := c.ReportIncident(ctx, ""); id != "" || !errors.As(err, &p) || p.Code() != "value-required" || p.Field != "description" {
		t.Errorf("empty: %q, %v", id, err)
	}
}

func TestIncidentAndItsNotice(t *testing.T) {
	c := fake(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.Method + " " + r.URL.EscapedPath() {
		case "GET /v1/incidents/" + xid:
			io.WriteString(w, incidentJSON+`,"subjects":["`+sid+`"],"content":{"description":"read 120 subjects",
				"measures":[{"at":"2026-03-20T14:00:00Z","by":"staff:officer","taken":"key revoked"}]}}`)
		case "PATCH /v1/incidents/" + xid:
			jsonEqual(t, body(t, r), `{"classification":"confirmed","measure":"key revoked","subjects":["`+sid+`"],"notice_sent":true}`)
			io.WriteString(w, strings.Replace(incidentJSON, "suspected", "confirmed", 1)+`,"notice_sent_at":"2026-03-21T09:00:00Z","content":{"description":"x"}}`)
		case "GET /v1/incidents/" + xid + "/notice":
			io.WriteString(w, `{"incident":"`+xid+`","to":"the authorized body","operator":{"kk":"а","ru":"б","en":"c"},"bin":"040540123456",
				"responsible_person":"R P","contact":"dpo@example.kz","detected_at":"2026-03-20T13:30:00Z","due":null,"what_happened":"read 120 subjects",
				"measures":null,"affected_subjects":["`+sid+`"]}`)
		case "GET /v1/incidents/" + rid + "/notice":
			problem(w, 409, "not-confirmed", "only a confirmed breach is notified", "")
		case "PATCH /v1/incidents/" + rid:
			problem(w, 422, "invalid-value", "classification is suspected, confirmed or not-a-breach", "classification")
		default:
			t.Errorf("%s %s", r.Method, r.URL.EscapedPath())
		}
	})
	ctx := context.Background()
	x, err := c.Incident(ctx, xid)
	if err != nil || x.Content == nil || len(x.Content.Measures) != 1 || x.Content.Measures[0].By != "staff:officer" || !slices.Equal(x.Subjects, []string{sid}) {
		t.Errorf("Incident = %+v, %v", x, err)
	}
	x, err = c.UpdateIncident(ctx, xid, client.IncidentChange{Classification: client.IncidentConfirmed, Measure: "key revoked", Subjects: []string{sid}, NoticeSent: true})
	if err != nil || x.Classification != client.IncidentConfirmed || x.NoticeSentAt == nil {
		t.Errorf("UpdateIncident = %+v, %v", x, err)
	}
	n, err := c.IncidentNotice(ctx, xid)
	if err != nil || n.Due != nil || n.Measures != nil || n.Operator.EN != "c" || n.Responsible != "R P" || !slices.Equal(n.Subjects, []string{sid}) {
		t.Errorf("IncidentNotice = %+v, %v", n, err)
	}
	if n, err := c.IncidentNotice(ctx, rid); n != nil || client.Code(err) != "not-confirmed" {
		t.Errorf("IncidentNotice (unconfirmed) = %+v, %v", n, err)
	}
	if x, err := c.UpdateIncident(ctx, rid, client.IncidentChange{Classification: "breach"}); x != nil || client.Code(err) != "invalid-value" {
		t.Errorf("UpdateIncident (bad) = %+v, %v", x, err)
	}
}

func TestRecordVersionsAndRestore(t *testing.T) {
	c := fake(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.Method + " " + r.URL.EscapedPath() {
		case "GET /v1/records/" + rid + "/versions":
			wantPurpose(t, r, "appeals")
			io.WriteString(w, `{"versions":[{"version":1,"fields":["appeal_text","full_name"],"replaced_at":"2026-03-20T13:31:00Z","replaced_by":"staff:intruder"}]}`)
		case "GET /v1/records/" + sid + "/versions":
			io.WriteString(w, `{"versions":null}`)
		case "POST /v1/records/" + rid + "/restore":
			wantPurpose(t, r, "") // the purpose is in the body
			b := body(t, r)
			if b["version"] == float64(99) {
				problem(w, 404, "no-such-version", "the record has no version 99", "version")
				return
			}
			jsonEqual(t, b, `{"purpose":"appeals","version":1}`)
			io.WriteString(w, `{"id":"`+rid+`","subject":"`+sid+`","purpose":"appeals","channel":"call","ground":"consent","state":"active",
				"fields":{"appeal_text":"the original"},"policy_version":1,"created_at":"2026-03-01T10:00:00Z","updated_at":"2026-03-20T14:00:00Z"}`)
		default:
			t.Errorf("%s %s", r.Method, r.URL.EscapedPath())
		}
	})
	ctx := context.Background()
	vs, err := c.RecordVersions(ctx, rid, "appeals")
	if err != nil || len(vs) != 1 || vs[0].Version != 1 || vs[0].ReplacedBy != "staff:intruder" || !slices.Equal(vs[0].Fields, []string{"appeal_text", "full_name"}) {
		t.Errorf("RecordVersions = %+v, %v", vs, err)
	}
	vs, err = c.RecordVersions(ctx, sid, "appeals")
	if err != nil || vs == nil || len(vs) != 0 {
		t.Errorf("RecordVersions (none) = %#v, %v", vs, err)
	}
	rec, err := c.RestoreRecord(ctx, rid, "appeals", 1)
	if err != nil || rec.Fields["appeal_text"] != "the original" {
		t.Errorf("RestoreRecord = %+v, %v", rec, err)
	}
	var p *client.Problem
	if rec, err := c.RestoreRecord(ctx, rid, "appeals", 99); rec != nil || !errors.As(err, &p) || p.Code() != "no-such-version" || p.Status != 404 || p.Field != "version" {
		t.Errorf("RestoreRecord(99) = %+v, %v", rec, err)
	}
}

func TestLogout(t *testing.T) {
	ended := false
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		want(t, r, "POST", "/v1/logout")
		if got := r.Header.Get("Authorization"); got != "Bearer "+sessionToken {
			t.Errorf("Authorization = %q", got)
		}
		if ended {
			problem(w, 401, "unauthenticated", "send the session token to end", "")
			return
		}
		ended = true
		w.WriteHeader(204)
	}))
	t.Cleanup(srv.Close)
	c := client.New(srv.URL, sessionToken)
	if err := c.Logout(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := c.Logout(context.Background()); client.Code(err) != "unauthenticated" {
		t.Fatalf("signing out twice: %v", err)
	}
}
