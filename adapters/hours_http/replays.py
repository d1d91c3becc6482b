"""Replays answered before the route runs.

A replay is the commonest retry and the cheapest answer there is: the recorded response, byte for
byte. :class:`ReplayFirst` gives it the shortest path. It is a middleware that runs after
authentication and the user's rate limit (steps 2 and 3 of the order of checks in docs/api.md)
and before the route's parameter checks, dependencies and body decoding. For a request to a
keyed write route that sends an ``Idempotency-Key``, it reads the body (with the route's size
limit, step 5), works out the key and the fingerprint exactly as :class:`~hours_http.responses.Writer`
does (:func:`~hours_http.idempotency.keyed_request`), and asks the core's
:meth:`~hours_core.services.IdempotentRunner.replay`. A replay is answered there and then, with
the recorded status, headers and body and ``Idempotent-Replayed: true``, as the route would.

It asks the process's memory of completed records only (``replay`` reads no store), and only for a
key the memory holds a record of, on every store. A key the memory does not hold (new, or used
before this process started, or in another process, or evicted) costs a create no store lookup
and no second reading of its body: the route's write transaction claims the key, and that claim
answers the replay of a record in the store (and teaches the memory, so the next replay of it is
answered here). A store lookup before the write would cost every create a read transaction to
find, almost always, nothing.

Anything else goes on to the route unchanged, and the route decides as it always did:

- a request the middleware is not sure about: a query string or a path id that the route's
  parameter checks (step 4) must see first, a key or a body that the checks of step 6 refuse,
  a key reused with another request. The route reaches the same answer, refusal included, by
  the same code;
- a key the memory does not hold, or whose record's 24 hours have just ended. For the latter, the
  middleware hands on the request it worked out (:data:`LOOKED_UP`), so the route does not work
  it out again. Either way the route's write transaction claims the key, and a concurrent first
  use of the same key is settled by that claim, as before.

The body read here is handed to the route as the same ASGI messages (:func:`_read_body`), so the
client sends it once either way, and the route's own size check sees every byte.

**Before routing.** :class:`ReplayBeforeRouting` answers the commonest replay even earlier, outside
Litestar's router and middleware: when every check up to the replay can be decided in this process
with no store access. It routes the request itself (Litestar's own cached routing), authenticates it
from the authentication cache only, goes on only for a key the replay memory holds (a new key costs
it a dictionary lookup, not a read of the body), and spends a unit of the user's rate limit only from
the units this process holds. Whenever any of those would need the store, or would refuse, it
leaves the request to the app untouched (nothing counted, the body handed on), and the app decides
as above, so every answer is still the route's. It answers exactly what :class:`ReplayFirst` and
the rate limit's middleware would: the recorded response, then the ``RateLimit-Policy`` and
``RateLimit`` fields.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from litestar import Litestar
from litestar._asgi.utils import is_valid_host  # the router's own Host check, so both agree
from litestar.handlers import HTTPRouteHandler
from litestar.types import ASGIApp, Receive, ReceiveMessage, Scope, Send
from litestar.utils import normalize_path

from hours_core.errors import HoursError
from hours_core.idempotency import parse_key
from hours_core.services import Authenticator, Caller, IdempotentRunner, Outcome
from hours_http.auth import authorization_of, bearer_token
from hours_http.body import PendingBody
from hours_http.idempotency import IDEMPOTENT, REPLAYED_HEADER, keyed_request, unframe
from hours_http.last_use import LastUseWriter
from hours_http.query import loose_path_ids
from hours_http.rate_limit import AuthFailureLimit, Policy

__all__ = ["LOOKED_UP", "ReplayBeforeRouting", "ReplayFirst"]

LOOKED_UP = "hours_replay_looked_up"
"""The scope key :class:`ReplayFirst` leaves on a keyed request it looked up and found no replay
for: the :class:`~hours_core.services.KeyedRequest` it worked out, which the route reuses."""

_KEY_HEADER = b"idempotency-key"
_CONTENT_LENGTH = b"content-length"
_REPLAYED = (REPLAYED_HEADER.lower().encode(), b"true")


class ReplayFirst:
    """The middleware described in the module docstring; ``runner`` is the core's idempotency
    runner, whose memory it asks."""

    def __init__(self, app: ASGIApp, runner: IdempotentRunner) -> None:
        self.app = app
        self._runner = runner

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        replayable = None if LOOKED_UP in scope else _replayable(scope["route_handler"], scope)
        if replayable is None:  # not replayable here, or looked up before routing already
            await self.app(scope, receive, send)
            return
        handler, key = replayable
        if _remembered(self._runner, key) is None:
            await self.app(scope, receive, send)  # not in memory: the route's claim decides
            return
        readable, body, receive = await _keyed_body(handler, scope, receive)
        path = scope.get("root_path", "") + scope["path"]  # the route's ``request.url.path``
        replay = None
        if readable:
            caller: Caller = scope["user"]
            replay = _look_up(self._runner, caller, scope, key, path, body)
        if replay is None:
            await self.app(scope, receive, send)
            return
        await _send_recorded(send, replay)


def _look_up(
    runner: IdempotentRunner,
    caller: Caller,
    scope: Any,
    key: str,
    path: str,
    body: PendingBody[Any] | None,
    *,
    note_miss: bool = True,
) -> Outcome | None:
    """The recorded outcome of a replay, from the runner's memory, or ``None`` to let the route
    decide. With ``note_miss``, a request with no replay is noted in the scope (:data:`LOOKED_UP`),
    so that the route does not work it out again."""
    try:
        keyed = keyed_request(key, scope["method"], path, body)
        assert keyed is not None  # the header is there
        replay = runner.replay(caller, keyed)
    except HoursError:  # a malformed key or body, a reused key, a busy store: the route answers
        return None
    if replay is None and note_miss:
        scope[LOOKED_UP] = keyed
    return replay


class ReplayBeforeRouting:
    """The layer described in the module docstring ("Before routing"): it wraps the Litestar
    app's ASGI handler, inside :class:`~hours_http.transport.HttpSemantics`."""

    def __init__(
        self,
        app: ASGIApp,
        litestar: Litestar,
        *,
        runner: IdempotentRunner,
        authenticator: Authenticator,
        last_uses: LastUseWriter,
        failures: AuthFailureLimit | None,
        rate_limit: Policy | None,
    ) -> None:
        self.app = app
        self._route = litestar.asgi_router.handle_routing  # Litestar's routing, cached by path
        self._runner = runner
        self._authenticator = authenticator
        self._last_uses = last_uses
        self._failures = failures
        self._rate_limit = rate_limit

    async def __call__(self, scope: Any, receive: Receive, send: Send) -> None:
        # First the cheapest test: a key no remembered record has is new, most likely, and the app
        # looks it up; then routing, the authentication and the record of this caller.
        key = self._remembered_key(scope)
        routed = None if key is None else self._routed(scope)
        caller = None if routed is None else self._cached_caller(scope)
        if key is None or routed is None or caller is None:
            await self.app(scope, receive, send)
            return
        handler, header = routed
        if (
            not self._runner.memory.holds(caller.org_id, caller.user_id, key)  # another user's key
            or self._known_over_rate_limit(caller)  # the rate limit comes before the body (step 3)
        ):
            await self.app(scope, receive, send)
            return
        readable, body, receive = await _keyed_body(handler, scope, receive)
        replay = None
        if readable:
            replay = _look_up(self._runner, caller, scope, header, scope["path"], body, note_miss=False)
        rate_headers = None if replay is None else self._spend_held_unit(caller)
        if replay is None or rate_headers is None:
            await self.app(scope, receive, send)
            return
        self._last_uses.schedule()
        await _send_recorded(send, replay, rate_headers)

    def _routed(self, scope: Any) -> tuple[HTTPRouteHandler, str] | None:
        """The keyed write route the request goes to and its key, if the app's routing would reach
        it and its parameter checks have nothing to say; else ``None``."""
        if scope.get("root_path") or scope.get("query_string"):
            return None
        host = next((value for name, value in scope["headers"] if name == b"host"), None)
        if host is not None and not is_valid_host(host):  # the router refuses it (400)
            return None
        try:
            _app, handler, path, params, _template = self._route(
                path=normalize_path(scope["path"]), method=scope["method"]
            )
        except Exception:  # no such route or method, a malformed path parameter: the app answers
            return None
        if path != scope["path"]:
            return None
        return _replayable(handler, {"path": path, "path_params": params, "headers": scope["headers"]})

    def _remembered_key(self, scope: Any) -> str | None:
        """The canonical ``Idempotency-Key`` of a write whose key the replay memory holds a record
        of (for any caller); ``None`` for any other request."""
        if scope["type"] != "http" or scope["method"] not in _WRITE_METHODS:
            return None
        header = next((value for name, value in scope["headers"] if name == _KEY_HEADER), None)
        return None if header is None else _remembered(self._runner, header.decode("latin-1"))

    def _cached_caller(self, scope: Any) -> Caller | None:
        """The caller the authentication would find, if its cache holds it and the client's
        address is not known to be over its failure limit (that refusal comes first)."""
        failures = self._failures
        if failures is not None:
            client = scope.get("client")
            if failures.policy.known_refusal(client[0] if client else "") is not None:
                return None
        try:
            return self._authenticator.cached(bearer_token(authorization_of(scope)))
        except HoursError:  # no token, a malformed one: the app refuses it (and counts the failure)
            return None

    def _known_over_rate_limit(self, caller: Caller) -> bool:
        """Whether this process knows the user has nothing left in the window (nothing counted)."""
        policy = self._rate_limit
        return policy is not None and policy.known_refusal(str(caller.user.id)) is not None

    def _spend_held_unit(self, caller: Caller) -> list[tuple[bytes, bytes]] | None:
        """The rate limit's header fields once a unit of the user's limit this process holds is
        spent; ``None`` (nothing spent) when only the store can count it, or the user is over."""
        policy = self._rate_limit
        if policy is None:
            return []
        answer = policy.take_held(str(caller.user.id))
        if answer is None or not answer.allowed:
            return None
        return [(name.lower().encode(), value.encode()) for name, value in policy.headers(answer).items()]


