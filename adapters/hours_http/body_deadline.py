"""A request body that stops arriving is answered 408, one that cannot be read 400; either way
the connection is closed.

The server stack bounds the time a client takes to send a request's line and headers (``hours
serve --header-timeout``), not its body: a client that sent its headers and part of its body, or a
``Content-Length`` larger than what it sends, would hold its connection (one of a worker's
``--max-connections``) for as long as it keeps it open, so a few hundred such connections would
keep everyone else waiting. :class:`BodyDeadline` wraps the whole site, outside the routers: while
a request's body is not complete, each wait for more of it may last ``seconds`` (and at most a
quarter more: one watcher per event loop looks every quarter of it, at most every second). When one
lasts longer, the client gets ``408 Request Timeout`` with the error body ``request_timeout`` and
``Connection: close``; the app sees the client leave (``http.disconnect``), as if it had
disconnected, and whatever it answers is dropped.

The clock runs while the app waits for body bytes it has asked for, and starts again with each
piece, so a pause is bounded. The whole body is bounded too, as Apache's ``mod_reqtimeout`` bounds
it: from the app's first read, a body may take ``seconds`` plus one second for each ``min_rate``
bytes it has delivered (500 by default); a client that trickles a byte just within each pause is
answered 408 once it falls behind that pace, instead of holding its connection for days. A
request whose body is complete (or that has none: the app never waits for one) is never timed.
An app that waits for the client to leave (``http.disconnect`` after the body) is not timed
either. (A body the app never reads is the server's: granian closes such a connection once the
answer is sent.)

A body the server cannot read (a chunked encoding that is not valid HTTP/1.1: a size that is not
hex, a chunk without its CRLF) reaches the app as ``http.disconnect`` before the body is complete,
as a client that left does, and the connection stays open: if the app answered nothing, granian
would answer a text ``500 Internal server error`` of its own. So a disconnect in the middle of a
body is answered ``400`` with the error body ``bad_request`` and ``Connection: close`` (a client
that really left hears nothing: the answer goes nowhere), and the app's own answer is dropped.

An app that answers before it has read the whole body it was sent (a ``413`` once the body
passed the route's limit, or by its ``Content-Length``; a ``401`` before the body is read) may
leave the rest on the connection, which the server then closes (granian drains a small rest and
closes for a larger one): the answer says ``Connection: close``, so that a client never sends its
next request on a connection about to close.

**Responses that the client stops reading.** The server stack bounds no send either: a client that
asks for a streamed answer (an export) and then reads nothing holds its connection, and the
export's memory (what the server buffered for it, about 3 MiB), for as long as it keeps the
connection open. So each send of a streamed body (one sent in several pieces) may wait twice
``seconds`` (:data:`SEND_PAUSE_FACTOR`; and at most a quarter of ``seconds`` more) for the client to
take what was sent before; when one waits longer, the response is abandoned: the app's stream is
stopped, and the connection is closed without the body's last chunk, so the client sees an
incomplete answer, never a complete one. A send waits until about half of what the socket holds
has gone (about 1 MB), so a download slower than about 1 MB in each such wait is cut too.
``on_stall`` is then called (in the request's context): the access log marks the request. A body
sent in one piece is handed to the server whole and never waits.
"""

from __future__ import annotations

import asyncio
import functools
import math
import weakref
from collections.abc import Awaitable, Callable
from typing import Any

from litestar.types import ASGIApp, Message, Receive, Send

from hours_http.errors import error_body
from hours_http.transport import send_error_and_close

__all__ = [
    "DEFAULT_BODY_MIN_RATE",
    "DEFAULT_BODY_TIMEOUT",
    "REQUEST_TIMEOUT_CODE",
    "SEND_PAUSE_FACTOR",
    "UNREADABLE_BODY_CODE",
    "UNREADABLE_BODY_MESSAGE",
    "BodyDeadline",
    "slow_body_message",
    "timeout_message",
]

DEFAULT_BODY_TIMEOUT = 30.0
"""Seconds a request's body may pause before the request is answered 408."""

