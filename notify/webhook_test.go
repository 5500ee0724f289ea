package notify_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/derbes/derbes/notify"
)

var testSecret = []byte("whsec-derbes-test-0123456789abcdef")

// request is what a webhook receiver saw.
type request struct {
	method, contentType, signature, secretParam string
	body                                        []byte
}

type webhookBundle struct {
	srv      *httptest.Server
	requests chan request
	n        notify.Notifier
}

// setupWebhook starts a receiver that answers status and records each
// request.
func setupWebhook(t *testing.T, status int) *webhookBundle {
	t.Helper()
	b := &webhookBundle{requests: make(chan request, 10)}
	b.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			t.Errorf("reading the request: %v", err)
		}
		b.requests <- request{
			method: r.Method, contentType: r.Header.Get("Content-Type"),
			signature: r.Header.Get(notify.SignatureHeader), secretParam: r.URL.Query().Get("secret"),
			body: body,
		}
		w.WriteHeader(status)
		// An answer that echoes the request, as some gateways do.
		_, _ = w.Write(body)
	}))
	t.Cleanup(b.srv.Close)
	n, err := notify.NewWebhook(b.srv.URL+"/hook", testSecret, b.srv.Client())
	if err != nil {
		t.Fatal(err)
	}
	b.n = n
	return b
}

// sign computes the documented signature independently of the package.
func sign(secret []byte, t int64, body []byte) string {
	mac := hmac.New(sha256.New, secret)
	fmt.Fprintf(mac, "%d.%s", t, body)
	return fmt.Sprintf("t=%d,v1=%s", t, hex.EncodeToString(mac.Sum(nil)))
}

