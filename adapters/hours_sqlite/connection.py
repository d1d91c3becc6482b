"""Connections: how hours opens SQLite, and who may use which connection when.

Every connection is an ``sqlite3`` connection in autocommit mode (``isolation_level=None``, so
the driver never opens or commits a transaction behind our back), usable from any thread
(``check_same_thread=False``), wrapped in a sqlite-utils :class:`~sqlite_utils.Database`. Each
gets ``journal_mode=WAL`` (persistent, set once by the writer), ``busy_timeout``,
``foreign_keys=ON`` and the chosen ``synchronous`` level.

SQLite allows one writer at a time per database file, and WAL lets readers run beside it:

* :class:`WriterGate` owns the single writer connection of a store and a :class:`threading.Lock`.
  A write unit of work holds the lock from its start to its end, so threads of one process
  queue here rather than inside SQLite; ``BEGIN IMMEDIATE`` then queues against other
  processes, for at most the busy timeout.
* :class:`ReaderPool` hands out reader connections, kept per thread (:class:`threading.local`).
  They are ``PRAGMA query_only``: a read-only unit of work cannot write even by mistake.
"""

from __future__ import annotations

import pathlib
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import attrs
from sqlite_utils import Database

from hours_core.errors import Conflict

__all__ = [
    "BUSY_MESSAGE",
    "SYNCHRONOUS_LEVELS",
    "WRITER_CACHE_KIB",
    "ConnectionSettings",
    "ReaderPool",
    "WriterGate",
    "busy",
    "connect",
    "is_busy",
]

SYNCHRONOUS_LEVELS = ("full", "normal")
"""The accepted ``synchronous`` levels. FULL is durable at every commit; NORMAL (in WAL mode)
may lose the last commits on power loss, never consistency."""

BUSY_MESSAGE = "The database is busy; retry shortly."

WRITER_CACHE_KIB = 65_536
"""The writer's page cache (64 MiB; SQLite's default is 2 MiB), so that the index pages a large
write transaction keeps touching (the bulk path) stay in memory instead of spilling to the WAL."""

_SQLITE_BUSY = 5
_SQLITE_LOCKED = 6


def busy() -> Conflict:
    """The core error for "another writer held the database longer than the busy timeout"."""
    return Conflict(BUSY_MESSAGE)


def is_busy(error: sqlite3.Error) -> bool:
    """Whether ``error`` is SQLITE_BUSY or SQLITE_LOCKED (any extended code of them)."""
    code = getattr(error, "sqlite_errorcode", None)
    return code is not None and code & 0xFF in (_SQLITE_BUSY, _SQLITE_LOCKED)


def _check_synchronous(_instance: object, _attribute: object, value: str) -> None:
    if value not in SYNCHRONOUS_LEVELS:
        raise ValueError(f"synchronous must be one of {', '.join(SYNCHRONOUS_LEVELS)}, got {value!r}")


def _lowercase(value: str) -> str:
    return value.lower() if isinstance(value, str) else value


def _check_timeout(_instance: object, _attribute: object, value: int) -> None:
    if type(value) is not int or value < 0:
        raise ValueError(f"busy_timeout_ms must be a non-negative int, got {value!r}")


@attrs.frozen
class ConnectionSettings:
    """Where the database lives and how every connection to it is configured."""

    path: pathlib.Path = attrs.field(converter=pathlib.Path)
    busy_timeout_ms: int = attrs.field(default=5000, validator=_check_timeout)
    synchronous: str = attrs.field(default="full", converter=_lowercase, validator=_check_synchronous)

    @property
    def busy_timeout_seconds(self) -> float:
        """The busy timeout in seconds, for :meth:`threading.Lock.acquire`."""
        return self.busy_timeout_ms / 1000


def connect(settings: ConnectionSettings, *, read_only: bool) -> Database:
    """A new, configured connection; ``read_only`` ones refuse every write (``query_only``)."""
    conn = sqlite3.connect(
        settings.path,
        timeout=settings.busy_timeout_seconds,
        isolation_level=None,
        check_same_thread=False,
    )
    try:
        conn.execute(f"PRAGMA busy_timeout = {settings.busy_timeout_ms:d}")
        if not read_only:
            mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                raise RuntimeError(f"SQLite refused WAL mode for {settings.path} (journal_mode={mode})")
            conn.execute(f"PRAGMA cache_size = -{WRITER_CACHE_KIB:d}")
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute(f"PRAGMA synchronous = {settings.synchronous.upper()}")
        if read_only:
            conn.execute("PRAGMA query_only = ON")
        # Plugins may change a connection in ways this adapter does not expect: leave them out.
        return Database(conn, execute_plugins=False)
    except BaseException:
        conn.close()
        raise


class WriterGate:
    """The store's one writer connection and the lock that lets one writer use it at a time."""

    def __init__(self, db: Database, settings: ConnectionSettings) -> None:
        self.db = db
        self._settings = settings
        self._lock = threading.Lock()
        self._owner: int | None = None
        self.closed = False

    def acquire(self) -> Database:
        """Wait (at most the busy timeout) for the writer connection and take it.

        Raises :class:`~hours_core.errors.Conflict` when the wait runs out, and ``RuntimeError``
        when this thread already holds it (a nested write unit of work would deadlock).
        """
        if self._owner == threading.get_ident():
            raise RuntimeError(
                "this thread already holds the write unit of work; join it (Transactions) instead of nesting"
            )
        if not self._lock.acquire(timeout=self._settings.busy_timeout_seconds):
            raise busy()
        if self.closed:
            self._lock.release()
            raise RuntimeError("the store is closed")
        self._owner = threading.get_ident()
        return self.db

    def release(self) -> None:
        """Give the writer connection back."""
        self._owner = None
        self._lock.release()

    @contextmanager
    def held(self) -> Iterator[Database]:
        """The writer connection for the duration of a ``with`` block (migrations, maintenance)."""
        db = self.acquire()
        try:
            yield db
        finally:
            self.release()

    def close(self) -> None:
        """Wait for the current writer to finish, then close the connection for good."""
        with self._lock:
            if not self.closed:
                self.closed = True
                self.db.close()


class _PerThread(threading.local):
    def __init__(self) -> None:
        self.idle: list[Database] = []


class ReaderPool:
    """Read-only connections, kept per thread and reused by that thread's later units of work.

    A thread normally needs one; nested read-only units of work in one thread each get their
    own, so that each has its own snapshot.
    """

    def __init__(self, settings: ConnectionSettings) -> None:
        self._settings = settings
        self._local = _PerThread()
        self._lock = threading.Lock()
        self._every: list[Database] = []
        self._closed = False

    def acquire(self) -> Database:
        """A reader connection for this thread, opened if none is idle."""
        if self._closed:
            raise RuntimeError("the store is closed")
        idle = self._local.idle
        if idle:
            return idle.pop()
        db = connect(self._settings, read_only=True)
        with self._lock:
            self._every.append(db)
        return db

    def release(self, db: Database) -> None:
        """Give ``db`` back to this thread's idle connections."""
        if self._closed:
            db.close()
        else:
            self._local.idle.append(db)

    def close(self) -> None:
        """Close every reader connection (of every thread)."""
        with self._lock:
            self._closed = True
            every, self._every = self._every, []
        for db in every:
            db.close()
