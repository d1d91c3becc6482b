"""The repositories: every port of :mod:`hours_core.ports` as SQL over one :class:`PostgresSession`.

Every tenant-scoped statement filters on ``org_id`` (the ``locate`` methods and
:meth:`PostgresTokenRepository.find_credentials` are the documented exceptions). Driver errors
never leave this module as such (see :func:`hours_postgres.connection.translate`): a constraint
violation becomes :class:`~hours_core.errors.Conflict` with a message for a person, a second
running timer :class:`~hours_core.errors.TimerAlreadyRunning`, a lock wait that runs out the
"database is busy" :class:`~hours_core.errors.StoreBusy` (or, during an idempotency claim,
:class:`~hours_core.errors.IdempotencyRequestInProgress`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from operator import attrgetter
from typing import Any

import psycopg
from psycopg import errors as pg_errors
from psycopg.pq import TransactionStatus

from hours_core.errors import Conflict, IdempotencyRequestInProgress, StaleUpdate, TimerAlreadyRunning
from hours_core.idempotency import IdempotencyRecord
from hours_core.model import (
    Org,
    OrgId,
    Project,
    ProjectId,
    Task,
    TaskId,
    TimeEntry,
    TimeEntryId,
    User,
    UserId,
)
from hours_core.ports import Credentials, EntryQuery
from hours_core.tokens import ApiToken
from hours_postgres.codecs import (
    ENTRY_COLUMNS,
    IDEMPOTENCY_COLUMNS,
    ORG_COLUMNS,
    PROJECT_COLUMNS,
    TASK_COLUMNS,
    TOKEN_COLUMNS,
    USER_COLUMNS,
    decode_entry,
    decode_idempotency,
    decode_org,
    decode_project,
    decode_task,
    decode_token,
    decode_user,
    encode_entry,
    encode_idempotency,
    encode_org,
    encode_project,
    encode_task,
    encode_token,
    encode_user,
)
from hours_postgres.connection import Connection, translate

__all__ = [
    "PostgresIdempotencyRepository",
    "PostgresOrgRepository",
    "PostgresProjectRepository",
    "PostgresSession",
    "PostgresTaskRepository",
    "PostgresTimeEntryRepository",
    "PostgresTokenRepository",
    "PostgresUserRepository",
    "entry_list_sql",
]

Params = Sequence[Any]
ErrorFactory = Callable[[], Exception]
"""Makes the error to raise for a violated constraint (it may query: the write is undone first)."""

_DRIVER_ERRORS = (psycopg.Error, UnicodeEncodeError)
"""What the driver raises: its own errors, and text that cannot be encoded (lone surrogates)."""


class PostgresSession:
    """One unit of work's connection and transaction, shared by its repositories.

    A writable session runs ``BEGIN ISOLATION LEVEL READ COMMITTED`` and bounds every lock wait
    with ``SET LOCAL lock_timeout``; each write runs inside a savepoint, so that a write that
    fails (a duplicate email, a second running timer) is undone alone and the unit of work can
    go on, as it can on the other stores. A read-only session runs ``BEGIN ISOLATION LEVEL
    REPEATABLE READ READ ONLY`` and reads once, so that every read of the unit of work sees
    one snapshot, fixed from the start. After :meth:`commit` the next statement begins a new
    transaction.
    """

    def __init__(self, conn: Connection, *, writable: bool, lock_timeout_ms: int) -> None:
        self.conn = conn
        self.writable = writable
        self._begin_sql = (
            f"BEGIN ISOLATION LEVEL READ COMMITTED; SET LOCAL lock_timeout = {lock_timeout_ms:d}"
            if writable
            else "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; SELECT 1"
        )
        self._active = False
        self._closed = False

    def begin(self) -> None:
        """Begin a transaction (one round trip: the statements go as one simple query)."""
        self._send(self._begin_sql)
        self._active = True

    def commit(self) -> None:
        """Commit the open transaction, if any."""
        self._check_alive()
        if not self._active:
            return
        if self.conn.info.transaction_status == TransactionStatus.INERROR:
            # PostgreSQL would answer COMMIT with a silent ROLLBACK: say so instead.
            raise RuntimeError("a statement of this unit of work failed; its transaction cannot commit")
        self._active = False
        self._send("COMMIT")

    def rollback(self) -> None:
        """Roll back the open transaction, if any. Never raises: a broken connection is closed."""
        self._active = False
        if self.conn.closed or self.conn.info.transaction_status == TransactionStatus.IDLE:
            return
        try:
            self.conn.execute("ROLLBACK")
        except psycopg.Error:
            self.conn.close()  # the server ends the transaction with the session; the pool replaces it

    def close(self) -> None:
        """Forbid further use: the connection goes back to the pool."""
        self._closed = True
        self._active = False

    def _check_alive(self) -> None:
        if self._closed:
            raise RuntimeError("this unit of work has ended; open a new one")

    def _ensure_transaction(self) -> None:
        self._check_alive()
        if not self._active:
            self.begin()

    def _send(self, sql: str, params: Params | None = None) -> psycopg.Cursor[Any]:
        try:
            return self.conn.execute(sql, params)
        except _DRIVER_ERRORS as error:
            raise translate(error) from error

    def rows(self, sql: str, params: Params = ()) -> list[Any]:
        """Every row of a query, as tuples."""
        self._ensure_transaction()
        try:
            return self.conn.execute(sql, params).fetchall()
        except _DRIVER_ERRORS as error:
            raise translate(error) from error

    def row(self, sql: str, params: Params = ()) -> Any | None:
        """The first row of a query, or ``None``."""
        rows = self.rows(sql, params)
        return rows[0] if rows else None

    def write(
        self,
        sql: str,
        params: Params,
        *,
        kind: str,
        unique: Mapping[str, ErrorFactory] | None = None,
        lock_timeout: ErrorFactory | None = None,
    ) -> int:
        """Run one write in a savepoint; return how many rows it changed.

        ``kind`` names the entity in conflict messages; ``unique`` maps the name of a unique
        index to the error for a duplicate in it; ``lock_timeout`` makes the error for a lock
        wait that ran out (default: the busy ``StoreBusy``).
        """

        def run() -> int:
            return self.conn.execute(sql, params).rowcount

        return self._in_savepoint(run, kind=kind, unique=unique, lock_timeout=lock_timeout)

    def copy(
        self,
        statement: str,
        rows: Iterable[Params],
        *,
        kind: str,
        unique: Mapping[str, ErrorFactory] | None = None,
    ) -> int:
        """Load ``rows`` with ``COPY ... FROM STDIN`` in a savepoint, all or none; return how many."""

        def run() -> int:
            count = 0
            with self.conn.cursor() as cursor, cursor.copy(statement) as copy:
                for values in rows:
                    copy.write_row(values)
                    count += 1
            return count

        return self._in_savepoint(run, kind=kind, unique=unique, lock_timeout=None)

    def _in_savepoint(
        self,
        run: Callable[[], int],
        *,
        kind: str,
        unique: Mapping[str, ErrorFactory] | None,
        lock_timeout: ErrorFactory | None,
    ) -> int:
        if not self.writable:
            raise RuntimeError("this unit of work is read-only")
        self._ensure_transaction()
        self._send("SAVEPOINT hours_write")
        try:
            changed = run()
        except _DRIVER_ERRORS as error:
            self._send("ROLLBACK TO SAVEPOINT hours_write; RELEASE SAVEPOINT hours_write")
            raise _write_error(error, kind, unique or {}, lock_timeout) from error
        self._send("RELEASE SAVEPOINT hours_write")
        return changed


def _write_error(
    error: Exception, kind: str, unique: Mapping[str, ErrorFactory], lock_timeout: ErrorFactory | None
) -> Exception:
    if isinstance(error, pg_errors.UniqueViolation):
        factory = unique.get(error.diag.constraint_name or "")
        if factory is not None:
            return factory()
    if isinstance(error, pg_errors.LockNotAvailable) and lock_timeout is not None:
        return lock_timeout()
    return translate(error, kind=kind)


# The SQL below is assembled from the column tuples of the codecs (so that the two cannot drift
# apart) and from constant fragments of this module; every value is a bound parameter.


def _columns(columns: Sequence[str], table: str | None = None) -> str:
    if table is None:
        return ", ".join(columns)
    return ", ".join(f"{table}.{column}" for column in columns)


def _select(columns: str, source: str) -> str:
    return f"SELECT {columns} FROM {source}"  # noqa: S608 - constant identifiers only


def _insert(table: str, columns: Sequence[str]) -> str:
    return f"INSERT INTO {table} ({_columns(columns)}) VALUES ({', '.join(['%s'] * len(columns))})"  # noqa: S608


def _update(table: str, columns: Sequence[str], where: str) -> str:
    assignments = ", ".join(f"{column} = %s" for column in columns)
    return f"UPDATE {table} SET {assignments} WHERE {where}"  # noqa: S608 - constant identifiers only


class _Repository:
    def __init__(self, session: PostgresSession) -> None:
        self._session = session


# Organizations, users, projects, tasks.

_ORG_SELECT = _select(_columns(ORG_COLUMNS), "orgs")
_ORG_INSERT = _insert("orgs", ORG_COLUMNS)
_ORG_UPDATE = _update("orgs", ORG_COLUMNS[1:], "id = %s")


class PostgresOrgRepository(_Repository):
    """Organizations in PostgreSQL."""

    def add(self, org: Org) -> None:
        """Store a new organization."""
        self._session.write(_ORG_INSERT, encode_org(org), kind="organization")

    def get(self, org_id: OrgId) -> Org | None:
        """The organization, or ``None``."""
        row = self._session.row(f"{_ORG_SELECT} WHERE id = %s", (org_id,))
        return None if row is None else decode_org(row)

    def list(self) -> Sequence[Org]:
        """Every organization, oldest first."""
        return [decode_org(row) for row in self._session.rows(f"{_ORG_SELECT} ORDER BY created_at, id")]

    def update(self, org: Org) -> None:
        """Replace a stored organization (nothing happens if it is not stored)."""
        id_, *rest = encode_org(org)
        self._session.write(_ORG_UPDATE, (*rest, id_), kind="organization")


_USER_SELECT = _select(_columns(USER_COLUMNS), "users")
_USER_INSERT = _insert("users", USER_COLUMNS)


class PostgresUserRepository(_Repository):
    """Users in PostgreSQL; the email is unique per organization, ignoring case (``lower(email)``)."""

    def add(self, user: User) -> None:
        """Store a new user; raise ``Conflict`` if the email is taken in the organization."""
        taken = f"A user with the email {user.email} already exists in this organization."
        self._session.write(
            _USER_INSERT,
            encode_user(user),
            kind="user",
            unique={"users_email_per_org": lambda: Conflict(taken)},
        )

    def get(self, org_id: OrgId, user_id: UserId) -> User | None:
        """The user of ``org_id``, or ``None``."""
        row = self._session.row(f"{_USER_SELECT} WHERE id = %s AND org_id = %s", (user_id, org_id))
        return None if row is None else decode_user(row)

    def list(self, org_id: OrgId) -> Sequence[User]:
        """The organization's users, oldest first."""
        rows = self._session.rows(f"{_USER_SELECT} WHERE org_id = %s ORDER BY created_at, id", (org_id,))
        return [decode_user(row) for row in rows]

    def locate(self, user_id: UserId) -> User | None:
        """The user with ``user_id`` in any organization (operator tooling only)."""
        row = self._session.row(f"{_USER_SELECT} WHERE id = %s", (user_id,))
        return None if row is None else decode_user(row)


