"""Other libraries' log lines in a server worker (psycopg's, psycopg_pool's, Litestar's) go through
hours' formatter: JSON lines with ``hours serve --json``, hours' text line without, redacted either way."""

from __future__ import annotations

import json
import logging
import logging.config
from collections.abc import Iterator
from pathlib import Path

import pytest

from hours_app.asgi import create_asgi_app
from hours_app.logging_setup import server_log_config

TOKEN = "hsk_live_a1B2c3D4e5F6_" + "Z" * 32
LOGGERS = ("", "hours", "hours.access", "_granian", "granian.access", "uvicorn", "uvicorn.error")
LOGGERS += ("uvicorn.access", "litestar", "psycopg", "psycopg.pool")


@pytest.fixture
def logging_restored() -> Iterator[None]:
    """Put every logger the server configures back as it was (the test configures this process)."""
    saved = {}
    for name in LOGGERS:
        logger = logging.getLogger(name)
        saved[name] = (list(logger.handlers), logger.level, logger.propagate, logger.disabled)
    yield
    for name, (handlers, level, propagate, disabled) in saved.items():
        logger = logging.getLogger(name)
        for handler in logger.handlers:
            if handler not in handlers:
                handler.close()
        logger.handlers[:] = handlers
        logger.setLevel(level)
        logger.propagate, logger.disabled = propagate, disabled


def worker_logs(
    json_lines: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> list[str]:
    """What a worker writes on stderr for library records logged after its apps were made."""
    for name in ("HOURS_SQLITE_SYNCHRONOUS", "HOURS_ENV", "HOURS_LOG_LEVEL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOURS_DATABASE_URL", f"sqlite:///{tmp_path / 'hours.db'}")
    logging.config.dictConfig(server_log_config("info", json_lines=json_lines))  # as granian does
    create_asgi_app()
    capsys.readouterr()
    logging.getLogger("psycopg.pool").warning("discarding closed connection: %s", TOKEN)
    logging.getLogger("psycopg").warning("error ignored terminating <psycopg.Pipeline [BAD]>:\n\tlost")
    logging.getLogger("litestar").error("an error of the framework")
    return capsys.readouterr().err.splitlines()


@pytest.mark.usefixtures("logging_restored")
def test_with_json_every_library_line_is_a_redacted_json_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = worker_logs(True, tmp_path, monkeypatch, capsys)
    records = [json.loads(line) for line in lines]
    assert [(record["level"], record["logger"]) for record in records] == [
        ("warning", "psycopg.pool"),
        ("warning", "psycopg"),
        ("error", "litestar"),
    ]
    assert records[0]["message"] == "discarding closed connection: hsk_[redacted]"
    assert records[1]["message"] == "error ignored terminating <psycopg.Pipeline [BAD]>:\n\tlost"


@pytest.mark.usefixtures("logging_restored")
def test_without_json_library_lines_are_in_hours_text_format(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = worker_logs(False, tmp_path, monkeypatch, capsys)
    assert lines[0].endswith("Z WARNING psycopg.pool: discarding closed connection: hsk_[redacted]")
    assert " WARNING psycopg: error ignored terminating" in lines[1]
    assert lines[-1].endswith("Z ERROR litestar: an error of the framework")
    assert TOKEN not in "\n".join(lines)
