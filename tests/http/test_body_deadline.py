"""BodyDeadline at the ASGI level: which waits are timed, what the client gets, what the app hears.

The real server's behaviour (a stalled socket answered 408 and closed) is in
tests/server/test_connection_limits.py; here a scripted ``receive`` stands in for the client.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Callable
from typing import Any

import pytest

from hours_http.body_deadline import BodyDeadline

SECONDS = 0.05
"""A short deadline; the scripted client either answers at once or never."""

NEVER = object()
"""In a script: the client sends nothing more (the wait lasts until it is cancelled)."""


def scripted(*messages: object) -> Callable[[], Any]:
    """A ``receive`` that returns ``messages`` in turn, then waits forever (or at :data:`NEVER`)."""
    pending = list(messages)

    async def receive() -> Any:
        if not pending or pending[0] is NEVER:
            await asyncio.Event().wait()
        return pending.pop(0)

    return receive


def body(data: bytes, *, more: bool) -> dict[str, Any]:
    return {"type": "http.request", "body": data, "more_body": more}


def run(
    app: Callable[..., Any], receive: Callable[[], Any], *, seconds: float = SECONDS, **options: Any
) -> list[dict[str, Any]]:
    """Serve one request through a :class:`BodyDeadline` around ``app``; what the client got."""
    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": "/projects", "headers": []}
    asyncio.run(BodyDeadline(app, seconds, **options)(scope, receive, send))
    return sent


def reading_app(heard: list[dict[str, Any]]) -> Callable[..., Any]:
    """An app that reads the whole body, noting each message, then answers 201 (or stops at a
    disconnect, answering 500 as a framework would)."""

    async def app(scope: Any, receive: Any, send: Any) -> None:
        while True:
            message = await receive()
            heard.append(message)
            if message["type"] == "http.disconnect":
                await send({"type": "http.response.start", "status": 500, "headers": []})
                await send({"type": "http.response.body", "body": b"gone"})
                return
            if not message.get("more_body", False):
                break
        await send({"type": "http.response.start", "status": 201, "headers": []})
        await send({"type": "http.response.body", "body": b"{}"})

    return app


def test_a_body_that_stops_arriving_gets_408_and_the_app_hears_a_disconnect() -> None:
    heard: list[dict[str, Any]] = []
    noted: list[bool] = []

    sent = run(
        reading_app(heard), scripted(body(b'{"na', more=True), NEVER), on_timeout=lambda: noted.append(True)
    )

    start, answer = sent  # the app's 500 after the disconnect went nowhere
    assert start["status"] == 408
    assert (b"connection", b"close") in start["headers"]
    assert any(name == b"x-request-id" and value for name, value in start["headers"])
    assert (b"content-type", b"application/json") in start["headers"]
    assert (b"cache-control", b"private, no-store") in start["headers"]  # as every answer of /projects
    error = json.loads(answer["body"])["error"]
    assert error["code"] == "request_timeout"
    assert f"{SECONDS:g} s" in error["message"]
    assert heard[-1] == {"type": "http.disconnect"}
    assert noted == [True]


def trickling(data: bytes, *, every: float) -> Callable[[], Any]:
    """A client that sends ``data`` a byte at a time, one every ``every`` seconds."""
    pending = [body(bytes([byte]), more=True) for byte in data[:-1]] + [body(data[-1:], more=False)]

    async def receive() -> Any:
        await asyncio.sleep(every)
        return pending.pop(0)

    return receive


def test_a_body_that_keeps_arriving_at_the_minimum_rate_is_not_cut_off() -> None:
    """Each byte comes a tenth of the deadline after the last: the whole body takes longer than
    the deadline, no pause does, and it keeps the pace of 10 bytes a second."""
    heard: list[dict[str, Any]] = []
    deadline = 0.5

    sent = run(
        reading_app(heard), trickling(b'{"name": "slow"}', every=deadline / 10), seconds=deadline, min_rate=10
    )

    assert [message["status"] for message in sent if message["type"] == "http.response.start"] == [201]
    assert b"".join(message["body"] for message in heard) == b'{"name": "slow"}'


def test_a_body_that_trickles_slower_than_the_minimum_rate_gets_408_though_no_pause_is_too_long() -> None:
    """50 bytes a second (a byte every tenth of the deadline), where the rate asks for 100: the
    body's bound (the deadline, 0.2 s, plus 1 s per 100 bytes) passes at 0.4 s, after about 20
    bytes of the 40."""
    heard: list[dict[str, Any]] = []
    noted: list[bool] = []
    deadline = 0.2

    sent = run(
        reading_app(heard),
        trickling(b'{"name": "' + b"s" * 28 + b'"}', every=deadline / 10),
        seconds=deadline,
        min_rate=100,
        on_timeout=lambda: noted.append(True),
    )

    start, answer = sent
    assert start["status"] == 408
    assert (b"connection", b"close") in start["headers"]
    error = json.loads(answer["body"])["error"]
    assert error["code"] == "request_timeout"
    assert error["message"].startswith(
        "The request body arrived too slowly: a body may take 0.2 s plus 1 s for each 100 bytes"
    )
    assert heard[-1] == {"type": "http.disconnect"}
    assert len(heard) - 1 < 40  # cut off before the body was complete (the message says by the rate rule)
    assert noted == [True]


def test_a_large_body_that_arrives_fast_may_take_longer_than_the_deadline() -> None:
    """The bound grows by 1 s per ``min_rate`` bytes delivered: 20 pieces of 1,000 bytes, one every
    tenth of the deadline, take twice the deadline and stay well within the bound."""
    heard: list[dict[str, Any]] = []
    deadline = 0.2
    pending = [body(b" " * 1000, more=True) for _ in range(19)] + [body(b"{}", more=False)]

    async def steady_client() -> Any:
        await asyncio.sleep(deadline / 10)
        return pending.pop(0)

    sent = run(reading_app(heard), steady_client, seconds=deadline, min_rate=500)

    assert [message["status"] for message in sent if message["type"] == "http.response.start"] == [201]


def test_waiting_for_the_client_to_leave_after_the_body_is_not_timed() -> None:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        await receive()  # the whole body
        await send({"type": "http.response.start", "status": 200, "headers": []})
        waiting = asyncio.ensure_future(receive())  # as a streaming response listens for a disconnect
        done, _ = await asyncio.wait([waiting], timeout=SECONDS * 4)
        assert not done, "the wait for a disconnect after the body was cut short"
        waiting.cancel()
        await send({"type": "http.response.body", "body": b"streamed"})

    sent = run(app, scripted(body(b"{}", more=False)))

    assert [message.get("status") or message.get("body") for message in sent] == [200, b"streamed"]


def test_an_app_that_answered_without_reading_the_body_keeps_its_answer() -> None:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 204, "headers": []})
        assert await receive() == {"type": "http.disconnect"}  # the part of a body that never comes
        await send({"type": "http.response.body", "body": b""})

    sent = run(app, scripted(NEVER))

    assert [message["type"] for message in sent] == ["http.response.start", "http.response.body"]
    assert sent[0]["status"] == 204


def test_two_waits_that_time_out_together_answer_once() -> None:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        first, second = await asyncio.gather(receive(), receive())
        assert first == second == {"type": "http.disconnect"}

    sent = run(app, scripted(NEVER))

    assert [message.get("status") for message in sent] == [408, None]


def test_a_disconnect_in_the_middle_of_the_body_is_answered_400_and_the_apps_answer_dropped() -> None:
    """What the server says both for a client that left and for a chunked body it could not read
    (then the connection is open, and a client hears the 400)."""
    heard: list[dict[str, Any]] = []

    sent = run(reading_app(heard), scripted(body(b'{"na', more=True), {"type": "http.disconnect"}))

    start, answer = sent  # the app's 500 after the disconnect went nowhere
    assert start["status"] == 400
    assert (b"connection", b"close") in start["headers"]
    assert json.loads(answer["body"])["error"]["code"] == "bad_request"
    assert heard[-1] == {"type": "http.disconnect"}


def test_a_disconnect_after_the_app_began_its_answer_leaves_the_answer_alone() -> None:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 204, "headers": []})
        assert await receive() == {"type": "http.disconnect"}
        assert await receive() == {"type": "http.disconnect"}  # and so on, without asking the server
        await send({"type": "http.response.body", "body": b""})

    sent = run(app, scripted({"type": "http.disconnect"}, NEVER))

    assert [message.get("status") for message in sent] == [204, None]


def test_other_scopes_pass_untouched() -> None:
    seen: list[str] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        seen.append(scope["type"])

    asyncio.run(BodyDeadline(app, SECONDS)({"type": "lifespan"}, scripted(), lambda message: None))

    assert seen == ["lifespan"]


@pytest.mark.parametrize("seconds", [0, -1])
def test_the_deadline_is_positive(seconds: float) -> None:
    with pytest.raises(ValueError, match="positive"):
        BodyDeadline(reading_app([]), seconds)


@pytest.mark.parametrize("min_rate", [0, -1])
def test_the_minimum_rate_is_positive(min_rate: int) -> None:
    with pytest.raises(ValueError, match="positive"):
        BodyDeadline(reading_app([]), SECONDS, min_rate=min_rate)


def test_an_answer_in_the_middle_of_the_body_says_connection_close() -> None:
    """As a 413 past the route's limit: the rest of the body is still on the connection."""

    async def app(scope: Any, receive: Any, send: Any) -> None:
        await receive()  # the first piece; the app refuses the body there
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [(b"content-type", b"application/json")],
            }
        )
        await send({"type": "http.response.body", "body": b"{}"})

    sent = run(app, scripted(body(b"x" * 100, more=True), body(b"x" * 100, more=False)))

    assert (b"connection", b"close") in sent[0]["headers"]


