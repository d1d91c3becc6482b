"""Logging for the command line and the server.

Two kinds of lines:

- *application logs* (logger ``hours``, and the server stack's: granian's ``_granian``, shown as
  ``granian``; uvicorn's ``uvicorn``/``uvicorn.error``, for the benchmarks): startup, migrations,
  shutdown, errors. Text on stderr by default (``2026-03-02T09:00:00Z INFO hours: ...``), or JSON
  lines with ``hours serve --json``.
- *access logs* (logger ``hours.access``): one JSON line per HTTP request on stdout, made by
  :class:`AccessLogMiddleware` and written in batches, within 0.1 s
  (:class:`~hours_app.access_lines.AccessLineHandler`). The server's own access log is switched
  off, because we choose the fields: method, path, query, status, bytes, duration, client address
  and user agent.

Everything a client controls is made safe before it is written (docs/operations.md, "Logs"):

- **no secrets**: no request header but ``User-Agent`` is ever read, so the ``Authorization``
  header cannot reach a log; anything shaped like a personal access token (``hsk_...``) is
  redacted from every field and every application log line, also when it was percent-encoded
  (``hsk%5Flive%5F...``, even twice), see :func:`redact`;
- **bounded size**: each client-controlled access field is cut to :data:`MAX_FIELD_CHARS`
  characters (the user agent to :data:`MAX_USER_AGENT_CHARS`), an application log message to
  :data:`MAX_MESSAGE_CHARS` and a traceback to :data:`MAX_TRACEBACK_CHARS`; a cut value ends with
  ``...[N chars]``, N being its length as sent;
- **client aborts are not errors**: a client that disconnects before it has sent its whole body
  gets one access line with status 499 (nginx's "client closed request") and ``"clientAbort":
  true``, at info level; the error the app raises when its body read fails is not logged (no
  stack trace, no 500 line), see :class:`ClientAbortFilter`.
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import msgspec

from hours_app.access_lines import AccessLineHandler
from hours_core.tokens import redact_tokens as redact
from hours_http.request_id import request_id_of

if TYPE_CHECKING:  # only types: the server's supervisor process imports this module without Litestar
    from litestar.types import ASGIApp, Message, Receive, ReceiveMessage, Scope, Send

__all__ = [
    "ACCESS_LOGGER",
    "CLIENT_ABORT_STATUS",
    "LOG_LEVELS",
    "MAX_FIELD_CHARS",
    "MAX_MESSAGE_CHARS",
    "MAX_TRACEBACK_CHARS",
    "MAX_USER_AGENT_CHARS",
    "AccessLogMiddleware",
    "ClientAbortFilter",
    "JsonLineFormatter",
    "TextFormatter",
    "cli_logging",
    "keeping_server_logging",
    "note_body_timeout",
    "note_response_stalled",
    "redact",
    "safe_field",
    "server_log_config",
]

ACCESS_LOGGER = "hours.access"

LOG_LEVELS = {
    "critical": logging.CRITICAL,
    "error": logging.ERROR,
    "warning": logging.WARNING,
    "info": logging.INFO,
    "debug": logging.DEBUG,
    "trace": 5,
}
"""The ``--log-level`` names (uvicorn's), and the numeric level of each."""

MAX_FIELD_CHARS = 1024
"""The longest path, query or method an access line holds; the rest is cut (``...[N chars]``)."""
MAX_USER_AGENT_CHARS = 256
"""The longest user agent an access line holds."""
MAX_MESSAGE_CHARS = 4096
"""The longest application log message (it may quote a path or other client input)."""
MAX_TRACEBACK_CHARS = 16384
"""The longest traceback of an application log line."""
CLIENT_ABORT_STATUS = 499
"""The status an access line gives a request whose client left before sending its whole body."""


def safe_field(text: str, limit: int = MAX_FIELD_CHARS) -> str:
    """A client-controlled value as a log may hold it: at most ``limit`` characters, tokens redacted.

    A longer value keeps its first ``limit`` characters (after redaction) and ends with
    ``...[N chars]``, N being its length as sent. Only the first ``limit`` + :data:`_TOKEN_SPAN`
    characters are looked at, so a huge value costs no more than a short one; a token that
    straddles the cut is redacted whole, and one that starts near the end of what is looked at can
    show at most its first characters (``hsk_``, its environment), never its secret, which is last.
    """
    if len(text) <= limit:
        return redact(text)
    return f"{redact(text[: limit + _TOKEN_SPAN])[:limit]}...[{len(text)} chars]"


_TOKEN_SPAN = 512
"""More than the longest token written three times percent-encoded (66 characters, 7 each)."""


def _logger_name(record: logging.LogRecord) -> str:
    """The logger's name, named plainly: granian's ``_granian`` (and its Rust modules' ``_granian.*``)
    as ``granian``, uvicorn's ``uvicorn.error`` (its general log, errors or not) as ``uvicorn``."""
    name = record.name
    if name == "_granian" or name.startswith("_granian."):
        return "granian"
    return "uvicorn" if name == "uvicorn.error" else name


def _timestamp(created: float) -> str:
    moment = datetime.fromtimestamp(created, UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


class TextFormatter(logging.Formatter):
    """``<UTC time> <LEVEL> <logger>: <message>``, one line per record (plus a traceback, if any)."""

    def format(self, record: logging.LogRecord) -> str:
        """The record as one human-readable line."""
        when, name = _timestamp(record.created), _logger_name(record)
        line = f"{when} {record.levelname} {name}: {_message(record)}"
        if record.exc_info:
            line = f"{line}\n{_traceback(self, record)}"
        return line


class JsonLineFormatter(logging.Formatter):
    """One JSON object per record: ``time``, ``level``, ``logger`` and ``message`` or the access fields."""

    def format(self, record: logging.LogRecord) -> str:
        """The record as one JSON line."""
        line = _line_head(record.created, record.levelname.lower(), _logger_name(record))
        access = getattr(record, "access", None)
        if isinstance(access, dict):
            line.update(access)
        else:
            line["message"] = _message(record)
        if record.exc_info:
            line["exception"] = _traceback(self, record)
        return _encode_line(line).decode()


def _write_direct(handler: AccessLineHandler, logger_name: str, fields: dict[str, Any]) -> None:
    """Hand ``handler`` the access line :class:`JsonLineFormatter` would make of the record of
    ``fields``, without the record; a failure is reported as a failed ``emit`` is, never raised (the
    request has been answered)."""
    line = {**_line_head(time.time(), "info", logger_name), **fields}
    try:
        handler.write_line(_encode_line(line).decode())
    except Exception:
        record = logging.LogRecord(logger_name, logging.INFO, __file__, 0, "request", None, None)
        handler.handleError(record)


def _line_head(created: float, level: str, logger_name: str) -> dict[str, Any]:
    """The members every JSON line starts with, in their order."""
    return {"time": _timestamp(created), "level": level, "logger": logger_name}


def _message(record: logging.LogRecord) -> str:
    return safe_field(record.getMessage(), MAX_MESSAGE_CHARS)


def _traceback(formatter: logging.Formatter, record: logging.LogRecord) -> str:
    assert record.exc_info is not None
    return safe_field(formatter.formatException(record.exc_info), MAX_TRACEBACK_CHARS)


_encode_line = msgspec.json.Encoder().encode
"""Compact JSON, UTF-8 as it is: one access line per request, so msgspec rather than ``json.dumps``."""


def server_log_config(level: str, *, json_lines: bool = False) -> dict[str, Any]:
    """A :func:`logging.config.dictConfig` for ``hours serve``, handed to the server (and its workers).

    Application logs go to stderr (text, or JSON lines when ``json_lines``); access logs go to
    stdout as JSON lines; the server's own access logger is silenced. The application handler
    drops the errors a client abort causes (:class:`ClientAbortFilter`). Configures granian's
    loggers (what ``hours serve`` runs) and uvicorn's (what the benchmarks compare it with).
    """
    numeric = LOG_LEVELS[level]
    silenced = {"handlers": [], "level": logging.CRITICAL + 1, "propagate": False}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "text": {"()": "hours_app.logging_setup.TextFormatter"},
            "json": {"()": "hours_app.logging_setup.JsonLineFormatter"},
        },
        "filters": {"client_abort": {"()": "hours_app.logging_setup.ClientAbortFilter"}},
        "handlers": {
            "app": {
                "class": "logging.StreamHandler",
                "formatter": "json" if json_lines else "text",
                "stream": "ext://sys.stderr",
                "filters": ["client_abort"],
            },
            "access": {
                "class": "hours_app.access_lines.AccessLineHandler",
                "formatter": "json",
                "stream": "ext://sys.stdout",
            },
        },
        "root": {"handlers": ["app"], "level": logging.WARNING},
        "loggers": {
            "hours": {"handlers": ["app"], "level": numeric, "propagate": False},
            ACCESS_LOGGER: {"handlers": ["access"], "level": numeric, "propagate": False},
            "_granian": {"handlers": ["app"], "level": numeric, "propagate": False},
            "granian.access": silenced,
            "uvicorn": {"handlers": ["app"], "level": numeric, "propagate": False},
            "uvicorn.error": {"level": numeric},
            "uvicorn.access": silenced,
        },
    }


