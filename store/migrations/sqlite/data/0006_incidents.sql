-- The incident register (Art. 22 p.1, Art. 25 p.2 sp.8): suspected and
-- confirmed breaches, each with its notice deadline to the authorized body.
-- What happened and the measures taken are encrypted with the incident's
-- own key: they may name people.

CREATE TABLE incidents (
    id             TEXT    PRIMARY KEY,
    kind           TEXT    NOT NULL,             -- mass-read | denials | off-hours | journal | manual
    source         TEXT    NOT NULL,             -- the detection rule, or the staff member who reported it
    principal      TEXT    NOT NULL DEFAULT '',  -- the API key or account involved
    detected_at    INTEGER NOT NULL,
    classification TEXT    NOT NULL,             -- suspected | confirmed | not-a-breach
    status         TEXT    NOT NULL,             -- open | closed
    notice_due     INTEGER,                      -- 1 working day from detection
    notice_sent_at INTEGER,
    subjects       TEXT    NOT NULL DEFAULT '',  -- affected subject ids
    content        BLOB,                         -- encrypted description and measures
    updated_at     INTEGER NOT NULL,
    dedup          TEXT    NOT NULL              -- one incident per rule, principal and window
);
CREATE UNIQUE INDEX incidents_once ON incidents (dedup);
CREATE INDEX incidents_open ON incidents (status, notice_due);
