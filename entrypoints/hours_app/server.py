"""``hours serve``: the HTTP server stack, its connection limits, and how it starts and stops.

hours runs with no proxy in front, so the server protects itself at the connection level
(docs/operations.md, "The server: connection limits"):

- **header size**: a request line plus headers larger than ``--max-header-bytes`` (64 KiB) is
  answered ``431 Request Header Fields Too Large`` and the connection closed, before any of it
  reaches Python (checked after each read of at most that size, so never more than twice it);
- **header time**: a client that has not sent a complete request head within ``--header-timeout``
  seconds (10) is disconnected: a silent new connection, one that trickles its headers
  (slowloris), and an idle keep-alive connection between two requests alike;
- **connections**: each worker process holds at most ``--max-connections`` (512) connections; the
  next ones wait in the kernel's listen backlog until one closes.

uvicorn cannot do these (with httptools it has no header limit; it has no header timeout; its
``limit_concurrency`` answers 503 only once a request is complete, after its headers were read),
so ``hours serve`` runs granian: an HTTP/1.1 server in Rust (hyper on tokio) that calls the ASGI
app on a uvloop event loop, where each of the three limits is a setting. The measurements behind
the choice are in docs/performance.md ("Server stack").

``hours serve`` runs in two steps. :func:`serve` checks the settings and the address, applies
pending migrations and logs the startup lines; then it replaces itself (``exec``, same process
id) with the *supervisor*, ``python -m hours_app.supervisor`` and the :class:`ServerOptions` as
arguments, which imports granian and the logging setup only, starts the worker processes and
stops them on SIGTERM or Ctrl-C. Each worker imports the app and builds it from the ``HOURS_*``
environment (:func:`hours_app.asgi.create_asgi_app`). The supervisor stays small because it never
imports the app: the workers do not inherit what the migrations and the CLI loaded.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import ipaddress
import logging
import os
import signal
import socket
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from hours_app.logging_setup import LOG_LEVELS, server_log_config

if TYPE_CHECKING:
    from granian.server.common import AbstractServer
    from litestar.types import ASGIApp, Message, Receive, Scope, Send

    from hours_app.settings import Settings

__all__ = [
    "ASGI_FACTORY",
    "OPEN_FILES_MARGIN",
    "SHUTDOWN_SECONDS",
    "NamedServer",
    "ServerOptions",
    "base_url",
    "check_address_free",
    "granian_server",
    "listen_url",
    "serve",
    "supervise",
    "worker_app",
]

logger = logging.getLogger("hours")

ASGI_FACTORY = "hours_app.server:worker_app"
"""What each worker process serves: the app factory, called once per process (:func:`worker_app`)."""

SHUTDOWN_SECONDS = 30
"""On SIGTERM or Ctrl-C, how long requests in flight may take to finish before workers are killed."""

OPEN_FILES_MARGIN = 128
"""File descriptors a worker needs besides its connections: the database, logs, pipes, threads."""


@dataclass(frozen=True)
class ServerOptions:
    """What the supervisor needs to know: the address, the workers, the limits and the logging."""

    host: str
    port: int
    workers: int
    log_level: str
    json_lines: bool
    header_timeout: float
    max_header_bytes: int
    max_connections: int

    @classmethod
    def from_settings(cls, settings: Settings, *, json_lines: bool) -> ServerOptions:
        """The options ``hours serve`` runs the supervisor with."""
        return cls(
            host=settings.host,
            port=settings.port,
            workers=settings.workers,
            log_level=settings.log_level,
            json_lines=json_lines,
            header_timeout=settings.header_timeout,
            max_header_bytes=settings.max_header_bytes,
            max_connections=settings.max_connections,
        )

    def to_argv(self) -> list[str]:
        """The supervisor's command-line arguments (:meth:`from_argv` reads them back)."""
        return [
            f"--host={self.host}",
            f"--port={self.port}",
            f"--workers={self.workers}",
            f"--log-level={self.log_level}",
            f"--header-timeout={self.header_timeout!r}",
            f"--max-header-bytes={self.max_header_bytes}",
            f"--max-connections={self.max_connections}",
            *(["--json"] if self.json_lines else []),
        ]

    @classmethod
    def from_argv(cls, argv: Sequence[str]) -> ServerOptions:
        """The options from the supervisor's arguments, as :meth:`to_argv` writes them."""
        parser = argparse.ArgumentParser(prog="python -m hours_app.supervisor", description=__doc__)
        parser.add_argument("--host", required=True)
        parser.add_argument("--port", type=int, required=True)
        parser.add_argument("--workers", type=int, required=True)
        parser.add_argument("--log-level", choices=list(LOG_LEVELS), required=True)
        parser.add_argument("--header-timeout", type=float, required=True)
        parser.add_argument("--max-header-bytes", type=int, required=True)
        parser.add_argument("--max-connections", type=int, required=True)
        parser.add_argument("--json", action="store_true", dest="json_lines")
        return cls(**vars(parser.parse_args(argv)))

    def describe(self) -> str:
        """The server stack and its limits, for the startup log."""
        from importlib.metadata import version

        return (
            f"granian {version('granian')} (HTTP/1.1, {_loop_name()}); request head at most "
            f"{self.max_header_bytes} bytes, sent within {self.header_timeout:g} s; at most "
            f"{self.max_connections} connections per worker"
        )


