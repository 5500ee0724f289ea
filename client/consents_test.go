package client_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/derbes/derbes/client"
)

const (
	cid = "0190c9a4-6f1e-7c3a-9b2d-5e8f1a2b3c50"
	eid = "0190c9a4-6f1e-7c3a-9b2d-5e8f1a2b3c51"
)

func wantPurpose(t *testing.T, r *http.Request, purpose string) {
	t.Helper()
	if p := r.Header.Get("X-Purpose"); p != purpose {
		t.Errorf("X-Purpose = %q, want %q", p, purpose)
	}
}

func TestCreateSubjectWithConsent(t *testing.T) {
	c := fake(t, func(w http.ResponseWriter, r *http.Request) {
		want(t, r, "POST", "/v1/subjects")
		wantPurpose(t, r, "")
		jsonEqual(t, body(t, r), `{"category":"applicant","purpose":"appeals","identifiers":{"iin":"900101300126"},
			"consent":{"subject_name":"Айгерим","purposes":["appeals"],"fields":["iin","full_name"],
				"third_party_transfer":true,"cross_border_transfer":false,"publication":false,"notify_of_transfers":false,"account_bound":false,
				"form":{"kind":"other","reference":"109 call recording"}},
			"record":{"channel":"call-109","ground":"consent","fields":{"full_name":"Айгерим"}}}`)
		answer(w, http.StatusCreated, map[string]string{"subject": sid, "record": rid, "consent": cid})
	})
	got, err := c.CreateSubject(context.Background(), client.SubjectIn{
		Category: "applicant", Purpose: "appeals", Identifiers: map[string]string{"iin": "900101300126"},
		Consent: &client.ConsentIn{SubjectName: "Айгерим", Purposes: []string{"appeals"}, Fields: []string{"iin", "full_name"}, ThirdParty: true,
			Form: client.ConsentForm{Kind: client.FormOther, Reference: "109 call recording"}},
		Record: &client.RecordIn{Channel: "call-109", Ground: "consent", Fields: map[string]string{"full_name": "Айгерим"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if got != (client.Created{Subject: sid, Record: rid, Consent: cid}) {
		t.Errorf("got %+v", got)
	}
}

func TestAddRecordNamesConsent(t *testing.T) {
	c := fake(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.Method {
		case "POST":
			jsonEqual(t, body(t, r), `{"purpose":"appeals","channel":"call-109","consent":"`+cid+`","fields":{"appeal_text":"x"}}`)
			answer(w, 201, map[string]string{"subject": sid, "record": rid})
		case "GET":
			io.WriteString(w, `{"id":"`+rid+`","subject":"`+sid+`","purpose":"appeals","channel":"call-109","ground":"consent","consent":"`+cid+`",
				"state":"active","fields":{"appeal_text":"x"},"policy_version":1,"created_at":"2026-03-01T10:00:00Z","updated_at":"2026-03-01T10:00:00Z"}`)
		}
	})
	ctx := context.Background()
	if _, err := c.AddRecord(ctx, sid, client.RecordIn{Purpose: "appeals", Channel: "call-109", Consent: cid, Fields: map[string]string{"appeal_text": "x"}}); err != nil {
		t.Fatal(err)
	}
	rec, err := c.Record(ctx, rid, "appeals")
	if err != nil {
		t.Fatal(err)
	}
	if rec.Consent != cid || rec.Ground != "consent" {
		t.Errorf("got %+v", rec)
	}
}

func TestGiveConsent(t *testing.T) {
	c := fake(t, func(w http.ResponseWriter, r *http.Request) {
		want(t, r, "POST", "/v1/subjects/"+sid+"/consents")
		wantPurpose(t, r, "") // the purposes are in the body
		jsonEqual(t, body(t, r), `{"subject_name":"Ерлан","representative":{"full_name":"Айгерим","authority":"birth certificate I-АЛ 0123456"},
			"purposes":["appeals","consultation"],"fields":["full_name","appeal_text"],"until":"2027-12-31",
			"third_party_transfer":false,"cross_border_transfer":false,"publication":false,"notify_of_transfers":true,"account_bound":true,
			"other_conditions":"by phone only",
			"form":{"kind":"written","reference":"form 2026/115","document_sha256":"`+strings.Repeat("ab", 32)+`"}}`)
		w.Header().Set("Location", "/v1/consents/"+cid+"/receipt")
		answer(w, http.StatusCreated, map[string]string{"consent": cid})
	})
	id, err := c.GiveConsent(context.Background(), sid, client.ConsentIn{
		SubjectName:    "Ерлан",
		Representative: &client.Representative{FullName: "Айгерим", Authority: "birth certificate I-АЛ 0123456"},
		Purposes:       []string{"appeals", "consultation"}, Fields: []string{"full_name", "appeal_text"}, Until: "2027-12-31",
		NotifyTransfers: true, AccountBound: true, OtherConditions: "by phone only",
		Form: client.ConsentForm{Kind: client.FormWritten, Reference: "form 2026/115", DocumentSHA256: strings.Repeat("ab", 32)},
	})
	if err != nil || id != cid {
		t.Errorf("GiveConsent = %q, %v", id, err)
	}
}

func TestGiveConsentProblem(t *testing.T) {
	c := fake(t, func(w http.ResponseWriter, r *http.Request) {
		problem(w, 422, "evidence-required", "a written consent needs the document's reference and its SHA-256", "form")
	})
	id, err := c.GiveConsent(context.Background(), sid, client.ConsentIn{SubjectName: "A", Purposes: []string{"appeals"}, Fields: []string{"full_name"},
		Form: client.ConsentForm{Kind: client.FormWritten}})
	var p *client.Problem
	if id != "" || !errors.As(err, &p) || p.Code() != "evidence-required" || p.Status != 422 || p.Field != "form" {
		t.Errorf("GiveConsent = %q, %#v", id, err)
	}
}

const consentJSON = `{"id":"` + cid + `","subject":"` + sid + `","state":"withdrawn","live":false,
	"purposes":["appeals"],"fields":["full_name","appeal_text"],"until":"2027-12-31T23:59:59.999999Z",
	"third_party_transfer":true,"cross_border_transfer":false,"publication":false,"notify_of_transfers":true,"account_bound":true,
	"form":"website","policy_version":2,"given_at":"2026-03-01T10:00:00Z","ended_at":"2026-03-02T10:00:00Z",
	"content":{"subject_name":"Айгерим","page":"https://109.kz/appeal","client_ip_hash":"0a1b"},
	"events":[{"id":"` + rid + `","kind":"given","at":"2026-03-01T10:00:00Z","actor":"apikey:0123456789ab"},
		{"id":"` + eid + `","kind":"withdrawn","at":"2026-03-02T10:00:00Z","actor":"apikey:0123456789ab","reason":"subject-request","due":"2026-03-27T18:59:59.999999Z"}]}`

func TestConsents(t *testing.T) {
	empty := false
	c := fake(t, func(w http.ResponseWriter, r *http.Request) {
		want(t, r, "GET", "/v1/subjects/"+sid+"/consents")
		wantPurpose(t, r, "appeals")
		if r.ContentLength > 0 {
			t.Error("a body was sent")
		}
		if empty {
			io.WriteString(w, `{"consents":[]}`)
			return
		}
		io.WriteString(w, `{"consents":[`+consentJSON+`]}`)
	})
	ctx := context.Background()
	cs, err := c.Consents(ctx, sid, "appeals")
	if err != nil {
		t.Fatal(err)
	}
	if len(cs) != 1 {
		t.Fatalf("got %d consents", len(cs))
	}
	x := cs[0]
	due := time.Date(2026, 3, 27, 18, 59, 59, 999999000, time.UTC)
	switch {
	case x.ID != cid || x.State != client.ConsentWithdrawn || x.Live || !x.AccountBound || !x.ThirdParty || x.Form != client.FormWebsite || x.PolicyVersion != 2:
		t.Errorf("consent = %+v", x)
	case x.Until == nil || x.Until.Year() != 2027 || x.EndedAt == nil || !slices.Equal(x.Fields, []string{"full_name", "appeal_text"}):
		t.Errorf("term, end or fields: %+v", x)
	case x.Content.SubjectName != "Айгерим" || x.Content.Page != "https://109.kz/appeal" || x.Content.ClientIPHash != "0a1b":
		t.Errorf("content = %+v", x.Content)
	case len(x.Events) != 2 || x.Events[0].Kind != client.EventGiven || x.Events[1].Kind != client.EventWithdrawn ||
		x.Events[1].Due == nil || !x.Events[1].Due.Equal(due) || x.Events[1].Reason != "subject-request":
		t.Errorf("events = %+v", x.Events)
	}
	empty = true
	cs, err = c.Consents(ctx, sid, "appeals")
	if err != nil || cs == nil || len(cs) != 0 {
		t.Errorf("Consents = %v, %v; want an empty list", cs, err)
	}
}

func TestWithdrawConsent(t *testing.T) {
	c := fake(t, func(w http.ResponseWriter, r *http.Request) {
		want(t, r, "POST", "/v1/consents/"+cid+"/withdraw")
		wantPurpose(t, r, "") // the purpose is in the body
		b := body(t, r)
		if _, ok := b["reason"]; ok {
			jsonEqual(t, b, `{"purpose":"appeals","reason":"account-closed"}`)
		} else {
			jsonEqual(t, b, `{"purpose":"appeals"}`)
		}
		io.WriteString(w, `{"event":"`+eid+`","kind":"withdrawn","due":"2026-03-27T23:59:59.999999999+05:00","queued_for_destruction":["`+rid+`"]}`)
	})
	ctx := context.Background()
	res, err := c.WithdrawConsent(ctx, cid, "appeals", "")
	if err != nil {
		t.Fatal(err)
	}
	due := time.Date(2026, 3, 27, 18, 59, 59, 999999999, time.UTC)
	if res.Event != eid || res.Kind != client.EventWithdrawn || res.Due == nil || !res.Due.Equal(due) || !slices.Equal(res.Queued, []string{rid}) {
		t.Errorf("result = %+v", res)
	}
	if _, err := c.WithdrawConsent(ctx, cid, "appeals", "account-closed"); err != nil {
		t.Fatal(err)
	}
}

func TestRefuseWithdrawal(t *testing.T) {
	c := fake(t, func(w http.ResponseWriter, r *http.Request) {
		want(t, r, "POST", "/v1/consents/"+cid+"/withdraw")
		jsonEqual(t, body(t, r), `{"purpose":"appeals","refusal":{"reason":"obligation-unfulfilled","basis":"the appeal is being resolved"}}`)
		io.WriteString(w, `{"event":"`+eid+`","kind":"withdrawal-refused"}`)
	})
	res, err := c.RefuseWithdrawal(context.Background(), cid, "appeals", client.RefusalObligationUnfulfilled, "the appeal is being resolved")
	if err != nil {
		t.Fatal(err)
	}
	if res.Kind != client.EventWithdrawalRefused || res.Due != nil || res.Queued != nil {
		t.Errorf("result = %+v", res)
	}
}

func TestWithdrawProblems(t *testing.T) {
	c := fake(t, func(w http.ResponseWriter, r *http.Request) {
		b := body(t, r)
		switch {
		case b["refusal"] != nil:
			problem(w, 422, "basis-required", "a refusal states its basis", "refusal.basis")
		default:
			problem(w, 409, "consent-not-in-force", "the consent is already withdrawn", "")
		}
	})
	ctx := context.Background()
	res, err := c.WithdrawConsent(ctx, cid, "appeals", "")
	var p *client.Problem
	if res != nil || !errors.As(err, &p) || p.Status != 409 || p.Code() != "consent-not-in-force" {
		t.Errorf("WithdrawConsent = %+v, %v", res, err)
	}
	res, err = c.RefuseWithdrawal(ctx, cid, "appeals", client.RefusalContradictsLaw, "")
	if res != nil || client.Code(err) != "basis-required" || !errors.As(err, &p) || p.Field != "refusal.basis" {
		t.Errorf("RefuseWithdrawal = %+v, %v", res, err)
	}
}

func TestAccountDeleted(t *testing.T) {
	none := false
	c := fake(t, func(w http.ResponseWriter, r *http.Request) {
		want(t, r, "POST", "/v1/subjects/"+sid+"/account-deleted")
		wantPurpose(t, r, "")
		jsonEqual(t, body(t, r), `{"purpose":"appeals"}`)
		if none {
			io.WriteString(w, `{"withdrawn":[]}`)
			return
		}
		io.WriteString(w, `{"withdrawn":[{"event":"`+eid+`","kind":"withdrawn","due":"2027-03-29T23:59:59.999999999+05:00",
			"warning":"the deadline was counted on a calendar year not yet confirmed by the yearly order"}]}`)
	})
	ctx := context.Background()
	out, err := c.AccountDeleted(ctx, sid, "appeals")
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != 1 || out[0].Event != eid || out[0].Due == nil || out[0].Queued != nil || !strings.Contains(out[0].Warning, "not yet confirmed") {
		t.Errorf("AccountDeleted = %+v", out)
	}
	none = true
	out, err = c.AccountDeleted(ctx, sid, "appeals")
	if err != nil || out == nil || len(out) != 0 {
		t.Errorf("AccountDeleted = %v, %v; want an empty list", out, err)
	}
}

const receiptJSON = `{"schema":"derbes-consent-receipt/1","receipt_id":"` + eid + `","consent_id":"` + cid + `","event":"withdrawn",
	"event_time":"2026-03-02T10:00:00Z",
	"controller":{"name":{"kk":"«109» орталығы","ru":"Центр «109»","en":"Centre 109"},"bin":"123456789012","responsible_person":"Д. Ахметов","contact":"dpo@109.kz"},
	"subject":{"id":"` + sid + `","full_name":"Ерлан","representative":"Айгерим","representative_authority":"birth certificate"},
	"purposes":[{"id":"appeals","title":{"kk":"Өтініштер","ru":"Обращения","en":"Appeals"}}],
	"data":[{"id":"full_name","title":{"kk":"Аты-жөні","ru":"ФИО","en":"Full name"}}],
	"third_party_transfer":true,"cross_border_transfer":false,"publication":false,"notify_of_transfers":false,
	"form":{"kind":"other","reference":"109 call recording","at":"2026-03-01T10:00:00Z"},
	"notice":{"policy_version":2,"policy_label":"2026-1"},
	"withdrawal":{"due":"2026-03-27T18:59:59.999999Z","reason":"subject-request"}}`

func TestReceipt(t *testing.T) {
	c := fake(t, func(w http.ResponseWriter, r *http.Request) {
		want(t, r, "GET", "/v1/consents/"+cid+"/receipt")
		wantPurpose(t, r, "appeals")
		q := r.URL.Query()
		if q.Get("format") != "json" || q.Has("lang") {
			t.Errorf("query = %q", r.URL.RawQuery)
		}
		if ev := q.Get("event"); ev != "" && ev != rid {
			t.Errorf("event = %q", ev)
		}
		if strings.Contains(r.Header.Get("Accept"), "application/pdf") {
			t.Errorf("Accept = %q", r.Header.Get("Accept"))
		}
		io.WriteString(w, receiptJSON)
	})
	ctx := context.Background()
	rec, err := c.Receipt(ctx, cid, "appeals")
	if err != nil {
		t.Fatal(err)
	}
	switch {
	case rec.Schema != "derbes-consent-receipt/1" || rec.ReceiptID != eid || rec.ConsentID != cid || rec.Event != client.EventWithdrawn:
		t.Errorf("receipt = %+v", rec)
	case rec.Operator.Name.RU != "Центр «109»" || rec.Operator.BIN != "123456789012" || rec.Operator.Responsible != "Д. Ахметов":
		t.Errorf("controller = %+v", rec.Operator)
	case rec.Subject.Representative != "Айгерим" || rec.Subject.Authority != "birth certificate":
		t.Errorf("subject = %+v", rec.Subject)
	case len(rec.Purposes) != 1 || rec.Purposes[0].Title.KK != "Өтініштер" || len(rec.Data) != 1 || rec.Data[0].Title.EN != "Full name":
		t.Errorf("purposes, data = %+v, %+v", rec.Purposes, rec.Data)
	case !rec.ThirdPartyTransfer || rec.Form.Kind != client.FormOther || rec.Notice.PolicyVersion != 2:
		t.Errorf("receipt = %+v", rec)
	case rec.Withdrawal == nil || rec.Withdrawal.Due == nil || rec.Withdrawal.Reason != "subject-request":
		t.Errorf("withdrawal = %+v", rec.Withdrawal)
	}
	if _, err := c.EventReceipt(ctx, cid, rid, "appeals"); err != nil {
		t.Fatal(err)
	}
}

func TestReceiptPDF(t *testing.T) {
	pdf := []byte("%PDF-1.3\n\xe2\xe3\xcf\xd3 binary \x00\x01\n%%EOF\n")
	c := fake(t, func(w http.ResponseWriter, r *http.Request) {
		want(t, r, "GET", "/v1/consents/"+cid+"/receipt")
		wantPurpose(t, r, "appeals")
		if acc := r.Header.Get("Accept"); !strings.HasPrefix(acc, "application/pdf") || strings.Contains(acc, "application/json,") {
			t.Errorf("Accept = %q", acc)
		}
		q := r.URL.Query()
		if q.Get("format") != "pdf" {
			t.Errorf("format = %q", q.Get("format"))
		}
		switch q.Get("lang") {
		case "ru":
			if q.Get("event") != eid {
				t.Errorf("event = %q", q.Get("event"))
			}
			w.Header().Set("Content-Type", "application/pdf")
			w.Header().Set("Content-Disposition", `inline; filename="consent-`+cid+`-ru.pdf"`)
			w.Write(pdf)
		case "":
			if q.Has("lang") || q.Has("event") {
				t.Errorf("query = %q", r.URL.RawQuery)
			}
			w.Header().Set("Content-Type", "application/pdf")
			w.Write(pdf)
		case "en":
			// Something that is not a PDF, with a success status.
			answer(w, 200, map[string]string{"schema": "derbes-consent-receipt/1"})
		case "de":
			problem(w, 400, "invalid-parameter", "lang is kk, ru or en", "lang")
		}
	})
	ctx := context.Background()
	got, err := c.EventReceiptPDF(ctx, cid, eid, "appeals", "ru")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, pdf) {
		t.Errorf("PDF bytes = %q", got)
	}
	if got, err := c.ReceiptPDF(ctx, cid, "appeals", ""); err != nil || !bytes.Equal(got, pdf) {
		t.Errorf("ReceiptPDF without lang = %q, %v", got, err)
	}
	got, err = c.ReceiptPDF(ctx, cid, "appeals", "en")
	var p *client.Problem
	if got != nil || err == nil || errors.As(err, &p) || !strings.Contains(err.Error(), "not a PDF") {
		t.Errorf("a JSON answer to a PDF request = %q, %v", got, err)
	}
	got, err = c.ReceiptPDF(ctx, cid, "appeals", "de")
	if got != nil || !errors.As(err, &p) || p.Code() != "invalid-parameter" || p.Field != "lang" || p.Status != 400 {
		t.Errorf("a problem answer to a PDF request = %q, %v", got, err)
	}
}

func TestConsentProblems(t *testing.T) {
	c := fake(t, func(w http.ResponseWriter, r *http.Request) {
		switch {
		case strings.Contains(r.URL.EscapedPath(), "%2F"):
			if p := r.URL.EscapedPath(); p != "/v1/consents/..%2Fx/receipt" && p != "/v1/subjects/a%2Fb/account-deleted" {
				t.Errorf("path %q", p)
			}
			problem(w, 404, "not-found", "no such subject or record", "")
		case strings.HasSuffix(r.URL.Path, "/receipt"):
			problem(w, 410, "destroyed", "the data was destroyed", "")
		case strings.HasSuffix(r.URL.Path, "/consents"):
			problem(w, 403, "purpose-not-allowed", `role "x" does not serve purpose "appeals"`, "")
		case strings.HasPrefix(r.URL.Path, "/v1/records/"):
			problem(w, 409, "ground-withdrawn", "the consent this record rests on was withdrawn; it may no longer be processed", "")
		default:
			problem(w, 404, "not-found", "no such subject or record", "")
		}
	})
	ctx := context.Background()
	for name, call := range map[string]func() error{
		"destroyed":           func() error { _, err := c.Receipt(ctx, cid, "appeals"); return err },
		"purpose-not-allowed": func() error { _, err := c.Consents(ctx, sid, "appeals"); return err },
		"ground-withdrawn":    func() error { _, err := c.Record(ctx, rid, "appeals"); return err },
		"not-found":           func() error { _, err := c.AccountDeleted(ctx, "a/b", "appeals"); return err },
	} {
		if err := call(); client.Code(err) != name {
			t.Errorf("%s: err = %v", name, err)
		}
	}
	// The PDF's path escapes the id like the others.
	if _, err := c.ReceiptPDF(ctx, "../x", "appeals", "kk"); client.Code(err) != "not-found" {
		t.Errorf("ReceiptPDF of a strange id: %v", err)
	}
}
