"""Connections: how hours opens SQLite, and who may use which connection when.

Every connection is an ``sqlite3`` connection in autocommit mode (``isolation_level=None``, so
the driver never opens or commits a transaction behind our back), usable from any thread
(``check_same_thread=False``), wrapped in a sqlite-utils :class:`~sqlite_utils.Database`. Each
gets ``journal_mode=WAL`` (persistent, set once by the writer), ``busy_timeout``,
``foreign_keys=ON`` and the chosen ``synchronous`` level.

SQLite allows one writer at a time per database file, and WAL lets readers run beside it:

* :class:`WriterGate` owns the single writer connection of a store and a :class:`threading.Lock`.
  A write unit of work holds the lock while it runs statements, so threads of one process
  queue here rather than inside SQLite; ``BEGIN IMMEDIATE`` then queues against other
  processes, for at most the busy timeout.
* Group commit. Each write unit of work runs in a savepoint of a *group* transaction on the
  writer connection. When a unit of work commits, it releases its savepoint; if other writers
  are queued for the lock, it hands the still-open transaction to the next one, otherwise it
  commits the transaction (one ``COMMIT``, one sync of the WAL at ``synchronous=FULL``). Every
  unit of work of the group waits for that ``COMMIT`` before its ``commit()`` returns, so no
  write is acknowledged before it is durable, and if the ``COMMIT`` fails every one of them
  raises. A unit of work that rolls back undoes its savepoint only. A group holds at most
  :data:`MAX_GROUP` units of work. Writers of other processes still wait in SQLite's busy
  handler, which polls: a process that writes without pause can keep them waiting up to the
  busy timeout (then they get the busy error). Heavy writes from several processes belong on
  PostgreSQL.
* :class:`ReaderPool` hands out reader connections, kept per thread (:class:`threading.local`).
  They are ``PRAGMA query_only``: a read-only unit of work cannot write even by mistake.
"""

from __future__ import annotations

import contextvars
import pathlib
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import attrs
from sqlite_utils import Database

from hours_core.errors import StoreBusy, StoreFull

__all__ = [
    "BUSY_MESSAGE",
    "MAX_GROUP",
    "SYNCHRONOUS_LEVELS",
    "WRITER_CACHE_KIB",
    "ConnectionSettings",
    "ReaderPool",
    "WriteGroup",
    "WriterGate",
    "busy",
    "connect",
    "is_busy",
    "is_full",
    "open_transaction",
    "store_error",
]

SYNCHRONOUS_LEVELS = ("full", "normal")
"""The accepted ``synchronous`` levels. FULL is durable at every commit; NORMAL (in WAL mode)
may lose the last commits on power loss, never consistency."""

BUSY_MESSAGE = "The database is busy; retry shortly."

WRITER_CACHE_KIB = 8_192
"""The writer's page cache (8 MiB; SQLite's default is 2 MiB). It was 64 MiB, for the bulk path's
large transactions, but that bought nothing measurable (500,000 entries through ``add_many`` in
transactions of 50,000: 8.6 s with 64, 16 or 2 MiB; a Toggl import of 100,000 rows no slower)
while a server's cache filled with the pages its writes touched: 53 MB more peak RSS after
12,000 creates (docs/performance.md, round 7)."""

MAX_GROUP = 32
"""The most write units of work one group transaction (one ``COMMIT``) takes."""

_SAVEPOINT = "hours_unit_of_work"
_HANDOFF_CHECK_SECONDS = 0.05

_SQLITE_BUSY = 5
_SQLITE_LOCKED = 6
_SQLITE_FULL = 13


def busy() -> StoreBusy:
    """The core error for "another writer held the database longer than the busy timeout"."""
    return StoreBusy(BUSY_MESSAGE)


def is_busy(error: sqlite3.Error) -> bool:
    """Whether ``error`` is SQLITE_BUSY or SQLITE_LOCKED (any extended code of them)."""
    code = getattr(error, "sqlite_errorcode", None)
    return code is not None and code & 0xFF in (_SQLITE_BUSY, _SQLITE_LOCKED)


