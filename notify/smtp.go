package notify

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net"
	"net/mail"
	"net/smtp"
	"net/textproto"
	"strings"
	"time"

	"github.com/derbes/derbes/kz"
)

// StartTLS modes of [SMTPConfig].
const (
	// StartTLSAuto upgrades the connection when the server offers STARTTLS
	// and goes on in clear otherwise (AUTH is then refused unless the
	// server is on the loopback interface).
	StartTLSAuto = "auto"
	// StartTLSAlways refuses to send to a server that does not offer
	// STARTTLS.
	StartTLSAlways = "always"
	// StartTLSNever never upgrades: for a relay on localhost.
	StartTLSNever = "never"
)

// smtpTimeout bounds one message, from dialling to the server's answer to
// DATA, when SMTPConfig.Timeout is zero.
const smtpTimeout = 30 * time.Second

// SMTPConfig configures [NewSMTP]. Printed with fmt (any verb) or logged
// with slog, it shows REDACTED for the password.
type SMTPConfig struct {
	// Addr is the submission server, "host:port" ("mail.example.kz:587").
	Addr string
	// From is the sender, "dpo@example.kz" or "Derbes DPO <dpo@example.kz>".
	From string
	// Username and Password are for AUTH PLAIN: both or neither. They are
	// sent only over TLS, or in clear to a server on the loopback interface.
	Username string
	Password string
	// StartTLS is "auto" (the default when empty), "always" or "never".
	StartTLS string
	// Timeout bounds one message, from dialling to the server's acceptance;
	// zero means 30 seconds. A deadline on the context passed to Notify
	// applies too.
	Timeout time.Duration
}

func (c SMTPConfig) redactedCopy() SMTPConfig {
	if c.Password != "" {
		c.Password = "REDACTED"
	}
	return c
}

// String formats c with the password hidden.
func (c SMTPConfig) String() string {
	r := c.redactedCopy()
	return fmt.Sprintf("{Addr:%s From:%s Username:%s Password:%s StartTLS:%s Timeout:%s}",
		r.Addr, r.From, r.Username, r.Password, r.StartTLS, r.Timeout)
}

// Format prints String, or GoString for %#v, so no verb shows the
// password.
func (c SMTPConfig) Format(f fmt.State, verb rune) {
	if verb == 'v' && f.Flag('#') {
		_, _ = io.WriteString(f, c.GoString())
		return
	}
	_, _ = io.WriteString(f, c.String())
}

// GoString formats c with the password hidden, for %#v.
func (c SMTPConfig) GoString() string {
	r := c.redactedCopy()
	return fmt.Sprintf("notify.SMTPConfig{Addr:%q, From:%q, Username:%q, Password:%q, StartTLS:%q, Timeout:%d}",
		r.Addr, r.From, r.Username, r.Password, r.StartTLS, r.Timeout)
}

// LogValue logs c with the password hidden.
func (c SMTPConfig) LogValue() slog.Value {
	r := c.redactedCopy()
	return slog.GroupValue(
		slog.String("addr", r.Addr), slog.String("from", r.From),
		slog.String("username", r.Username), slog.String("password", r.Password),
		slog.String("starttls", r.StartTLS), slog.Duration("timeout", r.Timeout),
	)
}

type smtpNotifier struct {
	addr       string
	host       string
	fromHeader string // the From header, display name encoded
	fromAddr   string // the envelope sender
	fromDomain string // for Message-IDs
	username   string
	password   string
	startTLS   string
	timeout    time.Duration
}

var _ Notifier = (*smtpNotifier)(nil)

