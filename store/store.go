// Package store keeps derbes's data in one of two databases: the embedded
// store (SQLite, the default: two files in the data directory) or
// PostgreSQL (two schemas). Both run the same methods; what differs between
// them is the dialect type and the SQL files in queries/ and migrations/.
//
// Data and keys are apart: the data store holds subjects, encrypted records,
// blind indexes, the journal and API keys; the key store holds the wrapped
// data keys. A copy of the data store alone opens nothing.
//
// Writes are group-committed: concurrent calls to Write are run together in
// one database transaction, each that changes data inside its own
// savepoint, so that one fsync serves many requests while a failing call
// rolls back only its own work. Every Write may append journal entries;
// they are chained and the journal's signed head is updated in the same
// transaction. The journal's statements are sent at the end of the batch
// (or before anything that reads the journal), in one round trip on
// PostgreSQL; on the embedded store the writer's statements are prepared
// once. docs/performance.md tells what each of these is worth.
package store

import (
	"context"
	"crypto/ed25519"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Errors returned by the store.
var (
	ErrNotFound  = errors.New("store: not found")
	ErrConflict  = errors.New("store: conflicts with existing data")
	ErrClosed    = errors.New("store: closed")
	ErrWrongKeys = errors.New("store: the keyring does not match this data")
)

//go:embed queries/*.sql migrations
var files embed.FS

// Config says which database to open.
type Config struct {
	// URL is "postgres://…" for PostgreSQL; empty (or "sqlite:") for the
	// embedded store in Dir.
	URL string
	// Dir is the data directory of the embedded store.
	Dir string
	// Schema is the PostgreSQL schema for data; keys go to Schema+"_keys".
	// Default "derbes".
	Schema string
	// Signer signs the journal head after each commit.
	Signer ed25519.PrivateKey
	// MaxBatch bounds how many writes share one transaction (default 256).
	MaxBatch int
}

// Store is an open data store and key store.
type Store struct {
	d       dialect
	q       map[string]string
	signer  ed25519.PrivateKey
	queue   chan *op
	quit    chan struct{}
	done    chan struct{}
	closing sync.Once
	max     int
	now     func() time.Time

	commits, writes, busy atomic.Int64 // see Stats
	// deferrable holds the texts of the journal's statements, which a
	// batch defers (batchWriter).
	deferrable map[string]bool
	// keyRoles says, by text, what each statement on the key store does,
	// where the key store commits apart from the data (the embedded store;
	// see keySide); nil elsewhere.
	keyRoles map[string]keyRole
	// lateDeaths are shreddings and re-wraps whose commit after their
	// batch's failed: the next batch tries them again. Only the writer
	// goroutine touches it.
	lateDeaths []stmt
}

// op is one call to Write waiting for its batch.
type op struct {
	ctx  context.Context
	fn   func(*Tx) error
	done chan error
}

// dialect is what differs between the databases.
type dialect interface {
	name() string
	// begin starts a write transaction, and returns where the batch's
	// statements run in it.
	begin(ctx context.Context) (*sql.Tx, wconn, error)
	// reader is where reads outside write transactions run.
	reader() querier
	// lockJournal serialises writers of the journal within tx: a no-op on
	// SQLite (one writer), an advisory lock on PostgreSQL (several nodes).
	lockJournal(ctx context.Context, tx *sql.Tx) error
	// prepare tells the dialect the store's queries by name, which its
	// writer may prepare once.
	prepare(queries map[string]string)
	// conflict reports whether err is a unique-constraint violation.
	conflict(err error) bool
	// size returns the bytes the store occupies.
	size(ctx context.Context) (int64, error)
	// commitProbe opens a scratch table for measuring the database's own
	// commit rate (CommitProbe).
	commitProbe(ctx context.Context) (*CommitProbe, error)
	// backup writes a consistent copy into dir.
	backup(ctx context.Context, dir string, keys bool) error
	// keys is the key store where it commits apart from the data, or nil
	// where one transaction holds both (PostgreSQL).
	keys() keySide
	close() error
}

// Open opens (creating and migrating as needed) the store cfg names.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	var d dialect
	var err error
	switch {
	case strings.HasPrefix(cfg.URL, "postgres://"), strings.HasPrefix(cfg.URL, "postgresql://"):
		d, err = openPostgres(ctx, cfg)
	case cfg.URL == "", cfg.URL == "sqlite:", strings.HasPrefix(cfg.URL, "sqlite:"):
		d, err = openSQLite(ctx, cfg)
	default:
		return nil, fmt.Errorf("store: unknown database URL scheme (want postgres://… or empty for the embedded store)")
	}
	if err != nil {
		return nil, err
	}
	q, err := queries(d.name())
	if err != nil {
		d.close()
		return nil, err
	}
	d.prepare(q)
	s := &Store{
		d: d, q: q, signer: cfg.Signer,
		queue: make(chan *op, 4096), quit: make(chan struct{}), done: make(chan struct{}),
		max: cfg.MaxBatch, now: time.Now,
	}
	if s.max <= 0 {
		s.max = 256
	}
	s.deferrable = map[string]bool{}
	for _, name := range []string{"JournalInsert", "JournalHeadPut", "CheckpointInsert"} {
		s.deferrable[s.sql(name)] = true
	}
	if d.keys() != nil {
		s.keyRoles = map[string]keyRole{}
		for name, role := range keyStatements {
			s.keyRoles[s.sql(name)] = role
		}
	}
	go s.loop()
	return s, nil
}

