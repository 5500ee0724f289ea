-- Queries of the embedded store (SQLite). Each is named after the method
-- that runs it; queries/postgres.sql has the same names.

-- name: PolicyInsert
INSERT INTO policies (version, label, sha256, source, activated_at, activated_by)
VALUES ((SELECT COALESCE(MAX(version), 0) + 1 FROM policies), ?, ?, ?, ?, ?)
RETURNING version;

-- name: PolicyActive
SELECT version, label, sha256, source, activated_at, activated_by
FROM policies ORDER BY version DESC LIMIT 1;

-- name: PolicyList
SELECT version, label, sha256, activated_at, activated_by FROM policies ORDER BY version;

-- name: SubjectInsert
INSERT INTO subjects (id, category, state, identifiers, created_at) VALUES (?, ?, 'active', ?, ?);

-- name: SubjectGet
SELECT id, category, state, identifiers, created_at, destroyed_at FROM subjects WHERE id = ?;

-- name: SubjectDestroy
UPDATE subjects SET state = 'destroyed', identifiers = NULL, destroyed_at = ?
WHERE id = ? AND state <> 'destroyed';

-- name: IdentifierInsert
INSERT INTO identifiers (kind, hash, subject_id, key_version) VALUES (?, ?, ?, ?);

-- name: IdentifierFind
-- CAST keeps SQLite from re-planning at every call for the partial index on
-- IINs; the primary key (kind, hash, subject_id) serves the lookup.
SELECT subject_id FROM identifiers WHERE kind = CAST(? AS TEXT) AND hash = ? ORDER BY subject_id LIMIT 100;

-- name: IdentifiersDelete
DELETE FROM identifiers WHERE subject_id = ?;

-- name: RecordInsert
INSERT INTO records (id, subject_id, purpose, channel, ground, consent_id, state, field_names, fields, policy_version, created_at, updated_at, retention_end)
VALUES (?, ?, ?, ?, ?, ?, 'active', ?, ?, ?, ?, ?, ?);

-- name: RecordGet
-- With the state and term of the consent the record rests on, if any.
SELECT r.id, r.subject_id, r.purpose, r.channel, r.ground, r.consent_id, r.state, r.field_names, r.fields, r.policy_version,
       r.created_at, r.updated_at, r.destroyed_at, COALESCE(c.state, ''), c.until_at, r.retention_end
FROM records r LEFT JOIN consents c ON c.id = r.consent_id WHERE r.id = ?;

-- name: RecordsBySubject
SELECT r.id, r.subject_id, r.purpose, r.channel, r.ground, r.consent_id, r.state, r.field_names, r.fields, r.policy_version,
       r.created_at, r.updated_at, r.destroyed_at, COALESCE(c.state, ''), c.until_at, r.retention_end
FROM records r LEFT JOIN consents c ON c.id = r.consent_id WHERE r.subject_id = ? ORDER BY r.created_at, r.id;

-- name: RecordUpdate
UPDATE records SET field_names = ?, fields = ?, updated_at = ? WHERE id = ? AND state = 'active';

-- name: RecordsDestroyBySubject
UPDATE records SET state = 'destroyed', fields = NULL, destroyed_at = ?, updated_at = ?
WHERE subject_id = ? AND state <> 'destroyed';

-- name: JournalInsert
INSERT INTO journal (seq, at, actor, action, purpose, subject, record, outcome, detail, hash)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?);

-- name: JournalRange
SELECT seq, at, actor, action, purpose, subject, record, outcome, detail, hash
FROM journal WHERE seq > ? ORDER BY seq LIMIT ?;

-- name: JournalHeadGet
SELECT size, hash, at, signature FROM journal_head WHERE id = 1;

-- name: JournalHeadPut
INSERT INTO journal_head (id, size, hash, at, signature) VALUES (1, ?, ?, ?, ?)
ON CONFLICT (id) DO UPDATE SET size = excluded.size, hash = excluded.hash, at = excluded.at, signature = excluded.signature;

-- name: CheckpointInsert
INSERT INTO checkpoints (size, hash, at, signature) VALUES (?, ?, ?, ?);

-- name: CheckpointList
SELECT size, hash, at, signature FROM checkpoints ORDER BY size;

