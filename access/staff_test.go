package access_test

import (
	"context"
	"encoding/base32"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/derbes/derbes/access"
	"github.com/derbes/derbes/journal"
	"github.com/derbes/derbes/store"
	"github.com/derbes/derbes/store/storetest"
)

// cheap keeps argon2 fast in tests; production uses DefaultArgon2.
var cheap = &access.Argon2{Time: 1, Memory: 1024, Threads: 1}

func TestStaffSignInWithPasswordAndSecondFactor(t *testing.T) {
	t.Parallel()
	for _, d := range storetest.Dialects {
		t.Run(d, func(t *testing.T) {
			t.Parallel()
			env := storetest.Open(t, d)
			ctx := context.Background()
			st := access.NewStaff(env.Store, env.Ring, cheap)
			c, err := st.Create(ctx, "test", access.NewAccount{Login: "aigerim", Name: "Айгерім", Role: "app", Password: "correct horse battery", TOTP: true})
			if err != nil {
				t.Fatal(err)
			}
			secret, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(c.TOTPSecret)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := st.Login(ctx, "aigerim", "correct horse battery", ""); !errors.Is(err, access.ErrLogin) {
				t.Fatalf("without the second factor: %v", err)
			}
			token, err := st.Login(ctx, "aigerim", "correct horse battery", access.TOTP(secret, time.Now()))
			if err != nil {
				t.Fatal(err)
			}
			p, err := st.AuthenticateSession(ctx, token)
			if err != nil || p.ID != "staff:aigerim" || p.Role != "app" {
				t.Fatalf("session: %+v %v", p, err)
			}
			if _, err := st.Create(ctx, "test", access.NewAccount{Login: "short", Role: "app", Password: "short"}); err == nil {
				t.Fatal("a short password was accepted")
			}
			if err := st.Disable(ctx, "test", "aigerim"); err != nil {
				t.Fatal(err)
			}
			if _, err := st.AuthenticateSession(ctx, token); !errors.Is(err, access.ErrBadKey) {
				t.Fatalf("a disabled account's session: %v", err)
			}
		})
	}
}

func TestPasswordGuessingIsThrottled(t *testing.T) {
	t.Parallel()
	for _, d := range storetest.Dialects {
		t.Run(d, func(t *testing.T) {
			t.Parallel()
			env := storetest.Open(t, d)
			ctx := context.Background()
			st := access.NewStaff(env.Store, env.Ring, cheap)
			if _, err := st.Create(ctx, "test", access.NewAccount{Login: "erlan", Name: "Ерлан", Role: "app", Password: "the right password"}); err != nil {
				t.Fatal(err)
			}
			for i := range access.MaxFailures {
				if _, err := st.Login(ctx, "erlan", "guess", ""); !errors.Is(err, access.ErrLogin) {
					t.Fatalf("guess %d: %v", i, err)
				}
			}
			if _, err := st.Login(ctx, "erlan", "the right password", ""); !errors.Is(err, access.ErrLocked) {
				t.Fatalf("the right password during the lockout: %v", err)
			}
			if _, err := st.Login(ctx, "nobody", "x", ""); !errors.Is(err, access.ErrLogin) {
				t.Fatalf("an unknown login: %v", err)
			}
		})
	}
}

func TestARevokedKeyFailsAtOnce(t *testing.T) {
	t.Parallel()
	for _, d := range storetest.Dialects {
		t.Run(d, func(t *testing.T) {
			t.Parallel()
			env := storetest.Open(t, d)
			ctx := context.Background()
			k := access.NewKeys(env.Store)
			key, row, err := k.Create(ctx, "test", "app", "")
			if err != nil {
				t.Fatal(err)
			}
			if _, err := k.Authenticate(ctx, key); err != nil {
				t.Fatal(err)
			}
			if err := k.Revoke(ctx, "test", row.ID); err != nil {
				t.Fatal(err)
			}
			if _, err := k.Authenticate(ctx, key); !errors.Is(err, access.ErrBadKey) {
				t.Fatalf("a revoked key: %v", err)
			}
		})
	}
}

// journal returns every entry of the store's journal.
func journalOf(t *testing.T, env *storetest.Env) []*journal.Entry {
	t.Helper()
	var out []*journal.Entry
	err := env.Store.Read(context.Background(), func(r *store.Reader) error {
		var err error
		out, err = r.JournalRange(context.Background(), 0, 10000)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestSignInHardening(t *testing.T) {
	t.Parallel()
	for _, d := range storetest.Dialects {
		t.Run(d, func(t *testing.T) {
			t.Parallel()
			env := storetest.Open(t, d)
			ctx := context.Background()
			st := access.NewStaff(env.Store, env.Ring, cheap)
			c, err := st.Create(ctx, "test", access.NewAccount{Login: "dana", Name: "Дана", Role: "app", Password: "correct horse battery", TOTP: true})
			if err != nil {
				t.Fatal(err)
			}
			secret, _ := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(c.TOTPSecret)

			t.Run("a TOTP code works once", func(t *testing.T) {
				code := access.TOTP(secret, time.Now())
				if _, err := st.Login(ctx, "dana", "correct horse battery", code); err != nil {
					t.Fatal(err)
				}
				if _, err := st.Login(ctx, "dana", "correct horse battery", code); !errors.Is(err, access.ErrLogin) {
					t.Fatalf("the same code a second time: %v", err)
				}
			})

			t.Run("a refused sign-in of an unknown login is journaled without the name", func(t *testing.T) {
				if _, err := st.Login(ctx, "zhanna.s.1990", "some password", ""); !errors.Is(err, access.ErrLogin) {
					t.Fatal(err)
				}
				var found bool
				for _, e := range journalOf(t, env) {
					if strings.Contains(e.Detail, "zhanna") || strings.Contains(e.Actor, "zhanna") || strings.Contains(e.Detail, "some password") {
						t.Fatalf("the journal holds the login tried or the password: %+v", e)
					}
					if e.Action == "staff.login" && e.Actor == "staff:unknown" && e.Outcome == journal.Denied {
						found = true
					}
				}
				if !found {
					t.Fatal("no refused sign-in in the journal")
				}
			})

			t.Run("signing out ends the session at once", func(t *testing.T) {
				if _, err := st.Create(ctx, "test", access.NewAccount{Login: "marat", Name: "Марат", Role: "app", Password: "another long password"}); err != nil {
					t.Fatal(err)
				}
				token, err := st.Login(ctx, "marat", "another long password", "")
				if err != nil {
					t.Fatal(err)
				}
				other, err := st.Login(ctx, "marat", "another long password", "")
				if err != nil {
					t.Fatal(err)
				}
				if err := st.Logout(ctx, token); err != nil {
					t.Fatal(err)
				}
				if _, err := st.AuthenticateSession(ctx, token); !errors.Is(err, access.ErrBadKey) {
					t.Fatalf("a signed-out session: %v", err)
				}
				if err := st.Logout(ctx, token); !errors.Is(err, access.ErrBadKey) {
					t.Fatalf("signing out twice: %v", err)
				}
				if _, err := st.AuthenticateSession(ctx, other); err != nil {
					t.Fatalf("the account's other session ended too: %v", err)
				}
				var logouts int
				for _, e := range journalOf(t, env) {
					if e.Action == "staff.logout" && e.Actor == "staff:marat" {
						logouts++
					}
				}
				if logouts != 1 {
					t.Fatalf("%d sign-outs journaled, want 1", logouts)
				}
			})
		})
	}
}
