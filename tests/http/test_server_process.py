"""``hours serve`` as a real server process: bootstrap, serve, log time over HTTP, replay, stop.

Runs ``python -m hours_app`` with the interpreter running the tests, against a temporary SQLite
file, on a free port. Waits for ``/health`` with a bounded number of attempts; asserts nothing
about how long anything takes.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
import pytest

pytestmark = pytest.mark.slow

HEALTH_ATTEMPTS = 300
HEALTH_PAUSE_SECONDS = 0.1
KEY = "01ARZ3NDEKTSV4RRFFQ69G5FAV"


def hours_command(*argv: str) -> list[str]:
    return [sys.executable, "-m", "hours_app", *argv]


def clean_environment() -> dict[str, str]:
    return {name: value for name, value in os.environ.items() if not name.startswith("HOURS_")}


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@attrs.frozen
class Answer:
    status: int
    headers: dict[str, str]
    body: Any


def request(
    url: str, *, method: str = "GET", body: Any = None, headers: dict[str, str] | None = None
) -> Answer:
    data = None if body is None else json.dumps(body).encode()
    sent = {"Content-Type": "application/json", **(headers or {})} if data is not None else headers or {}
    outgoing = urllib.request.Request(url, data=data, method=method, headers=sent)
    try:
        with urllib.request.urlopen(outgoing, timeout=30) as response:
            return Answer(
                response.status, {k.lower(): v for k, v in response.headers.items()}, json.load(response)
            )
    except urllib.error.HTTPError as error:
        return Answer(error.code, {k.lower(): v for k, v in error.headers.items()}, json.load(error))


@attrs.frozen
class Server:
    base_url: str
    demo: dict[str, str]
    process: subprocess.Popen[bytes]
    stdout: Path
    stderr: Path

    def logs(self) -> str:
        return self.stdout.read_text() + self.stderr.read_text()


def wait_until_healthy(process: subprocess.Popen[bytes], base_url: str, stderr: Path) -> None:
    for _ in range(HEALTH_ATTEMPTS):
        if process.poll() is not None:
            pytest.fail(f"hours serve exited with {process.returncode}:\n{stderr.read_text()}")
        try:
            if request(f"{base_url}/health").status == 200:
                return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(HEALTH_PAUSE_SECONDS)
    pytest.fail(f"hours serve did not answer /health:\n{stderr.read_text()}")


def stop(process: subprocess.Popen[bytes]) -> int:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            return process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            return process.wait()
    return process.returncode


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    db = f"sqlite:///{tmp_path / 'hours.db'}"
    environment = clean_environment()
    bootstrapped = subprocess.run(
        hours_command("bootstrap", "--db", db, "--json"),
        capture_output=True,
        check=False,
        cwd=tmp_path,
        env=environment,
    )
    assert bootstrapped.returncode == 0, bootstrapped.stderr.decode()
    demo = json.loads(bootstrapped.stdout)
    port = free_port()
    stdout, stderr = tmp_path / "serve.out", tmp_path / "serve.err"
    with stdout.open("wb") as out, stderr.open("wb") as err:
        process = subprocess.Popen(
            hours_command("serve", "--db", db, "--port", str(port)),
            stdout=out,
            stderr=err,
            cwd=tmp_path,
            env=environment,
        )
    try:
        base_url = f"http://127.0.0.1:{port}"
        wait_until_healthy(process, base_url, stderr)
        yield Server(base_url=base_url, demo=demo, process=process, stdout=stdout, stderr=stderr)
    finally:
        stop(process)


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

    # uvicorn shuts down gracefully on SIGTERM, then re-raises the signal: -15 is a clean stop too.
    assert stop(server.process) in (0, -signal.SIGTERM)
    logs = server.logs()
    assert server.demo["token"] not in logs
    access = [json.loads(line) for line in server.stdout.read_text().splitlines()]
    posts = [line for line in access if line["method"] == "POST" and line["path"] == "/time-entries"]
    assert [line["status"] for line in posts] == [201, 201]
    assert all("authorization" not in json.dumps(line).lower() for line in access)
    app_log = server.stderr.read_text()
    assert re.search(r"hours \S+ starting", app_log)
    assert "/schema" in app_log and "SQLite at" in app_log and "token env: live" in app_log
    assert "Application shutdown complete" in app_log
    assert (
        "INFO uvicorn: Started server process" in app_log
    )  # uvicorn's "uvicorn.error" logger, named plainly