// NewSMTP returns a Notifier that e-mails each message to m.To through the
// submission server cfg.Addr, as a text/plain UTF-8 message: Subject encoded
// as an RFC 2047 word so Kazakh and Russian letters survive, body in base64
// with CRLF line breaks, Date, Message-ID, Auto-Submitted: auto-generated,
// and Content-Language from m.Lang. A To that is not an e-mail address is
// refused with [ErrNotEmail] before any connection is made. A refusal by the
// server is a [*StatusError] with the SMTP code and no server text (servers
// repeat the recipient in it).
func NewSMTP(cfg SMTPConfig) (Notifier, error) {
	host, port, err := net.SplitHostPort(cfg.Addr)
	if err != nil || host == "" || port == "" {
		return nil, errors.New("notify: SMTP Addr must be host:port")
	}
	from, err := mail.ParseAddress(cfg.From)
	if err != nil {
		return nil, errors.New("notify: SMTP From is not an e-mail address")
	}
	fromAddr, err := kz.ParseEmail(from.Address)
	if err != nil {
		return nil, errors.New("notify: SMTP From is not an e-mail address")
	}
	from.Address = fromAddr
	if (cfg.Username == "") != (cfg.Password == "") {
		return nil, errors.New("notify: SMTP Username and Password go together")
	}
	mode := cfg.StartTLS
	switch mode {
	case "":
		mode = StartTLSAuto
	case StartTLSAuto, StartTLSAlways, StartTLSNever:
	default:
		return nil, errors.New(`notify: SMTP StartTLS must be "auto", "always" or "never"`)
	}
	if mode == StartTLSNever && cfg.Username != "" && !isLoopback(host) {
		return nil, errors.New("notify: SMTP credentials are sent in clear (StartTLS never) only to a server on the loopback interface")
	}
	if cfg.Timeout < 0 {
		return nil, errors.New("notify: SMTP Timeout must not be negative")
	}
	timeout := cfg.Timeout
	if timeout == 0 {
		timeout = smtpTimeout
	}
	return &smtpNotifier{
		addr:       cfg.Addr,
		host:       host,
		fromHeader: from.String(),
		fromAddr:   fromAddr,
		fromDomain: fromAddr[strings.LastIndexByte(fromAddr, '@')+1:],
		username:   cfg.Username,
		password:   cfg.Password,
		startTLS:   mode,
		timeout:    timeout,
	}, nil
}

// isLoopback is what net/smtp's PlainAuth accepts for AUTH without TLS.
func isLoopback(host string) bool {
	return host == "localhost" || host == "127.0.0.1" || host == "::1"
}

// String names the notifier by server and sender, never the password.
func (s *smtpNotifier) String() string {
	return "notify.SMTP(" + s.addr + ", from " + s.fromAddr + ")"
}

// Format prints String for every verb, so no verb shows the password.
func (s *smtpNotifier) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, s.String()) }

func (s *smtpNotifier) Notify(ctx context.Context, m Message) error {
	to, err := kz.ParseEmail(m.To)
	if err != nil || strings.ContainsAny(to, "\r\n") {
		return fmt.Errorf("%w (ref %q)", ErrNotEmail, m.Ref)
	}
	msg := s.compose(to, m, time.Now())

	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", s.addr)
	if err != nil {
		return s.fail(ctx, m.Ref, "dial", err)
	}
	// ctx ending (its deadline, at most s.timeout away, or a cancel)
	// interrupts a conversation waiting on the server; ctx.Err is then set
	// by the time the read or write fails, so fail reports it.
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()

	c, err := smtp.NewClient(conn, s.host)
	if err != nil {
		_ = conn.Close()
		return s.fail(ctx, m.Ref, "greeting", err)
	}
	defer func() { _ = c.Close() }()

	if s.startTLS != StartTLSNever {
		ok, _ := c.Extension("STARTTLS")
		switch {
		case ok:
			if err := c.StartTLS(&tls.Config{ServerName: s.host, MinVersion: tls.VersionTLS12}); err != nil {
				return s.fail(ctx, m.Ref, "STARTTLS", err)
			}
		case s.startTLS == StartTLSAlways:
			return fmt.Errorf("notify: SMTP server does not offer STARTTLS (StartTLS always), ref %q", m.Ref)
		}
	}
	if s.username != "" {
		if ok, _ := c.Extension("AUTH"); !ok {
			return fmt.Errorf("notify: SMTP server does not offer AUTH, ref %q", m.Ref)
		}
		if err := c.Auth(smtp.PlainAuth("", s.username, s.password, s.host)); err != nil {
			return s.fail(ctx, m.Ref, "AUTH", err)
		}
	}
	if err := c.Mail(s.fromAddr); err != nil {
		return s.fail(ctx, m.Ref, "MAIL", err)
	}
	if err := c.Rcpt(to); err != nil {
		return s.fail(ctx, m.Ref, "RCPT", err)
	}
	w, err := c.Data()
	if err != nil {
		return s.fail(ctx, m.Ref, "DATA", err)
	}
	if _, err := w.Write(msg); err != nil {
		return s.fail(ctx, m.Ref, "DATA", err)
	}
	if err := w.Close(); err != nil {
		return s.fail(ctx, m.Ref, "DATA", err)
	}
	// The server has accepted the message; a failed QUIT does not unsend
	// it, and reporting it would make callers send it twice.
	_ = c.Quit()
	return nil
}

