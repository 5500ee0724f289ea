-- Subjects' requests (Art. 24, 25). What identifies the requester and what
-- they asked for is encrypted with the request's own data key (a request
-- may come before anyone knows which subject it concerns); what stays
-- readable is the kind, state, dates and codes the deadlines run on.

CREATE TABLE requests (
    id             TEXT    PRIMARY KEY,
    kind           TEXT    NOT NULL,
    state          TEXT    NOT NULL,            -- received | verifying | in_progress | answered
    outcome        TEXT    NOT NULL DEFAULT '', -- fulfilled | partly | refused
    subject_id     TEXT    NOT NULL DEFAULT '', -- set once the requester is identified
    channel        TEXT    NOT NULL,
    representative INTEGER NOT NULL,            -- made by a representative (0/1)
    lang           TEXT    NOT NULL,            -- the language of the answer: kk | ru | en
    received_at    INTEGER NOT NULL,
    clock_at       INTEGER NOT NULL,            -- when the deadline's clock started
    due_at         INTEGER,                     -- NULL when the calendar could not count it
    assignee       TEXT    NOT NULL DEFAULT '',
    refusal        TEXT    NOT NULL DEFAULT '', -- reason code of a refusal
    content        BLOB    NOT NULL,            -- encrypted request
    answer         BLOB,                        -- encrypted answer letter
    answered_at    INTEGER,
    updated_at     INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX requests_open_due ON requests (state, due_at);
CREATE INDEX requests_subject ON requests (subject_id);
