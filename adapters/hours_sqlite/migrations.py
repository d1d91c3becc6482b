"""The schema, as an ordered set of sqlite-utils :class:`~sqlite_utils.Migrations`.

Migrations are named ``NNNN_what`` and applied in registration order; sqlite-utils records each
applied name in its ``_sqlite_migrations`` table (migration set ``"hours"``). A new migration is
a new function at the end of this module; an applied one is never edited.

:func:`apply_pending` runs every pending migration inside one ``BEGIN IMMEDIATE`` transaction on
the writer connection, so two processes migrating the same file at once serialize: the second
finds nothing pending. Each migration still runs in its own savepoint (sqlite-utils nests
``atomic()``), and any failure rolls the whole run back.

Storage conventions (every table is ``STRICT``; the codecs are :mod:`hours_sqlite.dialect`):

* ids are UUIDs as ``TEXT`` in canonical form (lowercase, hyphenated), so text order is UUID order;
* dates are ``TEXT`` ``YYYY-MM-DD``; instants are ``TEXT`` ``YYYY-MM-DDTHH:MM:SS.ffffffZ`` (UTC,
  fixed width), so text order is time order;
* booleans are ``INTEGER`` 0/1 with a ``CHECK``;
* the unique constraints the repositories name (:data:`hours_sql.tables.UNIQUE_CONSTRAINTS`) have
  the names they have on PostgreSQL, or, where SQLite names no constraint (a primary key), the
  same columns;
* tenancy is enforced by composite foreign keys: a row that names a user, project or task names
  it together with its own ``org_id``, so it can only refer to rows of its own organization.
"""

from __future__ import annotations

import json
import pathlib
import sqlite3
from contextlib import closing
from datetime import UTC, datetime

from sqlite_utils import Database, Migrations

from hours_sql.upgrades import NAMED_TABLES, named_and_keyed, rekeyed, visible_names, visible_user_names
from hours_sqlite.dialect import encode_instant

__all__ = ["MIGRATIONS", "NotAnHoursDatabase", "apply_pending", "pending", "refuse_another_applications"]

MIGRATIONS = Migrations("hours")

_INITIAL = (
    """
    CREATE TABLE orgs (
        id TEXT NOT NULL PRIMARY KEY,
        name TEXT NOT NULL,
        plan TEXT NOT NULL,
        created_at TEXT NOT NULL
    ) STRICT
    """,
    "CREATE INDEX orgs_by_age ON orgs (created_at, id)",
    """
    CREATE TABLE users (
        id TEXT NOT NULL PRIMARY KEY,
        org_id TEXT NOT NULL REFERENCES orgs (id),
        email TEXT NOT NULL,
        role TEXT NOT NULL,
        created_at TEXT NOT NULL,
        UNIQUE (org_id, id)
    ) STRICT
    """,
    "CREATE UNIQUE INDEX users_email_per_org ON users (org_id, email COLLATE NOCASE)",
    "CREATE INDEX users_by_org_age ON users (org_id, created_at, id)",
    """
    CREATE TABLE projects (
        id TEXT NOT NULL PRIMARY KEY,
        org_id TEXT NOT NULL REFERENCES orgs (id),
        name TEXT NOT NULL,
        archived INTEGER NOT NULL CHECK (archived IN (0, 1)),
        billable_by_default INTEGER NOT NULL CHECK (billable_by_default IN (0, 1)),
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        UNIQUE (org_id, id)
    ) STRICT
    """,
    "CREATE INDEX projects_by_org_age ON projects (org_id, created_at, id)",
    """
    CREATE TABLE tasks (
        id TEXT NOT NULL PRIMARY KEY,
        org_id TEXT NOT NULL,
        project_id TEXT NOT NULL,
        name TEXT NOT NULL,
        archived INTEGER NOT NULL CHECK (archived IN (0, 1)),
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        UNIQUE (org_id, project_id, id),
        FOREIGN KEY (org_id, project_id) REFERENCES projects (org_id, id)
    ) STRICT
    """,
    "CREATE INDEX tasks_by_project_age ON tasks (org_id, project_id, created_at, id)",
    """
    CREATE TABLE time_entries (
        id TEXT NOT NULL PRIMARY KEY,
        org_id TEXT NOT NULL,
        user_id TEXT NOT NULL,
        project_id TEXT NOT NULL,
        task_id TEXT,
        invoice_id TEXT,
        duration_seconds INTEGER NOT NULL CHECK (duration_seconds BETWEEN 0 AND 86400),
        billable INTEGER NOT NULL CHECK (billable IN (0, 1)),
        note TEXT,
        entry_date TEXT NOT NULL,
        started_at TEXT,
        stopped_at TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        deleted_at TEXT,
        CHECK (stopped_at IS NULL OR started_at IS NOT NULL),
        FOREIGN KEY (org_id, user_id) REFERENCES users (org_id, id),
        FOREIGN KEY (org_id, project_id) REFERENCES projects (org_id, id),
        FOREIGN KEY (org_id, project_id, task_id) REFERENCES tasks (org_id, project_id, id)
    ) STRICT
    """,
    # The list order is (entry_date, created_at, id) within an organization, optionally of one
    # user: these two indexes serve keyset pages of either, in both directions. Other filters
    # (project, task, flags) are checked on the rows of the organization's (or user's) range; a
    # per-project index would speed those up at about 15% of the bulk insert rate.
    "CREATE INDEX time_entries_in_order ON time_entries (org_id, entry_date, created_at, id)",
    "CREATE INDEX time_entries_of_user_in_order"
    " ON time_entries (org_id, user_id, entry_date, created_at, id)",
    # The sync feed (updated_since) and the running timer of a user.
    "CREATE INDEX time_entries_by_update ON time_entries (org_id, updated_at)",
    """
    CREATE INDEX time_entries_running ON time_entries (org_id, user_id)
    WHERE stopped_at IS NULL AND started_at IS NOT NULL AND deleted_at IS NULL
    """,
    """
    CREATE TABLE api_tokens (
        prefix TEXT NOT NULL PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        org_id TEXT NOT NULL,
        user_id TEXT NOT NULL,
        name TEXT NOT NULL,
        env TEXT NOT NULL,
        secret_hash TEXT NOT NULL,
        created_at TEXT NOT NULL,
        expires_at TEXT,
        revoked_at TEXT,
        last_used_at TEXT,
        FOREIGN KEY (org_id, user_id) REFERENCES users (org_id, id)
    ) STRICT
    """,
    "CREATE INDEX api_tokens_of_user ON api_tokens (org_id, user_id, created_at, id)",
    """
    CREATE TABLE idempotency_records (
        org_id TEXT NOT NULL,
        user_id TEXT NOT NULL,
        key TEXT NOT NULL,
        fingerprint TEXT NOT NULL,
        created_at TEXT NOT NULL,
        response_status INTEGER,
        response_body BLOB,
        response_headers TEXT,
        completed_at TEXT,
        PRIMARY KEY (org_id, user_id, key),
        FOREIGN KEY (org_id, user_id) REFERENCES users (org_id, id),
        CHECK ((response_status IS NULL) = (response_body IS NULL)),
        CHECK ((response_status IS NULL) = (response_headers IS NULL))
    ) STRICT
    """,
    "CREATE INDEX idempotency_records_by_completion ON idempotency_records (completed_at)"
    " WHERE completed_at IS NOT NULL",
)