def answer_after(reads: int) -> Callable[..., Any]:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        for _ in range(reads):
            await receive()
        await send({"type": "http.response.start", "status": 201, "headers": []})
        await send({"type": "http.response.body", "body": b"{}"})

    return app


def test_an_answer_before_the_announced_body_is_read_says_connection_close() -> None:
    """A 413 by the Content-Length, a 401 before the body is read."""
    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    for headers in ([(b"content-length", b"70000")], [(b"transfer-encoding", b"chunked")]):
        sent.clear()
        scope = {"type": "http", "method": "POST", "path": "/projects", "headers": headers}
        asyncio.run(BodyDeadline(answer_after(0), SECONDS)(scope, scripted(NEVER), send))
        assert (b"connection", b"close") in sent[0]["headers"], headers


@pytest.mark.parametrize(
    ("reads", "headers"),
    [(0, []), (0, [(b"content-length", b"0")]), (1, [(b"content-length", b"2")])],
    ids=["no body", "an empty body", "an answer after the whole body"],
)
def test_other_answers_keep_the_connection(reads: int, headers: list[tuple[bytes, bytes]]) -> None:
    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": "/projects", "headers": headers}
    asyncio.run(BodyDeadline(answer_after(reads), SECONDS)(scope, scripted(body(b"{}", more=False)), send))

    assert (b"connection", b"close") not in sent[0]["headers"]


