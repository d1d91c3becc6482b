"""The web app's factory: server-rendered pages (Jinja2) with htmx, over the same use cases as the API.

:func:`create_web_app` builds a Litestar app of its own, separate from the JSON API's, so that no
middleware of one reaches the other: the API never reads a cookie and the web app never reads a
bearer token. The composition root serves both from one server (``hours_app.asgi``): ``/`` and
``/app/...`` here, everything else the API.
"""

from __future__ import annotations

import hashlib
import logging
from collections import Counter
from collections.abc import Callable
from http import HTTPStatus
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote_from_bytes

from jinja2 import Environment, FileSystemLoader, select_autoescape
from litestar import Litestar, Request, Response, get
from litestar.datastructures import CacheControlHeader, State
from litestar.di import Provide
from litestar.exceptions import HTTPException
from litestar.params import QueryParameter
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.response import Redirect, Template
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig
from litestar.types import ASGIApp, Message, Receive, Scope, Send
from litestar.utils import normalize_path

from hours_core.duration import format_clock
from hours_core.errors import HoursError, ValidationFailed
from hours_core.query_text import not_utf8_parameters
from hours_core.services import Services
from hours_litestar import LocalFiles
from hours_web.notices import notice_of, status_of
from hours_web.pages import page
from hours_web.pages.entries import EntriesPages
from hours_web.pages.reports import ReportPages
from hours_web.pages.settings import NEW_TOKEN_COOKIE, ApiTokenPages, ProjectPages
from hours_web.pages.sign_in import SignInPages
from hours_web.pages.week import WeekPages
from hours_web.session import (
    APP_PATH,
    CSRF_HEADER,
    SESSION_COOKIE,
    SIGN_IN_COOKIE,
    SignInRequired,
    cookies_sent_twice,
    has_session_cookie,
    headers_sent_twice,
    known_visitor,
    visitor,
)
from hours_web.throttle import LoginThrottle

__all__ = ["REQUEST_ID_HEADER", "STATIC", "TEMPLATES", "RequestIds", "create_web_app"]

TEMPLATES = Path(__file__).with_name("templates")
STATIC = Path(__file__).with_name("static")
STATIC_PATH = f"{APP_PATH}/static"
logger = logging.getLogger("hours.web")
REQUEST_ID_HEADER = "X-Request-Id"
RequestIds = Callable[[Scope], str]
"""How the server names a request: its id, the same each time it is asked for one scope (the
composition root passes the API's, so that one id names a request in both apps and the access log)."""
STATIC_CACHE_CONTROL = CacheControlHeader(public=True, max_age=365 * 24 * 3600, immutable=True)
"""Static URLs never change content (vendored files carry their version in the path, hours' own a
hash of their content in the query), so browsers keep them for a year."""


def _asset_urls() -> dict[str, str]:
    """The URL of each static file: its path, and for hours' own files their content's hash."""
    urls: dict[str, str] = {}
    for path in sorted(STATIC.rglob("*")):
        if path.is_file():
            relative = path.relative_to(STATIC).as_posix()
            digest = hashlib.sha256(path.read_bytes()).hexdigest()[:12]
            urls[relative] = f"{STATIC_PATH}/{relative}" + ("" if "@" in relative else f"?v={digest}")
    return urls


