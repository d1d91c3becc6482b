"""The SQL of every repository, written once and built once per dialect.

:func:`statements_for` gives a dialect's :class:`Statements`: each statement is assembled from the
table descriptions (:mod:`hours_sql.tables`, so the column lists and the row codecs cannot drift
apart) and constant fragments of this module, with ``?`` parameters rewritten to the dialect's
placeholder, once per process. Every value is a bound parameter, encoded by the dialect's codec
for its kind (:meth:`Statements.param`).

:meth:`Statements.entry_list` builds the one dynamic statement, the filtered, keyset-paginated
list of time entries.
"""

from __future__ import annotations

import functools
from datetime import datetime
from typing import Any

from hours_core.model import OrgId, RateScope, TimeEntry, UserId
from hours_core.ports import EntryQuery
from hours_sql.dialect import Dialect, Kind
from hours_sql.rows import RowCodec, row_codec
from hours_sql.tables import (
    CLIENTS,
    CLOSED_PERIODS,
    ENTRIES,
    IDEMPOTENCY_RECORDS,
    IMPORT_CREATIONS,
    IMPORTS,
    INSTALLATION_SECRETS,
    INVOICES,
    ORGS,
    PROJECTS,
    RATES,
    TASKS,
    TIMESHEETS,
    TOKENS,
    USERS,
    WEB_SESSIONS,
    WEBHOOK_DELIVERIES,
    WEBHOOKS,
    Table,
)

__all__ = [
    "RUNNING",
    "USER_CHANGES",
    "VERSIONED",
    "PeriodStatements",
    "Statements",
    "TableStatements",
    "TimesheetStatements",
    "WebhookStatements",
    "statements_for",
]

USER_CHANGES = ("name", "role", "deactivated_at")
"""What an update of a user changes (``UserRepository.update``): its email, and so the derived
``email_key``, never changes."""

VERSIONED = "id = ? AND org_id = ? AND version = ?"
"""The row a versioned update replaces: the one the caller read, still at the version it read
(the repository binds the entity at its next version, and the version it read last)."""

CHANGED_SORTED_AT_MOST = 5_000
"""The most entries changed since ``updatedSince`` that a page of the list reads and sorts (see
``Statements.entry_list``); from this many on, it walks the list order instead."""

RUNNING = "started_at IS NOT NULL AND stopped_at IS NULL"
"""A running timer. With ``deleted_at IS NULL`` it is the predicate of the partial unique index
``time_entries_one_running_per_user`` on every database (the planner needs the same terms)."""

RUNNING_TIMERS_INDEX = "time_entries_one_running_per_user"
"""The partial index of the live running timers (at most one a user): what a query of them reads
(``Dialect.indexed_by``), not every entry of a range or of the organization."""

ENTRIES_PRIMARY_KEY = "sqlite_autoindex_time_entries_1"
"""SQLite's name of the primary key of ``time_entries``: what a statement that names its entries
by a list of ids reads (``Dialect.indexed_by``)."""

REPORTS_INDEX = "time_entries_for_reports"
"""SQLite's covering index of reports (``0019_report_index_by_day``): every column of an entry but
its note, its instants of creation and change, its invoice and import."""

_TIMED = "started_at IS NOT NULL"
"""An entry with a start (stopped or running): the predicate of ``time_entries_timed_of_user``."""
_ENTRY_ORDER = ("entry_date", "created_at", "id")
_ENTRY_REFERENCES = frozenset({"project_id", "task_id", "user_id"})
"""The fields :meth:`Statements.live_references` may select (``EntryReference``)."""
_IDEMPOTENCY_KEY = "(org_id, user_id, key)"


def _columns(table: Table, alias: str | None = None) -> str:
    """The columns a select reads: the entity's fields (derived columns are never read back)."""
    if alias is None:
        return ", ".join(table.field_column_names)
    return ", ".join(f"{alias}.{column}" for column in table.field_column_names)


def _insert(table: Table) -> str:
    marks = ", ".join("?" * len(table.columns))
    columns = ", ".join(table.column_names)
    return f"INSERT INTO {table.name} ({columns}) VALUES ({marks})"  # noqa: S608 - constant identifiers


def _update(table: Table, skip: int, where: str) -> str:
    """``UPDATE`` of every column after the first ``skip`` (the key), for the rows ``where`` says."""
    assignments = ", ".join(f"{column} = ?" for column in table.column_names[skip:])
    return f"UPDATE {table.name} SET {assignments} WHERE {where}"  # noqa: S608 - constant identifiers


