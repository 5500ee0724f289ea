package access_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/derbes/derbes/access"
	"github.com/derbes/derbes/store/storetest"
)

// idp is a fake OpenID Connect provider: it signs in whoever the test
// says, with the claims the test says.
type idp struct {
	srv    *httptest.Server
	key    *rsa.PrivateKey
	claims map[string]any // of the next ID token; nonce is filled from the code
	codes  map[string]string
	// signWith, if set, signs the next tokens instead of key: a forger.
	signWith *rsa.PrivateKey
}

func newIDP(t *testing.T) *idp {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	p := &idp{key: key, codes: map[string]string{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(map[string]any{
			"issuer": p.srv.URL, "authorization_endpoint": p.srv.URL + "/auth", "token_endpoint": p.srv.URL + "/token",
			"jwks_uri": p.srv.URL + "/jwks", "id_token_signing_alg_values_supported": []string{"RS256"},
		})
	})
	mux.HandleFunc("GET /jwks", func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &key.PublicKey, KeyID: "k1", Algorithm: "RS256", Use: "sig"}}})
	})
	mux.HandleFunc("POST /token", func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		nonce, ok := p.codes[r.Form.Get("code")]
		if !ok {
			http.Error(w, `{"error":"invalid_grant"}`, http.StatusBadRequest)
			return
		}
		sk := key
		if p.signWith != nil {
			sk = p.signWith
		}
		signer, _ := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: sk}, (&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", "k1"))
		claims := map[string]any{"iss": p.srv.URL, "aud": "derbes", "exp": time.Now().Add(time.Minute).Unix(), "iat": time.Now().Unix(), "nonce": nonce}
		for k, v := range p.claims {
			claims[k] = v
		}
		raw, err := jwt.Signed(signer).Claims(claims).Serialize()
		if err != nil {
			t.Error(err)
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"access_token": "at", "token_type": "Bearer", "id_token": raw})
	})
	p.srv = httptest.NewServer(mux)
	t.Cleanup(p.srv.Close)
	return p
}

// signIn plays the browser: it follows AuthURL to the provider, which
// "signs in" and hands back a code bound to the nonce it was given.
func (p *idp) signIn(t *testing.T, authURL, code string) {
	t.Helper()
	u, err := url.Parse(authURL)
	if err != nil {
		t.Fatal(err)
	}
	p.codes[code] = u.Query().Get("nonce")
}

func TestStaffSignInThroughOpenIDConnect(t *testing.T) {
	t.Parallel()
	for _, d := range storetest.Dialects {
		t.Run(d, func(t *testing.T) {
			t.Parallel()
			env := storetest.Open(t, d)
			ctx := context.Background()
			st := access.NewStaff(env.Store, env.Ring, cheap)
			for _, login := range []string{"a.serikova", "left"} {
				if _, err := st.Create(ctx, "test", access.NewAccount{Login: login, Name: login, Role: "security", Password: "a long enough password"}); err != nil {
					t.Fatal(err)
				}
			}
			if err := st.Disable(ctx, "test", "left"); err != nil {
				t.Fatal(err)
			}
			p := newIDP(t)
			o, err := access.NewOIDC(ctx, access.OIDCConfig{Issuer: p.srv.URL, ClientID: "derbes", ClientSecret: "s", RedirectURL: "https://derbes.example/v1/login/oidc/callback"}, st)
			if err != nil {
				t.Fatal(err)
			}

			t.Run("a directory user with an account gets a session with the account's role", func(t *testing.T) {
				nonce := access.NewState()
				p.signIn(t, o.AuthURL(access.NewState(), nonce), "c1")
				p.claims = map[string]any{"sub": "1", "preferred_username": "a.serikova"}
				token, err := o.Finish(ctx, "c1", nonce)
				if err != nil {
					t.Fatal(err)
				}
				pr, err := st.AuthenticateSession(ctx, token)
				if err != nil || pr.ID != "staff:a.serikova" || pr.Role != "security" {
					t.Fatalf("session %+v %v", pr, err)
				}
			})
			t.Run("a token for another sign-in (nonce) is refused", func(t *testing.T) {
				p.signIn(t, o.AuthURL(access.NewState(), access.NewState()), "c2")
				p.claims = map[string]any{"sub": "1", "preferred_username": "a.serikova"}
				if _, err := o.Finish(ctx, "c2", access.NewState()); !errors.Is(err, access.ErrLogin) {
					t.Fatalf("another nonce: %v", err)
				}
			})
			t.Run("a directory user without an account, or a disabled one, is refused", func(t *testing.T) {
				for i, who := range []string{"stranger", "left"} {
					nonce := access.NewState()
					code := "c3" + who
					p.signIn(t, o.AuthURL(access.NewState(), nonce), code)
					p.claims = map[string]any{"sub": "2", "preferred_username": who}
					if _, err := o.Finish(ctx, code, nonce); !errors.Is(err, access.ErrLogin) {
						t.Fatalf("%d %s: %v", i, who, err)
					}
				}
			})
			t.Run("a token signed with another key or for another issuer is refused", func(t *testing.T) {
				forger, err := rsa.GenerateKey(rand.Reader, 2048)
				if err != nil {
					t.Fatal(err)
				}
				nonce := access.NewState()
				p.signIn(t, o.AuthURL(access.NewState(), nonce), "c4")
				p.claims = map[string]any{"sub": "1", "preferred_username": "a.serikova"}
				p.signWith = forger
				_, err = o.Finish(ctx, "c4", nonce)
				p.signWith = nil
				if !errors.Is(err, access.ErrLogin) {
					t.Fatalf("a forged signature: %v", err)
				}
				p.signIn(t, o.AuthURL(access.NewState(), nonce), "c5")
				p.claims = map[string]any{"sub": "1", "preferred_username": "a.serikova", "iss": "https://elsewhere.example"}
				if _, err := o.Finish(ctx, "c5", nonce); !errors.Is(err, access.ErrLogin) {
					t.Fatalf("a foreign issuer: %v", err)
				}
			})
			t.Run("an unknown code is refused", func(t *testing.T) {
				if _, err := o.Finish(ctx, "never-issued", access.NewState()); !errors.Is(err, access.ErrLogin) {
					t.Fatalf("unknown code: %v", err)
				}
			})
		})
	}
}