-- name: APIKeyInsert
INSERT INTO api_keys (id, secret_hash, role, label, created_at) VALUES (?, ?, ?, ?, ?);

-- name: APIKeyGet
SELECT id, secret_hash, role, label, created_at, revoked_at, last_used_at FROM api_keys WHERE id = ?;

-- name: APIKeyList
SELECT id, secret_hash, role, label, created_at, revoked_at, last_used_at FROM api_keys ORDER BY created_at;

-- name: APIKeyTouch
UPDATE api_keys SET last_used_at = ? WHERE id = ?;

-- name: APIKeyRevoke
UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL;

-- name: MasterInsert
INSERT INTO masters (version, check_value, created_at) VALUES (?, ?, ?) ON CONFLICT (version) DO NOTHING;

-- name: MasterList
SELECT version, check_value FROM masters ORDER BY version;

-- name: DataKeyInsert
INSERT INTO data_keys (owner, master_version, wrapped) VALUES (?, ?, ?);

-- name: DataKeyGet
SELECT wrapped FROM data_keys WHERE owner = ?;

-- name: DataKeyDelete
DELETE FROM data_keys WHERE owner = ?;

-- name: DataKeysBelow
SELECT owner, wrapped FROM data_keys WHERE master_version < ? ORDER BY owner LIMIT ?;

-- name: DataKeyRewrap
UPDATE data_keys SET master_version = ?, wrapped = ? WHERE owner = ? AND wrapped = ?;

-- name: PolicyGet
SELECT version, label, sha256, source, activated_at, activated_by FROM policies WHERE version = ?;

-- name: ConsentInsert
INSERT INTO consents (id, subject_id, state, purposes, fields, third_party, cross_border, publication, notify_transfers,
                      account_bound, form, until_at, policy_version, content, given_at)
VALUES (?, ?, 'given', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?);

-- name: ConsentGet
SELECT id, subject_id, state, purposes, fields, third_party, cross_border, publication, notify_transfers,
       account_bound, form, until_at, policy_version, content, given_at, ended_at
FROM consents WHERE id = ?;

-- name: ConsentsBySubject
SELECT id, subject_id, state, purposes, fields, third_party, cross_border, publication, notify_transfers,
       account_bound, form, until_at, policy_version, content, given_at, ended_at
FROM consents WHERE subject_id = ? ORDER BY given_at, id;

-- name: ConsentEnd
UPDATE consents SET state = ?, ended_at = ? WHERE id = ? AND state = 'given';

-- name: ConsentsForget
UPDATE consents SET content = NULL WHERE subject_id = ?;

-- name: ConsentEventInsert
INSERT INTO consent_events (id, consent_id, kind, at, actor, reason, due_at, content) VALUES (?, ?, ?, ?, ?, ?, ?, ?);

-- name: ConsentEvents
SELECT id, consent_id, kind, at, actor, reason, due_at, content FROM consent_events WHERE consent_id = ? ORDER BY at, id;

-- name: ConsentEventsForget
UPDATE consent_events SET content = NULL WHERE consent_id IN (SELECT id FROM consents WHERE subject_id = ?);

-- name: DestructionEnqueue
INSERT INTO destruction_queue (record_id, subject_id, reason, queued_at, due_at) VALUES (?, ?, ?, ?, ?)
ON CONFLICT (record_id) DO NOTHING;

-- name: DestructionQueue
SELECT record_id, subject_id, reason, queued_at, due_at FROM destruction_queue ORDER BY queued_at, record_id LIMIT ?;

-- name: RecordsSetState
UPDATE records SET state = ?, updated_at = ? WHERE subject_id = ? AND state = ?;

-- name: RequestInsert
INSERT INTO requests (id, kind, state, subject_id, channel, representative, lang, received_at, clock_at, due_at, content, updated_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?);

-- name: RequestGet
SELECT id, kind, state, outcome, subject_id, channel, representative, lang, received_at, clock_at, due_at, assignee, refusal,
       content, answer, answered_at, updated_at
FROM requests WHERE id = ?;

-- name: RequestUpdate
UPDATE requests SET state = ?, outcome = ?, subject_id = ?, clock_at = ?, due_at = ?, assignee = ?, refusal = ?, answer = ?,
       answered_at = ?, updated_at = ?
