"""The SQLite session: one unit of work's connection and transaction (see :mod:`hours_sql.session`).

A writable session takes the store's writer (waiting at most the busy timeout) and runs in a
savepoint of the writer's group transaction (see :mod:`hours_sqlite.connection`): its
:meth:`SqliteSession.commit` returns once the group's ``COMMIT`` is durable. A read-only one runs
``BEGIN`` and reads once, so that its snapshot is fixed from the start.

Errors. A constraint violation becomes :class:`~hours_sql.session.Refused` (SQLite undoes the
failed statement by itself; a failed bulk insert is undone by its savepoint); SQLITE_BUSY becomes
the core's :class:`~hours_core.errors.StoreBusy`, and SQLITE_FULL (no room on the disk: the write
is rolled back) its :class:`~hours_core.errors.StoreFull`: both answer the client that nothing was
stored and a retry can go through. Other ``sqlite3`` errors (a corrupt file, a bug) are failures of
the infrastructure, not of the request, and propagate unchanged.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from contextlib import AbstractContextManager
from typing import Any

from sqlite_utils import Database

from hours_core.errors import StoreBusy, StoreFull
from hours_sql import (
    UNIQUE_CONSTRAINTS,
    Params,
    Reason,
    Refused,
    SessionState,
    Table,
    savepoint,
    statements_for,
)
from hours_sqlite.connection import WriterGate, open_transaction, store_error
from hours_sqlite.dialect import SQLITE

__all__ = ["SqliteSession", "refusal"]

_UNIQUE_BY_COLUMNS = {(unique.table, unique.columns): unique.name for unique in UNIQUE_CONSTRAINTS}


def _unique_constraint(message: str) -> str | None:
    """The name of the constraint a UNIQUE error names, from its message.

    SQLite names the columns ("UNIQUE constraint failed: users.org_id, users.email") or, for an
    index on an expression, the index ("... failed: index 'name'"); the shared names are found
    by table and columns.
    """
    detail = message.partition(":")[2].strip()
    if detail.startswith("index "):
        return detail.removeprefix("index ").strip("'\"")
    columns = [part.strip().partition(".") for part in detail.split(",")]
    tables = {table for table, _dot, _column in columns}
    if len(tables) != 1:
        return None
    return _UNIQUE_BY_COLUMNS.get((tables.pop(), tuple(column for _t, _d, column in columns)))


def refusal(error: sqlite3.IntegrityError) -> Refused:
    """What SQLite refused, in the shared terms."""
    name = getattr(error, "sqlite_errorname", "")
    if name == "SQLITE_CONSTRAINT_FOREIGNKEY" or (
        name == "SQLITE_CONSTRAINT_TRIGGER" and str(error) == "FOREIGN KEY constraint failed"
    ):  # the triggers that stand for a composite foreign key SQLite could not add (migration 0007)
        return Refused(Reason.FOREIGN_KEY)
    if name in ("SQLITE_CONSTRAINT_UNIQUE", "SQLITE_CONSTRAINT_PRIMARYKEY"):
        return Refused(Reason.UNIQUE, _unique_constraint(str(error)))
    return Refused(Reason.RULE)


class SqliteSession(SessionState):
    """One unit of work's SQLite connection and transaction, shared by its repositories."""

    def __init__(self, db: Database, *, writable: bool, gate: WriterGate | None = None) -> None:
        if writable and gate is None:
            raise ValueError("a writable session needs the store's writer gate")
        super().__init__(writable=writable)
        self.db = db
        self._gate = gate
        self._holding = False

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
            raise self._store_error_or_raise(error) from error
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

    def _store_error_or_raise(self, error: sqlite3.OperationalError) -> StoreBusy | StoreFull:
        """The core's error for ``error`` (:func:`~hours_sqlite.connection.store_error`), or
        ``error`` raised as it is. SQLite rolls the whole transaction back after some errors (a
        full disk among them): the group's other writers are then told why (``rolled_back_by``)."""
        answered = store_error(error)
        if answered is None:
            raise error
        if self._gate is not None and not self.db.conn.in_transaction:
            self._gate.rolled_back_by(answered)
        return answered

    def _end_turn(self, *, report_group_error: bool = True) -> None:
        assert self._gate is not None
        self._holding = False
        group = self._gate.leave()
        if group is None or not group.members or self._gate.defers(group):
            return
        try:
            self._gate.wait_for(group)
        except Exception:
            if report_group_error:
                raise

    def _check_alive(self) -> None:
        super()._check_alive()
        if self._active and not self.db.conn.in_transaction:
            # SQLite rolled the transaction back itself (after an I/O error, for example): going
            # on would run the rest of the block in autocommit mode.
            self._active = False
            raise RuntimeError("SQLite rolled this unit of work back after an error; it cannot continue")

    def savepoint(self) -> AbstractContextManager[None]:
        """A savepoint inside the unit of work's own (see :func:`hours_sql.savepoint`)."""
        self._ensure_writable()
        return savepoint(self._control, open_=lambda: self.db.conn.in_transaction)

    def _control(self, sql: str) -> None:
        try:
            self.db.conn.execute(sql)
        except sqlite3.OperationalError as error:
            raise self._store_error_or_raise(error) from error

    def rows(self, sql: str, params: Params = ()) -> list[Any]:
        """Every row of a query, as tuples."""
        self._ensure_transaction()
        try:
            # The connection's own execute: a transaction is always open here, so sqlite-utils'
            # wrapper (which commits implicit transactions) would only add work to every statement.
            return self.db.conn.execute(sql, params).fetchall()
        except sqlite3.OperationalError as error:
            raise self._store_error_or_raise(error) from error

    def rows_after(self, statement: str, params: Params, query: str, query_params: Params) -> list[Any]:
        """``statement``, then ``query``: the query's rows (one writer at a time: nothing to wait for)."""
        self.rows(statement, params)
        return self.rows(query, query_params)

    def write(self, sql: str, params: Params) -> int:
        """Run one write; return how many rows it changed (SQLite undoes a failed statement)."""
        self._ensure_writable()
        try:
            return self.db.conn.execute(sql, params).rowcount
        except sqlite3.IntegrityError as error:
            raise refusal(error) from error
        except sqlite3.OperationalError as error:
            raise self._store_error_or_raise(error) from error

    def write_or_read(
        self, sql: str, params: Params, query: str, query_params: Params
    ) -> tuple[int, list[Any]]:
        """:meth:`write`, then ``query``'s rows if it changed no row (see :class:`hours_sql.Session`)."""
        changed = self.write(sql, params)
        return changed, [] if changed else self.rows(query, query_params)

    def execute_all(self, statements: Sequence[tuple[str, Params]]) -> None:
        """Run writes that no client input can make fail, in order."""
        self._ensure_writable()
        try:
            for sql, params in statements:
                self.db.conn.execute(sql, params)
        except sqlite3.IntegrityError as error:
            raise refusal(error) from error
        except sqlite3.OperationalError as error:
            raise self._store_error_or_raise(error) from error

    def insert_many(self, table: Table, rows: Iterable[Params]) -> int:
        """Insert ``rows`` with one ``executemany`` in a savepoint, all or none; return how many."""
        return self._execute_many(statements_for(SQLITE).of(table).insert, rows)

    def insert_rows(self, table: str, columns: Sequence[str], rows: Iterable[Params]) -> int:
        """Insert ``rows`` into ``columns`` of ``table`` as :meth:`insert_many` does."""
        marks = ", ".join("?" * len(columns))
        return self._execute_many(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows)  # noqa: S608

    def _execute_many(self, insert: str, rows: Iterable[Params]) -> int:
        self._ensure_writable()
        try:
            with self.db.atomic():  # a savepoint: one failing row undoes the whole batch
                return self.db.conn.executemany(insert, rows).rowcount
        except sqlite3.IntegrityError as error:
            raise refusal(error) from error
        except sqlite3.OperationalError as error:
            raise self._store_error_or_raise(error) from error