_PROJECT_SELECT = _select(_columns(PROJECT_COLUMNS), "projects")
_PROJECT_INSERT = _insert("projects", PROJECT_COLUMNS)
_PROJECT_UPDATE = _update("projects", PROJECT_COLUMNS[2:], "id = %s AND org_id = %s")


class PostgresProjectRepository(_Repository):
    """Projects in PostgreSQL."""

    def add(self, project: Project) -> None:
        """Store a new project."""
        self._session.write(_PROJECT_INSERT, encode_project(project), kind="project")

    def get(self, org_id: OrgId, project_id: ProjectId) -> Project | None:
        """The project of ``org_id``, or ``None``."""
        row = self._session.row(f"{_PROJECT_SELECT} WHERE id = %s AND org_id = %s", (project_id, org_id))
        return None if row is None else decode_project(row)

    def list(self, org_id: OrgId, *, include_archived: bool = True) -> Sequence[Project]:
        """The organization's projects, oldest first."""
        archived = "" if include_archived else " AND NOT archived"
        rows = self._session.rows(
            f"{_PROJECT_SELECT} WHERE org_id = %s{archived} ORDER BY created_at, id", (org_id,)
        )
        return [decode_project(row) for row in rows]

    def locate(self, project_id: ProjectId) -> Project | None:
        """The project with ``project_id`` in any organization (operator tooling only)."""
        row = self._session.row(f"{_PROJECT_SELECT} WHERE id = %s", (project_id,))
        return None if row is None else decode_project(row)

    def count_active(self, org_id: OrgId) -> int:
        """How many projects of the organization are not archived."""
        row = self._session.row("SELECT count(*) FROM projects WHERE org_id = %s AND NOT archived", (org_id,))
        return int(row[0]) if row is not None else 0

    def update(self, project: Project) -> None:
        """Replace a stored project (nothing happens if the organization has no such project)."""
        id_, org_id, *rest = encode_project(project)
        self._session.write(_PROJECT_UPDATE, (*rest, id_, org_id), kind="project")


