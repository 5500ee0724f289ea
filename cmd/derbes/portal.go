package main

import (
	"log/slog"

	"github.com/derbes/derbes/notify"
)

// PortalNotify is where the subject portal sends its one-time codes: SMS
// through a gateway's webhook, e-mail through SMTP. Either left empty
// falls back to --notify.
type PortalNotify struct {
	SMS   string `name:"notify-sms" help:"Where the portal's codes by SMS go: webhook+https://…?secret=… of an SMS gateway (default: --notify)." env:"DERBES_NOTIFY_SMS"`
	Email string `name:"notify-email" help:"Where the portal's codes by e-mail go: smtp://user@host:587?from=… (default: --notify)." env:"DERBES_NOTIFY_EMAIL"`
}

// notifier routes each code by its address: a +7 number to SMS, an e-mail
// address to e-mail, anything else to fallback.
func (c PortalNotify) notifier(fallback notify.Notifier, log *slog.Logger) (notify.Notifier, error) {
	if c.SMS == "" && c.Email == "" {
		return fallback, nil
	}
	sms, email := fallback, fallback
	var err error
	if c.SMS != "" {
		if sms, err = notify.FromURL(c.SMS, log); err != nil {
			return nil, err
		}
	}
	if c.Email != "" {
		if email, err = notify.FromURL(c.Email, log); err != nil {
			return nil, err
		}
	}
	return notify.Route(email, sms, fallback), nil
}
