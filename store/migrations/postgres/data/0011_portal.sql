-- The subject portal's sign-in: one-time codes and the sessions they open.
-- A code is kept only as a hash; the IIN it was asked for only as its blind
-- index, so that the rate limit per subject also counts IINs derbes does not
-- know (the portal must not tell them apart). subject_id is NULL for those.

CREATE TABLE portal_codes (
    id         TEXT    PRIMARY KEY,
    iin_hash   BYTEA   NOT NULL,
    subject_id TEXT,
    channel    TEXT    NOT NULL,
    code_hash  BYTEA   NOT NULL,
    created_at BIGINT  NOT NULL,
    expires_at BIGINT  NOT NULL,
    attempts   BIGINT  NOT NULL DEFAULT 0,
    used_at    BIGINT 
);
CREATE INDEX portal_codes_iin ON portal_codes (iin_hash, created_at);
CREATE INDEX portal_codes_created ON portal_codes (created_at);

CREATE TABLE portal_sessions (
    id          TEXT    PRIMARY KEY,
    subject_id  TEXT    NOT NULL,
    secret_hash BYTEA   NOT NULL,
    created_at  BIGINT  NOT NULL,
    expires_at  BIGINT  NOT NULL,
    ended_at    BIGINT 
);
CREATE INDEX portal_sessions_subject ON portal_sessions (subject_id);