// fail turns an error of step into one that shows neither the address nor
// the text the server answered with.
func (s *smtpNotifier) fail(ctx context.Context, ref, step string, err error) error {
	if ctxErr := ctx.Err(); ctxErr != nil {
		return fmt.Errorf("notify: SMTP %s for ref %q: %w", step, ref, ctxErr)
	}
	if te, ok := errors.AsType[*textproto.Error](err); ok {
		return &StatusError{Via: "SMTP " + step, Code: te.Code, Enhanced: enhancedCode(te.Msg), Ref: ref}
	}
	if _, ok := errors.AsType[textproto.ProtocolError](err); ok {
		return fmt.Errorf("notify: SMTP %s for ref %q: malformed reply from the server", step, ref)
	}
	return fmt.Errorf("notify: SMTP %s for ref %q: %w", step, ref, err)
}

// enhancedCode returns the RFC 3463 status code ("5.1.1") a reply text
// starts with, or "".
func enhancedCode(msg string) string {
	code, _, _ := strings.Cut(msg, " ")
	parts := strings.Split(code, ".")
	if len(parts) != 3 || len(parts[0]) != 1 || !strings.Contains("245", parts[0]) {
		return ""
	}
	for _, p := range parts {
		if len(p) < 1 || len(p) > 3 || strings.Trim(p, "0123456789") != "" {
			return ""
		}
	}
	return code
}

// compose writes the RFC 5322 message: headers, a blank line, the body in
// base64. Every header value is either fixed, checked or encoded, so none
// can carry a line break.
func (s *smtpNotifier) compose(to string, m Message, now time.Time) []byte {
	var b bytes.Buffer
	header := func(k, v string) {
		b.WriteString(k)
		b.WriteString(": ")
		b.WriteString(v)
		b.WriteString("\r\n")
	}
	header("From", s.fromHeader)
	header("To", (&mail.Address{Address: to}).String())
	header("Subject", encodeSubject(m.Subject))
	header("Date", now.Format(time.RFC1123Z))
	header("Message-ID", "<"+strings.ToLower(rand.Text())+"@"+s.fromDomain+">")
	header("MIME-Version", "1.0")
	header("Content-Type", "text/plain; charset=utf-8")
	header("Content-Transfer-Encoding", "base64")
	if isLangTag(m.Lang) {
		header("Content-Language", m.Lang)
	}
	header("Auto-Submitted", "auto-generated")
	b.WriteString("\r\n")

	// RFC 2046: text in canonical form has CRLF line breaks.
	body := strings.ReplaceAll(strings.ReplaceAll(m.Body, "\r\n", "\n"), "\n", "\r\n")
	enc := base64.StdEncoding.EncodeToString([]byte(body))
	for len(enc) > 76 {
		b.WriteString(enc[:76])
		b.WriteString("\r\n")
		enc = enc[76:]
	}
	b.WriteString(enc)
	b.WriteString("\r\n")
	return b.Bytes()
}

// encodeSubject encodes s as RFC 2047 B-words (left as it is when it is
// printable ASCII), one word per folded line.
func encodeSubject(s string) string {
	enc := mime.BEncoding.Encode("utf-8", s)
	if enc == s {
		return s // printable ASCII only: nothing to fold or escape
	}
	return strings.ReplaceAll(enc, "?= =?", "?=\r\n =?")
}

// isLangTag accepts the shape of a BCP 47 tag ("kk", "ru", "en-GB"), enough
// to be sure it cannot break the header it goes in.
func isLangTag(s string) bool {
	if s == "" || len(s) > 35 || s[0] == '-' || s[len(s)-1] == '-' {
		return false
	}
	return strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-") == ""
}
