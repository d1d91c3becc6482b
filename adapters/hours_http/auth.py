"""Bearer authentication: every request but the health check and the schema carries a token.

The middleware runs before routing to handlers, so authentication is the first check of every
request, before the body is read. The token lookup is one indexed query. By default it runs in a
worker thread, so a store that waits on the network never blocks the event loop. With
``in_thread=False`` it runs on the event loop, saving a thread hop per request: right for a store
whose reads are local and never wait for a lock (SQLite in WAL mode: one indexed read of a local
file). The write of the token's last use (at most once a minute per token) always runs in a
worker thread, since a write may wait for the writer.
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
from hours_http.request_id import request_id_of

__all__ = ["PUBLIC_PATHS", "BearerAuthentication", "caller_of"]

PUBLIC_PATHS = ("^/health$", "^/schema")
"""Paths that need no token."""


def bearer_token(authorization: str | None) -> str:
    """The token of an ``Authorization: Bearer <token>`` header, or :class:`Unauthenticated`."""
    if not authorization:
        raise Unauthenticated()
    scheme, _, token = authorization.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated(token_sent=True)
    return token.strip()


class BearerAuthentication(AbstractAuthenticationMiddleware):
    """Puts the authenticated :class:`Caller` in ``request.user``."""

    def __init__(self, app: ASGIApp, authenticator: Authenticator, in_thread: bool = True) -> None:
        super().__init__(app, exclude=list(PUBLIC_PATHS), scopes=None)
        self._authenticator = authenticator
        self._in_thread = in_thread

    async def authenticate_request(
        self, connection: ASGIConnection[Any, Any, Any, Any]
    ) -> AuthenticationResult:
        """Authenticate the bearer token, or raise :class:`Unauthenticated`."""
        token = bearer_token(connection.headers.get("authorization"))
        authenticator = self._authenticator
        if self._in_thread:  # Litestar's executor, as for sync_to_thread=True handlers
            caller = await sync_to_thread(authenticator.authenticate, token)
        else:
            caller = authenticator.identify(token)
            if authenticator.use_is_stale(caller):
                caller = await sync_to_thread(authenticator.record_use, caller)
        return AuthenticationResult(user=caller, auth=caller.token)


def caller_of(request: ASGIConnection[Any, Any, Any, Any], services: NamedDependency[Services]) -> Caller:
    """The dependency that hands handlers the authenticated caller, with the request's id.

    It names ``services`` only to be resolved after it: Litestar resolves independent
    dependencies of a handler concurrently, in an anyio task group with a task each, which for
    two attribute reads costs more than the rest of the dependency injection of a request.
    """
    caller: Caller = request.user
    return attrs.evolve(caller, request_id=request_id_of(request.scope))
