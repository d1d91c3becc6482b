"""The schema, as an ordered list of named migrations.

Migrations are named ``NNNN_what`` and applied in list order; each applied name is recorded in
the ``hours_migrations`` table of the store's schema. A new migration is a new entry at the end
of :data:`MIGRATIONS`; an applied one is never edited.

:func:`apply_pending` runs in one transaction (PostgreSQL's DDL is transactional: a failure
leaves nothing behind) under a transaction-scoped advisory lock keyed by the schema, so that
servers starting together, or ``hours migrate`` run beside them, serialize: the second finds
nothing pending.

Storage conventions:

* ids are ``uuid`` (ordered like the UUIDs' integers, so ``(..., id)`` ties break as in Python);
  dates are ``date``; instants are ``timestamptz`` (microseconds, like Python's datetimes);
  flags are ``boolean``; the result of an idempotent request is ``bytea``;
* plans and roles are ``text`` limited by a ``CHECK`` to the core's values;
* token prefixes and idempotency keys are ``text COLLATE "C"``: compared byte for byte;
* tenancy is enforced by composite foreign keys: a row that names a user, project or task names
  it together with its own ``org_id``, so it can only refer to rows of its own organization;
* the indexes are the SQLite adapter's, and the running-timer index is ``UNIQUE``: the database
  itself refuses a second running timer for one user, even from two processes at once.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import attrs

from hours_postgres.connection import Connection
from hours_sql.upgrades import NAMED_TABLES, named_and_keyed, rekeyed, visible_names, visible_user_names

__all__ = [
    "MIGRATIONS",
    "MIGRATIONS_TABLE",
    "MIGRATION_LOCK_TIMEOUT_MS",
    "Migration",
    "NotAnHoursSchema",
    "Step",
    "apply_pending",
    "current_schema",
    "pending",
]

MIGRATIONS_TABLE = "hours_migrations"


Step = str | Callable[[Connection], None]
"""A statement, or a function that runs statements on the migrating connection (for values only
Python computes)."""


@attrs.frozen
class Migration:
    """One named step of the schema: statements (or functions, :data:`Step`) that run in order."""

    name: str
    statements: tuple[Step, ...]


_INITIAL = (
    """
    CREATE TABLE orgs (
        id uuid PRIMARY KEY,
        name text NOT NULL,
        plan text NOT NULL CHECK (plan IN ('free', 'solo', 'studio', 'agency')),
        created_at timestamptz NOT NULL
    )
    """,
    "CREATE INDEX orgs_by_age ON orgs (created_at, id)",
    """
    CREATE TABLE users (
        id uuid PRIMARY KEY,
        org_id uuid NOT NULL REFERENCES orgs (id),
        email text NOT NULL,
        role text NOT NULL CHECK (role IN ('owner', 'admin', 'member')),
        created_at timestamptz NOT NULL,
        CONSTRAINT users_org_id_id_key UNIQUE (org_id, id)
    )
    """,
    "CREATE UNIQUE INDEX users_email_per_org ON users (org_id, lower(email))",
    "CREATE INDEX users_by_org_age ON users (org_id, created_at, id)",
    """
    CREATE TABLE projects (
        id uuid PRIMARY KEY,
        org_id uuid NOT NULL REFERENCES orgs (id),
        name text NOT NULL,
        archived boolean NOT NULL,
        billable_by_default boolean NOT NULL,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL,
        CONSTRAINT projects_org_id_id_key UNIQUE (org_id, id)
    )
    """,
    "CREATE INDEX projects_by_org_age ON projects (org_id, created_at, id)",
    """
    CREATE TABLE tasks (
        id uuid PRIMARY KEY,
        org_id uuid NOT NULL,
        project_id uuid NOT NULL,
        name text NOT NULL,
        archived boolean NOT NULL,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL,
        CONSTRAINT tasks_org_id_project_id_id_key UNIQUE (org_id, project_id, id),
        CONSTRAINT tasks_project_fkey FOREIGN KEY (org_id, project_id) REFERENCES projects (org_id, id)
    )
    """,
    "CREATE INDEX tasks_by_project_age ON tasks (org_id, project_id, created_at, id)",
    """
    CREATE TABLE time_entries (
        id uuid PRIMARY KEY,
        org_id uuid NOT NULL,
        user_id uuid NOT NULL,
        project_id uuid NOT NULL,
        task_id uuid,
        invoice_id uuid,
        duration_seconds integer NOT NULL CHECK (duration_seconds BETWEEN 0 AND 86400),
        billable boolean NOT NULL,
        note text,
        entry_date date NOT NULL,
        started_at timestamptz,
        stopped_at timestamptz,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL,
        deleted_at timestamptz,
        CONSTRAINT time_entries_span CHECK (stopped_at IS NULL OR stopped_at >= started_at),
        CONSTRAINT time_entries_user_fkey FOREIGN KEY (org_id, user_id) REFERENCES users (org_id, id),
        CONSTRAINT time_entries_project_fkey
            FOREIGN KEY (org_id, project_id) REFERENCES projects (org_id, id),
        CONSTRAINT time_entries_task_fkey
            FOREIGN KEY (org_id, project_id, task_id) REFERENCES tasks (org_id, project_id, id)
    )
    """,
    # The list order is (entry_date, created_at, id) within an organization, optionally of one
    # user: these two indexes serve keyset pages of either, in both directions.
    "CREATE INDEX time_entries_in_order ON time_entries (org_id, entry_date, created_at, id)",
    "CREATE INDEX time_entries_of_user_in_order"
    " ON time_entries (org_id, user_id, entry_date, created_at, id)",
    # The sync feed (updated_since).
    "CREATE INDEX time_entries_by_update ON time_entries (org_id, updated_at)",
    # At most one running timer per user: a concurrent second start fails here, whichever
    # process runs it.
    """
    CREATE UNIQUE INDEX time_entries_one_running_per_user ON time_entries (org_id, user_id)
    WHERE started_at IS NOT NULL AND stopped_at IS NULL AND deleted_at IS NULL
    """,
    """
    CREATE TABLE api_tokens (
        prefix text COLLATE "C" PRIMARY KEY,
        id uuid NOT NULL UNIQUE,
        org_id uuid NOT NULL,
        user_id uuid NOT NULL,
        name text NOT NULL,
        env text NOT NULL,
        secret_hash text NOT NULL,
        created_at timestamptz NOT NULL,
        expires_at timestamptz,
        revoked_at timestamptz,
        last_used_at timestamptz,
        CONSTRAINT api_tokens_user_fkey FOREIGN KEY (org_id, user_id) REFERENCES users (org_id, id)
    )
    """,
    "CREATE INDEX api_tokens_of_user ON api_tokens (org_id, user_id, created_at, id)",
    """
    CREATE TABLE idempotency_records (
        org_id uuid NOT NULL,
        user_id uuid NOT NULL,
        key text COLLATE "C" NOT NULL,
        fingerprint text NOT NULL,
        created_at timestamptz NOT NULL,
        response_status integer,
        response_body bytea,
        response_headers jsonb,
        completed_at timestamptz,
        CONSTRAINT idempotency_records_pkey PRIMARY KEY (org_id, user_id, key),
        CONSTRAINT idempotency_records_user_fkey
            FOREIGN KEY (org_id, user_id) REFERENCES users (org_id, id),
        CHECK ((response_status IS NULL) = (response_body IS NULL)),
        CHECK ((response_status IS NULL) = (response_headers IS NULL)),
        CHECK (response_headers IS NULL OR jsonb_typeof(response_headers) = 'array')
    )
    """,
    "CREATE INDEX idempotency_records_by_completion ON idempotency_records (completed_at)"
    " WHERE completed_at IS NOT NULL",
)

# The idempotency record keeps the result of the request as opaque bytes, encoded by the adapter
# that ran it, instead of an HTTP status, body and headers in columns of their own. A record of
# 0001 is framed as the HTTP adapter frames a response from 0002 on (the status line
# "HTTP/1.1 <status> ", a "Name: value" line per header, an empty line, the body), so that a replay
# across the upgrade still works. Dropping the columns drops the CHECKs that named them.
_IDEMPOTENCY_RESULT = (
    "ALTER TABLE idempotency_records ADD COLUMN result bytea",
    r"""
    UPDATE idempotency_records SET result = convert_to(
        'HTTP/1.1 ' || response_status || E' \r\n'
        || coalesce(
            (SELECT string_agg((header ->> 0) || ': ' || (header ->> 1) || E'\r\n', '' ORDER BY ordinal)
             FROM jsonb_array_elements(response_headers) WITH ORDINALITY AS fields (header, ordinal)),
            ''
        )
        || E'\r\n',
        'UTF8'
    ) || response_body
    WHERE response_status IS NOT NULL
    """,
    """
    ALTER TABLE idempotency_records
        DROP COLUMN response_status,
        DROP COLUMN response_body,
        DROP COLUMN response_headers,
        ADD CONSTRAINT idempotency_records_completion CHECK ((result IS NULL) = (completed_at IS NULL))
    """,
)

# 0004 (0003 was SQLite's one running timer per user, which PostgreSQL had from 0001): the
# organization's settings and its team. Organizations get a time zone (UTC) and the first day of
# their week (Monday); users a display name (the local part of their email,
# User.name_from_email), a deactivation time and the key their email is compared by
# (hours_core.emails.email_key, computed in Python: lower() follows the database's locale, which
# may fold ASCII letters only), with the unique index on it instead of lower(email). Two emails
# that lower() told apart but the key folds alike keep their addresses; the later user's key gets
# " " and its id appended (hours_sql.upgrades.named_and_keyed).


def _name_and_key_users(conn: Connection) -> None:
    rows = conn.execute("SELECT id, org_id, email FROM users ORDER BY org_id, created_at, id").fetchall()
    with conn.cursor() as cursor:
        cursor.executemany(
            "UPDATE users SET name = %s, email_key = %s WHERE id = %s",
            [(name, key, user_id) for user_id, name, key in named_and_keyed(rows)],
        )


_ORG_SETTINGS_AND_TEAM: tuple[Step, ...] = (
    """
    ALTER TABLE orgs
        ADD COLUMN timezone text NOT NULL DEFAULT 'UTC',
        ADD COLUMN week_start text NOT NULL DEFAULT 'monday' CHECK (week_start IN ('monday', 'sunday'))
    """,
    "ALTER TABLE orgs ALTER COLUMN timezone DROP DEFAULT, ALTER COLUMN week_start DROP DEFAULT",
    """
    ALTER TABLE users
        ADD COLUMN name text,
        ADD COLUMN deactivated_at timestamptz,
        ADD COLUMN email_key text COLLATE "C"
    """,
    _name_and_key_users,
    "ALTER TABLE users ALTER COLUMN name SET NOT NULL, ALTER COLUMN email_key SET NOT NULL",
    "DROP INDEX users_email_per_org",
    "CREATE UNIQUE INDEX users_email_per_org ON users (org_id, email_key)",
)

# 0005: the installation's secrets (hours_core.installation), one row per name, made by the first
# process that needs one (the key that signs list cursors). No rows are made here: a database
# migrated by an older version gets its secrets on first use, like a new one.
_INSTALLATION_SECRETS: tuple[Step, ...] = (
    """
    CREATE TABLE installation_secrets (
        name text NOT NULL PRIMARY KEY,
        secret bytea NOT NULL CHECK (length(secret) = 32),
        created_at timestamptz NOT NULL
    )
    """,
)

# 0006: counters of the rate limits, shared by every process and host on the database
# (hours_core.services.rate_limits). One row per key and fixed window, named by its end in Unix
# seconds. UNLOGGED: a counter is worth no WAL write and no replica; after a crash PostgreSQL
# empties the table, which only restarts the current windows' counts.
_RATE_COUNTERS: tuple[Step, ...] = (
    """
    CREATE UNLOGGED TABLE rate_counters (
        counter_key text NOT NULL,
        window_end bigint NOT NULL,
        hits bigint NOT NULL CHECK (hits >= 0),
        PRIMARY KEY (counter_key, window_end)
    )
    """,
)

# 0007: clients and hourly rates. Clients are a new table; a project may name one of its own
# organization (a composite foreign key; NULL: no client); rates are a new table; a time entry stores
# the rate it resolved (``rate_*`` columns, all NULL when none applied). ``rate_id`` names no row:
# rates are deleted for good, and the entries that stored one keep its figures.

_RATE_SCOPES = "('org', 'client', 'project', 'user', 'user_project')"
_CLIENTS_AND_RATES: tuple[Step, ...] = (
    """
    CREATE TABLE clients (
        id uuid PRIMARY KEY,
        org_id uuid NOT NULL REFERENCES orgs (id),
        name text NOT NULL,
        currency text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
        billable_by_default boolean,
        archived_at timestamptz,
        created_at timestamptz NOT NULL,
        CONSTRAINT clients_org_id_id_key UNIQUE (org_id, id)
    )
    """,
    "CREATE INDEX clients_by_org_age ON clients (org_id, created_at, id)",
    """
    ALTER TABLE projects
        ADD COLUMN client_id uuid,
        ADD CONSTRAINT projects_client_fkey FOREIGN KEY (org_id, client_id) REFERENCES clients (org_id, id)
    """,
    "CREATE INDEX projects_of_client ON projects (org_id, client_id)",
    f"""
    CREATE TABLE rates (
        id uuid PRIMARY KEY,
        org_id uuid NOT NULL REFERENCES orgs (id),
        scope text NOT NULL CHECK (scope IN {_RATE_SCOPES}),
        client_id uuid,
        project_id uuid,
        user_id uuid,
        billable_rate_minor integer CHECK (billable_rate_minor BETWEEN 0 AND 1000000000),
        cost_rate_minor integer CHECK (cost_rate_minor BETWEEN 0 AND 1000000000),
        currency text NOT NULL CHECK (currency ~ '^[A-Z]{{3}}$'),
        effective_from date NOT NULL,
        created_at timestamptz NOT NULL,
        CHECK (billable_rate_minor IS NOT NULL OR cost_rate_minor IS NOT NULL),
        CONSTRAINT rates_client_fkey FOREIGN KEY (org_id, client_id) REFERENCES clients (org_id, id),
        CONSTRAINT rates_project_fkey FOREIGN KEY (org_id, project_id) REFERENCES projects (org_id, id),
        CONSTRAINT rates_user_fkey FOREIGN KEY (org_id, user_id) REFERENCES users (org_id, id)
    )
    """,
    "CREATE INDEX rates_by_org_age ON rates (org_id, created_at, id)",
    f"""
    ALTER TABLE time_entries
        ADD COLUMN rate_billable_minor integer,
        ADD COLUMN rate_cost_minor integer,
        ADD COLUMN rate_currency text,
        ADD COLUMN rate_scope text CHECK (rate_scope IN {_RATE_SCOPES}),
        ADD COLUMN rate_id uuid,
        ADD CONSTRAINT time_entries_rate_whole
            CHECK ((rate_id IS NULL) = (rate_currency IS NULL) AND (rate_id IS NULL) = (rate_scope IS NULL))
    """,
)

# 0008: the outbox (see the SQLite migration of the same name and hours_sql.events). ``changes``
# is JSON text, kept byte for byte as written (jsonb would reorder its members).

_EVENTS: tuple[Step, ...] = (
    """
    CREATE TABLE event_counters (
        org_id uuid PRIMARY KEY REFERENCES orgs (id),
        last_seq bigint NOT NULL CHECK (last_seq >= 0),
        purged_through bigint NOT NULL CHECK (purged_through >= 0 AND purged_through <= last_seq)
    )
    """,
    """
    CREATE TABLE events (
        org_id uuid NOT NULL REFERENCES event_counters (org_id),
        seq bigint NOT NULL CHECK (seq > 0),
        id uuid NOT NULL,
        type text NOT NULL,
        occurred_at timestamptz NOT NULL,
        actor_user_id uuid,
        actor_token_prefix text COLLATE "C",
        actor_via text NOT NULL CHECK (actor_via IN ('api', 'cli', 'import', 'system')),
        request_id text,
        idempotency_key text COLLATE "C",
        subject_type text NOT NULL,
        subject_id text COLLATE "C" NOT NULL,
        owner_id uuid,
        changes text NOT NULL,
        PRIMARY KEY (org_id, seq)
    )
    """,
    "CREATE INDEX events_of_subject ON events (org_id, subject_type, subject_id, seq)",
    "CREATE INDEX events_by_time ON events (org_id, occurred_at)",
)

# 0009: webhooks, each webhook's queue and delivery log, and the dispatcher lease (used by SQLite
# only; the table exists on every database so that the shared statements run everywhere).
_WEBHOOKS: tuple[Step, ...] = (
    """
    CREATE TABLE webhooks (
        id uuid PRIMARY KEY,
        org_id uuid NOT NULL REFERENCES orgs (id),
        url text NOT NULL,
        events text NOT NULL,
        description text NOT NULL,
        active boolean NOT NULL,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL,
        disabled_at timestamptz,
        disabled_reason text,
        secret text NOT NULL,
        previous_secret text,
        previous_secret_expires_at timestamptz,
        event_cursor integer NOT NULL,
        last_position integer NOT NULL,
        CONSTRAINT webhooks_org_id_id_key UNIQUE (org_id, id)
    )
    """,
    "CREATE INDEX webhooks_by_org_age ON webhooks (org_id, created_at, id)",
    """
    CREATE TABLE webhook_deliveries (
        id uuid PRIMARY KEY,
        org_id uuid NOT NULL,
        webhook_id uuid NOT NULL,
        position integer NOT NULL,
        event_id text NOT NULL,
        event_type text NOT NULL,
        payload bytea NOT NULL,
        status text NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
        attempt integer NOT NULL,
        response_code integer,
        duration_ms integer,
        error text,
        created_at timestamptz NOT NULL,
        last_attempt_at timestamptz,
        next_attempt_at timestamptz,
        completed_at timestamptz,
        leased_until timestamptz,
        FOREIGN KEY (org_id, webhook_id) REFERENCES webhooks (org_id, id)
    )
    """,
    "CREATE UNIQUE INDEX webhook_deliveries_position ON webhook_deliveries (webhook_id, position)",
    "CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'pending'",
    "CREATE INDEX webhook_deliveries_by_completion ON webhook_deliveries (completed_at)"
    " WHERE completed_at IS NOT NULL",
    """
    CREATE TABLE webhook_dispatcher_lease (
        name text PRIMARY KEY,
        holder text NOT NULL,
        expires_at timestamptz NOT NULL
    )
    """,
)

# 0010: signing in to the web app. Users get a password hash (NULL: no password, no sign-in), found
# by the key of their email across organizations (a sign-in names no organization); web sessions
# are kept by the SHA-256 of their key, with their CSRF token and expiry (hours_core.web_sessions).

_WEB_SESSIONS: tuple[Step, ...] = (
    "ALTER TABLE users ADD COLUMN password_hash text",
    "CREATE INDEX users_by_email_key ON users (email_key)",
    """
    CREATE TABLE web_sessions (
        key_hash text COLLATE "C" PRIMARY KEY,
        org_id uuid NOT NULL,
        user_id uuid NOT NULL,
        csrf_token text NOT NULL,
        created_at timestamptz NOT NULL,
        expires_at timestamptz NOT NULL,
        CONSTRAINT web_sessions_user_fkey FOREIGN KEY (org_id, user_id) REFERENCES users (org_id, id)
    )
    """,
    "CREATE INDEX web_sessions_of_user ON web_sessions (org_id, user_id)",
    "CREATE INDEX web_sessions_by_expiry ON web_sessions (expires_at)",
)

# 0011: imports (see the SQLite migration of the same name): the runs, and the import and source
# row of each imported entry, unique per organization.

_IMPORTS: tuple[Step, ...] = (
    """
    CREATE TABLE imports (
        id uuid PRIMARY KEY,
        org_id uuid NOT NULL,
        user_id uuid NOT NULL,
        source text NOT NULL,
        created integer NOT NULL CHECK (created >= 0),
        duplicates integer NOT NULL CHECK (duplicates >= 0),
        failed integer NOT NULL CHECK (failed >= 0),
        created_at timestamptz NOT NULL,
        deleted_at timestamptz,
        CONSTRAINT imports_org_id_id_key UNIQUE (org_id, id),
        CONSTRAINT imports_user_fkey FOREIGN KEY (org_id, user_id) REFERENCES users (org_id, id)
    )
    """,
    """
    ALTER TABLE time_entries
        ADD COLUMN import_id uuid,
        ADD COLUMN external_ref text COLLATE "C",
        ADD CONSTRAINT time_entries_import_fkey
            FOREIGN KEY (org_id, import_id) REFERENCES imports (org_id, id)
    """,
    "CREATE UNIQUE INDEX time_entries_external_ref_per_org ON time_entries (org_id, external_ref)",
    "CREATE INDEX time_entries_of_import ON time_entries (org_id, import_id) WHERE import_id IS NOT NULL",
)

# The index of reports: the entries a report counts (not deleted, not running), by organization and
# date, with every other column it reads included, so that a report is an index-only scan of its
# date range (hours_sql.reports).
_REPORT_INDEXES: tuple[Step, ...] = (
    """
    CREATE INDEX time_entries_for_reports ON time_entries (org_id, entry_date)
        INCLUDE (user_id, project_id, task_id, billable, duration_seconds,
                 rate_currency, rate_billable_minor, rate_cost_minor)
        WHERE deleted_at IS NULL AND (started_at IS NULL OR stopped_at IS NOT NULL)
    """,
)

# 0013: versions (see the SQLite migration of the same name): every entry, project, task and client
# counts its writes; existing rows start at 1.
_VERSIONS: tuple[Step, ...] = tuple(
    f"ALTER TABLE {table} ADD COLUMN version integer NOT NULL DEFAULT 1"
    f" CONSTRAINT {table}_version_check CHECK (version >= 1)"
    for table in ("time_entries", "projects", "tasks", "clients")
)

# Closed periods and invoices: an organization's rolling rule, its closed periods (disjoint ranges
# keyed by their last day), and invoices with the ids of their entries and their totals.
_PERIODS_AND_INVOICES: tuple[Step, ...] = (
    "ALTER TABLE orgs ADD COLUMN lock_after_days integer CHECK (lock_after_days BETWEEN 1 AND 3650)",
    """
    CREATE TABLE closed_periods (
        org_id uuid NOT NULL REFERENCES orgs (id),
        first_day date,
        last_day date NOT NULL,
        reason text NOT NULL,
        locked_by uuid,
        locked_at timestamptz NOT NULL,
        PRIMARY KEY (org_id, last_day),
        CONSTRAINT closed_periods_range CHECK (first_day IS NULL OR first_day <= last_day)
    )
    """,
    """
    CREATE TABLE invoices (
        id uuid PRIMARY KEY,
        org_id uuid NOT NULL REFERENCES orgs (id),
        external_ref text NOT NULL,
        status text NOT NULL CHECK (status IN ('open', 'void')),
        entry_ids text NOT NULL,
        duration_seconds integer NOT NULL CHECK (duration_seconds >= 0),
        amounts text NOT NULL,
        created_by uuid,
        created_at timestamptz NOT NULL,
        voided_at timestamptz
    )
    """,
    "CREATE INDEX invoices_of_org ON invoices (org_id, id)",
)

# 0015: timesheets (see the SQLite migration of the same name).
_TIMESHEETS: tuple[Step, ...] = (
    """
    CREATE TABLE timesheets (
        id uuid PRIMARY KEY,
        org_id uuid NOT NULL,
        user_id uuid NOT NULL,
        week_start date NOT NULL,
        status text NOT NULL CHECK (status IN ('draft', 'submitted', 'approved', 'rejected')),
        submitted_at timestamptz,
        submitted_by uuid,
        decided_at timestamptz,
        decided_by uuid,
        rejection_reason text,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL,
        CONSTRAINT timesheets_user_fkey FOREIGN KEY (org_id, user_id) REFERENCES users (org_id, id),
        CONSTRAINT timesheets_submitter_fkey FOREIGN KEY (org_id, submitted_by) REFERENCES users (org_id, id),
        CONSTRAINT timesheets_decider_fkey FOREIGN KEY (org_id, decided_by) REFERENCES users (org_id, id)
    )
    """,
    "CREATE UNIQUE INDEX timesheets_one_per_week ON timesheets (org_id, user_id, week_start)",
    "CREATE INDEX timesheets_by_org_week ON timesheets (org_id, week_start)",
)

# 0016: the overlap policy (see the SQLite migration of the same name): the organization's setting,
# and the index of each user's timed entries by (start, id), holding the stop, that overlap checks read.
_OVERLAP_POLICY: tuple[Step, ...] = (
    """
    ALTER TABLE orgs ADD COLUMN overlap_policy text NOT NULL DEFAULT 'allow'
        CHECK (overlap_policy IN ('allow', 'warn', 'reject'))
    """,
    """
    CREATE INDEX time_entries_timed_of_user ON time_entries (org_id, user_id, started_at, id, stopped_at)
        WHERE deleted_at IS NULL AND started_at IS NOT NULL
    """,
)


# 0017: the outbox's drafts (see the SQLite migration of the same name). UNLOGGED: a draft never
# outlives its transaction, so it is worth no WAL write and no replica.
_EVENT_DRAFTS: tuple[Step, ...] = (
    """
    CREATE UNLOGGED TABLE event_drafts (
        draft_id uuid NOT NULL,
        org_id uuid NOT NULL,
        ordinal bigint NOT NULL CHECK (ordinal > 0),
        id uuid NOT NULL,
        type text NOT NULL,
        occurred_at timestamptz NOT NULL,
        actor_user_id uuid,
        actor_token_prefix text COLLATE "C",
        actor_via text NOT NULL,
        request_id text,
        idempotency_key text COLLATE "C",
        subject_type text NOT NULL,
        subject_id text COLLATE "C" NOT NULL,
        owner_id uuid,
        changes text NOT NULL,
        PRIMARY KEY (draft_id, org_id, ordinal)
    )
    """,
)

# 0019: how many groups a report makes. The planner estimates the groups of several columns as the
# product of each column's distinct values (50 users x 200 projects x ... = far too many), and
# then sorts a year of entries on disk rather than hashing them; statistics of the columns'
# combinations (ndistinct) give it the real count, and a report by project,user becomes a
# (parallel) hash aggregate in memory (docs/performance.md, "Reports").
_REPORT_GROUP_STATISTICS: tuple[Step, ...] = (
    """
    CREATE STATISTICS time_entries_report_groups (ndistinct)
        ON user_id, project_id, task_id, billable, rate_currency FROM time_entries
    """,
    "ANALYZE time_entries",
)

# 0020: the pending positions of each webhook, so that a claim finds each webhook's first pending
# delivery with one step of an index, however long its backlog (black-box round 5: a claim scanned
# a webhook's whole backlog once per pending row, 30.9 s with 16,000 of them).
_WEBHOOK_PENDING_HEADS: tuple[Step, ...] = (
    "CREATE INDEX webhook_deliveries_pending ON webhook_deliveries (webhook_id, position)"
    " WHERE status = 'pending'",
)

# 0021: the live entries of each import, and its invoiced ones, in id order (see the SQLite
# migration of the same name): an undo's pages no longer read every entry of the import again.
_LIVE_ENTRIES_OF_IMPORT: tuple[Step, ...] = (
    "DROP INDEX time_entries_of_import",
    "CREATE INDEX time_entries_live_of_import ON time_entries (org_id, import_id, id)"
    " WHERE import_id IS NOT NULL AND deleted_at IS NULL",
    "CREATE INDEX time_entries_invoiced_of_import ON time_entries (org_id, import_id, id)"
    " WHERE import_id IS NOT NULL AND deleted_at IS NULL AND invoice_id IS NOT NULL",
)

# 0022: the audit trail's filters, each in sequence order (see the SQLite migration of the same
# name): a page filtered by an actor read every event of every org (no index began with the actor),
# and a member's own trail, or a subject type's, the org's events down to the first match. The
# subject type's index leaves out the entries' events (the bulk of the log).
_EVENT_FILTERS: tuple[Step, ...] = (
    "CREATE INDEX events_by_actor ON events (org_id, actor_user_id, seq)",
    "CREATE INDEX events_by_subject_type ON events (org_id, subject_type, seq)"
    " WHERE subject_type <> 'time_entry'",
    "CREATE INDEX events_of_owner ON events (org_id, owner_id, seq)",
)

# 0023: what each import created, one row per client, project, task or user (see the SQLite
# migration of the same name): what its undo archives or deactivates.
_IMPORT_CREATIONS: tuple[Step, ...] = (
    """
    CREATE TABLE import_creations (
        org_id uuid NOT NULL,
        import_id uuid NOT NULL,
        kind text NOT NULL CHECK (kind IN ('client', 'project', 'task', 'user')),
        subject_id uuid NOT NULL,
        PRIMARY KEY (org_id, import_id, subject_id),
        CONSTRAINT import_creations_import_fkey
            FOREIGN KEY (org_id, import_id) REFERENCES imports (org_id, id)
    )
    """,
)

# 0024: names that show something (see the SQLite migration of the same name): a name stored
# before that the grown name rule finds blank (variation selectors only) gets a visible one.


def _name_visibly(conn: Connection) -> None:
    with conn.cursor() as cursor:
        for table in NAMED_TABLES:
            select = f"SELECT id, name FROM {table} WHERE name !~ '[A-Za-z0-9]'"  # noqa: S608 (a table of NAMED_TABLES)
            update = f"UPDATE {table} SET name = %s WHERE id = %s"  # noqa: S608 (a table of NAMED_TABLES)
            cursor.executemany(update, list(visible_names(table, conn.execute(select).fetchall())))
        users = conn.execute("SELECT id, name, email FROM users WHERE name !~ '[A-Za-z0-9]'").fetchall()
        cursor.executemany("UPDATE users SET name = %s WHERE id = %s", list(visible_user_names(users)))


_VISIBLE_NAMES: tuple[Step, ...] = (_name_visibly,)

# 0025: the source row an undo released (see the SQLite migration of the same name).
_RELEASED_REFS: tuple[Step, ...] = ('ALTER TABLE time_entries ADD COLUMN released_ref text COLLATE "C"',)

# 0026: the rates of one entry's targets (see the SQLite migration of the same name).
_RATES_BY_TARGET: tuple[Step, ...] = (
    "CREATE INDEX rates_by_target ON rates (org_id, scope, user_id, project_id, client_id, effective_from)",
)

# 0027: the rates that name a project (see the SQLite migration of the same name).
_RATES_OF_PROJECT: tuple[Step, ...] = ("CREATE INDEX rates_of_project ON rates (org_id, project_id)",)

# 0029: the keys of emails whose domain has a label in its ASCII form (see the SQLite migration of
# the same name).


def _key_ascii_domains(conn: Connection) -> None:
    select = "SELECT id, org_id, email, email_key FROM users ORDER BY org_id, created_at, id"
    rows = conn.execute(select).fetchall()
    with conn.cursor() as cursor:
        cursor.executemany("UPDATE users SET email_key = %s WHERE id = %s", list(rekeyed(rows)))


_EMAIL_KEYS_OF_ASCII_DOMAINS: tuple[Step, ...] = (_key_ascii_domains,)

MIGRATIONS: tuple[Migration, ...] = (
    Migration("0001_initial", _INITIAL),
    Migration("0002_idempotency_result", _IDEMPOTENCY_RESULT),
    Migration("0004_org_settings_and_team", _ORG_SETTINGS_AND_TEAM),
    Migration("0005_installation_secrets", _INSTALLATION_SECRETS),
    Migration("0006_rate_counters", _RATE_COUNTERS),
    Migration("0007_clients_and_rates", _CLIENTS_AND_RATES),
    Migration("0008_events", _EVENTS),
    Migration("0009_webhooks", _WEBHOOKS),
    Migration("0010_web_sessions", _WEB_SESSIONS),
    Migration("0011_imports", _IMPORTS),
    Migration("0012_report_indexes", _REPORT_INDEXES),
    Migration("0013_versions", _VERSIONS),
    Migration("0014_periods_and_invoices", _PERIODS_AND_INVOICES),
    Migration("0015_timesheets", _TIMESHEETS),
    Migration("0016_overlap_policy", _OVERLAP_POLICY),
    Migration("0017_event_drafts", _EVENT_DRAFTS),
    Migration("0019_report_group_statistics", _REPORT_GROUP_STATISTICS),
    Migration("0020_webhook_pending_heads", _WEBHOOK_PENDING_HEADS),
    Migration("0021_live_entries_of_import", _LIVE_ENTRIES_OF_IMPORT),
    Migration("0022_event_filters", _EVENT_FILTERS),
    Migration("0023_import_creations", _IMPORT_CREATIONS),
    Migration("0024_visible_names", _VISIBLE_NAMES),
    Migration("0025_released_refs", _RELEASED_REFS),
    Migration("0026_rates_by_target", _RATES_BY_TARGET),
    Migration("0027_rates_of_project", _RATES_OF_PROJECT),
    Migration("0029_email_keys_of_ascii_domains", _EMAIL_KEYS_OF_ASCII_DOMAINS),
)
"""Every migration, in the order they apply."""

_CREATE_TABLE = f"""
    CREATE TABLE IF NOT EXISTS {MIGRATIONS_TABLE} (
        name text PRIMARY KEY,
        applied_at timestamptz NOT NULL DEFAULT now()
    )
