"""Replays answered before the route runs, where the store reads locally (SQLite).

A replay is the commonest retry and the cheapest answer there is: the recorded response, byte for
byte. :class:`ReplayFirst` gives it the shortest path. It is a middleware that runs after
authentication and the user's rate limit (steps 2 and 3 of the order of checks in docs/api.md)
and before the route's parameter checks, dependencies and body decoding. For a request to a
keyed write route that sends an ``Idempotency-Key``, it reads the body (with the route's size
limit, step 5), works out the key and the fingerprint exactly as :class:`~hours_http.responses.Writer`
does (:func:`~hours_http.idempotency.keyed_request`), and asks the core's
:meth:`~hours_core.services.IdempotentRunner.replay`. A replay is answered there and then, with
the recorded status, headers and body and ``Idempotent-Replayed: true``, as the route would.

Anything else goes on to the route unchanged, and the route decides as it always did:

- a request the middleware is not sure about: a query string or a path id that the route's
  parameter checks (step 4) must see first, a key or a body that the checks of step 6 refuse,
  a key reused with another request, a store that is busy. The route reaches the same answer,
  refusal included, by the same code;
- a key not seen before. The middleware notes that it looked (:data:`LOOKED_UP`), so the route
  does not look again: its write transaction claims the key, and a concurrent first use of the
  same key is settled by that claim, as before.

The body read here is handed to the route as the same ASGI messages (:func:`_read_body`), so the
client sends it once either way, and the route's own size check sees every byte.
"""

from __future__ import annotations

from typing import Any

from litestar.handlers import HTTPRouteHandler
from litestar.types import ASGIApp, Receive, ReceiveMessage, Scope, Send

from hours_core.errors import HoursError
from hours_core.services import Caller, IdempotentRunner, Outcome
from hours_http.body import PendingBody
from hours_http.idempotency import IDEMPOTENT, REPLAYED_HEADER, keyed_request, unframe
from hours_http.query import loose_path_ids

__all__ = ["LOOKED_UP", "ReplayFirst"]

LOOKED_UP = "hours_replay_looked_up"
"""The scope key :class:`ReplayFirst` leaves on a keyed request it looked up and found no replay
for: the :class:`~hours_core.services.KeyedRequest` it worked out, which the route reuses."""

_KEY_HEADER = b"idempotency-key"
_CONTENT_LENGTH = b"content-length"
_REPLAYED = (REPLAYED_HEADER.lower().encode(), b"true")


class ReplayFirst:
    """The middleware described in the module docstring; ``runner`` is the core's idempotency runner."""

    def __init__(self, app: ASGIApp, runner: IdempotentRunner) -> None:
        self.app = app
        self._runner = runner

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        handler = scope["route_handler"]
        if (
            not isinstance(handler, HTTPRouteHandler)
            or not handler.opt.get(IDEMPOTENT)
            or scope.get("query_string")  # the route checks its query parameters first
        ):
            await self.app(scope, receive, send)
            return
        key = announced = None
        for name, value in scope["headers"]:
            if name == _KEY_HEADER:
                key = value
            elif name == _CONTENT_LENGTH:
                announced = value
        if key is None or loose_path_ids(scope):
            await self.app(scope, receive, send)
            return
        body = None
        if "data" in handler.parsed_fn_signature.parameters:  # the route reads a body
            limit = handler.resolve_request_max_body_size()
            if announced is not None and not _within(announced, limit):
                # The route refuses it (413, or 400 for a malformed length) before reading a byte.
                await self.app(scope, receive, send)
                return
            chunks, receive = await _read_body(receive, limit)
            if chunks is None:  # over the route's limit, or the client left: the route answers
                await self.app(scope, receive, send)
                return
            body = PendingBody(b"".join(chunks), "", object)  # the fingerprint needs no content type
        replay = self._replay(scope, key.decode("latin-1"), body)
        if replay is None:
            await self.app(scope, receive, send)
            return
        await _send_recorded(send, replay)

    def _replay(self, scope: Scope, key: str, body: PendingBody[Any] | None) -> Outcome | None:
        """The recorded outcome of a replay, or ``None`` to let the route decide."""
        caller: Caller = scope["user"]
        path = scope.get("root_path", "") + scope["path"]  # the route's ``request.url.path``
        try:
            keyed = keyed_request(key, scope["method"], path, body)  # type: ignore[typeddict-item]
            assert keyed is not None  # the header is there
            replay = self._runner.replay(caller, keyed)
        except HoursError:  # a malformed key or body, a reused key, a busy store: the route answers
            return None
        if replay is None:
            scope[LOOKED_UP] = keyed  # type: ignore[literal-required]
        return replay


async def _read_body(receive: Receive, limit: int | None) -> tuple[list[bytes] | None, Receive]:
    """The request body's chunks, read up to ``limit`` bytes, and the ``receive`` the route reads
    the same body from: the chunks read here, then whatever ``receive`` has left.

    The chunks are ``None`` when the body is over ``limit`` (reading stops one chunk past it) or
    the client disconnected before it was complete; the route then reads the same messages and
    answers as it always does (413 ``payload_too_large``; a 500 for a body the client abandoned).
    """
    messages: list[ReceiveMessage] = []
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request":
            return None, _replaying(messages, receive)
        chunk = message.get("body", b"")
        size += len(chunk)
        if limit is not None and size > limit:
            return None, _replaying(messages, receive)
        chunks.append(chunk)
        if not message.get("more_body", False):
            return chunks, _replaying(messages, receive)


def _within(content_length: bytes, limit: int | None) -> bool:
    """Whether a ``Content-Length`` value is a length of at most ``limit`` (no limit: any length)."""
    if not content_length.isdigit():
        return False
    return limit is None or int(content_length) <= limit


def _replaying(messages: list[ReceiveMessage], receive: Receive) -> Receive:
    """A ``receive`` that gives ``messages`` back in order, then calls ``receive``."""
    pending = iter(messages)

    async def receive_again() -> Any:
        message = next(pending, None)
        return await receive() if message is None else message

    return receive_again


async def _send_recorded(send: Send, outcome: Outcome) -> None:
    """Send a recorded response as :func:`hours_http.idempotency.to_response` has Litestar send it."""
    response = unframe(outcome.result)
    headers = [(name.lower().encode(), value.encode()) for name, value in response.headers]
    headers.append(_REPLAYED)
    if response.body:
        headers.append((b"content-type", b"application/json"))
    headers.append((b"content-length", str(len(response.body)).encode()))
    await send({"type": "http.response.start", "status": response.status, "headers": headers})
    await send({"type": "http.response.body", "body": response.body, "more_body": False})
