"""Who is signed in: the session cookie, the CSRF check of every form, and where to send strangers.

The cookie ``hours_session`` holds the session's key (the store keeps its SHA-256 only). It is
``HttpOnly``, ``SameSite=Lax`` and scoped to ``/app``; it is ``Secure`` unless the request came
over plain HTTP to a loopback host (``localhost``, ``127.0.0.1``, ``[::1]``), where a browser would
not send a secure cookie back (docs/web.md, "Sessions and cookies"). The sign-in form, which has no
session yet, carries the CSRF token of a short-lived ``hours_sign_in`` cookie (double submit).

Every unsafe request (POST) is refused unless its ``csrf`` form field, or its ``X-CSRF-Token``
header (htmx), equals the session's token.
"""

from __future__ import annotations

import hmac
from typing import Any

import anyio.to_thread
from litestar import Request
from litestar.datastructures import Cookie
from litestar.di import NamedDependency

from hours_core.errors import Forbidden, Unauthenticated
from hours_core.services import Services, SessionCaller
from hours_core.web_sessions import SESSION_LIFETIME

__all__ = [
    "APP_PATH",
    "SESSION_COOKIE",
    "SIGN_IN_COOKIE",
    "CsrfRefused",
    "SignInRequired",
    "cookie_is_secure",
    "csrf_matches",
    "form_of",
    "session_cookie",
    "visitor",
]

APP_PATH = "/app"
"""Every page of the web app lives under this path (``/`` redirects here)."""

SESSION_COOKIE = "hours_session"
SIGN_IN_COOKIE = "hours_sign_in"
CSRF_FIELD = "csrf"
CSRF_HEADER = "x-csrf-token"
_LOOPBACK = frozenset({"localhost", "127.0.0.1", "[::1]", "::1"})


class SignInRequired(Exception):
    """The request has no usable session: the page answers with the sign-in page."""


class CsrfRefused(Forbidden):
    """A form came without the session's CSRF token."""

    code = "csrf_refused"
    default_message = "This form has expired or did not come from hours; reload the page and try again."


def cookie_is_secure(request: Request[Any, Any, Any]) -> bool:
    """Whether cookies must be ``Secure``: always, but for plain HTTP to a loopback host."""
    host = (request.url.hostname or "").lower()
    return not (request.url.scheme == "http" and host in _LOOPBACK)


def session_cookie(request: Request[Any, Any, Any], key: str | None) -> Cookie:
    """The session cookie holding ``key``, or (``None``) one that deletes it."""
    return Cookie(
        key=SESSION_COOKIE,
        value=key or "",
        path=APP_PATH,
        max_age=int(SESSION_LIFETIME.total_seconds()) if key else 0,
        secure=cookie_is_secure(request),
        httponly=True,
        samesite="lax",
    )


async def form_of(request: Request[Any, Any, Any]) -> dict[str, str]:
    """The request's form fields (the last value of a repeated one)."""
    form = await request.form()
    return {name: value for name, value in form.items() if isinstance(value, str)}


def csrf_matches(sent: str | None, expected: str) -> bool:
    """Whether the token sent is the expected one (a comparison whose time does not depend on it)."""
    return sent is not None and hmac.compare_digest(sent.encode(), expected.encode())


async def visitor(request: Request[Any, Any, Any], services: NamedDependency[Services]) -> SessionCaller:
    """The signed-in caller of the request (a Litestar dependency), CSRF-checked on POST.

    Raises :class:`SignInRequired` without a live session, :class:`CsrfRefused` for a form
    without the session's token.
    """
    key = request.cookies.get(SESSION_COOKIE)
    if not key:
        raise SignInRequired()
    try:
        found = await anyio.to_thread.run_sync(services.sign_in.identify, key)
    except Unauthenticated as error:
        raise SignInRequired() from error
    if request.method == "POST":
        sent = request.headers.get(CSRF_HEADER) or (await form_of(request)).get(CSRF_FIELD)
        if not csrf_matches(sent, found.session.csrf_token):
            raise CsrfRefused()
    return found