"""

# One lock per schema: stores of other schemas (parallel test runs) migrate independently.
_LOCK = "SELECT pg_advisory_xact_lock(hashtext('hours_migrations'), hashtext(coalesce(current_schema(), '')))"

MIGRATION_LOCK_TIMEOUT_MS = 300_000
"""How long a migration waits for another process's migration of the same schema (5 minutes)."""


def _applied(conn: Connection) -> set[str]:
    row = conn.execute("SELECT to_regclass(%s) IS NOT NULL", (MIGRATIONS_TABLE,)).fetchone()
    if row is None or not row[0]:
        return set()
    return {name for (name,) in conn.execute(f"SELECT name FROM {MIGRATIONS_TABLE}")}  # noqa: S608


def pending(conn: Connection) -> list[str]:
    """The names of the migrations not yet applied, in the order they would run."""
    applied = _applied(conn)
    return [migration.name for migration in MIGRATIONS if migration.name not in applied]


class NotAnHoursSchema(RuntimeError):
    """The schema has a relation (a table, an index, a view, ...) of a name hours creates, and no
    hours migration ever ran on it: another application's, which hours leaves as they are."""


_CREATED_TABLE = re.compile(r"\bCREATE (?:UNLOGGED )?TABLE (?:IF NOT EXISTS )?([a-z_][a-z0-9_]*)")


