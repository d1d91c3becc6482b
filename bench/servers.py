"""Starting and stopping the servers under test, and reading their peak memory.

Every server of a run is started with the same settings, whichever app it serves:

* granian, as ``hours serve`` runs it (the default): the ASGI interface, ``--factory``, one worker,
  uvloop, HTTP/1 and ``hours serve``'s connection limits, granian's access log off (hours writes
  its own JSON access log), and the log configuration of
  :func:`hours_app.logging_setup.server_log_config` (written to a JSON file for the CLI), so the
  hours server writes one JSON access line per request, as in production. Its stdout (the access
  log) goes to a file.
* uvicorn (``--servers``), one process, ``--factory``, its access log off, no ``Server`` header,
  with the same log configuration: the stack ``hours serve`` ran before granian.
"""

from __future__ import annotations

import json
import os
import pathlib
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from typing import Any

from hours_app.logging_setup import server_log_config
from hours_app.settings import Settings

__all__ = [
    "CEILING_FACTORY",
    "HOURS_FACTORY",
    "SERVER_KINDS",
    "Server",
    "ServerKind",
    "free_port",
    "python_path",
]

HOURS_FACTORY = "hours_app.asgi:create_asgi_app"
CEILING_FACTORY = "bench.ceiling:create_app"
REPO = pathlib.Path(__file__).resolve().parent.parent
BIN = pathlib.Path(sys.executable).parent


@dataclass(frozen=True)
class ServerKind:
    """A server and its settings; ``name`` is how the suite's options and tables call it."""

    name: str
    server: str  # "uvicorn", "granian" or "hours-serve"
    loop: str
    http: str = ""
    options: tuple[str, ...] = ()
    """More command-line options (granian's tuning knobs)."""

    def command(
        self, factory: str, port: int, workdir: pathlib.Path, log_level: str, app_dir: pathlib.Path = REPO
    ) -> list[str]:
        """The command line that serves ``factory`` (imported from ``app_dir`` first) on ``port``."""
        log_config = workdir / f"server-log-{log_level}-{port}.json"
        log_config.write_text(json.dumps(log_config_of(app_dir, log_level)))
        if self.server == "hours-serve":
            if factory != HOURS_FACTORY:
                raise ValueError(f"hours serve serves the hours app only, not {factory}")
            # The database comes from HOURS_DATABASE_URL, as for the other kinds.
            command = [sys.executable, "-m", "hours_app", "serve", "--port", str(port)]
            return [*command, "--log-level", log_level, *self.options]
        if self.server == "uvicorn":
            return [
                str(BIN / "uvicorn"),
                "--factory",
                factory,
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--loop",
                self.loop,
                "--http",
                self.http,
                "--no-access-log",
                "--no-server-header",
                "--log-level",
                log_level,
                "--log-config",
                str(log_config),
                *(["--app-dir", str(app_dir)] if app_dir != REPO else []),
                *self.options,
            ]
        limits = Settings()  # hours serve's defaults
        return [
            str(BIN / "granian"),
            "--interface",
            "asgi",
            "--factory",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            "1",
            "--loop",
            self.loop,
            "--http",
            "1",
            "--no-ws",
            "--http1-header-read-timeout",
            str(round(limits.header_timeout * 1000)),
            "--http1-buffer-size",
            str(limits.max_header_bytes),
            "--backpressure",
            str(limits.max_connections),
            "--log-level",
            log_level,
            "--log-config",
            str(log_config),
            "--no-access-log",
            *self.options,
            factory,
        ]


SERVER_KINDS = {
    kind.name: kind
    for kind in (
        ServerKind("granian-uvloop", "granian", "uvloop"),
        ServerKind("uvicorn-uvloop-httptools", "uvicorn", "uvloop", "httptools"),
        ServerKind("uvicorn-asyncio-httptools", "uvicorn", "asyncio", "httptools"),
        ServerKind("uvicorn-uvloop-h11", "uvicorn", "uvloop", "h11"),
        ServerKind("uvicorn-asyncio-h11", "uvicorn", "asyncio", "h11"),
        ServerKind("granian-uvloop-st", "granian", "uvloop", options=("--runtime-mode", "st")),
        ServerKind("granian-uvloop-rust-tasks", "granian", "uvloop", options=("--task-impl", "rust")),
        ServerKind("hours-serve", "hours-serve", "uvloop"),
    )
}
"""The servers the suite knows; the first (the stack ``hours serve`` runs, with its settings) is the
default. ``hours-serve`` serves the hours app only, so it fits :mod:`bench.stack`, not the suite."""