def listen_url(settings: Settings) -> str:
    """``http://host:port`` of the address the server listens on (IPv6 hosts in brackets)."""
    return _http_url(settings.host, settings.port)


def base_url(settings: Settings | ServerOptions) -> str:
    """``http://host:port`` to open the server at from this machine: the listen address, but for a
    wildcard one (``0.0.0.0``, ``::``), which names no host to connect to, the loopback address of its
    family. The web app's cookies work over plain HTTP to a loopback host only (docs/web.md), so a
    person sent to ``http://0.0.0.0:8000/`` could not sign in."""
    host = settings.host
    with contextlib.suppress(ValueError):  # a name, not an address: as it is
        address = ipaddress.ip_address(host)
        if address.is_unspecified:
            host = "127.0.0.1" if address.version == 4 else "::1"
    return _http_url(host, settings.port)


def _http_url(host: str, port: int) -> str:
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def _loop_name() -> str:
    return "asyncio" if sys.platform == "win32" else "uvloop"  # uvloop does not exist on Windows


def serve(args: argparse.Namespace, settings: Settings) -> int:
    """Apply pending migrations, log where everything is, then become the supervisor until stopped."""
    import logging.config

    import attrs

    from hours_app.composition import open_store, prepare_installation
    from hours_app.settings import SettingsError
    from hours_app.version import hours_version
    from hours_http.body_deadline import DEFAULT_BODY_MIN_RATE

    if settings.log_level not in LOG_LEVELS:
        raise SettingsError(
            f"HOURS_LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}, got {settings.log_level!r}"
        )
    if settings.workers < 1:
        raise SettingsError(f"HOURS_WORKERS must be 1 or more, got {settings.workers}")
    port = check_address_free(settings)
    if port != settings.port:  # --port 0: the port the system picked, named by the logs, given to granian
        settings = attrs.evolve(settings, port=port)
    options = ServerOptions.from_settings(settings, json_lines=args.json)
    logging.config.dictConfig(server_log_config(options.log_level, json_lines=options.json_lines))
    store = open_store(settings.database, settings, migrate=True)
    try:
        applied = store.applied_migrations
        logger.info("hours %s starting", hours_version())
        logger.info("store: %s", store.description)
        logger.info("migrations: %s", ", ".join(applied) + " applied" if applied else "up to date")
        prepare_installation(store)  # before the workers: they read the key, never write it
    finally:
        store.close()
    base = base_url(settings)
    logger.info("token env: %s (tokens look like hsk_%s_...)", settings.token_env, settings.token_env)
    rate, failures = settings.parsed_rate_limit(), settings.parsed_auth_failure_limit()
    logger.info(
        "rate limit: %s; failed authentications: %s",
        f"{rate.limit} per {rate.window}s per user" if rate else "none",
        f"{failures.limit} per {failures.window}s per client address" if failures else "no limit",
    )
    logger.info(
        "server: %s; a request body may pause at most %g s, and must average %d bytes a second past that",
        options.describe(),
        settings.body_timeout,
        DEFAULT_BODY_MIN_RATE,
    )
    _ensure_open_files(settings.max_connections + OPEN_FILES_MARGIN)
    logger.info(
        "will listen on %s with %d worker%s (a ready line follows once %s)",
        listen_url(settings),
        settings.workers,
        "" if settings.workers == 1 else "s",
        "it serves" if settings.workers == 1 else "they serve",
    )
    logger.info(
        "web app: %s/ (sign in with the password of hours bootstrap or hours users set-password)", base
    )
    logger.info("API docs: %s/schema (OpenAPI JSON at %s/schema/openapi.json)", base, base)
    os.environ.update(settings.to_env())  # worker processes read their settings from here
    if os.name != "posix":  # no exec on Windows: supervise from this process
        return supervise(options.to_argv())
    for stream in (sys.stdout, sys.stderr):
        stream.flush()
    command = [sys.executable, "-m", "hours_app.supervisor", *options.to_argv()]
    os.execv(command[0], command)  # noqa: S606 - this interpreter, this package: nothing from outside
    raise AssertionError("unreachable: exec returns only by raising")


