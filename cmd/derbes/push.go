package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"

	"github.com/derbes/derbes/notify"
	"github.com/derbes/derbes/vault"
)

// pushers delivers transfers to recipients' endpoints, configured in
// DERBES_PUSH as "recipient=webhook+https://host/path?secret=…;…" (the
// secret signs each delivery; see notify.VerifyWebhook for the receiver).
type pushers map[string]notify.Notifier

func (p pushers) Push(ctx context.Context, recipient, transfer string, payload []byte) error {
	n, ok := p[recipient]
	if !ok {
		return vault.ErrNoPush
	}
	return n.Notify(ctx, notify.Message{Kind: "transfer", Ref: transfer, Lang: "kk", Subject: "derbes transfer " + transfer, Body: string(payload)})
}

// loadPushers reads DERBES_PUSH; nil when it is empty.
func loadPushers(log *slog.Logger) (vault.Pusher, error) {
	raw := os.Getenv("DERBES_PUSH")
	if raw == "" {
		return nil, nil
	}
	p := pushers{}
	for _, part := range strings.Split(raw, ";") {
		id, url, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok || id == "" {
			return nil, fmt.Errorf("DERBES_PUSH: each entry is recipient=webhook+https://…")
		}
		n, err := notify.FromURL(url, log)
		if err != nil {
			return nil, fmt.Errorf("DERBES_PUSH entry for %s: %w", id, err)
		}
		p[id] = n
	}
	return p, nil
}