WHERE id = ? AND updated_at = ?;

-- name: RequestList
-- Open requests first by due date (those the calendar could not count at
-- the top), then answered ones; filters are off when their value is empty.
SELECT id, kind, state, outcome, subject_id, channel, representative, lang, received_at, clock_at, due_at, assignee, refusal,
       NULL, NULL, answered_at, updated_at
FROM requests
WHERE (? = '' OR state = ?)
  AND (? = 0 OR (state <> 'answered' AND (due_at IS NULL OR due_at < ?)))
  AND (? = '' OR assignee = ?)
ORDER BY CASE WHEN state = 'answered' THEN 1 ELSE 0 END, COALESCE(due_at, 0), received_at, id
LIMIT ?;

-- name: RecordCorrect
-- A correction on a subject's request: allowed on blocked records too, the
-- request being the ground of the change.
UPDATE records SET field_names = ?, fields = ?, updated_at = ? WHERE id = ? AND state <> 'destroyed';

-- name: TransferInsert
INSERT INTO transfers (id, subject_id, recipient, purpose, ground, consent_id, reference, records, fields, country, cross_border,
                       decided_by, created_at, notify_due)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?);

-- name: TransferGet
SELECT id, subject_id, recipient, purpose, ground, consent_id, reference, records, fields, country, cross_border,
       decided_by, created_at, notify_due, notified_at, revoked_at
FROM transfers WHERE id = ?;

-- name: TransfersBySubject
SELECT id, subject_id, recipient, purpose, ground, consent_id, reference, records, fields, country, cross_border,
       decided_by, created_at, notify_due, notified_at, revoked_at
FROM transfers WHERE subject_id = ? ORDER BY created_at, id;

-- name: TransfersByRecipient
SELECT id, subject_id, recipient, purpose, ground, consent_id, reference, records, fields, country, cross_border,
       decided_by, created_at, notify_due, notified_at, revoked_at
FROM transfers WHERE recipient = ? ORDER BY created_at DESC, id LIMIT ?;

-- name: TransfersToNotify
SELECT id, subject_id, recipient, purpose, ground, consent_id, reference, records, fields, country, cross_border,
       decided_by, created_at, notify_due, notified_at, revoked_at
FROM transfers WHERE notify_due IS NOT NULL AND notified_at IS NULL ORDER BY notify_due, id LIMIT ?;

-- name: TransferNotified
UPDATE transfers SET notified_at = ? WHERE id = ? AND notified_at IS NULL;

-- name: TransferRevoke
UPDATE transfers SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL;

-- name: GrantInsert
INSERT INTO grants (id, transfer_id, secret_hash, created_at, expires_at) VALUES (?, ?, ?, ?, ?);

-- name: GrantGet
SELECT id, transfer_id, secret_hash, created_at, expires_at, revoked_at, last_used_at FROM grants WHERE id = ?;

-- name: GrantsRevoke
UPDATE grants SET revoked_at = ? WHERE transfer_id = ? AND revoked_at IS NULL;

-- name: GrantTouch
UPDATE grants SET last_used_at = ? WHERE id = ?;

-- name: RecordRetentionStart
UPDATE records SET retention_end = ? WHERE id = ? AND state <> 'destroyed';

-- name: RecordsDue
-- Records whose term has ended, soonest first, with what an act records.
SELECT r.id, r.subject_id, r.purpose, r.ground, s.category, 'retention-end'
FROM records r JOIN subjects s ON s.id = r.subject_id
WHERE r.retention_end IS NOT NULL AND r.retention_end <= ? AND r.state <> 'destroyed'
ORDER BY r.retention_end, r.id LIMIT ?;

-- name: RecordsQueuedDue
-- CROSS JOIN makes SQLite read the (small) queue first: without statistics
-- it scanned every record instead, once per batch of the sweep.
SELECT r.id, r.subject_id, r.purpose, r.ground, s.category, q.reason
FROM destruction_queue q CROSS JOIN records r ON r.id = q.record_id JOIN subjects s ON s.id = r.subject_id
WHERE (q.due_at IS NULL OR q.due_at <= ?) AND r.state <> 'destroyed'
ORDER BY q.queued_at, q.record_id LIMIT ?;

