"""HTTP semantics the router never sees: ``HEAD``, ambiguous security headers, content codings,
and the caching of answers that belong to one caller.

:class:`HttpSemantics` wraps the whole Litestar app (outside its router), so it acts on every
request before routing:

* ``HEAD`` on a ``GET`` route answers what ``GET`` would, headers and all (``Content-Length``
  included), without the body (RFC 9110, 9.3.2). Load balancers probe ``HEAD /health``.
* ``Authorization``, ``Idempotency-Key`` or ``Content-Type`` sent more than once is 400
  ``bad_request`` naming the header: silently taking the first (or the last) could authenticate,
  deduplicate or read a request as another part of the chain did not.
* A body with a ``Content-Encoding`` other than ``identity`` is 415 ``unsupported_media_type``:
  hours decodes no content coding, and must not read gzip bytes as JSON. So is a
  ``Transfer-Encoding`` that names a coding other than ``chunked`` (``gzip, chunked``): the HTTP
  server takes the chunks apart and hands the rest on still coded.
* ``If-Match`` or ``If-None-Match`` sent on several field lines is one list (RFC 9110, 5.3): the
  lines are joined with ``, `` before the framework, which would read the first line only (a version
  named on the second line never matched).
* Every answer of a route that needs a token carries ``Cache-Control: private, no-store``, so no
  shared cache (and no browser cache) keeps what belongs to one caller, a new token's secret
  above all. ``/health`` and the API reference keep their own caching. Which route a path is
  is read as the router reads it (:func:`routed_path`: ``/health/`` and ``//health`` are
  ``/health``), so every spelling the router serves gets the headers of its route.
* Every answer, errors and unmatched routes included, says which request it answers
  (``X-Request-Id``, :mod:`hours_http.request_id`).
* The asterisk-form request target ``*`` (RFC 9112, 3.2.4: the server as a whole, for ``OPTIONS``
  only; the server hands it on as the path ``*``) matches no route, and was a 404.
  :class:`ServerWideOptions` answers it: ``OPTIONS *`` is 204 with ``Allow`` listing every method
  of every route (RFC 9110, 9.3.7), ``HEAD`` beside ``GET``; any other method on ``*`` is 400
  ``bad_request`` (:data:`ASTERISK_REFUSED`).
* The API reference's pages under ``/schema`` (where a reader pastes a token into "try it") may not
  be framed by another site, nor sniffed into another type, nor leak their address to other sites:
  :data:`REFERENCE_HEADERS`, as the web app's pages.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from litestar.routes import BaseRoute
from litestar.types import ASGIApp, Message, Receive, Send
from litestar.utils import normalize_path

from hours_http.auth import PUBLIC_PATHS
from hours_http.errors import STATUS_BY_CODE, error_body
from hours_http.options import with_head
from hours_http.request_id import REQUEST_ID_NAME, request_id_of

__all__ = [
    "ASTERISK_REFUSED",
    "CACHE_CONTROL",
    "REFERENCE_HEADERS",
    "REPEATABLE_NOWHERE",
    "HttpSemantics",
    "ServerWideOptions",
    "routed_path",
    "send_error_and_close",
]

REPEATABLE_NOWHERE = (b"authorization", b"idempotency-key", b"content-type")
"""Request headers that must be sent at most once: the two security headers, and ``Content-Type``, a
singleton field (RFC 9110, 5.3) that the framework would read the first of and a proxy the last."""

CACHE_CONTROL = b"private, no-store"
"""The ``Cache-Control`` of every answer of a route that needs a token."""

REFERENCE_HEADERS = (
    (b"content-security-policy", b"frame-ancestors 'none'"),
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
)
"""What every answer under ``/schema`` carries. No script policy: the reference pages run the
vendored Scalar and Swagger UI, whose inline start-up a ``script-src`` would have to allow anyway."""

ASTERISK_REFUSED = (
    "The request target * (the server as a whole) is for OPTIONS only; name a path, such as /health."
)
"""The message of the 400 for another method than ``OPTIONS`` on the request target ``*``."""

LIST_HEADERS = (b"if-match", b"if-none-match")
"""The list-valued request headers hours reads whose field lines it joins into one."""

_PUBLIC = re.compile("|".join(PUBLIC_PATHS))
_REFERENCE = "/schema"
_CANONICAL_NAMES = {
    b"authorization": "Authorization",
    b"idempotency-key": "Idempotency-Key",
    b"content-type": "Content-Type",
}


class HttpSemantics:
    """The ASGI wrapper described in the module docstring."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = request_id_of(scope).encode()  # in the scope's state, before any copy of it
        head = scope["method"] == "HEAD"
        path = routed_path(scope["path"])
        private = not _PUBLIC.match(path)
        reference = not private and (path == _REFERENCE or path.startswith(_REFERENCE + "/"))
        answering = _answering(send, request_id, private=private, head=head, reference=reference)
        refusal = _refusal(scope["headers"])
        if refusal is not None:
            await _answer(answering, *refusal)
            return
        if head:
            scope = {**scope, "method": "GET"}
        joined = _joined_lists(scope["headers"])
        if joined is not None:
            scope = {**scope, "headers": joined}
        await self.app(scope, receive, answering)