@MIGRATIONS(name="0001_initial")
def _initial(db: Database) -> None:
    """Organizations, users, projects, tasks, time entries, API tokens, idempotency records."""
    for statement in _INITIAL:
        db.execute(statement)


# 0002: the idempotency record keeps the result of the request as opaque bytes, encoded by the
# adapter that ran it, instead of an HTTP status, body and headers in columns of their own. The
# table is rebuilt (SQLite cannot drop columns that a CHECK names); records of 0001 are framed as
# the HTTP adapter frames a response from 0002 on, so that a replay across the upgrade still works.

_IDEMPOTENCY_RESULT = (
    """
    CREATE TABLE idempotency_records_0002 (
        org_id TEXT NOT NULL,
        user_id TEXT NOT NULL,
        key TEXT NOT NULL,
        fingerprint TEXT NOT NULL,
        created_at TEXT NOT NULL,
        result BLOB,
        completed_at TEXT,
        PRIMARY KEY (org_id, user_id, key),
        FOREIGN KEY (org_id, user_id) REFERENCES users (org_id, id),
        CHECK ((result IS NULL) = (completed_at IS NULL))
    ) STRICT
    """,
    """
    INSERT INTO idempotency_records_0002
    SELECT org_id, user_id, key, fingerprint, created_at,
        hours_0002_framed_response(response_status, response_headers, response_body), completed_at
    FROM idempotency_records
    """,
    "DROP TABLE idempotency_records",
    "ALTER TABLE idempotency_records_0002 RENAME TO idempotency_records",
    "CREATE INDEX idempotency_records_by_completion ON idempotency_records (completed_at)"
    " WHERE completed_at IS NOT NULL",
)


def _framed_response(status: int | None, headers: str | None, body: bytes | None) -> bytes | None:
    """A response recorded by 0001 as ``hours_http.idempotency`` frames one since 0002: the status
    line ``HTTP/1.1 <status> ``, a ``Name: value`` line per header, an empty line, the body."""
    if status is None or headers is None or body is None:
        return None
    lines = [f"HTTP/1.1 {status:d} ".encode()]
    lines += [f"{name}: {value}".encode() for name, value in json.loads(headers)]
    return b"\r\n".join(lines) + b"\r\n\r\n" + bytes(body)


@MIGRATIONS(name="0002_idempotency_result")
def _idempotency_result(db: Database) -> None:
    """Idempotency records keep an opaque result instead of an HTTP response."""
    db.conn.create_function("hours_0002_framed_response", 3, _framed_response, deterministic=True)
    for statement in _IDEMPOTENCY_RESULT:
        db.execute(statement)


# 0003: at most one running timer per user, as on PostgreSQL: the running-timer index becomes
# UNIQUE, so that the database refuses a second one whichever process starts it. Before 0003 two
# processes could each start one; the migration keeps the first (the one ``running_for_user``
# reports: the oldest by creation time, then id) and soft-deletes the others, which their owners can
# still find (``include_deleted``, the sync feed) and restore once the first has stopped.

_ONE_RUNNING_TIMER = (
    """
    UPDATE time_entries
    SET deleted_at = max(updated_at, :now), updated_at = max(updated_at, :now)
    WHERE started_at IS NOT NULL AND stopped_at IS NULL AND deleted_at IS NULL
        AND EXISTS (
            SELECT 1 FROM time_entries AS earlier
            WHERE earlier.org_id = time_entries.org_id AND earlier.user_id = time_entries.user_id
                AND earlier.started_at IS NOT NULL AND earlier.stopped_at IS NULL
                AND earlier.deleted_at IS NULL
                AND (earlier.created_at, earlier.id) < (time_entries.created_at, time_entries.id)
        )
    """,
    "DROP INDEX time_entries_running",
    """
    CREATE UNIQUE INDEX time_entries_one_running_per_user ON time_entries (org_id, user_id)
    WHERE started_at IS NOT NULL AND stopped_at IS NULL AND deleted_at IS NULL
    """,
)


@MIGRATIONS(name="0003_one_running_timer_per_user")
def _one_running_timer_per_user(db: Database) -> None:
    """The database refuses a second running timer of one user (extra ones are soft-deleted first)."""
    now = {"now": encode_instant(datetime.now(UTC))}
    for statement in _ONE_RUNNING_TIMER:
        db.execute(statement, now if ":now" in statement else ())


# 0004: the organization's settings and its team. Organizations get a time zone (UTC) and the first
# day of their week (Monday); users a display name (the local part of their email, the rule of
# User.name_from_email), a deactivation time, and the key their email is compared by
# (hours_core.emails.email_key: Unicode case folding, which SQLite's NOCASE does for ASCII only),
# with the unique index on it. Two emails of one organization that NOCASE let in but the key folds
# alike (ÉLODIE@ and élodie@) keep their emails: the later user's key gets " " and its id appended
# (no address holds a space), so both can sign in as before, and no new user takes either address.