def log_config_of(tree: pathlib.Path, log_level: str) -> dict[str, Any]:
    """The server log configuration of the hours in ``tree``, which names that tree's own classes.

    For this tree it is :func:`hours_app.logging_setup.server_log_config`; another tree (``--compare``)
    is asked in a subprocess that imports it, by whichever name it had then (``server_log_config``,
    or ``uvicorn_log_config`` before the move to granian).
    """
    if tree == REPO:
        return server_log_config(log_level)
    script = (
        "import json, sys; import hours_app.logging_setup as logs; "
        "make = getattr(logs, 'server_log_config', None) or logs.uvicorn_log_config; "
        "print(json.dumps(make(sys.argv[1])))"
    )
    done = run_in_tree(tree, script, log_level)
    config: dict[str, Any] = json.loads(done.stdout)
    return config


def run_in_tree(tree: pathlib.Path, script: str, *args: str) -> subprocess.CompletedProcess[str]:
    """Run a Python ``script`` (``python -c``) that imports hours from ``tree``; raise if it fails."""
    done = subprocess.run(
        [sys.executable, "-c", script, *args],
        cwd=tree,
        env={**os.environ, "PYTHONPATH": python_path(tree)},
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"python -c in {tree} failed:\n{done.stderr}")
    return done


def python_path(tree: pathlib.Path) -> str:
    """``PYTHONPATH`` that imports hours from ``tree`` (as the editable install does for this one)."""
    return os.pathsep.join(str(tree / folder) for folder in (".", "adapters", "entrypoints"))


def free_port() -> int:
    """A TCP port on the loopback interface that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Server:
    """A server process serving one app factory; use as a context manager."""

    kind: ServerKind
    factory: str
    health_path: str
    workdir: pathlib.Path
    env: dict[str, str] = field(default_factory=dict)
    log_level: str = "info"
    tree: pathlib.Path = REPO
    """The source tree to import hours from (another checkout, to compare against)."""
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """The base URL."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def command(self) -> list[str]:
        """The command line (for the report)."""
        return self.kind.command(self.factory, self.port, self.workdir, self.log_level, self.tree)

    def __enter__(self) -> Server:
        name = self.factory.split(":")[0].rsplit(".", 1)[-1] + f"-{self.port}"
        stdout = (self.workdir / f"{name}.stdout").open("wb")
        stderr = (self.workdir / f"{name}.stderr").open("wb")
        self.process = subprocess.Popen(
            self.command,
            cwd=self.tree,
            env={**os.environ, "PYTHONPATH": python_path(self.tree), **self.env},
            stdout=stdout,
            stderr=stderr,
            start_new_session=True,
        )
        stdout.close()
        stderr.close()
        deadline = time.monotonic() + 60
        while True:
            if self.process.poll() is not None:
                log = self.workdir / f"{name}.stderr"
                raise RuntimeError(f"{self.command[0]} exited with {self.process.returncode}; see {log}")
            try:
                with urllib.request.urlopen(self.url + self.health_path, timeout=2) as response:
                    if response.status == 200:
                        return self
            except OSError:
                pass
            if time.monotonic() > deadline:
                self.__exit__()
                raise RuntimeError(f"{self.command[0]} did not answer within 60 s")
            time.sleep(0.1)

    def __exit__(self, *_exc: object) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def pids(self) -> list[int]:
        """The server process and its descendants (worker processes, if any)."""
        assert self.process is not None
        found = [self.process.pid]
        for pid in found:
            for task in pathlib.Path(f"/proc/{pid}/task").glob("*"):
                try:
                    children = (task / "children").read_text().split()
                except OSError:
                    continue
                found.extend(int(child) for child in children if int(child) not in found)
        return found

    def pss_kib(self) -> int:
        """The sum of Pss (proportional set size: shared pages split among their sharers) over the
        server's processes, now, in KiB: what the server costs in memory, without counting the pages
        that a worker shares with its supervisor twice, as the sum of RSS does."""
        return self._summed("smaps_rollup", "Pss:")

    def peak_rss_kib(self) -> int:
        """The sum of VmHWM (peak resident set) over the server's processes, in KiB."""
        return self._summed("status", "VmHWM:")

    def _summed(self, proc_file: str, field_name: str) -> int:
        """The sum of one ``/proc/<pid>/<proc_file>`` field (in kB) over the server's processes."""
        total = 0
        for pid in self.pids():
            try:
                lines = pathlib.Path(f"/proc/{pid}/{proc_file}").read_text().splitlines()
            except OSError:
                continue
            total += sum(int(line.split()[1]) for line in lines if line.startswith(field_name))
        return total


def wrk_available() -> str:
    """The path of wrk, or a clear error."""
    path = shutil.which("wrk")
    if path is None:
        raise SystemExit("wrk is not installed (apt-get install wrk)")
    return path
