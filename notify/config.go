package notify

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"strings"
	"time"
)

// SecretEnv is the environment variable [FromURL] reads a webhook secret or
// an SMTP password from when the URL does not hold one.
const SecretEnv = "DERBES_NOTIFY_SECRET"

// errURLForm is FromURL's answer to anything it cannot read. It says what
// is accepted and repeats nothing of the input, which may hold a password.
var errURLForm = errors.New(`notify: notifier URL must be "log:", "webhook+https://host/path?secret=...", "webhook+http://..." or "smtp://user:password@host:port?from=address&starttls=auto|always|never"`)

// FromURL builds a Notifier from one configuration string, for the command
// line and the environment:
//
//   - "log:" — [NewLog] writing to log (nil: [slog.Default]).
//   - "webhook+https://host/path?secret=S" (or webhook+http) — [NewWebhook]
//     posting to https://host/path with the secret S; the secret parameter
//     is taken out of the URL and the others are kept. Without it the
//     secret comes from the environment variable DERBES_NOTIFY_SECRET
//     ([SecretEnv]), which keeps it out of process listings.
//   - "smtp://user:password@host:port?from=dpo@example.kz&starttls=always" —
//     [NewSMTP]; the port defaults to 587, starttls to auto, the user and
//     password are optional, and with a user but no password the password
//     comes from DERBES_NOTIFY_SECRET. A user or password with @, : or / in
//     it is percent-encoded ("dpo%40example.kz"). An optional timeout
//     parameter ("45s") sets [SMTPConfig.Timeout].
//
// Errors never repeat the URL, a password or a secret.
func FromURL(raw string, log *slog.Logger) (Notifier, error) {
	return fromURL(raw, log, os.Getenv)
}

func fromURL(raw string, log *slog.Logger, getenv func(string) string) (Notifier, error) {
	raw = strings.TrimSpace(raw)
	if strings.EqualFold(raw, "log") {
		return NewLog(log), nil
	}
	scheme, rest, ok := strings.Cut(raw, ":")
	if !ok {
		return nil, errURLForm
	}
	switch strings.ToLower(scheme) {
	case "log":
		if rest != "" && rest != "//" {
			return nil, errors.New(`notify: "log:" takes no host, path or parameters`)
		}
		return NewLog(log), nil
	case "webhook+https", "webhook+http":
		return webhookFromURL(raw[len("webhook+"):], getenv)
	case "smtp":
		return smtpFromURL(raw, getenv)
	}
	return nil, errURLForm
}

func webhookFromURL(raw string, getenv func(string) string) (Notifier, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, errors.New("notify: webhook URL does not parse")
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return nil, errors.New("notify: webhook URL parameters do not parse")
	}
	secrets := q["secret"]
	q.Del("secret")
	u.RawQuery = q.Encode()
	var secret string
	switch len(secrets) {
	case 0:
		secret = getenv(SecretEnv)
	case 1:
		secret = secrets[0]
	default:
		return nil, errors.New("notify: webhook URL has more than one secret parameter")
	}
	if secret == "" {
		return nil, fmt.Errorf("notify: webhook secret missing: give a secret parameter or set %s", SecretEnv)
	}
	return NewWebhook(u.String(), []byte(secret), nil)
}

func smtpFromURL(raw string, getenv func(string) string) (Notifier, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, errors.New("notify: smtp URL does not parse")
	}
	if u.Hostname() == "" {
		return nil, errors.New("notify: smtp URL has no host")
	}
	if (u.Path != "" && u.Path != "/") || u.Fragment != "" {
		return nil, errors.New("notify: smtp URL takes no path: give host, port and parameters only")
	}
	cfg := SMTPConfig{Addr: u.Host}
	if u.Port() == "" {
		cfg.Addr = net.JoinHostPort(u.Hostname(), "587")
	}
	if u.User != nil {
		cfg.Username = u.User.Username()
		cfg.Password, _ = u.User.Password()
		if cfg.Password == "" {
			cfg.Password = getenv(SecretEnv)
		}
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return nil, errors.New("notify: smtp URL parameters do not parse")
	}
	for k, vs := range q {
		if len(vs) != 1 {
			return nil, errors.New("notify: smtp URL parameters from, starttls and timeout may be given once each")
		}
		switch k {
		case "from":
			cfg.From = vs[0]
		case "starttls":
			cfg.StartTLS = vs[0]
		case "timeout":
			d, err := time.ParseDuration(vs[0])
			if err != nil || d <= 0 {
				return nil, errors.New(`notify: smtp URL timeout must be a positive duration such as "30s"`)
			}
			cfg.Timeout = d
		default:
			// The name is not repeated: a mistyped URL may have a
			// password where a name should be.
			return nil, errors.New("notify: smtp URL takes only the parameters from, starttls and timeout")
		}
	}
	if cfg.From == "" {
		return nil, errors.New("notify: smtp URL needs a from parameter (from=dpo@example.kz)")
	}
	if cfg.Username != "" && cfg.Password == "" {
		return nil, fmt.Errorf("notify: smtp URL has a user but no password, and %s is not set", SecretEnv)
	}
	return NewSMTP(cfg)
}
