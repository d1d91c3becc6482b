"""Who is signed in: the session cookie, the CSRF check of every form, and where to send strangers.

The cookie ``hours_session`` holds the session's key (the store keeps its SHA-256 only). It is
``HttpOnly``, ``SameSite=Lax`` and scoped to ``/app``; it is ``Secure`` unless the request came
over plain HTTP to a loopback host (``localhost``, ``127.0.0.1``, ``[::1]``) and through no proxy,
where a browser would not send a secure cookie back, and always with ``secure_cookies``
(:func:`cookie_is_secure`; docs/web.md, "Sessions and cookies"). The sign-in form, which has no
session yet, carries the CSRF token of a short-lived ``hours_sign_in`` cookie (double submit).

Every unsafe request (POST) is refused unless its ``csrf`` form field, or its ``X-CSRF-Token``
header (htmx), equals the session's token. A request that sends one of our cookies, or
``X-CSRF-Token``, twice with two values is refused before that (400: :func:`cookies_sent_twice`,
:func:`headers_sent_twice`).

A form is read by :func:`form_of`, which refuses (400, :class:`FormNotText`) a form whose
percent-decoded bytes are not UTF-8 rather than storing U+FFFD in their place, and (400,
:class:`FormUnreadable`) a multipart body the framework's parser cannot read, in the app's words.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import unquote_to_bytes

import anyio.to_thread
import attrs
from litestar import Request
from litestar.datastructures import Cookie
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.exceptions import ClientException
from litestar.status_codes import HTTP_400_BAD_REQUEST

from hours_core.errors import Forbidden, HoursError, Unauthenticated
from hours_core.services import Services, SessionCaller
from hours_core.web_sessions import SESSION_LIFETIME

__all__ = [
    "APP_PATH",
    "CSRF_HEADER",
    "SESSION_COOKIE",
    "SIGN_IN_COOKIE",
    "CsrfRefused",
    "FormNotText",
    "FormUnreadable",
    "SignInRequired",
    "cookie_is_secure",
    "cookies_sent_twice",
    "csrf_matches",
    "form_of",
    "has_session_cookie",
    "headers_sent_twice",
    "known_visitor",
    "session_cookie",
    "signed",
    "unsigned",
    "visitor",
]

APP_PATH = "/app"
"""Every page of the web app lives under this path (``/`` redirects here)."""

SESSION_COOKIE = "hours_session"
SIGN_IN_COOKIE = "hours_sign_in"
CSRF_FIELD = "csrf"
CSRF_HEADER = "x-csrf-token"
"""The header htmx sends the session's CSRF token in (``hx-headers`` on the page's body)."""
_VISITOR_STATE = "hours_web_visitor"
_LOOPBACK = frozenset({"localhost", "127.0.0.1", "[::1]", "::1"})


class SignInRequired(Exception):
    """The request has no usable session: the page answers with the sign-in page."""


class CsrfRefused(Forbidden):
    """A form came without the session's CSRF token."""

    code = "csrf_refused"
    default_message = "This form has expired or did not come from hours; reload the page and try again."


_PROXY_HEADERS = ("forwarded", "x-forwarded-proto", "x-forwarded-for", "x-forwarded-host", "x-real-ip")
"""Headers a proxy adds: a request that has one did not come from the browser to us directly."""


def cookie_is_secure(request: Request[Any, Any, Any]) -> bool:
    """Whether cookies must be ``Secure``: always when the app was made with
    ``secure_cookies=True`` (``HOURS_WEB_SECURE_COOKIES=1``, for a server behind a TLS proxy);
    otherwise always but for plain HTTP to a loopback host that no proxy forwarded.

    The loopback exception lets ``bash scripts/serve`` work over ``http://127.0.0.1`` on a laptop.
    A proxy in front usually connects to ``127.0.0.1`` too, and a proxy that does not pass the
    browser's ``Host`` on would make the request look like a laptop's: so a request carrying any
    of the headers proxies add (``Forwarded``, ``X-Forwarded-Proto``, ``-For``, ``-Host``,
    ``X-Real-IP``) gets ``Secure`` cookies. Those headers are never believed to turn ``Secure``
    *off*: a client that forges one only makes its own cookie stricter.
    """
    if request.app.state.get("secure_cookies", False):
        return True
    host = (request.url.hostname or "").lower()
    if request.url.scheme != "http" or host not in _LOOPBACK:
        return True
    return any(name in request.headers for name in _PROXY_HEADERS)


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


class FormNotText(HoursError):
    """A form field whose bytes are not UTF-8 (``name=%FF``): no browser sends one for a page of
    ours, so it is refused (400, the error page) rather than read with U+FFFD in place of the bytes
    (which would store a name the person never typed)."""

    code = "form_not_utf8"
    default_message = "The form is not valid UTF-8 text; nothing was saved. Reload the page and try again."

    @classmethod
    def in_field(cls, name: str | None) -> FormNotText:
        """The error naming the field (``None``: its very name is not UTF-8)."""
        where = "a field's name" if name is None else f"the field “{name}”"
        return cls(
            f"The form is not valid UTF-8 text ({where}); nothing was saved. Reload the page and try again."
        )


class FormUnreadable(HoursError):
    """A ``multipart/form-data`` body the framework's parser refuses (no boundary, a part cut short
    or without a name, more than its 1,000 parts or its few header lines a part): no browser sends
    one for a page of ours. 400 in the app's words; the framework's own text said "Request Entity
    Too Large" on a 400, or "Invalid multipart/form-data"."""

    code = "form_unreadable"
    default_message = (
        "The form could not be read as multipart/form-data (a boundary missing, a part cut short or "
        "malformed, or more parts than a page takes); nothing was saved. Reload the page and try again."
    )