_ORG_SETTINGS_AND_TEAM = (
    "ALTER TABLE orgs ADD COLUMN timezone TEXT NOT NULL DEFAULT 'UTC'",
    "ALTER TABLE orgs ADD COLUMN week_start TEXT NOT NULL DEFAULT 'monday'"
    " CHECK (week_start IN ('monday', 'sunday'))",
    "ALTER TABLE users ADD COLUMN name TEXT NOT NULL DEFAULT ''",
    "ALTER TABLE users ADD COLUMN deactivated_at TEXT",
    "ALTER TABLE users ADD COLUMN email_key TEXT NOT NULL DEFAULT ''",
    "DROP INDEX users_email_per_org",
)
_USERS_BY_ORG_AGE = "SELECT id, org_id, email FROM users ORDER BY org_id, created_at, id"
_USER_NAME_AND_KEY = "UPDATE users SET name = ?, email_key = ? WHERE id = ?"
_EMAIL_PER_ORG = "CREATE UNIQUE INDEX users_email_per_org ON users (org_id, email_key)"


@MIGRATIONS(name="0004_org_settings_and_team")
def _org_settings_and_team(db: Database) -> None:
    """Organizations get a time zone and a first day of the week; users a name, a deactivation time
    and the key their email is unique by."""
    for statement in _ORG_SETTINGS_AND_TEAM:
        db.execute(statement)
    for user_id, name, key in named_and_keyed(db.execute(_USERS_BY_ORG_AGE).fetchall()):
        db.execute(_USER_NAME_AND_KEY, (name, key, user_id))
    db.execute(_EMAIL_PER_ORG)


# 0005: the installation's secrets (hours_core.installation), one row per name, made by the first
# process that needs one (the key that signs list cursors). No rows are made here: a database
# migrated by an older version gets its secrets on first use, like a new one.

_INSTALLATION_SECRETS = """
    CREATE TABLE installation_secrets (
        name TEXT NOT NULL PRIMARY KEY,
        secret BLOB NOT NULL CHECK (length(secret) = 32),
        created_at TEXT NOT NULL
    ) STRICT
"""


@MIGRATIONS(name="0005_installation_secrets")
def _installation_secrets(db: Database) -> None:
    """The installation's named secrets."""
    db.execute(_INSTALLATION_SECRETS)


# 0006: counters of the rate limits, shared by every process on the file
# (hours_core.services.rate_limits). One row per key and fixed window, named by its end in Unix
# seconds; the limiter increments a row with one upsert and deletes the rows of ended windows.
_RATE_COUNTERS = """
    CREATE TABLE rate_counters (
        counter_key TEXT NOT NULL,
        window_end INTEGER NOT NULL,
        hits INTEGER NOT NULL CHECK (hits >= 0),
        PRIMARY KEY (counter_key, window_end)
    ) STRICT, WITHOUT ROWID
"""


@MIGRATIONS(name="0006_rate_counters")
def _rate_counters(db: Database) -> None:
    """The rate limits' counters."""
    db.execute(_RATE_COUNTERS)


# 0007: clients and hourly rates. Clients are a new table; a project may name one (``client_id``: a
# column added to ``projects``, whose composite foreign key SQLite cannot add to a table it does not
# rebuild, so two triggers refuse a client of another organization, or none, as the key would:
# with the foreign-key error, which the session reads as one); rates are a new table; a time entry
# stores the rate it resolved (``rate_*`` columns, all NULL when none applied). ``rate_id`` names
# no row: rates are deleted for good, and the entries that stored one keep its figures.

_RATE_SCOPES = "('org', 'client', 'project', 'user', 'user_project')"
_CLIENT_IN_ORG = (
    "NEW.client_id IS NOT NULL AND NOT EXISTS"
    " (SELECT 1 FROM clients WHERE clients.org_id = NEW.org_id AND clients.id = NEW.client_id)"
)
_CLIENTS_AND_RATES = (
    """
    CREATE TABLE clients (
        id TEXT NOT NULL PRIMARY KEY,
        org_id TEXT NOT NULL REFERENCES orgs (id),
        name TEXT NOT NULL,
        currency TEXT NOT NULL CHECK (length(currency) = 3),
        billable_by_default INTEGER CHECK (billable_by_default IN (0, 1)),
        archived_at TEXT,
        created_at TEXT NOT NULL,
        UNIQUE (org_id, id)
    ) STRICT
    """,
    "CREATE INDEX clients_by_org_age ON clients (org_id, created_at, id)",
    "ALTER TABLE projects ADD COLUMN client_id TEXT",
    "CREATE INDEX projects_of_client ON projects (org_id, client_id)",
    f"""
    CREATE TRIGGER projects_client_fkey_insert BEFORE INSERT ON projects WHEN {_CLIENT_IN_ORG}
    BEGIN SELECT RAISE(ABORT, 'FOREIGN KEY constraint failed'); END
    """,
    f"""
    CREATE TRIGGER projects_client_fkey_update BEFORE UPDATE OF org_id, client_id ON projects
    WHEN {_CLIENT_IN_ORG}
    BEGIN SELECT RAISE(ABORT, 'FOREIGN KEY constraint failed'); END
    """,
    f"""
    CREATE TABLE rates (
        id TEXT NOT NULL PRIMARY KEY,
        org_id TEXT NOT NULL REFERENCES orgs (id),
        scope TEXT NOT NULL CHECK (scope IN {_RATE_SCOPES}),
        client_id TEXT,
        project_id TEXT,
        user_id TEXT,
        billable_rate_minor INTEGER CHECK (billable_rate_minor BETWEEN 0 AND 1000000000),
        cost_rate_minor INTEGER CHECK (cost_rate_minor BETWEEN 0 AND 1000000000),
        currency TEXT NOT NULL CHECK (length(currency) = 3),
        effective_from TEXT NOT NULL,
        created_at TEXT NOT NULL,
        CHECK (billable_rate_minor IS NOT NULL OR cost_rate_minor IS NOT NULL),
        FOREIGN KEY (org_id, client_id) REFERENCES clients (org_id, id),
        FOREIGN KEY (org_id, project_id) REFERENCES projects (org_id, id),
        FOREIGN KEY (org_id, user_id) REFERENCES users (org_id, id)
    ) STRICT
    """,
    "CREATE INDEX rates_by_org_age ON rates (org_id, created_at, id)",
    "ALTER TABLE time_entries ADD COLUMN rate_billable_minor INTEGER",
    "ALTER TABLE time_entries ADD COLUMN rate_cost_minor INTEGER",
    "ALTER TABLE time_entries ADD COLUMN rate_currency TEXT",
    f"ALTER TABLE time_entries ADD COLUMN rate_scope TEXT CHECK (rate_scope IN {_RATE_SCOPES})",
    "ALTER TABLE time_entries ADD COLUMN rate_id TEXT",
)