_TASK_SELECT = _select(_columns(TASK_COLUMNS), "tasks")
_TASK_INSERT = _insert("tasks", TASK_COLUMNS)
_TASK_UPDATE = _update("tasks", TASK_COLUMNS[2:], "id = %s AND org_id = %s")


class PostgresTaskRepository(_Repository):
    """Tasks in PostgreSQL."""

    def add(self, task: Task) -> None:
        """Store a new task (its project must be of the same organization)."""
        self._session.write(_TASK_INSERT, encode_task(task), kind="task")

    def get(self, org_id: OrgId, task_id: TaskId) -> Task | None:
        """The task of ``org_id``, or ``None``."""
        row = self._session.row(f"{_TASK_SELECT} WHERE id = %s AND org_id = %s", (task_id, org_id))
        return None if row is None else decode_task(row)

    def list_for_project(self, org_id: OrgId, project_id: ProjectId) -> Sequence[Task]:
        """The project's tasks, oldest first."""
        rows = self._session.rows(
            f"{_TASK_SELECT} WHERE org_id = %s AND project_id = %s ORDER BY created_at, id",
            (org_id, project_id),
        )
        return [decode_task(row) for row in rows]

    def update(self, task: Task) -> None:
        """Replace a stored task (nothing happens if the organization has no such task)."""
        id_, org_id, *rest = encode_task(task)
        self._session.write(_TASK_UPDATE, (*rest, id_, org_id), kind="task")


