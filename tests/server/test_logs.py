"""What reaches the logs: no token in any form, bounded fields, and client aborts that are not errors."""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote, unquote

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from hours_app.logging_setup import (
    CLIENT_ABORT_STATUS,
    MAX_FIELD_CHARS,
    MAX_USER_AGENT_CHARS,
    AccessLogMiddleware,
    ClientAbortFilter,
    JsonLineFormatter,
    redact,
    safe_field,
)
from hours_core.tokens import TOKEN_PATTERN
from hours_http.body_deadline import BodyDeadline
from tests.server_support import Server, raw_exchange, served

TOKEN = "hsk_live_a1B2c3D4e5F6_" + "Z" * 16 + "9" * 16
SECRET = TOKEN.rsplit("_", 1)[1]

tokens = st.from_regex(TOKEN_PATTERN, fullmatch=True)


def percent_encode(text: str, chosen: list[bool], upper: bool) -> str:
    """``text`` with the characters ``chosen`` marks written as ``%XX``."""
    escapes = [f"%{ord(char):02X}" if upper else f"%{ord(char):02x}" for char in text]
    return "".join(
        escape if pick else char for char, escape, pick in zip(text, escapes, chosen, strict=False)
    )


def decoded_forms(text: str) -> list[str]:
    forms = [text]
    for _ in range(3):
        forms.append(unquote(forms[-1]))
    return forms


@given(
    token=tokens,
    chosen=st.lists(st.booleans(), min_size=70, max_size=70),
    upper=st.booleans(),
    twice=st.booleans(),
    before=st.text(max_size=20),
    after=st.text(max_size=20),
)
@example(token=TOKEN, chosen=[True] * 70, upper=True, twice=False, before="token=", after="&page=2")
@example(token=TOKEN, chosen=[False] * 70, upper=False, twice=False, before="", after="")
def test_no_form_of_a_token_survives_redaction(
    token: str, chosen: list[bool], upper: bool, twice: bool, before: str, after: str
) -> None:
    secret = TOKEN_PATTERN.fullmatch(token)["secret"]  # type: ignore[index]
    written = percent_encode(token, chosen, upper)
    if twice:
        written = written.replace("%", "%25")
    redacted = redact(before + written + after)
    for form in decoded_forms(redacted):
        assert secret not in form
    assert "hsk_[redacted]" in redacted


@given(st.text())
def test_text_without_a_token_mark_is_left_as_it_is(text: str) -> None:
    if "hsk" not in "".join(decoded_forms(text)).lower():
        assert redact(text) == text


def test_redaction_keeps_the_rest_of_the_line_as_written() -> None:
    query = f"cursor=a%26b&token={quote(TOKEN, safe='')}&q=%E2%82%AC"
    assert redact(query) == "cursor=a%26b&token=hsk_[redacted]&q=%E2%82%AC"
    assert redact("hsk%5Flive%5Fa1B2c3D4e5F6 and hsk_test_x") == "hsk_[redacted] and hsk_test_x"


def test_a_long_field_is_cut_to_its_limit_and_says_how_long_it_was() -> None:
    field = safe_field("x" * 5000)
    assert field == "x" * MAX_FIELD_CHARS + "...[5000 chars]"
    assert safe_field("short") == "short"


@given(tokens, st.integers(min_value=0, max_value=MAX_FIELD_CHARS + 600), st.booleans())
def test_no_secret_survives_the_cut_wherever_a_token_stands(token: str, offset: int, encoded: bool) -> None:
    secret = TOKEN_PATTERN.fullmatch(token)["secret"]  # type: ignore[index]
    written = "".join(f"%{ord(char):02X}" for char in token) if encoded else token
    field = safe_field("x" * offset + written + "&" + written * 30)
    for form in decoded_forms(field):
        assert secret[:8] not in form.replace("hsk_[redacted]", "")  # not even a part of it


def test_a_token_across_the_cut_is_still_redacted() -> None:
    text = "x" * (MAX_FIELD_CHARS - 10) + TOKEN
    field = safe_field(text)
    assert field.endswith("hsk_[redac...[1068 chars]")  # the length as sent
    assert SECRET[:8] not in field


# -- the middleware and the filter, without a server ------------------------------------------


class Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []
        self.addFilter(ClientAbortFilter())

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def collected() -> Iterator[Collect]:
    handler = Collect()
    loggers = [logging.getLogger("hours.access"), logging.getLogger("hours.http")]
    for logger in loggers:
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
    try:
        yield handler
    finally:
        for logger in loggers:
            logger.removeHandler(handler)
            logger.setLevel(logging.NOTSET)


async def app_that_reads_its_body(scope: Any, receive: Any, send: Any) -> None:
    """Like Litestar: reads the body; a disconnect is reported as an error and answered 500."""
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            try:
                raise RuntimeError("client disconnected prematurely")
            except RuntimeError:
                logging.getLogger("hours.http").exception("unhandled error on POST /time-entries")
            await send({"type": "http.response.start", "status": 500, "headers": []})
            await send({"type": "http.response.body", "body": b'{"error": {}}'})
            return
        if not message.get("more_body", False):
            break
    await send({"type": "http.response.start", "status": 201, "headers": []})
    await send({"type": "http.response.body", "body": b"{}"})