@MIGRATIONS(name="0007_clients_and_rates")
def _clients_and_rates(db: Database) -> None:
    """Clients, a project's client, rates, and the rate a time entry stored."""
    for statement in _CLIENTS_AND_RATES:
        db.execute(statement)


# 0008: the outbox. Every change writes its event here in its own transaction (hours_sql.events):
# ``seq`` is the org's sequence number, assigned from ``event_counters`` (the org's last number and
# how far the retention purge has deleted) as the transaction commits. Events are never updated;
# the retention purge deletes a prefix of an org's sequence. ``changes`` is JSON text.

_EVENTS = (
    """
    CREATE TABLE event_counters (
        org_id TEXT NOT NULL PRIMARY KEY REFERENCES orgs (id),
        last_seq INTEGER NOT NULL CHECK (last_seq >= 0),
        purged_through INTEGER NOT NULL CHECK (purged_through >= 0 AND purged_through <= last_seq)
    ) STRICT
    """,
    """
    CREATE TABLE events (
        org_id TEXT NOT NULL REFERENCES event_counters (org_id),
        seq INTEGER NOT NULL CHECK (seq > 0),
        id TEXT NOT NULL,
        type TEXT NOT NULL,
        occurred_at TEXT NOT NULL,
        actor_user_id TEXT,
        actor_token_prefix TEXT,
        actor_via TEXT NOT NULL CHECK (actor_via IN ('api', 'cli', 'import', 'system')),
        request_id TEXT,
        idempotency_key TEXT,
        subject_type TEXT NOT NULL,
        subject_id TEXT NOT NULL,
        owner_id TEXT,
        changes TEXT NOT NULL,
        PRIMARY KEY (org_id, seq)
    ) STRICT, WITHOUT ROWID
    """,
    # An entry's history and the audit trail of one subject; the retention purge (org by org) and
    # the audit's time range.
    "CREATE INDEX events_of_subject ON events (org_id, subject_type, subject_id, seq)",
    "CREATE INDEX events_by_time ON events (org_id, occurred_at)",
)


@MIGRATIONS(name="0008_events")
def _events(db: Database) -> None:
    """The outbox: every change's event, numbered per organization."""
    for statement in _EVENTS:
        db.execute(statement)


# 0009: webhooks, each webhook's queue and delivery log, and the lease of the one dispatcher a
# SQLite file has (docs/webhooks.md, "The dispatcher").

_WEBHOOKS = (
    """
    CREATE TABLE webhooks (
        id TEXT NOT NULL PRIMARY KEY,
        org_id TEXT NOT NULL REFERENCES orgs (id),
        url TEXT NOT NULL,
        events TEXT NOT NULL,
        description TEXT NOT NULL,
        active INTEGER NOT NULL CHECK (active IN (0, 1)),
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        disabled_at TEXT,
        disabled_reason TEXT,
        secret TEXT NOT NULL,
        previous_secret TEXT,
        previous_secret_expires_at TEXT,
        event_cursor INTEGER NOT NULL,
        last_position INTEGER NOT NULL,
        UNIQUE (org_id, id)
    ) STRICT
    """,
    "CREATE INDEX webhooks_by_org_age ON webhooks (org_id, created_at, id)",
    """
    CREATE TABLE webhook_deliveries (
        id TEXT NOT NULL PRIMARY KEY,
        org_id TEXT NOT NULL,
        webhook_id TEXT NOT NULL,
        position INTEGER NOT NULL,
        event_id TEXT NOT NULL,
        event_type TEXT NOT NULL,
        payload BLOB NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
        attempt INTEGER NOT NULL,
        response_code INTEGER,
        duration_ms INTEGER,
        error TEXT,
        created_at TEXT NOT NULL,
        last_attempt_at TEXT,
        next_attempt_at TEXT,
        completed_at TEXT,
        leased_until TEXT,
        FOREIGN KEY (org_id, webhook_id) REFERENCES webhooks (org_id, id)
    ) STRICT
    """,
    "CREATE UNIQUE INDEX webhook_deliveries_position ON webhook_deliveries (webhook_id, position)",
    "CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'pending'",
    "CREATE INDEX webhook_deliveries_by_completion ON webhook_deliveries (completed_at)"
    " WHERE completed_at IS NOT NULL",
    """
    CREATE TABLE webhook_dispatcher_lease (
        name TEXT NOT NULL PRIMARY KEY,
        holder TEXT NOT NULL,
        expires_at TEXT NOT NULL
    ) STRICT
    """,
)


@MIGRATIONS(name="0009_webhooks")
def _webhooks(db: Database) -> None:
    """Webhooks, their deliveries, and the dispatcher lease."""
    for statement in _WEBHOOKS:
        db.execute(statement)


# 0010: signing in to the web app. Users get a password hash (NULL: no password, no sign-in), found
# by the key of their email across organizations (a sign-in names no organization); web sessions
# are kept by the SHA-256 of their key, with their CSRF token and expiry (hours_core.web_sessions).

_WEB_SESSIONS = (
    "ALTER TABLE users ADD COLUMN password_hash TEXT",
    "CREATE INDEX users_by_email_key ON users (email_key)",
    """
    CREATE TABLE web_sessions (
        key_hash TEXT NOT NULL PRIMARY KEY,
        org_id TEXT NOT NULL,
        user_id TEXT NOT NULL,
        csrf_token TEXT NOT NULL,
        created_at TEXT NOT NULL,
        expires_at TEXT NOT NULL,
        FOREIGN KEY (org_id, user_id) REFERENCES users (org_id, id)
    ) STRICT
    """,
    "CREATE INDEX web_sessions_of_user ON web_sessions (org_id, user_id)",
    "CREATE INDEX web_sessions_by_expiry ON web_sessions (expires_at)",
)


@MIGRATIONS(name="0010_web_sessions")
def _web_sessions(db: Database) -> None:
    """Users get a password hash; the web app's sessions get a table."""
    for statement in _WEB_SESSIONS:
        db.execute(statement)


