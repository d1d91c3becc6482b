"""The SQLite store and its unit of work: every port of :mod:`hours_core.ports` on one file.

Concurrency. One process may run many threads (Litestar runs sync handlers in a thread pool) and
several processes may share the file. A store has one writer connection behind a lock; a write
unit of work holds that lock from ``__enter__`` until it commits or rolls back, and runs in a
savepoint of the writer's *group* transaction (``BEGIN IMMEDIATE`` ... ``COMMIT``): writers that
queue up behind one another share one ``COMMIT``, and each ``commit()`` returns only once that
``COMMIT`` is durable (see :mod:`hours_sqlite.connection`). Read-only units of work use
per-thread reader connections and a deferred ``BEGIN``, so each reads one consistent snapshot
while WAL lets them run beside the writer. Reader connections are ``query_only``, and the
session refuses writes first. The repositories are the shared ones of :mod:`hours_sql`.

Busy database. A write unit of work waits for the writer at most ``busy_timeout_ms`` (first for
the lock of this process, then, inside ``BEGIN IMMEDIATE``, for other processes). When the wait
runs out, ``__enter__`` raises :class:`hours_core.errors.StoreBusy` ("The database is busy; retry
shortly."), as does any statement that meets SQLITE_BUSY. An idempotency claim therefore never
meets another's claim in progress: the second writer waits until the first one has committed or
rolled back, then sees its record (if the first one's group has not reached its ``COMMIT`` yet,
the second one joins that group, and its answer waits for the same ``COMMIT``).

Transactions. Leaving the ``with`` block without :meth:`SqliteUnitOfWork.commit` rolls back;
``commit()`` inside the block commits, and the next statement begins a new transaction.

Operations. :meth:`SqliteStore.open` never changes the schema: call :meth:`SqliteStore.migrate`
(idempotent; safe to run from several processes at once). :meth:`SqliteStore.backup` uses the
SQLite online backup API and may run while the store is in use. :meth:`SqliteStore.table_counts`
and :meth:`SqliteStore.describe` tell operator commands what the file holds.
"""

from __future__ import annotations

import pathlib
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

from sqlite_utils import Database

from hours_sql import Session, SqlStore, SqlUnitOfWork, statements_for
from hours_sqlite import introspection, migrations
from hours_sqlite.connection import ConnectionSettings, ReaderPool, WriterGate, connect, open_transaction
from hours_sqlite.dialect import SQLITE
from hours_sqlite.identity_signal import FileIdentitySignal
from hours_sqlite.session import SqliteSession
from hours_sqlite.write_queue import WriteQueue

__all__ = ["SqliteStore", "SqliteUnitOfWork"]


