package client_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/derbes/derbes/client"
)

const qid = "0190c9a4-6f1e-7c3a-9b2d-5e8f1a2b3c60"

// requestJSON is a request as the server answers GET /v1/requests/{id}.
const requestJSON = `{"id":"` + qid + `","kind":"correction","state":"in_progress","subject":"` + sid + `","channel":"letter",
	"representative":true,"lang":"ru","received_at":"2026-03-02T04:00:00Z","clock_started_at":"2026-03-03T05:00:00Z",
	"due_at":"2026-03-04T18:59:59.999999Z","overdue":false,"assignee":"dpo",
	"content":{"requester":{"full_name":"Ерлан","representative":{"full_name":"Айгерим","authority":"power of attorney 12"}},
		"identity":{"full_name":"Айгерим","id_document":{"number":"045123456","issued":"2019-05-14","issuer":"МВД РК"},"signature":true},
		"text":"исправьте фамилию","record":"` + rid + `","corrections":{"full_name":"Ерлан Серикович"},
		"verified":["full_name","id_document","signature"]}}`

func TestSubmitRequest(t *testing.T) {
	c := fake(t, func(w http.ResponseWriter, r *http.Request) {
		want(t, r, "POST", "/v1/requests")
		wantPurpose(t, r, "") // the register is reached by duty
		jsonEqual(t, body(t, r), `{"kind":"correction","channel":"letter","lang":"ru","subject":"`+sid+`",
			"requester":{"full_name":"Ерлан","representative":{"full_name":"Айгерим","authority":"power of attorney 12"}},
			"identity":{"full_name":"Айгерим","iin":"900101300126","id_document":{"number":"045123456","issued":"2019-05-14","issuer":"МВД РК"},
				"relationship":"appeal 2026/17","signature":true},
			"text":"исправьте фамилию","record":"`+rid+`","corrections":{"full_name":"Ерлан Серикович"}}`)
		w.Header().Set("Location", "/v1/requests/"+qid)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		io.WriteString(w, `{"id":"`+qid+`","kind":"correction","state":"received","subject":"`+sid+`","channel":"letter","representative":true,
			"lang":"ru","received_at":"2026-03-02T04:00:00Z","clock_started_at":"2026-03-02T04:00:00Z","overdue":false,
			"warning":"the deadline could not be counted"}`)
	})
	got, err := c.SubmitRequest(context.Background(), client.RequestIn{
		Kind: client.KindCorrection, Channel: "letter", Lang: "ru", Subject: sid,
		Requester: client.Requester{FullName: "Ерлан", Representative: &client.Representative{FullName: "Айгерим", Authority: "power of attorney 12"}},
		Identity: client.Identity{FullName: "Айгерим", IIN: "900101300126",
			IDDocument: &client.IDDocument{Number: "045123456", Issued: "2019-05-14", Issuer: "МВД РК"}, Relationship: "appeal 2026/17", Signature: true},
		Text: "исправьте фамилию", Record: rid, Corrections: map[string]string{"full_name": "Ерлан Серикович"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != qid || got.State != client.RequestReceived || got.Due != nil || got.Warning == "" || !got.Representative || got.Content != nil {
		t.Errorf("got %+v", got)
	}
}

func TestSubmitRequestMinimal(t *testing.T) {
	c := fake(t, func(w http.ResponseWriter, r *http.Request) {
		// Only what was set is sent; the requester and the identity always.
		jsonEqual(t, body(t, r), `{"kind":"information","channel":"portal","requester":{"full_name":"Айгерим"},"identity":{}}`)
		problem(w, 422, "unknown-subject", "no such subject", "subject")
	})
	_, err := c.SubmitRequest(context.Background(), client.RequestIn{Kind: client.KindInformation, Channel: "portal", Requester: client.Requester{FullName: "Айгерим"}})
	var p *client.Problem
	if !errors.As(err, &p) || p.Code() != "unknown-subject" || p.Status != 422 || p.Field != "subject" {
		t.Errorf("err = %#v", err)
	}
}

func TestRequestsFilter(t *testing.T) {
	before := time.Date(2026, 3, 26, 18, 0, 0, 0, time.FixedZone("Astana", 5*3600))
	cases := []struct {
		f     client.RequestFilter
		query string
	}{
		{client.RequestFilter{}, ""},
		{client.RequestFilter{State: client.RequestVerifying}, "state=verifying"},
		{client.RequestFilter{Overdue: true, Assignee: "dpo", Limit: 50}, "assignee=dpo&limit=50&overdue=true"},
		{client.RequestFilter{DueBefore: before}, "due_before=2026-03-26T18%3A00%3A00%2B05%3A00"},
	}
	for _, tc := range cases {
		c := fake(t, func(w http.ResponseWriter, r *http.Request) {
			want(t, r, "GET", "/v1/requests")
			if r.URL.RawQuery != tc.query {
				t.Errorf("query %q, want %q", r.URL.RawQuery, tc.query)
			}
			if tc.query == "" {
				io.WriteString(w, `{"requests":null}`)
				return
			}
			io.WriteString(w, `{"requests":[`+requestJSON+`]}`)
		})
		got, err := c.Requests(context.Background(), tc.f)
		if err != nil {
			t.Fatal(err)
		}
		if tc.query == "" && (got == nil || len(got) != 0) {
			t.Errorf("no requests = %#v, want an empty list", got)
		}
		if tc.query != "" && (len(got) != 1 || got[0].ID != qid) {
			t.Errorf("got %+v", got)
		}
	}
	c := fake(t, func(w http.ResponseWriter, r *http.Request) {
		problem(w, 400, "invalid-parameter", "limit is between 1 and 1000", "limit")
	})
	if _, err := c.Requests(context.Background(), client.RequestFilter{Limit: 5000}); client.Code(err) != "invalid-parameter" {
		t.Errorf("err = %v", err)
	}
}

func TestRequest(t *testing.T) {
	c := fake(t, func(w http.ResponseWriter, r *http.Request) {
		want(t, r, "GET", "/v1/requests/"+qid)
		io.WriteString(w, requestJSON)
	})
	got, err := c.Request(context.Background(), qid)
	if err != nil {
		t.Fatal(err)
	}
	ct := got.Content
	if ct == nil || ct.Requester.Representative == nil || ct.Requester.Representative.FullName != "Айгерим" || ct.Identity.IDDocument == nil ||
		ct.Identity.IDDocument.Issuer != "МВД РК" || !ct.Identity.Signature || ct.Corrections["full_name"] != "Ерлан Серикович" || len(ct.Verified) != 3 {
		t.Errorf("content %+v", ct)
	}
	due := time.Date(2026, 3, 4, 18, 59, 59, 999999000, time.UTC)
	if got.Due == nil || !got.Due.Equal(due) || got.ClockStartedAt.IsZero() || got.Assignee != "dpo" || got.State != client.RequestInProgress {
		t.Errorf("got %+v", got)
	}
}

func TestRequestSteps(t *testing.T) {
	confirmed := time.Date(2026, 3, 3, 10, 0, 0, 0, time.UTC)
	fixed := "Ерлан Серикович"
	c := fake(t, func(w http.ResponseWriter, r *http.Request) {
		wantPurpose(t, r, "")
		if r.Method != "POST" {
			t.Errorf("method %s", r.Method)
		}
		b := body(t, r)
		switch r.URL.Path {
		case "/v1/requests/" + qid + "/verify":
			jsonEqual(t, b, `{"subject":"`+sid+`","checked":["full_name","id_document","signature"],"confirmed_at":"2026-03-03T10:00:00Z"}`)
		case "/v1/requests/" + qid + "/assign":
			jsonEqual(t, b, `{"assignee":"dpo"}`)
		case "/v1/requests/" + qid + "/fulfil":
			jsonEqual(t, b, `{"partly":true,"done":"surname corrected; patronymic kept","record":"`+rid+`","corrections":{"full_name":"Ерлан Серикович","phone":null}}`)
		case "/v1/requests/" + qid + "/refuse":
			jsonEqual(t, b, `{"reason":"not-confirmed","explanation":"no document shows the name"}`)
		default:
			t.Errorf("path %s", r.URL.Path)
		}
		io.WriteString(w, requestJSON)
	})
	ctx := context.Background()
	if _, err := c.VerifyRequest(ctx, qid, client.VerifyIn{Subject: sid, Checked: []string{client.RequisiteFullName, client.RequisiteIDDocument, client.RequisiteSignature},
		ConfirmedAt: &confirmed}); err != nil {
		t.Error(err)
	}
	if _, err := c.AssignRequest(ctx, qid, "dpo"); err != nil {
		t.Error(err)
	}
	if _, err := c.FulfilRequest(ctx, qid, client.FulfilIn{Partly: true, Done: "surname corrected; patronymic kept", Record: rid,
		Corrections: map[string]*string{"full_name": &fixed, "phone": nil}}); err != nil {
		t.Error(err)
	}
	if got, err := c.RefuseRequest(ctx, qid, client.RefusedNotConfirmed, "no document shows the name"); err != nil || got.ID != qid {
		t.Errorf("RefuseRequest = %+v, %v", got, err)
	}
}

func TestVerifyRequestAwaitAndEmpty(t *testing.T) {
	c := fake(t, func(w http.ResponseWriter, r *http.Request) {
		b := body(t, r)
		if b["await"] == true {
			jsonEqual(t, b, `{"checked":["full_name"],"await":true}`)
		} else {
			// checked is always sent, so that an empty check is explicit.
			jsonEqual(t, b, `{"checked":null}`)
		}
		io.WriteString(w, `{"id":"`+qid+`","kind":"information","state":"answered","outcome":"refused","refusal":"identity-incomplete",
			"channel":"letter","representative":false,"lang":"kk","received_at":"2026-03-02T04:00:00Z","clock_started_at":"2026-03-02T04:00:00Z",
			"overdue":false,"answered_at":"2026-03-02T05:00:00Z"}`)
	})
	ctx := context.Background()
	if _, err := c.VerifyRequest(ctx, qid, client.VerifyIn{Checked: []string{client.RequisiteFullName}, Await: true}); err != nil {
		t.Fatal(err)
	}
	got, err := c.VerifyRequest(ctx, qid, client.VerifyIn{})
	if err != nil || got.Outcome != client.OutcomeRefused || got.Refusal != client.RefusedIdentity || got.AnsweredAt == nil {
		t.Errorf("an automatic refusal = %+v, %v", got, err)
	}
}

func TestRequestStepProblems(t *testing.T) {
	c := fake(t, func(w http.ResponseWriter, r *http.Request) {
		switch {
		case strings.Contains(r.URL.EscapedPath(), "%2F"):
			if p := r.URL.EscapedPath(); p != "/v1/requests/..%2Fx/fulfil" {
				t.Errorf("path %q", p)
			}
			problem(w, 404, "not-found", "no such subject or record", "")
		case strings.HasSuffix(r.URL.Path, "/verify"):
			problem(w, 409, "request-not-verifiable", "the request is answered", "")
		case strings.HasSuffix(r.URL.Path, "/assign"):
			problem(w, 422, "invalid-value", "assignee is a staff id", "assignee")
		case strings.HasSuffix(r.URL.Path, "/fulfil"):
			problem(w, 409, "request-not-in-progress", "the request is received; verify it first", "")
		case strings.HasSuffix(r.URL.Path, "/refuse"):
			problem(w, 422, "invalid-reason", "reason is one of ...", "reason")
		case strings.HasSuffix(r.URL.Path, "/answer"):
			problem(w, 409, "not-answered", "the request has no answer yet", "")
		default:
			problem(w, 403, "action-not-allowed", `role "x" may not requests`, "")
		}
	})
	ctx := context.Background()
	for code, call := range map[string]func() error{
		"request-not-verifiable":  func() error { _, err := c.VerifyRequest(ctx, qid, client.VerifyIn{}); return err },
		"invalid-value":           func() error { _, err := c.AssignRequest(ctx, qid, "Ivan Petrov"); return err },
		"request-not-in-progress": func() error { _, err := c.FulfilRequest(ctx, qid, client.FulfilIn{}); return err },
		"invalid-reason":          func() error { _, err := c.RefuseRequest(ctx, qid, "busy", "x"); return err },
		"not-answered":            func() error { _, err := c.Answer(ctx, qid); return err },
		"action-not-allowed":      func() error { _, err := c.Request(ctx, qid); return err },
		"not-found":               func() error { _, err := c.FulfilRequest(ctx, "../x", client.FulfilIn{}); return err },
	} {
		err := call()
		var p *client.Problem
		if !errors.As(err, &p) || p.Code() != code {
			t.Errorf("%s: err = %v", code, err)
		}
	}
	if got, err := c.AnswerPDF(ctx, qid, "kk"); got != nil || client.Code(err) != "not-answered" {
		t.Errorf("AnswerPDF of an open request = %q, %v", got, err)
	}
}

func TestAnswer(t *testing.T) {
	c := fake(t, func(w http.ResponseWriter, r *http.Request) {
		want(t, r, "GET", "/v1/requests/"+qid+"/answer")
		if f := r.URL.Query().Get("format"); f != "json" {
			t.Errorf("format = %q", f)
		}
		if acc := r.Header.Get("Accept"); !strings.HasPrefix(acc, "application/json") {
			t.Errorf("Accept = %q", acc)
		}
		io.WriteString(w, `{"schema":"derbes-answer/1","request_id":"`+qid+`","kind":"information","outcome":"fulfilled","lang":"kk",
			"received_at":"2026-03-02T04:00:00Z","due_at":"2026-03-10T18:59:59.999999Z","answered_at":"2026-03-05T09:00:00Z",
			"operator":{"name":{"kk":"ЖШС","ru":"ТОО","en":"LLP"},"bin":"040540123456","responsible_person":"R P","contact":"dpo@example.kz"},
			"addressee":"Айгерим","representative":"Ерлан",
			"held":[{"record":"identifiers","purpose":{"id":"","title":{"kk":"","ru":"","en":""}},"ground":{"id":"","title":{"kk":"","ru":"","en":""}},
				"channel":{"id":"","title":{"kk":"","ru":"","en":""}},"collected_at":"2026-03-01T10:00:00Z","state":"active",
				"data":[{"id":"iin","title":{"kk":"ЖСН","ru":"ИИН","en":"IIN"},"value":"900101300126"}],"retention":"as long as any record is kept"},
				{"record":"`+rid+`","purpose":{"id":"appeals","title":{"kk":"Өтініштер","ru":"Обращения","en":"Appeals"}},
				"ground":{"id":"consent","title":{"kk":"Келісім","ru":"Согласие","en":"Consent"}},"channel":{"id":"call","title":{"kk":"","ru":"","en":"Call"}},
				"collected_at":"2026-03-01T10:00:00Z","state":"blocked","data":[{"id":"full_name","title":{"kk":"","ru":"","en":"Full name"}}],
				"recipients":[{"id":"akimat","title":{"kk":"","ru":"","en":"Akimat"}}],"retention":"5y from collection, then destroy"}],
			"transfers":[{"recipient":{"id":"akimat","title":{"kk":"","ru":"","en":"Akimat"}},"purpose":{"id":"appeals","title":{"kk":"","ru":"","en":"Appeals"}},
				"ground":{"id":"consent","title":{"kk":"","ru":"","en":"Consent"}},"data":[{"id":"full_name","title":{"kk":"","ru":"","en":"Full name"}}],
				"country":"KZ","at":"2026-03-03T10:00:00Z"}]}`)
	})
	l, err := c.Answer(context.Background(), qid)
	if err != nil {
		t.Fatal(err)
	}
	if l.Schema != "derbes-answer/1" || l.Addressee != "Айгерим" || l.Representative != "Ерлан" || l.Operator.Name.EN != "LLP" || len(l.Held) != 2 ||
		l.Held[0].Data[0].Value != "900101300126" || l.Held[1].State != client.StateBlocked || l.Held[1].Recipients[0].ID != "akimat" ||
		l.Held[1].Data[0].Title.EN != "Full name" || len(l.Transfers) != 1 || l.Transfers[0].Fields[0].ID != "full_name" || l.Transfers[0].Country != "KZ" {
		t.Errorf("letter %+v", l)
	}
}

func TestAnswerPDF(t *testing.T) {
	pdf := []byte("%PDF-1.3\n\xe2\xe3\xcf\xd3 binary \x00\x01\n%%EOF\n")
	c := fake(t, func(w http.ResponseWriter, r *http.Request) {
		want(t, r, "GET", "/v1/requests/"+qid+"/answer")
		if acc := r.Header.Get("Accept"); !strings.HasPrefix(acc, "application/pdf") {
			t.Errorf("Accept = %q", acc)
		}
		q := r.URL.Query()
		if q.Get("format") != "pdf" {
			t.Errorf("format = %q", q.Get("format"))
		}
		switch q.Get("lang") {
		case "":
			if q.Has("lang") {
				t.Errorf("an empty lang is sent: %q", r.URL.RawQuery)
			}
			w.Header().Set("Content-Type", "application/pdf")
			w.Write(pdf)
		case "ru":
			w.Header().Set("Content-Type", "application/pdf")
			w.Header().Set("Content-Disposition", `inline; filename="answer-`+qid+`-ru.pdf"`)
			w.Write(pdf)
		case "en":
			answer(w, 200, map[string]string{"schema": "derbes-answer/1"})
		case "de":
			problem(w, 400, "invalid-parameter", "lang is kk, ru or en", "lang")
		}
	})
	ctx := context.Background()
	for _, lang := range []string{"", "ru"} {
		if got, err := c.AnswerPDF(ctx, qid, lang); err != nil || !bytes.Equal(got, pdf) {
			t.Errorf("AnswerPDF(%q) = %q, %v", lang, got, err)
		}
	}
	var p *client.Problem
	if got, err := c.AnswerPDF(ctx, qid, "en"); got != nil || err == nil || errors.As(err, &p) || !strings.Contains(err.Error(), "not a PDF") {
		t.Errorf("a JSON answer to a PDF request = %q, %v", got, err)
	}
	if got, err := c.AnswerPDF(ctx, qid, "de"); got != nil || !errors.As(err, &p) || p.Code() != "invalid-parameter" || p.Field != "lang" {
		t.Errorf("a problem answer to a PDF request = %q, %v", got, err)
	}
}
