package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// The embedded store: data in DIR/derbes.db, keys in DIR/keys.db, each with
// one writer connection (the key store commits apart: see keySide). WAL
// journal, synchronous=FULL: a commit is on disk when Write returns.
// secure_delete overwrites deleted content, so a shredded data key does not
// linger in free pages.
type sqliteDialect struct {
	db        *sql.DB // the writer's pool: one connection, conn
	conn      *sql.Conn
	stmts     *stmtCache // statements prepared on conn
	read      *sql.DB
	readStmts *stmtCache // statements prepared on read
	dir       string
	key       *sqliteKeys
}

// sqliteKeys is the key store's own writer connection.
type sqliteKeys struct {
	db   *sql.DB
	conn *sql.Conn
	*stmtCache
}

func (d *sqliteDialect) keys() keySide { return d.key }

// commit runs stmts in one transaction of keys.db.
func (k *sqliteKeys) commit(ctx context.Context, stmts []stmt) (err error) {
	if _, err := k.conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		return err
	}
	defer func() {
		if err != nil {
			k.conn.ExecContext(ctx, "ROLLBACK")
		}
	}()
	for _, st := range stmts {
		if _, err := k.ExecContext(ctx, st.query, st.args...); err != nil {
			return err
		}
	}
	_, err = k.conn.ExecContext(ctx, "COMMIT")
	return err
}

const (
	dataFile = "derbes.db"
	keysFile = "keys.db"
)

func sqliteDSN(path string, readOnly bool) string {
	v := url.Values{}
	for _, p := range []string{"busy_timeout(10000)", "journal_mode(WAL)", "synchronous(FULL)", "foreign_keys(ON)", "secure_delete(ON)",
		// Statement journals (one per savepoint of a group commit) and
		// temporary tables in memory: they are scratch, never part of
		// what a commit makes durable.
		"temp_store(MEMORY)"} {
		v.Add("_pragma", p)
	}
	if readOnly {
		v.Set("mode", "ro")
	} else {
		v.Set("_txlock", "immediate")
	}
	return "file:" + path + "?" + v.Encode()
}

func openSQLite(ctx context.Context, cfg Config) (dialect, error) {
	dir := cfg.Dir
	if p, ok := strings.CutPrefix(cfg.URL, "sqlite:"); ok && p != "" {
		dir = p
	}
	if dir == "" {
		return nil, errors.New("store: no data directory")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	dataPath, keysPath := filepath.Join(dir, dataFile), filepath.Join(dir, keysFile)
	// Migrate each file on its own connection, so unqualified names land in
	// the right file.
	for part, p := range map[string]string{"data": dataPath, "keys": keysPath} {
		db, err := sql.Open("sqlite", sqliteDSN(p, false))
		if err != nil {
			return nil, fmt.Errorf("store: %w", err)
		}
		err = migrate(ctx, db, "sqlite", part)
		db.Close()
		if err != nil {
			return nil, err
		}
		if err := os.Chmod(p, 0o600); err != nil {
			return nil, fmt.Errorf("store: %w", err)
		}
	}
	writer, err := sql.Open("sqlite", sqliteDSN(dataPath, false))
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	writer.SetMaxOpenConns(1)
	conn, err := writer.Conn(ctx)
	if err != nil {
		writer.Close()
		return nil, fmt.Errorf("store: %w", err)
	}
	// Attached only to finish an interrupted shredding, which compares
	// the two files; then each file has its own writer.
	attach := "ATTACH DATABASE '" + strings.ReplaceAll(keysPath, "'", "''") + "' AS keys"
	for _, stmt := range []string{attach, "PRAGMA keys.secure_delete=ON"} {
		if _, err := conn.ExecContext(ctx, stmt); err != nil {
			conn.Close()
			writer.Close()
			return nil, fmt.Errorf("store: %s: %w", stmt, err)
		}
	}
	err = finishShredding(ctx, conn)
	if err == nil {
		_, err = conn.ExecContext(ctx, "DETACH DATABASE keys")
	}
	if err != nil {
		conn.Close()
		writer.Close()
		return nil, err
	}
	key, err := openSQLiteKeys(ctx, keysPath)
	if err != nil {
		conn.Close()
		writer.Close()
		return nil, err
	}
	read, err := sql.Open("sqlite", sqliteDSN(dataPath, true))
	if err != nil {
		key.close()
		conn.Close()
		writer.Close()
		return nil, fmt.Errorf("store: %w", err)
	}
	// All eight kept open: database/sql keeps two idle by default, and
	// opening another (its pragmas, its statements prepared again) cost
	// more than the reads it served.
	read.SetMaxOpenConns(8)
	read.SetMaxIdleConns(8)
	stmts := newStmtCache(conn)
	stmts.allow(savepointSet, savepointRelease, savepointRollback)
	return &sqliteDialect{db: writer, conn: conn, stmts: stmts, read: read, readStmts: newStmtCache(read), dir: dir, key: key}, nil
}

// openSQLiteKeys opens the key store's writer connection.
func openSQLiteKeys(ctx context.Context, path string) (*sqliteKeys, error) {
	db, err := sql.Open("sqlite", sqliteDSN(path, false))
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	db.SetMaxOpenConns(1)
	conn, err := db.Conn(ctx)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("store: %w", err)
	}
	return &sqliteKeys{db: db, conn: conn, stmtCache: newStmtCache(conn)}, nil
}

