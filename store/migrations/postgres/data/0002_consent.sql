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
    third_party      BIGINT  NOT NULL,  -- transfer to third parties allowed (0/1)
    cross_border     BIGINT  NOT NULL,
    publication      BIGINT  NOT NULL,
    notify_transfers BIGINT  NOT NULL,  -- "notify me of transfers" (Art. 19)
    account_bound    BIGINT  NOT NULL,  -- withdrawn when the account is deleted
    form             TEXT    NOT NULL,  -- written | electronic | website | state-service | other
    until_at         BIGINT,            -- end of term; NULL: until the purposes are achieved
    policy_version   BIGINT  NOT NULL,  -- the policy shown to the subject
    content          BYTEA,              -- encrypted; NULL once the subject is destroyed
    given_at         BIGINT  NOT NULL,
    ended_at         BIGINT
);
CREATE INDEX consents_subject ON consents (subject_id);

CREATE TABLE consent_events (
    id         TEXT    PRIMARY KEY,
    consent_id TEXT    NOT NULL,
    kind       TEXT    NOT NULL,        -- given | withdrawn | expired | withdrawal-refused
    at         BIGINT  NOT NULL,
    actor      TEXT    NOT NULL,
    reason     TEXT    NOT NULL,        -- a code, never free text
    due_at     BIGINT,                  -- withdrawn: when processing must have stopped (Art. 8 p.7)
    content    BYTEA                     -- encrypted basis of a refusal
);
CREATE INDEX consent_events_consent ON consent_events (consent_id, at);

-- The consent a record collected on the consent ground rests on.
ALTER TABLE records ADD COLUMN consent_id TEXT NOT NULL DEFAULT '';

-- Records whose ground is gone, waiting for destruction under the policy's
-- rule (carried out by the retention sweep).
CREATE TABLE destruction_queue (
    record_id  TEXT    PRIMARY KEY,
    subject_id TEXT    NOT NULL,
    reason     TEXT    NOT NULL,
    queued_at  BIGINT  NOT NULL,
    due_at     BIGINT
);
