"""The identity signal of a PostgreSQL database: ``LISTEN``/``NOTIFY`` between its processes, each
notification confirmed by every listening process before the change is answered.

Servers on PostgreSQL may run on several hosts, so no shared memory reaches them all; the database
does. Every server process listens on the store's channel (``hours_identity``, or
``hours_identity_<schema>`` for a store in a schema of its own) with one connection of its own,
outside the pool, in a background thread that moves the process's mark for each notification of
another process; the authentication cache empties itself when it finds the mark moved
(:mod:`hours_core.services.identity_cache`). That connection also holds a shared session advisory
lock of the channel's (:func:`listeners_key`) while it listens, so ``pg_locks`` names every process
listening at any moment.

**A change holds on every process's next request.** A process that commits a change of an org, a
user or a token then, before its request is answered (:meth:`NotifiedIdentitySignal.move`):

1. listens on :data:`ACK_CHANNEL` on a pooled connection;
2. reads which backends hold the listeners' lock: the processes that may serve a token from memory;
3. sends ``NOTIFY`` on the store's channel, with a payload of its own (its origin and a number);
4. waits until each of those backends has sent that payload back on :data:`ACK_CHANNEL`. A
   listening thread does so only after it has moved its process's mark, so once every one has
   answered, every process empties its cache before it serves a token from memory again.

A process that starts listening after step 2 moves its own mark as it starts (anything sent while
it did not listen counts as a change), which is after the change committed, so it needs no answer
(the mark moves before the process shows as listening: no look from then on equals one from before);
a process whose listening connection is down does not serve tokens from memory at all
(:meth:`~NotifiedIdentitySignal.current` counts every look as a change until it listens again,
from the moment the socket shows the connection closing: the backend has left ``pg_locks`` then,
and its listening thread may not have noticed yet).
A process that stops listening while the mover waits (it stopped, or its connection broke) leaves
``pg_locks`` and is no longer waited for. What remains is a listening process that does not answer
within :data:`ACK_WAIT_SECONDS` (stopped by a debugger, a network partition that PostgreSQL has not
noticed yet): the move then logs a warning and returns, and the cache's ttl bounds what that
process serves (``HOURS_AUTH_CACHE_SECONDS``, one second by default, so with the default a second
wait already outlasts it). A change costs its request one round trip per listening process's
answer, a millisecond or two on one network; requests that change nothing wait for nothing.

Before it serves a token from memory, a process also looks whether a notification waits on its
listening connection's socket (its thread may wait for Python's interpreter lock while the process
serves requests), or has been taken off it and not counted yet: the thread says it is reading
before it takes anything off the socket, and :meth:`~NotifiedIdentitySignal.current` looks at the
socket first, that flag next, the mark last, so a notification is seen at one of the three. This
makes a change count in the listening process as early as possible; the answers of step 4 make it
certain.
"""

from __future__ import annotations

import itertools
import logging
import secrets
import select
import threading
import time
import zlib

import psycopg
from psycopg import sql
from psycopg_pool import ConnectionPool

from hours_postgres.connection import Connection, ConnectionSettings, connect

__all__ = [
    "ACK_CHANNEL",
    "ACK_WAIT_SECONDS",
    "CHANNEL",
    "NotifiedIdentitySignal",
    "channel_of",
    "listeners_key",
]

CHANNEL = "hours_identity"

ACK_CHANNEL = "hours_ack"
"""Where listening processes answer each notification, with its payload (one channel for every
schema of a database: a payload names the process that sent it and is never sent twice). Not
``hours_identity_<something>``: that is the channel of the store in the schema ``<something>``,
which would take every answer for a change and answer it again, its own answers included."""

ACK_WAIT_SECONDS = 1.0
"""How long a move waits for every listening process's answer before it logs a warning and returns."""

_ACK_POLL_SECONDS = 0.05
"""How often a move waiting for answers looks again at which processes still listen."""

_LISTENERS_KEY = 0x6C69736E
"""The first half of the listeners' advisory lock (``lisn`` in ASCII): see :func:`listeners_key`."""

_LISTENERS = (
    "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted AND objsubid = 2"
    " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
    " AND classid::bigint = %s AND objid::bigint = %s"
)
"""The backends holding the listeners' lock of a channel (a two-integer advisory key is
``objsubid`` 2 in ``pg_locks``, its halves ``classid`` and ``objid``)."""

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


_CLOSING = select.POLLHUP | select.POLLERR | select.POLLNVAL | select.POLLRDHUP
"""What ``poll`` reports of a connection that is closing (the server ended it, or it broke)."""


