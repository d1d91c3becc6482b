"""PostgreSQL's identity signal: LISTEN/NOTIFY tells every process of the database about a change
of an org, a user or a token, so that their authentication caches drop it well before their ttl."""

from __future__ import annotations

import logging
import os
import resource
import socket
import threading
from collections.abc import Iterator

import attrs
import psycopg
import pytest
from litestar.testing import TestClient

from hours_app.composition import build
from hours_app.settings import DatabaseUrl, Settings
from hours_core.model import Plan, Role
from hours_http import create_app
from hours_postgres import PostgresStore, connection, identity_signal
from hours_postgres.connection import ConnectionSettings
from hours_postgres.identity_signal import (
    ACK_CHANNEL,
    CHANNEL,
    NotifiedIdentitySignal,
    channel_of,
    listeners_key,
)
from tests.polling import eventually
from tests.postgres_support import empty_postgres_store, run_store
from tests.postgres_url import new_schema_name, require_postgres, url_with_search_path


@pytest.fixture
def pg() -> Iterator[PostgresStore]:
    with empty_postgres_store():
        yield run_store()


@pytest.fixture
def other(pg: PostgresStore) -> Iterator[PostgresStore]:
    """Another process's store on the same schema."""
    store = PostgresStore.open(require_postgres(), schema=pg.schema)
    try:
        yield store
    finally:
        store.close()


def listening(signal: NotifiedIdentitySignal) -> int:
    """The signal's mark once its listening connection is open."""
    signal.current()
    assert eventually(signal.listening.is_set)
    return signal.current()


def test_the_channel_is_the_databases_or_the_schemas(pg: PostgresStore) -> None:
    assert pg.identity_signal().channel == f"{CHANNEL}_{pg.schema}"
    assert channel_of(attrs.evolve(pg.settings, schema=None)) == CHANNEL


def test_another_processs_move_reaches_this_one(pg: PostgresStore, other: PostgresStore) -> None:
    mark = listening(other.identity_signal())
    pg.identity_signal().move()
    assert eventually(lambda: other.identity_signal().current() != mark)


def settled(signal: NotifiedIdentitySignal) -> int:
    """The signal's mark once no notification waits unread (two looks a moment apart agree)."""
    marks: list[int] = []

    def still() -> bool:
        marks.append(signal.current())
        return len(marks) > 5 and marks[-1] == marks[-6]

    assert eventually(still)
    return marks[-1]


def test_a_process_counts_its_own_notification_once_it_is_read(
    pg: PostgresStore, other: PostgresStore
) -> None:
    mine, theirs = pg.identity_signal(), other.identity_signal()
    mark = listening(mine)
    mine.move()  # counted at once, by the move itself
    assert mine.current() in (mark + 2, mark + 3)  # + 1 while it waits unread on the socket
    own = settled(mine)
    assert own == mark + 2  # read, it is not a change from elsewhere: the mark stays put
    theirs.move()
    assert eventually(lambda: mine.current() > own)


def test_a_notification_waiting_unread_moves_the_mark_at_once(pg: PostgresStore) -> None:
    """Before its listening thread reads it (the thread may wait for the interpreter lock while
    the process serves requests): data waiting on the listening socket counts as a change."""
    signal = pg.identity_signal()
    listening(signal)
    mark = settled(signal)
    waiting, writer = socket.socketpair()
    listening_socket = signal._socket
    try:
        signal._socket = waiting.fileno()  # stands in for the listening connection's socket
        assert signal.current() == mark  # nothing waits
        writer.send(b"N")
        assert signal.current() == signal.current() == mark + 1  # once, however often it is asked
        waiting.recv(1)  # read, as the listening thread would (it moves the mark for a notification)
        assert signal.current() == mark
    finally:
        signal._socket = listening_socket
        waiting.close()
        writer.close()


