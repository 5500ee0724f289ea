package api_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"testing"

	"github.com/derbes/derbes/access"
	"github.com/derbes/derbes/access/oidctest"
	"github.com/derbes/derbes/api"
	"github.com/derbes/derbes/client"
	"github.com/derbes/derbes/policy"
	"github.com/derbes/derbes/store/storetest"
	"github.com/derbes/derbes/vault"
)

func TestStaffSignInThroughTheDirectory(t *testing.T) {
	t.Parallel()
	for _, d := range storetest.Dialects {
		t.Run(d, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			env := storetest.Open(t, d)
			src, err := os.ReadFile("../policy/testdata/minimal.yaml")
			if err != nil {
				t.Fatal(err)
			}
			p, err := policy.Parse("minimal.yaml", src)
			if err != nil {
				t.Fatal(err)
			}
			v, err := vault.Open(ctx, env.Store, env.Ring)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := v.Activate(ctx, vault.System, p, src); err != nil {
				t.Fatal(err)
			}
			staff := access.NewStaff(env.Store, env.Ring, &access.Argon2{Time: 1, Memory: 1024, Threads: 1})
			if _, err := staff.Create(ctx, "test", access.NewAccount{Login: "a.serikova", Name: "Айгерим Серикова", Role: "app", Password: "a long enough password"}); err != nil {
				t.Fatal(err)
			}
			idp := oidctest.New(t)
			o, err := access.NewOIDC(ctx, access.OIDCConfig{Issuer: idp.URL, ClientID: "derbes", ClientSecret: "s", RedirectURL: "https://derbes.example/v1/login/oidc/callback"}, staff)
			if err != nil {
				t.Fatal(err)
			}
			srv := httptest.NewServer(api.New(v, access.NewKeys(env.Store), slog.New(slog.DiscardHandler), func(context.Context) error { return nil }).
				WithStaff(staff).WithOIDC(o))
			t.Cleanup(srv.Close)

			jar, _ := cookiejar.New(nil)
			browser := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
			get := func(path string) (*http.Response, []byte) {
				t.Helper()
				resp, err := browser.Get(srv.URL + path)
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				b, _ := io.ReadAll(resp.Body)
				return resp, b
			}
			start := func() string {
				t.Helper()
				resp, _ := get("/v1/login/oidc")
				if resp.StatusCode != http.StatusFound || resp.Header.Get("Set-Cookie") == "" {
					t.Fatalf("start: %d %v", resp.StatusCode, resp.Header)
				}
				return resp.Header.Get("Location")
			}
			stateOf := func(authURL string) string {
				u, _ := url.Parse(authURL)
				return u.Query().Get("state")
			}

			// The person signs in at the directory and comes back with a code.
			auth := start()
			idp.Approve(t, auth, "code-1", map[string]any{"sub": "7", "preferred_username": "a.serikova"})
			resp, body := get("/v1/login/oidc/callback?code=code-1&state=" + url.QueryEscape(stateOf(auth)))
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("callback: %d %s", resp.StatusCode, body)
			}
			var out api.LoginOut
			if err := json.Unmarshal(body, &out); err != nil {
				t.Fatal(err)
			}
			if _, err := client.New(srv.URL, out.Token).Lookup(ctx, "appeals", "iin", iin); err != nil {
				t.Fatalf("the session of a directory sign-in: %v", err)
			}

			// A callback this browser did not start (another state), or
			// whose cookie is gone, is refused.
			auth = start()
			idp.Approve(t, auth, "code-2", map[string]any{"sub": "7", "preferred_username": "a.serikova"})
			if resp, body := get("/v1/login/oidc/callback?code=code-2&state=forged"); resp.StatusCode != http.StatusBadRequest {
				t.Fatalf("a forged state: %d %s", resp.StatusCode, body)
			}
			// A person derbes has no account for.
			auth = start()
			idp.Approve(t, auth, "code-3", map[string]any{"sub": "8", "preferred_username": "stranger"})
			if resp, body := get("/v1/login/oidc/callback?code=code-3&state=" + url.QueryEscape(stateOf(auth))); resp.StatusCode != http.StatusUnauthorized {
				t.Fatalf("a person without an account: %d %s", resp.StatusCode, body)
			}
			// The cookie is spent: the same callback again is refused.
			if resp, _ := get("/v1/login/oidc/callback?code=code-3&state=" + url.QueryEscape(stateOf(auth))); resp.StatusCode != http.StatusBadRequest {
				t.Fatalf("a callback replayed: %d", resp.StatusCode)
			}

			// A server without a provider has no such route.
			plain := httptest.NewServer(api.New(v, access.NewKeys(env.Store), slog.New(slog.DiscardHandler), func(context.Context) error { return nil }))
			t.Cleanup(plain.Close)
			if resp, err := http.Get(plain.URL + "/v1/login/oidc"); err != nil || resp.StatusCode != http.StatusNotFound {
				t.Fatalf("without a provider: %v %v", resp, err)
			}
		})
	}
}
