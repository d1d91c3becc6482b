"""The composition root: settings in, a running set of services out.

:func:`open_store` opens the store a database URL names and applies pending migrations;
:func:`build` wires the core's services over it. Nothing here runs at import time.
"""

from __future__ import annotations

import logging
import os
import shutil
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import attrs

from hours_app.settings import DatabaseUrl, Settings, SettingsError
from hours_core.clock import SystemClock
from hours_core.errors import HoursError, StoreFull
from hours_core.ids import UuidV7Ids
from hours_core.ports import IdentitySignal, UnitOfWorkFactory
from hours_core.services import Services, build_services
from hours_core.services.dispatcher import DEFAULT_LEASE, WebhookDispatcher
from hours_core.services.installation import InstallationService
from hours_core.services.transactions import Transactions
from hours_core.subscriptions import UrlPolicy
from hours_exchange import FILE_FORMATS

if TYPE_CHECKING:
    import sqlite3

    from hours_app.dispatching import DispatcherLoop
    from hours_http.responses import RunWrite
    from hours_sqlite import SqliteStore

__all__ = [
    "Application",
    "OpenedStore",
    "StoreUnavailable",
    "build",
    "build_dispatcher",
    "open_store",
    "prepare_installation",
]

logger = logging.getLogger("hours")


class StoreUnavailable(RuntimeError):
    """The database cannot be opened or migrated; the message says why."""


@attrs.frozen
class OpenedStore:
    """An open store: its unit-of-work factory, what migrations ran, and how to close it."""

    kind: str
    unit_of_work: UnitOfWorkFactory
    applied_migrations: list[str]
    close: Callable[[], None]
    description: str
    reads_are_local: bool
    """Whether a read is a local lookup that never waits on the network (SQLite in WAL mode): then
    the HTTP app may run its per-request token and replay lookups on the event loop."""
    run_write: RunWrite | None = None
    """How a server runs its write requests off the event loop, if the store has its own way
    (SQLite: one writer thread that commits queued writes together); ``None``: a worker thread each."""
    identity_signal: IdentitySignal | None = None
    """The mark the store's processes share, moved by each change of an org, user or token (SQLite:
    a file beside the database; PostgreSQL: ``LISTEN``/``NOTIFY``); ``None``: other processes'
    changes reach the authentication cache within its ttl."""


def open_store(database: DatabaseUrl, settings: Settings, *, migrate: bool = True) -> OpenedStore:
    """Open the store at ``database`` and, unless told not to, apply its pending migrations."""
    if database.scheme == "sqlite":
        return _open_sqlite(database, settings, migrate=migrate)
    if database.scheme == "postgresql":
        return _open_postgres(database, migrate=migrate)
    raise SettingsError(f"unsupported database {database.redacted()!r}")


def _open_sqlite(database: DatabaseUrl, settings: Settings, *, migrate: bool) -> OpenedStore:
    import sqlite3

    from hours_sqlite import SqliteStore
    from hours_sqlite.migrations import NotAnHoursDatabase, refuse_another_applications

    path = database.sqlite_path
    if path.parent != path and not path.parent.exists():
        raise StoreUnavailable(f"cannot open {path}: the folder {path.parent} does not exist")
    store: SqliteStore | None = None
    pending: list[str] = []
    try:
        refuse_another_applications(path)
        store = SqliteStore.open(path, synchronous=settings.sqlite_synchronous)
        if migrate:
            pending = store.pending_migrations()
            applied = store.migrate()
        else:
            applied = []
    except NotAnHoursDatabase as error:
        if store is not None:
            store.close()
        raise StoreUnavailable(
            f"cannot open the SQLite database {path}: {error}: hours adds its tables only to a new or "
            "empty database or one of its own; point --db (or HOURS_DATABASE_URL) at one of those"
        ) from error
    except (sqlite3.Error, OSError, RuntimeError) as error:  # RuntimeError: SQLite refused WAL mode
        unwritable = _unwritable(path)
        if pending and store is not None and isinstance(error, sqlite3.Error) and not unwritable:
            store.close()
            raise StoreUnavailable(_migration_failed(path, pending, error)) from error
        reason = unwritable or _no_room(path, error)
        raise StoreUnavailable(f"cannot open the SQLite database {path}: {reason or error}") from error
    return OpenedStore(
        kind="sqlite",
        unit_of_work=store.unit_of_work,
        applied_migrations=applied,
        close=store.close,
        description=f"SQLite at {path.resolve()}",
        reads_are_local=True,
        run_write=store.write_queue().run,
        identity_signal=_sqlite_identity_signal(store),
    )