# Time entries.

_ENTRY_SELECT = _select(_columns(ENTRY_COLUMNS), "time_entries")
_ENTRY_INSERT = _insert("time_entries", ENTRY_COLUMNS)
_ENTRY_COPY = f"COPY time_entries ({_columns(ENTRY_COLUMNS)}) FROM STDIN"
_ENTRY_UPDATE = _update("time_entries", ENTRY_COLUMNS[2:], "id = %s AND org_id = %s AND updated_at = %s")
_RUNNING = "started_at IS NOT NULL AND stopped_at IS NULL"
_ONE_RUNNING_TIMER = "time_entries_one_running_per_user"
_BY_DATE = attrgetter("entry_date", "created_at")


def entry_list_sql(org_id: OrgId, query: EntryQuery) -> tuple[str, list[Any]]:
    """The SQL and parameters of :meth:`PostgresTimeEntryRepository.list` (public for plan tests).

    Pages are keyset pages: the cursor is a row-value comparison on the index order
    ``(entry_date, created_at, id)``, never an OFFSET, so a deep page costs what the first does.
    """
    where = ["org_id = %s"]
    params: list[Any] = [org_id]

    def condition(sql: str, *values: Any) -> None:
        where.append(sql)
        params.extend(values)

    if query.user_id is not None:
        condition("user_id = %s", query.user_id)
    if query.project_id is not None:
        condition("project_id = %s", query.project_id)
    if query.task_id is not None:
        condition("task_id = %s", query.task_id)
    after = query.after
    # The cursor bounds the date on the side it moves from; drop the looser bound so that the
    # planner takes the cursor as the start of its index range.
    if query.date_from is not None and not (
        after is not None and not query.descending and after.entry_date >= query.date_from
    ):
        condition("entry_date >= %s", query.date_from)
    if query.date_to is not None and not (
        after is not None and query.descending and after.entry_date <= query.date_to
    ):
        condition("entry_date <= %s", query.date_to)
    if query.billable is not None:
        condition("billable = %s", query.billable)
    if query.invoiced is not None:
        condition("invoice_id IS NOT NULL" if query.invoiced else "invoice_id IS NULL")
    if query.running is not None:
        condition(f"({_RUNNING})" if query.running else f"NOT ({_RUNNING})")
    if query.updated_since is not None:
        condition("updated_at >= %s", query.updated_since)
    elif not query.include_deleted:
        condition("deleted_at IS NULL")
    if after is not None:
        condition(
            f"(entry_date, created_at, id) {'<' if query.descending else '>'} (%s, %s, %s)",
            after.entry_date,
            after.created_at,
            after.id,
        )
    direction = " DESC" if query.descending else ""
    order = ", ".join(f"{column}{direction}" for column in ("entry_date", "created_at", "id"))
    params.append(max(query.limit, 0))
    return f"{_ENTRY_SELECT} WHERE {' AND '.join(where)} ORDER BY {order} LIMIT %s", params