RATE_TARGETS: tuple[tuple[RateScope, str], ...] = (
    (RateScope.USER_PROJECT, "user_id = ? AND project_id = ? AND client_id IS NULL"),
    (RateScope.USER, "user_id = ? AND project_id IS NULL AND client_id IS NULL"),
    (RateScope.PROJECT, "user_id IS NULL AND project_id = ? AND client_id IS NULL"),
    (RateScope.CLIENT, "user_id IS NULL AND project_id IS NULL AND client_id = ?"),
    (RateScope.ORG, "user_id IS NULL AND project_id IS NULL AND client_id IS NULL"),
)
"""The targets an entry matches (:func:`hours_core.rates.entry_targets`), each as the condition on a
rate's columns, every one of them named (``NULL`` ones too) so that each reads ``rates_by_target``
alone; their parameters, in order: user and project, user, project, client (``NULL`` for a project
without a client: then no client rate matches), none."""


def _rates_matching(select: str) -> str:
    """The rates of :data:`RATE_TARGETS` in effect on a day (``RateRepository.matching``), in no
    particular order: an ``ORDER BY`` would make SQLite read each branch through
    ``rates_by_org_age`` (every rate of the organization) to merge them in order. Each branch takes
    the organization and the day, then its target's parameters."""
    branches = (
        f"{select} WHERE org_id = ? AND effective_from <= ? AND scope = '{scope.value}' AND {target}"
        for scope, target in RATE_TARGETS
    )
    return " UNION ALL ".join(branches)


def _update_of(table: Table, columns: tuple[str, ...], where: str) -> str:
    """``UPDATE`` of the named ``columns`` only, for the rows ``where`` says."""
    assignments = ", ".join(f"{column} = ?" for column in columns)
    return f"UPDATE {table.name} SET {assignments} WHERE {where}"  # noqa: S608 - constant identifiers


class TableStatements:
    """One table's row codec and its statements that every repository of it uses."""

    def __init__(self, table: Table, dialect: Dialect) -> None:
        self.table = table
        self.codec: RowCodec[Any] = row_codec(table, dialect)
        self.encode = self.codec.encode
        self.decode = self.codec.decode
        self.select = f"SELECT {_columns(table)} FROM {table.name}"  # noqa: S608 - constant identifiers
        self.insert = dialect.sql(_insert(table))


_RATE_COUNTER_ADD = (
    "INSERT INTO rate_counters (counter_key, window_end, hits) VALUES (?, ?, ?)"
    " ON CONFLICT (counter_key, window_end) DO UPDATE SET hits = rate_counters.hits + excluded.hits"
    " RETURNING hits"
)
_RATE_COUNTER_PURGE = "DELETE FROM rate_counters WHERE window_end <= ?"

_IDEMPOTENCY_OVERWRITE = (
    f"{_insert(IDEMPOTENCY_RECORDS)} ON CONFLICT {_IDEMPOTENCY_KEY} DO UPDATE SET "
    + ", ".join(f"{column} = excluded.{column}" for column in IDEMPOTENCY_RECORDS.column_names[3:])
)
_IDEMPOTENCY_TAKEOVER = (
    f"{_IDEMPOTENCY_OVERWRITE} WHERE idempotency_records.completed_at IS NOT NULL"
    " AND idempotency_records.completed_at <= ?"
)
"""A takeover of an expired key overwrites only a record that is still expired: one that a
concurrent takeover committed first stays (PostgreSQL checks the condition again once the row's
lock is free)."""