class SqliteStore(SqlStore):
    """An hours database file: its connections, its schema and its maintenance operations."""

    def __init__(self, settings: ConnectionSettings) -> None:
        """Open the writer connection to the database of ``settings`` (:meth:`open` is the usual way in)."""
        self.settings = settings
        self._writer = WriterGate(connect(settings, read_only=False), settings)
        self._readers = ReaderPool(settings)
        self._write_queue: WriteQueue | None = None
        self._identity_signal: FileIdentitySignal | None = None

    @classmethod
    def open(
        cls, path: str | pathlib.Path, *, busy_timeout_ms: int = 5000, synchronous: str = "full"
    ) -> SqliteStore:
        """Open (or create) the database at ``path`` in WAL mode; this does not migrate it.

        ``busy_timeout_ms`` bounds every wait for the write lock; ``synchronous`` is ``"full"``
        (durable at every commit) or ``"normal"`` (faster; in WAL mode a power loss may drop the
        last commits but never corrupts the file).
        """
        return cls(
            ConnectionSettings(
                path=pathlib.Path(path), busy_timeout_ms=busy_timeout_ms, synchronous=synchronous
            )
        )

    @property
    def path(self) -> pathlib.Path:
        """The database file."""
        return self.settings.path

    def pending_migrations(self) -> list[str]:
        """The names of the migrations not yet applied, in the order :meth:`migrate` would apply them."""
        with self._writer.held() as db:
            return migrations.pending(db)

    def migrate(self, *, stop_before: str | None = None) -> list[str]:
        """Apply the pending migrations in order, in one transaction; return their names.

        Idempotent: a migrated database returns ``[]``. ``stop_before`` names a migration to stop
        at (it and those after it stay pending): for staged upgrades and tests of migrations.
        """
        with self._writer.held() as db:
            return migrations.apply_pending(db, stop_before=stop_before)

    def unit_of_work(self, *, read_only: bool = False) -> SqliteUnitOfWork:
        """A new, not yet entered, unit of work (this bound method is a ``UnitOfWorkFactory``)."""
        return SqliteUnitOfWork(self._writer, self._readers, read_only=read_only)

    def write_queue(self) -> WriteQueue:
        """The store's :class:`~hours_sqlite.write_queue.WriteQueue`: one writer thread, fed from
        an event loop, that runs write work in batches sharing one ``COMMIT`` (what a server
        process uses for its write requests). Made on first use; its thread starts with the first
        work, and :meth:`close` stops it after the work already queued."""
        if self._write_queue is None:
            self._write_queue = WriteQueue(self._writer)
        return self._write_queue

    def identity_signal(self) -> FileIdentitySignal:
        """The database's :class:`~hours_sqlite.identity_signal.FileIdentitySignal`, which every
        process of the file shares (``<file>-identity``, made on first use; :meth:`close` unmaps it)."""
        if self._identity_signal is None:
            self._identity_signal = FileIdentitySignal.beside(self.path)
        return self._identity_signal

    def integrity_check(self) -> str:
        """The result of ``PRAGMA integrity_check``: ``"ok"`` when the file is healthy."""
        with self._snapshot() as db:
            rows = db.execute("PRAGMA integrity_check").fetchall()
        return "\n".join(str(row[0]) for row in rows)

    def table_counts(self) -> dict[str, int]:
        """How many rows each table of hours holds, from one snapshot (for operator commands)."""
        with self._snapshot() as db:
            return introspection.table_counts(db)

    def describe(self) -> tuple[introspection.TableDescription, ...]:
        """Every table of hours with its rows, columns and indexes, from one snapshot."""
        with self._snapshot() as db:
            return introspection.describe(db)

    @contextmanager
    def _snapshot(self) -> Iterator[Database]:
        """A reader connection in a read transaction: one consistent view for maintenance reads."""
        db = self._readers.acquire()
        try:
            open_transaction(db.conn, "BEGIN", "SELECT 1 FROM sqlite_schema LIMIT 1")
            try:
                yield db
            finally:
                db.conn.execute("ROLLBACK")
        finally:
            self._readers.release(db)

    def backup(self, target: str | pathlib.Path) -> None:
        """Copy the database to ``target`` with the online backup API (one consistent snapshot).

        Writers may keep working meanwhile; ``target`` is overwritten if it exists.
        """
        source = connect(self.settings, read_only=True)
        try:
            destination = sqlite3.connect(pathlib.Path(target))
            try:
                source.conn.backup(destination)
            finally:
                destination.close()
        finally:
            source.close()

    def close(self) -> None:
        """Finish the queued writes and wait for the current writer, then close every connection;
        the store is unusable after."""
        if self._write_queue is not None:
            self._write_queue.close()
        self._writer.close()
        self._readers.close()
        if self._identity_signal is not None:
            self._identity_signal.close()


class SqliteUnitOfWork(SqlUnitOfWork):
    """One transaction on a :class:`SqliteStore`: the writer's, or a read-only snapshot."""

    def __init__(self, writer: WriterGate, readers: ReaderPool, *, read_only: bool = False) -> None:
        """A unit of work on ``writer`` or, if ``read_only``, on a reader of ``readers``."""
        super().__init__(statements_for(SQLITE), read_only=read_only)
        self._writer = writer
        self._readers = readers

    def _begin(self) -> Session:
        """Take a connection and begin the transaction.

        A write unit of work raises :class:`~hours_core.errors.StoreBusy` if the database stays
        busy for longer than the busy timeout.
        """
        if self.read_only:
            session = SqliteSession(self._readers.acquire(), writable=False)
        else:
            session = SqliteSession(self._writer.db, writable=True, gate=self._writer)
        try:
            session.begin()  # a write session takes the writer here, and gives it back if this fails
        except BaseException:
            session.close()
            self._give_back(session)
            raise
        return session

    def _give_back(self, session: Session) -> None:
        # A write session gives the writer back itself, when it commits or rolls back.
        if self.read_only:
            assert isinstance(session, SqliteSession)
            self._readers.release(session.db)