class PostgresTimeEntryRepository(_Repository):
    """Time entries in PostgreSQL."""

    def add(self, entry: TimeEntry) -> None:
        """Store a new entry; a second running timer of its user raises ``TimerAlreadyRunning``."""
        self._session.write(
            _ENTRY_INSERT, encode_entry(entry), kind="time entry", unique=self._one_timer(entry)
        )

    def add_many(self, entries: Sequence[TimeEntry]) -> None:
        """Store many new entries in this transaction with one ``COPY``, all or none.

        Rows go in date order, whatever the order of ``entries``: the list indexes lead with the
        date, so each index then grows at a few places instead of all over.
        """
        if not entries:
            return
        in_date_order = sorted(entries, key=_BY_DATE)
        running = {
            _ONE_RUNNING_TIMER: lambda: Conflict("The entries hold a second running timer for one user.")
        }
        self._session.copy(_ENTRY_COPY, map(encode_entry, in_date_order), kind="time entry", unique=running)

    def get(self, org_id: OrgId, entry_id: TimeEntryId, *, include_deleted: bool = False) -> TimeEntry | None:
        """The entry of ``org_id``, or ``None``; soft-deleted ones only with ``include_deleted``."""
        deleted = "" if include_deleted else " AND deleted_at IS NULL"
        row = self._session.row(f"{_ENTRY_SELECT} WHERE id = %s AND org_id = %s{deleted}", (entry_id, org_id))
        return None if row is None else decode_entry(row)

    def update(self, entry: TimeEntry, *, expected_updated_at: datetime) -> None:
        """Replace a stored entry if its ``updated_at`` is still ``expected_updated_at``.

        Otherwise (another writer changed it, or the organization has no such entry) raise
        :class:`~hours_core.errors.StaleUpdate`; the check and the write are one statement. A
        concurrent writer of the same row makes this one wait for its end (READ COMMITTED), then
        the condition is checked against the row it committed.
        """
        id_, org_id, *rest = encode_entry(entry)
        changed = self._session.write(
            _ENTRY_UPDATE,
            (*rest, id_, org_id, expected_updated_at),
            kind="time entry",
            unique=self._one_timer(entry),
        )
        if not changed:
            raise StaleUpdate()

    def list(self, org_id: OrgId, query: EntryQuery) -> Sequence[TimeEntry]:
        """At most ``query.limit`` entries matching ``query``, in its order (see :func:`entry_list_sql`)."""
        sql, params = entry_list_sql(org_id, query)
        return [decode_entry(row) for row in self._session.rows(sql, params)]

    def running_for_user(self, org_id: OrgId, user_id: UserId) -> TimeEntry | None:
        """The user's running timer that is not deleted, or ``None``."""
        row = self._session.row(
            f"{_ENTRY_SELECT} WHERE org_id = %s AND user_id = %s"
            f" AND {_RUNNING} AND deleted_at IS NULL ORDER BY created_at, id LIMIT 1",
            (org_id, user_id),
        )
        return None if row is None else decode_entry(row)

    def _one_timer(self, entry: TimeEntry) -> Mapping[str, ErrorFactory]:
        def already_running() -> Exception:
            running = self.running_for_user(entry.org_id, entry.user_id)
            if running is None:  # the other timer stopped meanwhile
                return Conflict("Another timer of this user was running; retry.")
            return TimerAlreadyRunning(str(running.id))

        return {_ONE_RUNNING_TIMER: already_running}


