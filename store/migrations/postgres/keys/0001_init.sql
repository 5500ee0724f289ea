-- The key store: wrapped data keys, apart from the data they open, so that
-- a copy of the data store alone holds nothing readable and a deleted data
-- key (key shredding) is not brought back by restoring the data store.

CREATE TABLE masters (
    version     BIGINT  PRIMARY KEY,
    check_value BYTEA    NOT NULL,       -- opens only with this master key
    created_at  BIGINT  NOT NULL
);

CREATE TABLE data_keys (
    owner          TEXT    PRIMARY KEY, -- subject id
    master_version BIGINT  NOT NULL,
    wrapped        BYTEA    NOT NULL
);
CREATE INDEX data_keys_master ON data_keys (master_version);
