package notify

import (
	"errors"
	"fmt"
)

var (
	// ErrNotEmail is returned by the SMTP notifier for a To that is not an
	// e-mail address. The address itself is never part of the error.
	ErrNotEmail = errors.New("notify: not an e-mail address")
	// ErrNoNotifier is returned by [Route] when the notifier for the
	// message's channel is nil.
	ErrNoNotifier = errors.New("notify: no notifier for this channel")
)

// StatusError is a refusal by the receiving end: an HTTP status other than
// 2xx from a webhook, or an SMTP reply code of 4xx or 5xx. It holds the code
// and never the text the server sent with it, which may echo the address or
// the body. Callers can tell transient refusals (HTTP 5xx and 429, SMTP 4xx)
// from permanent ones by Code.
type StatusError struct {
	// Via is "webhook", or "SMTP" and the command refused ("SMTP RCPT").
	Via string
	// Code is the HTTP status or the SMTP reply code.
	Code int
	// Enhanced is the SMTP enhanced status code ("5.1.1") when the server
	// gave one, or empty.
	Enhanced string
	// Ref is the Ref of the message.
	Ref string
}

func (e *StatusError) Error() string {
	code := fmt.Sprint(e.Code)
	if e.Enhanced != "" {
		code += " " + e.Enhanced
	}
	return fmt.Sprintf("notify: %s answered %s for ref %q", e.Via, code, e.Ref)
}