class Statements:
    """Every statement of the shared repositories, in one dialect (see the module's docstring)."""

    def __init__(self, dialect: Dialect) -> None:
        self.dialect = dialect
        sql = dialect.sql
        self.uuid = dialect.encoder(Kind.UUID)
        self.reference = dialect.encoder(Kind.REFERENCE)
        self.date = dialect.encoder(Kind.DATE)
        self.instant = dialect.encoder(Kind.INSTANT)
        self.boolean = dialect.encoder(Kind.BOOLEAN)

        self.orgs = orgs = TableStatements(ORGS, dialect)
        self.org_by_id = sql(f"{orgs.select} WHERE id = ?")
        self.org_locked = sql(f"{orgs.select} WHERE id = ?{dialect.row_lock}")
        self.orgs_by_age = f"{orgs.select} ORDER BY created_at, id"
        self.org_update = sql(_update(ORGS, 1, "id = ?"))

        self.users = users = TableStatements(USERS, dialect)
        self.user_by_id = sql(f"{users.select} WHERE id = ? AND org_id = ?")
        self.users_of_org = sql(f"{users.select} WHERE org_id = ? ORDER BY created_at, id")
        self.user_anywhere = sql(f"{users.select} WHERE id = ?")
        self.count_active_users = sql(
            "SELECT count(*) FROM users WHERE org_id = ? AND deactivated_at IS NULL"
        )
        self.count_active_users_of_role = sql(
            "SELECT count(*) FROM users WHERE org_id = ? AND deactivated_at IS NULL AND role = ?"
        )
        self.user_update, self.user_locked = (
            sql(_update_of(USERS, USER_CHANGES, "id = ? AND org_id = ?")),
            sql(f"{users.select} WHERE id = ? AND org_id = ?{dialect.row_lock}"),
        )

        clients, rates = self._clients_and_rates(dialect)

        self.projects = projects = TableStatements(PROJECTS, dialect)
        self.project_by_id = sql(f"{projects.select} WHERE id = ? AND org_id = ?")
        self.projects_of_org = sql(f"{projects.select} WHERE org_id = ? ORDER BY created_at, id")
        self.active_projects_of_org = sql(
            f"{projects.select} WHERE org_id = ? AND archived = ? ORDER BY created_at, id"
        )
        self.project_anywhere = sql(f"{projects.select} WHERE id = ?")
        self.count_active_projects = sql("SELECT count(*) FROM projects WHERE org_id = ? AND archived = ?")
        self.project_update = sql(_update(PROJECTS, 2, VERSIONED))

        self.tasks = tasks = TableStatements(TASKS, dialect)
        self.task_by_id = sql(f"{tasks.select} WHERE id = ? AND org_id = ?")
        self.tasks_of_project = sql(
            f"{tasks.select} WHERE org_id = ? AND project_id = ? ORDER BY created_at, id"
        )
        # Every column but the project, which it matches (a task never moves): on SQLite an UPDATE
        # that sets a column of the key entries name a task by, (org_id, project_id, id), looks for
        # the entries that name the old key through every entry (no index has them by task), even
        # when the value stays: 7 ms a task with 20,000 entries.
        self.task_update = sql(_update(TASKS, 3, f"{VERSIONED} AND project_id = ?"))

        self.entries = entries = TableStatements(ENTRIES, dialect)
        self.entry_by_id = sql(f"{entries.select} WHERE id = ? AND org_id = ? AND deleted_at IS NULL")
        self.entry_by_id_with_deleted = sql(f"{entries.select} WHERE id = ? AND org_id = ?")
        self.entry_update = sql(_update(ENTRIES, 2, f"{VERSIONED} AND updated_at = ?"))
        self.running_entry_of_user = sql(
            f"{entries.select} WHERE org_id = ? AND user_id = ? AND {RUNNING} AND deleted_at IS NULL"
            " ORDER BY created_at, id LIMIT 1"
        )

        self.imports = imports = self._import_statements()

        self.tokens = tokens = self._token_statements()

        self.idempotency = records = TableStatements(IDEMPOTENCY_RECORDS, dialect)
        self.idempotency_record = sql(f"{records.select} WHERE org_id = ? AND user_id = ? AND key = ?")
        self.idempotency_claim = sql(
            f"{_insert(IDEMPOTENCY_RECORDS)} ON CONFLICT {_IDEMPOTENCY_KEY} DO NOTHING"
        )
        self.idempotency_replace, self.idempotency_takeover = (
            sql(_IDEMPOTENCY_OVERWRITE),
            sql(_IDEMPOTENCY_TAKEOVER),
        )
        self.idempotency_purge = sql(
            "DELETE FROM idempotency_records WHERE completed_at IS NOT NULL AND completed_at < ?"
        )
        self.installation = secrets = TableStatements(INSTALLATION_SECRETS, dialect)
        self.installation_secret = sql(f"{secrets.select} WHERE name = ?")
        self.installation_secret_add = sql(f"{_insert(INSTALLATION_SECRETS)} ON CONFLICT (name) DO NOTHING")
        self.rate_counter_add, self.rate_counter_purge = sql(_RATE_COUNTER_ADD), sql(_RATE_COUNTER_PURGE)

        self.sessions = sessions = self._web_sign_in()
        self.webhook_sql, self.period_sql = hooks, ledger = (
            WebhookStatements(dialect),
            PeriodStatements(dialect),
        )
        self._tables = {
            each.table.name: each
            for each in (
                orgs,
                users,
                clients,
                projects,
                tasks,
                imports,
                self.import_creations,
                entries,
                tokens,
                records,
                sessions,
                secrets,
                rates,
                hooks.webhooks,
                hooks.deliveries,
                ledger.periods,
                ledger.invoices,
            )
        }

    def _clients_and_rates(self, dialect: Dialect) -> tuple[TableStatements, TableStatements]:
        """The statements of clients and rates (a method of its own: ``__init__`` is long enough)."""
        sql = dialect.sql
        self.clients = clients = TableStatements(CLIENTS, dialect)
        self.client_by_id = sql(f"{clients.select} WHERE id = ? AND org_id = ?")
        self.clients_of_org = sql(f"{clients.select} WHERE org_id = ? ORDER BY created_at, id")
        self.active_clients_of_org = sql(
            f"{clients.select} WHERE org_id = ? AND archived_at IS NULL ORDER BY created_at, id"
        )
        self.client_update = sql(_update(CLIENTS, 2, VERSIONED))

        self.rates = rates = TableStatements(RATES, dialect)
        self.rate_by_id = sql(f"{rates.select} WHERE id = ? AND org_id = ?")
        self.rates_of_org = sql(f"{rates.select} WHERE org_id = ? ORDER BY created_at, id")
        self.rates_matching = sql(_rates_matching(rates.select))
        self.rates_of_project = sql(f"{rates.select} WHERE org_id = ? AND project_id = ?")
        own = "scope = 'client' AND user_id IS NULL AND project_id IS NULL AND client_id = ?"
        of_projects = "project_id IN (SELECT id FROM projects WHERE org_id = ? AND client_id = ?)"
        bound = f"{rates.select} WHERE org_id = ? AND {own} UNION ALL {rates.select} WHERE org_id = ?"
        self.rates_bound_to_client = sql(f"{bound} AND {of_projects}")
        """The client's rates (``rates_by_target``) and its projects' (``projects_of_client``, then
        ``rates_of_project``); parameters: the organization and the client (its own rates), the
        organization (its projects' rates), the organization and the client (which projects)."""
        self.rates_starting = {
            scope: sql(
                f"{rates.select} WHERE org_id = ? AND scope = '{scope.value}' AND {target}"
                " AND effective_from = ?"
            )
            for scope, target in RATE_TARGETS
        }
        """By scope: the rates of one target from one day (``RateRepository.same_start``); parameters:
        the organization, the target's (as in :data:`RATE_TARGETS`), the day."""
        self.rate_delete = sql("DELETE FROM rates WHERE id = ? AND org_id = ?")
        return clients, rates

    def _token_statements(self) -> TableStatements:
        """The statements of tokens, and the credentials lookup that joins a token to its user and org."""
        sql = self.dialect.sql
        tokens = TableStatements(TOKENS, self.dialect)
        self.token_by_prefix = sql(f"{tokens.select} WHERE prefix = ? AND org_id = ?")
        self.tokens_of_user = sql(
            f"{tokens.select} WHERE org_id = ? AND user_id = ? ORDER BY created_at DESC, id DESC"
        )
        self.active_tokens_of_user = sql(
            "SELECT count(*) FROM api_tokens WHERE org_id = ? AND user_id = ? AND revoked_at IS NULL"
            " AND (expires_at IS NULL OR expires_at > ?)"
        )
        self.token_use = sql("UPDATE api_tokens SET last_used_at = ? WHERE prefix = ? AND org_id = ?")
        self.token_revocation = sql(
            "UPDATE api_tokens SET revoked_at = ? WHERE prefix = ? AND org_id = ? AND revoked_at IS NULL"
        )
        credential_columns = f"{_columns(TOKENS, 't')}, {_columns(USERS, 'u')}, {_columns(ORGS, 'o')}"
        self.credentials = sql(
            f"SELECT {credential_columns} FROM api_tokens AS t"  # noqa: S608 - constant identifiers
            " JOIN users AS u ON u.id = t.user_id AND u.org_id = t.org_id"
            " JOIN orgs AS o ON o.id = t.org_id"
            " WHERE t.prefix = ?"
        )
        self.credentials_user_end = len(TOKENS.field_columns) + len(USERS.field_columns)
        return tokens

    def _import_statements(self) -> TableStatements:
        """The statements of imports, and of the entries one import created."""
        sql = self.dialect.sql
        self.invoiced_entry_of_import = sql(
            f"{self.entries.select} WHERE org_id = ? AND import_id = ?"
            " AND deleted_at IS NULL AND invoice_id IS NOT NULL ORDER BY id LIMIT 1"
        )
        by_update = self.dialect.indexed_by("time_entries_by_update")
        self.changed_since_count = sql(
            f"SELECT count(*) FROM (SELECT 1 FROM time_entries{by_update}"  # noqa: S608 - constant identifiers
            " WHERE org_id = ? AND updated_at >= ? LIMIT ?) AS changed"
        )
        self.live_entries_of_import = sql(
            f"{self.entries.select} WHERE org_id = ? AND import_id = ? AND deleted_at IS NULL"
            f" ORDER BY id LIMIT ?{self.dialect.row_lock}"
        )

        imports = TableStatements(IMPORTS, self.dialect)
        self.import_by_id = sql(f"{imports.select} WHERE id = ? AND org_id = ?")
        self.import_by_id_locked = sql(f"{imports.select} WHERE id = ? AND org_id = ?{self.dialect.row_lock}")
        self.import_update = sql(
            _update_of(IMPORTS, ("created", "duplicates", "failed", "deleted_at"), "id = ? AND org_id = ?")
        )
        exclusive = self.dialect.exclusive_key_lock
        self.imports_of_org_exclusive = sql(exclusive) if exclusive else None

        self.import_creations = creations = TableStatements(IMPORT_CREATIONS, self.dialect)
        self.creations_of_import = sql(
            f"{creations.select} WHERE org_id = ? AND import_id = ? ORDER BY subject_id"
        )
        self.retired_creations = sql(
            f"SELECT {_columns(IMPORT_CREATIONS, 'c')} FROM import_creations AS c"  # noqa: S608
            " JOIN imports AS i ON i.org_id = c.org_id AND i.id = c.import_id"
            " WHERE c.org_id = ? AND i.deleted_at IS NOT NULL ORDER BY c.subject_id"
        )

        return imports

    def _web_sign_in(self) -> TableStatements:
        """The statements of passwords (a column of ``users``) and web sessions; the sessions' table."""
        sql = self.dialect.sql
        self.password_update = sql("UPDATE users SET password_hash = ? WHERE id = ? AND org_id = ?")
        self.password_logins = sql(
            f"SELECT {_columns(USERS, 'u')}, {_columns(ORGS, 'o')}, u.password_hash"  # noqa: S608
            " FROM users AS u JOIN orgs AS o ON o.id = u.org_id"
            " WHERE u.email_key = ? AND u.password_hash IS NOT NULL ORDER BY u.created_at, u.id"
        )
        sessions = TableStatements(WEB_SESSIONS, self.dialect)
        session_columns = f"{_columns(WEB_SESSIONS, 's')}, {_columns(USERS, 'u')}, {_columns(ORGS, 'o')}"
        self.session_credentials = sql(
            f"SELECT {session_columns} FROM web_sessions AS s"  # noqa: S608 - constant identifiers
            " JOIN users AS u ON u.id = s.user_id AND u.org_id = s.org_id"
            " JOIN orgs AS o ON o.id = s.org_id"
            " WHERE s.key_hash = ?"
        )
        self.session_credentials_user_end = len(WEB_SESSIONS.field_columns) + len(USERS.field_columns)
        self.session_delete = sql("DELETE FROM web_sessions WHERE key_hash = ? AND org_id = ?")
        self.sessions_of_user_delete = sql("DELETE FROM web_sessions WHERE org_id = ? AND user_id = ?")
        self.sessions_purge = sql("DELETE FROM web_sessions WHERE expires_at <= ?")
        return sessions

    @functools.cached_property
    def timesheet_sql(self) -> TimesheetStatements:
        """The statements of timesheets."""
        return TimesheetStatements(self.dialect)

    def of(self, table: Table) -> TableStatements:
        """The statements of ``table``."""
        if table is TIMESHEETS:
            return self.timesheet_sql.timesheets
        return self._tables[table.name]

    def unimport_entries(self, count: int) -> str:
        """The soft delete of ``count`` entries of an import by id, releasing their source rows
        (``external_ref`` moves to ``released_ref``: every right-hand side reads the row as it was)."""
        marks = ", ".join("?" * count)
        return self.dialect.sql(
            f"UPDATE time_entries{self.dialect.indexed_by(ENTRIES_PRIMARY_KEY)}"  # noqa: S608
            " SET deleted_at = ?, updated_at = ?, released_ref = external_ref, external_ref = NULL,"
            " version = version + 1"
            f" WHERE org_id = ? AND deleted_at IS NULL AND id IN ({marks})"
        )

    def forget_creations(self, count: int) -> str:
        """The delete of ``count`` creations of one import, by their subjects' ids."""
        marks = ", ".join("?" * count)
        return self.dialect.sql(
            "DELETE FROM import_creations"  # noqa: S608 - constant identifiers
            f" WHERE org_id = ? AND import_id = ? AND subject_id IN ({marks})"
        )

    def live_references(self, asked: tuple[tuple[str, int], ...]) -> str:
        """The select of the distinct ``(field, ...)`` values of the live entries of an org that
        name one of the ids asked in one of the fields: ``asked`` is each field (``project_id``,
        ``task_id`` or ``user_id``: :data:`~hours_core.ports.EntryReference`) with how many ids of
        it follow the org in the parameters. One walk of the organization's live entries, in the
        reports' covering index on SQLite (it holds every column read: no table row is looked up)."""
        if not asked or any(field not in _ENTRY_REFERENCES for field, _count in asked):
            raise ValueError(f"not references of an entry: {asked!r}")
        named = " OR ".join(f"{field} IN ({', '.join('?' * count)})" for field, count in asked)
        fields = ", ".join(field for field, _count in asked)
        return self.dialect.sql(
            f"SELECT DISTINCT {fields} FROM time_entries{self.dialect.indexed_by(REPORTS_INDEX)}"  # noqa: S608 - constant identifiers, checked
            f" WHERE org_id = ? AND deleted_at IS NULL AND ({named})"
        )

    def external_refs(self, count: int) -> str:
        """The select of which of ``count`` external references the entries of an org hold."""
        marks = ", ".join("?" * count)
        return self.dialect.sql(
            f"SELECT external_ref FROM time_entries WHERE org_id = ? AND external_ref IN ({marks})"  # noqa: S608
        )

    @functools.cached_property
    def entry_holding_ref(self) -> str:
        """The select of the entry of an org (deleted or not) that holds an external reference: one
        step of ``time_entries_external_ref_per_org``."""
        return self.dialect.sql(f"{self.entries.select} WHERE org_id = ? AND external_ref = ?")

    def entry_ids(self, count: int) -> str:
        """The select of which of ``count`` ids are entries of an org (deleted ones included)."""
        marks = ", ".join("?" * count)
        return self.dialect.sql(
            f"SELECT id FROM time_entries{self.dialect.indexed_by(ENTRIES_PRIMARY_KEY)}"  # noqa: S608
            f" WHERE org_id = ? AND id IN ({marks})"
        )

    def entries_by_ids(self, count: int, *, locked: bool) -> str:
        """The select of the entries of an org among ``count`` ids (deleted ones included), in id
        order; ``locked``: their rows locked in that order (the dialect's ``row_lock``)."""
        marks = ", ".join("?" * count)
        lock = self.dialect.row_lock if locked else ""
        return self.dialect.sql(
            f"{self.entries.select}{self.dialect.indexed_by(ENTRIES_PRIMARY_KEY)}"
            f" WHERE org_id = ? AND id IN ({marks}) ORDER BY id{lock}"
        )

    def entries_intersecting(
        self,
        org_id: OrgId,
        start: datetime,
        end: datetime,
        user_id: UserId | None,
        after: TimeEntry | None,
        limit: int,
    ) -> tuple[str, list[Any]]:
        """The SQL and parameters of ``TimeEntryRepository.intersecting``: live entries with a start
        before ``end`` that run or stop after ``start``, by (user, start, id), keyset-paged. The
        index ``time_entries_timed_of_user`` (migration 0016) holds every column the filter reads."""
        where = [f"org_id = ? AND deleted_at IS NULL AND {_TIMED} AND started_at < ?"]
        params: list[Any] = [self.reference(org_id), self.instant(end)]
        where.append("(stopped_at IS NULL OR stopped_at > ?)")
        params.append(self.instant(start))
        if user_id is not None:
            where.append("user_id = ?")
            params.append(self.reference(user_id))
        if after is not None:
            where.append("(user_id, started_at, id) > (?, ?, ?)")
            params += [self.reference(after.user_id), self.instant(after.started_at), self.uuid(after.id)]
        params.append(max(limit, 0))
        sql = f"{self.entries.select} WHERE {' AND '.join(where)} ORDER BY user_id, started_at, id LIMIT ?"
        return self.dialect.sql(sql), params

    def entry_list(
        self, org_id: OrgId, query: EntryQuery, *, changed_many: bool | None = None
    ) -> tuple[str, list[Any]]:
        """The SQL and parameters of the entry list (public for the query-plan tests).

        Pages are keyset pages: the cursor is a row-value comparison on the index order
        ``(entry_date, created_at, id)``, never an OFFSET, so a deep page costs what the first does.

        ``changed_many`` (with ``updated_since``, where the dialect names indexes: its ``index_hint``)
        is whether :data:`CHANGED_SORTED_AT_MOST` entries or more changed since then
        (:attr:`changed_since_count`). Few: the page reads them by ``time_entries_by_update`` and
        sorts them. Many: it walks the list order from the cursor and keeps the changed ones, so a
        first sync of every entry reads each once, not all of them on every page.
        """
        where = ["org_id = ?"]
        params: list[Any] = [self.reference(org_id)]

        def condition(sql: str, *values: Any) -> None:
            where.append(sql)
            params.extend(values)

        if query.user_id is not None:
            condition("user_id = ?", self.reference(query.user_id))
        if query.project_id is not None:
            condition("project_id = ?", self.reference(query.project_id))
        if query.task_id is not None:
            condition("task_id = ?", self.reference(query.task_id))
        after = query.after
        # The cursor bounds the date on the side it moves from; drop the looser bound so that the
        # planner takes the cursor as the start of its index range.
        if query.date_from is not None and not (
            after is not None and not query.descending and after.entry_date >= query.date_from
        ):
            condition("entry_date >= ?", self.date(query.date_from))
        if query.date_to is not None and not (
            after is not None and query.descending and after.entry_date <= query.date_to
        ):
            condition("entry_date <= ?", self.date(query.date_to))
        if query.billable is not None:
            condition("billable = ?", self.boolean(query.billable))
        if query.invoiced is not None:
            condition("invoice_id IS NOT NULL" if query.invoiced else "invoice_id IS NULL")
        if query.running is not None:
            condition(f"({RUNNING})" if query.running else f"NOT ({RUNNING})")
        source = self.entries.select
        if query.updated_since is not None:
            condition("updated_at >= ?", self.instant(query.updated_since))
            if changed_many is not None:
                in_order = "time_entries_of_user_in_order" if query.user_id else "time_entries_in_order"
                index = in_order if changed_many else "time_entries_by_update"
                source += self.dialect.indexed_by(index)
        elif not query.include_deleted:
            condition("deleted_at IS NULL")
            if query.running:  # live running timers: at most one a user, in their partial index
                source += self.dialect.indexed_by(RUNNING_TIMERS_INDEX)
        if after is not None:
            condition(
                f"({', '.join(_ENTRY_ORDER)}) {'<' if query.descending else '>'} (?, ?, ?)",
                self.date(after.entry_date),
                self.instant(after.created_at),
                self.uuid(after.id),
            )
        direction = " DESC" if query.descending else ""
        order = ", ".join(f"{column}{direction}" for column in _ENTRY_ORDER)
        params.append(max(query.limit, 0))
        sql = f"{source} WHERE {' AND '.join(where)} ORDER BY {order} LIMIT ?"
        return self.dialect.sql(sql), params