SEND_PAUSE_FACTOR = 2
"""A send of a streamed response body may wait this many body timeouts for the client to take
what was sent before: 60 s by default, as nginx's ``send_timeout``. A send waits until the server's
buffer and the socket's have room again, and the kernel says so only once about half of what the
socket holds has gone (about 1 MB on Linux, once a download has grown its buffer): a client must
take about that much within each such wait, about 16 KB a second (130 kbit/s) at the default, or
have its download cut."""

DEFAULT_BODY_MIN_RATE = 500
"""Bytes a second a body must average past its first :data:`DEFAULT_BODY_TIMEOUT` seconds
(``mod_reqtimeout``'s default ``MinRate``): a 64 KiB body may take 2 min 41 s, a 64 MiB import
37 hours; a byte every 29 s is cut off after about 30 s."""

REQUEST_TIMEOUT_CODE = "request_timeout"

UNREADABLE_BODY_CODE = "bad_request"
"""The code of the 400 for a body the server could not read (:data:`UNREADABLE_BODY_MESSAGE`)."""

UNREADABLE_BODY_MESSAGE = (
    "The request body could not be read: its chunked encoding is not valid HTTP/1.1, or the "
    "connection closed before the body was complete; the connection is closed. Send the whole "
    "body again."
)


def timeout_message(seconds: float) -> str:
    """The message of a 408: what happened, and what the client can do."""
    return (
        f"No part of the request body arrived for {seconds:g} s; the connection is closed. "
        "Send the whole body (as its Content-Length says) without pausing, then retry."
    )


def slow_body_message(seconds: float, min_rate: int) -> str:
    """The message of a 408 for a body that kept coming, too slowly in all."""
    return (
        f"The request body arrived too slowly: a body may take {seconds:g} s plus 1 s for each "
        f"{min_rate} bytes it carries; the connection is closed. Send the body at a steadier pace, "
        "then retry."
    )


_CLOSE = (b"connection", b"close")


def _announces_body(scope: Any) -> bool:
    """Whether the request's headers announce a body: chunked, or a ``Content-Length`` not 0."""
    for name, value in scope["headers"]:
        if name == b"transfer-encoding" or (name == b"content-length" and value.strip() != b"0"):
            return True
    return False


_IDLE_SWEEPS = 10
"""Sweeps with nothing waiting after which a loop's watcher ends."""


class _BodyTimedOut(Exception):
    """A body read (or a send) that the watcher cancelled: it paused too long, or (``too_slow``)
    the body as a whole fell behind the minimum rate."""

    def __init__(self, *, too_slow: bool) -> None:
        super().__init__()
        self.too_slow = too_slow


class _ResponseStalled(Exception):
    """A send of a streamed response's body that waited longer than the deadline for the client."""


class _TimedSends:
    """The ``send`` of one request, through which each piece of a streamed response body (one sent
    in several) may wait for the client at most the deadline's :attr:`~BodyDeadline.send_seconds`;
    a piece that waits longer abandons the response (:class:`_ResponseStalled`, and every later
    message is dropped)."""

    __slots__ = ("deadline", "send", "stalled", "streaming")

    def __init__(self, deadline: BodyDeadline, send: Send) -> None:
        self.deadline = deadline
        self.send = send
        self.streaming = False
        self.stalled = False

    async def __call__(self, message: Message) -> None:
        if self.stalled:
            return
        if message["type"] != "http.response.body" or not (self.streaming or message.get("more_body", False)):
            await self.send(message)
            return
        self.streaming = True
        try:
            await self.deadline.watched(
                functools.partial(self.send, message),
                asyncio.get_running_loop().time(),
                pause=self.deadline.send_seconds,
            )
        except _BodyTimedOut:
            self.stalled = True
            self.deadline.note_stall()
            raise _ResponseStalled from None


def _caused_by_stall(error: BaseException) -> bool:
    """Whether ``error`` is :class:`_ResponseStalled`, or holds it: as its cause or context, or in
    an exception group, at any depth."""
    seen: set[int] = set()
    pending = [error]
    while pending:
        current = pending.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, _ResponseStalled):
            return True
        if isinstance(current, BaseExceptionGroup):
            pending.extend(current.exceptions)
        pending.extend(link for link in (current.__cause__, current.__context__) if link is not None)
    return False