# 0011: imports. Each run of an import is a row of ``imports`` (who, from where, what it did); an
# entry it created names it (``import_id``) and the source row it came from (``external_ref``,
# ``source:sha256``), unique per organization, so that the same file imported twice creates
# nothing the second time. SQLite cannot add a table constraint to an existing table, so
# ``import_id`` refers to the import by its id alone (PostgreSQL: with the org, as the other
# references); the use case only ever names an import of the entry's own organization.

_IMPORTS = (
    """
    CREATE TABLE imports (
        id TEXT NOT NULL PRIMARY KEY,
        org_id TEXT NOT NULL,
        user_id TEXT NOT NULL,
        source TEXT NOT NULL,
        created INTEGER NOT NULL CHECK (created >= 0),
        duplicates INTEGER NOT NULL CHECK (duplicates >= 0),
        failed INTEGER NOT NULL CHECK (failed >= 0),
        created_at TEXT NOT NULL,
        deleted_at TEXT,
        UNIQUE (org_id, id),
        FOREIGN KEY (org_id, user_id) REFERENCES users (org_id, id)
    ) STRICT
    """,
    "ALTER TABLE time_entries ADD COLUMN import_id TEXT REFERENCES imports (id)",
    "ALTER TABLE time_entries ADD COLUMN external_ref TEXT",
    "CREATE UNIQUE INDEX time_entries_external_ref_per_org ON time_entries (org_id, external_ref)",
    "CREATE INDEX time_entries_of_import ON time_entries (org_id, import_id) WHERE import_id IS NOT NULL",
)


@MIGRATIONS(name="0011_imports")
def _imports(db: Database) -> None:
    """Imports, and the import and source row of each imported entry (unique per organization)."""
    for statement in _IMPORTS:
        db.execute(statement)


# 0012: the index of reports. A report sums a date range of one organization's entries
# (hours_sql.reports); this index holds every column it reads, so SQLite answers from the index
# alone (a covering index) instead of looking each of a year's entries up in the table. SQLite
# does not use a partial index whose WHERE the report's terms only imply, so it is a full one.

_REPORT_INDEXES = (
    """
    CREATE INDEX time_entries_for_reports ON time_entries (
        org_id, entry_date, deleted_at, started_at, stopped_at, user_id, project_id, task_id, billable,
        duration_seconds, rate_currency, rate_billable_minor, rate_cost_minor
    )
    """,
)


@MIGRATIONS(name="0012_report_indexes")
def _report_indexes(db: Database) -> None:
    """The covering index of reports."""
    for statement in _REPORT_INDEXES:
        db.execute(statement)


# 0013: versions. Every entry, project, task and client counts its writes (``version``: 1 when
# created, one more per change; the repositories write it). HTTP sends it as the ETag and compares
# If-Match against it (docs/api.md, "Optimistic concurrency"). Existing rows start at 1.

_VERSIONED_TABLES = ("time_entries", "projects", "tasks", "clients")


@MIGRATIONS(name="0013_versions")
def _versions(db: Database) -> None:
    """A ``version`` column on entries, projects, tasks and clients."""
    for table in _VERSIONED_TABLES:
        db.execute(f"ALTER TABLE {table} ADD COLUMN version INTEGER NOT NULL DEFAULT 1 CHECK (version >= 1)")


# 0014: closed periods and invoices. An organization's rolling rule (``lock_after_days``); its
# closed periods, disjoint ranges keyed by their last day (``first_day`` NULL: from the beginning);
# invoices, which keep the ids of their entries and their totals (JSON arrays of strings).

_PERIODS_AND_INVOICES = (
    "ALTER TABLE orgs ADD COLUMN lock_after_days INTEGER CHECK (lock_after_days BETWEEN 1 AND 3650)",
    """
    CREATE TABLE closed_periods (
        org_id TEXT NOT NULL REFERENCES orgs (id),
        first_day TEXT,
        last_day TEXT NOT NULL,
        reason TEXT NOT NULL,
        locked_by TEXT,
        locked_at TEXT NOT NULL,
        PRIMARY KEY (org_id, last_day),
        CHECK (first_day IS NULL OR first_day <= last_day)
    ) STRICT
    """,
    """
    CREATE TABLE invoices (
        id TEXT NOT NULL PRIMARY KEY,
        org_id TEXT NOT NULL REFERENCES orgs (id),
        external_ref TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('open', 'void')),
        entry_ids TEXT NOT NULL,
        duration_seconds INTEGER NOT NULL CHECK (duration_seconds >= 0),
        amounts TEXT NOT NULL,
        created_by TEXT,
        created_at TEXT NOT NULL,
        voided_at TEXT
    ) STRICT
    """,
    "CREATE INDEX invoices_of_org ON invoices (org_id, id)",
)


@MIGRATIONS(name="0014_periods_and_invoices")
def _periods_and_invoices(db: Database) -> None:
    """Closed periods, the rolling rule of an organization, and invoices."""
    for statement in _PERIODS_AND_INVOICES:
        db.execute(statement)


# 0015: timesheets. One row per user and first day of a week (unique), its users named with its
# organization (composite foreign keys; a NULL submitter or decider refers to nobody); the lock check
# of entry writes finds a user's timesheets by (org, user, week start).

_TIMESHEETS = (
    """
    CREATE TABLE timesheets (
        id TEXT NOT NULL PRIMARY KEY,
        org_id TEXT NOT NULL,
        user_id TEXT NOT NULL,
        week_start TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('draft', 'submitted', 'approved', 'rejected')),
        submitted_at TEXT,
        submitted_by TEXT,
        decided_at TEXT,
        decided_by TEXT,
        rejection_reason TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        FOREIGN KEY (org_id, user_id) REFERENCES users (org_id, id),
        FOREIGN KEY (org_id, submitted_by) REFERENCES users (org_id, id),
        FOREIGN KEY (org_id, decided_by) REFERENCES users (org_id, id)
    ) STRICT
    """,
    "CREATE UNIQUE INDEX timesheets_one_per_week ON timesheets (org_id, user_id, week_start)",
    "CREATE INDEX timesheets_by_org_week ON timesheets (org_id, week_start)",
)


