-- How scheduled jobs went: failures are kept and shown, never lost; the
-- work itself stays due in the store and is retried at the next run.
CREATE TABLE job_runs (
    job         TEXT    NOT NULL,
    started_at  INTEGER NOT NULL,
    finished_at INTEGER NOT NULL,
    node        TEXT    NOT NULL,
    outcome     TEXT    NOT NULL, -- ok | failed | skipped
    summary     TEXT    NOT NULL, -- counts, or the error (never personal data)
    PRIMARY KEY (job, started_at, node)
);
