"""A request whose ``Host`` header is not a host with an optional port is 400, before any app.

The frameworks build a request's URL from its ``Host`` header, and a port that is not a number
from 0 to 65535 (``Host: x:notaport``, ``x:99999``, ``x:8000:1``) makes that fail with a
``ValueError`` wherever a route or an error handler asks for the URL: the server answered such
requests with its own text 500 and logged a traceback, anyone could fill the error log. RFC 9112
(3.2) asks for a 400 for a ``Host`` field value that is invalid, and that is what
:class:`HostCheck`, around the whole site, answers: the JSON error body ``bad_request`` with
``fields: {"Host": ...}``. A request without ``Host`` is left to the server and the frameworks,
which use the address it reached.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from litestar.types import ASGIApp, Receive, Send

from hours_http.errors import error_body
from hours_http.request_id import REQUEST_ID_NAME, request_id_of

__all__ = ["HOST_PROBLEM", "HostCheck", "host_is_readable"]

HOST_PROBLEM = "must be a host name or address with an optional port from 0 to 65535"

_MESSAGE = "The Host header is not a host with an optional port; send the address you reached."


def host_is_readable(value: bytes) -> bool:
    """Whether a URL can be built from the ``Host`` header ``value``: the frameworks' own rule
    (:func:`urllib.parse.urlsplit`, whose port must be digits from 0 to 65535)."""
    try:
        urlsplit("//" + value.decode("latin-1")).port  # noqa: B018 - reading it is the check
    except ValueError:
        return False
    return True


class HostCheck:
    """The ASGI wrapper of the module docstring."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._body = error_body("bad_request", _MESSAGE, fields={"Host": HOST_PROBLEM})

    async def __call__(self, scope: Any, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            for name, value in scope["headers"]:
                if name == b"host" and not host_is_readable(value):
                    await self._refuse(scope, send)
                    return
        await self.app(scope, receive, send)

    async def _refuse(self, scope: Any, send: Send) -> None:
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(self._body)).encode()),
            (b"cache-control", b"no-store"),
            (b"connection", b"close"),
            (REQUEST_ID_NAME, request_id_of(scope).encode()),
        ]
        await send({"type": "http.response.start", "status": 400, "headers": headers})
        await send({"type": "http.response.body", "body": self._body, "more_body": False})