_WRITE_METHODS = frozenset({"POST", "PATCH"})
"""The methods of the keyed write routes (a cheap test before the rest)."""


def _remembered(runner: IdempotentRunner, header: str) -> str | None:
    """The canonical form of an ``Idempotency-Key`` header if the replay memory holds a record of
    that key (for any caller): the cheapest test that a key is new here. ``None`` otherwise, or for
    a malformed key (the route refuses it)."""
    try:
        key = parse_key(header)
    except HoursError:
        return None
    return key if runner.memory.knows_key(key) else None


def _replayable(handler: object, scope: Any) -> tuple[HTTPRouteHandler, str] | None:
    """The keyed write route of a request whose replay may be answered before the route, and its
    ``Idempotency-Key``: no query string and no loosely written path id (the route's parameter
    checks answer those first). ``None`` for any other request."""
    if (
        not isinstance(handler, HTTPRouteHandler)
        or not handler.opt.get(IDEMPOTENT)
        or scope.get("query_string")  # the route checks its query parameters first
    ):
        return None
    key: bytes | None = next((value for name, value in scope["headers"] if name == _KEY_HEADER), None)
    if key is None or loose_path_ids(scope):
        return None
    return handler, key.decode("latin-1")


async def _keyed_body(
    handler: HTTPRouteHandler, scope: Scope, receive: Receive
) -> tuple[bool, PendingBody[Any] | None, Receive]:
    """Whether the request's body could be read within the route's limit, the body (``None`` for
    a route that reads none), and the ``receive`` the app reads the same body from."""
    limit = handler.resolve_request_max_body_size()
    announced = next((value for name, value in scope["headers"] if name == _CONTENT_LENGTH), None)
    if announced is not None and not _within(announced, limit):
        # The route refuses it (413, or 400 for a malformed length) before reading a byte, whether
        # it reads a body or not.
        return False, None, receive
    if "data" not in handler.parsed_fn_signature.parameters:  # the route reads no body
        return True, None, receive
    chunks, receive = await _read_body(receive, limit)
    if chunks is None:  # over the route's limit, or the client left: the route answers
        return False, None, receive
    return True, PendingBody(b"".join(chunks), "", object), receive  # no content type in a fingerprint


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


