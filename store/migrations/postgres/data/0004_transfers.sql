-- The transfers register (Art. 7 p.6, 15, 16, 19): each disclosure of
-- records to a recipient, on which ground, of exactly which records and
-- fields; and the access grants through which a recipient's system reads
-- them.

CREATE TABLE transfers (
    id           TEXT    PRIMARY KEY,
    subject_id   TEXT    NOT NULL,
    recipient    TEXT    NOT NULL,   -- policy recipient id
    purpose      TEXT    NOT NULL,
    ground       TEXT    NOT NULL,   -- consent | a ground of Art. 9
    consent_id   TEXT    NOT NULL DEFAULT '',
    reference    BYTEA,               -- encrypted: a state body's request number, a contract...
    records      TEXT    NOT NULL,   -- comma-separated record ids
    fields       TEXT    NOT NULL,   -- comma-separated policy field ids
    country      TEXT    NOT NULL,
    cross_border BIGINT  NOT NULL,
    decided_by   TEXT    NOT NULL,
    created_at   BIGINT  NOT NULL,
    notify_due   BIGINT,             -- the subject asked to be told (Art. 19): by when
    notified_at  BIGINT, 
    revoked_at   BIGINT
);
CREATE INDEX transfers_subject ON transfers (subject_id);
CREATE INDEX transfers_recipient ON transfers (recipient, created_at);

CREATE TABLE grants (
    id           TEXT    PRIMARY KEY,
    transfer_id  TEXT    NOT NULL,
    secret_hash  BYTEA    NOT NULL,   -- SHA-256 of the secret part of the token
    created_at   BIGINT  NOT NULL,
    expires_at   BIGINT  NOT NULL,
    revoked_at   BIGINT, 
    last_used_at BIGINT
);
CREATE INDEX grants_transfer ON grants (transfer_id);
