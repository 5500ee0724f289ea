package access_test

import (
	"context"
	"errors"
	"testing"

	"github.com/derbes/derbes/access"
	"github.com/derbes/derbes/store"
	"github.com/derbes/derbes/store/storetest"
)

// twoNodes opens the same data twice, as two servers would: on PostgreSQL
// two stores on the same schemas; the embedded store belongs to one
// process, so there the two nodes share it but keep their own caches.
func twoNodes(t *testing.T, d string) (*storetest.Env, *store.Store) {
	t.Helper()
	env := storetest.Open(t, d)
	if d != "postgres" {
		return env, env.Store
	}
	other, err := store.Open(context.Background(), env.Config)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { other.Close() })
	return env, other
}

func TestARevokedKeyFailsAtOnceOnEveryNode(t *testing.T) {
	t.Parallel()
	for _, d := range storetest.Dialects {
		t.Run(d, func(t *testing.T) {
			t.Parallel()
			env, other := twoNodes(t, d)
			ctx := context.Background()
			a, b := access.NewKeys(env.Store), access.NewKeys(other)
			key, meta, err := a.Create(ctx, "test", "app", "shop")
			if err != nil {
				t.Fatal(err)
			}
			keep, _, err := a.Create(ctx, "test", "app", "crm")
			if err != nil {
				t.Fatal(err)
			}
			// Node b checks both keys and caches them.
			for _, k := range []string{key, keep, key} {
				if _, err := b.Authenticate(ctx, k); err != nil {
					t.Fatal(err)
				}
			}
			if err := a.Revoke(ctx, "test", meta.ID); err != nil {
				t.Fatal(err)
			}
			if _, err := b.Authenticate(ctx, key); !errors.Is(err, access.ErrBadKey) {
				t.Fatalf("the other node accepted a key revoked a moment ago: %v", err)
			}
			if p, err := b.Authenticate(ctx, keep); err != nil || p.Role != "app" {
				t.Fatalf("a key nobody revoked stopped working: %+v %v", p, err)
			}
		})
	}
}

// BenchmarkAuthenticateCached is the cost per request of checking a cached
// key, revocation generation read included.
func BenchmarkAuthenticateCached(b *testing.B) {
	for _, d := range storetest.Dialects {
		b.Run(d, func(b *testing.B) {
			env := storetest.Open(b, d)
			ctx := context.Background()
			k := access.NewKeys(env.Store)
			key, _, err := k.Create(ctx, "bench", "app", "bench")
			if err != nil {
				b.Fatal(err)
			}
			if _, err := k.Authenticate(ctx, key); err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			for b.Loop() {
				if _, err := k.Authenticate(ctx, key); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