class _Wait:
    """One body read (or send) in progress: the task awaiting it and when it ends (the loop's
    clock): ``pause`` after it began (``since``), or at ``until`` (the body's bound as a whole),
    whichever comes first; ``too_slow`` when that is the bound."""

    __slots__ = ("ends_at", "expired", "task", "too_slow")

    def __init__(self, task: asyncio.Task[Any], since: float, pause: float, until: float) -> None:
        self.task = task
        self.ends_at = min(since + pause, until)
        self.too_slow = until < since + pause
        self.expired = False


class BodyDeadline:
    """The ASGI wrapper of the module docstring. ``on_timeout`` is called (in the request's context)
    when a request is answered 408, before the answer is sent, and ``on_stall`` when a response is
    abandoned because the client stopped reading it: the access log marks the request."""

    def __init__(
        self,
        app: ASGIApp,
        seconds: float,
        *,
        min_rate: int = DEFAULT_BODY_MIN_RATE,
        on_timeout: Callable[[], None] | None = None,
        on_stall: Callable[[], None] | None = None,
    ) -> None:
        if seconds <= 0:
            raise ValueError(f"the body timeout must be positive, got {seconds!r}")
        if min_rate <= 0:
            raise ValueError(f"the body's minimum rate must be positive, got {min_rate!r}")
        self.app = app
        self.seconds = seconds
        self.send_seconds = SEND_PAUSE_FACTOR * seconds
        """How long a send of a streamed body may wait for the client (:data:`SEND_PAUSE_FACTOR`)."""
        self.min_rate = min_rate
        self._on_timeout = on_timeout
        self._on_stall = on_stall
        self._paused_body = error_body(REQUEST_TIMEOUT_CODE, timeout_message(seconds))
        self._slow_body = error_body(REQUEST_TIMEOUT_CODE, slow_body_message(seconds, min_rate))
        self._unreadable_body = error_body(UNREADABLE_BODY_CODE, UNREADABLE_BODY_MESSAGE)
        self._waits: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, set[_Wait]] = (
            weakref.WeakKeyDictionary()
        )
        # The watcher tasks, held here: an event loop keeps only weak references to its tasks.
        self._watchers: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Task[None]] = (
            weakref.WeakKeyDictionary()
        )

    async def __call__(self, scope: Any, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        body_complete = False
        gone = False  # the body timed out or cannot be read: from then on the app hears the client left
        answered = False  # the 408 or 400 was sent: the app's own answer goes nowhere
        started = False
        sends = _TimedSends(self, send)
        first_read: float | None = None  # the loop's clock at the app's first read of the body
        received = 0  # bytes of the body delivered so far

        async def answer_instead(body: bytes, status: int) -> None:
            """Answer ``body`` (a 408 or 400) unless the app has begun its own answer (an app that
            answered without reading the body keeps it); the app's answer then goes nowhere."""
            nonlocal answered
            if not started:
                answered = True
                await send_error_and_close(scope, send, status, body)

        async def receive_in_time() -> Any:
            nonlocal body_complete, gone, first_read, received
            if body_complete:
                return await receive()
            if gone:
                return {"type": "http.disconnect"}
            now = asyncio.get_running_loop().time()
            if first_read is None:
                first_read = now
            until = first_read + self.seconds + received / self.min_rate
            try:
                message = await self.watched(receive, now, until)
            except _BodyTimedOut as timeout:
                if gone:  # another wait of this request timed out first and answered
                    return {"type": "http.disconnect"}
                gone = True
                if not started and self._on_timeout is not None:
                    self._on_timeout()
                await answer_instead(self._slow_body if timeout.too_slow else self._paused_body, 408)
                return {"type": "http.disconnect"}
            if message["type"] == "http.disconnect":
                # Before the body was complete: the client left, or the server could not read
                # the body (a malformed chunked encoding) and the connection is still open; the
                # server would answer that with its own text 500 if the app answered nothing.
                if not gone:
                    gone = True
                    await answer_instead(self._unreadable_body, 400)
                return message
            received += len(message.get("body", b""))
            if not message.get("more_body", False):
                body_complete = True
            return message

        async def send_unless_answered(message: Message) -> None:
            nonlocal started
            if answered or sends.stalled:
                return
            if not started and not body_complete and (first_read is not None or _announces_body(scope)):
                # The app answers before it has read the whole body (a 413 past the limit, a 401
                # before it): the rest may still be on the connection, which the server then
                # closes; say so, so that the client does not send its next request on it.
                start: dict[str, Any] = dict(message)
                start["headers"] = [*start.get("headers", ()), _CLOSE]
                started = True
                await sends(start)  # type: ignore[arg-type]
                return
            started = True
            await sends(message)

        await self._serve(scope, receive_in_time, send_unless_answered, sends)

    async def _serve(self, scope: Any, receive: Receive, send: Send, sends: _TimedSends) -> None:
        """Run the app; the stall of an abandoned response (:class:`_ResponseStalled`, as it
        arrives through the app's layers: Litestar's ``Exception caught after response started``
        around an anyio exception group) ends it there, without its last chunk, and the server
        closes the connection. Any other error goes on to the server, as before."""
        try:
            await self.app(scope, receive, send)
        except Exception as error:
            if not (sends.stalled and _caused_by_stall(error)):
                raise

    def note_stall(self) -> None:
        """Tell ``on_stall`` that a response was abandoned (in the request's context)."""
        if self._on_stall is not None:
            self._on_stall()

    async def watched(
        self,
        step: Callable[[], Awaitable[Any]],
        since: float,
        until: float = math.inf,
        *,
        pause: float | None = None,
    ) -> Any:
        """``await step()`` (a body read, or a send), registered with the event loop's watcher
        (:meth:`_watch`), which cancels it once it has lasted ``pause`` (:attr:`seconds` unless
        given) or once the loop's clock passes ``until`` (the whole body's bound): then
        :class:`_BodyTimedOut`.

        One watcher per event loop rather than a timer per wait: a timer armed and cancelled for
        every body read (``asyncio.timeout``) cost a replay a tenth of its CPU and put its p99
        from 4 to 40 ms (uvloop closes each cancelled timer on a later turn of the loop).
        """
        loop = asyncio.get_running_loop()
        task = asyncio.current_task()
        if task is None:  # not in a task: nothing to cancel (no ASGI server runs an app so)
            return await step()
        waits = self._waits_of(loop)
        wait = _Wait(task, since, self.seconds if pause is None else pause, until)
        waits.add(wait)
        try:
            return await step()
        except asyncio.CancelledError:
            if not wait.expired:
                raise
            task.uncancel()
            raise _BodyTimedOut(too_slow=wait.too_slow) from None
        finally:
            waits.discard(wait)

    def _waits_of(self, loop: asyncio.AbstractEventLoop) -> set[_Wait]:
        """The body reads and sends waiting on ``loop``, watched by a task of its own (started once
        per loop)."""
        waits = self._waits.get(loop)
        if waits is None:
            waits = self._waits[loop] = set()
            self._watchers[loop] = loop.create_task(self._watch(loop, waits))
        return waits

    async def _watch(self, loop: asyncio.AbstractEventLoop, waits: set[_Wait]) -> None:
        """Every quarter of the deadline (at most a second), cancel the reads and sends that have waited
        longer than it, or whose body is past its whole bound: a body times out after ``seconds``
        (or its bound) and at most a quarter of ``seconds`` more. A watcher
        that found nothing waiting :data:`_IDLE_SWEEPS` times in a row ends (the next read starts
        another), so an idle or stopping server keeps no task of it."""
        interval = min(1.0, self.seconds / 4)
        idle = 0
        while idle < _IDLE_SWEEPS:
            await asyncio.sleep(interval)
            idle = 0 if waits else idle + 1
            now = loop.time()
            for wait in [wait for wait in waits if now >= wait.ends_at]:
                if not wait.expired:
                    wait.expired = True
                    wait.task.cancel()
        del self._waits[loop], self._watchers[loop]  # nothing awaits between the check and this
