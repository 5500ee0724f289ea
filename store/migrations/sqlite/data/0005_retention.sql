-- Retention (Art. 12 p.2, 18): when each record's term ends; the leases that
-- make a scheduled job run on one node at a time; the acts of destruction;
-- and depersonalised statistics rows (Art. 17), which name nobody.

ALTER TABLE records ADD COLUMN retention_end INTEGER; -- NULL: the term has not started (event, purpose achieved)
CREATE INDEX records_retention ON records (retention_end) WHERE retention_end IS NOT NULL AND state <> 'destroyed';

CREATE TABLE jobs (
    name        TEXT    PRIMARY KEY,
    holder      TEXT    NOT NULL,
    lease_until INTEGER NOT NULL,
    last_run_at INTEGER
);

-- An act of destruction: what was destroyed or depersonalised, when, on
-- which rule. Its records are written in the same transaction as their
-- destruction; the act is sealed (signed) when the sweep ends, or by the
-- next sweep if this one was cut short.
CREATE TABLE acts (
    id         TEXT    PRIMARY KEY,
    kind       TEXT    NOT NULL,  -- retention-sweep | request
    started_at INTEGER NOT NULL,
    sealed_at  INTEGER,
    records    INTEGER NOT NULL DEFAULT 0,
    summary    TEXT    NOT NULL DEFAULT '',  -- JSON counts by purpose, category, ground and action
    signature  BLOB
);

CREATE TABLE act_records (
    act_id     TEXT NOT NULL,
    record_id  TEXT NOT NULL,
    subject_id TEXT NOT NULL,
    purpose    TEXT NOT NULL,
    category   TEXT NOT NULL,
    ground     TEXT NOT NULL,
    action     TEXT NOT NULL,  -- destroy | depersonalise
    rule       TEXT NOT NULL,  -- retention-end | consent-withdrawn | ...
    PRIMARY KEY (act_id, record_id)
);
CREATE UNIQUE INDEX act_records_once ON act_records (record_id);

CREATE TABLE stats_rows (
    id             TEXT    PRIMARY KEY,
    purpose        TEXT    NOT NULL,
    category       TEXT    NOT NULL,
    collected_year INTEGER NOT NULL,
    attributes     TEXT    NOT NULL,  -- JSON of generalised attributes, no identifiers
    created_at     INTEGER NOT NULL
);