def is_full(error: sqlite3.Error) -> bool:
    """Whether ``error`` is SQLITE_FULL: the disk (or the file system's quota) has no room."""
    code = getattr(error, "sqlite_errorcode", None)
    return code is not None and code & 0xFF == _SQLITE_FULL


def store_error(error: sqlite3.Error) -> StoreBusy | StoreFull | None:
    """The core error a client is answered for ``error`` (a busy database, a full disk: nothing
    was stored, and a retry can go through), or ``None`` for a failure of this adapter or the file."""
    if is_busy(error):
        return busy()
    if is_full(error):
        return StoreFull()
    return None


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


_DEADLINE: contextvars.ContextVar[float | None] = contextvars.ContextVar(
    "hours_sqlite_deadline", default=None
)
"""When (``time.monotonic()``) the write running in this context stops waiting for the writer: set by
the write queue for its works (a request waits the busy timeout in all, queue included)."""

_SETTLE_LOOK_SECONDS = 0.01
"""While another writer holds the lock, how often the end of a batch looks whether its group ended."""

_SHORTENED_BY = 0.1
"""How much shorter than the busy timeout a deadline must leave the wait before SQLite's own busy
timeout is shortened for one ``BEGIN IMMEDIATE`` (two statements: not worth it for less)."""


@contextmanager
def waiting_until(deadline: float) -> Iterator[None]:
    """Bound every wait for the writer in this context (the gate's lock, another process's lock of
    the file) by ``deadline`` (``time.monotonic()``), not by a busy timeout of its own."""
    token = _DEADLINE.set(deadline)
    try:
        yield
    finally:
        _DEADLINE.reset(token)


def _wait_seconds(busy_timeout: float) -> float:
    """How long a writer of this context may still wait: the busy timeout, or less by its deadline."""
    deadline = _DEADLINE.get()
    if deadline is None:
        return busy_timeout
    return max(0.0, min(busy_timeout, deadline - time.monotonic()))


def open_transaction(conn: sqlite3.Connection, *statements: str) -> None:
    """Run the statements that open a transaction (``BEGIN ...`` and any first read).

    If one fails, the transaction is rolled back, and SQLITE_BUSY or SQLITE_FULL becomes the
    core's error (:func:`store_error`).
    """
    try:
        for statement in statements:
            conn.execute(statement).fetchall()
    except sqlite3.OperationalError as error:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        answered = store_error(error)
        if answered is not None:
            raise answered from error
        raise


def _rolled_back() -> RuntimeError:
    return RuntimeError("SQLite rolled the transaction back after an error; retry the request")


def _group_failed(error: BaseException) -> RuntimeError:
    return RuntimeError(f"the transaction this write joined did not commit: {error}")


def _member_error(error: BaseException) -> BaseException:
    """What a member of a group that did not commit raises: a busy database or a full disk as
    such (a new one of each: see :meth:`WriterGate.wait_for`), anything else as a failed group."""
    if isinstance(error, StoreBusy):
        return busy()
    if isinstance(error, StoreFull):
        return StoreFull()
    return _group_failed(error)


class WriteGroup:
    """One transaction on the writer connection, shared by the write units of work that run in it.

    ``done`` is set when it has ended; ``error`` is then ``None`` if it committed. Hooks added with
    :meth:`after_end` run when it ends, before ``done`` is set.
    """

    __slots__ = ("_ended", "_hooks", "_lock", "batch", "done", "error", "members")

    def __init__(self, *, batch: bool = False) -> None:
        self.batch = batch
        """Whether the write queue's thread began it: a writer of another thread does not join it."""
        self.done = threading.Event()
        self.error: BaseException | None = None
        self.members = 0
        """How many units of work released their savepoint into it (their changes await its commit)."""
        self._lock = threading.Lock()
        self._hooks: list[Callable[[], None]] = []
        self._ended = False

    def after_end(self, hooks: list[Callable[[], None]]) -> None:
        """Run ``hooks`` (quick, never raising) right after the group's ``COMMIT`` or ``ROLLBACK``,
        in the thread that ends it, before its members are woken; at once if it has ended."""
        with self._lock:
            if not self._ended:
                self._hooks.extend(hooks)
                return
        for hook in hooks:
            hook()

    def _end(self) -> None:
        """Run the hooks, then wake the members (the last step of :meth:`WriterGate._finish`)."""
        with self._lock:
            self._ended = True
            hooks, self._hooks = self._hooks, []
        try:
            for hook in hooks:
                hook()
        finally:
            self.done.set()


