package proxy_test

import (
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"

	"github.com/derbes/derbes/proxy"
)

func trusted(t *testing.T, list ...string) *proxy.Trusted {
	t.Helper()
	p, err := proxy.Parse(list)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestTheClientIsTheNearestAddressNoTrustedProxyAdded(t *testing.T) {
	lb := trusted(t, "10.0.0.0/8", "fd00::/8,127.0.0.1")
	cases := []struct {
		name, peer string
		xff        []string
		want       string
	}{
		{"no proxy trusted: the peer, whatever it writes", "203.0.113.7:5000", []string{"198.51.100.1"}, "203.0.113.7"},
		{"a trusted proxy: the address it saw", "10.0.0.2:4000", []string{"198.51.100.1"}, "198.51.100.1"},
		{"a client's own forged entries are left of the one the proxy added", "10.0.0.2:4000", []string{"1.2.3.4, 5.6.7.8, 198.51.100.1"}, "198.51.100.1"},
		{"two trusted hops", "10.0.0.2:4000", []string{"198.51.100.1, 10.1.1.1"}, "198.51.100.1"},
		{"several headers read as one list", "10.0.0.2:4000", []string{"9.9.9.9", "198.51.100.1"}, "198.51.100.1"},
		{"a trusted proxy without the header: the proxy", "10.0.0.2:4000", nil, "10.0.0.2"},
		{"only trusted hops: the farthest", "10.0.0.2:4000", []string{"10.9.9.9, 127.0.0.1"}, "10.9.9.9"},
		{"garbage stops the walk at the last trusted hop", "10.0.0.2:4000", []string{"198.51.100.1, not-an-address, 10.1.1.1"}, "10.1.1.1"},
		{"IPv6 behind an IPv6 proxy", "[fd00::1]:4000", []string{"2001:db8::5"}, "2001:db8::5"},
		{"an IPv4-mapped peer is the IPv4 address", "[::ffff:10.0.0.2]:4000", []string{"198.51.100.1"}, "198.51.100.1"},
		{"a loopback proxy", "127.0.0.1:4000", []string{"198.51.100.1"}, "198.51.100.1"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/", nil)
			r.RemoteAddr = c.peer
			for _, v := range c.xff {
				r.Header.Add("X-Forwarded-For", v)
			}
			if got := lb.Client(r); got != netip.MustParseAddr(c.want) {
				t.Fatalf("client %s, want %s", got, c.want)
			}
		})
	}
}

func TestNobodyIsTrustedUnlessListed(t *testing.T) {
	for _, p := range []*proxy.Trusted{nil, trusted(t), trusted(t, "")} {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = "127.0.0.1:4000"
		r.Header.Set("X-Forwarded-For", "198.51.100.1")
		if got := p.Client(r); got != netip.MustParseAddr("127.0.0.1") {
			t.Fatalf("%v trusts the loopback: client %s", p, got)
		}
	}
}

func TestAMistakeInTheListIsNamed(t *testing.T) {
	for _, bad := range []string{"10.0.0.0/33", "10.0.0", "localhost", "10.0.0.0/8,nginx"} {
		_, err := proxy.Parse([]string{bad})
		if err == nil {
			t.Fatalf("%q accepted", bad)
		}
		if !strings.Contains(err.Error(), "CIDR") {
			t.Errorf("%q: %v", bad, err)
		}
	}
}

// seen is what the handler behind proxy.Handler saw.
type seen struct {
	remote     string
	https      bool
	forwarding string
}

func through(t *testing.T, p *proxy.Trusted, peer string, tls bool, h map[string]string) seen {
	t.Helper()
	var s seen
	handler := p.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s = seen{r.RemoteAddr, proxy.HTTPS(r), r.Header.Get("X-Forwarded-For") + r.Header.Get("X-Forwarded-Proto")}
	}))
	target := "http://derbes.example/portal"
	if tls {
		target = "https://derbes.example/portal"
	}
	r := httptest.NewRequest("GET", target, nil)
	r.RemoteAddr = peer
	for k, v := range h {
		r.Header.Set(k, v)
	}
	handler.ServeHTTP(httptest.NewRecorder(), r)
	return s
}

func TestTheHandlerGivesTheClientAndTheSchemeTheProxySaw(t *testing.T) {
	lb := trusted(t, "10.0.0.0/8")
	fwd := map[string]string{"X-Forwarded-For": "198.51.100.1", "X-Forwarded-Proto": "https"}

	s := through(t, lb, "10.0.0.2:4000", false, fwd)
	if s.remote != "198.51.100.1:0" || !s.https {
		t.Fatalf("behind the trusted proxy: %+v", s)
	}
	// Anyone else's headers are ignored, and removed.
	s = through(t, lb, "203.0.113.7:5000", false, fwd)
	if s.remote != "203.0.113.7:5000" || s.https || s.forwarding != "" {
		t.Fatalf("from an untrusted peer: %+v", s)
	}
	s = through(t, lb, "10.0.0.2:4000", false, map[string]string{"X-Forwarded-For": "198.51.100.1", "X-Forwarded-Proto": "http"})
	if s.https {
		t.Fatal("a proxy that received plain HTTP makes the request HTTPS")
	}
	s = through(t, lb, "10.0.0.2:4000", false, map[string]string{"X-Forwarded-For": "198.51.100.1", "X-Forwarded-Proto": "HTTPS, http"})
	if !s.https {
		t.Fatal("the first proxy's HTTPS is not believed")
	}
	// TLS to derbes itself is HTTPS, with or without proxies.
	if s := through(t, nil, "203.0.113.7:5000", true, nil); !s.https {
		t.Fatal("a TLS connection is not HTTPS")
	}
}

// FuzzClient: whatever the headers, the client is the peer or one of the
// addresses in X-Forwarded-For, and an untrusted peer is always itself.
func FuzzClient(f *testing.F) {
	f.Add("10.0.0.2:4000", "198.51.100.1, 10.1.1.1")
	f.Add("203.0.113.7:5000", "1.2.3.4")
	f.Add("[fd00::1]:1", "2001:db8::5,,  ,x")
	f.Add("garbage", "")
	lb, _ := proxy.Parse([]string{"10.0.0.0/8", "fd00::/8"})
	inside := func(a netip.Addr) bool {
		return netip.MustParsePrefix("10.0.0.0/8").Contains(a) || netip.MustParsePrefix("fd00::/8").Contains(a)
	}
	f.Fuzz(func(t *testing.T, peer, xff string) {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = peer
		r.Header.Set("X-Forwarded-For", xff)
		got := lb.Client(r)
		p, err := netip.ParseAddrPort(peer)
		if err != nil {
			return // not an address: nothing to compare with
		}
		if got == p.Addr().Unmap() {
			return
		}
		if !inside(p.Addr().Unmap()) {
			t.Fatalf("untrusted peer %q became %s", peer, got)
		}
		for _, s := range strings.Split(xff, ",") {
			if a, err := netip.ParseAddr(strings.TrimSpace(s)); err == nil && a.Unmap() == got {
				return
			}
		}
		t.Fatalf("client %s is neither the peer %q nor in %q", got, peer, xff)
	})
}
