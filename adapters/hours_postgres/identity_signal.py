"""The identity signal of a PostgreSQL database: ``LISTEN``/``NOTIFY`` between its processes.

Servers on PostgreSQL may run on several hosts, so no shared memory reaches them all; the database
does. A process that commits a change of an org, a user or a token sends ``NOTIFY`` on the store's
channel (``hours_identity``, or ``hours_identity_<schema>`` for a store in a schema of its own)
once the change is committed, before its request is answered. Every server process listens on that
channel with one connection of its own, outside the pool, in a background thread that moves the
process's mark for each notification; the authentication cache empties itself when it finds the
mark moved (:mod:`hours_core.services.identity_cache`).

How fast: PostgreSQL hands a notification to every listening session as the ``NOTIFY`` commits,
so another process normally has it within a millisecond, before a client that got the answer can
send it another request. The listening thread may not have read it yet (it waits for Python's
interpreter lock while the process serves requests), so :meth:`NotifiedIdentitySignal.current`
also looks at the listening connection's socket, without reading it: data waiting there counts as
a change at once. So does a notification the thread has taken off the socket and not counted yet
(it may wait for the interpreter lock between the two): the thread says it is reading before it
takes anything off the socket, and :meth:`~NotifiedIdentitySignal.current` looks at the socket
first, that flag next, the mark last, so a notification is always seen at one of the three. What remains is
the moment between the ``NOTIFY``'s commit and the notification reaching this process's socket
(on a busy host, sometimes longer than a client's next request takes). It is not a guarantee: what
bounds the staleness in every case is still the cache's ``ttl`` (``HOURS_AUTH_CACHE_SECONDS``),
which also covers a listening connection that failed. While it reconnects (every second), each
new connection counts as a change, since a notification sent meanwhile was lost.
"""

from __future__ import annotations

import logging
import secrets
import select
import threading

import psycopg
from psycopg import sql
from psycopg_pool import ConnectionPool

from hours_postgres.connection import Connection, ConnectionSettings, connect

__all__ = ["CHANNEL", "NotifiedIdentitySignal", "channel_of"]

CHANNEL = "hours_identity"

_WAIT_SECONDS = 0.5
"""How long the listening thread waits for notifications before it checks whether to stop."""
_RECONNECT_SECONDS = 1.0
_NOTIFY_WAIT_SECONDS = 2.0
"""The longest a ``NOTIFY`` waits for a pooled connection: its request is answered after it, and the
cache's ttl covers a notification that could not be sent."""

logger = logging.getLogger("hours")


def _readable(socket: int, timeout: float) -> bool:
    """Whether ``socket`` has bytes to read (or is closing) within ``timeout`` seconds. ``poll``, not
    ``select``: ``select`` refuses a descriptor numbered 1024 or more, which a server process with
    hundreds of connections open hands out."""
    poller = select.poll()
    poller.register(socket, select.POLLIN)
    return bool(poller.poll(timeout * 1000))


def _has_data(socket: int) -> bool:
    """Whether ``socket`` has bytes to read now (a notification the listening thread has not read);
    a socket that is closing counts too (a reconnection is a change anyway)."""
    try:
        return _readable(socket, 0)
    except (OSError, ValueError):
        return True


def channel_of(settings: ConnectionSettings) -> str:
    """The store's channel: one per database, or per schema for a store in a schema of its own
    (at most 63 characters, PostgreSQL's longest name)."""
    return CHANNEL if settings.schema is None else f"{CHANNEL}_{settings.schema}"[:63]