# API tokens.

_TOKEN_SELECT = _select(_columns(TOKEN_COLUMNS), "api_tokens")
_TOKEN_INSERT = _insert("api_tokens", TOKEN_COLUMNS)
_CREDENTIALS_SELECT = _select(
    f"{_columns(TOKEN_COLUMNS, 't')}, {_columns(USER_COLUMNS, 'u')}, {_columns(ORG_COLUMNS, 'o')}",
    "api_tokens AS t"
    " JOIN users AS u ON u.id = t.user_id AND u.org_id = t.org_id"
    " JOIN orgs AS o ON o.id = t.org_id"
    " WHERE t.prefix = %s",
)
_TOKEN_END = len(TOKEN_COLUMNS)
_USER_END = _TOKEN_END + len(USER_COLUMNS)


class PostgresTokenRepository(_Repository):
    """Tokens in PostgreSQL, keyed by their public prefix; only the secret's hash is stored."""

    def add(self, token: ApiToken) -> None:
        """Store a new token; raise ``Conflict`` if its prefix is taken."""
        self._session.write(
            _TOKEN_INSERT,
            encode_token(token),
            kind="token",
            unique={"api_tokens_pkey": lambda: Conflict("A token with this prefix already exists.")},
        )

    def find_credentials(self, prefix: str) -> Credentials | None:
        """The token with ``prefix`` with its user and org, in one query (not tenant-scoped)."""
        row = self._session.row(_CREDENTIALS_SELECT, (prefix,))
        if row is None:
            return None
        return Credentials(
            token=decode_token(row[:_TOKEN_END]),
            user=decode_user(row[_TOKEN_END:_USER_END]),
            org=decode_org(row[_USER_END:]),
        )

    def get(self, org_id: OrgId, prefix: str) -> ApiToken | None:
        """The organization's token with ``prefix``, or ``None``."""
        row = self._session.row(f"{_TOKEN_SELECT} WHERE prefix = %s AND org_id = %s", (prefix, org_id))
        return None if row is None else decode_token(row)

    def list_for_user(self, org_id: OrgId, user_id: UserId) -> Sequence[ApiToken]:
        """The user's tokens, newest first."""
        rows = self._session.rows(
            f"{_TOKEN_SELECT} WHERE org_id = %s AND user_id = %s ORDER BY created_at DESC, id DESC",
            (org_id, user_id),
        )
        return [decode_token(row) for row in rows]

    def record_use(self, org_id: OrgId, prefix: str, at: datetime) -> None:
        """Set the token's ``last_used_at`` to ``at``, touching nothing else."""
        self._session.write(
            "UPDATE api_tokens SET last_used_at = %s WHERE prefix = %s AND org_id = %s",
            (at, prefix, org_id),
            kind="token",
        )

    def revoke(self, org_id: OrgId, prefix: str, at: datetime) -> None:
        """Set the token's ``revoked_at`` to ``at`` unless it is already revoked."""
        self._session.write(
            "UPDATE api_tokens SET revoked_at = %s WHERE prefix = %s AND org_id = %s AND revoked_at IS NULL",
            (at, prefix, org_id),
            kind="token",
        )


