"""Bearer authentication: every request but the health check and the schema carries a token.

The middleware runs before routing to handlers, so authentication is the first check of every
request, before the body is read. A token that authenticated less than the cache's ttl ago (1 s by
default) is answered from the core's in-process cache, on the event loop, with no store access:
:class:`~hours_core.services.identity_cache.IdentityCache`, which a revocation, deactivation or other
change of a token, user or org empties as it commits in this process (other processes: on their
next request on SQLite, within milliseconds on PostgreSQL, within the ttl at the latest).
Otherwise the token lookup is one indexed query. By default it runs in a worker thread, so a store
that waits on the network never blocks the event loop. With ``in_thread=False`` it runs on the
event loop, saving a thread hop per request: right for a store whose reads are local and
never wait for a lock (SQLite in WAL mode: one indexed read of a local file). The token's last use
(at most once a minute per token, cached or not) is only noted: the request never writes it, so it
never waits for the store's writer; :class:`~hours_http.last_use.LastUseWriter` writes it in the
background (best effort).
"""

from __future__ import annotations

from typing import Any

import attrs
from litestar.concurrency import sync_to_thread
from litestar.connection import ASGIConnection
from litestar.di import NamedDependency
from litestar.middleware import AbstractAuthenticationMiddleware, AuthenticationResult
from litestar.types import ASGIApp

from hours_core.errors import Unauthenticated
from hours_core.services import Authenticator, Caller, Services
from hours_http.errors import PayloadTooLarge, too_large_message
from hours_http.last_use import LastUseWriter
from hours_http.rate_limit import AuthFailureLimit
from hours_http.request_id import request_id_of

__all__ = [
    "PUBLIC_PATHS",
    "BearerAuthentication",
    "authorization_of",
    "bearer_token",
    "caller_of",
    "refuse_an_announced_body_over_the_limit",
]

_AUTHORIZATION = b"authorization"

PUBLIC_PATHS = ("^/health$", "^/schema")
"""Paths that need no token."""


def authorization_of(scope: Any) -> str | None:
    """The request's ``Authorization`` header, read from the ASGI scope's raw headers (parsing
    every header costs more than the rest of a cached authentication). Sent once at most:
    :class:`~hours_http.transport.HttpSemantics` refuses it repeated."""
    sent = next((value for name, value in scope["headers"] if name == _AUTHORIZATION), None)
    return None if sent is None else sent.decode("latin-1")


def bearer_token(authorization: str | None) -> str:
    """The token of an ``Authorization: Bearer <token>`` header, or :class:`Unauthenticated`.

    Only a bearer token that was sent makes it ``token_sent`` (``error="invalid_token"``): no header,
    another scheme (``Basic``) and ``Bearer`` with nothing after it carry no token, and RFC 6750 (3.1)
    gives a request that "lacks any authentication information" or "attempted using an unsupported
    authentication method" no error code."""
    if not authorization:
        raise Unauthenticated()
    scheme, _, token = authorization.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated()
    return token.strip()


class BearerAuthentication(AbstractAuthenticationMiddleware):
    """Puts the authenticated :class:`Caller` in ``request.user``."""

    def __init__(
        self,
        app: ASGIApp,
        authenticator: Authenticator,
        last_uses: LastUseWriter,
        failures: AuthFailureLimit | None = None,
        in_thread: bool = True,
    ) -> None:
        super().__init__(app, exclude=list(PUBLIC_PATHS), scopes=None)
        self._authenticator = authenticator
        self._last_uses = last_uses
        self._failures = failures
        self._in_thread = in_thread

    async def authenticate_request(
        self, connection: ASGIConnection[Any, Any, Any, Any]
    ) -> AuthenticationResult:
        """Authenticate the bearer token, or raise :class:`Unauthenticated`.

        With an auth failure limit, a client address known to be over it is refused (429) before
        its token is looked at, and each failure counts against it (the one too many is 429).
        """
        failures = self._failures
        client = connection.scope.get("client")
        address = client[0] if client else ""
        if failures is not None:
            failures.check(address)
        try:
            caller = await self._authenticate(connection)
        except Unauthenticated:
            if failures is not None:
                await failures.count_failure(address)
            raise
        self._last_uses.schedule()
        return AuthenticationResult(user=caller, auth=caller.token)

    async def _authenticate(self, connection: ASGIConnection[Any, Any, Any, Any]) -> Caller:
        token = bearer_token(authorization_of(connection.scope))
        cached = self._authenticator.cached(token)
        if cached is not None:  # no store access: no thread hop either
            return cached
        if self._in_thread:  # Litestar's executor, as for sync_to_thread=True handlers
            return await sync_to_thread(self._authenticator.authenticate, token)
        return self._authenticator.authenticate(token)


def caller_of(request: ASGIConnection[Any, Any, Any, Any], services: NamedDependency[Services]) -> Caller:
    """The dependency that hands handlers the authenticated caller, with the request's id.

    It names ``services`` only to be resolved after it: Litestar resolves independent
    dependencies of a handler concurrently, in an anyio task group with a task each, which for
    two attribute reads costs more than the rest of the dependency injection of a request.

    Every route that needs a token takes the caller, after its parameter checks (step 4 of the
    order of checks) and before anything reads the store for it: so it is here that a body the
    route never reads is held to the route's limit (step 5, :func:`refuse_an_announced_body_over_the_limit`).
    """
    refuse_an_announced_body_over_the_limit(request.scope)
    caller: Caller = request.user
    return attrs.evolve(caller, request_id=request_id_of(request.scope))


_CONTENT_LENGTH = b"content-length"


def refuse_an_announced_body_over_the_limit(scope: Any) -> None:
    """413 ``payload_too_large`` for a request whose ``Content-Length`` is over its route's limit.

    A route that reads its body has refused such a body already (the framework counts the bytes
    it reads); a route that reads none (``GET /me``, ``POST /time-entries/{id}/restore``) would
    ignore it and answer 200. A route with no limit of the framework's (``POST /imports`` counts
    its own) is left alone, and so is a body sent chunked, without ``Content-Length``, to a route
    that reads none: knowing its size would take reading it.
    """
    announced = next((value for name, value in scope["headers"] if name == _CONTENT_LENGTH), None)
    if announced is None or not announced.isdigit():
        return
    handler = scope.get("route_handler")
    limit = getattr(handler, "resolve_request_max_body_size", lambda: None)()
    if isinstance(limit, int) and int(announced) > limit:
        raise PayloadTooLarge(too_large_message(limit))