def prepare_installation(store: OpenedStore) -> None:
    """Store the installation's secrets that are missing (the key that signs list cursors), as
    ``hours serve`` starts and ``hours migrate`` ends, so that serving never has to write one: a
    list's first page with a next page works on a full disk too. Processes that prepare at once
    store one key. A store that refuses the write (a full disk, busy) is a warning, and the first
    such page stores the key once it can (503 until then)."""
    try:
        InstallationService(Transactions(store.unit_of_work), SystemClock()).prepare()
    except HoursError as error:
        if not error.transient:
            raise
        reason = "the database's disk is full" if isinstance(error, StoreFull) else error.message.rstrip(".")
        logger.warning(
            "cannot store the key that signs list cursors yet (%s); until it is stored, a list's first "
            "page that has a next page is answered 503 %s, and the first such page stores it",
            reason,
            error.code,
        )


def _migration_failed(path: Path, pending: list[str], error: sqlite3.Error) -> str:
    """What a migration that SQLite stopped did: the pending migrations run in one transaction, so
    nothing changed; a full disk says so and what to do."""
    told = f"cannot migrate the SQLite database {path} ({', '.join(pending)})"
    unchanged = "nothing was changed (the migrations roll back together)"
    if error.sqlite_errorname == "SQLITE_FULL":
        return (
            f"{told}: the disk is full ({error}); {unchanged}: free disk space beside the database "
            '(docs/operations.md, "Migrations and upgrades", says how much) and run it again'
        )
    return f"{told}: {error}; {unchanged}"


def _unwritable(path: Path) -> str | None:
    """Why hours cannot write the database at ``path``, when its folder or the file is read-only for
    this user (asked once opening failed: SQLite only says "attempt to write a readonly database"
    or "unable to open database file"); ``None`` when both are writable."""
    folder = path.parent
    if not os.access(folder, os.W_OK | os.X_OK):
        return (
            f"the folder {folder} is not writable by this user, and SQLite must create {path.name}-wal "
            f"and {path.name}-shm beside the database (WAL mode): let this user write to the folder, "
            "or move the database to a folder it can write"
        )
    if path.exists() and not os.access(path, os.W_OK):
        return f"the file {path} is read-only for this user: hours writes to its database (migrations too)"
    return None


_ROOM_BYTES = 1 << 20
"""Less free space than this beside the database, and an I/O error of SQLite opening it, is a full
disk: SQLite says only "disk I/O error" when it cannot grow the ``-shm`` file it maps."""


def _no_room(path: Path, error: BaseException) -> str | None:
    """Why hours cannot open the database at ``path`` when the disk holding it is full (asked once
    opening failed: SQLite says "database or disk is full", or only "disk I/O error" of the
    ``-shm`` file it creates beside it); ``None`` when there is room."""
    name = getattr(error, "sqlite_errorname", "")
    if name != "SQLITE_FULL" and not name.startswith("SQLITE_IOERR"):
        return None
    folder = path.parent
    try:
        free = shutil.disk_usage(folder).free
    except OSError:
        return None
    if name != "SQLITE_FULL" and free >= _ROOM_BYTES:
        return None
    return (
        f"the disk holding {folder} is full ({free:,} bytes free; SQLite said: {error}): SQLite writes "
        f"{path.name}-wal and {path.name}-shm beside the database as it opens it: free disk space "
        "there and run it again"
    )


def _sqlite_identity_signal(store: SqliteStore) -> IdentitySignal | None:
    """The file's identity signal; one that cannot be opened (a file of another user, a read-only
    folder) is a warning, and other processes' changes then reach this one within the cache's ttl."""
    try:
        return store.identity_signal()
    except OSError as error:
        logger.warning(
            "cannot open %s's identity signal (%s): token, user and org changes made by other "
            "processes hold here within HOURS_AUTH_CACHE_SECONDS, not at once",
            store.path,
            error,
        )
        return None


def _open_postgres(database: DatabaseUrl, *, migrate: bool) -> OpenedStore:
    try:
        from hours_postgres import PostgresStore  # type: ignore[attr-defined,unused-ignore]
    except ImportError as error:
        raise StoreUnavailable(f"the PostgreSQL adapter is not available: {error}") from error
    target = _postgres_target(database)
    try:
        store = PostgresStore.open(database.url)
        applied = store.migrate() if migrate else []
    except Exception as error:
        raise StoreUnavailable(f"cannot open PostgreSQL {target}: {error}") from error
    return OpenedStore(
        kind="postgresql",
        unit_of_work=store.unit_of_work,
        applied_migrations=applied,
        close=store.close,
        description=f"PostgreSQL {target}",
        reads_are_local=False,
        identity_signal=store.identity_signal(),
    )


