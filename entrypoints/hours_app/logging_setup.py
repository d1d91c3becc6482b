"""Logging for the command line and the server.

Two kinds of lines:

- *application logs* (logger ``hours``, and uvicorn's ``uvicorn``/``uvicorn.error``): startup,
  migrations, shutdown. Text on stderr by default (``2026-03-02T09:00:00Z INFO hours: ...``), or
  JSON lines with ``hours serve --json``.
- *access logs* (logger ``hours.access``): one JSON line per HTTP request on stdout, written by
  :class:`AccessLogMiddleware`. uvicorn's own access log is switched off, because we choose the
  fields: method, path, query, status, bytes, duration, client address and user agent. No other
  request header is ever read, so the ``Authorization`` header (the token) cannot reach a log;
  anything shaped like a token (``hsk_...``) in the path, query or user agent is redacted as well.
"""

from __future__ import annotations

import logging
import re
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import msgspec
from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send

__all__ = [
    "ACCESS_LOGGER",
    "LOG_LEVELS",
    "AccessLogMiddleware",
    "JsonLineFormatter",
    "TextFormatter",
    "cli_logging",
    "redact",
    "uvicorn_log_config",
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

_TOKEN_SHAPE = re.compile(r"hsk_[0-9A-Za-z_%\-]{12,}")


def redact(text: str) -> str:
    """``text`` with anything that looks like a personal access token replaced."""
    return _TOKEN_SHAPE.sub("hsk_[redacted]", text)


def _logger_name(record: logging.LogRecord) -> str:
    """The logger's name, with uvicorn's ``uvicorn.error`` (its general log, errors or not) as ``uvicorn``."""
    return "uvicorn" if record.name == "uvicorn.error" else record.name


def _timestamp(created: float) -> str:
    moment = datetime.fromtimestamp(created, UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


class TextFormatter(logging.Formatter):
    """``<UTC time> <LEVEL> <logger>: <message>``, one line per record (plus a traceback, if any)."""

    def format(self, record: logging.LogRecord) -> str:
        """The record as one human-readable line."""
        when, name = _timestamp(record.created), _logger_name(record)
        line = f"{when} {record.levelname} {name}: {record.getMessage()}"
        if record.exc_info:
            line = f"{line}\n{self.formatException(record.exc_info)}"
        return redact(line)


class JsonLineFormatter(logging.Formatter):
    """One JSON object per record: ``time``, ``level``, ``logger`` and ``message`` or the access fields."""

    def format(self, record: logging.LogRecord) -> str:
        """The record as one JSON line."""
        line: dict[str, Any] = {
            "time": _timestamp(record.created),
            "level": record.levelname.lower(),
            "logger": _logger_name(record),
        }
        access = getattr(record, "access", None)
        if isinstance(access, dict):
            line.update(access)
        else:
            line["message"] = redact(record.getMessage())
        if record.exc_info:
            line["exception"] = redact(self.formatException(record.exc_info))
        return _encode_line(line).decode()


_encode_line = msgspec.json.Encoder().encode
"""Compact JSON, UTF-8 as it is: one access line per request, so msgspec rather than ``json.dumps``."""


def uvicorn_log_config(level: str, *, json_lines: bool = False) -> dict[str, Any]:
    """A :func:`logging.config.dictConfig` for ``hours serve``, handed to uvicorn (and its workers).

    Application logs go to stderr (text, or JSON lines when ``json_lines``); access logs go to
    stdout as JSON lines; uvicorn's access logger is silenced.
    """
    numeric = LOG_LEVELS[level]
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "text": {"()": "hours_app.logging_setup.TextFormatter"},
            "json": {"()": "hours_app.logging_setup.JsonLineFormatter"},
        },
        "handlers": {
            "app": {
                "class": "logging.StreamHandler",
                "formatter": "json" if json_lines else "text",
                "stream": "ext://sys.stderr",
            },
            "access": {
                "class": "logging.StreamHandler",
                "formatter": "json",
                "stream": "ext://sys.stdout",
            },
        },
        "loggers": {
            "hours": {"handlers": ["app"], "level": numeric, "propagate": False},
            ACCESS_LOGGER: {"handlers": ["access"], "level": numeric, "propagate": False},
            "uvicorn": {"handlers": ["app"], "level": numeric, "propagate": False},
            "uvicorn.error": {"level": numeric},
            "uvicorn.access": {"handlers": [], "level": logging.CRITICAL + 1, "propagate": False},
        },
    }


class _CurrentStderr(logging.Handler):
    """A handler that writes to whatever ``sys.stderr`` is now (it may be swapped, e.g. by pytest)."""

    def __init__(self) -> None:
        super().__init__()
        self.setFormatter(logging.Formatter("hours: %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        """Write the record to the current stderr."""
        try:
            sys.stderr.write(redact(self.format(record)) + "\n")
        except Exception:
            self.handleError(record)


@contextmanager
def cli_logging(level: int = logging.INFO) -> Iterator[None]:
    """Show the ``hours`` logger's messages on stderr (``hours: ...``) while the block runs.

    The commands other than ``serve`` use this, so that e.g. applied migrations are reported
    without touching stdout, which holds the command's output (JSON with ``--json``). Leaving
    the block restores the logger, so calling :func:`hours_app.cli.main` in-process leaves no trace.
    """
    logger = logging.getLogger("hours")
    handler = _CurrentStderr()
    previous = logger.level
    logger.addHandler(handler)
    logger.setLevel(level)
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(previous)


class AccessLogMiddleware:
    """ASGI middleware: one JSON line per HTTP request on the ``hours.access`` logger.

    Lifespan and WebSocket traffic passes through untouched. The only request header read is
    ``User-Agent``.
    """

    def __init__(self, app: ASGIApp, logger: logging.Logger | None = None) -> None:
        self.app = app
        self.logger = logger or logging.getLogger(ACCESS_LOGGER)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve the request through the wrapped app, then log it."""
        if scope["type"] != ScopeType.HTTP:
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status: int | None = None
        size = 0

        async def send_and_note(message: Message) -> None:
            nonlocal status, size
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body":
                size += len(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, receive, send_and_note)
        finally:
            self.logger.info(
                "request",
                extra={"access": _access_fields(scope, status, size, time.perf_counter() - started)},
            )


def _access_fields(scope: Scope, status: int | None, size: int, seconds: float) -> dict[str, Any]:
    client = scope.get("client")
    user_agent = next(
        (value.decode("latin-1") for name, value in scope.get("headers", []) if name == b"user-agent"),
        None,
    )
    query = scope.get("query_string", b"").decode("latin-1")
    return {
        "method": scope.get("method"),
        "path": redact(scope.get("path", "")),
        "query": redact(query) if query else None,
        "status": 500 if status is None else status,
        "bytes": size,
        "durationMs": round(seconds * 1000, 2),
        "client": client[0] if client else None,
        "httpVersion": scope.get("http_version"),
        "userAgent": None if user_agent is None else redact(user_agent),
    }
