package notify_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/derbes/derbes/notify"
)

// A receiver of derbes webhooks (an SMS gateway adapter, say) checks the
// signature over the body exactly as it arrived before trusting anything in
// it.
func ExampleVerifyWebhook() {
	secret := []byte("a-secret-shared-with-derbes-32by")
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err != nil {
			http.Error(w, "cannot read", http.StatusBadRequest)
			return
		}
		sig := r.Header.Get(notify.SignatureHeader)
		if err := notify.VerifyWebhook(secret, sig, body, time.Now(), 5*time.Minute); err != nil {
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		var m struct{ Kind, Ref, To, Lang, Subject, Body string }
		if err := json.Unmarshal(body, &m); err != nil {
			http.Error(w, "bad JSON", http.StatusBadRequest)
			return
		}
		fmt.Println("verified", m.Kind, m.Ref, "in", m.Lang)
		w.WriteHeader(http.StatusAccepted)
	}))
	defer receiver.Close()

	n, err := notify.NewWebhook(receiver.URL, secret, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	err = n.Notify(context.Background(), notify.Message{
		Kind: "transfer-notice", Ref: "T-2025-0001", To: "+77011234567", Lang: "kk",
		Subject: "Дербес деректер", Body: "Сіздің деректеріңіз берілді.",
	})
	fmt.Println("error:", err)
	// Output:
	// verified transfer-notice T-2025-0001 in kk
	// error: <nil>
}

// FromURL reads a notifier from a configuration string; Route sends each
// message by the shape of its To.
func ExampleRoute() {
	email, err := notify.FromURL("smtp://mail.example.kz:587?from=dpo@example.kz&starttls=always", nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	sms, err := notify.FromURL("webhook+https://sms.example.kz/send?secret=at-least-sixteen-bytes", nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	n := notify.Route(email, sms, nil)
	err = n.Notify(context.Background(), notify.Message{Kind: "incident-alert", Ref: "INC-7"})
	fmt.Println(err)
	// Output:
	// notify: no notifier for this channel (webhook, ref "INC-7")
}
