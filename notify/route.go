package notify

import (
	"context"
	"fmt"
)

type router struct {
	email, phone, fallback Notifier
}

var _ Notifier = (*router)(nil)

// Route returns a Notifier that passes each message to one of three by the
// shape of its To: an e-mail address (a local part, @ and a domain) to
// email, a number starting with +7 to phone (an SMS gateway's webhook, say),
// anything else, empty To included, to fallback. A message whose notifier is
// nil fails with [ErrNoNotifier].
func Route(email, phone, fallback Notifier) Notifier {
	return &router{email: email, phone: phone, fallback: fallback}
}

func (r *router) Notify(ctx context.Context, m Message) error {
	ch := channelOf(m.To)
	var n Notifier
	switch ch {
	case channelEmail:
		n = r.email
	case channelPhone:
		n = r.phone
	default:
		n = r.fallback
	}
	if n == nil {
		return fmt.Errorf("%w (%s, ref %q)", ErrNoNotifier, ch, m.Ref)
	}
	return n.Notify(ctx, m)
}
