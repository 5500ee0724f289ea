package main

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/derbes/derbes/notify"
)

// The portal's codes go by SMS to the gateway's webhook and by e-mail to
// the SMTP server, each by the shape of the address.
func TestPortalCodesAreRoutedBySMSAndEmail(t *testing.T) {
	t.Parallel()
	var hooks atomic.Int32
	gw := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		hooks.Add(1)
	}))
	t.Cleanup(gw.Close)
	// An SMTP server that answers nothing: the e-mail fails, and does not
	// reach the webhook.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	log := slog.New(slog.DiscardHandler)
	pn := PortalNotify{SMS: "webhook+" + gw.URL + "/sms?secret=0123456789abcdef0123", Email: "smtp://" + addr + "?from=dpo@example.kz&timeout=2s"}
	n, err := pn.notifier(notify.NewLog(log), log)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := n.Notify(ctx, notify.Message{Kind: "portal-code", To: "+77011234567", Body: "123456"}); err != nil {
		t.Fatal(err)
	}
	if err := n.Notify(ctx, notify.Message{Kind: "portal-code", To: "aigerim@example.kz", Body: "123456"}); err == nil {
		t.Fatal("the e-mail went somewhere other than the SMTP server")
	}
	if hooks.Load() != 1 {
		t.Fatalf("the webhook got %d messages, want the SMS only", hooks.Load())
	}
	// Neither configured: the portal uses --notify.
	fallback := notify.NewLog(log)
	if got, _ := (PortalNotify{}).notifier(fallback, log); got != fallback {
		t.Fatal("without --notify-sms and --notify-email the portal does not use --notify")
	}
}
