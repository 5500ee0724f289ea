package notify

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

const (
	// SignatureHeader is the header that carries a webhook's signature.
	SignatureHeader = "X-Derbes-Signature"
	// DefaultTolerance is how far a webhook's timestamp may be from the
	// receiver's clock when [VerifyWebhook] is given no tolerance.
	DefaultTolerance = 5 * time.Minute
	// MinSecretLen is the shortest webhook secret accepted, in bytes.
	MinSecretLen = 16
	// webhookTimeout bounds one POST, answer included, when the client has
	// no timeout of its own.
	webhookTimeout = 15 * time.Second
)

// Errors of [VerifyWebhook].
var (
	ErrSignatureHeader   = errors.New("notify: webhook signature header is malformed")
	ErrSignatureMismatch = errors.New("notify: webhook signature does not match")
	ErrSignatureExpired  = errors.New("notify: webhook timestamp is outside the tolerance")
)

// webhookPayload is the JSON document a webhook receives.
type webhookPayload struct {
	Kind    string `json:"kind"`
	Ref     string `json:"ref"`
	To      string `json:"to"`
	Lang    string `json:"lang"`
	Subject string `json:"subject"`
	Body    string `json:"body"`
	SentAt  string `json:"sent_at"`
}

type webhook struct {
	url    string
	host   string
	secret []byte
	client *http.Client
}

var _ Notifier = (*webhook)(nil)

// NewWebhook returns a Notifier that POSTs each message to url as JSON:
//
//	{"kind": "transfer-notice", "ref": "T-1", "to": "+77011234567", "lang": "kk",
//	 "subject": "...", "body": "...", "sent_at": "2025-01-02T03:04:05Z"}
//
// with Content-Type: application/json and a signature header
//
//	X-Derbes-Signature: t=1735787045,v1=<64 lower-case hex digits>
//
// where t is the time of sending in Unix seconds and v1 is the lower-case hex
// HMAC-SHA256, keyed with secret, of t in decimal, a full stop and the
// request body exactly as received: HMAC(secret, "1735787045.{...}"). A
// receiver checks it with [VerifyWebhook], or by computing the same HMAC,
// comparing in constant time and refusing timestamps older than a few
// minutes (replays). Later versions may add more v1 values (secret rotation)
// or other schemes; receivers should accept a match on any v1 and ignore
// keys they do not know.
//
// The URL must be http or https; use https for anything but a loopback
// receiver, since the body carries personal data. The secret must be at
// least [MinSecretLen] bytes. A nil client means a client of the package's
// own; either way the notifier does not follow redirects (a 3xx is an
// error) and a POST times out after 15 seconds unless the client or ctx
// says otherwise. An answer other than 2xx is a [*StatusError]. Errors
// never show the URL, which may hold a token, nor the body sent.
func NewWebhook(rawURL string, secret []byte, client *http.Client) (Notifier, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		// url.Parse's error repeats the URL, which may hold a token.
		return nil, errors.New("notify: webhook URL does not parse")
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, errors.New("notify: webhook URL must be http or https")
	}
	if u.Hostname() == "" {
		return nil, errors.New("notify: webhook URL has no host")
	}
	if len(secret) < MinSecretLen {
		return nil, fmt.Errorf("notify: webhook secret must be at least %d bytes", MinSecretLen)
	}
	c := &http.Client{}
	if client != nil {
		cp := *client
		c = &cp
	}
	if c.Timeout == 0 {
		c.Timeout = webhookTimeout
	}
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &webhook{url: u.String(), host: u.Host, secret: bytes.Clone(secret), client: c}, nil
}

// String names the webhook by host only: its path and query may hold tokens.
func (w *webhook) String() string { return "notify.Webhook(" + w.host + ")" }

// Format prints String for every verb, so no verb shows the secret.
func (w *webhook) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, w.String()) }

func (w *webhook) Notify(ctx context.Context, m Message) error {
	now := time.Now()
	body, err := json.Marshal(webhookPayload{
		Kind: m.Kind, Ref: m.Ref, To: m.To, Lang: m.Lang,
		Subject: m.Subject, Body: m.Body,
		SentAt: now.UTC().Format(time.RFC3339),
	})
	if err != nil {
		return fmt.Errorf("notify: webhook payload for ref %q: %w", m.Ref, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.url, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("notify: webhook request for ref %q cannot be built", m.Ref)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "derbes-notify")
	req.Header.Set(SignatureHeader, signatureHeader(w.secret, now.Unix(), body))
	resp, err := w.client.Do(req)
	if err != nil {
		// *url.Error repeats the URL; keep only the cause (network errors
		// name the host, not the path or query).
		if ue, ok := errors.AsType[*url.Error](err); ok {
			err = ue.Err
		}
		return fmt.Errorf("notify: webhook for ref %q: %w", m.Ref, err)
	}
	defer resp.Body.Close()
	// Drain a little so the connection can be reused; the answer's content
	// is not used (it may echo what was sent).
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return &StatusError{Via: "webhook", Code: resp.StatusCode, Ref: m.Ref}
	}
	return nil
}

// signature is HMAC-SHA256(secret, "<t>.<body>").
func signature(secret []byte, t int64, body []byte) []byte {
	mac := hmac.New(sha256.New, secret)
	mac.Write(strconv.AppendInt(nil, t, 10))
	mac.Write([]byte{'.'})
	mac.Write(body)
	return mac.Sum(nil)
}

func signatureHeader(secret []byte, t int64, body []byte) string {
	return "t=" + strconv.FormatInt(t, 10) + ",v1=" + hex.EncodeToString(signature(secret, t, body))
}

// VerifyWebhook checks a webhook's signature header (the value of
// [SignatureHeader]) against the request body exactly as received, for a
// receiver of [NewWebhook]'s requests. It returns nil if one of the header's
// v1 values is the HMAC-SHA256 of "<t>.<body>" keyed with secret and t is
// within tolerance of now, either way; a tolerance of zero or less means
// [DefaultTolerance]. Otherwise it returns [ErrSignatureHeader],
// [ErrSignatureMismatch] or [ErrSignatureExpired]; the timestamp is checked
// only once the signature matches. Keys other than t and v1 are ignored.
func VerifyWebhook(secret []byte, header string, body []byte, now time.Time, tolerance time.Duration) error {
	if len(secret) == 0 {
		return errors.New("notify: empty webhook secret")
	}
	if tolerance <= 0 {
		tolerance = DefaultTolerance
	}
	var (
		ts    int64
		haveT bool
		sigs  [][]byte
	)
	for part := range strings.SplitSeq(header, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return ErrSignatureHeader
		}
		switch k {
		case "t":
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || haveT {
				return ErrSignatureHeader
			}
			ts, haveT = n, true
		case "v1":
			sig, err := hex.DecodeString(v)
			if err != nil || len(sig) != sha256.Size {
				return ErrSignatureHeader
			}
			sigs = append(sigs, sig)
		}
	}
	if !haveT || len(sigs) == 0 {
		return ErrSignatureHeader
	}
	want := signature(secret, ts, body)
	match := false
	for _, sig := range sigs {
		if hmac.Equal(sig, want) {
			match = true
		}
	}
	if !match {
		return ErrSignatureMismatch
	}
	if age := now.Sub(time.Unix(ts, 0)); age > tolerance || age < -tolerance {
		return ErrSignatureExpired
	}
	return nil
}
