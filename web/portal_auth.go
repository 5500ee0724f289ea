package web

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/derbes/derbes/proxy"
	"github.com/derbes/derbes/vault"
)

// PortalCookie holds a resident's portal session: HttpOnly, SameSite=Strict
// and scoped to /portal, so that no other page and no other site's request
// carries it.
const PortalCookie = "derbes_portal"

// Limits per client address, on top of the vault's per-IIN limit. They
// live in the process: with several nodes each counts its own.
const (
	// portalLookupsPerAddress is how many IINs one address may type in
	// portalWindow (each is a journaled lookup).
	portalLookupsPerAddress = 30
	// portalCodesPerAddress is how many codes one address may ask for in
	// portalWindow.
	portalCodesPerAddress = 10
	// portalTriesPerAddress is how many codes one address may try in
	// portalWindow.
	portalTriesPerAddress = 30
	portalWindow          = 15 * time.Minute
)

// limiter counts events per key in fixed windows.
type limiter struct {
	mu     sync.Mutex
	max    int
	window time.Duration
	counts map[string]*windowCount
}

type windowCount struct {
	start time.Time
	n     int
}

func newLimiter(max int, window time.Duration) *limiter {
	return &limiter{max: max, window: window, counts: map[string]*windowCount{}}
}

// allow counts one event for key and reports whether it is within the
// limit.
func (l *limiter) allow(key string, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.counts) > 100_000 {
		// Forget finished windows rather than grow without end.
		for k, c := range l.counts {
			if now.Sub(c.start) >= l.window {
				delete(l.counts, k)
			}
		}
	}
	c := l.counts[key]
	if c == nil || now.Sub(c.start) >= l.window {
		c = &windowCount{start: now}
		l.counts[key] = c
	}
	c.n++
	return c.n <= l.max
}

// clientAddress is the address a request came from: the peer, or the
// client behind a trusted proxy (package proxy has put it in RemoteAddr;
// behind a proxy that is not trusted, all its clients count as one).
func clientAddress(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// portalSession returns the signed-in subject and the session token, or
// ok false.
func (s *server) portalSession(r *http.Request) (subject, token string, ok bool) {
	c, err := r.Cookie(PortalCookie)
	if err != nil {
		return "", "", false
	}
	sub, err := s.vault.PortalSession(r.Context(), c.Value)
	if err != nil {
		return "", "", false
	}
	return sub, c.Value, true
}

// portalCSRF is the form token of a session: derived from the session's
// secret, so it needs no storage and changes with each sign-in.
func portalCSRF(token string) string {
	sum := sha256.Sum256([]byte("derbes portal csrf\x00" + token))
	return hex.EncodeToString(sum[:16])
}

// csrfOK checks a form's token against the session's.
func csrfOK(r *http.Request, token string) bool {
	return subtle.ConstantTimeCompare([]byte(r.PostFormValue("csrf")), []byte(portalCSRF(token))) == 1
}

func setPortalCookie(w http.ResponseWriter, r *http.Request, token string) {
	http.SetCookie(w, &http.Cookie{Name: PortalCookie, Value: token, Path: "/portal", MaxAge: int(vault.PortalSessionFor / time.Second),
		HttpOnly: true, Secure: proxy.HTTPS(r), SameSite: http.SameSiteStrictMode})
}

func clearPortalCookie(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{Name: PortalCookie, Value: "", Path: "/portal", MaxAge: -1,
		HttpOnly: true, Secure: proxy.HTTPS(r), SameSite: http.SameSiteStrictMode})
}
