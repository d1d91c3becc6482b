"""``OPTIONS`` answers with every method of the path.

Litestar's automatic OPTIONS handler lists only the methods of the first handler it saw for a
path (``Allow: DELETE, OPTIONS`` on ``/time-entries/{id}``); the route itself knows them all. This
middleware rewrites ``Allow`` on OPTIONS responses (adding ``HEAD`` where there is ``GET``) and
leaves every other request alone. The request target ``*`` (``OPTIONS *``, the server as a whole)
matches no route: :class:`hours_http.transport.ServerWideOptions` answers it before routing.
"""

from __future__ import annotations

from collections.abc import Iterable

from litestar.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["AllowEveryMethodOfTheRoute", "with_head"]


def with_head(methods: Iterable[str]) -> set[str]:
    """``methods`` and ``HEAD`` when they include ``GET``: every GET route answers HEAD
    (:mod:`hours_http.transport`), though Litestar lists only its own handlers' methods."""
    found = set(methods)
    return {*found, "HEAD"} if "GET" in found else found


class AllowEveryMethodOfTheRoute:
    """Sets ``Allow`` on OPTIONS responses to the methods of the matched route."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope.get("method") != "OPTIONS":
            await self.app(scope, receive, send)
            return
        template = scope.get("path_template")
        routes = scope["litestar_app"].routes
        methods = next((route.methods for route in routes if route.path_format == template), None)
        if not methods:
            await self.app(scope, receive, send)
            return
        allow = ", ".join(sorted(with_head(methods))).encode()

        async def send_with_allow(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [
                    (name, value) for name, value in message.get("headers", []) if name.lower() != b"allow"
                ]
                message = {**message, "headers": [*headers, (b"allow", allow)]}
            await send(message)

        await self.app(scope, receive, send_with_allow)