# Idempotency records.

_IDEMPOTENCY_SELECT = _select(_columns(IDEMPOTENCY_COLUMNS), "idempotency_records")
_IDEMPOTENCY_KEY = "(org_id, user_id, key)"
_IDEMPOTENCY_CLAIM = (
    f"{_insert('idempotency_records', IDEMPOTENCY_COLUMNS)} ON CONFLICT {_IDEMPOTENCY_KEY} DO NOTHING"
)
_IDEMPOTENCY_REPLACE = (
    f"{_insert('idempotency_records', IDEMPOTENCY_COLUMNS)} ON CONFLICT {_IDEMPOTENCY_KEY} DO UPDATE SET "
    + ", ".join(f"{column} = excluded.{column}" for column in IDEMPOTENCY_COLUMNS[3:])
)
_CLAIM_ATTEMPTS = 3


class PostgresIdempotencyRepository(_Repository):
    """Idempotency records in PostgreSQL, keyed by (organization, user, key).

    Across processes, the primary key decides: of two transactions inserting one key, the
    second waits on the index entry until the first ends (at most the lock timeout), then
    either inserts (the first rolled back) or does nothing and reads the record the first
    committed (a new statement sees it under READ COMMITTED).
    """

    def get(self, org_id: OrgId, user_id: UserId, key: str) -> IdempotencyRecord | None:
        """The committed record of the key (or this transaction's own), or ``None``."""
        row = self._session.row(
            f"{_IDEMPOTENCY_SELECT} WHERE org_id = %s AND user_id = %s AND key = %s",
            (org_id, user_id, key),
        )
        return None if row is None else decode_idempotency(row)

    def claim(self, record: IdempotencyRecord) -> IdempotencyRecord | None:
        """Insert ``record`` unless its key exists (one ``INSERT ... ON CONFLICT DO NOTHING``).

        Return ``None`` if it was inserted, else the existing record. A wait for a concurrent,
        uncommitted claim that runs out of the lock timeout raises
        :class:`~hours_core.errors.IdempotencyRequestInProgress`.
        """
        params = encode_idempotency(record)
        for _attempt in range(_CLAIM_ATTEMPTS):
            inserted = self._session.write(
                _IDEMPOTENCY_CLAIM,
                params,
                kind="idempotency record",
                lock_timeout=IdempotencyRequestInProgress,
            )
            if inserted:
                return None
            existing = self.get(record.org_id, record.user_id, record.key)
            if existing is not None:
                return existing
            # The record that blocked the insert was purged before the read: claim again.
        raise IdempotencyRequestInProgress()

    def replace(self, record: IdempotencyRecord) -> None:
        """Overwrite (or insert) the record of ``record``'s key."""
        self._session.write(_IDEMPOTENCY_REPLACE, encode_idempotency(record), kind="idempotency record")

    def purge_completed_before(self, cutoff: datetime) -> int:
        """Delete records completed before ``cutoff``; return how many went."""
        return self._session.write(
            "DELETE FROM idempotency_records WHERE completed_at IS NOT NULL AND completed_at < %s",
            (cutoff,),
            kind="idempotency record",
        )
