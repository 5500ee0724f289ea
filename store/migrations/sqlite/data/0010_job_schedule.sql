-- The scheduler's state (package jobs): one row per periodic job, shared by
-- every node. A node claims a due job with one conditional UPDATE, so of
-- several nodes exactly one runs each period; the lease lets another node
-- take over from one that died. A failure stays here (attempts, last_error)
-- until a run succeeds. Times are Unix microseconds; 0 means never.
CREATE TABLE job_schedule (
    name          TEXT    PRIMARY KEY,
    next_run_at   INTEGER NOT NULL,
    lease_owner   TEXT    NOT NULL DEFAULT '', -- node and claim, '' when free
    lease_until   INTEGER NOT NULL DEFAULT 0,
    attempts      INTEGER NOT NULL DEFAULT 0,  -- failures since the last success
    last_error    TEXT    NOT NULL DEFAULT '', -- never personal data
    last_started  INTEGER NOT NULL DEFAULT 0,
    last_finished INTEGER NOT NULL DEFAULT 0,
    last_ok       INTEGER NOT NULL DEFAULT 0
);

-- Deadline reminders already sent to the responsible person, so that each
-- is sent once per request (or incident) and threshold. No personal data.
CREATE TABLE reminders (
    kind      TEXT NOT NULL, -- request | incident
    ref       TEXT NOT NULL, -- its id
    threshold TEXT NOT NULL, -- due-soon | overdue
    sent_at   INTEGER NOT NULL,
    PRIMARY KEY (kind, ref, threshold)
);

-- The retention sweep takes its batches in (retention_end, id) order; an
-- index in that order lets it read each batch without sorting every due
-- record first (PostgreSQL sorted them all per batch; on the embedded store,
-- a WITHOUT ROWID table, the old index already ended with the id).
DROP INDEX records_retention;
CREATE INDEX records_retention ON records (retention_end, id) WHERE retention_end IS NOT NULL AND state <> 'destroyed';
