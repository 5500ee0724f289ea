package access_test

import (
	"context"
	"encoding/base32"
	"errors"
	"testing"
	"time"

	"github.com/derbes/derbes/access"
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