def supervise(argv: Sequence[str]) -> int:
    """The supervisor: serve with granian until SIGTERM or Ctrl-C; the exit status.

    It waits up to :data:`SHUTDOWN_SECONDS` for requests in flight before it kills a worker.
    """
    import logging.config

    from hours_app.readiness import announce_when_ready
    from hours_app.stop_signals import default_stop_signals_in_forked_children, note_the_first_stop

    options = ServerOptions.from_argv(argv)
    log_config = server_log_config(options.log_level, json_lines=options.json_lines)
    logging.config.dictConfig(log_config)
    default_stop_signals_in_forked_children()
    server = granian_server(options, log_config=log_config)
    announce_when_ready(options.workers, base_url(options), lambda pid: _worker_index(server, pid))
    # granian's startup sets its stop handlers, then runs the startup hooks, then starts the workers.
    server.on_startup(lambda: note_the_first_stop(_log_the_stop))
    try:
        server.serve()
    except SystemExit as stop:  # granian exits with 1 when a worker fails to start or dies
        return 0 if stop.code in (0, None) else 1
    return 0


def _worker_index(server: AbstractServer[Any], pid: int) -> int | None:
    """The index (0 for granian's worker-1) of ``server``'s worker process ``pid``, if it is one."""
    for worker in list(server.wrks):
        with contextlib.suppress(Exception):  # a worker not started yet has no process id
            if worker._id() == pid:
                return int(worker.idx)
    return None


def _log_the_stop(received: signal.Signals) -> None:
    logger.info(
        "hours serve: %s received, stopping: no new connections; the requests in flight have up to %d s "
        "to finish",
        received.name,
        SHUTDOWN_SECONDS,
    )


def granian_server(options: ServerOptions, *, log_config: dict[str, Any]) -> AbstractServer[Any]:
    """The granian server of ``options`` (configured, not started)."""
    from granian import Granian
    from granian.constants import HTTPModes, Interfaces, Loops
    from granian.http import HTTP1Settings
    from granian.log import LogLevels

    level = "debug" if options.log_level == "trace" else options.log_level  # granian has no trace
    return Granian(
        ASGI_FACTORY,
        factory=True,
        address=options.host,
        port=options.port,
        interface=Interfaces.ASGI,
        workers=options.workers,
        loop=Loops(_loop_name()),
        http=HTTPModes.http1,
        websockets=False,
        backpressure=options.max_connections,
        http1_settings=HTTP1Settings(
            header_read_timeout=max(1, round(options.header_timeout * 1000)),
            keep_alive=True,
            max_buffer_size=options.max_header_bytes,
        ),
        log_enabled=True,
        log_level=LogLevels(level),
        log_dictconfig=log_config,
        log_access=False,
        workers_kill_timeout=SHUTDOWN_SECONDS,
        # A worker that dies (SIGKILL, the out-of-memory killer, a crash) is replaced while the
        # others serve on; one that dies again within 5.5 s of its replacement stops the server
        # (granian's crash-loop rule), exit status 1.
        respawn_failed_workers=True,
    )