def streaming_app(pieces: int) -> Callable[..., Any]:
    """An app that answers 200 with a body streamed in ``pieces`` pieces and a last empty one."""

    async def app(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        for _ in range(pieces):
            await send({"type": "http.response.body", "body": b"x" * 1000, "more_body": True})
        await send({"type": "http.response.body", "body": b"", "more_body": False})

    return app


def client_reading(wait: Callable[[int], float | None]) -> tuple[list[dict[str, Any]], Callable[..., Any]]:
    """A ``send`` that takes body piece ``n`` after ``wait(n)`` seconds (``None``: never), and what
    it took."""
    taken: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.body":
            pause = wait(sum(1 for taken_message in taken if taken_message["type"] == "http.response.body"))
            if pause is None:
                await asyncio.Event().wait()
            await asyncio.sleep(pause or 0)
        taken.append(message)

    return taken, send


def serve_get(app: Callable[..., Any], send: Callable[..., Any], **options: Any) -> None:
    scope = {"type": "http", "method": "GET", "path": "/time-entries/export", "headers": []}

    async def main() -> None:
        await asyncio.wait_for(BodyDeadline(app, SECONDS, **options)(scope, scripted(), send), 5)

    asyncio.run(main())


def test_a_streamed_answer_the_client_stops_reading_is_abandoned_and_its_last_chunk_never_sent() -> None:
    """A client that asked for an export and reads nothing held its connection and the export's
    memory for as long as it kept the connection open (nothing bounded a send): the third piece
    waits past the deadline, so the response ends there, without its last chunk (the server then
    closes the connection: the client sees an incomplete answer, never a complete one)."""
    stalls: list[bool] = []
    taken, send = client_reading(lambda n: None if n == 2 else 0)

    serve_get(streaming_app(100), send, on_stall=lambda: stalls.append(True))

    assert [message["type"] for message in taken] == ["http.response.start", *["http.response.body"] * 2]
    assert all(message.get("more_body") for message in taken[1:])  # the last chunk never went out
    assert stalls == [True]


def test_a_streamed_answer_whose_every_send_completes_in_time_is_not_cut_off() -> None:
    """Each piece is taken a third of the deadline after the last: the whole answer takes longer
    than the deadline, no single send does. (On a real server a send waits for about a megabyte to
    drain, not for one piece: see ``SEND_PAUSE_FACTOR``.)"""
    stalls: list[bool] = []
    taken, send = client_reading(lambda n: SECONDS / 3)

    serve_get(streaming_app(12), send, on_stall=lambda: stalls.append(True))

    assert len(taken) == 14
    assert taken[-1] == {"type": "http.response.body", "body": b"", "more_body": False}
    assert stalls == []


def test_an_answer_sent_in_one_piece_is_never_timed() -> None:
    """A body in one piece is handed to the server whole: a send of it that takes longer than the
    deadline (a stand-in for a slow server) completes, and nothing is abandoned."""

    async def app(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"{}"})

    stalls: list[bool] = []
    taken, send = client_reading(lambda n: SECONDS * 4)

    serve_get(app, send, on_stall=lambda: stalls.append(True))

    assert [message["type"] for message in taken] == ["http.response.start", "http.response.body"]
    assert stalls == []