def _looked_at(socket: int) -> tuple[bool, bool]:
    """Whether ``socket`` has bytes to read now (a notification the listening thread has not read),
    and whether it is closing: its backend is gone then, from ``pg_locks`` too, and no move waits
    for this process any more, though its listening thread may not have noticed yet. A socket that
    cannot be looked at counts as closing."""
    poller = select.poll()
    try:
        poller.register(socket, select.POLLIN | select.POLLRDHUP)
        events = poller.poll(0)
    except (OSError, ValueError):
        return True, True
    revents = events[0][1] if events else 0
    return bool(revents), bool(revents & _CLOSING)


def listeners_key(channel: str) -> tuple[int, int]:
    """The two integers of the shared advisory lock every process listening on ``channel`` holds:
    :data:`_LISTENERS_KEY` and 31 bits of the channel's CRC-32 (positive, so that ``pg_locks``
    shows it as it is). Two channels sharing a key only make a move wait for the other's
    listeners, which answer nothing: the move then waits out :data:`ACK_WAIT_SECONDS`."""
    return _LISTENERS_KEY, zlib.crc32(channel.encode()) & 0x7FFF_FFFF


def channel_of(settings: ConnectionSettings) -> str:
    """The store's channel: one per database, or per schema for a store in a schema of its own
    (at most 63 characters, PostgreSQL's longest name)."""
    return CHANNEL if settings.schema is None else f"{CHANNEL}_{settings.schema}"[:63]