func TestWebhook(t *testing.T) {
	t.Parallel()

	t.Run("the receiver verifies the signature and gets exactly the message's fields", func(t *testing.T) {
		t.Parallel()

		b := setupWebhook(t, http.StatusNoContent)
		m := kazakhMessages()[1]
		before := time.Now().Add(-time.Second)
		if err := b.n.Notify(context.Background(), m); err != nil {
			t.Fatal(err)
		}
		r := <-b.requests
		if r.method != http.MethodPost || r.contentType != "application/json" {
			t.Errorf("got %s with Content-Type %q, want POST application/json", r.method, r.contentType)
		}
		if err := notify.VerifyWebhook(testSecret, r.signature, r.body, time.Now(), time.Minute); err != nil {
			t.Fatalf("VerifyWebhook: %v (header %q)", err, r.signature)
		}
		var got map[string]string
		if err := json.Unmarshal(r.body, &got); err != nil {
			t.Fatal(err)
		}
		sentAt, err := time.Parse(time.RFC3339, got["sent_at"])
		if err != nil || sentAt.Before(before.Truncate(time.Second)) || sentAt.After(time.Now()) {
			t.Errorf("sent_at = %q (%v), want about now", got["sent_at"], err)
		}
		delete(got, "sent_at")
		want := map[string]string{
			"kind": m.Kind, "ref": m.Ref, "to": m.To, "lang": m.Lang, "subject": m.Subject, "body": m.Body,
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("body fields\n got %v\nwant %v", got, want)
		}
	})

	t.Run("a tampered body, another secret, an old or a future timestamp fail verification", func(t *testing.T) {
		t.Parallel()

		b := setupWebhook(t, http.StatusOK)
		if err := b.n.Notify(context.Background(), kazakhMessages()[0]); err != nil {
			t.Fatal(err)
		}
		r := <-b.requests
		now := time.Now()
		tampered := []byte(strings.Replace(string(r.body), "Әлия", "Ғалым", 1))
		if string(tampered) == string(r.body) {
			t.Fatal("the body was not tampered with")
		}
		old := now.Add(-10 * time.Minute).Unix()
		cases := []struct {
			name    string
			secret  []byte
			header  string
			body    []byte
			now     time.Time
			wantErr error
		}{
			{"tampered body", testSecret, r.signature, tampered, now, notify.ErrSignatureMismatch},
			{"other secret", []byte("another-secret-of-enough-length"), r.signature, r.body, now, notify.ErrSignatureMismatch},
			{"old timestamp, correctly signed", testSecret, sign(testSecret, old, r.body), r.body, now, notify.ErrSignatureExpired},
			{"the real request checked 10 minutes later", testSecret, r.signature, r.body, now.Add(10 * time.Minute), notify.ErrSignatureExpired},
			{"the real request checked 10 minutes earlier", testSecret, r.signature, r.body, now.Add(-10 * time.Minute), notify.ErrSignatureExpired},
			{"timestamp changed without re-signing", testSecret, strings.Replace(r.signature, "t=", "t=1", 1), r.body, now, notify.ErrSignatureMismatch},
			{"no header", testSecret, "", r.body, now, notify.ErrSignatureHeader},
			{"no v1", testSecret, fmt.Sprintf("t=%d", now.Unix()), r.body, now, notify.ErrSignatureHeader},
			{"v1 not hex", testSecret, fmt.Sprintf("t=%d,v1=zz", now.Unix()), r.body, now, notify.ErrSignatureHeader},
			{"two timestamps", testSecret, r.signature + ",t=1", r.body, now, notify.ErrSignatureHeader},
		}
		for _, c := range cases {
			err := notify.VerifyWebhook(c.secret, c.header, c.body, c.now, 5*time.Minute)
			if !errors.Is(err, c.wantErr) {
				t.Errorf("%s: err = %v, want %v", c.name, err, c.wantErr)
			}
		}
		// What the package promises receivers: an independent HMAC, another
		// v1 for rotation and unknown keys are fine.
		for _, h := range []string{
			sign(testSecret, now.Unix(), r.body),
			sign(testSecret, now.Unix(), r.body) + ",v2=whatever",
			fmt.Sprintf("t=%d,v1=%s,v1=%s", now.Unix(), strings.Repeat("00", 32), sign(testSecret, now.Unix(), r.body)[len(fmt.Sprintf("t=%d,v1=", now.Unix())):]),
		} {
			if err := notify.VerifyWebhook(testSecret, h, r.body, now, 0); err != nil {
				t.Errorf("header %q: %v", h, err)
			}
		}
	})

	t.Run("a 500 answer is an error naming the status and the ref but not To, Subject or Body", func(t *testing.T) {
		t.Parallel()

		b := setupWebhook(t, http.StatusInternalServerError)
		m := kazakhMessages()[1]
		err := b.n.Notify(context.Background(), m)
		if err == nil {
			t.Fatal("Notify succeeded against a 500")
		}
		<-b.requests
		se, ok := errors.AsType[*notify.StatusError](err)
		if !ok || se.Code != http.StatusInternalServerError || se.Ref != m.Ref {
			t.Fatalf("err = %#v, want a StatusError 500 for %s", err, m.Ref)
		}
		msg := err.Error()
		if !strings.Contains(msg, m.Ref) || !strings.Contains(msg, "500") {
			t.Errorf("error %q does not name the status and the ref", msg)
		}
		for _, s := range secretsOf(m) {
			if strings.Contains(msg, s) {
				t.Errorf("error %q contains %q", msg, s)
			}
		}
	})

	t.Run("a redirect is not followed", func(t *testing.T) {
		t.Parallel()

		target := setupWebhook(t, http.StatusOK)
		redirector := httptest.NewServer(http.RedirectHandler(target.srv.URL+"/hook", http.StatusTemporaryRedirect))
		t.Cleanup(redirector.Close)
		n, err := notify.NewWebhook(redirector.URL, testSecret, nil)
		if err != nil {
			t.Fatal(err)
		}
		err = n.Notify(context.Background(), kazakhMessages()[0])
		if se, ok := errors.AsType[*notify.StatusError](err); !ok || se.Code != http.StatusTemporaryRedirect {
			t.Fatalf("err = %v, want a StatusError 307", err)
		}
		select {
		case r := <-target.requests:
			t.Fatalf("the redirect target got %s", r.body)
		default:
		}
	})

	t.Run("a receiver that is down gives an error without the URL's token", func(t *testing.T) {
		t.Parallel()

		srv := httptest.NewServer(http.NotFoundHandler())
		url := srv.URL + "/hooks/tok-3f9a1c"
		srv.Close()
		n, err := notify.NewWebhook(url, testSecret, nil)
		if err != nil {
			t.Fatal(err)
		}
		err = n.Notify(context.Background(), kazakhMessages()[0])
		if err == nil {
			t.Fatal("Notify to a closed server succeeded")
		}
		if strings.Contains(err.Error(), "tok-3f9a1c") || !strings.Contains(err.Error(), "T-2025-0001") {
			t.Errorf("error %q", err)
		}
	})

	t.Run("a cancelled context stops the request", func(t *testing.T) {
		t.Parallel()

		b := setupWebhook(t, http.StatusOK)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if err := b.n.Notify(ctx, kazakhMessages()[0]); !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v, want context.Canceled", err)
		}
	})

	t.Run("NewWebhook refuses other schemes, no host and short secrets without repeating the URL", func(t *testing.T) {
		t.Parallel()

		cases := []struct {
			url    string
			secret []byte
		}{
			{"ftp://example.kz/hook?token=tok-3f9a1c", testSecret},
			{"file:///etc/tok-3f9a1c", testSecret},
			{"https:///tok-3f9a1c", testSecret},
			{"https://example.kz/%zztok-3f9a1c", testSecret},
			{"https://example.kz/tok-3f9a1c", []byte("short")},
			{"https://example.kz/tok-3f9a1c", nil},
		}
		for _, c := range cases {
			_, err := notify.NewWebhook(c.url, c.secret, nil)
			if err == nil {
				t.Errorf("NewWebhook(%q, %q) succeeded", c.url, c.secret)
				continue
			}
			if strings.Contains(err.Error(), "tok-3f9a1c") {
				t.Errorf("error %q repeats the URL", err)
			}
		}
	})

	t.Run("the notifier prints without its secret", func(t *testing.T) {
		t.Parallel()

		n, err := notify.NewWebhook("https://example.kz/hooks/tok-3f9a1c", testSecret, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
			out := fmt.Sprintf(verb, n)
			if strings.Contains(out, string(testSecret)) || strings.Contains(out, "tok-3f9a1c") {
				t.Errorf("%s prints %s", verb, out)
			}
		}
	})
}
