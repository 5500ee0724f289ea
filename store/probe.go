package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// CommitProbe measures what the database itself can commit, apart from
// derbes: single-row INSERTs, each its own transaction, into a scratch
// table, with the durability settings the store uses. derbes bench prints
// creates and destroys as a ratio to it, so that a slow disk or a busy
// server shows as such and not as a slow derbes.
type CommitProbe struct {
	db      *sql.DB
	insert  string
	payload []byte
	cleanup func() error
}

// CommitProbe opens a commit probe next to the store: on the embedded
// store a scratch SQLite file in a directory of its own inside the data
// directory (same disk, same pragmas: WAL, synchronous=FULL), written
// through one connection as the store's single writer is; on PostgreSQL a
// scratch table in the store's schema, written through the store's pool.
// Close removes it.
func (s *Store) CommitProbe(ctx context.Context) (*CommitProbe, error) {
	return s.d.commitProbe(ctx)
}

// Commit inserts one row in a transaction of its own, and returns once it
// is committed.
func (p *CommitProbe) Commit(ctx context.Context) error {
	_, err := p.db.ExecContext(ctx, p.insert, p.payload)
	return err
}

// Close removes the probe's table or file.
func (p *CommitProbe) Close() error { return p.cleanup() }

// probePayload is about the size of a journal entry.
var probePayload = make([]byte, 200)

func (d *sqliteDialect) commitProbe(ctx context.Context) (*CommitProbe, error) {
	dir, err := os.MkdirTemp(d.dir, "commit-probe-")
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	db, err := sql.Open("sqlite", sqliteDSN(filepath.Join(dir, "probe.db"), false))
	if err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("store: %w", err)
	}
	db.SetMaxOpenConns(1)
	cleanup := func() error { return errors.Join(db.Close(), os.RemoveAll(dir)) }
	if _, err := db.ExecContext(ctx, "CREATE TABLE probe (id INTEGER PRIMARY KEY, v BLOB NOT NULL)"); err != nil {
		cleanup()
		return nil, fmt.Errorf("store: commit probe: %w", err)
	}
	return &CommitProbe{db: db, insert: "INSERT INTO probe (v) VALUES (?)", payload: probePayload, cleanup: cleanup}, nil
}

func (d *postgresDialect) commitProbe(ctx context.Context) (*CommitProbe, error) {
	table := d.schema + ".commit_probe"
	if _, err := d.db.ExecContext(ctx, "CREATE TABLE IF NOT EXISTS "+table+" (id bigserial PRIMARY KEY, v bytea NOT NULL)"); err != nil {
		return nil, fmt.Errorf("store: commit probe: %w", err)
	}
	cleanup := func() error {
		_, err := d.db.Exec("DROP TABLE IF EXISTS " + table)
		return err
	}
	return &CommitProbe{db: d.db, insert: "INSERT INTO " + table + " (v) VALUES ($1)", payload: probePayload, cleanup: cleanup}, nil
}