async def send_error_and_close(scope: Any, send: Send, status: int, body: bytes) -> None:
    """Answer ``body`` (an :func:`~hours_http.errors.error_body`) with ``status`` from outside the
    routers, with the request's ``X-Request-Id`` and ``Cache-Control`` as every answer to its path
    (``private, no-store`` but for the paths that need no token: :class:`HttpSemantics`), and
    ``Connection: close``: the wrappers that refuse a request before (or instead of) the app (a bad
    ``Host``, a body that stopped or cannot be read) leave nothing on the connection worth keeping."""
    public = _PUBLIC.match(routed_path(scope["path"]))
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"cache-control", b"no-store" if public else CACHE_CONTROL),
        (b"connection", b"close"),
        (REQUEST_ID_NAME, request_id_of(scope).encode()),
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body, "more_body": False})


def routed_path(path: str) -> str:
    """``path`` as the router matches it: without a slash at the end, with each run of slashes
    one (Litestar's ``normalize_path``; ``//schema/`` is ``/schema``). Before, the headers of
    ``/health/`` and ``//health`` were those of a route that needs a token, and ``//schema`` went
    without the reference's (framing allowed), though the router served them as ``/health`` and
    ``/schema``. Most paths need no change, and are not copied."""
    return normalize_path(path) if "//" in path or (path.endswith("/") and path != "/") else path


class ServerWideOptions:
    """Answers the request target ``*`` (the module docstring); every other request goes on to
    ``app``. ``routes`` are the app's: ``Allow`` is made of their methods once."""

    def __init__(self, app: ASGIApp, routes: Iterable[BaseRoute]) -> None:
        self.app = app
        methods = with_head(method for route in routes for method in route.methods)
        self.allow = ", ".join(sorted(methods)).encode()

    async def __call__(self, scope: Any, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != "*":
            await self.app(scope, receive, send)
        elif scope["method"] == "OPTIONS":
            await send({"type": "http.response.start", "status": 204, "headers": [(b"allow", self.allow)]})
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        else:
            await _answer(send, "bad_request", ASTERISK_REFUSED, None)


def _joined_lists(headers: Any) -> list[tuple[bytes, bytes]] | None:
    """``headers`` with the field lines of each of :data:`LIST_HEADERS` joined into one line, at the
    place of its first, or ``None`` when there are not two such lines (nothing to join)."""
    if sum(1 for name, _ in headers if name.lower() in LIST_HEADERS) < 2:
        return None
    lines: dict[bytes, list[bytes]] = {}
    kept: list[tuple[bytes, bytes]] = []
    for name, value in headers:
        key = name.lower()
        if key in LIST_HEADERS:
            if key in lines:
                lines[key].append(value)
                continue
            lines[key] = [value]
        kept.append((name, value))
    return [
        (name, b", ".join(lines[name.lower()]) if name.lower() in lines else value) for name, value in kept
    ]


def _refusal(headers: Any) -> tuple[str, str, dict[str, str] | None] | None:
    """The error code, message and field messages for a request its headers already refuse."""
    seen: set[bytes] = set()
    for raw_name, value in headers:
        name = raw_name.lower()
        if name in REPEATABLE_NOWHERE:
            if name in seen:
                header = _CANONICAL_NAMES[name]
                return (
                    "bad_request",
                    f"The {header} header is sent more than once; send it once.",
                    {header: "must be sent once"},
                )
            seen.add(name)
        elif name == b"content-encoding" and any(
            coding.strip().lower() not in (b"identity", b"") for coding in value.split(b",")
        ):
            coding = value.decode("latin-1").strip()[:64]
            return (
                "unsupported_media_type",
                f"The Content-Encoding {coding!r} is not supported: send the body unencoded (identity).",
                None,
            )
        elif name == b"transfer-encoding" and any(
            coding.strip().lower() != b"chunked" for coding in value.split(b",")
        ):
            coding = value.decode("latin-1").strip()[:64]
            return (
                "unsupported_media_type",
                f"The Transfer-Encoding {coding!r} is not supported: send the body with a Content-Length, "
                "or chunked only.",
                None,
            )
    return None


async def _answer(send: Send, code: str, message: str, fields: dict[str, str] | None) -> None:
    body = error_body(code, message, fields=fields)
    await send(
        {
            "type": "http.response.start",
            "status": STATUS_BY_CODE[code],
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"cache-control", b"no-store"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body, "more_body": False})


def _answering(send: Send, request_id: bytes, *, private: bool, head: bool, reference: bool = False) -> Send:
    """``send`` that adds ``X-Request-Id`` to the start of every response, ``Cache-Control:
    private, no-store`` too when ``private``, :data:`REFERENCE_HEADERS` when ``reference``, and
    drops the body when ``head``: one wrapper for them all, as each layer of them costs every
    request a call."""

    async def send_answer(message: Message) -> None:
        if message["type"] == "http.response.start":
            dropped = (REQUEST_ID_NAME, b"cache-control") if private else (REQUEST_ID_NAME,)
            headers = [
                (name, value) for name, value in message.get("headers", ()) if name.lower() not in dropped
            ]
            headers.append((REQUEST_ID_NAME, request_id))
            if private:
                headers.append((b"cache-control", CACHE_CONTROL))
            elif reference:
                headers.extend(REFERENCE_HEADERS)
            message = {**message, "headers": headers}
        elif head and message["type"] == "http.response.body":
            message = {**message, "body": b""}
        await send(message)

    return send_answer
