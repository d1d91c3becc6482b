"""The repositories: every port of :mod:`hours_core.ports` as SQL over one :class:`SqliteSession`.

Every tenant-scoped statement filters on ``org_id`` (the ``locate`` methods and
:meth:`SqliteTokenRepository.find_credentials` are the documented exceptions). SQL errors never
leave this module as such: a constraint violation becomes :class:`~hours_core.errors.Conflict`
with a message for a person, and SQLITE_BUSY becomes the "database is busy" ``Conflict``. Other
``sqlite3`` errors (a full disk, a corrupt file) are failures of the infrastructure, not of the
request, and propagate unchanged.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from operator import attrgetter
from typing import Any

from sqlite_utils import Database

from hours_core.errors import Conflict, StaleUpdate
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
from hours_sqlite.codecs import (
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
    encode_date,
    encode_entry,
    encode_idempotency,
    encode_instant,
    encode_org,
    encode_project,
    encode_task,
    encode_token,
    encode_user,
)
from hours_sqlite.connection import WriterGate, busy, is_busy, open_transaction

__all__ = [
    "SqliteIdempotencyRepository",
    "SqliteOrgRepository",
    "SqliteProjectRepository",
    "SqliteSession",
    "SqliteTaskRepository",
    "SqliteTimeEntryRepository",
    "SqliteTokenRepository",
    "SqliteUserRepository",
    "entry_list_sql",
]

Params = Sequence[Any]


class SqliteSession:
    """One unit of work's connection and transaction, shared by its repositories.

    A writable session takes the store's writer (waiting at most the busy timeout) and runs in a
    savepoint of the writer's group transaction (see :mod:`hours_sqlite.connection`): its
    :meth:`commit` returns once the group's ``COMMIT`` is durable. A read-only one runs ``BEGIN``
    and reads once, so that its snapshot is fixed from the start. After :meth:`commit` the next
    statement begins a new transaction.
    """

    def __init__(self, db: Database, *, writable: bool, gate: WriterGate | None = None) -> None:
        if writable and gate is None:
            raise ValueError("a writable session needs the store's writer gate")
        self.db = db
        self.writable = writable
        self._gate = gate
        self._holding = False
        self._active = False
        self._closed = False

    def begin(self) -> None:
        """Begin a transaction; raise the busy error if the write lock stays taken."""
        if self.writable:
            self._begin_write()
            return
        # The first read fixes the snapshot now, not at the first query of the unit of work.
        open_transaction(self.db.conn, "BEGIN", "SELECT 1 FROM sqlite_schema LIMIT 1")
        self._active = True

    def _begin_write(self) -> None:
        gate = self._gate
        assert gate is not None
        if not self._holding:
            gate.acquire()
            self._holding = True
        try:
            gate.begin()
        except BaseException:
            self._holding = False
            gate.leave()
            raise
        self._active = True

    def commit(self) -> None:
        """Commit the open transaction, if any (a write: once its group's ``COMMIT`` is durable)."""
        if not self._active:
            return
        self._check_alive()
        if self.writable:
            assert self._gate is not None
            self._gate.end(keep=True)
            self._active = False
            self._end_turn()
            return
        try:
            self.db.conn.execute("COMMIT")
        except sqlite3.OperationalError as error:
            if is_busy(error):
                raise busy() from error
            raise
        self._active = False

    def rollback(self) -> None:
        """Roll back the open transaction, if any (a write: its savepoint only)."""
        active, self._active = self._active, False
        if not self.writable:
            if self.db.conn.in_transaction:
                self.db.conn.execute("ROLLBACK")
            return
        if not self._holding:
            return
        assert self._gate is not None
        try:
            if active:
                self._gate.end(keep=False)
        finally:
            # It may have read changes of the group that are not durable yet: it waits for them
            # too, so that nothing it answers rests on a write that is then lost. Its own error
            # is what it reports, not the group's.
            self._end_turn(report_group_error=False)

    def _end_turn(self, *, report_group_error: bool = True) -> None:
        assert self._gate is not None
        self._holding = False
        group = self._gate.leave()
        if group is None or not group.members:
            return
        try:
            self._gate.wait_for(group)
        except Exception:
            if report_group_error:
                raise

    def close(self) -> None:
        """Forbid further use: the connection goes back to its pool (or to the next writer)."""
        self._closed = True
        self._active = False

    def _check_alive(self) -> None:
        if self._closed:
            raise RuntimeError("this unit of work has ended; open a new one")
        if self._active and not self.db.conn.in_transaction:
            # SQLite rolled the transaction back itself (after an I/O error, for example): going
            # on would run the rest of the block in autocommit mode.
            self._active = False
            raise RuntimeError("SQLite rolled this unit of work back after an error; it cannot continue")

    def _ensure_transaction(self) -> None:
        self._check_alive()
        if not self._active:
            self.begin()

    def rows(self, sql: str, params: Params = ()) -> list[Any]:
        """Every row of a query, as tuples."""
        self._ensure_transaction()
        try:
            # The connection's own execute: a transaction is always open here, so sqlite-utils'
            # wrapper (which commits implicit transactions) would only add work to every statement.
            return self.db.conn.execute(sql, params).fetchall()
        except sqlite3.OperationalError as error:
            if is_busy(error):
                raise busy() from error
            raise

    def row(self, sql: str, params: Params = ()) -> Any | None:
        """The first row of a query, or ``None``."""
        rows = self.rows(sql, params)
        return rows[0] if rows else None

    def write(self, sql: str, params: Params, *, kind: str, unique: Mapping[str, str] | None = None) -> int:
        """Run one write; return how many rows it changed.

        ``kind`` names the entity in conflict messages; ``unique`` maps a column to the message
        for a duplicate in it (e.g. ``{"email": "A user with the email ... already exists"}``).
        """
        return self._write(sql, params, kind=kind, unique=unique, many=False)

    def write_many(
        self, sql: str, rows: Iterable[Params], *, kind: str, unique: Mapping[str, str] | None = None
    ) -> int:
        """Run one write for each of ``rows`` (``executemany``), all or none; return how many rows changed."""
        return self._write(sql, rows, kind=kind, unique=unique, many=True)

    def _write(
        self, sql: str, params: Any, *, kind: str, unique: Mapping[str, str] | None, many: bool
    ) -> int:
        if not self.writable:
            raise RuntimeError("this unit of work is read-only")
        self._ensure_transaction()
        try:
            if many:
                with self.db.atomic():  # a savepoint: one failing row undoes the whole batch
                    cursor = self.db.conn.executemany(sql, params)
            else:
                cursor = self.db.conn.execute(sql, params)
        except sqlite3.IntegrityError as error:
            raise _conflict(error, kind, unique or {}) from error
        except sqlite3.OperationalError as error:
            if is_busy(error):
                raise busy() from error
            raise
        return cursor.rowcount


def _conflict(error: sqlite3.IntegrityError, kind: str, unique: Mapping[str, str]) -> Conflict:
    name = getattr(error, "sqlite_errorname", "")
    text = str(error)
    if name == "SQLITE_CONSTRAINT_FOREIGNKEY":
        return Conflict(
            f"The {kind} refers to an organization, user, project or task that does not exist "
            "in its organization."
        )
    if name in ("SQLITE_CONSTRAINT_UNIQUE", "SQLITE_CONSTRAINT_PRIMARYKEY"):
        failed = {column.strip().rpartition(".")[2] for column in text.partition(":")[2].split(",")}
        for column, message in unique.items():
            if column in failed:
                return Conflict(message)
        return Conflict(f"The {kind} already exists.")
    return Conflict(f"The {kind} breaks a rule of the database.")  # the cause (chained) names the rule


# The SQL below is assembled from the column tuples of the codecs (so that the two cannot drift
# apart) and from constant fragments of this module; every value is a bound parameter.


def _columns(columns: Sequence[str], table: str | None = None) -> str:
    if table is None:
        return ", ".join(columns)
    return ", ".join(f"{table}.{column}" for column in columns)


def _select(columns: str, source: str) -> str:
    return f"SELECT {columns} FROM {source}"  # noqa: S608 - constant identifiers only


def _insert(table: str, columns: Sequence[str]) -> str:
    return f"INSERT INTO {table} ({_columns(columns)}) VALUES ({', '.join('?' * len(columns))})"  # noqa: S608


def _update(table: str, columns: Sequence[str], where: str) -> str:
    assignments = ", ".join(f"{column} = ?" for column in columns)
    return f"UPDATE {table} SET {assignments} WHERE {where}"  # noqa: S608 - constant identifiers only


class _Repository:
    def __init__(self, session: SqliteSession) -> None:
        self._session = session


# Organizations, users, projects, tasks.

_ORG_SELECT = _select(_columns(ORG_COLUMNS), "orgs")
_ORG_INSERT = _insert("orgs", ORG_COLUMNS)
_ORG_UPDATE = _update("orgs", ORG_COLUMNS[1:], "id = ?")


class SqliteOrgRepository(_Repository):
    """Organizations in SQLite."""

    def add(self, org: Org) -> None:
        """Store a new organization."""
        self._session.write(_ORG_INSERT, encode_org(org), kind="organization")

    def get(self, org_id: OrgId) -> Org | None:
        """The organization, or ``None``."""
        row = self._session.row(f"{_ORG_SELECT} WHERE id = ?", (str(org_id),))
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


class SqliteUserRepository(_Repository):
    """Users in SQLite; the email is unique per organization, ignoring ASCII case."""

    def add(self, user: User) -> None:
        """Store a new user; raise ``Conflict`` if the email is taken in the organization."""
        taken = f"A user with the email {user.email} already exists in this organization."
        self._session.write(_USER_INSERT, encode_user(user), kind="user", unique={"email": taken})

    def get(self, org_id: OrgId, user_id: UserId) -> User | None:
        """The user of ``org_id``, or ``None``."""
        row = self._session.row(f"{_USER_SELECT} WHERE id = ? AND org_id = ?", (str(user_id), str(org_id)))
        return None if row is None else decode_user(row)

    def list(self, org_id: OrgId) -> Sequence[User]:
        """The organization's users, oldest first."""
        rows = self._session.rows(f"{_USER_SELECT} WHERE org_id = ? ORDER BY created_at, id", (str(org_id),))
        return [decode_user(row) for row in rows]

    def locate(self, user_id: UserId) -> User | None:
        """The user with ``user_id`` in any organization (operator tooling only)."""
        row = self._session.row(f"{_USER_SELECT} WHERE id = ?", (str(user_id),))
        return None if row is None else decode_user(row)


_PROJECT_SELECT = _select(_columns(PROJECT_COLUMNS), "projects")
_PROJECT_INSERT = _insert("projects", PROJECT_COLUMNS)
_PROJECT_UPDATE = _update("projects", PROJECT_COLUMNS[2:], "id = ? AND org_id = ?")


class SqliteProjectRepository(_Repository):
    """Projects in SQLite."""

    def add(self, project: Project) -> None:
        """Store a new project."""
        self._session.write(_PROJECT_INSERT, encode_project(project), kind="project")

    def get(self, org_id: OrgId, project_id: ProjectId) -> Project | None:
        """The project of ``org_id``, or ``None``."""
        row = self._session.row(
            f"{_PROJECT_SELECT} WHERE id = ? AND org_id = ?", (str(project_id), str(org_id))
        )
        return None if row is None else decode_project(row)

    def list(self, org_id: OrgId, *, include_archived: bool = True) -> Sequence[Project]:
        """The organization's projects, oldest first."""
        archived = "" if include_archived else " AND archived = 0"
        rows = self._session.rows(
            f"{_PROJECT_SELECT} WHERE org_id = ?{archived} ORDER BY created_at, id", (str(org_id),)
        )
        return [decode_project(row) for row in rows]

    def locate(self, project_id: ProjectId) -> Project | None:
        """The project with ``project_id`` in any organization (operator tooling only)."""
        row = self._session.row(f"{_PROJECT_SELECT} WHERE id = ?", (str(project_id),))
        return None if row is None else decode_project(row)

    def count_active(self, org_id: OrgId) -> int:
        """How many projects of the organization are not archived."""
        row = self._session.row(
            "SELECT count(*) FROM projects WHERE org_id = ? AND archived = 0", (str(org_id),)
        )
        return int(row[0]) if row is not None else 0

    def update(self, project: Project) -> None:
        """Replace a stored project (nothing happens if the organization has no such project)."""
        id_, org_id, *rest = encode_project(project)
        self._session.write(_PROJECT_UPDATE, (*rest, id_, org_id), kind="project")


_TASK_SELECT = _select(_columns(TASK_COLUMNS), "tasks")
_TASK_INSERT = _insert("tasks", TASK_COLUMNS)
_TASK_UPDATE = _update("tasks", TASK_COLUMNS[2:], "id = ? AND org_id = ?")


class SqliteTaskRepository(_Repository):
    """Tasks in SQLite."""

    def add(self, task: Task) -> None:
        """Store a new task (its project must be of the same organization)."""
        self._session.write(_TASK_INSERT, encode_task(task), kind="task")

    def get(self, org_id: OrgId, task_id: TaskId) -> Task | None:
        """The task of ``org_id``, or ``None``."""
        row = self._session.row(f"{_TASK_SELECT} WHERE id = ? AND org_id = ?", (str(task_id), str(org_id)))
        return None if row is None else decode_task(row)

    def list_for_project(self, org_id: OrgId, project_id: ProjectId) -> Sequence[Task]:
        """The project's tasks, oldest first."""
        rows = self._session.rows(
            f"{_TASK_SELECT} WHERE org_id = ? AND project_id = ? ORDER BY created_at, id",
            (str(org_id), str(project_id)),
        )
        return [decode_task(row) for row in rows]

    def update(self, task: Task) -> None:
        """Replace a stored task (nothing happens if the organization has no such task)."""
        id_, org_id, *rest = encode_task(task)
        self._session.write(_TASK_UPDATE, (*rest, id_, org_id), kind="task")


# Time entries.

_ENTRY_SELECT = _select(_columns(ENTRY_COLUMNS), "time_entries")
_ENTRY_INSERT = _insert("time_entries", ENTRY_COLUMNS)
_ENTRY_UPDATE = _update("time_entries", ENTRY_COLUMNS[2:], "id = ? AND org_id = ? AND updated_at = ?")
_RUNNING = "started_at IS NOT NULL AND stopped_at IS NULL"
_BY_DATE = attrgetter("entry_date", "created_at")


def entry_list_sql(org_id: OrgId, query: EntryQuery) -> tuple[str, list[Any]]:
    """The SQL and parameters of :meth:`SqliteTimeEntryRepository.list` (public for query-plan tests).

    Pages are keyset pages: the cursor is a row-value comparison on the index order
    ``(entry_date, created_at, id)``, never an OFFSET, so a deep page costs what the first does.
    """
    where = ["org_id = ?"]
    params: list[Any] = [str(org_id)]

    def condition(sql: str, *values: Any) -> None:
        where.append(sql)
        params.extend(values)

    if query.user_id is not None:
        condition("user_id = ?", str(query.user_id))
    if query.project_id is not None:
        condition("project_id = ?", str(query.project_id))
    if query.task_id is not None:
        condition("task_id = ?", str(query.task_id))
    after = query.after
    # The cursor bounds the date on the side it moves from; drop the looser bound so that the
    # planner takes the cursor as the start of its index range.
    if query.date_from is not None and not (
        after is not None and not query.descending and after.entry_date >= query.date_from
    ):
        condition("entry_date >= ?", encode_date(query.date_from))
    if query.date_to is not None and not (
        after is not None and query.descending and after.entry_date <= query.date_to
    ):
        condition("entry_date <= ?", encode_date(query.date_to))
    if query.billable is not None:
        condition("billable = ?", 1 if query.billable else 0)
    if query.invoiced is not None:
        condition("invoice_id IS NOT NULL" if query.invoiced else "invoice_id IS NULL")
    if query.running is not None:
        condition(f"({_RUNNING})" if query.running else f"NOT ({_RUNNING})")
    if query.updated_since is not None:
        condition("updated_at >= ?", encode_instant(query.updated_since))
    elif not query.include_deleted:
        condition("deleted_at IS NULL")
    if after is not None:
        condition(
            f"(entry_date, created_at, id) {'<' if query.descending else '>'} (?, ?, ?)",
            encode_date(after.entry_date),
            encode_instant(after.created_at),
            str(after.id),
        )
    direction = " DESC" if query.descending else ""
    order = ", ".join(f"{column}{direction}" for column in ("entry_date", "created_at", "id"))
    params.append(max(query.limit, 0))
    return f"{_ENTRY_SELECT} WHERE {' AND '.join(where)} ORDER BY {order} LIMIT ?", params


class SqliteTimeEntryRepository(_Repository):
    """Time entries in SQLite."""

    def add(self, entry: TimeEntry) -> None:
        """Store a new entry."""
        self._session.write(_ENTRY_INSERT, encode_entry(entry), kind="time entry")

    def add_many(self, entries: Sequence[TimeEntry]) -> None:
        """Store many new entries in this transaction with one ``executemany``.

        Rows go in date order, whatever the order of ``entries``: the list indexes lead with the
        date, so each index then grows at a few places instead of all over (the order of the
        rows is not observable; lists are ordered by their keys).
        """
        in_date_order = sorted(entries, key=_BY_DATE)
        self._session.write_many(_ENTRY_INSERT, map(encode_entry, in_date_order), kind="time entry")

    def get(self, org_id: OrgId, entry_id: TimeEntryId, *, include_deleted: bool = False) -> TimeEntry | None:
        """The entry of ``org_id``, or ``None``; soft-deleted ones only with ``include_deleted``."""
        deleted = "" if include_deleted else " AND deleted_at IS NULL"
        row = self._session.row(
            f"{_ENTRY_SELECT} WHERE id = ? AND org_id = ?{deleted}", (str(entry_id), str(org_id))
        )
        return None if row is None else decode_entry(row)

    def update(self, entry: TimeEntry, *, expected_updated_at: datetime) -> None:
        """Replace a stored entry if its ``updated_at`` is still ``expected_updated_at``.

        Otherwise (another writer changed it, or the organization has no such entry) raise
        :class:`~hours_core.errors.StaleUpdate`; the check and the write are one statement.
        """
        id_, org_id, *rest = encode_entry(entry)
        changed = self._session.write(
            _ENTRY_UPDATE, (*rest, id_, org_id, encode_instant(expected_updated_at)), kind="time entry"
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
            f"{_ENTRY_SELECT} WHERE org_id = ? AND user_id = ?"
            " AND stopped_at IS NULL AND started_at IS NOT NULL AND deleted_at IS NULL"
            " ORDER BY created_at, id LIMIT 1",
            (str(org_id), str(user_id)),
        )
        return None if row is None else decode_entry(row)


# API tokens.

_TOKEN_SELECT = _select(_columns(TOKEN_COLUMNS), "api_tokens")
_TOKEN_INSERT = _insert("api_tokens", TOKEN_COLUMNS)
_CREDENTIALS_SELECT = _select(
    f"{_columns(TOKEN_COLUMNS, 't')}, {_columns(USER_COLUMNS, 'u')}, {_columns(ORG_COLUMNS, 'o')}",
    "api_tokens AS t"
    " JOIN users AS u ON u.id = t.user_id AND u.org_id = t.org_id"
    " JOIN orgs AS o ON o.id = t.org_id"
    " WHERE t.prefix = ?",
)
_TOKEN_END = len(TOKEN_COLUMNS)
_USER_END = _TOKEN_END + len(USER_COLUMNS)


class SqliteTokenRepository(_Repository):
    """Tokens in SQLite, keyed by their public prefix; only the secret's hash is stored."""

    def add(self, token: ApiToken) -> None:
        """Store a new token; raise ``Conflict`` if its prefix is taken."""
        self._session.write(
            _TOKEN_INSERT,
            encode_token(token),
            kind="token",
            unique={"prefix": "A token with this prefix already exists."},
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
        row = self._session.row(f"{_TOKEN_SELECT} WHERE prefix = ? AND org_id = ?", (prefix, str(org_id)))
        return None if row is None else decode_token(row)

    def list_for_user(self, org_id: OrgId, user_id: UserId) -> Sequence[ApiToken]:
        """The user's tokens, newest first."""
        rows = self._session.rows(
            f"{_TOKEN_SELECT} WHERE org_id = ? AND user_id = ? ORDER BY created_at DESC, id DESC",
            (str(org_id), str(user_id)),
        )
        return [decode_token(row) for row in rows]

    def record_use(self, org_id: OrgId, prefix: str, at: datetime) -> None:
        """Set the token's ``last_used_at`` to ``at``, touching nothing else."""
        self._session.write(
            "UPDATE api_tokens SET last_used_at = ? WHERE prefix = ? AND org_id = ?",
            (encode_instant(at), prefix, str(org_id)),
            kind="token",
        )

    def revoke(self, org_id: OrgId, prefix: str, at: datetime) -> None:
        """Set the token's ``revoked_at`` to ``at`` unless it is already revoked."""
        self._session.write(
            "UPDATE api_tokens SET revoked_at = ? WHERE prefix = ? AND org_id = ? AND revoked_at IS NULL",
            (encode_instant(at), prefix, str(org_id)),
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


class SqliteIdempotencyRepository(_Repository):
    """Idempotency records in SQLite, keyed by (organization, user, key).

    A claim cannot meet another process's uncommitted claim: write units of work start with
    ``BEGIN IMMEDIATE``, so a concurrent one waits before it starts (at most the busy timeout,
    then the busy ``Conflict``) and its claim then sees the committed record.
    """

    def get(self, org_id: OrgId, user_id: UserId, key: str) -> IdempotencyRecord | None:
        """The committed record of the key, or ``None``."""
        row = self._session.row(
            f"{_IDEMPOTENCY_SELECT} WHERE org_id = ? AND user_id = ? AND key = ?",
            (str(org_id), str(user_id), key),
        )
        return None if row is None else decode_idempotency(row)

    def claim(self, record: IdempotencyRecord) -> IdempotencyRecord | None:
        """Insert ``record`` unless its key exists (one ``INSERT ... ON CONFLICT DO NOTHING``).

        Return ``None`` if it was inserted, else the existing record.
        """
        inserted = self._session.write(
            _IDEMPOTENCY_CLAIM, encode_idempotency(record), kind="idempotency record"
        )
        if inserted:
            return None
        existing = self.get(record.org_id, record.user_id, record.key)
        if existing is None:  # pragma: no cover - the conflicting row is in this very transaction
            raise RuntimeError("the idempotency claim conflicted with a row that is not there")
        return existing

    def replace(self, record: IdempotencyRecord) -> None:
        """Overwrite (or insert) the record of ``record``'s key."""
        self._session.write(_IDEMPOTENCY_REPLACE, encode_idempotency(record), kind="idempotency record")

    def purge_completed_before(self, cutoff: datetime) -> int:
        """Delete records completed before ``cutoff``; return how many went."""
        return self._session.write(
            "DELETE FROM idempotency_records WHERE completed_at IS NOT NULL AND completed_at < ?",
            (encode_instant(cutoff),),
            kind="idempotency record",
        )
