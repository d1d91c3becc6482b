"""Idempotency across processes: real ``hours serve`` processes on one PostgreSQL database.

Fifty requests with one ``Idempotency-Key`` arrive at once, split across two server processes
(``hours serve --workers 2``, whose workers share one port, and two separate ``hours serve``
processes on two ports, where the split is exact). Exactly one time entry comes to exist; every
response is the 201 (first or replayed) or a 409 ``idempotency_request_in_progress``, never a
5xx. Each test gets its own schema; the servers reach it through the URL's libpq
``options=-csearch_path=...``. Waits are bounded (startup polls ``/health``) and the processes
are always stopped.
"""

from __future__ import annotations

import json
import os
import pathlib
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager, suppress
from typing import Any

import attrs
import httpx
import psycopg
import pytest

from hours_postgres import PostgresStore
from tests.postgres_url import new_schema_name, require_postgres, url_with_search_path

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

REQUESTS = 50
KEY = "0190d6a4-7c2e-7b8a-9f3e-5a6b7c8d9e0f"
STARTUP_WAIT = 90.0
"""How long a server may take to answer /health (a guard against hangs, not a performance bound)."""
REQUEST_TIMEOUT = 60.0
STOP_WAIT = 20.0


@attrs.frozen
class Database:
    """A migrated-on-demand schema of the test server, as the URL a server process takes."""

    url: str
    schema: str
    admin_url: str


@pytest.fixture
def database() -> Iterator[Database]:
    """A fresh schema for this test (created here, migrated by the CLI), dropped afterwards."""
    url = require_postgres()
    store = PostgresStore.open(url, schema=new_schema_name("mp"), max_size=1)
    assert store.schema is not None
    try:
        yield Database(url=url_with_search_path(url, store.schema), schema=store.schema, admin_url=url)
    finally:
        try:
            store.drop_schema()
        finally:
            store.close()


def hours_env(database: Database) -> dict[str, str]:
    """The environment of an ``hours`` process: this one's, without other HOURS_* settings."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("HOURS_")}
    env["HOURS_DATABASE_URL"] = database.url
    return env


def hours(database: Database, *args: str) -> Any:
    """Run an ``hours`` command to completion and return its JSON output."""
    done = subprocess.run(
        [sys.executable, "-m", "hours_app", *args, "--json"],
        env=hours_env(database),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, f"hours {' '.join(args)} failed:\n{done.stderr}"
    return json.loads(done.stdout)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def server(database: Database, logs: pathlib.Path, *, workers: int = 1) -> Iterator[str]:
    """An ``hours serve`` process (with its workers) until the block ends; yields its base URL."""
    port = free_port()
    log = (logs / f"serve-{port}.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "hours_app", "serve", "--port", str(port), "--workers", str(workers)],
        env=hours_env(database),
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group: stopping it stops its workers too
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_healthy(process, base, logs / f"serve-{port}.log")
        yield base
    finally:
        stop(process)
        log.close()


def wait_until_healthy(process: subprocess.Popen[bytes], base: str, log: pathlib.Path) -> None:
    deadline = time.monotonic() + STARTUP_WAIT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"hours serve exited with {process.returncode}:\n{log.read_text()}")
        try:
            if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    pytest.fail(f"hours serve did not answer {base}/health within {STARTUP_WAIT:.0f} s:\n{log.read_text()}")


def stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM the server's process group, then SIGKILL it if it lingers."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(STOP_WAIT)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(STOP_WAIT)
    with suppress(ProcessLookupError):  # workers that outlived their parent
        os.killpg(process.pid, signal.SIGKILL)


def send_at_once(bases: list[str], token: str, body: dict[str, Any]) -> list[httpx.Response]:
    """``REQUESTS`` identical keyed POSTs, released together, spread over ``bases`` in turn."""
    start = threading.Barrier(REQUESTS)
    headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": KEY}

    def send(n: int) -> httpx.Response:
        with httpx.Client(base_url=bases[n % len(bases)], timeout=REQUEST_TIMEOUT) as client:
            start.wait(REQUEST_TIMEOUT)
            return client.post("/time-entries", json=body, headers=headers)

    with ThreadPoolExecutor(max_workers=REQUESTS) as pool:
        return list(pool.map(send, range(REQUESTS)))


def stored_entries(database: Database) -> int:
    with psycopg.connect(database.admin_url) as conn:
        row = conn.execute(f'SELECT count(*) FROM "{database.schema}".time_entries').fetchone()
    assert row is not None
    return int(row[0])


def check_one_entry(database: Database, responses: list[httpx.Response]) -> None:
    statuses = sorted(response.status_code for response in responses)
    assert set(statuses) <= {201, 409}, statuses
    created = [response for response in responses if response.status_code == 201]
    assert created, statuses
    assert len({response.json()["data"]["id"] for response in created}) == 1
    assert len({response.content for response in created}) == 1
    for refused in (response for response in responses if response.status_code == 409):
        assert refused.json()["error"]["code"] == "idempotency_request_in_progress"
    assert stored_entries(database) == 1


@pytest.mark.parametrize("topology", ["one-serve-with-2-workers", "two-serve-processes"])
def test_one_key_sent_50_times_at_once_to_two_processes_creates_one_entry(
    database: Database, tmp_path: pathlib.Path, topology: str
) -> None:
    made = hours(database, "bootstrap")
    body = {"projectId": made["projectId"], "entryDate": "2026-03-02", "duration": "1h30m", "note": "once"}

    with ExitStack() as servers:
        if topology == "one-serve-with-2-workers":
            bases = [servers.enter_context(server(database, tmp_path, workers=2))]
        else:
            bases = [servers.enter_context(server(database, tmp_path)) for _ in range(2)]
        responses = send_at_once(bases, made["token"], body)

    check_one_entry(database, responses)
