-- Queries of the PostgreSQL store. Each is named after the method
-- that runs it; queries/sqlite.sql has the same names.

-- name: PolicyInsert
INSERT INTO policies (version, label, sha256, source, activated_at, activated_by)
VALUES ((SELECT COALESCE(MAX(version), 0) + 1 FROM policies), $1, $2, $3, $4, $5)
RETURNING version;

-- name: PolicyActive
SELECT version, label, sha256, source, activated_at, activated_by
FROM policies ORDER BY version DESC LIMIT 1;

-- name: PolicyList
SELECT version, label, sha256, activated_at, activated_by FROM policies ORDER BY version;

-- name: SubjectInsert
INSERT INTO subjects (id, category, state, identifiers, created_at) VALUES ($1, $2, 'active', $3, $4);

-- name: SubjectGet
SELECT id, category, state, identifiers, created_at, destroyed_at FROM subjects WHERE id = $1;

-- name: SubjectDestroy
UPDATE subjects SET state = 'destroyed', identifiers = NULL, destroyed_at = $1
WHERE id = $2 AND state <> 'destroyed';

-- name: IdentifierInsert
INSERT INTO identifiers (kind, hash, subject_id, key_version) VALUES ($1, $2, $3, $4);

-- name: IdentifierFind
SELECT subject_id FROM identifiers WHERE kind = $1 AND hash = $2 ORDER BY subject_id LIMIT 100;

-- name: IdentifiersDelete
DELETE FROM identifiers WHERE subject_id = $1;

-- name: RecordInsert
INSERT INTO records (id, subject_id, purpose, channel, ground, consent_id, state, field_names, fields, policy_version, created_at, updated_at, retention_end)
VALUES ($1, $2, $3, $4, $5, $6, 'active', $7, $8, $9, $10, $11, $12);

-- name: RecordGet
-- With the state and term of the consent the record rests on, if any.
SELECT r.id, r.subject_id, r.purpose, r.channel, r.ground, r.consent_id, r.state, r.field_names, r.fields, r.policy_version,
       r.created_at, r.updated_at, r.destroyed_at, COALESCE(c.state, ''), c.until_at, r.retention_end
FROM records r LEFT JOIN consents c ON c.id = r.consent_id WHERE r.id = $1;

-- name: RecordsBySubject
SELECT r.id, r.subject_id, r.purpose, r.channel, r.ground, r.consent_id, r.state, r.field_names, r.fields, r.policy_version,
       r.created_at, r.updated_at, r.destroyed_at, COALESCE(c.state, ''), c.until_at, r.retention_end
FROM records r LEFT JOIN consents c ON c.id = r.consent_id WHERE r.subject_id = $1 ORDER BY r.created_at, r.id;

-- name: RecordUpdate
UPDATE records SET field_names = $1, fields = $2, updated_at = $3 WHERE id = $4 AND state = 'active';

-- name: RecordsDestroyBySubject
UPDATE records SET state = 'destroyed', fields = NULL, destroyed_at = $1, updated_at = $2
WHERE subject_id = $3 AND state <> 'destroyed';

-- name: JournalInsert
INSERT INTO journal (seq, at, actor, action, purpose, subject, record, outcome, detail, hash)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10);

-- name: JournalRange
SELECT seq, at, actor, action, purpose, subject, record, outcome, detail, hash
FROM journal WHERE seq > $1 ORDER BY seq LIMIT $2;

-- name: JournalHeadGet
SELECT size, hash, at, signature FROM journal_head WHERE id = 1;

-- name: JournalHeadPut
INSERT INTO journal_head (id, size, hash, at, signature) VALUES (1, $1, $2, $3, $4)
ON CONFLICT (id) DO UPDATE SET size = excluded.size, hash = excluded.hash, at = excluded.at, signature = excluded.signature;

-- name: CheckpointInsert
INSERT INTO checkpoints (size, hash, at, signature) VALUES ($1, $2, $3, $4);

-- name: CheckpointList
SELECT size, hash, at, signature FROM checkpoints ORDER BY size;

-- name: APIKeyInsert
INSERT INTO api_keys (id, secret_hash, role, label, created_at) VALUES ($1, $2, $3, $4, $5);