POSTGRES_CONNECT_TIMEOUT_S = 10
"""How long the first connection waits for the server, unless the URL says (``connect_timeout``)."""

_REFUSED_CREDENTIALS = (
    "password authentication failed",
    "no password supplied",
    "authentication failed",
    "pg_hba.conf",
    'role "',
)
"""What libpq's reason says when the server was reached but refused who connected (its messages
carry no SQLSTATE before the connection exists)."""


def _postgres_target(database: DatabaseUrl) -> str:
    """Which database the URL leads to, as libpq resolved it (its defaults and ``PG*`` variables
    included): ``database hours on db.internal:5432 as hours, schema public (postgresql://...)``,
    never with the password. Connects once, before anything is migrated; a refusal says whether the
    server could not be reached or refused the credentials."""
    import psycopg
    from psycopg.conninfo import conninfo_to_dict

    try:
        given = conninfo_to_dict(database.url)
        timeout = {} if "connect_timeout" in given else {"connect_timeout": POSTGRES_CONNECT_TIMEOUT_S}
        with psycopg.connect(database.url, autocommit=True, **timeout) as conn:  # type: ignore[arg-type]
            row = conn.execute("SELECT current_schema()").fetchone()
            info = conn.info
            schema = row[0] if row and row[0] else "(none: no schema of its search_path exists)"
            return (
                f"database {info.dbname} on {info.host}:{info.port} as {info.user}, schema {schema} "
                f"({database.redacted()})"
            )
    except psycopg.Error as error:
        raise StoreUnavailable(_postgres_refusal(database, error)) from error


def _postgres_refusal(database: DatabaseUrl, error: Exception) -> str:
    """The error for a first connection that failed: credentials refused, another refusal of the
    server (a database that does not exist), or a server that could not be reached."""
    reason = " ".join(str(error).split())
    lowered = reason.lower()
    where = database.redacted()
    if any(mark in lowered for mark in _REFUSED_CREDENTIALS):
        return (
            f"PostgreSQL at {where} refused the credentials (check the user and password of the URL, "
            f"or PGPASSWORD / ~/.pgpass): {reason}"
        )
    if "fatal:" in lowered:
        return f"PostgreSQL at {where} refused the connection: {reason}"
    return f"cannot reach PostgreSQL at {where}: {reason}"


@attrs.frozen
class Application:
    """The wired services and the store under them."""

    services: Services
    store: OpenedStore
    settings: Settings

    def close(self) -> None:
        """Close the store."""
        self.store.close()


def build(settings: Settings, *, migrate: bool = True) -> Application:
    """Open the store, apply migrations, and wire the services."""
    store = open_store(settings.database, settings, migrate=migrate)
    if store.applied_migrations:
        logger.info("applied migrations to %s: %s", store.description, ", ".join(store.applied_migrations))
    from hours_http import JsonEventBodies

    services = build_services(
        store.unit_of_work,
        clock=SystemClock(),
        ids=UuidV7Ids(),
        bodies=JsonEventBodies(),
        env=settings.token_env,
        file_formats=FILE_FORMATS,
        url_policy=url_policy(settings),
        auth_cache_ttl=timedelta(seconds=settings.auth_cache_seconds),
        identity_signal=store.identity_signal,
    )
    return Application(services=services, store=store, settings=settings)


def url_policy(settings: Settings) -> UrlPolicy:
    """The operator's webhook URL rules (``HOURS_WEBHOOKS_ALLOW_HTTP``, ``HOURS_WEBHOOKS_ALLOW_PRIVATE``)."""
    return UrlPolicy(allow_http=settings.webhooks_allow_http, allow_private=settings.webhooks_allow_private)


def build_dispatcher(
    application: Application, *, lease: timedelta = DEFAULT_LEASE, poll: float = 1.0
) -> DispatcherLoop:
    """The webhook dispatcher's loop over the application's store: the HTTP sender with the operator's
    rules, and one dispatcher per file on SQLite (its lease), any number on PostgreSQL."""
    import random

    from hours_app.dispatching import DispatcherLoop
    from hours_http import JsonEventBodies
    from hours_webhooks import HttpWebhookSender

    settings = application.settings
    sender = HttpWebhookSender(
        allow_http=settings.webhooks_allow_http, allow_private=settings.webhooks_allow_private
    )
    dispatcher = WebhookDispatcher(
        application.services.transactions,
        application.services.clock,
        sender,
        random.random,
        ids=UuidV7Ids(),
        bodies=JsonEventBodies(),
        lease=lease,
    )
    return DispatcherLoop(dispatcher, single=application.store.kind == "sqlite", poll=poll)
