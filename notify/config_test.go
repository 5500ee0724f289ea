package notify_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/derbes/derbes/notify"
)

// env is a getenv with nothing set but DERBES_NOTIFY_SECRET, if given.
func env(secret string) func(string) string {
	return func(k string) string {
		if k == notify.SecretEnv {
			return secret
		}
		return ""
	}
}

func TestFromURL(t *testing.T) {
	t.Parallel()

	t.Run("log: logs to the given logger", func(t *testing.T) {
		t.Parallel()

		for _, raw := range []string{"log:", "log", "LOG:", "log://", " log: "} {
			var buf bytes.Buffer
			n, err := notify.FromURLWithEnv(raw, slog.New(slog.NewTextHandler(&buf, nil)), env(""))
			if err != nil {
				t.Fatalf("%q: %v", raw, err)
			}
			if err := n.Notify(context.Background(), kazakhMessages()[0]); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(buf.String(), "T-2025-0001") {
				t.Errorf("%q: log %q", raw, buf.String())
			}
		}
	})

	t.Run("webhook+http posts to the URL without the secret parameter, signed with it", func(t *testing.T) {
		t.Parallel()

		b := setupWebhook(t, http.StatusOK)
		n, err := notify.FromURLWithEnv("webhook+"+b.srv.URL+"/hook?channel=sms&secret="+string(testSecret), nil, env("not-this-one-but-the-url-one"))
		if err != nil {
			t.Fatal(err)
		}
		if err := n.Notify(context.Background(), kazakhMessages()[1]); err != nil {
			t.Fatal(err)
		}
		r := <-b.requests
		if r.secretParam != "" {
			t.Errorf("the receiver saw the secret in the URL: %q", r.secretParam)
		}
		if err := notify.VerifyWebhook(testSecret, r.signature, r.body, time.Now(), time.Minute); err != nil {
			t.Errorf("VerifyWebhook: %v", err)
		}
	})

	t.Run("webhook without a secret parameter takes DERBES_NOTIFY_SECRET", func(t *testing.T) {
		t.Parallel()

		b := setupWebhook(t, http.StatusOK)
		n, err := notify.FromURLWithEnv("webhook+"+b.srv.URL+"/hook", nil, env(string(testSecret)))
		if err != nil {
			t.Fatal(err)
		}
		if err := n.Notify(context.Background(), kazakhMessages()[1]); err != nil {
			t.Fatal(err)
		}
		r := <-b.requests
		if err := notify.VerifyWebhook(testSecret, r.signature, r.body, time.Now(), time.Minute); err != nil {
			t.Errorf("VerifyWebhook: %v", err)
		}
	})

	t.Run("webhook+https is accepted", func(t *testing.T) {
		t.Parallel()

		if _, err := notify.FromURLWithEnv("webhook+https://sms.example.kz/send?secret="+string(testSecret), nil, env("")); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("smtp sends through the server with the URL's user, password and from", func(t *testing.T) {
		t.Parallel()

		f := startFakeSMTP(t, []string{"AUTH PLAIN"}, "")
		raw := fmt.Sprintf("smtp://dpo%%40example.kz:p%%40ss-hunter2@%s?from=dpo@example.kz&starttls=never&timeout=5s", f.addr())
		n, err := notify.FromURLWithEnv(raw, nil, env(""))
		if err != nil {
			t.Fatal(err)
		}
		if err := n.Notify(context.Background(), kazakhMessages()[0]); err != nil {
			t.Fatal(err)
		}
		_, commands, data := f.session()
		want := "AUTH PLAIN " + base64.StdEncoding.EncodeToString([]byte("\x00dpo@example.kz\x00p@ss-hunter2"))
		if len(commands) < 3 || commands[1] != want || commands[2] != "MAIL FROM:<dpo@example.kz>" || len(data) != 1 {
			t.Errorf("commands %q, want %q then MAIL FROM", commands, want)
		}
	})

	t.Run("smtp with a user and no password takes DERBES_NOTIFY_SECRET", func(t *testing.T) {
		t.Parallel()

		f := startFakeSMTP(t, []string{"AUTH PLAIN"}, "")
		n, err := notify.FromURLWithEnv("smtp://dpo@"+f.addr()+"?from=dpo@example.kz&starttls=never", nil, env("from-env-hunter2"))
		if err != nil {
			t.Fatal(err)
		}
		if err := n.Notify(context.Background(), kazakhMessages()[0]); err != nil {
			t.Fatal(err)
		}
		_, commands, _ := f.session()
		want := "AUTH PLAIN " + base64.StdEncoding.EncodeToString([]byte("\x00dpo\x00from-env-hunter2"))
		if len(commands) < 2 || commands[1] != want {
			t.Errorf("commands %q, want %q", commands, want)
		}
	})

	t.Run("smtp without a port uses 587", func(t *testing.T) {
		t.Parallel()

		n, err := notify.FromURLWithEnv("smtp://mail.example.kz?from=dpo@example.kz&starttls=always", nil, env(""))
		if err != nil {
			t.Fatal(err)
		}
		if s := fmt.Sprint(n); !strings.Contains(s, "mail.example.kz:587") {
			t.Errorf("notifier %s, want port 587", s)
		}
	})

	t.Run("malformed URLs are errors that repeat no password or secret", func(t *testing.T) {
		t.Parallel()

		const pw = "hunter2"
		for _, raw := range []string{
			"",
			pw,
			"user:" + pw + "@mail.example.kz",
			"smtps://user:" + pw + "@mail.example.kz:465?from=dpo@example.kz",
			"smtp://user:" + pw + "@mail.example.kz:99x?from=dpo@example.kz",
			"smtp://user:" + pw + "@[::1?from=dpo@example.kz",
			"smtp://user:" + pw + "@mail.example.kz:587",
			"smtp://user:" + pw + "@mail.example.kz:587?from=not-an-address",
			"smtp://user:" + pw + "@mail.example.kz:587?from=dpo@example.kz&starttls=maybe",
			"smtp://user:" + pw + "@mail.example.kz:587?from=dpo@example.kz&starttls=never",
			"smtp://user:" + pw + "@mail.example.kz:587?from=dpo@example.kz&" + pw,
			"smtp://user:" + pw + "@mail.example.kz:587?from=dpo@example.kz&timeout=" + pw,
			"smtp://user:" + pw + "@mail.example.kz:587/path?from=dpo@example.kz",
			"smtp://user:" + pw + "@mail.example.kz:587?from=dpo@example.kz&from=x@example.kz",
			"smtp://user:" + pw + "@mail.example.kz:587?from=dpo@example.kz;" + pw,
			"smtp://user:" + pw + "%zz@mail.example.kz:587?from=dpo@example.kz",
			"smtp://user@mail.example.kz:587?from=dpo@example.kz",
			"webhook+https://hooks.example.kz/x?secret=" + pw,
			"webhook+https://hooks.example.kz/%zz?secret=" + pw + pw + pw,
			"webhook+https://hooks.example.kz/x?secret=" + pw + pw + pw + "&secret=" + pw + pw + pw,
			"webhook+https://hooks.example.kz/x?secret=" + pw + pw + pw + ";x",
			"webhook+ftp://hooks.example.kz/x?secret=" + pw + pw + pw,
			"webhook+https://hooks.example.kz/x",
			"webhook+https:///x?secret=" + pw + pw + pw,
			"log:" + pw,
		} {
			n, err := notify.FromURLWithEnv(raw, nil, env(""))
			if err == nil {
				t.Errorf("FromURL(%q) = %v, want an error", raw, n)
				continue
			}
			if strings.Contains(err.Error(), pw) {
				t.Errorf("FromURL(%q): error %q repeats the password", raw, err)
			}
		}
	})
}