class WebhookStatements:
    """The statements of webhooks, their deliveries and the dispatcher lease, in one dialect."""

    def __init__(self, dialect: Dialect) -> None:
        sql = dialect.sql
        self.webhooks = webhooks = TableStatements(WEBHOOKS, dialect)
        self.webhook_by_id = sql(f"{webhooks.select} WHERE id = ? AND org_id = ?")
        self.webhook_locked = sql(f"{webhooks.select} WHERE id = ? AND org_id = ?{dialect.row_lock}")
        self.webhooks_of_org = sql(f"{webhooks.select} WHERE org_id = ? ORDER BY created_at, id")
        self.webhook_update = sql(_update(WEBHOOKS, 2, "id = ? AND org_id = ?"))
        self.webhook_delete = sql("DELETE FROM webhooks WHERE id = ? AND org_id = ?")
        behind = (
            f"SELECT {_columns(WEBHOOKS, 'w')} FROM webhooks AS w"  # noqa: S608 - constant identifiers
            " WHERE w.active = ? AND w.event_cursor <"
            " (SELECT c.last_seq FROM event_counters AS c WHERE c.org_id = w.org_id)"
        )
        self.webhooks_behind = sql(f"{behind} ORDER BY w.id LIMIT ?{dialect.skip_locked}")
        self.webhooks_behind_after = sql(f"{behind} AND w.id > ? ORDER BY w.id LIMIT ?{dialect.skip_locked}")
        self.dispatcher_lease = sql(
            "INSERT INTO webhook_dispatcher_lease (name, holder, expires_at) VALUES ('dispatcher', ?, ?)"
            " ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at"
            " WHERE webhook_dispatcher_lease.holder = excluded.holder"
            " OR webhook_dispatcher_lease.expires_at <= ?"
        )
        self.dispatcher_lease_release = sql(
            "DELETE FROM webhook_dispatcher_lease WHERE name = 'dispatcher' AND holder = ?"
        )

        self.deliveries = deliveries = TableStatements(WEBHOOK_DELIVERIES, dialect)
        self.delivery_by_id = sql(f"{deliveries.select} WHERE id = ? AND org_id = ? AND webhook_id = ?")
        self.deliveries_of_webhook = sql(
            f"{deliveries.select} WHERE org_id = ? AND webhook_id = ? ORDER BY position DESC LIMIT ?"
        )
        self.deliveries_of_webhook_before = sql(
            f"{deliveries.select} WHERE org_id = ? AND webhook_id = ? AND position < ?"
            " ORDER BY position DESC LIMIT ?"
        )
        self.deliveries_of_webhook_deleted = sql(
            "DELETE FROM webhook_deliveries WHERE webhook_id = ? AND org_id = ?"
        )
        self._dialect = dialect
        self._deliveries_due: dict[tuple[int, int], str] = {}
        self.delivery_lease = sql("UPDATE webhook_deliveries SET leased_until = ? WHERE id = ?")
        self.delivery_record = sql(_update(WEBHOOK_DELIVERIES, 1, "id = ? AND leased_until = ?"))
        self.deliveries_purge = sql(
            "DELETE FROM webhook_deliveries WHERE status <> 'pending' AND completed_at < ?"
        )

    def deliveries_due(self, full: int, loaded: int) -> str:
        """The due deliveries: the first pending one of each active webhook (found per webhook, in
        the index of pending positions, so a webhook's backlog is never scanned), leaving out those
        of ``full`` organizations, the least loaded organizations' first (``loaded`` organizations
        with deliveries in flight come after those with none, fewest in flight first), then in the
        order they fell due. Parameters: ``True`` (active), ``now``, ``now``, the ``full``
        organizations' ids, an id and its count in flight for each of the ``loaded`` ones, the
        limit. Made once per pair of numbers."""
        statement = self._deliveries_due.get((full, loaded))
        if statement is None:
            dialect = self._dialect
            excluding = f" AND d.org_id NOT IN ({', '.join('?' * full)})" if full else ""
            load = (
                "CASE d.org_id " + " ".join(["WHEN ? THEN CAST(? AS INTEGER)"] * loaded) + " ELSE 0 END, "
                if loaded
                else ""
            )
            statement = self._deliveries_due[(full, loaded)] = dialect.sql(
                f"SELECT {_columns(WEBHOOK_DELIVERIES, 'd')} FROM webhook_deliveries AS d"  # noqa: S608
                " WHERE d.id IN (SELECT (SELECT p.id FROM webhook_deliveries AS p"
                " WHERE p.webhook_id = w.id AND p.status = 'pending' ORDER BY p.position LIMIT 1)"
                " FROM webhooks AS w WHERE w.active = ?)"
                " AND d.next_attempt_at <= ? AND (d.leased_until IS NULL OR d.leased_until <= ?)"
                f"{excluding} ORDER BY {load}d.next_attempt_at, d.id LIMIT ?{dialect.skip_locked}"
            )
        return statement