def serve_once(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Run one POST through the middleware with ``messages`` as what the client sends; what it is sent."""
    sent: list[dict[str, Any]] = []
    incoming = iter(messages)

    async def receive() -> dict[str, Any]:
        return next(incoming)

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": "/time-entries", "headers": [], "query_string": b""}
    site = AccessLogMiddleware(BodyDeadline(app_that_reads_its_body, 30))  # as hours_app.asgi wraps the site
    asyncio.run(site(scope, receive, send))  # type: ignore[arg-type]
    return sent


def test_a_disconnect_in_the_middle_of_the_body_is_logged_as_a_client_abort(collected: Collect) -> None:
    sent = serve_once(
        [{"type": "http.request", "body": b'{"a', "more_body": True}, {"type": "http.disconnect"}]
    )
    # The app's 500 is dropped; BodyDeadline's 400 goes nowhere (or to a client whose chunked body
    # the server could not read: the server says the same for both).
    assert [message.get("status") for message in sent] == [400, None]
    assert [record.name for record in collected.records] == ["hours.access"]  # the error was dropped
    access = collected.records[0]
    assert access.levelno == logging.INFO and not access.exc_info
    assert access.access["status"] == CLIENT_ABORT_STATUS and access.access["clientAbort"] is True  # type: ignore[attr-defined]


def test_a_complete_request_is_logged_with_its_status(collected: Collect) -> None:
    sent = serve_once([{"type": "http.request", "body": b"{}", "more_body": False}])
    assert [message["type"] for message in sent] == ["http.response.start", "http.response.body"]
    (access,) = collected.records
    assert access.access["status"] == 201 and "clientAbort" not in access.access  # type: ignore[attr-defined]


def test_errors_outside_an_aborted_request_are_kept(collected: Collect) -> None:
    logging.getLogger("hours.http").error("a real bug")
    assert [record.getMessage() for record in collected.records] == ["a real bug"]


def test_application_log_lines_are_redacted_and_bounded() -> None:
    record = logging.LogRecord(
        "hours.http", logging.ERROR, __file__, 1, "on %s", (quote(TOKEN) + "x" * 9000,), None
    )
    line = json.loads(JsonLineFormatter().format(record))
    assert SECRET not in line["message"] and len(line["message"]) < 4200


# -- a real server ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with served(tmp_path_factory.mktemp("logs")) as running:
        yield running


def access_line(server: Server, predicate: Any) -> dict[str, Any]:
    for _ in range(100):  # the line is written once the response is sent: wait a little for it
        for line in server.access_lines():
            if predicate(line):
                return line
        time.sleep(0.05)
    raise AssertionError(f"no such access line in:\n{server.stdout.read_text()}")


@pytest.mark.slow
def test_a_token_in_the_query_path_or_user_agent_never_reaches_a_log_in_any_encoding(server: Server) -> None:
    token = server.demo["token"]
    secret = TOKEN_PATTERN.fullmatch(token)["secret"]  # type: ignore[index]
    encoded = "".join(f"%{ord(char):02X}" for char in token)
    twice = quote(quote(token, safe=""), safe="")
    request = (
        f"GET /time-entries/{encoded}?access_token={encoded}&again={twice}&plain={token} HTTP/1.1\r\n"
        f"Host: hours\r\nUser-Agent: probe/{twice} {token}\r\n\r\n"
    ).encode()
    answer = raw_exchange(server.port, request)
    assert answer.startswith(b"HTTP/1.1 ")
    line = access_line(server, lambda line: "again=" in (line["query"] or ""))
    assert "hsk_[redacted]" in line["query"] and "hsk_[redacted]" in line["userAgent"]
    for form in decoded_forms(server.logs()):
        assert secret not in form


@pytest.mark.slow
def test_huge_client_values_are_cut_in_the_access_log(server: Server) -> None:
    agent, query = "A" * 20_000, "q=" + "b" * 30_000
    answer = raw_exchange(
        server.port, f"GET /health?{query} HTTP/1.1\r\nHost: hours\r\nUser-Agent: {agent}\r\n\r\n".encode()
    )
    assert answer.startswith(b"HTTP/1.1 ")
    line = access_line(server, lambda line: (line["userAgent"] or "").startswith("AAAA"))
    assert line["userAgent"] == "A" * MAX_USER_AGENT_CHARS + "...[20000 chars]"
    assert line["query"] == query[:MAX_FIELD_CHARS] + "...[30002 chars]"


@pytest.mark.slow
def test_a_client_that_leaves_in_the_middle_of_its_body_is_a_client_abort_not_an_error(
    server: Server,
) -> None:
    body = json.dumps({"projectId": server.demo["projectId"], "entryDate": "2026-03-02", "duration": "1h"})
    head = (
        f"POST /time-entries HTTP/1.1\r\nHost: hours\r\nAuthorization: Bearer {server.demo['token']}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as connection:
        connection.sendall(head.encode() + body[:10].encode())
        time.sleep(0.2)  # let the server start reading the body before the client leaves
    line = access_line(server, lambda line: line["method"] == "POST")
    assert line["status"] == CLIENT_ABORT_STATUS and line["clientAbort"] is True
    assert line["level"] == "info"
    app_log = server.stderr.read_text()
    assert "Traceback" not in app_log and "unhandled error" not in app_log
    assert "ERROR" not in app_log
    assert all(line["status"] != 500 for line in server.access_lines())