-- name: APIKeyGet
SELECT id, secret_hash, role, label, created_at, revoked_at, last_used_at FROM api_keys WHERE id = $1;

-- name: APIKeyList
SELECT id, secret_hash, role, label, created_at, revoked_at, last_used_at FROM api_keys ORDER BY created_at;

-- name: APIKeyTouch
UPDATE api_keys SET last_used_at = $1 WHERE id = $2;

-- name: APIKeyRevoke
UPDATE api_keys SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL;

-- name: MasterInsert
INSERT INTO masters (version, check_value, created_at) VALUES ($1, $2, $3) ON CONFLICT (version) DO NOTHING;

-- name: MasterList
SELECT version, check_value FROM masters ORDER BY version;

-- name: DataKeyInsert
INSERT INTO data_keys (owner, master_version, wrapped) VALUES ($1, $2, $3);

-- name: DataKeyGet
SELECT wrapped FROM data_keys WHERE owner = $1;

-- name: DataKeyDelete
DELETE FROM data_keys WHERE owner = $1;

-- name: DataKeysBelow
SELECT owner, wrapped FROM data_keys WHERE master_version < $1 ORDER BY owner LIMIT $2;

-- name: DataKeyRewrap
UPDATE data_keys SET master_version = $1, wrapped = $2 WHERE owner = $3 AND wrapped = $4;

-- name: PolicyGet
SELECT version, label, sha256, source, activated_at, activated_by FROM policies WHERE version = $1;

-- name: ConsentInsert
INSERT INTO consents (id, subject_id, state, purposes, fields, third_party, cross_border, publication, notify_transfers,
                      account_bound, form, until_at, policy_version, content, given_at)
VALUES ($1, $2, 'given', $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14);

-- name: ConsentGet
SELECT id, subject_id, state, purposes, fields, third_party, cross_border, publication, notify_transfers,
       account_bound, form, until_at, policy_version, content, given_at, ended_at
FROM consents WHERE id = $1;

-- name: ConsentsBySubject
SELECT id, subject_id, state, purposes, fields, third_party, cross_border, publication, notify_transfers,
       account_bound, form, until_at, policy_version, content, given_at, ended_at
FROM consents WHERE subject_id = $1 ORDER BY given_at, id;

-- name: ConsentEnd
UPDATE consents SET state = $1, ended_at = $2 WHERE id = $3 AND state = 'given';

-- name: ConsentsForget
UPDATE consents SET content = NULL WHERE subject_id = $1;

-- name: ConsentEventInsert
INSERT INTO consent_events (id, consent_id, kind, at, actor, reason, due_at, content) VALUES ($1, $2, $3, $4, $5, $6, $7, $8);

-- name: ConsentEvents
SELECT id, consent_id, kind, at, actor, reason, due_at, content FROM consent_events WHERE consent_id = $1 ORDER BY at, id;

-- name: ConsentEventsForget
-- = ANY(ARRAY(…)): the subject's few consents are found first, then their
-- events by index, whatever the statistics say; with IN (SELECT …) and no
-- ANALYZE yet, the planner scanned every event.
UPDATE consent_events SET content = NULL WHERE consent_id = ANY(ARRAY(SELECT id FROM consents WHERE subject_id = $1));

-- name: DestructionEnqueue
INSERT INTO destruction_queue (record_id, subject_id, reason, queued_at, due_at) VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (record_id) DO NOTHING;

-- name: DestructionQueue
SELECT record_id, subject_id, reason, queued_at, due_at FROM destruction_queue ORDER BY queued_at, record_id LIMIT $1;

-- name: RecordsSetState
UPDATE records SET state = $1, updated_at = $2 WHERE subject_id = $3 AND state = $4;

-- name: RequestInsert
INSERT INTO requests (id, kind, state, subject_id, channel, representative, lang, received_at, clock_at, due_at, content, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12);

-- name: RequestGet
SELECT id, kind, state, outcome, subject_id, channel, representative, lang, received_at, clock_at, due_at, assignee, refusal,
       content, answer, answered_at, updated_at
FROM requests WHERE id = $1;

