// Package notify sends messages to people and systems outside derbes: a
// subject told that their data was passed on (Law 94-V Art. 19), a staff
// member alerted to an incident. A Notifier is one way to send (e-mail,
// a webhook for SMS gateways and chat systems, the log in development).
//
// Messages carry personal data only in To and Body, which a Notifier sends
// but never logs; everything a Notifier logs or returns in an error is
// limited to the message's Kind, its Ref and the outcome.
//
// Which to use:
//
//   - [NewSMTP] sends e-mail through a submission server (STARTTLS, AUTH PLAIN).
//   - [NewWebhook] POSTs a signed JSON document to an HTTP(S) endpoint: an SMS
//     gateway, a chat bridge, a ticket system. The receiver checks the
//     signature with [VerifyWebhook]; the format is described there.
//   - [NewLog] sends nothing and logs which message would have gone where,
//     for development.
//   - [Route] picks one of them by the shape of To: e-mail, +7 phone, other.
//   - [FromURL] builds any of them from one configuration string, such as
//     "smtp://user@mail.example.kz:587?from=dpo@example.kz", for the command
//     line and the environment.
//
// Errors that a receiving end answers with are [*StatusError] (an HTTP status
// or an SMTP reply code, never the text the server sent, which may echo the
// address).
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