def _tables_of_hours() -> frozenset[str]:
    """The names of the tables the migrations create."""
    return frozenset(
        name
        for migration in MIGRATIONS
        for step in migration.statements
        if isinstance(step, str)
        for name in _CREATED_TABLE.findall(step)
    )


def _refuse_foreign_tables(conn: Connection, schema: str) -> None:
    """Raise :class:`NotAnHoursSchema` when ``schema`` already has a relation (a table, a view, an
    index, a sequence: they share one namespace) of a name the migrations create (called only when no
    hours migration ran on it), naming each by its kind. Read from ``pg_class``:
    ``information_schema.tables`` lists only the tables and views the current role has a privilege
    on, and no index."""
    rows = conn.execute(
        "SELECT c.relname, c.relkind FROM pg_class AS c JOIN pg_namespace AS n ON n.oid = c.relnamespace"
        " WHERE n.nspname = %s ORDER BY c.relname",
        (schema,),
    ).fetchall()
    taken = [_named_relation(str(name), str(kind)) for name, kind in rows if name in _tables_of_hours()]
    if taken:
        listed = taken[0] if len(taken) == 1 else f"{', '.join(taken[:-1])} and {taken[-1]}"
        raise NotAnHoursSchema(
            f"schema {schema} is not an hours schema: it has {listed} of its own, and no hours migration "
            "ran on it; give hours a schema of its own (?options=-csearch_path%3Dhours in the URL) or a "
            "database of its own"
        )