class NotifiedIdentitySignal:
    """An :class:`~hours_core.ports.IdentitySignal` over ``LISTEN``/``NOTIFY`` (see the module).

    The listening thread starts with the first :meth:`current` (so a CLI command, which only moves
    the mark, opens no listening connection); :meth:`close` stops it.
    """

    def __init__(self, settings: ConnectionSettings, pool: ConnectionPool[Connection]) -> None:
        self._settings = settings
        self._pool = pool
        self.channel = channel_of(settings)
        self._mark = 0
        self._origin = secrets.token_hex(8)
        """The payload of this process's notifications: its own are not a change from elsewhere."""
        self._lock = threading.Lock()
        self._listener: threading.Thread | None = None
        self._stop = threading.Event()
        self.listening = threading.Event()
        """Set while the listening connection is open (for tests and the startup log)."""
        self._socket: int | None = None
        """The listening connection's socket, while it is open."""
        self._reading = False
        """Set by the listening thread from before it takes data off the socket until it has
        counted the notifications in it."""

    def current(self) -> int:
        """This process's mark: moved by each notification, and by each (re)connection. While a
        notification waits unread on the listening connection (see the module), the mark it will
        move to: the change counts at once, and once only when the listening thread reads it."""
        if self._listener is None:
            self._start_listening()
        # In this order (see the module): the socket, then the reading flag, then the mark. A
        # notification not on the socket at the first look either came after it, or was taken off
        # before it: then the flag was set before, and is either still set at the second look, or
        # was cleared once the notification was counted, before the mark is read at the last.
        socket = self._socket
        on_socket = socket is not None and _has_data(socket)
        reading = self._reading
        mark = self._mark
        return mark + 1 if on_socket or reading else mark

    def move(self) -> None:
        """Notify every listening process (one pooled round trip). A failure is logged, not raised:
        the cache's ttl still bounds what other processes serve."""
        self._moved()
        try:
            with self._pool.connection(timeout=_NOTIFY_WAIT_SECONDS) as conn:
                conn.execute("SELECT pg_notify(%s, %s)", (self.channel, self._origin))
        except psycopg.Error as error:  # PoolTimeout and PoolClosed included
            logger.warning(
                "could not notify other processes of an identity change (they see it within the "
                "authentication cache's ttl): %s",
                " ".join(str(error).split()),
            )

    def close(self) -> None:
        """Stop the listening thread (within half a second)."""
        self._stop.set()

    def _start_listening(self) -> None:
        with self._lock:
            if self._listener is not None or self._stop.is_set():
                return
            self._listener = threading.Thread(
                target=self._listen, name="hours-identity-listener", daemon=True
            )
            self._listener.start()

    def _moved(self) -> None:
        with self._lock:
            self._mark += 1

    def _listen(self) -> None:
        listen = sql.SQL("LISTEN {}").format(sql.Identifier(self.channel))
        while not self._stop.is_set():
            try:
                with connect(self._settings) as conn:
                    conn.execute(listen)
                    self._socket = conn.pgconn.socket
                    self.listening.set()
                    self._moved()  # anything sent while nobody listened here counts as a change
                    while not self._stop.is_set():
                        self._read_notifications(conn)
            except (psycopg.Error, OSError, ValueError) as error:  # poll() on a closed socket too
                logger.warning(
                    "the identity listener lost its PostgreSQL connection (retrying in %.0f s): %s",
                    _RECONNECT_SECONDS,
                    " ".join(str(error).split()),
                )
            finally:
                self._socket = None
                self._reading = False
                self.listening.clear()
            self._stop.wait(_RECONNECT_SECONDS)

    def _read_notifications(self, conn: Connection) -> None:
        """Wait (at most :data:`_WAIT_SECONDS`) for the listening socket, then take what came off it
        and count each notification of another process. ``_reading`` is set before anything is
        taken off, so :meth:`current` sees a notification in between (see the module)."""
        pgconn = conn.pgconn
        if not _readable(pgconn.socket, _WAIT_SECONDS):
            return
        self._reading = True
        try:
            pgconn.consume_input()  # a lost connection raises OperationalError: the caller reconnects
            origin = self._origin.encode()
            while (notification := pgconn.notifies()) is not None:
                if notification.extra != origin:
                    self._moved()
        finally:
            self._reading = False