-- name: RequestUpdate
UPDATE requests SET state = $1, outcome = $2, subject_id = $3, clock_at = $4, due_at = $5, assignee = $6, refusal = $7, answer = $8,
       answered_at = $9, updated_at = $10
WHERE id = $11 AND updated_at = $12;

-- name: RequestList
-- Open requests first by due date (those the calendar could not count at
-- the top), then answered ones; filters are off when their value is empty.
SELECT id, kind, state, outcome, subject_id, channel, representative, lang, received_at, clock_at, due_at, assignee, refusal,
       NULL, NULL, answered_at, updated_at
FROM requests
WHERE ($1 = '' OR state = $2)
  AND ($3 = 0 OR (state <> 'answered' AND (due_at IS NULL OR due_at < $4)))
  AND ($5 = '' OR assignee = $6)
ORDER BY CASE WHEN state = 'answered' THEN 1 ELSE 0 END, COALESCE(due_at, 0), received_at, id
LIMIT $7;

-- name: RecordCorrect
-- A correction on a subject's request: allowed on blocked records too, the
-- request being the ground of the change.
UPDATE records SET field_names = $1, fields = $2, updated_at = $3 WHERE id = $4 AND state <> 'destroyed';

-- name: TransferInsert
INSERT INTO transfers (id, subject_id, recipient, purpose, ground, consent_id, reference, records, fields, country, cross_border,
                       decided_by, created_at, notify_due)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14);

-- name: TransferGet
SELECT id, subject_id, recipient, purpose, ground, consent_id, reference, records, fields, country, cross_border,
       decided_by, created_at, notify_due, notified_at, revoked_at
FROM transfers WHERE id = $1;

-- name: TransfersBySubject
SELECT id, subject_id, recipient, purpose, ground, consent_id, reference, records, fields, country, cross_border,
       decided_by, created_at, notify_due, notified_at, revoked_at
FROM transfers WHERE subject_id = $1 ORDER BY created_at, id;

-- name: TransfersByRecipient
SELECT id, subject_id, recipient, purpose, ground, consent_id, reference, records, fields, country, cross_border,
       decided_by, created_at, notify_due, notified_at, revoked_at
FROM transfers WHERE recipient = $1 ORDER BY created_at DESC, id LIMIT $2;

-- name: TransfersToNotify
SELECT id, subject_id, recipient, purpose, ground, consent_id, reference, records, fields, country, cross_border,
       decided_by, created_at, notify_due, notified_at, revoked_at
FROM transfers WHERE notify_due IS NOT NULL AND notified_at IS NULL ORDER BY notify_due, id LIMIT $1;

-- name: TransferNotified
UPDATE transfers SET notified_at = $1 WHERE id = $2 AND notified_at IS NULL;

-- name: TransferRevoke
UPDATE transfers SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL;

-- name: GrantInsert
INSERT INTO grants (id, transfer_id, secret_hash, created_at, expires_at) VALUES ($1, $2, $3, $4, $5);

-- name: GrantGet
SELECT id, transfer_id, secret_hash, created_at, expires_at, revoked_at, last_used_at FROM grants WHERE id = $1;

-- name: GrantsRevoke
UPDATE grants SET revoked_at = $1 WHERE transfer_id = $2 AND revoked_at IS NULL;

-- name: GrantTouch
UPDATE grants SET last_used_at = $1 WHERE id = $2;

-- name: RecordRetentionStart
UPDATE records SET retention_end = $1 WHERE id = $2 AND state <> 'destroyed';

-- name: RecordsDue
-- Records whose term has ended, soonest first, with what an act records.
SELECT r.id, r.subject_id, r.purpose, r.ground, s.category, 'retention-end'
FROM records r JOIN subjects s ON s.id = r.subject_id
WHERE r.retention_end IS NOT NULL AND r.retention_end <= $1 AND r.state <> 'destroyed'
ORDER BY r.retention_end, r.id LIMIT $2;

-- name: RecordsQueuedDue
SELECT r.id, r.subject_id, r.purpose, r.ground, s.category, q.reason
FROM destruction_queue q JOIN records r ON r.id = q.record_id JOIN subjects s ON s.id = r.subject_id
WHERE (q.due_at IS NULL OR q.due_at <= $1) AND r.state <> 'destroyed'
ORDER BY q.queued_at, q.record_id LIMIT $2;