func (k *sqliteKeys) close() error {
	return errors.Join(k.stmtCache.close(), k.conn.Close(), k.db.Close())
}

func (d *sqliteDialect) name() string { return "sqlite" }

func (d *sqliteDialect) begin(ctx context.Context) (*sql.Tx, wconn, error) {
	tx, err := d.conn.BeginTx(ctx, nil)
	if err != nil {
		return nil, nil, err
	}
	return tx, sqliteConn{d.stmts}, nil
}

// sqliteConn runs a batch's statements on the writer connection, where its
// transaction is open, as statements prepared once (stmtCache).
type sqliteConn struct{ *stmtCache }

// pipeline runs the statements one after the other: they are calls into
// the library, not round trips.
func (c sqliteConn) pipeline(ctx context.Context, stmts []stmt) (sql.Result, int, error) {
	var res sql.Result
	for i, st := range stmts {
		var err error
		if res, err = c.ExecContext(ctx, st.query, st.args...); err != nil {
			return nil, i, err
		}
	}
	return res, len(stmts), nil
}

func (sqliteConn) end() {}

// reader is the read-only pool, with the store's queries prepared once
// per connection: parsing them again at every call was a tenth of the
// CPU of API reads and lookups (the revocation check runs on every
// request).
func (d *sqliteDialect) reader() querier { return d.readStmts }

func (d *sqliteDialect) lockJournal(context.Context, *sql.Tx) error { return nil }

func (d *sqliteDialect) prepare(queries map[string]string) {
	for name, t := range queries {
		if keyStatements[name] != keyNone {
			d.key.allow(t)
		} else {
			d.stmts.allow(t)
			d.readStmts.allow(t)
		}
	}
}

func (d *sqliteDialect) conflict(err error) bool {
	var se *sqlite.Error
	if errors.As(err, &se) {
		c := se.Code()
		return c == sqlite3.SQLITE_CONSTRAINT_UNIQUE || c == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
	}
	return false
}

func (d *sqliteDialect) size(context.Context) (int64, error) {
	var total int64
	for _, f := range []string{dataFile, keysFile} {
		for _, suffix := range []string{"", "-wal"} {
			st, err := os.Stat(filepath.Join(d.dir, f+suffix))
			if err == nil {
				total += st.Size()
			}
		}
	}
	return total, nil
}

func (d *sqliteDialect) close() error {
	return errors.Join(d.stmts.close(), d.conn.Close(), d.db.Close(), d.readStmts.close(), d.read.Close(), d.key.close())
}

// backup writes a consistent copy of the data (and, if keys is true, of the
// key store) into dir while the store serves: VACUUM INTO, on a read-only
// connection of its own, copies one snapshot and never blocks the writer.
func (d *sqliteDialect) backup(ctx context.Context, dir string, keys bool) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("store: %w", err)
	}
	files := []string{dataFile}
	if keys {
		files = append(files, keysFile)
	}
	for _, name := range files {
		target := filepath.Join(dir, name)
		if _, err := os.Stat(target); err == nil {
			return fmt.Errorf("store: %s already exists; back up into an empty directory", target)
		}
		db, err := sql.Open("sqlite", sqliteDSN(filepath.Join(d.dir, name), true))
		if err != nil {
			return fmt.Errorf("store: %w", err)
		}
		_, err = db.ExecContext(ctx, "VACUUM INTO '"+strings.ReplaceAll(target, "'", "''")+"'")
		db.Close()
		if err != nil {
			return fmt.Errorf("store: backup of %s: %w", name, err)
		}
		if err := os.Chmod(target, 0o600); err != nil {
			return fmt.Errorf("store: %w", err)
		}
	}
	return nil
}

// finishShredding deletes the data keys of subjects and records that the
// data file says are destroyed. A batch commits the data first and the
// shredding of their keys after (keySide), so a crash between the two
// leaves a destruction whose ciphertexts are gone and journaled but whose
// key survived. That key opens nothing in the current store, but it would
// open an old backup of the data; deleting it here, at every open,
// finishes the destruction the journal already records.
func finishShredding(ctx context.Context, conn *sql.Conn) error {
	res, err := conn.ExecContext(ctx, `DELETE FROM keys.data_keys WHERE owner IN (
    SELECT id FROM main.subjects WHERE state = 'destroyed'
    UNION ALL
    SELECT id FROM main.records WHERE state = 'destroyed')`)
	if err != nil {
		return fmt.Errorf("store: finishing interrupted key shredding: %w", err)
	}
	if n, _ := res.RowsAffected(); n > 0 {
		slog.Warn("store: a destruction interrupted by a crash left data keys behind; they are now deleted", slog.Int64("keys", n))
	}
	return nil
}
