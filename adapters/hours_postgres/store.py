"""The PostgreSQL store and its unit of work: every port of :mod:`hours_core.ports` on one database.

Concurrency. Any number of processes (``hours serve --workers N``, several machines behind a load
balancer) may share the database; each store holds a pool of connections (``min_size`` to
``max_size``) and a unit of work takes one for its whole life. Write units of work run at READ
COMMITTED and bound every lock wait with ``SET LOCAL lock_timeout`` (``lock_timeout_ms``);
read-only ones run at REPEATABLE READ, READ ONLY, so that each reads one consistent snapshot.
Writers never wait for readers, and writers of different rows never wait for each other.

Idempotency across processes. A claim is one ``INSERT ... ON CONFLICT DO NOTHING`` on the
primary key (org, user, key). A concurrent claim of the same key waits on that index entry
until the first transaction ends, then sees its committed record (and replays it) or, if it
rolled back, inserts its own. The change and the recorded response commit together, in the
claim's transaction. A wait longer than the lock timeout raises
:class:`~hours_core.errors.IdempotencyRequestInProgress` (HTTP 409, retry).

Transactions. Leaving the ``with`` block without :meth:`PostgresUnitOfWork.commit` rolls back;
``commit()`` inside the block commits, and the next statement begins a new transaction.

Operations. :meth:`PostgresStore.open` checks the server is reachable and creates the schema it
is given (``schema=...``), but creates no table: call :meth:`PostgresStore.migrate`
(idempotent; safe to run from several processes at once).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from psycopg_pool import ConnectionPool

from hours_postgres import migrations
from hours_postgres.connection import (
    Connection,
    ConnectionSettings,
    DatabaseUnavailable,
    Reachability,
    ensure_schema,
    open_pool,
    quoted_schema,
    take_connection,
    translate,
)
from hours_postgres.dialect import POSTGRES
from hours_postgres.identity_signal import NotifiedIdentitySignal
from hours_postgres.session import PostgresSession
from hours_sql import Session, SqlStore, SqlUnitOfWork, statements_for

__all__ = ["PostgresStore", "PostgresUnitOfWork"]


class PostgresStore(SqlStore):
    """An hours database on PostgreSQL: its connection pool, its schema, its maintenance."""

    def __init__(self, settings: ConnectionSettings, pool: ConnectionPool[Connection]) -> None:
        """A store over an open ``pool`` (:meth:`open` is the usual way in)."""
        self.settings = settings
        self._pool = pool
        self._reachability = Reachability(settings)
        self._identity_signal: NotifiedIdentitySignal | None = None

    @classmethod
    def open(
        cls,
        url: str,
        *,
        schema: str | None = None,
        min_size: int = 1,
        max_size: int = 10,
        lock_timeout_ms: int = 5000,
    ) -> PostgresStore:
        """Connect to the database at ``url`` (a ``postgresql://`` URL); this does not migrate it.

        ``schema`` puts every table in that schema (created if missing; a lowercase identifier)
        instead of the first schema of the URL's search path. ``min_size``/``max_size`` bound the
        pool; ``lock_timeout_ms`` bounds every lock wait of a write unit of work. Raises
        :class:`~hours_postgres.connection.DatabaseUnavailable` (with the driver's reason) when the
        server cannot be reached, and ``ValueError`` for a setting that cannot work.
        """
        settings = ConnectionSettings(
            url=url, schema=schema, min_size=min_size, max_size=max_size, lock_timeout_ms=lock_timeout_ms
        )
        try:
            ensure_schema(settings)
            pool = open_pool(settings)
        except psycopg.Error as error:
            reason = " ".join(str(error).split())
            raise DatabaseUnavailable(f"cannot connect to PostgreSQL: {reason}") from error
        return cls(settings, pool)

    @property
    def schema(self) -> str | None:
        """The store's own schema, if it was opened with one."""
        return self.settings.schema

    def pending_migrations(self) -> list[str]:
        """The names of the migrations not yet applied, in the order :meth:`migrate` would apply them."""
        with self._connection() as conn:
            return migrations.pending(conn)

    def migrate(self, *, stop_before: str | None = None) -> list[str]:
        """Apply the pending migrations in order, in one transaction; return their names.

        Idempotent: a migrated database returns ``[]``. Concurrent calls (from any process)
        serialize on an advisory lock of the schema. ``stop_before`` names a migration to stop at
        (it and those after it stay pending): for staged upgrades and tests of migrations.
        """
        with self._connection() as conn:
            return migrations.apply_pending(
                conn, lock_timeout_ms=self.settings.lock_timeout_ms, stop_before=stop_before
            )

    def unit_of_work(self, *, read_only: bool = False) -> PostgresUnitOfWork:
        """A new, not yet entered, unit of work (this bound method is a ``UnitOfWorkFactory``)."""
        return PostgresUnitOfWork(self._pool, self.settings, self._reachability, read_only=read_only)

    def identity_signal(self) -> NotifiedIdentitySignal:
        """The store's :class:`~hours_postgres.identity_signal.NotifiedIdentitySignal` (``LISTEN``/
        ``NOTIFY`` between the processes of the database; made on first use, stopped by :meth:`close`)."""
        if self._identity_signal is None:
            self._identity_signal = NotifiedIdentitySignal(self.settings, self._pool)
        return self._identity_signal

    def drop_schema(self) -> None:
        """Drop the store's schema with everything in it (for tests that use a schema per run)."""
        if self.settings.schema is None:
            raise RuntimeError("this store has no schema of its own to drop (open it with schema=...)")
        with self._connection() as conn:
            conn.execute(f"DROP SCHEMA IF EXISTS {quoted_schema(self.settings.schema)} CASCADE")

    def close(self) -> None:
        """Close every pooled connection (waiting a few seconds for those in use) and stop listening
        for identity changes; idempotent."""
        if self._identity_signal is not None:
            self._identity_signal.close()
        self._pool.close()

    @contextmanager
    def _connection(self) -> Iterator[Connection]:
        """A pooled connection for maintenance work, with the driver's errors translated."""
        try:
            conn = self._pool.getconn()
        except psycopg.Error as error:
            raise translate(error) from error
        try:
            yield conn
        except psycopg.Error as error:
            raise translate(error) from error
        finally:
            self._pool.putconn(conn)


class PostgresUnitOfWork(SqlUnitOfWork):
    """One transaction on a :class:`PostgresStore`, on one pooled connection."""

    def __init__(
        self,
        pool: ConnectionPool[Connection],
        settings: ConnectionSettings,
        reachability: Reachability,
        *,
        read_only: bool = False,
    ) -> None:
        """A unit of work on a connection of ``pool``, read-only if ``read_only``."""
        super().__init__(statements_for(POSTGRES), read_only=read_only)
        self._pool = pool
        self._settings = settings
        self._reachability = reachability

    def _begin(self) -> Session:
        """A session on a pooled connection; its transaction begins with its first statement.

        Raises :class:`~hours_postgres.connection.DatabaseUnavailable` when no connection frees
        up within the pool timeout, or within about a second when PostgreSQL cannot be reached
        (:func:`~hours_postgres.connection.take_connection`). A pooled connection may have died
        while idle (a server restart, an idle timeout): the session's first pipeline (``BEGIN`` and the first
        statement) then fails before anything ran, and is sent again on another connection
        (:meth:`_replace`), so that such a restart costs the requests in flight but not the next
        ones. Every failed attempt takes a dead connection out of the pool, so the attempts are
        bounded by its size.
        """
        return PostgresSession(
            self._connection(),
            writable=not self.read_only,
            lock_timeout_ms=self._settings.lock_timeout_ms,
            replace=self._replace,
            retries=self._settings.max_size,
        )

    def _connection(self) -> Connection:
        return take_connection(self._pool, self._settings, self._reachability)

    def _replace(self, dead: Connection) -> Connection:
        """Give ``dead`` back (the pool discards a closed connection) and take another one."""
        self._pool.putconn(dead)
        return self._connection()

    def _give_back(self, session: Session) -> None:
        assert isinstance(session, PostgresSession)
        self._pool.putconn(session.conn)
