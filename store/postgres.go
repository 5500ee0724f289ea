package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"hash/fnv"
	"net/url"
	"regexp"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
)

// PostgreSQL: data in schema S, keys in schema S_keys (a dump of S alone
// opens nothing). Several derbes nodes may share one database: writers take
// a transaction-scoped advisory lock before appending to the journal, so
// the chain has one order.
type postgresDialect struct {
	db     *sql.DB
	schema string
	lock   int64
}

var schemaName = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,40}$`)

func openPostgres(ctx context.Context, cfg Config) (dialect, error) {
	schema := cfg.Schema
	if schema == "" {
		schema = "derbes"
	}
	if !schemaName.MatchString(schema) {
		return nil, fmt.Errorf("store: schema name %q must be lower-case letters, digits and _", schema)
	}
	keys := schema + "_keys"
	open := func(searchPath string) (*sql.DB, error) {
		u, err := url.Parse(cfg.URL)
		if err != nil {
			return nil, errors.New("store: the PostgreSQL URL does not parse")
		}
		q := u.Query()
		q.Set("search_path", searchPath)
		u.RawQuery = q.Encode()
		c, err := pgx.ParseConfig(u.String())
		if err != nil {
			return nil, errors.New("store: the PostgreSQL URL is not valid")
		}
		return stdlib.OpenDB(*c), nil
	}
	admin, err := open(schema)
	if err != nil {
		return nil, err
	}
	defer admin.Close()
	for _, s := range []string{schema, keys} {
		if _, err := admin.ExecContext(ctx, "CREATE SCHEMA IF NOT EXISTS "+s); err != nil {
			return nil, fmt.Errorf("store: PostgreSQL: %w", err)
		}
	}
	for part, sp := range map[string]string{"data": schema, "keys": keys} {
		db, err := open(sp)
		if err != nil {
			return nil, err
		}
		err = migrate(ctx, db, "postgres", part)
		db.Close()
		if err != nil {
			return nil, err
		}
	}
	db, err := open(schema + "," + keys)
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(16)
	db.SetMaxIdleConns(16)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("store: PostgreSQL: %w", err)
	}
	h := fnv.New64a()
	h.Write([]byte("derbes journal " + schema))
	return &postgresDialect{db: db, schema: schema, lock: int64(h.Sum64())}, nil
}

func (d *postgresDialect) name() string { return "postgres" }

func (d *postgresDialect) begin(ctx context.Context) (*sql.Tx, wconn, error) {
	// The transaction runs on a connection of its own, so that the batch
	// can reach it through pgx to pipeline statements.
	conn, err := d.db.Conn(ctx)
	if err != nil {
		return nil, nil, err
	}
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		conn.Close()
		return nil, nil, err
	}
	return tx, &pgConn{Tx: tx, conn: conn}, nil
}

// pgConn runs a batch's statements in its transaction; several at once go
// in one pgx pipeline: one round trip to the server.
type pgConn struct {
	*sql.Tx
	conn *sql.Conn
}

func (c *pgConn) pipeline(ctx context.Context, stmts []stmt) (sql.Result, int, error) {
	if len(stmts) == 1 {
		res, err := c.ExecContext(ctx, stmts[0].query, stmts[0].args...)
		return res, 0, err
	}
	var res sql.Result
	bad := len(stmts)
	err := c.conn.Raw(func(dc any) error {
		pc, ok := dc.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("store: PostgreSQL driver %T is not pgx", dc)
		}
		b := &pgx.Batch{}
		for _, st := range stmts {
			b.Queue(st.query, st.args...)
		}
		br := pc.Conn().SendBatch(ctx, b)
		for i := range stmts {
			tag, err := br.Exec()
			if err != nil {
				br.Close()
				bad = i
				return err
			}
			res = driver.RowsAffected(tag.RowsAffected())
		}
		return br.Close()
	})
	if err != nil {
		return nil, bad, err
	}
	return res, len(stmts), nil
}

// end returns the connection to the pool.
func (c *pgConn) end() { c.conn.Close() }

// reader is the pool: pgx prepares each statement once per connection.
func (d *postgresDialect) reader() querier { return d.db }

func (d *postgresDialect) lockJournal(ctx context.Context, tx *sql.Tx) error {
	_, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock($1)", d.lock)
	return err
}

// prepare does nothing: pgx keeps a cache of prepared statements on each
// connection already (QueryExecModeCacheStatement).
func (d *postgresDialect) prepare(map[string]string) {}

func (d *postgresDialect) conflict(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23505"
}

func (d *postgresDialect) size(ctx context.Context) (int64, error) {
	var n sql.NullInt64
	err := d.db.QueryRowContext(ctx, `SELECT SUM(pg_total_relation_size(c.oid))::bigint FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname IN ($1, $2) AND c.relkind = 'r'`, d.schema, d.schema+"_keys").Scan(&n)
	return n.Int64, err
}

func (d *postgresDialect) close() error { return d.db.Close() }

// keys is nil: data and keys are two schemas of one database, committed
// in one transaction.
func (d *postgresDialect) keys() keySide { return nil }

func (d *postgresDialect) backup(context.Context, string, bool) error {
	return errors.New("store: back up PostgreSQL with pg_dump (see docs/operations.md): the data schema and the keys schema separately")
}
