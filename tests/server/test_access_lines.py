"""The access log's batched handler, and the access middleware's way to it without a ``LogRecord``."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from hours_app.access_lines import AccessLineHandler
from hours_app.logging_setup import AccessLogMiddleware, JsonLineFormatter
from tests.polling import eventually
from tests.server_support import request, served, stop

NEVER = 3600.0
"""A flush interval no test waits for: only an explicit flush or a full batch writes."""


def written(stream: io.StringIO) -> list[str]:
    return stream.getvalue().splitlines()


@pytest.fixture
def stream() -> io.StringIO:
    return io.StringIO()


@pytest.fixture
def handler(stream: io.StringIO) -> Iterator[AccessLineHandler]:
    made = AccessLineHandler(stream, flush_seconds=NEVER)
    made.setFormatter(JsonLineFormatter())
    yield made
    made.close()


def test_lines_wait_in_memory_until_the_handler_is_flushed(
    handler: AccessLineHandler, stream: io.StringIO
) -> None:
    for number in range(3):
        handler.write_line(f"line {number}")
    assert written(stream) == []
    handler.flush()
    assert written(stream) == ["line 0", "line 1", "line 2"]
    handler.flush()  # nothing waits: nothing more is written
    assert written(stream) == ["line 0", "line 1", "line 2"]


def test_a_full_batch_is_written_without_waiting(stream: io.StringIO) -> None:
    handler = AccessLineHandler(stream, flush_seconds=NEVER, max_pending=40)
    handler.write_line("a" * 19)  # 20 characters with its newline
    assert written(stream) == []
    handler.write_line("b" * 19)  # 40: the batch is full
    assert written(stream) == ["a" * 19, "b" * 19]
    handler.close()


def test_waiting_lines_are_written_by_the_timer(stream: io.StringIO) -> None:
    handler = AccessLineHandler(stream, flush_seconds=0.01)
    try:
        handler.write_line("soon")
        assert eventually(lambda: written(stream) == ["soon"])
    finally:
        handler.close()


def test_close_writes_what_waits(handler: AccessLineHandler, stream: io.StringIO) -> None:
    handler.write_line("last")
    handler.close()
    assert written(stream) == ["last"]


def test_a_record_from_logging_joins_the_batch_formatted(
    handler: AccessLineHandler, stream: io.StringIO
) -> None:
    logger = logging.getLogger("tests.access_lines.records")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        logger.info("request", extra={"access": {"method": "GET", "status": 200}})
        handler.flush()
    finally:
        logger.removeHandler(handler)
    (line,) = written(stream)
    assert json.loads(line) | {"time": None} == {
        "time": None,
        "level": "info",
        "logger": "tests.access_lines.records",
        "method": "GET",
        "status": 200,
    }


class FailingStream(io.StringIO):
    def write(self, text: str) -> int:
        raise OSError(28, "No space left on device")


def test_a_stream_that_fails_loses_its_batch_and_says_so_on_stderr(
    capsys: pytest.CaptureFixture[str],
) -> None:
    handler = AccessLineHandler(FailingStream(), flush_seconds=NEVER)
    handler.write_line("lost")
    handler.flush()  # no exception reaches the caller
    assert "could not write 1 access lines" in capsys.readouterr().err
    handler.stream = io.StringIO()
    handler.write_line("kept")
    handler.close()
    assert handler.stream.getvalue() == "kept\n"  # type: ignore[attr-defined]


@pytest.mark.skipif(not hasattr(os, "fork"), reason="os.fork is POSIX only")
def test_a_forked_child_writes_its_own_lines_and_never_its_parents(tmp_path: Path) -> None:
    path = tmp_path / "access.log"
    with path.open("a", encoding="utf-8") as file:
        handler = AccessLineHandler(file, flush_seconds=NEVER)
        handler.write_line("parent")
        child = os.fork()
        if child == 0:  # pragma: no cover - runs in the child
            try:
                handler.write_line("child")
                handler.flush()
            finally:
                os._exit(0)
        _, status = os.waitpid(child, 0)
        handler.close()
    assert os.waitstatus_to_exitcode(status) == 0
    assert sorted(path.read_text().splitlines()) == ["child", "parent"]


# -- the middleware's way to the handler -------------------------------------------------------


async def answer_201(scope: Any, receive: Any, send: Any) -> None:
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            else:
                await send({"type": "lifespan.shutdown.complete"})
                return
    await receive()
    await send({"type": "http.response.start", "status": 201, "headers": []})
    await send({"type": "http.response.body", "body": b"{}"})


def serve_one(middleware: AccessLogMiddleware) -> None:
    scope = {
        "type": "http",
        "method": "POST",
        "path": "/time-entries",
        "query_string": b"page=2",
        "headers": [(b"user-agent", b"probe/1")],
        "client": ("127.0.0.1", 5000),
        "http_version": "1.1",
    }

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"{}", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        return None

    asyncio.run(middleware(scope, receive, send))  # type: ignore[arg-type]


@pytest.fixture
def access_logger(handler: AccessLineHandler) -> Iterator[logging.Logger]:
    logger = logging.getLogger("hours.access")
    saved = (logger.handlers[:], logger.level, logger.propagate, logger.filters[:])
    logger.handlers[:] = [handler]
    logger.setLevel(logging.INFO)
    logger.propagate = False
    yield logger
    logger.handlers[:], logger.level, logger.propagate, logger.filters[:] = saved


def test_the_direct_line_reads_as_the_formatter_writes_the_record(
    access_logger: logging.Logger, handler: AccessLineHandler, stream: io.StringIO
) -> None:
    serve_one(AccessLogMiddleware(answer_201, access_logger))  # the handler's own way
    seen: list[logging.LogRecord] = []
    access_logger.addFilter(lambda record: seen.append(record) or True)  # a filter: through logging
    serve_one(AccessLogMiddleware(answer_201, access_logger))
    handler.flush()
    direct, through_logging = (json.loads(line) for line in written(stream))
    assert len(seen) == 1  # only the second request made a record
    ignored = {"time": None, "durationMs": None, "requestId": None}  # a new id for each request
    assert direct | ignored == through_logging | ignored
    assert direct | ignored == {
        **ignored,
        "level": "info",
        "logger": "hours.access",
        "method": "POST",
        "path": "/time-entries",
        "query": "page=2",
        "status": 201,
        "bytes": 2,
        "client": "127.0.0.1",
        "httpVersion": "1.1",
        "userAgent": "probe/1",
    }
    assert direct["time"].endswith("Z")


def test_the_end_of_the_lifespan_writes_the_waiting_lines(
    access_logger: logging.Logger, stream: io.StringIO
) -> None:
    middleware = AccessLogMiddleware(answer_201, access_logger)
    serve_one(middleware)
    assert written(stream) == []
    seen_at_shutdown: list[list[str]] = []
    messages = iter([{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}])

    async def receive() -> dict[str, Any]:
        return next(messages)

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "lifespan.shutdown.complete":
            seen_at_shutdown.append(written(stream))

    asyncio.run(middleware({"type": "lifespan"}, receive, send))  # type: ignore[arg-type]
    (lines,) = seen_at_shutdown
    assert [json.loads(line)["path"] for line in lines] == ["/time-entries"]


@pytest.mark.slow
def test_a_server_that_stops_has_written_a_line_for_every_request(tmp_path: Path) -> None:
    with served(tmp_path) as server:
        for number in range(20):
            assert request(f"{server.base_url}/health?n={number}").status == 200
        assert stop(server.process) == 0
        queries = [line["query"] for line in server.access_lines() if line["path"] == "/health"]
    assert {f"n={number}" for number in range(20)} <= set(queries)


class BlockedStream(io.StringIO):
    """A stream whose writes wait until the test lets them through."""

    def __init__(self) -> None:
        super().__init__()
        self.entered = threading.Event()
        self.release = threading.Event()

    def write(self, text: str) -> int:
        self.entered.set()
        assert self.release.wait(30)
        return super().write(text)


def test_adding_a_line_does_not_wait_for_a_batch_being_written() -> None:
    stream = BlockedStream()
    handler = AccessLineHandler(stream, flush_seconds=NEVER)
    handler.write_line("first")
    writer = threading.Thread(target=handler.flush)
    writer.start()
    assert stream.entered.wait(30)  # the first batch is being written, and its write waits
    handler.write_line("second")  # returns although that write has not finished
    stream.release.set()
    writer.join(30)
    handler.close()
    assert stream.getvalue() == "first\nsecond\n"


def test_a_handler_with_another_formatter_gets_records(
    access_logger: logging.Logger, handler: AccessLineHandler, stream: io.StringIO
) -> None:
    handler.setFormatter(logging.Formatter("%(name)s %(message)s"))
    serve_one(AccessLogMiddleware(answer_201, access_logger))
    handler.flush()
    assert written(stream) == ["hours.access request"]  # its own format, not the direct JSON line


def test_a_direct_line_that_fails_is_reported_not_raised(
    access_logger: logging.Logger, handler: AccessLineHandler, capsys: pytest.CaptureFixture[str]
) -> None:
    def refuse(line: str) -> None:
        raise RuntimeError("can't start new thread")

    handler.write_line = refuse  # type: ignore[method-assign]
    serve_one(AccessLogMiddleware(answer_201, access_logger))  # the request was answered: no error
    assert "--- Logging error ---" in capsys.readouterr().err