@MIGRATIONS(name="0015_timesheets")
def _timesheets(db: Database) -> None:
    """Timesheets: a user's week and its approval."""
    for statement in _TIMESHEETS:
        db.execute(statement)


# 0016: the overlap policy. Organizations get ``overlap_policy`` (allow, the behaviour so far), and
# time entries an index of each user's live entries with a start (stopped or running), in the order
# (user, start, id) that the overlap check of a write and the list of overlaps read them in
# (hours_sql.statements.Statements.entries_intersecting), holding the stop too, so that the filter
# on it runs on the index before any row is read.

_OVERLAP_POLICY = (
    "ALTER TABLE orgs ADD COLUMN overlap_policy TEXT NOT NULL DEFAULT 'allow'"
    " CHECK (overlap_policy IN ('allow', 'warn', 'reject'))",
    "CREATE INDEX time_entries_timed_of_user ON time_entries (org_id, user_id, started_at, id, stopped_at)"
    " WHERE deleted_at IS NULL AND started_at IS NOT NULL",
)


@MIGRATIONS(name="0016_overlap_policy")
def _overlap_policy(db: Database) -> None:
    """The organization's overlap policy, and the index of each user's timed entries by start."""
    for statement in _OVERLAP_POLICY:
        db.execute(statement)


# 0017: the outbox's drafts. A unit of work that writes many events (an import, its undo, a reapply)
# spills them here as it goes, unnumbered, under its own ``draft_id``; its commit numbers and moves
# them into ``events`` in one statement and deletes them (hours_sql.events). The table is empty
# outside such a transaction.

_EVENT_DRAFTS = (
    """
    CREATE TABLE event_drafts (
        draft_id TEXT NOT NULL,
        org_id TEXT NOT NULL,
        ordinal INTEGER NOT NULL CHECK (ordinal > 0),
        id TEXT NOT NULL,
        type TEXT NOT NULL,
        occurred_at TEXT NOT NULL,
        actor_user_id TEXT,
        actor_token_prefix TEXT,
        actor_via TEXT NOT NULL,
        request_id TEXT,
        idempotency_key TEXT,
        subject_type TEXT NOT NULL,
        subject_id TEXT NOT NULL,
        owner_id TEXT,
        changes TEXT NOT NULL,
        PRIMARY KEY (draft_id, org_id, ordinal)
    ) STRICT, WITHOUT ROWID
    """,
)


@MIGRATIONS(name="0017_event_drafts")
def _event_drafts(db: Database) -> None:
    """The outbox's drafts: the events a large unit of work has spilled before its commit."""
    for statement in _EVENT_DRAFTS:
        db.execute(statement)


# 0019: the index of reports again, with rate_currency right after entry_date: a report without a
# level of ids groups by (entry_date, rate_currency), which SQLite then reads in the index's order
# instead of sorting a year of entries in a temporary B-tree (docs/performance.md, "Reports").

_REPORT_INDEX_BY_DAY = (
    "DROP INDEX time_entries_for_reports",
    """
    CREATE INDEX time_entries_for_reports ON time_entries (
        org_id, entry_date, rate_currency, deleted_at, started_at, stopped_at, user_id, project_id,
        task_id, billable, duration_seconds, rate_billable_minor, rate_cost_minor
    )
    """,
)


@MIGRATIONS(name="0019_report_index_by_day")
def _report_index_by_day(db: Database) -> None:
    """The covering index of reports, in the order of a report by days."""
    for statement in _REPORT_INDEX_BY_DAY:
        db.execute(statement)


# 0020: the pending positions of each webhook, so that a claim finds each webhook's first pending
# delivery with one step of an index, however long its backlog (black-box round 5: on PostgreSQL
# a claim scanned a webhook's whole backlog once per pending row, 30.9 s with 16,000 of them).

_WEBHOOK_PENDING_HEADS = (
    "CREATE INDEX webhook_deliveries_pending ON webhook_deliveries (webhook_id, position)"
    " WHERE status = 'pending'",
)


@MIGRATIONS(name="0020_webhook_pending_heads")
def _webhook_pending_heads(db: Database) -> None:
    """The index of each webhook's pending deliveries by position (the claim's heads)."""
    for statement in _WEBHOOK_PENDING_HEADS:
        db.execute(statement)


# 0021: the live entries of each import, in id order. An undo deletes an import's live entries a
# page at a time; with the index of 0011 (org_id, import_id) each page read and sorted every entry
# of the import, deleted ones included, and checked every one for an invoice first: the undo of
# 100,000 entries took 36 s, ten times the undo of 20,000 (docs/performance.md, "Undoing an
# import"). Now a page is the next rows of one index, and the invoice check reads the import's
# invoiced live entries only (usually none).

_LIVE_ENTRIES_OF_IMPORT = (
    "DROP INDEX time_entries_of_import",
    "CREATE INDEX time_entries_live_of_import ON time_entries (org_id, import_id, id)"
    " WHERE import_id IS NOT NULL AND deleted_at IS NULL",
    "CREATE INDEX time_entries_invoiced_of_import ON time_entries (org_id, import_id, id)"
    " WHERE import_id IS NOT NULL AND deleted_at IS NULL AND invoice_id IS NOT NULL",
)


@MIGRATIONS(name="0021_live_entries_of_import")
def _live_entries_of_import(db: Database) -> None:
    """The indexes of each import's live entries and of its invoiced ones, by id (the undo's pages)."""
    for statement in _LIVE_ENTRIES_OF_IMPORT:
        db.execute(statement)


# 0022: the audit trail's filters. A page of the audit trail is the org's newest events that pass
# its filters; read through the primary key (org_id, seq), a selective filter (an actor, a subject
# type, a member's own entries) tested every event of the org down to its first match, and a page
# cost the org's whole log when nothing matched (docs/performance.md, "Round 12: the audit
# trail's filters"). Each of these indexes holds one filter's events in sequence order, so a page
# reads its own rows (hours_sql.events chooses the index by the filters present). The subject
# type's index leaves out the entries' events, most of every log, which the primary key finds
# densely anyway: an import's or a create's event goes into one index fewer.

_EVENT_FILTERS = (
    "CREATE INDEX events_by_actor ON events (org_id, actor_user_id, seq)",
    "CREATE INDEX events_by_subject_type ON events (org_id, subject_type, seq)"
    " WHERE subject_type <> 'time_entry'",
    "CREATE INDEX events_of_owner ON events (org_id, owner_id, seq)",
)


