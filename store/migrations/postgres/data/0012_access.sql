-- Access hardening (issue 7).
--
-- revocations holds one counter that every revocation (an API key, a
-- session, a disabled account) bumps in its own transaction; every node
-- compares it on each request and drops its cache of keys when it moved,
-- so a revoked key fails at once everywhere.
CREATE TABLE revocations (
    id         SMALLINT PRIMARY KEY CHECK (id = 1),
    generation BIGINT  NOT NULL
);
INSERT INTO revocations (id, generation) VALUES (1, 0);

-- The last TOTP time step accepted for an account: a code works once.
ALTER TABLE staff ADD COLUMN totp_step BIGINT NOT NULL DEFAULT 0;

-- Counters of the detection rules, shared by every node (key: rule,
-- principal and window, never personal data).
CREATE TABLE detection_counts (
    key   TEXT    PRIMARY KEY,
    count BIGINT  NOT NULL,
    at    BIGINT  NOT NULL
);

-- The distinct subjects each principal read in a window, for the rule on
-- subjects per hour: every node adds to the same set (subject ids only).
CREATE TABLE detection_subjects (
    key     TEXT    NOT NULL,
    subject TEXT    NOT NULL,
    at      BIGINT  NOT NULL,
    PRIMARY KEY (key, subject)
);
CREATE INDEX detection_subjects_at ON detection_subjects (at);

-- The networks (/24 IPv4, /48 IPv6) each API key was used from.
CREATE TABLE key_networks (
    key_id     TEXT    NOT NULL,
    network    TEXT    NOT NULL,
    first_seen BIGINT  NOT NULL,
    PRIMARY KEY (key_id, network)
);
