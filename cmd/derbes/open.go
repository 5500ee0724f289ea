package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"

	"github.com/derbes/derbes/keys"
	"github.com/derbes/derbes/store"
	"github.com/derbes/derbes/vault"
)

// instance is an opened derbes: keyring, store and vault.
type instance struct {
	ring  *keys.Ring
	store *store.Store
	vault *vault.Vault
}

// openActive opens derbes with the policy in force resumed, as every
// command that acts on personal data needs it.
func (g *Globals) openActive(ctx context.Context) (*instance, error) {
	in, err := g.open(ctx)
	if err != nil {
		return nil, err
	}
	if _, err := in.vault.Resume(ctx); err != nil {
		in.close()
		return nil, err
	}
	return in, nil
}

// loadKeyring reads the keyring from DERBES_KEYRING (its JSON content, for
// deployments that inject secrets through the environment) or the file.
func (g *Globals) loadKeyring() (*keys.Ring, error) {
	if v := os.Getenv("DERBES_KEYRING"); v != "" {
		return keys.Parse([]byte(v))
	}
	return keys.Load(g.Keyring)
}

// open opens the store and the vault.
func (g *Globals) open(ctx context.Context) (*instance, error) {
	ring, err := g.loadKeyring()
	if err != nil {
		return nil, err
	}
	s, err := store.Open(ctx, store.Config{URL: g.DB, Dir: g.DataDir, Schema: g.Schema, Signer: ring.JournalKey()})
	if err != nil {
		return nil, err
	}
	cal, err := g.calendar()
	if err != nil {
		s.Close()
		return nil, err
	}
	push, err := loadPushers(g.logger())
	if err != nil {
		s.Close()
		return nil, err
	}
	v, err := vault.Open(ctx, s, ring)
	if err == nil {
		v.WithCalendar(cal.Lenient())
		if push != nil {
			v.WithPusher(push)
		}
	}
	if err != nil {
		s.Close()
		if errors.Is(err, store.ErrWrongKeys) {
			return nil, fmt.Errorf("the keyring %s does not open this data (%v); use the keyring created with this data directory", g.Keyring, err)
		}
		return nil, err
	}
	return &instance{ring: ring, store: s, vault: v}, nil
}

func (i *instance) close() { i.store.Close() }

func (g *Globals) logger() *slog.Logger {
	var lvl slog.Level
	lvl.UnmarshalText([]byte(g.LogLevel))
	return slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: lvl}))
}