class NotifiedIdentitySignal:
    """An :class:`~hours_core.ports.IdentitySignal` over ``LISTEN``/``NOTIFY``, each move confirmed by
    every listening process (see the module).

    The listening thread starts with the first :meth:`current` (so a CLI command, which only moves
    the mark, opens no listening connection); :meth:`close` stops it.
    """

    def __init__(self, settings: ConnectionSettings, pool: ConnectionPool[Connection]) -> None:
        self._settings = settings
        self._pool = pool
        self.channel = channel_of(settings)
        self._mark = 0
        """Even: moved by two each time, so that a look while a notification is on its way (the mark
        plus one, odd) never equals a mark this process later moves to."""
        self._origin = secrets.token_hex(8)
        """The first part of this process's payloads: its own notifications are not a change from
        elsewhere, and need no answer."""
        self._moves = itertools.count(1)
        """The second part: every notification this process sends has a payload of its own."""
        self._lock = threading.Lock()
        self._listener: threading.Thread | None = None
        self._stop = threading.Event()
        self.listening = threading.Event()
        """Set while the listening connection is open (for tests and the startup log)."""
        self._socket: int | None = None
        """The listening connection's socket, while it is open."""
        self._backend: int | None = None
        """The listening connection's backend process id (a move does not wait for its own)."""
        self._reading = False
        """Set by the listening thread from before it takes data off the socket until it has
        counted the notifications in it."""

    def current(self) -> int:
        """This process's mark: moved by each notification of another process, and by each
        (re)connection. While a notification waits unread on the listening connection (see the
        module), the mark it will move to: the change counts at once, and once only when the
        listening thread reads it. While nothing listens (before the first connection, and while a
        lost one reconnects, from the moment its socket shows it closing), a new mark at every
        look: no move waits for this process then, so nothing it keeps in memory may be served."""
        if self._listener is None:
            self._start_listening()
        socket = self._socket
        if socket is None:
            return self._moved()
        # In this order (see the module): the socket, then the reading flag, then the mark. A
        # notification not on the socket at the first look either came after it, or was taken off
        # before it: then the flag was set before, and is either still set at the second look, or
        # was cleared once the notification was counted, before the mark is read at the last.
        on_socket, closing = _looked_at(socket)
        if closing:  # not listening any more, whether or not the thread has noticed: as below
            return self._moved()
        reading = self._reading
        mark = self._mark
        # Odd while a notification is on its way: a value the mark never takes. Were it even, it
        # could be the very mark a later notification moves to, which a cache that saw it then would
        # not take for a change (a first read moves the mark, the flag still set until its answer
        # is sent, showed the next one's mark early).
        return mark + 1 if on_socket or reading else mark

    def move(self) -> None:
        """Move this process's mark, notify every listening process, and wait until each has
        counted the change, at most :data:`ACK_WAIT_SECONDS` (see the module). A failure, or a
        process that does not answer in time, is logged, not raised: the cache's ttl still bounds
        what other processes serve."""
        self._moved()
        payload = f"{self._origin}:{next(self._moves)}"
        try:
            with self._pool.connection(timeout=_NOTIFY_WAIT_SECONDS) as conn:
                silent = self._notify_and_wait(conn, payload)
        except psycopg.Error as error:  # PoolTimeout and PoolClosed included
            logger.warning(
                "could not notify other processes of an identity change (they see it within the "
                "authentication cache's ttl): %s",
                " ".join(str(error).split()),
            )
            return
        if silent:
            logger.warning(
                "%d listening server process(es) (PostgreSQL backends %s) did not confirm an identity "
                "change within %.0f s; they see it within their authentication cache's ttl "
                "(HOURS_AUTH_CACHE_SECONDS)",
                len(silent),
                ", ".join(str(pid) for pid in sorted(silent)),
                ACK_WAIT_SECONDS,
            )

    def close(self) -> None:
        """Stop the listening thread (within half a second)."""
        self._stop.set()

    def _notify_and_wait(self, conn: Connection, payload: str) -> set[int]:
        """Steps 1 to 4 of the module on ``conn``; the backends that did not answer in time. ``conn``
        goes back to the pool as it came: not listening, with no notification kept."""
        ack_channel = sql.Identifier(ACK_CHANNEL)
        conn.execute(sql.SQL("LISTEN {}").format(ack_channel))
        try:
            waiting = self._listening_backends(conn)
            conn.execute("SELECT pg_notify(%s, %s)", (self.channel, payload))
            deadline = time.monotonic() + ACK_WAIT_SECONDS
            while waiting and (left := deadline - time.monotonic()) > 0:
                for answer in conn.notifies(timeout=min(left, _ACK_POLL_SECONDS), stop_after=1):
                    if answer.payload == payload:
                        waiting.discard(answer.pid)
                if waiting:  # a process that stopped listening will not answer: wait no more for it
                    waiting &= self._listening_backends(conn)
            return waiting
        finally:
            conn.execute(sql.SQL("UNLISTEN {}").format(ack_channel))
            for _ in conn.notifies(timeout=0):  # answers that came late: nobody reads them after
                pass

    def _listening_backends(self, conn: Connection) -> set[int]:
        """The backends of every process listening on the channel now, but this process's own."""
        rows = conn.execute(_LISTENERS, listeners_key(self.channel)).fetchall()
        return {int(row[0]) for row in rows} - {self._backend}

    def _start_listening(self) -> None:
        with self._lock:
            if self._listener is not None or self._stop.is_set():
                return
            self._listener = threading.Thread(
                target=self._listen, name="hours-identity-listener", daemon=True
            )
            self._listener.start()

    def _moved(self) -> int:
        with self._lock:
            self._mark += 2
            return self._mark

    def _listen(self) -> None:
        listen = sql.SQL("LISTEN {}").format(sql.Identifier(self.channel))
        while not self._stop.is_set():
            try:
                with connect(self._settings) as conn:
                    conn.execute(listen)
                    conn.execute(
                        "SELECT pg_advisory_lock_shared(%s::integer, %s::integer)",
                        listeners_key(self.channel),
                    )
                    # Anything sent while nobody listened here counts as a change; the mark moves
                    # before the socket shows, so that no look from now on equals one from before
                    # (a lookup that began before, and read the store before a change no move
                    # waited for, would otherwise be kept).
                    self._moved()
                    self._backend = conn.pgconn.backend_pid
                    self._socket = conn.pgconn.socket
                    try:
                        self.listening.set()
                        # What came with the answers of LISTEN and of the lock is off the socket
                        # already (psycopg keeps it aside): answer it now, not with the next arrival.
                        self._take_notifications(conn)
                        while not self._stop.is_set():
                            self._read_notifications(conn)
                    finally:
                        self._stopped_listening()  # before the socket closes: its number may be reused
            except (psycopg.Error, OSError, ValueError) as error:  # poll() on a closed socket too
                logger.warning(
                    "the identity listener lost its PostgreSQL connection (retrying in %.0f s): %s",
                    _RECONNECT_SECONDS,
                    " ".join(str(error).split()),
                )
            finally:
                self._stopped_listening()
            self._stop.wait(_RECONNECT_SECONDS)

    def _stopped_listening(self) -> None:
        self._socket = None
        self._backend = None
        self._reading = False
        self.listening.clear()

    def _read_notifications(self, conn: Connection) -> None:
        """Wait (at most :data:`_WAIT_SECONDS`) for the listening socket, then take what came off
        it (:meth:`_take_notifications`)."""
        if _readable(conn.pgconn.socket, _WAIT_SECONDS):
            self._take_notifications(conn)

    def _take_notifications(self, conn: Connection) -> None:
        """Take what came off the socket, and what psycopg kept aside from the answers of earlier
        statements: count each notification of another process, then answer it on
        :data:`ACK_CHANNEL` with its payload. ``_reading`` is set before anything is taken off, so
        :meth:`current` sees a notification in between (see the module); notifications that come
        while the answers are sent are taken in the same turn."""
        self._reading = True
        try:
            own = f"{self._origin}:"
            # A lost connection raises OperationalError here: the caller reconnects.
            while payloads := [n.payload for n in conn.notifies(timeout=0) if not n.payload.startswith(own)]:
                for _ in payloads:
                    self._moved()
                for payload in payloads:
                    conn.execute("SELECT pg_notify(%s, %s)", (ACK_CHANNEL, payload))
        finally:
            self._reading = False
