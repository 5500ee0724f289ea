package access_test

import (
	"context"
	"errors"
	"testing"

	"github.com/derbes/derbes/access"
	"github.com/derbes/derbes/access/oidctest"
	"github.com/derbes/derbes/store/storetest"
)

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
			p := oidctest.New(t)
			o, err := access.NewOIDC(ctx, access.OIDCConfig{Issuer: p.URL, ClientID: "derbes", ClientSecret: "s", RedirectURL: "https://derbes.example/v1/login/oidc/callback"}, st)
			if err != nil {
				t.Fatal(err)
			}
			finish := func(code string, claims map[string]any) (string, error) {
				nonce := access.NewState()
				p.Approve(t, o.AuthURL(access.NewState(), nonce), code, claims)
				return o.Finish(ctx, code, nonce)
			}

			t.Run("a directory user with an account gets a session with the account's role", func(t *testing.T) {
				token, err := finish("c1", map[string]any{"sub": "1", "preferred_username": "a.serikova"})
				if err != nil {
					t.Fatal(err)
				}
				pr, err := st.AuthenticateSession(ctx, token)
				if err != nil || pr.ID != "staff:a.serikova" || pr.Role != "security" {
					t.Fatalf("session %+v %v", pr, err)
				}
			})
			t.Run("a token of another sign-in (its nonce) is refused", func(t *testing.T) {
				p.Approve(t, o.AuthURL(access.NewState(), access.NewState()), "c2", map[string]any{"sub": "1", "preferred_username": "a.serikova"})
				if _, err := o.Finish(ctx, "c2", access.NewState()); !errors.Is(err, access.ErrLogin) {
					t.Fatalf("another nonce: %v", err)
				}
			})
			t.Run("a directory user without an account, or a disabled one, is refused", func(t *testing.T) {
				for _, who := range []string{"stranger", "left"} {
					if _, err := finish("c3"+who, map[string]any{"sub": "2", "preferred_username": who}); !errors.Is(err, access.ErrLogin) {
						t.Fatalf("%s: %v", who, err)
					}
				}
			})
			t.Run("a token signed with another key or for another issuer is refused", func(t *testing.T) {
				p.Forge(t, true)
				_, err := finish("c4", map[string]any{"sub": "1", "preferred_username": "a.serikova"})
				p.Forge(t, false)
				if !errors.Is(err, access.ErrLogin) {
					t.Fatalf("a forged signature: %v", err)
				}
				if _, err := finish("c5", map[string]any{"sub": "1", "preferred_username": "a.serikova", "iss": "https://elsewhere.example"}); !errors.Is(err, access.ErrLogin) {
					t.Fatalf("a foreign issuer: %v", err)
				}
			})
			t.Run("a code used twice or never issued is refused", func(t *testing.T) {
				if _, err := o.Finish(ctx, "c1", access.NewState()); !errors.Is(err, access.ErrLogin) {
					t.Fatalf("a code used twice: %v", err)
				}
			})
			t.Run("by e-mail, only a verified address signs in", func(t *testing.T) {
				byMail, err := access.NewOIDC(ctx, access.OIDCConfig{Issuer: p.URL, ClientID: "derbes", RedirectURL: "https://derbes.example/cb", Claim: "email"}, st)
				if err != nil {
					t.Fatal(err)
				}
				nonce := access.NewState()
				p.Approve(t, byMail.AuthURL(access.NewState(), nonce), "c6", map[string]any{"sub": "1", "email": "a.serikova", "email_verified": false})
				if _, err := byMail.Finish(ctx, "c6", nonce); !errors.Is(err, access.ErrLogin) {
					t.Fatalf("an unverified address: %v", err)
				}
			})
		})
	}
}