-- name: RecordDestroy
UPDATE records SET state = 'destroyed', fields = NULL, destroyed_at = ?, updated_at = ? WHERE id = ? AND state <> 'destroyed';

-- name: DestructionDequeue
DELETE FROM destruction_queue WHERE record_id = ?;

-- name: JobLease
INSERT INTO jobs (name, holder, lease_until) VALUES (?, ?, ?)
ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, lease_until = excluded.lease_until
WHERE jobs.lease_until < ? OR jobs.holder = excluded.holder;

-- name: JobRelease
UPDATE jobs SET lease_until = 0, last_run_at = ? WHERE name = ? AND holder = ?;

-- name: ActInsert
INSERT INTO acts (id, kind, started_at) VALUES (?, ?, ?);

-- name: ActRecordInsert
INSERT INTO act_records (act_id, record_id, subject_id, purpose, category, ground, action, rule) VALUES (?, ?, ?, ?, ?, ?, ?, ?);

-- name: ActRecords
SELECT record_id, subject_id, purpose, category, ground, action, rule FROM act_records WHERE act_id = ? ORDER BY record_id;

-- name: ActSeal
UPDATE acts SET sealed_at = ?, records = ?, summary = ?, signature = ? WHERE id = ? AND sealed_at IS NULL;

-- name: ActsUnsealed
SELECT id, kind, started_at, sealed_at, records, summary, signature FROM acts WHERE sealed_at IS NULL ORDER BY started_at, id;

-- name: ActGet
SELECT id, kind, started_at, sealed_at, records, summary, signature FROM acts WHERE id = ?;

-- name: ActList
SELECT id, kind, started_at, sealed_at, records, summary, signature FROM acts ORDER BY started_at DESC, id LIMIT ?;

-- name: StatsInsert
INSERT INTO stats_rows (id, purpose, category, collected_year, attributes, created_at) VALUES (?, ?, ?, ?, ?, ?);

-- name: StatsByPurpose
SELECT category, collected_year, attributes FROM stats_rows WHERE purpose = ? ORDER BY id;

-- name: RecordsEndingBefore
-- What the sweep will destroy or depersonalise before a time, and why.
SELECT r.id, r.subject_id, r.purpose, r.ground, s.category, 'retention-end', r.retention_end
FROM records r JOIN subjects s ON s.id = r.subject_id
WHERE r.retention_end IS NOT NULL AND r.retention_end <= ? AND r.state <> 'destroyed'
UNION ALL
SELECT r.id, r.subject_id, r.purpose, r.ground, s.category, q.reason, q.due_at
FROM destruction_queue q JOIN records r ON r.id = q.record_id JOIN subjects s ON s.id = r.subject_id
WHERE (q.due_at IS NULL OR q.due_at <= ?) AND r.state <> 'destroyed'
ORDER BY 7, 1 LIMIT ?;

-- name: IncidentInsert
-- An incident a rule already opened for the same principal and window is
-- not opened twice.
INSERT INTO incidents (id, kind, source, principal, detected_at, classification, status, notice_due, subjects, content, updated_at, dedup)
VALUES (?, ?, ?, ?, ?, 'suspected', 'open', ?, ?, ?, ?, ?)
ON CONFLICT (dedup) DO NOTHING;

-- name: IncidentGet
SELECT id, kind, source, principal, detected_at, classification, status, notice_due, notice_sent_at, subjects, content, updated_at
FROM incidents WHERE id = ?;

-- name: IncidentList
SELECT id, kind, source, principal, detected_at, classification, status, notice_due, notice_sent_at, subjects, NULL, updated_at
FROM incidents WHERE (? = '' OR status = ?) ORDER BY CASE WHEN status = 'open' THEN 0 ELSE 1 END, detected_at DESC, id LIMIT ?;

-- name: IncidentUpdate
UPDATE incidents SET classification = ?, status = ?, notice_sent_at = ?, subjects = ?, content = ?, updated_at = ? WHERE id = ?;

-- name: StaffInsert
INSERT INTO staff (login, name, role, password_hash, totp, created_at) VALUES (?, ?, ?, ?, ?, ?);

