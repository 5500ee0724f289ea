// Package notify sends messages to people and systems outside derbes: a
// subject told that their data was passed on (Law 94-V Art. 19), a staff
// member alerted to an incident. A Notifier is one way to send (e-mail,
// a webhook for SMS gateways and chat systems, the log in development).
//
// Messages carry personal data only in To and Body, which a Notifier sends
// but never logs; everything a Notifier logs or returns in an error is
// limited to the message's Kind, its Ref and the outcome.
package notify

import "context"

// Message is one notification.
type Message struct {
	// Kind says what it is about: "transfer-notice", "incident-alert"...
	Kind string
	// Ref is a non-personal reference (a transfer or incident id) that
	// logs and errors may show.
	Ref string
	// To is the address: an e-mail address, a +7 phone number, or empty
	// for a webhook that routes by itself.
	To string
	// Lang is the language of Subject and Body: kk, ru or en.
	Lang    string
	Subject string
	Body    string
}

// Notifier sends messages.
type Notifier interface {
	// Notify sends m. An error must not contain m.To, m.Subject or m.Body.
	Notify(ctx context.Context, m Message) error
}
