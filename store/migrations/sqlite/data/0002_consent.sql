-- The consent ledger (Art. 8): consents as given, and the immutable events
-- that follow them. Personal content (the subject's full name, the
-- representative, document references, evidence, free-text conditions) is
-- encrypted with the subject's data key; what stays readable is policy ids,
-- yes/no flags, dates and codes.

CREATE TABLE consents (
    id               TEXT    PRIMARY KEY,
    subject_id       TEXT    NOT NULL,
    state            TEXT    NOT NULL,  -- given | withdrawn
    purposes         TEXT    NOT NULL,  -- comma-separated policy purpose ids
    fields           TEXT    NOT NULL,  -- comma-separated policy field ids
    third_party      INTEGER NOT NULL,  -- transfer to third parties allowed (0/1)
    cross_border     INTEGER NOT NULL,
    publication      INTEGER NOT NULL,
    notify_transfers INTEGER NOT NULL,  -- "notify me of transfers" (Art. 19)
    account_bound    INTEGER NOT NULL,  -- withdrawn when the account is deleted
    form             TEXT    NOT NULL,  -- written | electronic | website | state-service | other
    until_at         INTEGER,           -- end of term; NULL: until the purposes are achieved
    policy_version   INTEGER NOT NULL,  -- the policy shown to the subject
    content          BLOB,              -- encrypted; NULL once the subject is destroyed
    given_at         INTEGER NOT NULL,
    ended_at         INTEGER
) WITHOUT ROWID;
CREATE INDEX consents_subject ON consents (subject_id);

CREATE TABLE consent_events (
    id         TEXT    PRIMARY KEY,
    consent_id TEXT    NOT NULL,
    kind       TEXT    NOT NULL,        -- given | withdrawn | expired | withdrawal-refused
    at         INTEGER NOT NULL,
    actor      TEXT    NOT NULL,
    reason     TEXT    NOT NULL,        -- a code, never free text
    due_at     INTEGER,                 -- withdrawn: when processing must have stopped (Art. 8 p.7)
    content    BLOB                     -- encrypted basis of a refusal
) WITHOUT ROWID;
CREATE INDEX consent_events_consent ON consent_events (consent_id, at);

-- The consent a record collected on the consent ground rests on.
ALTER TABLE records ADD COLUMN consent_id TEXT NOT NULL DEFAULT '';

-- Records whose ground is gone, waiting for destruction under the policy's
-- rule (carried out by the retention sweep).
CREATE TABLE destruction_queue (
    record_id  TEXT    PRIMARY KEY,
    subject_id TEXT    NOT NULL,
    reason     TEXT    NOT NULL,
    queued_at  INTEGER NOT NULL,
    due_at     INTEGER
) WITHOUT ROWID;