_RELATION_KINDS = {
    "r": "a table",
    "p": "a partitioned table",
    "f": "a foreign table",
    "v": "a view",
    "m": "a materialized view",
    "i": "an index",
    "I": "a partitioned index",
    "S": "a sequence",
    "c": "a composite type",
    "t": "a TOAST table",
}
"""``pg_class.relkind``: what each kind of relation is called."""


def _named_relation(name: str, kind: str) -> str:
    """``a view users``: the relation with its kind (``a relation`` for a kind this version does not know)."""
    return f"{_RELATION_KINDS.get(kind, 'a relation')} {name}"


def apply_pending(conn: Connection, *, lock_timeout_ms: int, stop_before: str | None = None) -> list[str]:
    """Apply every pending migration (up to ``stop_before``, if given) in one transaction; return
    their names.

    ``conn`` is an autocommit connection with no transaction open. The statements of a
    migration wait at most ``lock_timeout_ms`` for a lock, so that a migration never queues
    behind a long transaction while blocking the traffic that queues behind it. Raises
    :class:`NotAnHoursSchema`, and changes nothing, when no hours migration ran on the schema and
    it has a relation of a name hours creates (another application's).
    """
    schema = current_schema(conn)
    if schema is None:
        row = conn.execute("SHOW search_path").fetchone()
        raise RuntimeError(
            f"no schema to create the tables in: no schema of the search_path ({row[0] if row else ''}) "
            "exists; create it (CREATE SCHEMA name, by a user who may), or name an existing one in the "
            "URL (?options=-csearch_path%3Dname)"
        )
    with conn.transaction():
        conn.execute(f"SET LOCAL lock_timeout = {MIGRATION_LOCK_TIMEOUT_MS:d}")
        conn.execute(_LOCK)
        conn.execute(f"SET LOCAL lock_timeout = {lock_timeout_ms:d}")
        conn.execute(_CREATE_TABLE)
        applied = _applied(conn)
        if not applied:
            _refuse_foreign_tables(conn, schema)
        if stop_before in applied:
            raise ValueError(f"cannot stop before {stop_before}: it is already applied")
        names: list[str] = []
        for migration in MIGRATIONS:
            if migration.name == stop_before:
                break
            if migration.name in applied:
                continue
            for step in migration.statements:
                if isinstance(step, str):
                    conn.execute(step)
                else:
                    step(conn)
            conn.execute(f"INSERT INTO {MIGRATIONS_TABLE} (name) VALUES (%s)", (migration.name,))  # noqa: S608
            names.append(migration.name)
    return names


def current_schema(conn: Connection) -> str | None:
    """The schema new tables go to (the first existing schema of the search path), if any."""
    row = conn.execute("SELECT current_schema()").fetchone()
    return None if row is None else row[0]