-- name: StaffGet
SELECT login, name, role, password_hash, totp, created_at, disabled_at, failures, locked_until, last_login_at FROM staff WHERE login = ?;

-- name: StaffList
SELECT login, name, role, password_hash, NULL, created_at, disabled_at, failures, locked_until, last_login_at FROM staff ORDER BY login;

-- name: StaffLoginFailed
UPDATE staff SET failures = failures + 1, locked_until = ? WHERE login = ?;

-- name: StaffLoginOK
UPDATE staff SET failures = 0, locked_until = 0, last_login_at = ? WHERE login = ?;

-- name: StaffDisable
UPDATE staff SET disabled_at = ? WHERE login = ? AND disabled_at IS NULL;

-- name: SessionInsert
INSERT INTO sessions (id, login, secret_hash, created_at, expires_at) VALUES (?, ?, ?, ?, ?);

-- name: SessionGet
SELECT s.id, s.login, s.secret_hash, s.expires_at, s.revoked_at, st.role, st.disabled_at
FROM sessions s JOIN staff st ON st.login = s.login WHERE s.id = ?;

-- name: SessionsRevoke
UPDATE sessions SET revoked_at = ? WHERE login = ? AND revoked_at IS NULL;

-- name: VersionInsert
INSERT INTO record_versions (record_id, version, field_names, fields, replaced_at, replaced_by)
VALUES (?, (SELECT COALESCE(MAX(version), 0) + 1 FROM record_versions WHERE record_id = ?), ?, ?, ?, ?);

-- name: VersionList
SELECT version, field_names, fields, replaced_at, replaced_by FROM record_versions WHERE record_id = ? ORDER BY version;

-- name: VersionsDelete
DELETE FROM record_versions WHERE record_id = ?;

-- name: VersionsDeleteBySubject
DELETE FROM record_versions WHERE record_id IN (SELECT id FROM records WHERE subject_id = ?);

-- name: Gauges
-- What /metrics shows of the store: counts only, no personal data.
SELECT (SELECT COUNT(*) FROM subjects WHERE state <> 'destroyed'),
       (SELECT COUNT(*) FROM records WHERE state = 'active'),
       (SELECT COALESCE(MAX(size), 0) FROM journal_head),
       (SELECT COUNT(*) FROM requests WHERE state <> 'answered'),
       (SELECT COUNT(*) FROM requests WHERE state <> 'answered' AND (due_at IS NULL OR due_at < ?)),
       (SELECT COUNT(*) FROM incidents WHERE status = 'open'),
       (SELECT COUNT(*) FROM destruction_queue),
       (SELECT COALESCE(MAX(sealed_at), 0) FROM acts);

-- name: ConsentsExpired
-- Consents whose term has ended but that no sweep has closed yet.
SELECT id, subject_id, state, purposes, fields, third_party, cross_border, publication, notify_transfers,
       account_bound, form, until_at, policy_version, content, given_at, ended_at
FROM consents WHERE state = 'given' AND until_at IS NOT NULL AND until_at <= ? ORDER BY until_at, id LIMIT ?;

-- name: JobRunInsert
INSERT INTO job_runs (job, started_at, finished_at, node, outcome, summary) VALUES (?, ?, ?, ?, ?, ?)
ON CONFLICT (job, started_at, node) DO NOTHING;

-- name: JobRuns
SELECT job, started_at, finished_at, node, outcome, summary FROM job_runs ORDER BY started_at DESC LIMIT ?;

-- Access (issue 7): revocation generation, single-use TOTP, logout,
-- detection counters, networks of API keys.

-- name: RevocationGeneration
SELECT generation FROM revocations WHERE id = 1;

-- name: RevocationBump
UPDATE revocations SET generation = generation + 1 WHERE id = 1;

-- name: StaffTOTPStepUse
-- Takes a TOTP step only if it is later than the last one accepted: a code
-- works once, on every node.
UPDATE staff SET totp_step = ? WHERE login = ? AND totp_step < ?;

-- name: SessionRevoke
UPDATE sessions SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL;

