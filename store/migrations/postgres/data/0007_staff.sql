-- Staff accounts (Art. 22: access only for those whose duties need it) and
-- their sessions. Passwords are argon2id hashes; TOTP secrets are encrypted
-- with the account's own key; failed logins lock an account for a while,
-- on every node.

CREATE TABLE staff (
    login         TEXT    PRIMARY KEY,
    name          TEXT    NOT NULL,
    role          TEXT    NOT NULL,
    password_hash TEXT    NOT NULL,
    totp          BYTEA,                  -- encrypted TOTP secret; NULL: no second factor
    created_at    BIGINT  NOT NULL,
    disabled_at   BIGINT, 
    failures      BIGINT  NOT NULL DEFAULT 0,
    locked_until  BIGINT  NOT NULL DEFAULT 0,
    last_login_at BIGINT
);

CREATE TABLE sessions (
    id          TEXT    PRIMARY KEY,
    login       TEXT    NOT NULL,
    secret_hash BYTEA    NOT NULL,
    created_at  BIGINT  NOT NULL,
    expires_at  BIGINT  NOT NULL,
    revoked_at  BIGINT
);
CREATE INDEX sessions_login ON sessions (login);
