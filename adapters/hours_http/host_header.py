"""A request whose ``Host`` header is not one host with an optional port is 400, before any app.

The frameworks build a request's URL from its ``Host`` header, and a port that is not a number
from 0 to 65535 (``Host: x:notaport``, ``x:99999``, ``x:8000:1``) makes that fail with a
``ValueError`` wherever a route or an error handler asks for the URL: the server answered such
requests with its own text 500 and logged a traceback, anyone could fill the error log. RFC 9112
(3.2) asks for a 400 for an HTTP/1.1 request without ``Host``, with more than one, or with one whose
value is invalid, and that is what :class:`HostCheck`, around the whole site, answers: the JSON
error body ``bad_request`` with ``fields: {"Host": ...}``. A valid value is ``uri-host [":" port]``
(RFC 3986): a name of letters, digits and ``-._~!$&'()*+,;=%``, an IPv4 address, or an IPv6
literal in brackets, then a port of digits from 0 to 65535 (nothing else: no ``user@``, nothing
after the brackets). HTTP/1.0 has no ``Host`` requirement: such a request without one passes, and
so does one with an empty ``Host``, as granian adds one to a request that sent none (granian also
names the version ``"1"``, not ASGI's ``"1.0"``).
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from litestar.types import ASGIApp, Receive, Send

from hours_http.errors import error_body
from hours_http.transport import send_error_and_close

__all__ = ["HOST_PROBLEM", "HostCheck", "host_is_readable", "host_problem"]

HOST_PROBLEM = "must be a host name or address with an optional port from 0 to 65535"
MISSING = "is required (send it once)"
REPEATED = "is sent more than once (send it once)"

_MESSAGE = "The Host header is not one host with an optional port; send the address you reached, once."

_HOST = re.compile(rb"(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9\-._~!$&'()*+,;=%]+)(?::[0-9]*)?")
"""``uri-host [":" port]``: an IPv6 literal or a registered name (an IPv4 address is one), and the
port's digits (their range is :func:`host_is_readable`'s)."""


def host_is_readable(value: bytes) -> bool:
    """Whether ``value`` is a valid ``Host``: the shape of :data:`_HOST`, and a URL can be built from
    it (:func:`urllib.parse.urlsplit`, the frameworks' own rule, whose port is 0 to 65535)."""
    if _HOST.fullmatch(value) is None:
        return False
    try:
        urlsplit("//" + value.decode("ascii")).port  # noqa: B018 - reading it is the check
    except ValueError:
        return False
    return True


_HTTP_1_0 = frozenset({"1.0", "1"})
"""How an ASGI server names HTTP/1.0 in ``scope["http_version"]``: ``"1.0"`` by the spec, ``"1"`` by
granian."""


def host_problem(scope: Any) -> str | None:
    """What is wrong with the request's ``Host`` headers (the message of ``fields.Host``), or ``None``."""
    found: bytes | None = None
    for name, value in scope["headers"]:
        if name == b"host":
            if found is not None:
                return REPEATED
            found = value
    if scope.get("http_version", "1.1") in _HTTP_1_0:
        return None if not found or host_is_readable(found) else HOST_PROBLEM
    if found is None:
        return MISSING
    return None if host_is_readable(found) else HOST_PROBLEM


class HostCheck:
    """The ASGI wrapper of the module docstring."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._bodies = {
            problem: error_body("bad_request", _MESSAGE, fields={"Host": problem})
            for problem in (HOST_PROBLEM, MISSING, REPEATED)
        }

    async def __call__(self, scope: Any, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            problem = host_problem(scope)
            if problem is not None:
                await send_error_and_close(scope, send, 400, self._bodies[problem])
                return
        await self.app(scope, receive, send)
