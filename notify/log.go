package notify

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
)

// The channels a message goes by, named from the shape of its To.
const (
	channelEmail   = "email"
	channelPhone   = "phone"
	channelWebhook = "webhook"
)

// channelOf names the channel a message to to goes by: "email" for anything
// with a local part, an @ and a domain (the SMTP notifier checks the rest),
// "phone" for a To starting with +7, "webhook" for everything else, empty To
// included.
func channelOf(to string) string {
	if at := strings.LastIndexByte(to, '@'); at > 0 && at < len(to)-1 {
		return channelEmail
	}
	if strings.HasPrefix(to, "+7") {
		return channelPhone
	}
	return channelWebhook
}

type logNotifier struct {
	log *slog.Logger
}

var _ Notifier = (*logNotifier)(nil)

// NewLog returns a Notifier for development that sends nothing. For each
// message it logs one line at level Info with the message's kind, ref and
// lang and the channel a real notifier would use ("email", "phone" or
// "webhook", from the shape of To); never To, Subject or Body. A nil logger
// means [slog.Default].
func NewLog(log *slog.Logger) Notifier {
	if log == nil {
		log = slog.Default()
	}
	return &logNotifier{log: log}
}

func (n *logNotifier) Notify(ctx context.Context, m Message) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("notify: log for ref %q: %w", m.Ref, err)
	}
	n.log.LogAttrs(ctx, slog.LevelInfo, "notify: not sent (log notifier)",
		slog.String("kind", m.Kind),
		slog.String("ref", m.Ref),
		slog.String("lang", m.Lang),
		slog.String("channel", channelOf(m.To)),
	)
	return nil
}
