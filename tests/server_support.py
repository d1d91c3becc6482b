"""Real ``hours serve`` processes for tests: bootstrap a SQLite file, serve it on a free port, stop.

``python -m hours_app`` runs with the interpreter running the tests, in a clean environment (no
``HOURS_*`` variables of the caller). :func:`served` waits for ``/health`` with a bounded number of
attempts and asserts nothing about how long anything takes.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import attrs
import pytest

__all__ = [
    "Answer",
    "Server",
    "clean_environment",
    "free_port",
    "hours_command",
    "python_output",
    "raw_exchange",
    "request",
    "served",
    "stop",
    "wait_until_healthy",
]

HEALTH_ATTEMPTS = 1200
HEALTH_PAUSE_SECONDS = 0.1
"""How long a test waits for a started server to answer ``/health``: a guard against a server that
never comes up (2 minutes), not a limit on how fast it starts; a loaded machine took over 30 s."""


def hours_command(*argv: str) -> list[str]:
    return [sys.executable, "-m", "hours_app", *argv]


def clean_environment() -> dict[str, str]:
    return {name: value for name, value in os.environ.items() if not name.startswith("HOURS_")}


SCRIPT_PATIENCE_SECONDS = 120
"""How long :func:`python_output` lets a script run: a guard against one that hangs, not a limit."""


def python_output(script: str, *argv: str, env: dict[str, str] | None = None) -> str:
    """What ``python -c script argv...`` prints, run in a process of its own (with ``env``, if
    given); fails the test with its standard error if it does not exit 0."""
    ran = subprocess.run(
        [sys.executable, "-c", script, *argv],
        env=env,
        capture_output=True,
        text=True,
        timeout=SCRIPT_PATIENCE_SECONDS,
        check=False,
    )
    assert ran.returncode == 0, ran.stderr
    return ran.stdout


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
    port: int
    demo: dict[str, str]
    process: subprocess.Popen[bytes]
    stdout: Path
    stderr: Path

    def logs(self) -> str:
        return self.stdout.read_text() + self.stderr.read_text()

    def exit_status(self, within: float) -> int:
        """Its exit status once it has stopped; fails the test with its logs if it has not within
        ``within`` seconds (what it was doing is then in the failure, not lost with the folder)."""
        try:
            return self.process.wait(timeout=within)
        except subprocess.TimeoutExpired:
            pytest.fail(f"hours serve did not stop within {within} s; its logs:\n{self.logs()[-20_000:]}")

    def access_lines(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.stdout.read_text().splitlines() if line.strip()]


def raw_exchange(port: int, data: bytes, *, timeout: float = 30) -> bytes:
    """Send ``data`` on a new connection and return everything the server sends until it closes
    or ``timeout`` seconds pass without a byte (the status line is what the tests look at)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as connection:
        connection.sendall(data)
        received = b""
        while b"\r\n\r\n" not in received:
            chunk = connection.recv(65536)
            if not chunk:
                break
            received += chunk
        return received


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
            return process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            return process.wait()
    return process.returncode


@contextmanager
def served(
    folder: Path, *serve_options: str, bootstrap: Sequence[str] = (), process_group: bool = False
) -> Iterator[Server]:
    """``hours serve`` on a fresh SQLite file in ``folder`` with a demo organization, until the block
    ends; with ``process_group``, in a process group of its own (its id is the server's process id),
    which a terminal's Ctrl-C reaches as a whole."""
    db = f"sqlite:///{folder / 'hours.db'}"
    environment = clean_environment()
    bootstrapped = subprocess.run(
        hours_command("bootstrap", "--db", db, "--json", *bootstrap),
        capture_output=True,
        check=False,
        cwd=folder,
        env=environment,
    )
    assert bootstrapped.returncode == 0, bootstrapped.stderr.decode()
    demo = json.loads(bootstrapped.stdout)
    port = free_port()
    stdout, stderr = folder / "serve.out", folder / "serve.err"
    with stdout.open("wb") as out, stderr.open("wb") as err:
        process = subprocess.Popen(
            hours_command("serve", "--db", db, "--port", str(port), *serve_options),
            stdout=out,
            stderr=err,
            cwd=folder,
            env=environment,
            process_group=0 if process_group else None,
        )
    try:
        base_url = f"http://127.0.0.1:{port}"
        wait_until_healthy(process, base_url, stderr)
        yield Server(base_url=base_url, port=port, demo=demo, process=process, stdout=stdout, stderr=stderr)
    finally:
        stop(process)
