"""How many round trips a create and its replay make to PostgreSQL (docs/performance.md, "PostgreSQL:
round trips").

A round trip is a wait of the client for the server: a statement sent alone, or a pipeline up to
its sync, ends with the server's ``ReadyForQuery`` message, and the client sends again only after
it. The test puts a TCP proxy between the store and the server and counts the client's sends that
follow a ``ReadyForQuery``, whatever psycopg does inside (a nested pipeline, for one, syncs and
waits more than once; two syncs sent back to back are one wait).
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
from litestar.testing import TestClient

from hours_postgres import PostgresStore
from tests.http.conftest import bearer
from tests.postgres_support import empty_postgres_store, run_store
from tests.postgres_url import postgres_url
from tests.world import World, close_every_third_day, make_world

pytestmark = pytest.mark.postgres


class TurnCounter:
    """A TCP proxy to ``target`` that counts round trips over all its connections: each time the
    client sends after the server said ``ReadyForQuery`` (the end of a statement sent alone, or of
    a pipeline's sync), the client had waited for that answer."""

    def __init__(self, target: tuple[str, int]) -> None:
        self._target = target
        self._lock = threading.Lock()
        self.turns = 0
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:  # closed
                return
            server = socket.create_connection(self._target)
            answered = [True]  # whether the server said ReadyForQuery since the client last sent
            threading.Thread(
                target=self._pump, args=(client, server, self._sender(answered)), daemon=True
            ).start()
            threading.Thread(
                target=self._pump, args=(server, client, self._reader(answered)), daemon=True
            ).start()

    def _sender(self, answered: list[bool]) -> Callable[[bytes], None]:
        def sent(_data: bytes) -> None:
            with self._lock:
                if answered[0]:
                    self.turns += 1
                answered[0] = False

        return sent

    def _reader(self, answered: list[bool]) -> Callable[[bytes], None]:
        """A parser of the server's messages (type byte, then a 4-byte length that counts itself)
        that notes each ``Z``; the one-byte answer to the client's SSL request comes first."""
        buffer = bytearray()
        started = [False]

        def read(data: bytes) -> None:
            buffer.extend(data)
            if not started[0] and buffer[:1] in (b"N", b"S"):
                del buffer[:1]
            started[0] = True
            while len(buffer) >= 5:
                size = int.from_bytes(buffer[1:5], "big")
                if len(buffer) < 1 + size:
                    return
                if buffer[:1] == b"Z":
                    with self._lock:
                        answered[0] = True
                del buffer[: 1 + size]

        return read

    def _pump(self, source: socket.socket, sink: socket.socket, seen: Callable[[bytes], None]) -> None:
        try:
            while data := source.recv(65536):
                seen(data)
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for each in (source, sink):
                with contextlib.suppress(OSError):
                    each.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        self._listener.close()


@pytest.fixture
def counter() -> Iterator[TurnCounter]:
    url = urlsplit(postgres_url())
    proxy = TurnCounter((url.hostname or "127.0.0.1", url.port or 5432))
    yield proxy
    proxy.close()


@pytest.fixture
def world(counter: TurnCounter) -> Iterator[World]:
    """The run's schema through the proxy; the ``client`` of the conftest reads in a thread, as an
    app on PostgreSQL does."""
    with empty_postgres_store():
        url = urlsplit(postgres_url())
        netloc = url.netloc.rsplit("@", 1)[0] + "@" if "@" in url.netloc else ""
        proxied = url._replace(netloc=f"{netloc}127.0.0.1:{counter.port}").geturl()
        store = PostgresStore.open(proxied, schema=run_store().schema, max_size=1)
        try:
            yield make_world(store.unit_of_work)
        finally:
            store.close()


def create(client: TestClient[Any], world: World, key: str) -> Any:
    payload = {"projectId": str(world.project.id), "entryDate": "2026-03-02", "duration": "1h30m"}
    headers = {**bearer(world.owner_token), "Idempotency-Key": key}
    return client.post("/time-entries", json=payload, headers=headers)


def settled(counter: TurnCounter) -> None:
    """Wait until no round trip has happened for a while."""
    seen = -1
    while seen != counter.turns:
        seen = counter.turns
        time.sleep(0.3)


def turns_of(counter: TurnCounter, request: Any) -> tuple[int, Any]:
    before = counter.turns
    response = request()
    return counter.turns - before, response


def test_a_create_and_its_replay_make_the_documented_round_trips(
    client: TestClient[Any], world: World, counter: TurnCounter
) -> None:
    warm_up = str(uuid.uuid4())
    create(client, world, warm_up)  # the first write of a process runs its housekeeping
    create(client, world, warm_up)
    settled(counter)  # the token's last use, written in the background (not due again: the clock stands)
    key = str(uuid.uuid4())
    created, response = turns_of(counter, lambda: create(client, world, key))
    assert response.status_code == 201
    replayed, response = turns_of(counter, lambda: create(client, world, key))
    assert response.headers["idempotent-replayed"] == "true"
    world.services.idempotent.memory.clear()  # as in another process, which has not seen the key
    replayed_elsewhere, response = turns_of(counter, lambda: create(client, world, key))
    assert response.headers["idempotent-replayed"] == "true"
    # The token comes from the authentication cache; the record from the process's replay memory,
    # or from the claim's round trips where the process has not seen it complete.
    # A create reads its caller again once it holds the org's entry writes (a deactivation in
    # another process cannot cross it): the eighth.
    assert (created, replayed, replayed_elsewhere) == (8, 0, 2)


def test_a_lock_makes_as_many_round_trips_with_hundreds_of_closed_periods_as_with_one(
    client: TestClient[Any], world: World, counter: TurnCounter
) -> None:
    # An organization that closes every day (a nightly close) gains a period a day; its lock wrote
    # each period back in a round trip of its own, so a lock slowed down with every day closed.
    def lock(through: str) -> Any:
        body = {"through": through, "reason": "payroll"}
        return client.post("/periods/lock", json=body, headers=bearer(world.owner_token))

    assert lock("2026-01-01").status_code == 200  # the first write of a process runs its housekeeping
    settled(counter)
    with_one, response = turns_of(counter, lambda: lock("2026-01-02"))
    assert response.status_code == 200, response.text
    close_every_third_day(world, run_store().unit_of_work, 300)  # beside the proxy: not counted
    with_hundreds, response = turns_of(counter, lambda: lock("2026-01-03"))
    assert response.status_code == 200, response.text
    assert len(response.json()["data"]["periods"]) == 601  # the 300, the gaps it closed, the days to Jan 3
    assert with_hundreds == with_one
