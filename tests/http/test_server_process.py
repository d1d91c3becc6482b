"""``hours serve`` as a real server process: bootstrap, serve, log time over HTTP, replay, stop.

Runs ``python -m hours_app`` with the interpreter running the tests, against a temporary SQLite
file, on a free port. Waits for ``/health`` with a bounded number of attempts; asserts nothing
about how long anything takes.
"""

from __future__ import annotations

import json
import re
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.server_support import (
    Server,
    clean_environment,
    free_port,
    hours_command,
    request,
    served,
    stop,
    wait_until_healthy,
)

# The helpers live in tests/server_support.py; other tests still import them from here.
__all__ = ["clean_environment", "free_port", "hours_command", "request", "stop", "wait_until_healthy"]

pytestmark = pytest.mark.slow

KEY = "01ARZ3NDEKTSV4RRFFQ69G5FAV"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    with served(tmp_path) as running:
        yield running


def test_a_served_api_logs_time_and_replays_an_idempotent_request(server: Server) -> None:
    url = f"{server.base_url}/time-entries"
    headers = {"Authorization": f"Bearer {server.demo['token']}", "Idempotency-Key": KEY}
    entry = {"projectId": server.demo["projectId"], "entryDate": "2026-03-02", "duration": "1h30m"}

    first = request(url, method="POST", body=entry, headers=headers)
    assert first.status == 201, first.body
    created = first.body["data"]
    assert first.headers["location"] == f"/time-entries/{created['id']}"
    assert created["durationSeconds"] == 5400 and created["projectId"] == server.demo["projectId"]
    assert "idempotent-replayed" not in first.headers

    replay = request(url, method="POST", body=entry, headers=headers)
    assert replay.status == 201
    assert replay.headers["idempotent-replayed"] == "true"
    assert replay.body == first.body and replay.headers["location"] == first.headers["location"]

    assert stop(server.process) in (0, -signal.SIGTERM)  # a graceful stop
    logs = server.logs()
    assert server.demo["token"] not in logs
    access = [json.loads(line) for line in server.stdout.read_text().splitlines()]
    posts = [line for line in access if line["method"] == "POST" and line["path"] == "/time-entries"]
    assert [line["status"] for line in posts] == [201, 201]
    assert all("authorization" not in json.dumps(line).lower() for line in access)
    app_log = server.stderr.read_text()
    assert re.search(r"hours \S+ starting", app_log)
    assert "/schema" in app_log and "SQLite at" in app_log and "token env: live" in app_log
    assert re.search(r"INFO hours: server: granian \S+ \(HTTP/1\.1", app_log)  # the stack, named
    assert (
        "a request body may pause at most 30 s, and must average 500 bytes a second past that" in app_log
    )  # the body deadline, with the other limits
    assert "INFO granian: Started worker-1" in app_log  # granian's "_granian" logger, named plainly
    assert "INFO granian: Granian shutdown completed" in app_log