-- name: RecordDestroy
UPDATE records SET state = 'destroyed', fields = NULL, destroyed_at = $1, updated_at = $2 WHERE id = $3 AND state <> 'destroyed';

-- name: DestructionDequeue
DELETE FROM destruction_queue WHERE record_id = $1;

-- name: JobLease
INSERT INTO jobs (name, holder, lease_until) VALUES ($1, $2, $3)
ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, lease_until = excluded.lease_until
WHERE jobs.lease_until < $4 OR jobs.holder = excluded.holder;

-- name: JobRelease
UPDATE jobs SET lease_until = 0, last_run_at = $1 WHERE name = $2 AND holder = $3;

-- name: ActInsert
INSERT INTO acts (id, kind, started_at) VALUES ($1, $2, $3);

-- name: ActRecordInsert
INSERT INTO act_records (act_id, record_id, subject_id, purpose, category, ground, action, rule) VALUES ($1, $2, $3, $4, $5, $6, $7, $8);

-- name: ActRecords
SELECT record_id, subject_id, purpose, category, ground, action, rule FROM act_records WHERE act_id = $1 ORDER BY record_id;

-- name: ActSeal
UPDATE acts SET sealed_at = $1, records = $2, summary = $3, signature = $4 WHERE id = $5 AND sealed_at IS NULL;

-- name: ActsUnsealed
SELECT id, kind, started_at, sealed_at, records, summary, signature FROM acts WHERE sealed_at IS NULL ORDER BY started_at, id;

-- name: ActGet
SELECT id, kind, started_at, sealed_at, records, summary, signature FROM acts WHERE id = $1;

-- name: ActList
SELECT id, kind, started_at, sealed_at, records, summary, signature FROM acts ORDER BY started_at DESC, id LIMIT $1;

-- name: StatsInsert
INSERT INTO stats_rows (id, purpose, category, collected_year, attributes, created_at) VALUES ($1, $2, $3, $4, $5, $6);

-- name: StatsByPurpose
SELECT category, collected_year, attributes FROM stats_rows WHERE purpose = $1 ORDER BY id;

-- name: RecordsEndingBefore
-- What the sweep will destroy or depersonalise before a time, and why.
SELECT r.id, r.subject_id, r.purpose, r.ground, s.category, 'retention-end', r.retention_end
FROM records r JOIN subjects s ON s.id = r.subject_id
WHERE r.retention_end IS NOT NULL AND r.retention_end <= $1 AND r.state <> 'destroyed'
UNION ALL
SELECT r.id, r.subject_id, r.purpose, r.ground, s.category, q.reason, q.due_at
FROM destruction_queue q JOIN records r ON r.id = q.record_id JOIN subjects s ON s.id = r.subject_id
WHERE (q.due_at IS NULL OR q.due_at <= $2) AND r.state <> 'destroyed'
ORDER BY 7, 1 LIMIT $3;

-- name: IncidentInsert
-- An incident a rule already opened for the same principal and window is
-- not opened twice.
INSERT INTO incidents (id, kind, source, principal, detected_at, classification, status, notice_due, subjects, content, updated_at, dedup)
VALUES ($1, $2, $3, $4, $5, 'suspected', 'open', $6, $7, $8, $9, $10)
ON CONFLICT (dedup) DO NOTHING;

-- name: IncidentGet
SELECT id, kind, source, principal, detected_at, classification, status, notice_due, notice_sent_at, subjects, content, updated_at
FROM incidents WHERE id = $1;

-- name: IncidentList
SELECT id, kind, source, principal, detected_at, classification, status, notice_due, notice_sent_at, subjects, NULL, updated_at
FROM incidents WHERE ($1 = '' OR status = $2) ORDER BY CASE WHEN status = 'open' THEN 0 ELSE 1 END, detected_at DESC, id LIMIT $3;

-- name: IncidentUpdate
UPDATE incidents SET classification = $1, status = $2, notice_sent_at = $3, subjects = $4, content = $5, updated_at = $6 WHERE id = $7;

-- name: StaffInsert
INSERT INTO staff (login, name, role, password_hash, totp, created_at) VALUES ($1, $2, $3, $4, $5, $6);

