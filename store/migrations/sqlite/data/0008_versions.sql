-- Earlier versions of records, kept encrypted under the record's own key,
-- so that data changed by an intruder can be restored (Art. 22 p.1). They
-- are removed with the record: its key is shredded anyway.

CREATE TABLE record_versions (
    record_id   TEXT    NOT NULL,
    version     INTEGER NOT NULL,
    field_names TEXT    NOT NULL,
    fields      BLOB    NOT NULL,
    replaced_at INTEGER NOT NULL,
    replaced_by TEXT    NOT NULL,
    PRIMARY KEY (record_id, version)
);
