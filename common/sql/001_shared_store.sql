-- otpgate shared store, schema version 1 (store = postgresql).
--
-- `otpgate store init` runs each migration it has not yet applied, in
-- order, in one transaction, as the schema's owner, then grants the login
-- role (the user of store_url) only what logins need: read and write the
-- rows below, append to the audit log, never change the schema.
-- docs/state-records.md describes every table; the module refuses a schema
-- newer than it knows.
--
-- Every table lives in the schema `otpgate`; statements name it in full,
-- so no search_path decides what they touch.

CREATE TABLE otpgate.schema_version (
    version integer PRIMARY KEY,
    applied_at timestamptz NOT NULL DEFAULT now(),
    applied_by text NOT NULL DEFAULT current_user
);

-- A user's enrollment: the enrollment text of otpgate.conf(5) sealed with
-- AES-256-GCM under store_key (a version byte, 12-byte nonce, ciphertext,
-- 16-byte tag), with the associated data binding it to user_name and
-- enrollment_id. method is in clear for `otpgate list`; nothing secret is.
CREATE TABLE otpgate.enrollments (
    user_name text PRIMARY KEY CHECK (length(user_name) BETWEEN 1 AND 256),
    enrollment_id text NOT NULL CHECK (enrollment_id ~ '^[0-9a-f]{1,64}$'),
    method text NOT NULL CHECK (method IN ('totp', 'sms', 'email')),
    sealed bytea NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now(),
    updated_by text NOT NULL
);

-- A user's login state: what state/user_state.hpp holds, one row per user,
-- locked (SELECT ... FOR UPDATE) by each check-and-record. Times are Unix
-- seconds. remembered_hosts: 24 bytes each, a 16-byte keyed tag and the
-- time as an 8-byte big-endian integer, oldest first.
CREATE TABLE otpgate.user_states (
    user_name text PRIMARY KEY CHECK (length(user_name) BETWEEN 1 AND 256),
    enrollment_id text NOT NULL DEFAULT '',
    last_totp_step bigint,
    backup_used_mask bigint NOT NULL DEFAULT 0,
    verified_destination text NOT NULL DEFAULT '',
    verified_at bigint NOT NULL DEFAULT 0,
    recent_sends bigint[] NOT NULL DEFAULT '{}',
    last_success bigint NOT NULL DEFAULT 0,
    locked_at bigint NOT NULL DEFAULT 0,
    recent_failures bigint[] NOT NULL DEFAULT '{}',
    remembered_hosts bytea NOT NULL DEFAULT '',
    updated_at timestamptz NOT NULL DEFAULT now(),
    updated_by text NOT NULL DEFAULT ''
);

-- Each SMS code sent, by host, for host_max_sms_per_hour and
-- fleet_max_sms_per_hour. A reservation locks the single row of
-- sms_reservation first, so two hosts never both take the last send.
-- Rows older than an hour are deleted by the next reservation.
CREATE TABLE otpgate.sms_sends (
    host_name text NOT NULL,
    sent_at bigint NOT NULL
);
CREATE INDEX sms_sends_by_time ON otpgate.sms_sends (sent_at);
CREATE INDEX sms_sends_by_host ON otpgate.sms_sends (host_name, sent_at);

CREATE TABLE otpgate.sms_reservation (
    id integer PRIMARY KEY CHECK (id = 1)
);
INSERT INTO otpgate.sms_reservation VALUES (1);

-- Secrets of the fleet rather than of a user, sealed like enrollments
-- (associated data: the name): the key of remembered hosts.
CREATE TABLE otpgate.fleet_secrets (
    name text PRIMARY KEY,
    sealed bytea NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

-- What happened, where: each login's outcome and each change of a second
-- factor. Never a code, a secret or a destination. Hosts may append and
-- read, never rewrite.
CREATE TABLE otpgate.audit_log (
    id bigserial PRIMARY KEY,
    at timestamptz NOT NULL DEFAULT now(),
    host_name text NOT NULL,
    service text NOT NULL,
    user_name text NOT NULL,
    remote_host text NOT NULL DEFAULT '',
    event text NOT NULL,
    outcome text NOT NULL
);
CREATE INDEX audit_log_by_time ON otpgate.audit_log (at);
CREATE INDEX audit_log_by_user ON otpgate.audit_log (user_name, at);
CREATE INDEX audit_log_by_host ON otpgate.audit_log (host_name, at);