-- name: StaffGet
SELECT login, name, role, password_hash, totp, created_at, disabled_at, failures, locked_until, last_login_at FROM staff WHERE login = $1;

-- name: StaffList
SELECT login, name, role, password_hash, NULL, created_at, disabled_at, failures, locked_until, last_login_at FROM staff ORDER BY login;

-- name: StaffLoginFailed
UPDATE staff SET failures = failures + 1, locked_until = $1 WHERE login = $2;

-- name: StaffLoginOK
UPDATE staff SET failures = 0, locked_until = 0, last_login_at = $1 WHERE login = $2;

-- name: StaffDisable
UPDATE staff SET disabled_at = $1 WHERE login = $2 AND disabled_at IS NULL;

-- name: SessionInsert
INSERT INTO sessions (id, login, secret_hash, created_at, expires_at) VALUES ($1, $2, $3, $4, $5);

-- name: SessionGet
SELECT s.id, s.login, s.secret_hash, s.expires_at, s.revoked_at, st.role, st.disabled_at
FROM sessions s JOIN staff st ON st.login = s.login WHERE s.id = $1;

-- name: SessionsRevoke
UPDATE sessions SET revoked_at = $1 WHERE login = $2 AND revoked_at IS NULL;

-- name: VersionInsert
INSERT INTO record_versions (record_id, version, field_names, fields, replaced_at, replaced_by)
VALUES ($1, (SELECT COALESCE(MAX(version), 0) + 1 FROM record_versions WHERE record_id = $2), $3, $4, $5, $6);

-- name: VersionList
SELECT version, field_names, fields, replaced_at, replaced_by FROM record_versions WHERE record_id = $1 ORDER BY version;

-- name: VersionsDelete
DELETE FROM record_versions WHERE record_id = $1;

-- name: VersionsDeleteBySubject
-- = ANY(ARRAY(…)) for the reason given at ConsentEventsForget.
DELETE FROM record_versions WHERE record_id = ANY(ARRAY(SELECT id FROM records WHERE subject_id = $1));

-- name: Gauges
-- What /metrics shows of the store: counts only, no personal data.
SELECT (SELECT COUNT(*) FROM subjects WHERE state <> 'destroyed'),
       (SELECT COUNT(*) FROM records WHERE state = 'active'),
       (SELECT COALESCE(MAX(size), 0) FROM journal_head),
       (SELECT COUNT(*) FROM requests WHERE state <> 'answered'),
       (SELECT COUNT(*) FROM requests WHERE state <> 'answered' AND (due_at IS NULL OR due_at < $1)),
       (SELECT COUNT(*) FROM incidents WHERE status = 'open'),
       (SELECT COUNT(*) FROM destruction_queue),
       (SELECT COALESCE(MAX(sealed_at), 0) FROM acts);

-- name: ConsentsExpired
-- Consents whose term has ended but that no sweep has closed yet.
SELECT id, subject_id, state, purposes, fields, third_party, cross_border, publication, notify_transfers,
       account_bound, form, until_at, policy_version, content, given_at, ended_at
FROM consents WHERE state = 'given' AND until_at IS NOT NULL AND until_at <= $1 ORDER BY until_at, id LIMIT $2;

-- name: JobRunInsert
INSERT INTO job_runs (job, started_at, finished_at, node, outcome, summary) VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT (job, started_at, node) DO NOTHING;

-- name: JobRuns
SELECT job, started_at, finished_at, node, outcome, summary FROM job_runs ORDER BY started_at DESC LIMIT $1;

-- Access (issue 7): revocation generation, single-use TOTP, logout,
-- detection counters, networks of API keys.

-- name: RevocationGeneration
SELECT generation FROM revocations WHERE id = 1;

-- name: RevocationBump
UPDATE revocations SET generation = generation + 1 WHERE id = 1;

-- name: StaffTOTPStepUse
-- Takes a TOTP step only if it is later than the last one accepted: a code
-- works once, on every node.
UPDATE staff SET totp_step = $1 WHERE login = $2 AND totp_step < $3;

-- name: SessionRevoke
UPDATE sessions SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL;