def _environment(assets: dict[str, str]) -> Environment:
    environment = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(default=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.globals["asset"] = assets.__getitem__
    environment.filters["clock"] = format_clock
    return environment


@get("/", include_in_schema=False, sync_to_thread=False)
def home() -> Redirect:
    """``/``: the week."""
    return Redirect(f"{APP_PATH}/week", status_code=303)


@get(APP_PATH, include_in_schema=False, sync_to_thread=False)
def app_home() -> Redirect:
    """``/app``: the week."""
    return Redirect(f"{APP_PATH}/week", status_code=303)


@get(f"{APP_PATH}/settings", include_in_schema=False, sync_to_thread=False)
def settings_home() -> Redirect:
    """``/app/settings``: Settings -> API (the page the API's docs send people to for a token)."""
    return Redirect(f"{APP_PATH}/settings/api", status_code=303)


def _to_sign_in(request: Request[Any, Any, Any], _error: SignInRequired) -> Response[Any]:
    target = f"{APP_PATH}/sign-in"
    if request.headers.get("hx-request"):
        return _secured(Response(b"", status_code=204, headers={"HX-Redirect": target}))
    return _secured(Redirect(target, status_code=303))


_TITLES = {
    402: "Not on your plan",
    403: "Not allowed",
    404: "Not found",
    413: "Too large",
    422: "Not valid",
    500: "Something went wrong",
}
"""An error page's title by its status, where the status's own phrase would read as jargon."""

NOT_FOUND = "There is no page or file at this address."
"""What a 404 of the framework says (an unknown page, a missing static file), instead of its own text."""


def _error_template(request: Request[Any, Any, Any], notice: object, status: int) -> Template:
    """The error page: titled by its status ("Not found", "Not valid", ...), with the navigation of
    the signed-in caller when the request got as far as knowing them (:func:`known_visitor`: no
    second look-up, which could fail too); a request that carries a session cookie but got no
    further (an unknown address) gets the navigation's links without the sign-out."""
    who = known_visitor(request)
    return page(
        "error.html",
        who,
        status_code=status,
        notice=notice,
        title=_title(status),
        links_only=who is None and has_session_cookie(request),
    )


def _title(status: int) -> str:
    if status in _TITLES:
        return _TITLES[status]
    try:
        return HTTPStatus(status).phrase.capitalize()
    except ValueError:  # a status of no standard
        return "That did not work"


def _error_page(request: Request[Any, Any, Any], error: HoursError) -> Response[Any]:
    return _secured(_error_template(request, notice_of(error), status_of(error)))


MAX_FORM_BYTES = 256 * 1024
"""The largest request body a page takes (a week of cells is far smaller); larger ones get 413."""


def _http_error_page(request: Request[Any, Any, Any], error: HTTPException) -> Response[Any]:
    """The framework's refusals as pages: a 413 gives the limit, a 404 says there is nothing there,
    and the answer keeps the exception's headers (405's ``Allow``). (A date of a page's address is
    read by the page itself: :func:`hours_web.pages.query_date`.)
    A 500 or above the framework raises itself is a bug like any other: :func:`_crash_page` logs it
    and names the request (before, the page showed the exception's own text, a file's path perhaps,
    and nothing was logged)."""
    text, status = str(error.detail), error.status_code
    if status >= 500:
        return _crash_page(request, error)
    if status == 413:
        text = (
            f"The form is larger than {MAX_FORM_BYTES // 1024} KiB, the most a page takes; nothing was saved."
        )
    elif status == 404:
        text = NOT_FOUND
    notice = {"text": text, "kind": "error"}
    response = _error_template(request, notice, status)
    for name, value in (error.headers or {}).items():
        response.headers[name] = _with_head(value) if name.lower() == "allow" else value
    return _secured(response)


def _with_head(allow: str) -> str:
    """An ``Allow`` value with ``HEAD`` beside ``GET``: every page answers HEAD (:class:`HeadAsGet`),
    though the framework lists only its handlers' methods."""
    methods = [method.strip() for method in allow.split(",") if method.strip()]
    if "GET" in methods and "HEAD" not in methods:
        methods.append("HEAD")
    return ", ".join(sorted(methods))


class HeadAsGet:
    """``HEAD`` on a page answers what ``GET`` would, status and headers (``Content-Length``
    included), without the body (RFC 9110, 9.3.2: a server that answers GET answers HEAD), and
    without ``Set-Cookie``: a HEAD changes nothing in the browser (the page of a new token deletes
    the cookie that shows it once; a HEAD must not spend that showing). The API does the same in
    its own layer (``hours_http.transport``); the web app is an app of its own."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def send_headers_only(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [
                    (name, value)
                    for name, value in message.get("headers", ())
                    if name.lower() != b"set-cookie"
                ]
                message = {**message, "headers": headers}
            elif message["type"] == "http.response.body":
                message = {**message, "body": b""}
            await send(message)

        scope = {**scope, "method": "GET"}
        await self.app(scope, receive, send_headers_only)


class AllowEveryMethodOfTheAddress:
    """``OPTIONS`` on a page lists every method of its address in ``Allow`` (``HEAD`` beside
    ``GET``), as a 405 there does. The framework's own ``OPTIONS`` answer names the methods of one
    handler of the address only (``Allow: OPTIONS, POST`` on ``/app/week``, whose page is a GET).
    A middleware of the app, so that it runs once the router has matched the address; the API has
    its own (``hours_http.options``)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        methods = None
        if scope.get("method") == "OPTIONS":
            template = scope.get("path_template")
            routes = scope["litestar_app"].routes
            methods = next((route.methods for route in routes if route.path_format == template), None)
        if not methods:
            await self.app(scope, receive, send)
            return
        allow = _with_head(", ".join(methods)).encode()

        async def send_with_allow(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [pair for pair in message.get("headers", ()) if pair[0].lower() != b"allow"]
                message = {**message, "headers": [*headers, (b"allow", allow)]}
            await send(message)

        await self.app(scope, receive, send_with_allow)


class SingleSlashes:
    """An address of the web app spelled with a run of slashes (``//app/week``, ``/app//entries``)
    answers **308** to the same address with one slash each and no slash at the end (the query kept;
    308 keeps the method and body), as the API serves ``//time-entries`` as ``/time-entries``
    (its ``routed_path``, the router's ``normalize_path``). A redirect rather than the page: the
    session cookie's path is ``/app``, which a browser does not send to ``//app/week``. The new
    address is the request's own path, escaped as it came (``raw_path``), and always starts with one
    slash: it can name no other host."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or "//" not in scope["path"]:
            await self.app(scope, receive, send)
            return
        raw = scope.get("raw_path") or scope["path"].encode()
        path = quote_from_bytes(normalize_path(raw.decode("latin-1")).encode("latin-1"), safe=_PATH_SAFE)
        query = scope.get("query_string", b"")
        location = path.encode("ascii") + (b"?" + query if query else b"")
        headers = [(b"location", location), (b"content-length", b"0"), (b"cache-control", b"no-store")]
        await send({"type": "http.response.start", "status": 308, "headers": headers})
        await send({"type": "http.response.body", "body": b"", "more_body": False})


_PATH_SAFE = "/%!$&'()*+,;=:@"
"""What a redirect's path keeps as it is: ``/``, escapes already made (``%20``) and RFC 3986's
other characters of a path segment; anything else (a space sent unescaped) is escaped."""


class RequestIdHeader:
    """``X-Request-Id`` on every response of the web app (pages, redirects, errors, static files,
    the framework's own 404 and 405), the id :data:`RequestIds` gives the request. It is asked for
    before anything else runs, so that every later copy of the scope shares it."""

    def __init__(self, app: ASGIApp, request_ids: RequestIds) -> None:
        self.app = app
        self.request_ids = request_ids

    async def __call__(self, scope: Any, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        header = (REQUEST_ID_HEADER.lower().encode(), self.request_ids(scope).encode("latin-1"))

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [pair for pair in message.get("headers", ()) if pair[0].lower() != header[0]]
                message = {**message, "headers": [*headers, header]}
            await send(message)

        await self.app(scope, receive, send_with_id)


async def _refuse_unreadable_requests(request: Request[Any, Any, Any]) -> None:
    """Before every handler, what the API refuses too (no browser sends any of it): a query string
    that is not UTF-8 once percent-decoded (400: the framework would read each bad byte as U+FFFD,
    ``hours_core.query_text``), ``Content-Type`` sent twice (400: the framework reads the first, a
    proxy perhaps the last), one of our cookies sent twice with two values (400: the framework reads
    the last, so a cookie another site of the domain set for the whole domain would choose the
    session or the sign-in form's CSRF token; :func:`~hours_web.session.cookies_sent_twice`),
    ``X-CSRF-Token`` sent twice with two values (400: the framework reads the first;
    :func:`~hours_web.session.headers_sent_twice`), a query parameter of the page given twice (422
    naming it, as over the API; :func:`_given_twice`), and a
    body with a ``Content-Encoding`` (415: ``gzip`` read as if it were not compressed)."""
    not_utf8 = not_utf8_parameters(request.scope.get("query_string", b""))
    if not_utf8:
        raise HTTPException(
            status_code=400,
            detail=f"The address holds text that is not UTF-8 ({', '.join(sorted(not_utf8))}); "
            "nothing was read. Use the page's own links and forms.",
        )
    twice = _given_twice(request)
    if twice:
        raise ValidationFailed(dict.fromkeys(twice, GIVEN_TWICE))
    if sum(1 for name, _ in request.scope["headers"] if name.lower() == b"content-type") > 1:
        raise HTTPException(
            status_code=400,
            detail="The request was sent with two Content-Type headers; send one, as the browser does. "
            "Nothing was saved.",
        )
    twice = cookies_sent_twice(request.scope["headers"], _OUR_COOKIES)
    if twice:
        raise _sent_twice(
            f"the cookie {twice[0]}",
            " (one of them set for this whole domain, perhaps by another site on it)",
            "Clear this site's cookies, then sign in again.",
        )
    if headers_sent_twice(request.scope["headers"], (CSRF_HEADER,)):
        raise _sent_twice(
            "the header X-CSRF-Token", " (a page of hours sends it once)", "Reload the page, then try again."
        )
    encoding = request.headers.get("content-encoding", "").strip().lower()
    if encoding and encoding != "identity":
        raise HTTPException(
            status_code=415,
            detail="The form was sent compressed (Content-Encoding); send it as the browser does, "
            "uncompressed. Nothing was saved.",
        )


GIVEN_TWICE = "must be given once"
"""Why a page refuses a query parameter its address names twice: the API's words for the same."""


def _given_twice(request: Request[Any, Any, Any]) -> list[str]:
    """The query parameters of the request's page that its address names more than once, though the
    page takes one value of each (every one but the week's ``row``, a list, as the API's list
    filters of ``GET /reports/time`` repeat). Refused as the API refuses them: read as the last
    value, silently, ``?week=A&week=B`` showed week B. A parameter the page does not read is not
    looked at, given once or twice."""
    query = request.scope.get("query_string", b"")
    if not query:
        return []
    counts = Counter(name for name, _ in parse_qsl(query.decode("latin-1"), keep_blank_values=True))
    repeated = {name for name, count in counts.items() if count > 1}
    handler = request.scope.get("route_handler")
    if not repeated or handler is None:
        return []
    single = {
        field.kwarg_definition.name or name
        for name, field in handler.parsed_fn_signature.parameters.items()
        if isinstance(field.kwarg_definition, QueryParameter) and not field.is_non_string_sequence
    }
    return sorted(repeated & single)


def _sent_twice(what: str, why: str, advice: str) -> HTTPException:
    """The 400 for ``what`` (a cookie, a header) sent twice with two values, ``why`` that can be."""
    return HTTPException(
        status_code=400,
        detail=f"Your browser sent {what} twice, with two values{why}, so hours cannot tell which is "
        f"yours; nothing was read. {advice}",
    )


_OUR_COOKIES = (SESSION_COOKIE, SIGN_IN_COOKIE, NEW_TOKEN_COOKIE)
"""The cookies the web app sets and reads."""


def _crash_page(request: Request[Any, Any, Any], error: Exception) -> Response[Any]:
    """500: the error logged with the request's id, which the page shows for a person to quote."""
    request_ids: RequestIds | None = request.app.state.get("request_id")
    request_id = None if request_ids is None else request_ids(request.scope)
    # request.scope["path"], not request.url: a bad Host header would fail here again
    logger.error(
        "web request failed: %s %s (request %s)",
        request.method,
        request.scope["path"],
        request_id,
        exc_info=error,
    )
    logged = "the error is logged" + ("" if request_id is None else f" as request {request_id}")
    notice = {"text": f"Something went wrong on our side; {logged}. Try again.", "kind": "error"}
    return _secured(_error_template(request, notice, 500))


SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}
"""Every page's headers: only the server's own scripts and styles (no inline script or style), no
framing (clickjacking), no referrer to other sites, and no copy of a signed-in page in a cache."""


def _secured(response: Response[Any]) -> Response[Any]:
    for name, value in SECURITY_HEADERS.items():
        if name.lower() not in response.headers:  # the static files keep their year of caching
            response.headers[name] = value
    return response


async def _secure_headers(response: Response[Any]) -> Response[Any]:
    """After every handled request: :data:`SECURITY_HEADERS` (the error pages add them themselves)."""
    return _secured(response)


def create_web_app(
    services: Services,
    *,
    throttle: LoginThrottle | None = None,
    secure_cookies: bool = False,
    request_id: RequestIds | None = None,
    debug: bool = False,
) -> Litestar:
    """The web app over ``services``; ``throttle`` limits sign-in attempts (a new one by default);
    ``secure_cookies`` makes every cookie ``Secure``, even over plain HTTP to a loopback host (a
    server behind a TLS-terminating proxy; :func:`hours_web.session.cookie_is_secure`);
    ``request_id`` names each request: every response carries it as ``X-Request-Id`` and the
    500 page and its log line name it (without it, for an app embedded alone, no id is given)."""
    assets = _asset_urls()
    environment = _environment(assets)

    def provide_services() -> Services:
        return services

    static = create_static_files_router(
        path=STATIC_PATH,
        directories=[STATIC],
        file_system=LocalFiles(),
        cache_control=STATIC_CACHE_CONTROL,
        name="web_static",
        include_in_schema=False,
    )
    app = Litestar(
        route_handlers=[
            home,
            app_home,
            settings_home,
            static,
            SignInPages,
            WeekPages,
            EntriesPages,
            ApiTokenPages,
            ProjectPages,
            ReportPages,
        ],
        dependencies={
            "services": Provide(provide_services, use_cache=True, sync_to_thread=False),
            "who": Provide(visitor),
        },
        template_config=TemplateConfig(engine=JinjaTemplateEngine.from_environment(environment)),
        exception_handlers={
            SignInRequired: _to_sign_in,
            HoursError: _error_page,
            HTTPException: _http_error_page,
            Exception: _crash_page,
        },
        state=State(
            {
                "throttle": throttle or LoginThrottle(),
                "secure_cookies": secure_cookies,
                "request_id": request_id,
            }
        ),
        before_request=_refuse_unreadable_requests,
        after_request=_secure_headers,
        middleware=[AllowEveryMethodOfTheAddress],
        openapi_config=None,
        request_max_body_size=MAX_FORM_BYTES,
        debug=debug,
    )
    # Outside the router, so that HEAD reaches the GET pages (as the API's HttpSemantics does).
    app.asgi_handler = SingleSlashes(HeadAsGet(app.asgi_handler))
    if request_id is not None:
        app.asgi_handler = RequestIdHeader(app.asgi_handler, request_id)
    return app
