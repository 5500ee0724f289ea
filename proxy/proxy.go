// Package proxy tells which client a request came from, and whether it came
// over HTTPS, when derbes serves behind reverse proxies or load balancers
// that terminate TLS.
//
// derbes itself listens on plain HTTP. Behind a proxy every request's peer
// is the proxy: without this package the portal's per-address limits would
// count every resident as one client, the new-network rule would see one
// network for every API key, and session cookies would lack Secure because
// the connection to derbes is not TLS. The proxy says what it saw in
// X-Forwarded-For and X-Forwarded-Proto; those headers are believed only
// from the proxies the operator lists (--trusted-proxies), since anyone
// else can write them.
package proxy

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// Trusted is the set of proxies whose forwarding headers are believed.
// The zero value and nil trust nobody.
type Trusted struct {
	prefixes []netip.Prefix
}

// Parse reads a list of addresses and CIDR prefixes ("10.0.0.0/8",
// "127.0.0.1", "fd00::/8"); an entry may itself hold several separated by
// commas. An empty list trusts nobody.
func Parse(list []string) (*Trusted, error) {
	t := &Trusted{}
	for _, item := range list {
		for _, s := range strings.Split(item, ",") {
			s = strings.TrimSpace(s)
			if s == "" {
				continue
			}
			var p netip.Prefix
			var err error
			if strings.Contains(s, "/") {
				p, err = netip.ParsePrefix(s)
				p = p.Masked()
			} else {
				var a netip.Addr
				a, err = netip.ParseAddr(s)
				p = netip.PrefixFrom(a, a.BitLen())
			}
			if err != nil {
				return nil, fmt.Errorf("proxy: the trusted proxy %q is neither an IP address nor a CIDR prefix such as 10.0.0.0/8", s)
			}
			t.prefixes = append(t.prefixes, p)
		}
	}
	return t, nil
}

// String lists the trusted prefixes, for the log.
func (t *Trusted) String() string {
	if t == nil || len(t.prefixes) == 0 {
		return "none"
	}
	s := make([]string, len(t.prefixes))
	for i, p := range t.prefixes {
		s[i] = p.String()
	}
	return strings.Join(s, ",")
}

func (t *Trusted) trusts(a netip.Addr) bool {
	if t == nil {
		return false
	}
	a = a.Unmap()
	for _, p := range t.prefixes {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// Client is the address of the client behind the proxies: the peer when it
// is not trusted; otherwise the nearest address in X-Forwarded-For that is
// not a trusted proxy, read from the right, since each proxy appends the
// address it saw and only the entries the trusted ones added can be
// believed (a client may send any X-Forwarded-For of its own). An entry
// that is not an address ends the walk at the last trusted hop.
func (t *Trusted) Client(r *http.Request) netip.Addr {
	peer := peerAddr(r.RemoteAddr)
	if !peer.IsValid() || !t.trusts(peer) {
		return peer
	}
	hops := forwardedFor(r.Header)
	client := peer
	for i := len(hops) - 1; i >= 0; i-- {
		a, err := netip.ParseAddr(hops[i])
		if err != nil {
			break
		}
		client = a.Unmap()
		if !t.trusts(client) {
			break
		}
	}
	return client
}

// forwardedFor is every entry of every X-Forwarded-For header, in order.
func forwardedFor(h http.Header) []string {
	var hops []string
	for _, v := range h.Values("X-Forwarded-For") {
		for _, s := range strings.Split(v, ",") {
			if s = strings.TrimSpace(s); s != "" {
				hops = append(hops, s)
			}
		}
	}
	return hops
}

// peerAddr is the address of RemoteAddr ("host:port", or a bare host).
func peerAddr(remote string) netip.Addr {
	if ap, err := netip.ParseAddrPort(remote); err == nil {
		return ap.Addr().Unmap()
	}
	a, _ := netip.ParseAddr(remote)
	return a.Unmap()
}

type httpsKey struct{}

// Handler serves h with each request's RemoteAddr replaced by its client's
// address (port 0) and, when a trusted proxy says it received the request
// over HTTPS, HTTPS(r) true. Forwarding headers from peers that are not
// trusted are removed, so that nothing after this can be misled by them.
func (t *Trusted) Handler(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		peer := peerAddr(r.RemoteAddr)
		if !peer.IsValid() || !t.trusts(peer) {
			r.Header.Del("X-Forwarded-For")
			r.Header.Del("X-Forwarded-Proto")
			r.Header.Del("X-Forwarded-Host")
			r.Header.Del("Forwarded")
			h.ServeHTTP(w, r)
			return
		}
		r2 := r.Clone(r.Context())
		r2.RemoteAddr = net.JoinHostPort(t.Client(r).String(), "0")
		// The proxy nearest the client wrote the first value; a proxy
		// behind it that appends instead of replacing adds its own.
		proto, _, _ := strings.Cut(r.Header.Get("X-Forwarded-Proto"), ",")
		if strings.EqualFold(strings.TrimSpace(proto), "https") {
			r2 = r2.WithContext(context.WithValue(r2.Context(), httpsKey{}, true))
		}
		h.ServeHTTP(w, r2)
	})
}

// HTTPS reports whether the client's request came over HTTPS: to derbes
// itself, or to a trusted proxy that said so. Cookies are marked Secure,
// and HSTS is sent, only then.
func HTTPS(r *http.Request) bool {
	if r.TLS != nil {
		return true
	}
	v, _ := r.Context().Value(httpsKey{}).(bool)
	return v
}