-- name: DetectionCount
INSERT INTO detection_counts (key, count, at) VALUES ($1, 1, $2)
ON CONFLICT (key) DO UPDATE SET count = detection_counts.count + 1
RETURNING count;

-- name: DetectionPrune
DELETE FROM detection_counts WHERE at < $1;

-- name: DetectionSubjectAdd
INSERT INTO detection_subjects (key, subject, at) VALUES ($1, $2, $3) ON CONFLICT (key, subject) DO NOTHING;

-- name: DetectionSubjectsPrune
DELETE FROM detection_subjects WHERE at < $1;

-- name: KeyNetworkAdd
INSERT INTO key_networks (key_id, network, first_seen) VALUES ($1, $2, $3) ON CONFLICT (key_id, network) DO NOTHING;

-- name: KeyNetworkCount
SELECT COUNT(*) FROM key_networks WHERE key_id = $1;
-- Operations (export, blind-index rotation, metrics).

-- name: SubjectsByPurpose
-- A page of subjects holding an active record of a purpose, in id order
-- (keyset paging: each page starts after the last id of the one before).
SELECT DISTINCT subject_id FROM records WHERE subject_id > $1 AND purpose = $2 AND state = 'active' ORDER BY subject_id LIMIT $3;

-- name: GaugesOps
-- The rest of what /metrics shows: the last signed checkpoint, when the
-- journal's head was last signed, and open requests falling due soon
-- (deadline between now and the horizon).
SELECT (SELECT COALESCE(MAX(size), 0) FROM checkpoints),
       (SELECT COALESCE(MAX(at), 0) FROM checkpoints),
       (SELECT COALESCE(MAX(at), 0) FROM journal_head),
       (SELECT COUNT(*) FROM requests WHERE state <> 'answered' AND due_at >= $1 AND due_at < $2);

