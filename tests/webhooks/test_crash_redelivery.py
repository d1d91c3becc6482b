"""At least once, never lost: ``hours worker`` killed with SIGKILL mid-delivery, and the delivery made
again by the next worker; ``hours serve`` delivering by itself (its background dispatcher); and two
workers on PostgreSQL sharing the work, each delivery made once, in order per webhook."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from litestar.testing import TestClient

from hours_app.asgi import create_api
from hours_core.services import CreateWebhook
from hours_core.services.caller import Caller
from hours_core.subscriptions import DeliveryStatus, UrlPolicy, Webhook
from hours_postgres import PostgresStore
from hours_sqlite import SqliteStore
from tests.postgres_url import new_schema_name, require_postgres, url_with_search_path
from tests.webhooks.receiver import Receiver, Reply
from tests.world import World, make_world

GUARD_SECONDS = 120
"""How long a wait for the other process gives up after (a guard against hangs, not a time limit)."""


def wait_for(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + GUARD_SECONDS
    while not condition():
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        time.sleep(0.05)


@pytest.fixture
def database(tmp_path: Path) -> Path:
    return tmp_path / "hours.db"


def worker(database: Path | str, *, lease_seconds: float = 2) -> subprocess.Popen[bytes]:
    url = database if isinstance(database, str) else f"sqlite:///{database}"
    env = {
        **os.environ,
        "HOURS_DATABASE_URL": url,
        "HOURS_WEBHOOKS_ALLOW_HTTP": "1",
        "HOURS_WEBHOOKS_ALLOW_PRIVATE": "1",
    }
    lease = ["--lease-seconds", f"{lease_seconds:g}"]
    command = [sys.executable, "-m", "hours_app", "worker", *lease, "--poll-seconds", "0.05"]
    return subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def wait_until_dispatching(process: subprocess.Popen[bytes]) -> list[bytes]:
    """Wait until the worker says it is dispatching, which it says once SIGTERM stops it cleanly
    (exit status 0), and return the lines of its standard error up to that one; the rest is
    drained from then on, so the pipe never fills."""
    dispatching = threading.Event()
    lines: list[bytes] = []

    def read() -> None:
        assert process.stderr is not None
        for line in process.stderr:
            if not dispatching.is_set():
                lines.append(line)
            if b"dispatching webhooks" in line:
                dispatching.set()

    threading.Thread(target=read, daemon=True).start()
    assert dispatching.wait(GUARD_SECONDS), "gave up waiting for the worker to start dispatching"
    return lines


@pytest.fixture
def stopped_at_the_end() -> Iterator[list[subprocess.Popen[bytes]]]:
    processes: list[subprocess.Popen[bytes]] = []
    yield processes
    for process in processes:
        if process.poll() is None:
            process.kill()
        process.wait()


@contextmanager
def subscribed(database: Path, receiver: Receiver) -> Iterator[tuple[World, Caller, Webhook]]:
    """A world on the migrated SQLite ``database``, its owner, and a webhook of every event sent to
    ``receiver``; the store is closed when the block ends."""
    store = SqliteStore.open(database)
    store.migrate()
    try:
        world = make_world(store.unit_of_work, url_policy=UrlPolicy(allow_http=True, allow_private=True))
        owner = world.caller(world.owner)
        webhook = world.services.webhooks.create(owner, CreateWebhook(url=receiver.url(), events=("*",)))
        yield world, owner, webhook
    finally:
        store.close()


def test_a_worker_killed_mid_delivery_leaves_the_event_to_be_delivered_again(
    database: Path, receiver: Receiver, stopped_at_the_end: list[subprocess.Popen[bytes]]
) -> None:
    with subscribed(database, receiver) as (world, owner, webhook):
        queued = world.services.webhooks.ping(owner, webhook.id)
    held = threading.Event()
    receiver.reply_with(Reply(hold=held))

    first = worker(database)
    stopped_at_the_end.append(first)
    wait_for(lambda: len(receiver.requests) == 1, "the first worker's request")
    first.send_signal(signal.SIGKILL)
    first.wait()
    receiver.reply_with(Reply(status=200))
    held.set()

    second = worker(database)
    stopped_at_the_end.append(second)
    wait_for(lambda: len(receiver.requests) == 2, "the delivery again, from the second worker")

    def delivered() -> bool:
        with SqliteStore.open(database) as reading, reading.unit_of_work(read_only=True) as uow:
            found = uow.deliveries.get(world.org.id, webhook.id, queued.id)
        return found is not None and found.status is DeliveryStatus.DELIVERED

    wait_for(delivered, "the delivery to be recorded")
    second.send_signal(signal.SIGTERM)
    assert second.wait(GUARD_SECONDS) == 0
    before, after = receiver.requests
    assert before.header("Hours-Event-Id") == after.header("Hours-Event-Id") == queued.event_id
    assert before.body == after.body


def test_a_worker_stopped_cleanly_hands_the_sqlite_lease_on_at_once(
    database: Path, receiver: Receiver, stopped_at_the_end: list[subprocess.Popen[bytes]]
) -> None:
    with subscribed(database, receiver) as (world, owner, webhook):
        world.services.webhooks.ping(owner, webhook.id)
        # An hour's lease: without the hand-over the second worker would send nothing for an hour.
        first = worker(database, lease_seconds=3600)
        stopped_at_the_end.append(first)
        wait_until_dispatching(first)
        wait_for(lambda: len(receiver.requests) == 1, "the first worker's delivery")
        first.send_signal(signal.SIGTERM)
        assert first.wait(GUARD_SECONDS) == 0

        second = worker(database, lease_seconds=3600)
        stopped_at_the_end.append(second)
        world.services.webhooks.ping(owner, webhook.id)
        wait_for(lambda: len(receiver.requests) == 2, "the second worker's delivery")
        second.send_signal(signal.SIGTERM)
        assert second.wait(GUARD_SECONDS) == 0


def test_the_api_server_delivers_by_itself(
    database: Path, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = SqliteStore.open(database)
    store.migrate()
    try:
        world = make_world(store.unit_of_work, url_policy=UrlPolicy(allow_http=True, allow_private=True))
        webhook = world.services.webhooks.create(
            world.caller(world.owner), CreateWebhook(url=receiver.url(), events=("project.*",))
        )
        # The world's clock stands still in the past; the server runs on the real one.
        token = world.services.admin.mint_token(world.owner.id, env="live", lifetime=None).plaintext
    finally:
        store.close()
    for name, value in {
        "HOURS_DATABASE_URL": f"sqlite:///{database}",
        "HOURS_WEBHOOKS_ALLOW_HTTP": "1",
        "HOURS_WEBHOOKS_ALLOW_PRIVATE": "1",
    }.items():
        monkeypatch.setenv(name, value)

    with TestClient(create_api()) as client:
        created = client.post(
            "/projects", json={"name": "Launch"}, headers={"Authorization": f"Bearer {token}"}
        )
        assert created.status_code == 201, created.text
        wait_for(lambda: len(receiver.requests) == 1, "the server's dispatcher to deliver")

    (request,) = receiver.requests
    assert request.header("Hours-Event-Type") == "project.created"
    body = request.body.decode()
    assert created.json()["data"]["id"] in body
    assert webhook.secret not in body


@pytest.mark.postgres
def test_two_workers_on_postgresql_make_each_delivery_once_in_order(
    receiver: Receiver, stopped_at_the_end: list[subprocess.Popen[bytes]]
) -> None:
    url = require_postgres()
    store = PostgresStore.open(url, schema=new_schema_name("hooks"), max_size=2)
    assert store.schema is not None
    try:
        store.migrate()
        world = make_world(store.unit_of_work, url_policy=UrlPolicy(allow_http=True, allow_private=True))
        owner = world.caller(world.owner)
        hooks = [
            world.services.webhooks.create(
                owner, CreateWebhook(url=receiver.url(path=f"/hook/{number}"), events=("project.created",))
            )
            for number in range(3)
        ]
        made = [world.services.projects.create_project(owner, f"Project {n}") for n in range(10)]
        workers = [worker(url_with_search_path(url, store.schema)) for _ in range(2)]
        stopped_at_the_end.extend(workers)
        wait_for(lambda: len(receiver.requests) >= len(hooks) * len(made), "every delivery")
        for process in workers:  # one may have delivered everything before the other was up
            wait_until_dispatching(process)
        for process in workers:
            process.send_signal(signal.SIGTERM)
            assert process.wait(GUARD_SECONDS) == 0
    finally:
        store.drop_schema()
        store.close()

    expected = [str(project.id) for project in made]
    for number in range(len(hooks)):
        received = [r for r in receiver.requests if r.target == f"/hook/{number}"]
        subjects = [json.loads(request.body)["subject"]["id"] for request in received]
        assert subjects == expected  # each once, in sequence order