async def _send_recorded(send: Send, outcome: Outcome, extra: Sequence[tuple[bytes, bytes]] = ()) -> None:
    """Send a recorded response as :func:`hours_http.idempotency.to_response` has Litestar send it,
    then the ``extra`` header fields (the rate limit's, as its middleware appends them)."""
    result = outcome.result
    status, head, body = _replayed(result) if len(result) <= _HEADS_KEPT_UP_TO else _replay_of(result)
    await send({"type": "http.response.start", "status": status, "headers": [*head, *extra]})
    await send({"type": "http.response.body", "body": body, "more_body": False})


_HEADS_KEPT_UP_TO = 4 * 1024
"""The largest recorded result whose replay :func:`_replayed` keeps ready (at most 4 MiB in all)."""

_Replay = tuple[int, tuple[tuple[bytes, bytes], ...], bytes]


def _replay_of(result: bytes) -> _Replay:
    """The status, header fields and body a replay of ``result`` sends (before any ``extra``)."""
    response = unframe(result)
    headers = [(name.lower().encode(), value.encode()) for name, value in response.headers]
    headers.append(_REPLAYED)
    if response.body:
        headers.append((b"content-type", b"application/json"))
    headers.append((b"content-length", str(len(response.body)).encode()))
    return response.status, tuple(headers), response.body


_replayed = lru_cache(maxsize=1024)(_replay_of)
""":func:`_replay_of` for the 1,024 results replayed last: a retried request's record is replayed
again and again (the replay memory hands out the same bytes, whose hash Python keeps)."""