-- name: DetectionCount
INSERT INTO detection_counts (key, count, at) VALUES (?, 1, ?)
ON CONFLICT (key) DO UPDATE SET count = detection_counts.count + 1
RETURNING count;

-- name: DetectionPrune
DELETE FROM detection_counts WHERE at < ?;

-- name: DetectionSubjectAdd
INSERT INTO detection_subjects (key, subject, at) VALUES (?, ?, ?) ON CONFLICT (key, subject) DO NOTHING;

-- name: DetectionSubjectsPrune
DELETE FROM detection_subjects WHERE at < ?;

-- name: KeyNetworkAdd
INSERT INTO key_networks (key_id, network, first_seen) VALUES (?, ?, ?) ON CONFLICT (key_id, network) DO NOTHING;

-- name: KeyNetworkCount
SELECT COUNT(*) FROM key_networks WHERE key_id = ?;
-- Operations (export, blind-index rotation, metrics).

-- name: SubjectsByPurpose
-- A page of subjects holding an active record of a purpose, in id order
-- (keyset paging: each page starts after the last id of the one before).
SELECT DISTINCT subject_id FROM records WHERE subject_id > ? AND purpose = ? AND state = 'active' ORDER BY subject_id LIMIT ?;

-- name: GaugesOps
-- The rest of what /metrics shows: the last signed checkpoint, when the
-- journal's head was last signed, and open requests falling due soon
-- (deadline between now and the horizon).
SELECT (SELECT COALESCE(MAX(size), 0) FROM checkpoints),
       (SELECT COALESCE(MAX(at), 0) FROM checkpoints),
       (SELECT COALESCE(MAX(at), 0) FROM journal_head),
       (SELECT COUNT(*) FROM requests WHERE state <> 'answered' AND due_at >= ? AND due_at < ?);

