"""Connections: the pool, how each connection is configured, and what PostgreSQL's errors mean.

Every connection comes from one :class:`psycopg_pool.ConnectionPool` per store and is in
autocommit mode: the unit of work sends ``BEGIN``, ``SAVEPOINT``, ``COMMIT`` and ``ROLLBACK``
itself (see :mod:`hours_postgres.session`), so the driver never opens or ends a transaction
behind its back. When the pool opens a connection it sets, once for the connection's life:

* ``TimeZone`` to UTC, so ``timestamptz`` values come back as UTC datetimes (the entities refuse
  anything else) whatever the server's default is;
* ``client_encoding`` to UTF8;
* ``search_path`` to the store's schema, when it has one (tests use a schema per run).

Errors. :func:`translate` turns a driver error into what the ports promise: constraint
violations become :class:`~hours_core.errors.Conflict`; lock timeouts and cancelled statements
become :class:`~hours_core.errors.StoreBusy` (as in the SQLite adapter), and a deadlock its
subclass :class:`~hours_core.errors.StoreDeadlock` (the transaction rolled back: it may run again);
values PostgreSQL cannot store (a NUL character in text) become
:class:`~hours_core.errors.ValidationFailed`; a server that cannot be reached, a lost connection
or an exhausted pool become :class:`DatabaseUnavailable` (code ``service_unavailable``). Anything
else is a bug in this adapter's SQL and becomes a ``RuntimeError`` that names it.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any, Final

import attrs
import psycopg
from psycopg import errors as pg_errors
from psycopg.conninfo import conninfo_to_dict
from psycopg.rows import TupleRow
from psycopg_pool import ConnectionPool, PoolClosed, PoolTimeout

from hours_core.errors import Conflict, HoursError, StoreBusy, StoreDeadlock, StoreFull, ValidationFailed

__all__ = [
    "BUSY_MESSAGE",
    "DEAD_PEER_DETECTION",
    "SCHEMA_PATTERN",
    "Connection",
    "ConnectionSettings",
    "DatabaseUnavailable",
    "busy",
    "connect",
    "ensure_schema",
    "open_pool",
    "quoted_schema",
    "translate",
]

Connection = psycopg.Connection[TupleRow]
"""A pooled connection: rows come back as tuples, in the order of a ``*_COLUMNS`` tuple."""

BUSY_MESSAGE = "The database is busy; retry shortly."

SCHEMA_PATTERN = re.compile(r"[a-z_][a-z0-9_]{0,62}")
"""What a schema name may look like: a lowercase SQL identifier that needs no quoting."""

_APPLICATION_NAME = "hours"


class DatabaseUnavailable(HoursError):
    """PostgreSQL cannot be reached, the connection broke, or every pooled connection stayed busy.

    The request did not complete (a write that failed at ``COMMIT`` may or may not have been
    applied: the idempotency key makes the retry safe). Clients should retry shortly.
    """

    code = "service_unavailable"
    default_message = "The database is unavailable; retry shortly."
    transient = True


def busy() -> StoreBusy:
    """The core error for "a lock stayed taken longer than the lock timeout"."""
    return StoreBusy(BUSY_MESSAGE)


def deadlocked() -> StoreDeadlock:
    """The core error for "PostgreSQL broke a deadlock by rolling this transaction back" (40P01),
    which a write runner may run again (:class:`~hours_core.errors.StoreDeadlock`)."""
    return StoreDeadlock(BUSY_MESSAGE)


def _check_schema(_instance: object, _attribute: object, value: str | None) -> None:
    if value is not None and SCHEMA_PATTERN.fullmatch(value) is None:
        raise ValueError(
            f"schema must be a lowercase SQL identifier (letters, digits, _; at most 63), got {value!r}"
        )


def _check_positive(_instance: object, attribute: attrs.Attribute[int], value: int) -> None:
    if type(value) is not int or value < 1:
        raise ValueError(f"{attribute.name} must be a positive int, got {value!r}")


def _check_sizes(instance: ConnectionSettings, _attribute: object, value: int) -> None:
    _check_positive(instance, attrs.fields(ConnectionSettings).max_size, value)
    if value < instance.min_size:
        raise ValueError(f"max_size ({value}) must be at least min_size ({instance.min_size})")


@attrs.frozen
class ConnectionSettings:
    """Where the database is and how the store's connections behave.

    ``url`` is a libpq URL or DSN (it may carry a password, so it never appears in ``repr``).
    ``lock_timeout_ms`` bounds every wait for a lock inside a write unit of work, notably an
    idempotency claim waiting for a concurrent claim of the same key.
    """

    url: str = attrs.field(repr=False)
    schema: str | None = attrs.field(default=None, validator=_check_schema)
    min_size: int = attrs.field(default=1, validator=_check_positive)
    max_size: int = attrs.field(default=10, validator=_check_sizes)
    lock_timeout_ms: int = attrs.field(default=5000, validator=_check_positive)
    connect_timeout_s: int = attrs.field(default=10, validator=_check_positive)
    pool_timeout_s: float = 30.0
    """How long a unit of work waits for a free pooled connection before ``DatabaseUnavailable``."""


def quoted_schema(schema: str) -> str:
    """``schema`` as an SQL identifier (already checked against :data:`SCHEMA_PATTERN`)."""
    if SCHEMA_PATTERN.fullmatch(schema) is None:
        raise ValueError(f"not a schema name hours accepts: {schema!r}")
    return f'"{schema}"'


def _connect_kwargs(settings: ConnectionSettings) -> dict[str, Any]:
    """Keyword arguments for every connection; the URL's own choices win over these defaults.

    psycopg's automatic server-side prepared statements are off (``prepare_threshold=None``): in a
    pipeline whose earlier statement fails, a statement that psycopg was preparing at that moment is
    never prepared on the server, but psycopg remembers it as prepared, and every later use of it on
    that connection fails ("prepared statement ... does not exist"). hours pipelines every write
    (savepoint, write, release) and every commit (outbox, ``COMMIT``), so one refused write could
    break a connection for good. Measured, leaving them off also costs hours less CPU than it costs
    PostgreSQL (docs/performance.md, "Prepared statements").
    """
    given = conninfo_to_dict(settings.url)
    kwargs: dict[str, Any] = {"autocommit": True, "prepare_threshold": None}
    defaults = {
        "connect_timeout": settings.connect_timeout_s,
        "application_name": _APPLICATION_NAME,
        **DEAD_PEER_DETECTION,
    }
    kwargs.update((name, value) for name, value in defaults.items() if name not in given)
    return kwargs


DEAD_PEER_DETECTION: Final[Mapping[str, int]] = {
    "keepalives": 1,
    "keepalives_idle": 10,
    "keepalives_interval": 5,
    "keepalives_count": 3,
    "tcp_user_timeout": 30_000,
}
"""libpq's TCP settings of every connection (the URL's own win): a database host that vanishes
without closing its connections (power lost, a failover to another address, a firewall that
forgot the connection) is noticed within about 30 s, whether a connection waits for an answer
(keepalive probes after 10 s of silence, three 5 s apart) or for its sent bytes to be acknowledged
(``tcp_user_timeout``, in milliseconds). The request on it then fails as 503
``service_unavailable``, and the pool replaces the connection. Without them, the kernel's defaults
left such a request, and the pool's connection, waiting for about two hours (keepalive) or 15
minutes (retransmissions) (docs/operations.md, "PostgreSQL")."""


def _session_setup(settings: ConnectionSettings) -> str:
    statements = ["SET TIME ZONE 'UTC'", "SET client_encoding TO 'UTF8'"]
    if settings.schema is not None:
        statements.append(f"SET search_path TO {quoted_schema(settings.schema)}")
    return "; ".join(statements)


def _configurer(settings: ConnectionSettings) -> Callable[[Connection], None]:
    setup = _session_setup(settings)

    def configure(conn: Connection) -> None:
        # One simple-protocol round trip for every setting; autocommit leaves the connection idle.
        conn.execute(setup)

    return configure


def connect(settings: ConnectionSettings) -> Connection:
    """One configured connection outside the pool (the reachability probe, schema creation)."""
    conn = psycopg.connect(settings.url, **_connect_kwargs(settings))
    try:
        _configurer(settings)(conn)
    except BaseException:
        conn.close()
        raise
    return conn


def ensure_schema(settings: ConnectionSettings) -> None:
    """Connect once (so that a wrong URL fails here, with the driver's reason) and create the schema."""
    with connect(settings) as conn:
        if settings.schema is None:
            return
        exists = conn.execute("SELECT to_regnamespace(%s) IS NOT NULL", (settings.schema,)).fetchone()
        if not (exists and exists[0]):  # only then: CREATE needs a privilege a user of it may lack
            conn.execute(f"CREATE SCHEMA IF NOT EXISTS {quoted_schema(settings.schema)}")


FIRST_WAIT_SECONDS = 1.0
"""How long a unit of work waits for a pooled connection before it asks whether PostgreSQL can be
reached at all (:class:`Reachability`)."""

_PROBE_CONNECT_TIMEOUT_S = 2
_PROBE_MEMORY_SECONDS = 1.0


class Reachability:
    """Whether PostgreSQL accepts connections now: one probe connection at a time, its answer kept
    for a second (so that a thousand waiting requests make one probe, not a thousand).

    A pool with no free connection is either busy (every connection in use: waiting is right) or
    has none left because PostgreSQL went away (waiting the whole pool timeout only holds clients
    up: each would get 503 after 30 s). :func:`take_connection` asks this after a short wait.
    """

    def __init__(self, settings: ConnectionSettings) -> None:
        self._settings = settings
        self._lock = threading.Lock()
        self._checked_at = float("-inf")
        self._reachable = True

    def reachable(self) -> bool:
        """Whether a new connection to PostgreSQL opens (the last answer, if under a second old)."""
        with self._lock:
            if time.monotonic() - self._checked_at < _PROBE_MEMORY_SECONDS:
                return self._reachable
            self._checked_at = time.monotonic()  # others use the last answer meanwhile
        kwargs = {**_connect_kwargs(self._settings), "connect_timeout": _PROBE_CONNECT_TIMEOUT_S}
        try:
            psycopg.connect(self._settings.url, **kwargs).close()
        except psycopg.Error:
            self._reachable = False
        else:
            self._reachable = True
        return self._reachable


def take_connection(
    pool: ConnectionPool[Connection], settings: ConnectionSettings, reachability: Reachability
) -> Connection:
    """A pooled connection. After :data:`FIRST_WAIT_SECONDS` without one, PostgreSQL is probed: if
    it cannot be reached the wait ends at once (:class:`DatabaseUnavailable`: a client then gets 503
    with ``Retry-After`` within about a second, not after the whole pool timeout); if it can, the
    pool is busy and the wait goes on up to the pool timeout."""
    first = min(FIRST_WAIT_SECONDS, settings.pool_timeout_s)
    try:
        try:
            return pool.getconn(timeout=first)
        except PoolTimeout:
            if not reachability.reachable():
                raise DatabaseUnavailable("PostgreSQL cannot be reached; retry shortly.") from None
            return pool.getconn(timeout=max(settings.pool_timeout_s - first, 0.001))
    except psycopg.Error as error:
        raise translate(error) from error


def open_pool(settings: ConnectionSettings) -> ConnectionPool[Connection]:
    """The store's pool, opened and holding ``min_size`` configured connections."""
    pool: ConnectionPool[Connection] = ConnectionPool(
        settings.url,
        kwargs=_connect_kwargs(settings),
        min_size=settings.min_size,
        max_size=settings.max_size,
        configure=_configurer(settings),
        name=_APPLICATION_NAME,
        timeout=settings.pool_timeout_s,
        open=False,
    )
    try:
        pool.open(wait=True, timeout=float(settings.connect_timeout_s))
    except BaseException:
        pool.close()
        raise
    return pool


_BUSY = (
    pg_errors.LockNotAvailable,
    pg_errors.SerializationFailure,
    pg_errors.QueryCanceled,
)


def translate(error: Exception, *, kind: str = "row") -> Exception:
    """The error a port raises for the driver's ``error``; ``kind`` names the entity in messages.

    Unique violations get a generic message here: callers that can say more (which email is
    taken, which timer is running) map the violated constraint themselves first.
    """
    if isinstance(error, pg_errors.ForeignKeyViolation):
        return Conflict(
            f"The {kind} refers to an organization, user, client, project or task that does not exist "
            "in its organization."
        )
    if isinstance(error, pg_errors.UniqueViolation):
        return Conflict(f"The {kind} already exists.")
    if isinstance(error, psycopg.IntegrityError):
        return Conflict(f"The {kind} breaks a rule of the database.")  # the cause (chained) names it
    if isinstance(error, pg_errors.DeadlockDetected):
        return deadlocked()
    if isinstance(error, _BUSY):
        return busy()
    if isinstance(error, psycopg.DataError | UnicodeEncodeError):
        return ValidationFailed.one(
            kind, "contains a value the database cannot store (such as a NUL character in text)"
        )
    if isinstance(error, PoolClosed):
        return RuntimeError("the store is closed")
    if isinstance(error, PoolTimeout):
        return DatabaseUnavailable("Every database connection stayed busy; retry shortly.")
    if isinstance(error, pg_errors.DiskFull):  # SQLSTATE 53100: the transaction is rolled back
        return StoreFull()
    if isinstance(error, psycopg.OperationalError | psycopg.InterfaceError):
        return DatabaseUnavailable()
    return RuntimeError(f"PostgreSQL refused a statement of the hours adapter: {error}")
