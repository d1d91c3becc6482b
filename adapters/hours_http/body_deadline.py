"""A request body that stops arriving is answered 408 and its connection closed.

The server stack bounds the time a client takes to send a request's line and headers (``hours
serve --header-timeout``), not its body: a client that sent its headers and part of its body, or a
``Content-Length`` larger than what it sends, would hold its connection (one of a worker's
``--max-connections``) for as long as it keeps it open, so a few hundred such connections would
keep everyone else waiting. :class:`BodyDeadline` wraps the whole site, outside the routers: while
a request's body is not complete, each wait for more of it may last ``seconds`` at most. When one
lasts longer, the client gets ``408 Request Timeout`` with the error body ``request_timeout`` and
``Connection: close``; the app sees the client leave (``http.disconnect``), as if it had
disconnected, and whatever it answers is dropped.

The clock runs while the app waits for body bytes it has asked for, and starts again with each
piece: a client that keeps sending (even slowly) is not cut off, and a request whose body is
complete (or that has none: the app never waits for one) is never timed. An app that waits for the
client to leave (``http.disconnect`` after the body) is not timed either. (A body the app never
reads is the server's: granian closes such a connection once the answer is sent.)
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from litestar.types import ASGIApp, Message, Receive, Send

from hours_http.errors import error_body
from hours_http.request_id import REQUEST_ID_NAME, request_id_of

__all__ = ["DEFAULT_BODY_TIMEOUT", "REQUEST_TIMEOUT_CODE", "BodyDeadline", "timeout_message"]

DEFAULT_BODY_TIMEOUT = 30.0
"""Seconds a request's body may pause before the request is answered 408."""

REQUEST_TIMEOUT_CODE = "request_timeout"


def timeout_message(seconds: float) -> str:
    """The message of a 408: what happened, and what the client can do."""
    return (
        f"No part of the request body arrived for {seconds:g} s; the connection is closed. "
        "Send the whole body (as its Content-Length says) without pausing, then retry."
    )


class BodyDeadline:
    """The ASGI wrapper of the module docstring. ``on_timeout`` is called (in the request's context)
    when a request is answered 408, before the answer is sent: the access log marks the request."""

    def __init__(self, app: ASGIApp, seconds: float, *, on_timeout: Callable[[], None] | None = None) -> None:
        if seconds <= 0:
            raise ValueError(f"the body timeout must be positive, got {seconds!r}")
        self.app = app
        self.seconds = seconds
        self._on_timeout = on_timeout
        self._body = error_body(REQUEST_TIMEOUT_CODE, timeout_message(seconds))

    async def __call__(self, scope: Any, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        body_complete = False
        timed_out = False  # from then on the app hears that the client left
        answered = False  # the 408 was sent: the app's own answer goes nowhere
        started = False

        async def receive_in_time() -> Any:
            nonlocal body_complete, timed_out, answered
            if body_complete:
                return await receive()
            if timed_out:
                return {"type": "http.disconnect"}
            try:
                async with asyncio.timeout(self.seconds):
                    message = await receive()
            except TimeoutError:
                if timed_out:  # another wait of this request timed out first and answered
                    return {"type": "http.disconnect"}
                timed_out = True
                if not started:  # an app that answered without reading the body keeps its answer
                    answered = True
                    if self._on_timeout is not None:
                        self._on_timeout()
                    await self._send_answer(scope, send)
                return {"type": "http.disconnect"}
            if message["type"] != "http.request" or not message.get("more_body", False):
                body_complete = True
            return message

        async def send_unless_answered(message: Message) -> None:
            nonlocal started
            if answered:
                return
            started = True
            await send(message)

        await self.app(scope, receive_in_time, send_unless_answered)

    async def _send_answer(self, scope: Any, send: Send) -> None:
        """The 408, with the request's ``X-Request-Id`` as every answer of hours."""
        headers = [
            (b"content-type", b"application/json"),
            (b"connection", b"close"),
            (b"cache-control", b"no-store"),
            (REQUEST_ID_NAME, request_id_of(scope).encode()),
        ]
        await send({"type": "http.response.start", "status": 408, "headers": headers})
        await send({"type": "http.response.body", "body": self._body, "more_body": False})