class TimesheetStatements:
    """The statements of timesheets, in one dialect."""

    def __init__(self, dialect: Dialect) -> None:
        sql = dialect.sql
        self.timesheets = timesheets = TableStatements(TIMESHEETS, dialect)
        self.by_id = sql(f"{timesheets.select} WHERE id = ? AND org_id = ?")
        self.by_id_locked = sql(f"{timesheets.select} WHERE id = ? AND org_id = ?{dialect.row_lock}")
        self.update = sql(_update_of(TIMESHEETS, TIMESHEET_CHANGES, "id = ? AND org_id = ?"))
        covering = (
            f"{timesheets.select} WHERE org_id = ? AND user_id = ? AND week_start <= ? AND week_start >= ?"
        )
        self.covering = sql(f"{covering} ORDER BY week_start, id")
        self.covering_locked = sql(f"{covering} ORDER BY week_start, id{dialect.row_lock}")
        self._select = timesheets.select
        self._dialect = dialect

    def listing(self, filters: tuple[str, ...], *, limited: bool = False) -> str:
        """The list of an org's timesheets with ``filters`` (SQL conditions with ``?``), newest week
        first; ``limited``: a last parameter is the most rows to return."""
        where = " AND ".join(("org_id = ?", *filters))
        limit = " LIMIT ?" if limited else ""
        return self._dialect.sql(f"{self._select} WHERE {where} ORDER BY week_start DESC, user_id, id{limit}")