def worker_app() -> ASGIApp:
    """The app a worker process serves: the API with its access log (:func:`hours_app.asgi.create_asgi_app`),
    its responses named ``Server: hours``.

    First it makes sure the worker stops with its supervisor:

    - a worker starts with the supervisor's Python signal handlers, which only flag the
      supervisor's own loop, so a SIGTERM that reaches it before granian installs the worker's
      handlers would be lost and the worker would keep running; until then, SIGTERM gets its
      default action (the process ends: it has served nothing yet);
    - it ignores SIGINT: a terminal's Ctrl-C reaches every worker too, and stopping them is the
      supervisor's (which sends each SIGTERM once it is ready to, even in the middle of replacing
      them after a SIGHUP);
    - it asks the kernel to send it SIGTERM when its supervisor dies (Linux), so that a supervisor
      killed with SIGKILL leaves no worker behind serving on its own: the worker finishes its
      requests in flight and exits;
    - on uvloop, a stop signal that arrives while granian starts serving, between two runs of the
      loop, is sent again once the loop runs (:mod:`hours_app.stop_signals`): uvloop would lose it;
    - a second SIGTERM (systemd's default stop signals the whole group, then the supervisor does)
      does nothing: granian's handler would set its stop event again, which can block the worker
      for good (:func:`hours_app.stop_signals.set_the_stop_event_once`).

    Once the app is built, what the process holds then (modules, the app, its routes, its
    services) is left out of the garbage collector's later passes
    (:func:`hours_app.garbage.freeze_what_lasts`).
    Large blocks are always given back to the system when freed (:func:`_fix_mmap_threshold`).
    """
    from hours_app.asgi import create_asgi_app
    from hours_app.garbage import freeze_what_lasts
    from hours_app.stop_signals import (
        CatchStopSignals,
        set_the_stop_event_once,
        workers_stop_on_sigterm_alone,
    )

    workers_stop_on_sigterm_alone()
    set_the_stop_event_once()
    _stop_with_supervisor()
    _fix_mmap_threshold()
    app = create_asgi_app()
    freeze_what_lasts()
    return NamedServer(CatchStopSignals(app) if _loop_name() == "uvloop" else app)


class NamedServer:
    """ASGI middleware: every response says ``Server: hours``.

    granian adds ``server: granian`` to every response that has no ``Server`` header, and cannot be
    told not to; naming the product rather than the server stack tells a client nothing it could
    use (uvicorn sent no ``Server`` header at all).
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve through the wrapped app, adding the header to the response's start."""

        async def send_named(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", ()), _SERVER_HEADER]
            await send(message)

        await self.app(scope, receive, send_named)


_SERVER_HEADER = (b"server", b"hours")


def _stop_with_supervisor() -> None:
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    supervisor = os.getppid()
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM) != 0:
        logger.warning("cannot ask to stop with the supervisor: %s", os.strerror(ctypes.get_errno()))
    if os.getppid() != supervisor:  # it died before the request took effect
        os.kill(os.getpid(), signal.SIGTERM)


_PR_SET_PDEATHSIG = 1
"""prctl(2): the signal the calling process gets when its parent dies."""