@MIGRATIONS(name="0022_event_filters")
def _event_filters(db: Database) -> None:
    """The indexes of an org's events by actor, by subject type and by owner, in sequence order."""
    for statement in _EVENT_FILTERS:
        db.execute(statement)


# 0023: what each import created. An import creates the clients, projects, tasks and users its
# rows name that the organization lacks; its undo (DELETE /imports/{id}) archives those, or
# deactivates the users, unless something outside the import uses them by then. One row per thing
# created, written once in the import's transaction (a few per import, not one per entry); an
# import made before this migration has none, and its undo deletes its entries only.

_IMPORT_CREATIONS = (
    """
    CREATE TABLE import_creations (
        org_id TEXT NOT NULL,
        import_id TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('client', 'project', 'task', 'user')),
        subject_id TEXT NOT NULL,
        PRIMARY KEY (org_id, import_id, subject_id),
        FOREIGN KEY (org_id, import_id) REFERENCES imports (org_id, id)
    ) STRICT
    """,
)


@MIGRATIONS(name="0023_import_creations")
def _import_creations(db: Database) -> None:
    """The clients, projects, tasks and users each import created (what its undo archives)."""
    for statement in _IMPORT_CREATIONS:
        db.execute(statement)


# 0024: names that show something. Variation selectors (U+FE00-U+FE0F, U+E0100-U+E01EF,
# U+180B-U+180F) count as invisible since this version, so a name made of them and white space is
# blank; a row is read through its entity's validators, so such a name stored before would make
# every list holding it fail. Each gets a visible name (hours_sql.upgrades.visible_names): a
# user's from their email, the others "Unnamed project" and the like. Only names without an ASCII
# letter or digit can be blank, so only those are read.


@MIGRATIONS(name="0024_visible_names")
def _visible_names(db: Database) -> None:
    """Names that the name rule now finds blank get a visible one."""
    for table in NAMED_TABLES:
        select = f"SELECT id, name FROM {table} WHERE name NOT GLOB '*[A-Za-z0-9]*'"  # noqa: S608 (a table of NAMED_TABLES)
        update = f"UPDATE {table} SET name = ? WHERE id = ?"  # noqa: S608 (a table of NAMED_TABLES)
        for name, row_id in visible_names(table, db.execute(select).fetchall()):
            db.execute(update, (name, row_id))
    users = db.execute("SELECT id, name, email FROM users WHERE name NOT GLOB '*[A-Za-z0-9]*'").fetchall()
    for name, user_id in visible_user_names(users):
        db.execute("UPDATE users SET name = ? WHERE id = ?", (name, user_id))


# 0025: the source row an undo released. An import's undo moves each entry's external_ref to
# released_ref (the file imports again); a restore of the entry takes it back, so that importing
# the file once more finds it a duplicate. Entries undone before this migration released theirs
# without keeping it: they come back without one, as before.


@MIGRATIONS(name="0025_released_refs")
def _released_refs(db: Database) -> None:
    """The external reference an undone import's entry gave up (NULL for every existing row)."""
    db.execute("ALTER TABLE time_entries ADD COLUMN released_ref TEXT")


# 0026: the rates of one entry's targets. A write of an entry reads the rates that may apply to it
# (RateRepository.matching: five targets, each in effect on the entry's date) instead of every rate
# of its organization; this index finds each target's rates without reading the others.
_RATES_BY_TARGET = (
    "CREATE INDEX rates_by_target ON rates (org_id, scope, user_id, project_id, client_id, effective_from)"
)


@MIGRATIONS(name="0026_rates_by_target")
def _rates_by_target(db: Database) -> None:
    """An index of the rates by the target they apply to."""
    db.execute(_RATES_BY_TARGET)


# 0027: the rates that name a project. Moving a project to another client (its rates must be in the
# client's currency) and changing a client's currency (its projects' rates must be in the old one)
# read the rates of those projects instead of every rate of the organization.
_RATES_OF_PROJECT = "CREATE INDEX rates_of_project ON rates (org_id, project_id)"


@MIGRATIONS(name="0027_rates_of_project")
def _rates_of_project(db: Database) -> None:
    """An index of the rates by the project they name."""
    db.execute(_RATES_OF_PROJECT)


# 0028: the events table as a rowid table. It was WITHOUT ROWID, which keeps a whole row in its
# primary key's B-tree; there a row longer than about 1,000 bytes (on 4 KiB pages) moves its tail to
# an overflow page of its own, and an entry's event is about 1,050 bytes (its ``changes`` JSON of
# every field). So every such event took a 4 KiB overflow page for some 540 bytes: an import of
# 20,000 rows wrote 94 MB of events (4.4 KiB each; 28 MB as a rowid table), and every create one page
# more. A rowid table keeps rows of up to about 4,000 bytes in its leaves; the primary key becomes
# a unique index of (org_id, seq). The rows are copied in sequence order (docs/store.md, "Events"),
# and the time index names ``seq``, which the audit trail's window reads from it.

_EVENTS_WITH_ROWID = (
    """
    CREATE TABLE events_0028 (
        org_id TEXT NOT NULL REFERENCES event_counters (org_id),
        seq INTEGER NOT NULL CHECK (seq > 0),
        id TEXT NOT NULL,
        type TEXT NOT NULL,
        occurred_at TEXT NOT NULL,
        actor_user_id TEXT,
        actor_token_prefix TEXT,
        actor_via TEXT NOT NULL CHECK (actor_via IN ('api', 'cli', 'import', 'system')),
        request_id TEXT,
        idempotency_key TEXT,
        subject_type TEXT NOT NULL,
        subject_id TEXT NOT NULL,
        owner_id TEXT,
        changes TEXT NOT NULL,
        PRIMARY KEY (org_id, seq)
    ) STRICT
    """,
    """
    INSERT INTO events_0028 (
        org_id, seq, id, type, occurred_at, actor_user_id, actor_token_prefix, actor_via, request_id,
        idempotency_key, subject_type, subject_id, owner_id, changes
    )
    SELECT
        org_id, seq, id, type, occurred_at, actor_user_id, actor_token_prefix, actor_via, request_id,
        idempotency_key, subject_type, subject_id, owner_id, changes
    FROM events ORDER BY org_id, seq
    """,
    "DROP TABLE events",
    "ALTER TABLE events_0028 RENAME TO events",
    "CREATE INDEX events_of_subject ON events (org_id, subject_type, subject_id, seq)",
    # ``seq`` named: an index of a rowid table holds the rowid, where WITHOUT ROWID's held the key.
    "CREATE INDEX events_by_time ON events (org_id, occurred_at, seq)",
    *_EVENT_FILTERS,
)