@contextmanager
def keeping_server_logging() -> Iterator[None]:
    """Around making the ASGI apps of a server worker: leave its logging as :func:`server_log_config`
    set it.

    Making a Litestar app configures logging (its default ``LoggingConfig``): the root logger, and
    with it every library's logger that has no handler of its own (``psycopg``, ``psycopg.pool``,
    ...), then writes in Litestar's format (``WARNING - <time> - psycopg - ...``), not as text or
    JSON lines and without redaction. Leaving the block gives the root logger back its handlers and
    level, and has Litestar's own logger pass its records to them, so every application log line
    goes through hours' formatter (docs/operations.md, "Logs").
    """
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    try:
        yield
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
        litestar = logging.getLogger("litestar")
        litestar.handlers.clear()
        litestar.propagate = True


class _CurrentStderr(logging.Handler):
    """A handler that writes to whatever ``sys.stderr`` is now (it may be swapped, e.g. by pytest)."""

    def __init__(self, prefix: str) -> None:
        super().__init__()
        self.setFormatter(logging.Formatter(f"{prefix}: %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        """Write the record to the current stderr."""
        try:
            sys.stderr.write(redact(self.format(record)) + "\n")
        except Exception:
            self.handleError(record)


@contextmanager
def cli_logging(level: int = logging.INFO, *, prefix: str = "hours") -> Iterator[None]:
    """Show the ``hours`` logger's messages on stderr (``hours: ...``, or ``<prefix>: ...``: ``hours
    worker: ...``) while the block runs.

    The commands other than ``serve`` use this, so that e.g. applied migrations are reported
    without touching stdout, which holds the command's output (JSON with ``--json``). Leaving
    the block restores the logger, so calling :func:`hours_app.cli.main` in-process leaves no trace.
    """
    logger = logging.getLogger("hours")
    handler = _CurrentStderr(prefix)
    previous = logger.level
    logger.addHandler(handler)
    logger.setLevel(level)
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(previous)


@dataclass
class _Exchange:
    """What the access log learns about one request while it is served."""

    body_complete: bool = False
    client_aborted: bool = False
    body_timed_out: bool = False
    """The server stopped waiting for the body and answered 408 (:func:`note_body_timeout`)."""
    response_stalled: bool = False
    """The client stopped reading a streamed answer, which was abandoned (:func:`note_response_stalled`)."""


def note_body_timeout() -> None:
    """Mark the request being served as answered 408 for a body that stopped arriving
    (:class:`~hours_http.body_deadline.BodyDeadline`): its access line says ``"bodyTimeout": true``,
    and the errors the app then reports about the body it could not read are dropped, as for a
    client that left."""
    exchange = _CURRENT_EXCHANGE.get()
    if exchange is not None:
        exchange.body_timed_out = True


def note_response_stalled() -> None:
    """Mark the request being served as one whose streamed answer the client stopped reading, so
    that it was abandoned part-way and its connection closed
    (:class:`~hours_http.body_deadline.BodyDeadline`): its access line says ``"sendTimeout": true``
    beside the status the answer began with and the bytes handed to the server."""
    exchange = _CURRENT_EXCHANGE.get()
    if exchange is not None:
        exchange.response_stalled = True


_CURRENT_EXCHANGE: ContextVar[_Exchange | None] = ContextVar("hours_current_exchange", default=None)
"""The request being served in this context (tasks and threads started for it inherit it)."""


class ClientAbortFilter(logging.Filter):
    """Drops error records of a request whose client left before sending its whole body (or
    stopped sending it: :func:`note_body_timeout`).

    When a client disconnects in the middle of its body, reading the body fails and the app
    reports that as an unhandled error (with a stack trace and a 500 nobody receives). It is not a
    server error: the request's access line already says what happened (status 499,
    ``"clientAbort": true``), so this filter, on the application log handler, drops the error.
    Records of other requests, and records below ``ERROR``, pass.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        """False for an error record emitted while serving a request whose client aborted."""
        exchange = _CURRENT_EXCHANGE.get()
        gone = exchange is not None and (exchange.client_aborted or exchange.body_timed_out)
        return not (gone and record.levelno >= logging.ERROR)