TIMESHEET_CHANGES = (
    "status",
    "submitted_at",
    "submitted_by",
    "decided_at",
    "decided_by",
    "rejection_reason",
    "updated_at",
)
"""What an update of a timesheet changes (``TimesheetRepository.update``)."""


class PeriodStatements:
    """The statements of closed periods and invoices, in one dialect."""

    def __init__(self, dialect: Dialect) -> None:
        sql = dialect.sql
        self.periods = periods = TableStatements(CLOSED_PERIODS, dialect)
        self.periods_of_org = sql(f"{periods.select} WHERE org_id = ? ORDER BY last_day")
        self.periods_holding = sql(
            f"{periods.select} WHERE org_id = ? AND last_day >= ? AND (first_day IS NULL OR first_day <= ?)"
            " ORDER BY last_day"
        )
        self.periods_delete = sql("DELETE FROM closed_periods WHERE org_id = ?")
        self.entry_writes_shared = sql(dialect.shared_key_lock) if dialect.shared_key_lock else None
        self.entry_writes_exclusive = sql(dialect.exclusive_key_lock) if dialect.exclusive_key_lock else None

        self.invoices = invoices = TableStatements(INVOICES, dialect)
        self.invoice_by_id = sql(f"{invoices.select} WHERE id = ? AND org_id = ?")
        self.invoice_by_id_locked = sql(f"{invoices.select} WHERE id = ? AND org_id = ?{dialect.row_lock}")
        self.invoices_of_org = sql(f"{invoices.select} WHERE org_id = ? ORDER BY id DESC LIMIT ?")
        self.invoices_of_org_before = sql(
            f"{invoices.select} WHERE org_id = ? AND id < ? ORDER BY id DESC LIMIT ?"
        )
        self.invoice_update = sql(_update_of(INVOICES, ("status", "voided_at"), "id = ? AND org_id = ?"))


@functools.cache
def statements_for(dialect: Dialect) -> Statements:
    """The statements of ``dialect``, built on first use and kept for the process."""
    return Statements(dialect)
