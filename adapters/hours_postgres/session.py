"""The PostgreSQL session: one unit of work's connection and transaction (see :mod:`hours_sql.session`).

A writable session runs ``BEGIN ISOLATION LEVEL READ COMMITTED`` and bounds every lock wait with
``SET LOCAL lock_timeout``; each write runs inside a savepoint, so that a write that fails (a
duplicate email, a second running timer) is undone alone and the unit of work can go on, as it
can on the other stores. A read-only session runs ``BEGIN ISOLATION LEVEL REPEATABLE READ READ
ONLY`` and reads once, so that every read of the unit of work sees one snapshot, fixed from the
start. The bulk insert is one ``COPY ... FROM STDIN``.

Errors. A constraint violation, a lock wait that runs out and a value PostgreSQL cannot store
become :class:`~hours_sql.session.Refused`; everything else the driver raises goes through
:func:`hours_postgres.connection.translate` (a lost server is ``DatabaseUnavailable``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from contextlib import AbstractContextManager
from typing import Any

import psycopg
from psycopg import errors as pg_errors
from psycopg.pq import TransactionStatus

from hours_postgres.connection import Connection, translate
from hours_sql import Params, Reason, Refused, SessionState, Table, savepoint

__all__ = ["PostgresSession", "refusal"]

_DRIVER_ERRORS = (psycopg.Error, UnicodeEncodeError)
"""What the driver raises: its own errors, and text that cannot be encoded (lone surrogates)."""


def refusal(error: Exception) -> Refused | None:
    """What PostgreSQL refused, in the shared terms; ``None`` for an error that is no refusal."""
    if isinstance(error, pg_errors.UniqueViolation):
        return Refused(Reason.UNIQUE, error.diag.constraint_name)
    if isinstance(error, pg_errors.ForeignKeyViolation):
        return Refused(Reason.FOREIGN_KEY)
    if isinstance(error, psycopg.IntegrityError):
        return Refused(Reason.RULE)
    if isinstance(error, pg_errors.LockNotAvailable):
        return Refused(Reason.LOCK_TIMEOUT)
    if isinstance(error, psycopg.DataError | UnicodeEncodeError):
        return Refused(Reason.UNSTORABLE)
    return None


class PostgresSession(SessionState):
    """One unit of work's pooled connection and transaction, shared by its repositories."""

    def __init__(self, conn: Connection, *, writable: bool, lock_timeout_ms: int) -> None:
        super().__init__(writable=writable)
        self.conn = conn
        self._begin_sql = (
            f"BEGIN ISOLATION LEVEL READ COMMITTED; SET LOCAL lock_timeout = {lock_timeout_ms:d}"
            if writable
            else "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; SELECT 1"
        )

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

    def savepoint(self) -> AbstractContextManager[None]:
        """A savepoint of the transaction (see :func:`hours_sql.savepoint`); the savepoint each
        write runs in (``hours_write``) nests inside it."""
        self._ensure_writable()
        return savepoint(self._send)

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

    def write(self, sql: str, params: Params) -> int:
        """Run one write in a savepoint; return how many rows it changed.

        ``SAVEPOINT``, the write and ``RELEASE`` go in one pipeline: one round trip instead of
        three. When the write fails, the server skips the rest of the pipeline, and the savepoint
        is rolled back as for any other failed write.
        """
        self._ensure_writable()
        try:
            with self.conn.pipeline():
                self.conn.execute("SAVEPOINT hours_write")
                cursor = self.conn.execute(sql, params)
                self.conn.execute("RELEASE SAVEPOINT hours_write")
        except _DRIVER_ERRORS as error:
            raise self._undone(error) from error
        return cursor.rowcount

    def execute_all(self, statements: Sequence[tuple[str, Params]]) -> None:
        """Run writes that no client input can make fail, in order, in one pipeline (one round
        trip), without savepoints. A failure aborts the transaction, and so the commit."""
        self._ensure_writable()
        try:
            with self.conn.pipeline():
                for sql, params in statements:
                    self.conn.execute(sql, params)
        except _DRIVER_ERRORS as error:
            refused = refusal(error)
            if refused is None:
                raise translate(error) from error
            raise refused from error

    def insert_many(self, table: Table, rows: Iterable[Params]) -> int:
        """Load ``rows`` with ``COPY ... FROM STDIN`` in a savepoint, all or none; return how many."""
        statement = f"COPY {table.name} ({', '.join(table.column_names)}) FROM STDIN"

        def run() -> int:
            count = 0
            with self.conn.cursor() as cursor, cursor.copy(statement) as copy:
                for values in rows:
                    copy.write_row(values)
                    count += 1
            return count

        return self._in_savepoint(run)

    def _in_savepoint(self, run: Callable[[], int]) -> int:
        self._ensure_writable()
        self._send("SAVEPOINT hours_write")
        try:
            changed = run()
        except _DRIVER_ERRORS as error:
            raise self._undone(error) from error
        self._send("RELEASE SAVEPOINT hours_write")
        return changed

    def _undone(self, error: Exception) -> Exception:
        """Roll the failed write's savepoint back; the error to raise for ``error``."""
        self._send("ROLLBACK TO SAVEPOINT hours_write; RELEASE SAVEPOINT hours_write")
        refused = refusal(error)
        return translate(error) if refused is None else refused