@MIGRATIONS(name="0028_events_with_rowid")
def _events_with_rowid(db: Database) -> None:
    """The events table rebuilt as a rowid table: an event's row stays in one page.

    ``secure_delete`` is off while it runs: where SQLite is built with it on (Debian's and Ubuntu's
    are), dropping the old table would write a page of zeros to the WAL for each of its pages, so the
    WAL would need the old table's size besides the copy (1.3 GB for 200,000 events, not 0.3 GB).
    The pages it leaves unerased hold the events the new table holds, nothing deleted."""
    (secure,) = db.execute("PRAGMA secure_delete").fetchone()
    db.execute("PRAGMA secure_delete = OFF")
    try:
        for statement in _EVENTS_WITH_ROWID:
            db.execute(statement)
    finally:
        db.execute(f"PRAGMA secure_delete = {_SECURE_DELETE_SETTINGS[secure]}")


_SECURE_DELETE_SETTINGS = {0: "OFF", 1: "ON", 2: "FAST"}
"""What ``PRAGMA secure_delete`` reads (an integer) as the setting that gives it back."""


# 0029: the keys of emails whose domain has a label in its ASCII form. hours_core.emails.email_key
# reads an ``xn--`` label as the label beyond ASCII it writes (``bo@xn--caf-dma.fr`` is
# ``bo@café.fr``, one mailbox), so that both forms of an address are one user. The keys stored
# before are computed again (hours_sql.upgrades.rekeyed); all users are read, since a new key is
# checked against every key of its organization.


@MIGRATIONS(name="0029_email_keys_of_ascii_domains")
def _email_keys_of_ascii_domains(db: Database) -> None:
    """Each email whose key changed gets its new one."""
    users = db.execute("SELECT id, org_id, email, email_key FROM users ORDER BY org_id, created_at, id")
    for key, user_id in list(rekeyed(users.fetchall())):
        db.execute("UPDATE users SET email_key = ? WHERE id = ?", (key, user_id))


class NotAnHoursDatabase(RuntimeError):
    """The database has tables or views of its own and no hours migration ever ran on it: another
    application's database, which hours leaves as it is rather than adding its tables to it."""


def _foreign_relations(db: Database) -> list[tuple[str, str]]:
    """The tables and views (``(type, name)``, as ``sqlite_master`` names them) of a database on
    which no hours migration ran (none for an empty database, or for one that hours migrated, even in
    part). Indexes and triggers belong to one of those, so they are not listed."""
    if MIGRATIONS.applied(db):
        return []
    rows = db.execute(
        "SELECT type, name FROM sqlite_master WHERE type IN ('table', 'view') "
        "AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND name != ? ORDER BY type, name",
        [Migrations.migrations_table],
    ).fetchall()
    return [(str(row[0]), str(row[1])) for row in rows]


def _refusal(foreign: list[tuple[str, str]]) -> NotAnHoursDatabase:
    kinds = []
    for kind in ("table", "view"):
        names = [name for each, name in foreign if each == kind]
        if names:
            kinds.append(f"{kind}{'s' if len(names) > 1 else ''} {', '.join(names)}")
    return NotAnHoursDatabase(
        f"it is not an hours database (it has the {' and the '.join(kinds)}, and no hours migration "
        "ran on it)"
    )


def refuse_another_applications(path: pathlib.Path) -> None:
    """Raise :class:`NotAnHoursDatabase` if the file at ``path`` is another application's database,
    read through a read-only connection before anything opens it for writing: the writer's
    connection turns the file to WAL mode (which lasts in the file) before a migration could refuse
    it, so a refused file would not be left as it was. Both reads are one snapshot, so a file another
    ``hours`` migrates meanwhile is never seen half-way. A missing file, or one SQLite cannot read
    (not a database, no permission), is left to the store's opening to report."""
    if not path.exists():
        return
    try:
        with closing(
            sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, isolation_level=None)
        ) as conn:
            # One read transaction: the migrations read and the tables read see the same file, not
            # (another hours migrating it meanwhile) no migration and then its committed tables.
            conn.execute("BEGIN")
            foreign = _foreign_relations(Database(conn, execute_plugins=False))
    except sqlite3.Error:
        return
    if foreign:
        raise _refusal(foreign)


def pending(db: Database) -> list[str]:
    """The names of the migrations not yet applied to ``db``, in the order they would run."""
    return [migration.name for migration in MIGRATIONS.pending(db)]


def apply_pending(db: Database, *, stop_before: str | None = None) -> list[str]:
    """Apply every pending migration (up to ``stop_before``, if given) in one ``BEGIN IMMEDIATE``
    transaction; return their names.

    ``db`` must be the writer connection, held by the caller, with no transaction open. Raises
    :class:`NotAnHoursDatabase`, and changes nothing, when ``db`` has tables or views but no hours
    migration ever ran on it (another application's database).

    A database with nothing pending is left without taking its write lock: every command opens the
    store through here, and a read (``hours tokens list``) would otherwise wait for a writer of
    another process, up to the busy timeout, and fail with "database is locked".
    """
    if stop_before is None and MIGRATIONS.applied(db) and not pending(db):
        return []  # an hours database with every migration applied: nothing to do, nothing to lock
    db.execute("BEGIN IMMEDIATE")
    try:
        foreign = _foreign_relations(db)
        if foreign:  # made so since refuse_another_applications looked, or opened by other means
            raise _refusal(foreign)
        names = pending(db)
        if stop_before is not None and stop_before in names:
            names = names[: names.index(stop_before)]
        MIGRATIONS.apply(db, stop_before=stop_before)
        db.execute("COMMIT")
    except BaseException:
        if db.conn.in_transaction:
            db.execute("ROLLBACK")
        raise
    return names
