"""The PostgreSQL session: one unit of work's connection and transaction (see :mod:`hours_sql.session`).

A writable session runs ``BEGIN ISOLATION LEVEL READ COMMITTED`` and bounds every lock wait with
``SET LOCAL lock_timeout``; each write runs inside a savepoint, so that a write that fails (a
duplicate email, a second running timer) is undone alone and the unit of work can go on, as it
can on the other stores. A read-only session runs ``BEGIN ISOLATION LEVEL REPEATABLE READ READ
ONLY``, so that every read of the unit of work sees the snapshot of its first. The bulk insert is
one ``COPY ... FROM STDIN``.

Round trips. Every round trip is one flat pipeline (:meth:`PostgresSession._trip`): psycopg syncs,
and waits for the server, at the end of each pipeline block, a nested one included, so the session
never nests them. ``BEGIN`` is not sent on its own: it goes in one pipeline with the transaction's
first statement, which saves a round trip per unit of work (a token lookup is then two: the lookup
and ``ROLLBACK``). The writes of :meth:`~PostgresSession.execute_all` (the outbox, an idempotency
record's completion) wait for the commit's round trip and go in its pipeline, with ``COMMIT``. A
pooled connection that died while idle (a server restart) fails the first pipeline before
anything of the transaction ran, so the session takes another connection from the pool and sends
it again (:meth:`PostgresSession._trip`); the next requests never see the restart.

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

__all__ = ["PostgresSession", "Statement", "refusal"]

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


Statement = tuple[str, Params | None]
"""One statement of a pipeline and its parameters (``None``: none)."""


def _in_savepoint(sql: str, params: Params) -> list[Statement]:
    """One write in the savepoint that lets a failed write be undone alone
    (:meth:`PostgresSession._undone`)."""
    return [("SAVEPOINT hours_write", None), (sql, params), ("RELEASE SAVEPOINT hours_write", None)]


class PostgresSession(SessionState):
    """One unit of work's pooled connection and transaction, shared by its repositories.

    ``replace`` takes a connection that died before its transaction sent anything and returns
    another one of the pool (see :meth:`_trip`); ``retries`` bounds how often (the pool's size).
    """

    def __init__(
        self,
        conn: Connection,
        *,
        writable: bool,
        lock_timeout_ms: int,
        replace: Callable[[Connection], Connection] | None = None,
        retries: int = 0,
    ) -> None:
        super().__init__(writable=writable)
        self.conn = conn
        self._replace = replace
        self._retries = retries
        self._begin_pending = False
        self._deferred: list[Statement] = []
        self._begin_statements: tuple[Statement, ...] = (
            (
                ("BEGIN ISOLATION LEVEL READ COMMITTED", None),
                (f"SET LOCAL lock_timeout = {lock_timeout_ms:d}", None),
            )
            if writable
            else (("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", None),)
        )

    def begin(self) -> None:
        """Begin a transaction: its ``BEGIN`` goes with the first statement (:meth:`_trip`)."""
        self._begin_pending = True
        self._active = True

    def commit(self) -> None:
        """Commit the open transaction, if any.

        The writes :meth:`execute_all` deferred (the outbox) go in one pipeline with ``COMMIT``:
        one round trip. If one fails, the server skips the rest, ``COMMIT`` included, and the
        error is raised (translated): the unit of work then rolls back whole.
        """
        self._check_alive()
        if not self._active:
            return
        if self._begin_pending and not self._deferred:  # nothing was sent: nothing to commit
            self._active = self._begin_pending = False
            return
        if self.conn.info.transaction_status == TransactionStatus.INERROR:
            # PostgreSQL would answer COMMIT with a silent ROLLBACK: say so instead.
            raise RuntimeError("a statement of this unit of work failed; its transaction cannot commit")
        deferred, self._deferred = self._deferred, []
        self._active = False
        try:
            self._trip([*deferred, ("COMMIT", None)])
        except _DRIVER_ERRORS as error:
            raise translate(error) from error

    def rollback(self) -> None:
        """Roll back the open transaction, if any. Never raises: a broken connection is closed."""
        self._active = False
        self._begin_pending = False
        self._deferred = []
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

    def _trip(self, statements: Sequence[Statement]) -> list[psycopg.Cursor[Any]]:
        """Send ``statements`` in one round trip, after the pending ``BEGIN`` if there is one;
        their cursors, in order.

        Several statements go in one flat pipeline (psycopg syncs, and waits, at each pipeline
        block's end, a nested one included); one alone is a plain ``execute``. With a pending
        ``BEGIN``, if the connection turns out dead (closed by the failure), nothing of the
        transaction ran, so the pipeline is sent again on a connection :attr:`_replace` gives,
        at most :attr:`_retries` times.
        """
        begin = self._begin_statements if self._begin_pending else ()
        for attempt in range(self._retries + 1 if begin else 1):
            try:
                cursors = self._pipeline([*begin, *statements])
            except _DRIVER_ERRORS:
                if begin and self.conn.closed and self._replace is not None and attempt < self._retries:
                    self.conn = self._replace(self.conn)
                    continue
                self._begin_pending = False
                raise
            self._begin_pending = False
            return cursors[len(begin) :]
        raise AssertionError("unreachable: the last attempt returns or raises")  # pragma: no cover

    def _pipeline(self, statements: Sequence[Statement]) -> list[psycopg.Cursor[Any]]:
        conn = self.conn
        if len(statements) == 1:
            sql, params = statements[0]
            return [conn.execute(sql, params)]
        # A statement's error may arrive while a later one is sent (a large one waits for the
        # socket): it is raised inside the block, and the pipeline's end then fails too ("pipeline
        # aborted"), which psycopg logs as a warning ("error ignored terminating"). The first
        # error is the one that counts: it is raised here, after the end, and nothing is logged.
        failure: psycopg.Error | None = None
        try:
            with conn.pipeline():
                try:
                    cursors = [conn.execute(sql, params) for sql, params in statements]
                except psycopg.Error as error:
                    failure = error
        except psycopg.Error:
            if failure is None:
                raise
        if failure is not None:
            raise failure
        return cursors

    def _statements(self, statements: Sequence[Statement]) -> list[psycopg.Cursor[Any]]:
        """:meth:`_trip`, after the deferred writes (in a round trip of their own, if any)."""
        if self._deferred:
            deferred, self._deferred = self._deferred, []
            try:
                self._trip(deferred)
            except _DRIVER_ERRORS as error:
                raise translate(error) from error
        return self._trip(statements)

    def _send(self, sql: str, params: Params | None = None) -> psycopg.Cursor[Any]:
        try:
            return self._statements([(sql, params)])[0]
        except _DRIVER_ERRORS as error:
            raise translate(error) from error

    def rows(self, sql: str, params: Params = ()) -> list[Any]:
        """Every row of a query, as tuples."""
        self._ensure_transaction()
        try:
            return self._statements([(sql, params)])[0].fetchall()
        except _DRIVER_ERRORS as error:
            raise translate(error) from error

    def rows_after(self, statement: str, params: Params, query: str, query_params: Params) -> list[Any]:
        """``statement``, then ``query``, in one pipeline (one round trip): the query's rows. At READ
        COMMITTED the query takes its snapshot when it starts, after ``statement`` has ended."""
        self._ensure_transaction()
        try:
            return self._statements([(statement, params), (query, query_params)])[1].fetchall()
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
            return self._statements(_in_savepoint(sql, params))[1].rowcount
        except _DRIVER_ERRORS as error:
            raise self._undone(error) from error

    def write_or_read(
        self, sql: str, params: Params, query: str, query_params: Params
    ) -> tuple[int, list[Any]]:
        """:meth:`write` and ``query`` in one pipeline (one round trip); the query's rows only if
        the write changed no row (see :class:`hours_sql.Session`). A failed write skips the query."""
        self._ensure_writable()
        try:
            cursors = self._statements([*_in_savepoint(sql, params), (query, query_params)])
        except _DRIVER_ERRORS as error:
            raise self._undone(error) from error
        changed = cursors[1].rowcount
        return changed, [] if changed else cursors[3].fetchall()

    def execute_all(self, statements: Sequence[tuple[str, Params]]) -> None:
        """Queue writes that no client input can make fail, in order, without savepoints: they
        go in :meth:`commit`'s pipeline, with ``COMMIT`` (one round trip for the outbox and the
        commit), or, if another statement comes first, in one pipeline before it. A failure
        aborts the transaction, and so the commit."""
        self._ensure_writable()
        self._deferred += statements

    def insert_many(self, table: Table, rows: Iterable[Params]) -> int:
        """Load ``rows`` with ``COPY ... FROM STDIN`` in a savepoint, all or none; return how many."""
        return self.insert_rows(table.name, table.column_names, rows)

    def insert_rows(self, table: str, columns: Sequence[str], rows: Iterable[Params]) -> int:
        """Load ``rows`` into ``columns`` of ``table`` as :meth:`insert_many` does."""
        statement = f"COPY {table} ({', '.join(columns)}) FROM STDIN"

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
        if self.conn.closed:  # the connection is gone, and its transaction with it
            return translate(error)
        # One simple query (two statements, never prepared): psycopg forgets its prepared
        # statements when a prepared one answers ROLLBACK, which would break a pipeline.
        self._send("ROLLBACK TO SAVEPOINT hours_write; RELEASE SAVEPOINT hours_write")
        refused = refusal(error)
        return translate(error) if refused is None else refused
