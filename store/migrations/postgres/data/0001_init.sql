-- The data store: subjects, records (encrypted), blind indexes, the journal,
-- API keys and policy versions. Nothing here is readable without the keyring
-- and the key store, which live elsewhere.

CREATE TABLE policies (
    version      BIGINT PRIMARY KEY,   -- derbes's own sequence of activations
    label        TEXT    NOT NULL,      -- the operator's version label
    sha256       TEXT    NOT NULL,
    source       BYTEA    NOT NULL,      -- the YAML file as activated
    activated_at BIGINT  NOT NULL,      -- Unix microseconds
    activated_by TEXT    NOT NULL
);

CREATE TABLE subjects (
    id           TEXT    PRIMARY KEY,
    category     TEXT    NOT NULL,
    state        TEXT    NOT NULL,      -- active | destroyed
    identifiers  BYTEA,                  -- encrypted iin/phone/email; NULL once destroyed
    created_at   BIGINT  NOT NULL,
    destroyed_at BIGINT
);

-- Blind indexes: HMAC of the normalised identifier, never the identifier.
CREATE TABLE identifiers (
    kind       TEXT NOT NULL,           -- iin | phone | email
    hash       BYTEA NOT NULL,
    subject_id TEXT NOT NULL,
    PRIMARY KEY (kind, hash, subject_id)
);
-- One person, one IIN: a second subject with the same IIN is refused.
CREATE UNIQUE INDEX identifiers_one_iin ON identifiers (hash) WHERE kind = 'iin';
CREATE INDEX identifiers_subject ON identifiers (subject_id);

CREATE TABLE records (
    id             TEXT    PRIMARY KEY,
    subject_id     TEXT    NOT NULL,
    purpose        TEXT    NOT NULL,
    channel        TEXT    NOT NULL,
    ground         TEXT    NOT NULL,
    state          TEXT    NOT NULL,    -- active | blocked | destroyed
    field_names    TEXT    NOT NULL,    -- comma-separated policy field ids (not personal data)
    fields         BYTEA,                -- encrypted values; NULL once destroyed
    policy_version BIGINT  NOT NULL,
    created_at     BIGINT  NOT NULL,
    updated_at     BIGINT  NOT NULL,
    destroyed_at   BIGINT
);
CREATE INDEX records_subject ON records (subject_id);

CREATE TABLE journal (
    seq     BIGINT PRIMARY KEY,
    at      BIGINT  NOT NULL,           -- Unix microseconds
    actor   TEXT    NOT NULL,
    action  TEXT    NOT NULL,
    purpose TEXT    NOT NULL,
    subject TEXT    NOT NULL,
    record  TEXT    NOT NULL,
    outcome TEXT    NOT NULL,
    detail  TEXT    NOT NULL,
    hash    BYTEA    NOT NULL
);

-- The signed head of the journal, rewritten with every commit.
CREATE TABLE journal_head (
    id        BIGINT PRIMARY KEY CHECK (id = 1),
    size      BIGINT  NOT NULL,
    hash      BYTEA    NOT NULL,
    at        BIGINT  NOT NULL,
    signature BYTEA    NOT NULL
);

CREATE TABLE checkpoints (
    size      BIGINT PRIMARY KEY,
    hash      BYTEA    NOT NULL,
    at        BIGINT  NOT NULL,
    signature BYTEA    NOT NULL
);

CREATE TABLE api_keys (
    id           TEXT    PRIMARY KEY,
    secret_hash  BYTEA    NOT NULL,      -- SHA-256 of the secret part
    role         TEXT    NOT NULL,
    label        TEXT    NOT NULL,
    created_at   BIGINT  NOT NULL,
    revoked_at   BIGINT,
    last_used_at BIGINT
);