// Dialect names the database: "sqlite" or "postgres".
func (s *Store) Dialect() string { return s.d.name() }

// Backup writes a consistent copy of the embedded store into dir while it
// serves: the data, and the key store too only when keys is true (keep key
// backups apart and short-lived: a key-store backup brings destroyed
// subjects back to anyone who also has an old data backup).
func (s *Store) Backup(ctx context.Context, dir string, keys bool) error {
	return s.d.backup(ctx, dir, keys)
}

// Size returns the bytes the store occupies on disk (data and keys).
func (s *Store) Size(ctx context.Context) (int64, error) { return s.d.size(ctx) }

// Close stops accepting writes, finishes those queued and closes the
// database. It is safe to call twice.
func (s *Store) Close() error {
	var err error
	s.closing.Do(func() {
		close(s.quit)
		<-s.done
		err = s.d.close()
	})
	return err
}

// queries loads the named queries of a dialect from queries/NAME.sql.
func queries(dialect string) (map[string]string, error) {
	b, err := fs.ReadFile(files, "queries/"+dialect+".sql")
	if err != nil {
		return nil, err
	}
	return parseQueries(string(b))
}

func parseQueries(src string) (map[string]string, error) {
	q := map[string]string{}
	var name string
	var body strings.Builder
	flush := func() error {
		if name == "" {
			return nil
		}
		if _, dup := q[name]; dup {
			return fmt.Errorf("store: query %s defined twice", name)
		}
		q[name] = strings.TrimSpace(body.String())
		body.Reset()
		return nil
	}
	for _, line := range strings.Split(src, "\n") {
		if n, ok := strings.CutPrefix(line, "-- name: "); ok {
			if err := flush(); err != nil {
				return nil, err
			}
			name = strings.TrimSpace(n)
			continue
		}
		if name != "" && !strings.HasPrefix(strings.TrimSpace(line), "--") {
			body.WriteString(line + "\n")
		}
	}
	return q, flush()
}

func (s *Store) sql(name string) string {
	q, ok := s.q[name]
	if !ok {
		panic("store: no query " + name) // every name is checked by a test
	}
	return q
}

func micros(t time.Time) int64 { return t.UnixMicro() }

func fromMicros(us int64) time.Time { return time.UnixMicro(us).UTC() }

func nullMicros(n sql.NullInt64) *time.Time {
	if !n.Valid {
		return nil
	}
	t := fromMicros(n.Int64)
	return &t
}
