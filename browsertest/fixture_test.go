package browsertest

import (
	"context"
	"encoding/base32"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/derbes/derbes/access"
	"github.com/derbes/derbes/consent"
	"github.com/derbes/derbes/notify"
	"github.com/derbes/derbes/request"
	"github.com/derbes/derbes/vault"
)

// The invented people of the paths: a resident with her appeal, the
// centre's responsible person (with a second factor) and an operator.
const (
	residentIIN   = "950312405675"
	residentPhone = "+77011234567"
	residentName  = "Айгерім Нұрланқызы"
	residentAddr  = "Астана, Сарыарқа ауданы"
	residentText  = "Подъездте жарық жоқ"
	staffPassword = "correct horse battery staple"
)

// outbox is the notifier of the browser tests: it keeps what derbes sends
// (the portal's one-time codes) and shows it to the path scripts on a
// separate test-only server, as a resident would read it on her phone.
type outbox struct {
	mu   sync.Mutex
	sent []notify.Message
}

func (o *outbox) Notify(_ context.Context, m notify.Message) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.sent = append(o.sent, m)
	return nil
}

// serveHTTP answers GET /?to=ADDRESS with the newest message to ADDRESS.
func (o *outbox) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	o.mu.Lock()
	defer o.mu.Unlock()
	to := r.URL.Query().Get("to")
	for i := len(o.sent) - 1; i >= 0; i-- {
		if o.sent[i].To == to {
			json.NewEncoder(w).Encode(map[string]string{"subject": o.sent[i].Subject, "body": o.sent[i].Body})
			return
		}
	}
	http.NotFound(w, r)
}

// people creates the fixture's people and an overdue request, and tells
// the scripts who they are.
func (s *site) people(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	app := vault.Actor{ID: "apikey:browsertest", Role: "integration"}
	sid, err := s.vault.CreateSubject(ctx, app, vault.NewSubject{
		Category: "applicant", Purpose: "appeals",
		Identifiers: map[string]string{"iin": residentIIN, "phone": residentPhone},
		Consent: &consent.Request{SubjectName: residentName, Purposes: []string{"appeals"}, ThirdParty: true,
			Fields: []string{"iin", "full_name", "phone", "address", "appeal_text"},
			Form:   consent.Form{Kind: consent.FormOther, Reference: "109 call recording"}},
		Record: &vault.NewRecord{Channel: "call-109", Ground: "consent", Fields: map[string]string{
			"full_name": residentName, "address": residentAddr, "appeal_text": residentText}},
	})
	if err != nil {
		t.Fatal(err)
	}
	// Her request for information came by letter two weeks ago and was
	// never answered: the console must show it overdue.
	req, err := s.vault.SubmitRequest(ctx, app, vault.NewRequest{Kind: request.Information, Channel: "letter", Lang: "ru", Subject: sid.Subject,
		Content: request.Content{Requester: request.Requester{FullName: residentName},
			Identity: request.Identity{FullName: residentName, IIN: residentIIN, Signature: true,
				IDDocument: &request.IDDocument{Number: "049213456", Issued: "2019-05-14", Issuer: "ҚР ІІМ"}}}})
	if err != nil {
		t.Fatal(err)
	}
	past := time.Now().AddDate(0, 0, -14).UnixMicro()
	s.exec(t, "UPDATE requests SET received_at = ?, clock_at = ?, due_at = ? WHERE id = ?", past, past, past+int64(5*24*time.Hour/time.Microsecond), req.ID)

	staff := access.NewStaff(s.store, s.ring, nil)
	resp, err := staff.Create(ctx, "browsertest", access.NewAccount{Login: "aliya", Name: "Әлия Серікова", Role: "responsible", Password: staffPassword, TOTP: true})
	if err != nil {
		t.Fatal(err)
	}
	secret, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(resp.TOTPSecret)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := staff.Create(ctx, "browsertest", access.NewAccount{Login: "operator1", Name: "Дамир Operator", Role: "call-operator", Password: staffPassword}); err != nil {
		t.Fatal(err)
	}
	s.fixture["resident"] = map[string]string{"iin": residentIIN, "phone": residentPhone, "name": residentName, "subject": sid.Subject}
	s.fixture["request"] = req.ID
	s.fixture["responsible"] = map[string]string{"login": "aliya", "password": staffPassword, "totp_secret_hex": hex.EncodeToString(secret)}
	s.fixture["operator"] = map[string]string{"login": "operator1", "password": staffPassword}
	ob := httptest.NewServer(s.outbox)
	t.Cleanup(ob.Close)
	s.fixture["outbox"] = ob.URL
}