def test_an_apps_own_error_while_streaming_still_propagates() -> None:
    """Only the stall is swallowed: any other error of the app, mid-stream, reaches the server."""

    async def app(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"x", "more_body": True})
        raise RuntimeError("the export's store went away")

    _taken, send = client_reading(lambda n: 0)
    with pytest.raises(RuntimeError, match="went away"):
        serve_get(app, send)


def test_a_send_may_wait_twice_the_body_timeout() -> None:
    """A send waits until the server's and the socket's buffers have room again, which takes a
    steady but slow reader longer than one piece's time: a send gets twice the body timeout."""
    stalls: list[bool] = []
    taken, send = client_reading(lambda n: SECONDS * 1.5 if n == 1 else 0)

    serve_get(streaming_app(3), send, on_stall=lambda: stalls.append(True))

    assert len(taken) == 5
    assert stalls == []


def test_an_error_of_the_app_after_a_stall_that_is_not_the_stall_still_propagates() -> None:
    """Only the stall (in whatever the app's layers wrap it) is swallowed; an app that went on
    after it and failed otherwise is reported."""

    async def app(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        with contextlib.suppress(Exception):  # the stall
            await send({"type": "http.response.body", "body": b"x", "more_body": True})
        raise RuntimeError("the cleanup failed")

    _taken, send = client_reading(lambda n: None)
    with pytest.raises(RuntimeError, match="cleanup failed"):
        serve_get(app, send)


def test_the_stall_is_swallowed_however_the_framework_wraps_it() -> None:
    """Litestar raises ``Exception caught after response started`` from an anyio exception group
    that holds the stall."""

    async def app(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        try:
            await send({"type": "http.response.body", "body": b"x", "more_body": True})
        except Exception as stall:
            raise RuntimeError("Exception caught after response started") from ExceptionGroup(
                "unhandled errors in a TaskGroup", [stall]
            )

    stalls: list[bool] = []
    _taken, send = client_reading(lambda n: None)
    serve_get(app, send, on_stall=lambda: stalls.append(True))
    assert stalls == [True]