-- name: IdentifiersBelow
-- A page of subjects with a blind index made by an index key older than
-- the given version, in id order after a subject id (a rotation's pass).
SELECT DISTINCT subject_id FROM identifiers WHERE key_version < ? AND subject_id > ? ORDER BY subject_id LIMIT ?;

-- name: IdentifiersCountBelow
SELECT COUNT(*) FROM identifiers WHERE key_version < ?;

-- name: IdentifierReindex
-- Replaces a subject's blind index of one kind with one made by a newer
-- index key; an index already that new is left alone.
UPDATE identifiers SET hash = ?, key_version = ? WHERE kind = ? AND subject_id = ? AND key_version < ?;
-- Scheduler (package jobs): the shared state of periodic jobs.

-- name: JobScheduleEnsure
-- A job a node registers; the first node to register it sets its first run.
INSERT INTO job_schedule (name, next_run_at) VALUES (?1, ?2) ON CONFLICT (name) DO NOTHING;

-- name: JobClaim
-- Takes a due job unless another node's lease on it is still running: one
-- statement, so of several nodes exactly one gets it.
UPDATE job_schedule SET lease_owner = ?1, lease_until = ?2, last_started = ?3
WHERE name = ?4 AND next_run_at <= ?3 AND lease_until < ?3
RETURNING next_run_at, attempts;

-- name: JobRenew
UPDATE job_schedule SET lease_until = ?1 WHERE name = ?2 AND lease_owner = ?3;

-- name: JobAbandon
-- Gives a run back unfinished (the node is shutting down): still due.
UPDATE job_schedule SET lease_owner = '', lease_until = 0 WHERE name = ?1 AND lease_owner = ?2;

-- name: JobComplete
-- Ends a claimed run that succeeded; changes nothing when the lease was lost.
UPDATE job_schedule SET next_run_at = ?1, lease_owner = '', lease_until = 0, attempts = 0, last_error = '',
       last_finished = ?2, last_ok = ?2
WHERE name = ?3 AND lease_owner = ?4;

-- name: JobFail
-- Ends a claimed run that failed: it is retried at next_run_at (the backoff).
UPDATE job_schedule SET next_run_at = ?1, lease_owner = '', lease_until = 0, attempts = attempts + 1, last_error = ?2,
       last_finished = ?3
WHERE name = ?4 AND lease_owner = ?5;

-- name: JobSchedules
SELECT name, next_run_at, lease_owner, lease_until, attempts, last_error, last_started, last_finished, last_ok
FROM job_schedule ORDER BY name;

-- name: ReminderSent
SELECT COUNT(*) FROM reminders WHERE kind = ?1 AND ref = ?2 AND threshold = ?3;

-- name: ReminderInsert
INSERT INTO reminders (kind, ref, threshold, sent_at) VALUES (?1, ?2, ?3, ?4)
ON CONFLICT (kind, ref, threshold) DO NOTHING;

-- name: RecordsBlockedBefore
-- Blocked records not yet queued for destruction, blocked at or before the
-- time given. A blocked record cannot be changed, so its updated_at is when
-- it was blocked.
SELECT r.id, r.subject_id, r.updated_at
FROM records r LEFT JOIN destruction_queue q ON q.record_id = r.id
WHERE r.state = 'blocked' AND r.updated_at <= ?1 AND q.record_id IS NULL
ORDER BY r.updated_at, r.id LIMIT ?2;

-- Retention sweep, batched (jobs area): one statement per step for a whole
-- batch of records, the ids passed as one JSON array, instead of one round
-- trip per record.

-- name: DataKeysDelete
DELETE FROM data_keys WHERE owner IN (SELECT value FROM json_each(?1));

-- name: RecordsDestroy
UPDATE records SET state = 'destroyed', fields = NULL, destroyed_at = ?1, updated_at = ?1
WHERE id IN (SELECT value FROM json_each(?2)) AND state <> 'destroyed';

-- name: VersionsDeleteMany
DELETE FROM record_versions WHERE record_id IN (SELECT value FROM json_each(?1));

-- name: DestructionDequeueMany
DELETE FROM destruction_queue WHERE record_id IN (SELECT value FROM json_each(?1));

-- name: ActRecordsInsert
-- Each element: [record, subject, purpose, category, ground, action, rule].
INSERT INTO act_records (act_id, record_id, subject_id, purpose, category, ground, action, rule)
SELECT ?1, value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4, value ->> 5, value ->> 6 FROM json_each(?2);
-- Subject portal (web/portal*.go, vault/portal.go).

-- name: PortalCodeInsert
INSERT INTO portal_codes (id, iin_hash, subject_id, channel, code_hash, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?);

-- name: PortalCodesSince
-- How many codes were asked for one IIN since a time: the limit per subject.
SELECT COUNT(*) FROM portal_codes WHERE iin_hash = ? AND created_at >= ?;

-- name: PortalCodeGet
SELECT id, iin_hash, subject_id, channel, code_hash, created_at, expires_at, attempts, used_at FROM portal_codes WHERE id = ?;

-- name: PortalCodeAttempt
-- Counts a try only while tries are left and the code is unused: one
-- statement, so that concurrent tries cannot exceed the limit.
UPDATE portal_codes SET attempts = attempts + 1 WHERE id = ? AND attempts < ? AND used_at IS NULL;

-- name: PortalCodeUse
UPDATE portal_codes SET used_at = ? WHERE id = ? AND used_at IS NULL;

-- name: PortalCodesPrune
-- Codes older than the longest rate-limit window serve nothing.
DELETE FROM portal_codes WHERE created_at < ?;

-- name: PortalSessionInsert
INSERT INTO portal_sessions (id, subject_id, secret_hash, created_at, expires_at) VALUES (?, ?, ?, ?, ?);

-- name: PortalSessionGet
SELECT id, subject_id, secret_hash, created_at, expires_at, ended_at FROM portal_sessions WHERE id = ?;

-- name: PortalSessionEnd
UPDATE portal_sessions SET ended_at = ? WHERE id = ? AND ended_at IS NULL;

-- name: PortalRequests
-- A subject's own requests for the portal, newest first, without content.
SELECT id, kind, state, outcome, subject_id, channel, representative, lang, received_at, clock_at, due_at, assignee, refusal,
       NULL, NULL, answered_at, updated_at
FROM requests WHERE subject_id = ? ORDER BY received_at DESC, id LIMIT 100;
-- console: the staff console's per-account language and sign-out.

-- name: StaffLangGet
SELECT lang FROM staff WHERE login = ?;

-- name: StaffLangSet
UPDATE staff SET lang = ? WHERE login = ?;