-- name: IdentifiersBelow
-- A page of subjects with a blind index made by an index key older than
-- the given version, in id order after a subject id (a rotation's pass).
SELECT DISTINCT subject_id FROM identifiers WHERE key_version < $1 AND subject_id > $2 ORDER BY subject_id LIMIT $3;

-- name: IdentifiersCountBelow
SELECT COUNT(*) FROM identifiers WHERE key_version < $1;

-- name: IdentifierReindex
-- Replaces a subject's blind index of one kind with one made by a newer
-- index key; an index already that new is left alone.
UPDATE identifiers SET hash = $1, key_version = $2 WHERE kind = $3 AND subject_id = $4 AND key_version < $5;
-- Scheduler (package jobs): the shared state of periodic jobs.

-- name: JobScheduleEnsure
-- A job a node registers; the first node to register it sets its first run.
INSERT INTO job_schedule (name, next_run_at) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING;

-- name: JobClaim
-- Takes a due job unless another node's lease on it is still running: one
-- statement, so of several nodes exactly one gets it.
UPDATE job_schedule SET lease_owner = $1, lease_until = $2, last_started = $3
WHERE name = $4 AND next_run_at <= $3 AND lease_until < $3
RETURNING next_run_at, attempts;

-- name: JobRenew
UPDATE job_schedule SET lease_until = $1 WHERE name = $2 AND lease_owner = $3;

-- name: JobAbandon
-- Gives a run back unfinished (the node is shutting down): still due.
UPDATE job_schedule SET lease_owner = '', lease_until = 0 WHERE name = $1 AND lease_owner = $2;

-- name: JobComplete
-- Ends a claimed run that succeeded; changes nothing when the lease was lost.
UPDATE job_schedule SET next_run_at = $1, lease_owner = '', lease_until = 0, attempts = 0, last_error = '',
       last_finished = $2, last_ok = $2
WHERE name = $3 AND lease_owner = $4;

-- name: JobFail
-- Ends a claimed run that failed: it is retried at next_run_at (the backoff).
UPDATE job_schedule SET next_run_at = $1, lease_owner = '', lease_until = 0, attempts = attempts + 1, last_error = $2,
       last_finished = $3
WHERE name = $4 AND lease_owner = $5;

-- name: JobSchedules
SELECT name, next_run_at, lease_owner, lease_until, attempts, last_error, last_started, last_finished, last_ok
FROM job_schedule ORDER BY name;

-- name: ReminderSent
SELECT COUNT(*) FROM reminders WHERE kind = $1 AND ref = $2 AND threshold = $3;

-- name: ReminderInsert
INSERT INTO reminders (kind, ref, threshold, sent_at) VALUES ($1, $2, $3, $4)
ON CONFLICT (kind, ref, threshold) DO NOTHING;

-- name: RecordsBlockedBefore
-- Blocked records not yet queued for destruction, blocked at or before the
-- time given. A blocked record cannot be changed, so its updated_at is when
-- it was blocked.
SELECT r.id, r.subject_id, r.updated_at
FROM records r LEFT JOIN destruction_queue q ON q.record_id = r.id
WHERE r.state = 'blocked' AND r.updated_at <= $1 AND q.record_id IS NULL
ORDER BY r.updated_at, r.id LIMIT $2;

-- Retention sweep, batched (jobs area): one statement per step for a whole
-- batch of records, the ids passed as one JSON array, instead of one round
-- trip per record.

-- name: DataKeysDelete
DELETE FROM data_keys WHERE owner IN (SELECT jsonb_array_elements_text($1::jsonb));

-- name: RecordsDestroy
UPDATE records SET state = 'destroyed', fields = NULL, destroyed_at = $1, updated_at = $1
WHERE id IN (SELECT jsonb_array_elements_text($2::jsonb)) AND state <> 'destroyed';

-- name: VersionsDeleteMany
DELETE FROM record_versions WHERE record_id IN (SELECT jsonb_array_elements_text($1::jsonb));

-- name: DestructionDequeueMany
DELETE FROM destruction_queue WHERE record_id IN (SELECT jsonb_array_elements_text($1::jsonb));

-- name: ActRecordsInsert
-- Each element: [record, subject, purpose, category, ground, action, rule].
INSERT INTO act_records (act_id, record_id, subject_id, purpose, category, ground, action, rule)
SELECT $1, value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4, value ->> 5, value ->> 6 FROM jsonb_array_elements($2::jsonb) AS value;
-- Subject portal (web/portal*.go, vault/portal.go).

-- name: PortalCodeInsert
INSERT INTO portal_codes (id, iin_hash, subject_id, channel, code_hash, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7);

-- name: PortalCodesSince
-- How many codes were asked for one IIN since a time: the limit per subject.
SELECT COUNT(*) FROM portal_codes WHERE iin_hash = $1 AND created_at >= $2;

-- name: PortalCodeGet
SELECT id, iin_hash, subject_id, channel, code_hash, created_at, expires_at, attempts, used_at FROM portal_codes WHERE id = $1;

-- name: PortalCodeAttempt
-- Counts a try only while tries are left and the code is unused: one
-- statement, so that concurrent tries cannot exceed the limit.
UPDATE portal_codes SET attempts = attempts + 1 WHERE id = $1 AND attempts < $2 AND used_at IS NULL;

-- name: PortalCodeUse
UPDATE portal_codes SET used_at = $1 WHERE id = $2 AND used_at IS NULL;

-- name: PortalCodesPrune
-- Codes older than the longest rate-limit window serve nothing.
DELETE FROM portal_codes WHERE created_at < $1;

-- name: PortalSessionInsert
INSERT INTO portal_sessions (id, subject_id, secret_hash, created_at, expires_at) VALUES ($1, $2, $3, $4, $5);

-- name: PortalSessionGet
SELECT id, subject_id, secret_hash, created_at, expires_at, ended_at FROM portal_sessions WHERE id = $1;

-- name: PortalSessionEnd
UPDATE portal_sessions SET ended_at = $1 WHERE id = $2 AND ended_at IS NULL;

-- name: PortalRequests
-- A subject's own requests for the portal, newest first, without content.
SELECT id, kind, state, outcome, subject_id, channel, representative, lang, received_at, clock_at, due_at, assignee, refusal,
       NULL, NULL, answered_at, updated_at
FROM requests WHERE subject_id = $1 ORDER BY received_at DESC, id LIMIT 100;
-- console: the staff console's per-account language and sign-out.

-- name: StaffLangGet
SELECT lang FROM staff WHERE login = $1;

-- name: StaffLangSet
UPDATE staff SET lang = $1 WHERE login = $2;