def test_a_notification_waiting_unread_counts_on_a_socket_numbered_above_1023(pg: PostgresStore) -> None:
    """A server process with hundreds of connections open may get such a socket for its listening
    connection; ``select`` refuses one (ValueError), and the look then always said a notification
    waited, even when none did."""
    signal = pg.identity_signal()
    listening(signal)
    mark = settled(signal)
    waiting, writer = socket.socketpair()
    high = 1500
    if resource.getrlimit(resource.RLIMIT_NOFILE)[0] <= high:
        pytest.skip(f"needs an open-files limit over {high} (ulimit -n)")
    os.dup2(waiting.fileno(), high)
    listening_socket = signal._socket
    try:
        signal._socket = high
        assert signal.current() == mark  # nothing waits
        writer.send(b"N")
        assert signal.current() == mark + 1
        waiting.recv(1)
        assert signal.current() == mark
    finally:
        signal._socket = listening_socket
        os.close(high)
        waiting.close()
        writer.close()


def test_a_notification_read_off_the_socket_and_not_counted_yet_moves_the_mark_at_once(
    pg: PostgresStore, other: PostgresStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The listening thread may take a notification off the socket and then wait for the
    interpreter lock before it counts it, while the process serves requests. Before, nothing showed
    it meanwhile (the socket was empty, the mark not moved yet): against two `hours serve`
    processes, a revoked token was served (and replayed) by the other process for up to three
    requests after `DELETE /tokens/{prefix}` answered, in 3 of 20 tries. The move, meanwhile,
    waits for the count."""
    signal = other.identity_signal()
    listening(signal)
    mark = settled(signal)
    count = signal._moved
    taken, go_on = threading.Event(), threading.Event()

    def held_up_count() -> int:  # the listening thread, held up between reading and counting
        taken.set()
        go_on.wait()
        return count()

    monkeypatch.setattr(signal, "_moved", held_up_count)
    monkeypatch.setattr(identity_signal, "ACK_WAIT_SECONDS", 60.0)
    mover = threading.Thread(target=pg.identity_signal().move)
    mover.start()
    try:
        assert eventually(taken.is_set)
        assert signal.current() == signal.current() == mark + 1
        assert mover.is_alive()  # not answered before the other process counted it
    finally:
        go_on.set()
        mover.join()
    assert settled(signal) == mark + 2  # counted once


def test_a_look_while_a_notification_is_answered_never_shows_the_mark_of_the_next_one(
    pg: PostgresStore, other: PostgresStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The listening thread counts a notification, then answers it, its reading flag set all along.
    A look then used to show the mark plus one, which was the very mark the next notification
    moved to: a cache that looked then took that next change for none, and served a token revoked
    after it (1 of 40 tries across two `hours serve` processes)."""
    signal = other.identity_signal()
    listening(signal)
    settled(signal)
    count = signal._moved
    counted, go_on = threading.Event(), threading.Event()

    def count_then_wait() -> int:  # the listening thread, held up after counting, before answering
        moved = count()
        counted.set()
        go_on.wait()
        return moved

    monkeypatch.setattr(signal, "_moved", count_then_wait)
    first = threading.Thread(target=pg.identity_signal().move)
    first.start()
    try:
        assert eventually(counted.is_set)
        seen = signal.current()  # what a cache looking now remembers
    finally:
        go_on.set()
        first.join()
    monkeypatch.setattr(signal, "_moved", count)
    pg.identity_signal().move()  # a revocation, say: answered once this process counted it
    assert signal._mark != seen


def test_once_a_move_returns_every_listening_process_has_counted_it(
    pg: PostgresStore, other: PostgresStore
) -> None:
    """Issue 12: a change holds on the very next request in another server process too. The mark
    itself has moved when the move returns: not only a notification on its way, which a look at the
    socket finds only once PostgreSQL has delivered it."""
    theirs = other.identity_signal()
    listening(theirs)
    settled(theirs)
    for _ in range(20):
        before = theirs._mark
        pg.identity_signal().move()
        assert theirs._mark > before


def listener_of(signal: NotifiedIdentitySignal) -> psycopg.Connection[tuple[object, ...]]:
    """A connection that listens on ``signal``'s channel as a server process does (its lock taken),
    but answers only when the test says so: another process, busy or stopped."""
    conn = psycopg.connect(url_with_search_path(require_postgres(), "public"), autocommit=True)
    conn.execute(f'LISTEN "{signal.channel}"')
    conn.execute("SELECT pg_advisory_lock_shared(%s::integer, %s::integer)", listeners_key(signal.channel))
    return conn


def test_a_move_waits_for_the_answer_of_every_listening_process(
    pg: PostgresStore, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(identity_signal, "ACK_WAIT_SECONDS", 60.0)
    with listener_of(pg.identity_signal()) as slow:
        mover = threading.Thread(target=pg.identity_signal().move)
        with caplog.at_level(logging.WARNING, logger="hours"):
            mover.start()
            (notification,) = slow.notifies(timeout=30, stop_after=1)
            assert mover.is_alive()  # the notification arrived; no answer yet
            slow.execute("SELECT pg_notify(%s, %s)", (ACK_CHANNEL, "another payload"))
            assert mover.is_alive()  # an answer to another move is not this one's
            slow.execute("SELECT pg_notify(%s, %s)", (ACK_CHANNEL, notification.payload))
            mover.join()
    assert "did not confirm" not in caplog.text


def test_a_move_stops_waiting_for_a_process_that_stops_listening(
    pg: PostgresStore, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(identity_signal, "ACK_WAIT_SECONDS", 60.0)
    slow = listener_of(pg.identity_signal())
    mover = threading.Thread(target=pg.identity_signal().move)
    with caplog.at_level(logging.WARNING, logger="hours"):
        mover.start()
        slow.notifies(timeout=30, stop_after=1)
        slow.close()  # the process stopped: its lock is gone, and nothing will answer
        mover.join()
    assert "did not confirm" not in caplog.text


def test_a_process_that_does_not_answer_in_time_is_logged_and_the_move_returns(
    pg: PostgresStore, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(identity_signal, "ACK_WAIT_SECONDS", 0.2)
    with listener_of(pg.identity_signal()) as stopped, caplog.at_level(logging.WARNING, logger="hours"):
        pg.identity_signal().move()
        backend = stopped.pgconn.backend_pid
    assert f"1 listening server process(es) (PostgreSQL backends {backend}) did not confirm" in caplog.text


def test_the_connection_of_a_move_goes_back_to_the_pool_not_listening(pg: PostgresStore) -> None:
    with listener_of(pg.identity_signal()) as peer:
        mover = threading.Thread(target=pg.identity_signal().move)
        mover.start()
        (notification,) = peer.notifies(timeout=30, stop_after=1)
        peer.execute("SELECT pg_notify(%s, %s)", (ACK_CHANNEL, notification.payload))
        mover.join()
    with pg._pool.connection() as conn:
        assert conn.execute("SELECT pg_listening_channels()").fetchall() == []


def test_a_process_not_listening_keeps_nothing_in_memory(pg: PostgresStore) -> None:
    """Before its listening connection is open (and while a lost one reconnects) no move waits for
    this process, so every look at its mark is a change: its cache serves nothing."""
    signal = NotifiedIdentitySignal(pg.settings, pg._pool)  # a process of its own
    signal._listener = threading.Thread(target=lambda: None)  # as if listening had been started
    assert signal.current() != signal.current()


def test_a_move_that_cannot_notify_is_logged_not_raised(caplog: pytest.LogCaptureFixture) -> None:
    store = PostgresStore.open(require_postgres())
    signal = store.identity_signal()
    store.close()  # its pool is closed: the NOTIFY cannot be sent
    with caplog.at_level(logging.WARNING, logger="hours"):
        signal.move()
    assert "could not notify other processes" in caplog.text


def test_a_deactivation_in_one_process_holds_in_another_long_before_its_cache_ages_out(
    pg: PostgresStore,
) -> None:
    assert pg.schema is not None
    url = DatabaseUrl.parse(url_with_search_path(require_postgres(), pg.schema))
    serving = build(Settings(database=url, auth_cache_seconds=60), migrate=False)  # a minute's cache
    changing = build(Settings(database=url, auth_cache_seconds=60), migrate=False)  # e.g. the CLI
    try:
        admin = changing.services.admin
        made = admin.bootstrap(org_name="Acme", plan=Plan.AGENCY, email="owner@example.com", env="live")
        member = admin.create_user(made.org.id, "m@example.com", Role.MEMBER)
        token = admin.mint_token(member.id, env="live", name="t").plaintext
        with TestClient(create_app(serving.services)) as client:
            auth = {"Authorization": f"Bearer {token}"}
            assert client.get("/me", headers=auth).status_code == 200  # now in the serving cache
            admin.deactivate_user(member.id)
            assert eventually(lambda: client.get("/me", headers=auth).status_code == 401)
    finally:
        serving.close()
        changing.close()


def test_a_listener_whose_connection_dies_reconnects_and_counts_it_as_a_change(
    pg: PostgresStore, other: PostgresStore
) -> None:
    signal = other.identity_signal()
    before = listening(signal)
    with psycopg.connect(require_postgres(), autocommit=True) as admin:
        killed = admin.execute("SELECT pg_terminate_backend(%s)", (signal._backend,)).fetchone()
    assert killed == (True,)  # the listening connection was there to kill
    assert eventually(lambda: not signal.listening.is_set())  # the thread noticed
    assert eventually(signal.listening.is_set)  # and listens again (after a second)
    moved = settled(signal)
    assert moved > before
    pg.identity_signal().move()  # and it hears notifications again
    assert eventually(lambda: signal.current() > moved)


def test_closing_the_store_stops_the_listener(pg: PostgresStore) -> None:
    store = PostgresStore.open(require_postgres(), schema=pg.schema)
    signal = store.identity_signal()
    listening(signal)
    store.close()
    assert eventually(lambda: not signal.listening.is_set())


def test_a_notification_that_came_with_the_listeners_lock_is_answered(pg: PostgresStore) -> None:
    """A notification that reaches a listening connection while it still waits for its lock's
    answer is read off the socket with that answer (psycopg keeps it aside), and the socket then
    shows nothing. A move that found the lock granted waited for an answer that never came (until
    some other notification arrived): a second, then a warning that the process did not confirm,
    whenever a server process (re)connected as a change was made. The listener now answers what
    came with its lock as soon as it listens."""
    quiet = attrs.evolve(pg.settings, schema=new_schema_name("quiet"))  # a channel nobody listens on
    signal = NotifiedIdentitySignal(quiet, pg._pool)  # a process of its own
    key = listeners_key(signal.channel)
    url = url_with_search_path(require_postgres(), "public")
    with psycopg.connect(url, autocommit=True) as mover, psycopg.connect(url, autocommit=True) as holder:
        mover.execute(f'LISTEN "{ACK_CHANNEL}"')
        holder.execute("SELECT pg_advisory_lock(%s::integer, %s::integer)", key)  # holds the lock's grant
        waiting = (
            "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
            " AND classid::bigint = %s AND objid::bigint = %s"
        )
        try:
            signal.current()  # starts listening: LISTEN, then the lock, which waits for the holder
            assert eventually(lambda: holder.execute(waiting, key).fetchone() is not None)
            (backend,) = holder.execute(waiting, key).fetchone() or ()
            mover.execute("SELECT pg_notify(%s, %s)", (signal.channel, "elsewhere:1"))
            holder.execute("SELECT pg_advisory_unlock(%s::integer, %s::integer)", key)
            assert eventually(signal.listening.is_set)
            answers: list[tuple[int, str]] = []

            def answered() -> bool:
                answers.extend((n.pid, n.payload) for n in mover.notifies(timeout=0))
                return (backend, "elsewhere:1") in answers

            assert eventually(answered)
        finally:
            signal.close()


class _PausedSet(threading.Event):
    """An event whose ``set`` waits until the test lets it go on (the listening thread, held up)."""

    def __init__(self) -> None:
        super().__init__()
        self.reached, self.go_on = threading.Event(), threading.Event()

    def set(self) -> None:
        self.reached.set()
        self.go_on.wait()
        super().set()


def test_a_look_once_the_process_listens_differs_from_every_look_before(
    pg: PostgresStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before its listening connection is open, a process's looks are all new marks, and no move
    waits for it; once it listens, the mark it shows must differ from every one of them. The mark
    used to move only after the socket showed: a look in between was the last look before it, so a
    lookup that began before the process listened (and read the store before a change no move waited
    for) was kept, and served after the change was answered."""
    connected = threading.Event()
    real_connect = connection.connect

    def held_connect(settings: ConnectionSettings) -> psycopg.Connection[tuple[object, ...]]:
        connected.wait()
        return real_connect(settings)

    monkeypatch.setattr(identity_signal, "connect", held_connect)
    signal = NotifiedIdentitySignal(pg.settings, pg._pool)  # a process of its own
    signal.listening = paused = _PausedSet()
    try:
        before = signal.current()  # not listening yet: its connection waits
        connected.set()
        assert eventually(paused.reached.is_set)  # it listens, and says so
        assert signal.current() != before
    finally:
        paused.go_on.set()
        signal.close()


def test_a_process_whose_listening_connection_broke_keeps_nothing_in_memory_at_once(
    pg: PostgresStore, other: PostgresStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Once the listening connection's backend is gone, no move waits for this process: it leaves
    ``pg_locks`` with the backend. Until its listening thread noticed (it may wait for Python's
    interpreter lock while the process serves requests), every look showed the same mark (the
    closing socket counted as one notification on its way), so a token read before a revocation
    that committed meanwhile was kept and served after the revocation was answered. A look now
    finds the connection closing, and is a change each time, as while it reconnects."""
    signal = other.identity_signal()
    listening(signal)
    settled(signal)
    real_readable = identity_signal._readable
    held, noticed, go_on = threading.Event(), threading.Event(), threading.Event()

    def held_up_wait(socket: int, timeout: float) -> bool:  # the listening thread's wait only
        readable = real_readable(socket, timeout)
        if timeout > 0 and held.is_set() and readable:
            noticed.set()
            go_on.wait()
        return readable

    monkeypatch.setattr(identity_signal, "_readable", held_up_wait)
    held.set()
    try:
        with psycopg.connect(require_postgres(), autocommit=True) as admin:
            backend = signal._backend
            assert admin.execute("SELECT pg_terminate_backend(%s)", (backend,)).fetchone() == (True,)
            assert eventually(noticed.is_set)  # the thread woke up, and has not read the socket yet
            gone = "SELECT count(*) FROM pg_locks WHERE pid = %s"
            assert eventually(lambda: admin.execute(gone, (backend,)).fetchone() == (0,))
        assert signal.current() != signal.current()
    finally:
        go_on.set()
    assert eventually(signal.listening.is_set)  # and it listens again


def test_no_schemas_channel_is_the_channel_of_the_answers(pg: PostgresStore) -> None:
    """The answers went on ``hours_identity_ack``, which is also the channel of a store in the
    schema ``ack``: such a store counted every answer of every move in the database as a change and
    answered it again, on the channel it listens on, so it heard its own answer and answered it
    again, forever (11,683 times a second after one answer, its cache never serving a token, until
    the process stopped). The answers' channel is none a store listens on."""
    assert ACK_CHANNEL not in {channel_of(attrs.evolve(pg.settings, schema=name)) for name in ("ack", "acks")}
    assert not ACK_CHANNEL.startswith(f"{CHANNEL}_")  # what every schema's channel starts with
    ack = NotifiedIdentitySignal(attrs.evolve(pg.settings, schema="ack"), pg._pool)
    try:
        listening(ack)
        before = settled(ack)
        with psycopg.connect(require_postgres(), autocommit=True) as peer:
            peer.execute("SELECT pg_notify(%s, %s)", (ACK_CHANNEL, "elsewhere:1"))  # some move's answer
        assert settled(ack) == before
    finally:
        ack.close()
