// Package access decides who is calling: API keys for applications now,
// staff accounts later. Each principal is bound to a role of the policy;
// what a role may do is decided by the vault against the active policy.
package access

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"time"

	"github.com/derbes/derbes/journal"
	"github.com/derbes/derbes/store"
)

// ErrBadKey means the key is unknown, malformed or revoked. Which one is not
// said: a caller guessing keys learns nothing.
var ErrBadKey = errors.New("access: invalid or revoked API key")

// Principal is an authenticated caller.
type Principal struct {
	// ID names the caller in the journal: "apikey:<key id>".
	ID   string
	Role string
}

// Keys issues and checks API keys. A key looks like
// "dbs_<12 hex id>_<43 base64url secret>"; only the SHA-256 of the secret
// is stored, so the key is shown once, at creation.
type Keys struct {
	store *store.Store
	now   func() time.Time

	mu    sync.Mutex
	cache map[string]cached
	// gen is the revocation generation the cache was last seen under.
	gen int64
}

type cached struct {
	hash [32]byte
	p    Principal
	// gen is the revocation generation read before the key was checked:
	// the entry is good only while the store's generation is still gen.
	gen     int64
	touched time.Time
}

// NewKeys returns the API key service over s.
func NewKeys(s *store.Store) *Keys {
	return &Keys{store: s, now: time.Now, cache: map[string]cached{}}
}

// Create issues a key for role (the caller checks the role exists) and
// returns the key, to be shown once.
func (k *Keys) Create(ctx context.Context, actor, role, label string) (string, *store.APIKey, error) {
	idb := make([]byte, 6)
	secret := make([]byte, 32)
	if _, err := rand.Read(idb); err != nil {
		return "", nil, err
	}
	if _, err := rand.Read(secret); err != nil {
		return "", nil, err
	}
	sec := base64.RawURLEncoding.EncodeToString(secret)
	sum := sha256.Sum256([]byte(sec))
	key := &store.APIKey{ID: hex.EncodeToString(idb), SecretHash: sum[:], Role: role, Label: label, CreatedAt: k.now()}
	err := k.store.Write(ctx, func(tx *store.Tx) error {
		if err := tx.APIKeyInsert(ctx, key); err != nil {
			return err
		}
		d, _ := json.Marshal(map[string]string{"key": key.ID, "role": role})
		return tx.JournalAppend(ctx, &journal.Entry{Actor: actor, Action: journal.APIKeyCreate, Outcome: journal.OK, Detail: string(d)})
	})
	if err != nil {
		return "", nil, err
	}
	return "dbs_" + key.ID + "_" + sec, key, nil
}

// Revoke revokes a key at once on every node: the revocation bumps the
// store's revocation generation, which every node reads on each request
// before it trusts its cache.
func (k *Keys) Revoke(ctx context.Context, actor, id string) error {
	err := k.store.Write(ctx, func(tx *store.Tx) error {
		if err := tx.APIKeyRevoke(ctx, id, k.now()); err != nil {
			return err
		}
		d, _ := json.Marshal(map[string]string{"key": id})
		return tx.JournalAppend(ctx, &journal.Entry{Actor: actor, Action: journal.APIKeyRevoke, Outcome: journal.OK, Detail: string(d)})
	})
	k.mu.Lock()
	delete(k.cache, id)
	k.mu.Unlock()
	return err
}

// Authenticate checks a presented key.
func (k *Keys) Authenticate(ctx context.Context, presented string) (Principal, error) {
	rest, ok := strings.CutPrefix(presented, "dbs_")
	if !ok || len(rest) != 12+1+43 || rest[12] != '_' {
		return Principal{}, ErrBadKey
	}
	id, sec := rest[:12], rest[13:]
	sum := sha256.Sum256([]byte(sec))
	now := k.now()

	// One cheap read (a one-row table) per request: when any node revoked
	// anything since this node cached the key, the entry is not trusted.
	var gen int64
	if err := k.store.Read(ctx, func(r *store.Reader) error {
		var err error
		gen, err = r.RevocationGeneration(ctx)
		return err
	}); err != nil {
		return Principal{}, err
	}
	k.mu.Lock()
	if gen > k.gen {
		// Something was revoked somewhere: check every key again.
		clear(k.cache)
		k.gen = gen
	}
	c, hit := k.cache[id]
	k.mu.Unlock()
	if hit && c.gen == gen {
		if subtle.ConstantTimeCompare(c.hash[:], sum[:]) != 1 {
			return Principal{}, ErrBadKey
		}
		return c.p, nil
	}
	var key *store.APIKey
	err := k.store.Read(ctx, func(r *store.Reader) error {
		var err error
		key, err = r.APIKeyGet(ctx, id)
		return err
	})
	if errors.Is(err, store.ErrNotFound) {
		return Principal{}, ErrBadKey
	}
	if err != nil {
		return Principal{}, err
	}
	if key.RevokedAt != nil || subtle.ConstantTimeCompare(key.SecretHash, sum[:]) != 1 {
		return Principal{}, ErrBadKey
	}
	p := Principal{ID: "apikey:" + id, Role: key.Role}
	c = cached{hash: sum, p: p, gen: gen, touched: c.touched}
	if key.LastUsedAt == nil || now.Sub(*key.LastUsedAt) > time.Minute {
		// Last use is kept to the minute; it is bookkeeping, not the journal
		// (every action the key takes is journaled on its own).
		if now.Sub(c.touched) > time.Minute {
			c.touched = now
			go k.store.Write(context.Background(), func(tx *store.Tx) error { return tx.APIKeyTouch(context.Background(), id, now) })
		}
	}
	k.mu.Lock()
	k.cache[id] = c
	k.mu.Unlock()
	return p, nil
}

// List returns every key (without secrets).
func (k *Keys) List(ctx context.Context) ([]*store.APIKey, error) {
	var out []*store.APIKey
	err := k.store.Read(ctx, func(r *store.Reader) error {
		var err error
		out, err = r.APIKeyList(ctx)
		return err
	})
	return out, err
}