class WriterGate:
    """The store's one writer connection, the lock that lets one writer use it at a time, and the
    open group transaction (see the module's "Group commit").
    """

    def __init__(self, db: Database, settings: ConnectionSettings) -> None:
        self.db = db
        self._settings = settings
        self._lock = threading.Lock()
        self._owner: int | None = None
        self._waiting = 0
        self._waiting_lock = threading.Lock()
        self._group: WriteGroup | None = None
        self._batch_thread: int | None = None
        self._batch_more = False
        self._deferred: list[WriteGroup] = []
        self._journal_in_memory = False
        """Whether the writer connection keeps its savepoints' journal in memory
        (``temp_store = MEMORY``: see :meth:`_keep_savepoint_journal_in_memory`)."""
        self._rollback_cause: BaseException | None = None
        """Why SQLite rolled the open group back itself, when a holder knew (a full disk)."""
        self.closed = False

    @property
    def busy_timeout_seconds(self) -> float:
        """How long a writer waits for this connection before it gives up (``StoreBusy``)."""
        return self._settings.busy_timeout_seconds

    def acquire(self) -> Database:
        """Wait (at most the busy timeout) for the writer connection and take it.

        Raises :class:`~hours_core.errors.StoreBusy` when the wait runs out, and ``RuntimeError``
        when this thread already holds it (a nested write unit of work would deadlock).
        """
        if self._owner == threading.get_ident():
            raise RuntimeError(
                "this thread already holds the write unit of work; join it (Transactions) instead of nesting"
            )
        self._count_waiting(+1)
        try:
            acquired = self._lock.acquire(timeout=_wait_seconds(self._settings.busy_timeout_seconds))
        finally:
            self._count_waiting(-1)
        if not acquired:
            raise busy()
        if self.closed:
            self._lock.release()
            raise RuntimeError("the store is closed")
        self._owner = threading.get_ident()
        group = self._group
        if group is not None and group.batch and self._owner != self._batch_thread:
            # The write queue's group, handed on: its members' answers wait for its COMMIT, and a
            # writer of another thread (an import, a CLI command) may hold the writer for many
            # seconds. It commits that group first, and begins its own.
            try:
                self._finish(group)
            except BaseException:
                self.release()
                raise
        return self.db

    def _count_waiting(self, change: int) -> None:
        # ``+=`` on an attribute is not atomic across threads: a lost update would leave groups
        # open for writers that never come (each then waits out a hand-off check).
        with self._waiting_lock:
            self._waiting += change

    def release(self) -> None:
        """Give the writer connection back (with no group transaction open: see :meth:`leave`)."""
        self._owner = None
        self._lock.release()

    def begin(self) -> WriteGroup:
        """Start the holder's unit of work: join the open group transaction (or begin one with
        ``BEGIN IMMEDIATE``) and open its savepoint. Raises the busy error if another process
        keeps the database locked past the busy timeout.
        """
        conn = self.db.conn
        group = self._group
        batch = threading.get_ident() == self._batch_thread
        if group is not None and not conn.in_transaction:
            # SQLite rolled the group back by itself (an I/O error, out of memory): its members
            # get the error, and this unit of work starts a group of its own. A bare SAVEPOINT
            # here would begin a deferred transaction that its RELEASE commits on the spot.
            self._finish(group)
            group = None
        if group is None:
            self._keep_savepoint_journal_in_memory(conn, batch)
            self._begin_immediate(conn)
            group = self._group = WriteGroup(batch=batch)
        conn.execute(f"SAVEPOINT {_SAVEPOINT}")
        return group

    def _keep_savepoint_journal_in_memory(self, conn: sqlite3.Connection, batch: bool) -> None:
        """Where the group transaction about to begin keeps its savepoints' journal (SQLite's
        *sub-journal*, the pages a savepoint changed as they were before, for a ``ROLLBACK TO``):
        in memory for the write queue's groups, in a temporary file for any other writer's.

        SQLite keeps the first 64 KiB of a sub-journal in memory and then moves it to a file of
        its own (``/var/tmp/etilqs_*``: ``open``, ``unlink``, two ``pwrite`` calls per page). One
        create's savepoint changes about twenty pages of the tables and their indexes, so every
        write request of a batch went to that file. A request in the queue changes what its body
        and the limits of its route allow (a batch of 500 operations, an invoice of 1,000 entries),
        so its journal stays within what the request holds in Python anyway. A write whose rows its
        request does not bound (an import of up to 500,000 rows, an import's undo, a rates reapply
        over a year) or a command of the CLI runs on another thread and keeps the file
        (``temp_store = DEFAULT``). SQLite reads the setting as the
        transaction begins, so it is set before the ``BEGIN``, only when it changes.
        """
        if self._journal_in_memory is not batch:
            conn.execute("PRAGMA temp_store = MEMORY" if batch else "PRAGMA temp_store = DEFAULT")
            self._journal_in_memory = batch

    def _begin_immediate(self, conn: sqlite3.Connection) -> None:
        """``BEGIN IMMEDIATE``, waiting for another process's lock of the file at most as long as
        this writer may still wait (SQLite's busy timeout, shortened for this one statement when
        the writer's deadline is nearer)."""
        full = self._settings.busy_timeout_seconds
        wait = _wait_seconds(full)
        if wait > full - _SHORTENED_BY:
            open_transaction(conn, "BEGIN IMMEDIATE")
            return
        conn.execute(f"PRAGMA busy_timeout = {int(wait * 1000):d}")
        try:
            open_transaction(conn, "BEGIN IMMEDIATE")
        finally:
            conn.execute(f"PRAGMA busy_timeout = {self._settings.busy_timeout_ms:d}")

    def end(self, *, keep: bool) -> None:
        """End the holder's savepoint: keep its changes in the group, or undo them."""
        conn = self.db.conn
        if not conn.in_transaction:  # SQLite rolled the whole group back (after an I/O error)
            if keep:
                raise _rolled_back()
            return
        if keep:
            conn.execute(f"RELEASE {_SAVEPOINT}")
            assert self._group is not None
            self._group.members += 1
        else:
            conn.execute(f"ROLLBACK TO {_SAVEPOINT}")
            conn.execute(f"RELEASE {_SAVEPOINT}")

    def rolled_back_by(self, error: BaseException) -> None:
        """Note that SQLite rolled the open group back itself after ``error`` (:func:`store_error`
        of a full disk, for one): the group's members are answered that, not a failed group."""
        self._rollback_cause = error

    def leave(self) -> WriteGroup | None:
        """End the holder's turn and release the lock; return the group its work belongs to.

        If the group holds kept changes, other writers are queued and the group has room, it
        stays open for them (one of them commits it); otherwise it is committed now, or rolled
        back if nothing in it was kept. An empty group is never handed on: only members watch a
        group (:meth:`wait_for`), so an empty one whose next writer gave up waiting would keep
        the file's write lock with nobody to end it. The caller waits for the returned group
        (:meth:`wait_for`) without the lock.
        """
        group = self._group
        try:
            if group is not None and not self._hand_on(group):
                self._finish(group)
        finally:
            self.release()
        return group

    def _hand_on(self, group: WriteGroup) -> bool:
        return (
            0 < group.members < MAX_GROUP
            and (self._waiting > 0 or (self._batch_more and self._owner == self._batch_thread))
            and self.db.conn.in_transaction
        )

    # The batch writer (:class:`hours_sqlite.write_queue.WriteQueue`): one thread that runs many
    # units of work in a row, one group, and only then waits for the group's COMMIT.

    def serve_batches(self) -> None:
        """Make the calling thread the batch writer: its units of work leave their group open
        for the next one while :meth:`expect_more` says more follow, and do not wait for it
        (:meth:`defers`); the batch writer waits for every group at the end of its batch."""
        self._batch_thread = threading.get_ident()

    def stop_serving_batches(self) -> None:
        """The batch writer's thread is ending: no thread defers its waits any more."""
        self._batch_thread = None
        self._batch_more = False

    def expect_more(self, more: bool) -> None:
        """Tell the gate whether the batch writer has more units of work to run in this group."""
        self._batch_more = more

    def defers(self, group: WriteGroup) -> bool:
        """Whether the calling thread leaves the wait for ``group`` to later (it is the batch
        writer, which then waits for it in :meth:`take_deferred`'s list); a unit of work that
        ends calls it instead of waiting."""
        if threading.get_ident() != self._batch_thread:
            return False
        self._deferred.append(group)
        return True

    def take_deferred(self) -> list[WriteGroup]:
        """The groups the batch writer's units of work left since the last call (theirs to wait for)."""
        deferred, self._deferred = self._deferred, []
        return deferred

    def settle(self) -> None:
        """End the batch: commit the open group now, unless another writer holds the lock (which
        then commits it or hands it on). The caller then waits for its groups (:meth:`wait_for`)."""
        self._batch_more = False
        group = self._group
        if group is None:
            return
        # The lock, or the group's end: a writer of another thread that takes the lock first
        # commits the queue's group as it does (:meth:`acquire`), and then may hold the lock for long.
        give_up = time.monotonic() + self._settings.busy_timeout_seconds
        while not self._lock.acquire(timeout=_SETTLE_LOOK_SECONDS):
            if group.done.is_set() or time.monotonic() >= give_up:
                return  # ended by that writer; or wait_for's check ends it
        try:
            if self._group is group:
                self._finish(group)
        finally:
            self._lock.release()

    def wait_for(self, group: WriteGroup) -> None:
        """Wait (without the lock) until ``group`` has ended; raise its error if it did not commit.

        Normally the writer that takes the lock after this one commits the group. Should that
        writer never come (its wait for the lock ran out just as the lock was handed over), the
        group would stay open with the lock free: so a waiter that finds the lock free takes it
        and commits the group itself. Each member raises an error of its own, chained from the
        group's (one exception object raised in several threads would mix their tracebacks).
        """
        while not group.done.wait(_HANDOFF_CHECK_SECONDS):
            if self._lock.acquire(blocking=False):
                try:
                    if self._group is group:
                        self._finish(group)
                finally:
                    self._lock.release()
        error = group.error
        if error is not None:
            raise _member_error(error) from error

    def _finish(self, group: WriteGroup) -> None:
        """Commit (or, when empty, roll back) the open group and wake its members."""
        conn = self.db.conn
        self._group = None
        try:
            if not conn.in_transaction:  # SQLite rolled the group back itself
                cause, self._rollback_cause = self._rollback_cause, None
                if not group.members:
                    return  # nothing was kept in it: its rollback was all there was to do
                raise _rolled_back() if cause is None else _member_error(cause)
            conn.execute("COMMIT" if group.members else "ROLLBACK")
        except BaseException as error:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            failure: BaseException = error
            answered = store_error(error) if isinstance(error, sqlite3.OperationalError) else None
            if answered is not None:
                failure = answered
                failure.__cause__ = error
            group.error = failure
            if not group.members:
                raise
        finally:
            group._end()

    def flush(self) -> None:
        """Commit the open group, if any (the holder needs the connection outside a group)."""
        if self._group is not None:
            self._finish(self._group)

    @contextmanager
    def held(self) -> Iterator[Database]:
        """The writer connection for the duration of a ``with`` block (migrations, maintenance)."""
        db = self.acquire()
        try:
            self.flush()
            yield db
        finally:
            self.release()

    def close(self) -> None:
        """Wait for the current writer to finish, then close the connection for good."""
        with self._lock:
            if not self.closed:
                self.closed = True
                try:
                    self.flush()
                finally:
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