class AccessLogMiddleware:
    """ASGI middleware: one JSON line per HTTP request on the ``hours.access`` logger.

    WebSocket traffic passes through untouched; the lifespan too, but for one thing: the lines
    still waiting in the access logger's handlers are written when the app has shut down. The
    only request header read is ``User-Agent``. A client that disconnects before its body is
    complete is logged as a client abort (status 499, ``"clientAbort": true``). What it is sent
    then is :class:`~hours_http.body_deadline.BodyDeadline`'s (inside this middleware): a 400 that
    goes nowhere, or reaches a client whose chunked body the server could not read (the server
    tells the app the same ``http.disconnect`` for both).
    """

    def __init__(self, app: ASGIApp, logger: logging.Logger | None = None) -> None:
        self.app = app
        self.logger = logger or logging.getLogger(ACCESS_LOGGER)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve the request through the wrapped app, then log it."""
        scope_type: str = scope["type"]
        if scope_type == "lifespan":
            await self.app(scope, receive, self._flushing_at_shutdown(send))
            return
        if scope_type != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        request_id = request_id_of(scope)  # first, so that the apps' copies of the scope share it
        status: int | None = None
        size = 0
        exchange = _Exchange()
        current = _CURRENT_EXCHANGE.set(exchange)

        async def receive_and_note() -> ReceiveMessage:
            message = await receive()
            if message["type"] == "http.request":
                exchange.body_complete = exchange.body_complete or not message.get("more_body", False)
            elif message["type"] == "http.disconnect" and not exchange.body_complete:
                exchange.client_aborted = True
            return message

        async def send_and_note(message: Message) -> None:
            nonlocal status, size
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body":
                size += len(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, receive_and_note, send_and_note)
        finally:
            if self.logger.isEnabledFor(logging.INFO):  # not with --log-level warning and above
                fields = _access_fields(scope, status, size, time.perf_counter() - started)
                fields["requestId"] = request_id
                if exchange.client_aborted:
                    fields["status"] = CLIENT_ABORT_STATUS
                    fields["clientAbort"] = True
                elif exchange.body_timed_out:
                    fields["bodyTimeout"] = True
                elif exchange.response_stalled:
                    fields["sendTimeout"] = True
                handler = self._direct_handler()
                if handler is None:
                    self.logger.info("request", extra={"access": fields})
                else:
                    _write_direct(handler, self.logger.name, fields)
            _CURRENT_EXCHANGE.reset(current)

    def _direct_handler(self) -> AccessLineHandler | None:
        """The access logger's handler, when the fields may go to it without a ``LogRecord``: it is
        the logger's only handler, an :class:`AccessLineHandler` with the JSON formatter taking info
        lines, and no filter or parent logger would see the record. Otherwise the line goes through
        :mod:`logging`."""
        logger = self.logger
        handlers = logger.handlers
        if len(handlers) != 1 or logger.propagate or logger.filters:
            return None
        handler = handlers[0]
        if type(handler) is not AccessLineHandler or handler.filters or handler.level > logging.INFO:
            return None
        return handler if type(handler.formatter) is JsonLineFormatter else None

    def _flushing_at_shutdown(self, send: Send) -> Send:
        """``send`` for the lifespan: the access lines still waiting are written before the server
        hears that the app has shut down (every request is answered by then)."""

        async def send_after_flushing(message: Message) -> None:
            if message["type"] in ("lifespan.shutdown.complete", "lifespan.shutdown.failed"):
                for handler in self.logger.handlers:
                    handler.flush()
            await send(message)

        return send_after_flushing


def _access_fields(scope: Scope, status: int | None, size: int, seconds: float) -> dict[str, Any]:
    client = scope.get("client")
    user_agent = next(
        (value.decode("latin-1") for name, value in scope.get("headers", []) if name == b"user-agent"),
        None,
    )
    query = scope.get("query_string", b"").decode("latin-1")
    return {
        "method": safe_field(str(scope.get("method", ""))),
        "path": safe_field(scope.get("path", "")),
        "query": safe_field(query) if query else None,
        "status": 500 if status is None else status,
        "bytes": size,
        "durationMs": round(seconds * 1000, 2),
        "client": client[0] if client else None,
        "httpVersion": scope.get("http_version"),
        "userAgent": None if user_agent is None else safe_field(user_agent, MAX_USER_AGENT_CHARS),
    }
