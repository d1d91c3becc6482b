"""Bearer authentication: every request but the health check and the schema carries a token.

The middleware runs before routing to handlers, so authentication is the first check of every
request, before the body is read. The token lookup is one indexed query; it runs in a worker
thread so a slow store never blocks the event loop.
"""

from __future__ import annotations

from typing import Any

import anyio.to_thread
from litestar.connection import ASGIConnection
from litestar.middleware import AbstractAuthenticationMiddleware, AuthenticationResult
from litestar.types import ASGIApp

from hours_core.errors import Unauthenticated
from hours_core.services import Authenticator, Caller

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

    def __init__(self, app: ASGIApp, authenticator: Authenticator) -> None:
        super().__init__(app, exclude=list(PUBLIC_PATHS), scopes=None)
        self._authenticator = authenticator

    async def authenticate_request(
        self, connection: ASGIConnection[Any, Any, Any, Any]
    ) -> AuthenticationResult:
        """Authenticate the bearer token, or raise :class:`Unauthenticated`."""
        token = bearer_token(connection.headers.get("authorization"))
        caller = await anyio.to_thread.run_sync(self._authenticator.authenticate, token)
        return AuthenticationResult(user=caller, auth=caller.token)


def caller_of(request: ASGIConnection[Any, Any, Any, Any]) -> Caller:
    """The dependency that hands handlers the authenticated caller."""
    caller: Caller = request.user
    return caller