def _fix_mmap_threshold() -> None:
    """Fix glibc's mmap threshold at its default, 128 KiB, so that every block at least that large
    is mapped on its own and unmapped when freed (mallopt(3), ``M_MMAP_THRESHOLD``).

    glibc raises the threshold each time it frees a mapped block (up to 32 MiB): after an import
    (its body spooled in memory up to 8 MiB, its batches, the table of the references it has seen)
    the next large blocks came from the heap, where freeing them left holes that glibc keeps. A
    worker grew from 70 to 126 MB over one import of 100,000 rows and to 136 MB over four, and
    stayed there; with the threshold fixed, 109 to 112 MB after each (docs/performance.md, "A worker's
    memory after an import"). A fixed threshold also keeps the trim threshold at its default
    (128 KiB), so free memory at the top of the heap goes back too. Nothing on other C libraries.
    """
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    mallopt = getattr(ctypes.CDLL(None), "mallopt", None)
    if mallopt is None or not hasattr(ctypes.CDLL(None), "gnu_get_libc_version"):
        return  # not glibc (musl has no such threshold to fix)
    if mallopt(_M_MMAP_THRESHOLD, _MMAP_THRESHOLD_BYTES) != 1:
        logger.warning("cannot fix the allocator's mmap threshold; memory freed after imports may stay")


_M_MMAP_THRESHOLD = -3
"""mallopt(3): the size from which glibc maps a block on its own (``M_MMAP_THRESHOLD``)."""

_MMAP_THRESHOLD_BYTES = 128 * 1024
"""glibc's default mmap threshold, fixed rather than left to grow."""


def check_address_free(settings: Settings) -> int:
    """Refuse to start, with a hint, when the server could not listen on the host and port: another
    program listens there, the host is not an address of this machine, or the port is privileged.
    Return the port: the one of the settings, or for port 0 the free one the system picked.

    The server would find out too, but only after the startup lines have said "will listen on ...".
    Binding a socket (with ``SO_REUSEADDR``, as the server does) and closing it again is the test.
    Port 0 is bound the same way, and the server then listens on the port the probe got: left to the
    server, the system's pick happened after the logs had said ``listening on http://127.0.0.1:0``
    (the line's wording then).
    """
    from hours_app.settings import SettingsError

    try:
        infos = socket.getaddrinfo(settings.host, settings.port, type=socket.SOCK_STREAM)
    except socket.gaierror as error:
        raise SettingsError(f"cannot listen on {settings.host!r}: {error.strerror}") from error
    family, kind, proto, _name, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as error:
            raise SettingsError(
                f"cannot listen on {listen_url(settings)}: {_bind_refusal(error, settings)}"
            ) from error
        port: int = probe.getsockname()[1]
        return port


def _bind_refusal(error: OSError, settings: Settings) -> str:
    """Why binding the host and port failed, and what to do: each cause has its own remedy (a taken
    port is not the same mistake as a host that is not this machine's, or a privileged port)."""
    if error.errno == errno.EADDRNOTAVAIL:
        return (
            f"{settings.host} is not an address of this machine; use --host 127.0.0.1 (this machine "
            "only), 0.0.0.0 (every address) or one of its own (or HOURS_HOST)"
        )
    if error.errno == errno.EACCES and 0 < settings.port < 1024:
        return (
            f"{error.strerror}; ports below 1024 need privileges this user lacks: pick a port from 1024 "
            "up with --port (or HOURS_PORT), and put a proxy or a port forward in front if it must be "
            "80 or 443"
        )
    if error.errno == errno.EADDRINUSE:
        return (
            f"{error.strerror}; is another server running there? Stop it, or pick another port with "
            "--port (or HOURS_PORT)"
        )
    return str(error.strerror)


def _ensure_open_files(needed: int) -> None:
    """Raise this process's open-files limit to ``needed`` if the hard limit allows (workers inherit it).

    Past the limit, accepting a connection fails (EMFILE): the connection cap is only a cap if a
    worker can hold that many. When the hard limit is lower, say so: the operator raises it.
    """
    try:
        import resource
    except ImportError:  # Windows: no such limit
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY or soft >= needed:
        return
    target = needed if hard == resource.RLIM_INFINITY else min(needed, hard)
    if target > soft:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        logger.info("open-files limit raised from %d to %d", soft, target)
    if target < needed:
        logger.warning(
            "the open-files limit (%d) is below --max-connections plus %d: raise it (ulimit -n) or "
            "lower --max-connections, or connections past it will fail",
            target,
            OPEN_FILES_MARGIN,
        )


if __name__ == "__main__":
    sys.exit(supervise(sys.argv[1:]))