async def form_of(request: Request[Any, Any, Any]) -> dict[str, str]:
    """The request's form fields (the last value of a repeated one).

    A URL-encoded body (what every form of ours sends) is decoded here, strictly: each name and
    value is percent-decoded to bytes, which must be UTF-8, else :class:`FormNotText`. (Litestar
    decodes with ``errors="replace"``, and reads bytes sent unescaped as Latin-1.) A multipart
    body goes through Litestar, with the same refusal for text it cannot decode.
    """
    content_type, _ = request.content_type
    if content_type == RequestEncodingType.URL_ENCODED:
        return _url_encoded_fields(await request.body())
    try:
        form = await request.form()
    except (UnicodeDecodeError, LookupError) as error:  # a part not in UTF-8, or in no known charset
        raise FormNotText() from error
    except ClientException as error:
        if error.status_code != HTTP_400_BAD_REQUEST:  # a body over the limit: the framework's 413 page
            raise
        raise FormUnreadable() from error
    return {name: value for name, value in form.items() if isinstance(value, str)}


def _url_encoded_fields(body: bytes) -> dict[str, str]:
    """``application/x-www-form-urlencoded`` fields as ``parse_qsl(keep_blank_values=True)`` reads
    them (``&`` between fields, ``+`` for a space, a field without ``=`` is empty), but decoded as
    strict UTF-8."""
    fields: dict[str, str] = {}
    for pair in body.split(b"&"):
        if not pair:
            continue
        raw_name, _, raw_value = pair.partition(b"=")
        name = _utf8(raw_name, None)
        fields[name] = _utf8(raw_value, name)
    return fields


def _utf8(raw: bytes, field: str | None) -> str:
    try:
        return unquote_to_bytes(raw.replace(b"+", b" ")).decode("utf-8")
    except UnicodeDecodeError as error:
        raise FormNotText.in_field(field) from error


def cookies_sent_twice(headers: Iterable[tuple[bytes, bytes]], names: Iterable[str]) -> list[str]:
    """Which of the cookies ``names`` the request sends more than once with different values, on
    one ``Cookie`` line or several (sorted). A browser sends two cookies of one name when one was set
    for another path or for the whole domain (``Domain=example.com``, by another site on it); the
    framework reads the last of one line, so such a cookie could pick the session (or the sign-in
    form's CSRF token). Values are compared as the framework reads them: without surrounding quotes."""
    pairs = (
        (key.strip(), value.strip().strip('"'))
        for name, line in headers
        if name.lower() == b"cookie"
        for key, equals, value in (pair.partition("=") for pair in line.decode("latin-1").split(";"))
        if equals
    )
    return _sent_twice(pairs, names)


def headers_sent_twice(headers: Iterable[tuple[bytes, bytes]], names: Iterable[str]) -> list[str]:
    """Which of the headers ``names`` (lowercase) the request sends on several lines with different
    values (sorted). The framework reads the first line of a header, a proxy perhaps the last: of
    ``X-CSRF-Token``, the first alone decided whether a POST passed."""
    pairs = ((name.lower().decode("latin-1"), value.decode("latin-1").strip()) for name, value in headers)
    return _sent_twice(pairs, names)


def _sent_twice(pairs: Iterable[tuple[str, str]], names: Iterable[str]) -> list[str]:
    """Which of ``names`` come with two values or more among the ``(name, value)`` pairs (sorted);
    one value sent twice is one value."""
    wanted = set(names)
    values: dict[str, set[str]] = {}
    for name, value in pairs:
        if name in wanted:
            values.setdefault(name, set()).add(value)
    return sorted(name for name, found in values.items() if len(found) > 1)


def csrf_matches(sent: str | None, expected: str) -> bool:
    """Whether the token sent is the expected one (a comparison whose time does not depend on it)."""
    return sent is not None and hmac.compare_digest(sent.encode(), expected.encode())


def signed(who: SessionCaller, text: str) -> str:
    """``text`` with a MAC of the session (HMAC-SHA256 under its CSRF token, a server-side secret
    of that session): ``text.<mac>``. What :func:`unsigned` reads back for this session only."""
    return f"{text}.{_mac(who, text)}"


def unsigned(who: SessionCaller, value: str | None) -> str | None:
    """The text :func:`signed` signed for this session, or ``None`` (another session's, altered,
    unsigned, or nothing)."""
    text, dot, mac = (value or "").rpartition(".")
    if not dot or not hmac.compare_digest(mac.encode(), _mac(who, text).encode()):
        return None
    return text


def _mac(who: SessionCaller, text: str) -> str:
    key = who.session.csrf_token.encode()
    return hmac.new(key, text.encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()


async def visitor(request: Request[Any, Any, Any], services: NamedDependency[Services]) -> SessionCaller:
    """The signed-in caller of the request (a Litestar dependency), CSRF-checked on POST, with the
    request's id (the app's ``request_id``, when it has one) for the events of its changes.

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
    request_ids: Callable[[Any], str] | None = request.app.state.get("request_id")
    if request_ids is not None:  # the events of the request's changes record its id
        found = attrs.evolve(found, caller=attrs.evolve(found.caller, request_id=request_ids(request.scope)))
    request.scope.setdefault("state", {})[_VISITOR_STATE] = found
    return found


def known_visitor(request: Request[Any, Any, Any]) -> SessionCaller | None:
    """The signed-in caller :func:`visitor` found for this request, if it ran and let the request
    through: what an error page shows in its header, without asking the store again."""
    found = request.scope.get("state", {}).get(_VISITOR_STATE)
    return found if isinstance(found, SessionCaller) else None


def has_session_cookie(request: Request[Any, Any, Any]) -> bool:
    """Whether the request carries a session cookie (not checked: it may be dead)."""
    return bool(request.cookies.get(SESSION_COOKIE))
