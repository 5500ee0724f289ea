package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/derbes/derbes/store"
	"github.com/derbes/derbes/store/storetest"
)

func TestStaffLanguageIsRememberedPerAccount(t *testing.T) {
	t.Parallel()
	for _, d := range storetest.Dialects {
		t.Run(d, func(t *testing.T) {
			t.Parallel()
			env := storetest.Open(t, d)
			ctx := context.Background()
			now := time.Now().UTC().Truncate(time.Microsecond)
			err := env.Store.Write(ctx, func(tx *store.Tx) error {
				return tx.StaffInsert(ctx, &store.Staff{Login: "aliya", Name: "Әлия", Role: "responsible", PasswordHash: "x", CreatedAt: now})
			})
			if err != nil {
				t.Fatal(err)
			}
			lang := func() string {
				t.Helper()
				var l string
				if err := env.Store.Read(ctx, func(r *store.Reader) error {
					var err error
					l, err = r.StaffLang(ctx, "aliya")
					return err
				}); err != nil {
					t.Fatal(err)
				}
				return l
			}
			if l := lang(); l != "" {
				t.Fatalf("a new account has chosen %q", l)
			}
			if err := env.Store.Write(ctx, func(tx *store.Tx) error { return tx.StaffLangSet(ctx, "aliya", "ru") }); err != nil {
				t.Fatal(err)
			}
			if l := lang(); l != "ru" {
				t.Fatalf("the chosen language reads back as %q", l)
			}
			err = env.Store.Write(ctx, func(tx *store.Tx) error { return tx.StaffLangSet(ctx, "nobody", "ru") })
			if !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("setting the language of no account: %v", err)
			}
		})
	}
}
