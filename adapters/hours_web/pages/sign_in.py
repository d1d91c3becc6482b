"""Signing in and out."""

from __future__ import annotations

import re
import secrets
from datetime import datetime, timedelta
from typing import Any

from litestar import Controller, Request, get, post
from litestar.datastructures import Cookie
from litestar.response import Redirect, Template

from hours_core.errors import SignInFailed
from hours_core.services import Services
from hours_web.pages import Deps, Who, call, page
from hours_web.pages.settings import new_token_cookie
from hours_web.session import (
    APP_PATH,
    SESSION_COOKIE,
    SIGN_IN_COOKIE,
    cookie_is_secure,
    csrf_matches,
    form_of,
    session_cookie,
)
from hours_web.throttle import LoginThrottle, Throttled

__all__ = ["SignInPages"]

_SIGN_IN = f"{APP_PATH}/sign-in"
_NO_COOKIE = (
    "Your browser did not send back the sign-in form's cookie. hours sets its cookies Secure: open it "
    "over HTTPS (or on localhost), and allow cookies for this site."
)
_EXPIRED = "The form expired; please sign in again."

SIGN_IN_FORM_LIFETIME = timedelta(hours=1)
"""How long the sign-in form's cookie lives (its ``Max-Age``), counted again at each load of the form."""

_TOKEN = re.compile(r"[A-Za-z0-9_-]{43}")
"""The shape of a token of :func:`secrets.token_urlsafe` (32 bytes), which the form's cookie holds."""

_ISSUED = re.compile(r"[0-9]{1,12}")


def _sign_in_page(
    request: Request[Any, Any, Any],
    services: Services,
    *,
    email: str = "",
    error: str | None = None,
    status_code: int = 200,
) -> Template:
    """The sign-in form, with its cookie: the token of the cookie the browser sent, if any, so
    that forms loaded in two tabs share one token and both sign in (:func:`_form_token`)."""
    token = _form_token(request)
    response = page(
        "sign_in.html",
        None,
        sign_in_csrf=token,
        issued=int(services.clock.now().timestamp()),
        email=email,
        error=error,
        status_code=status_code,
    )
    response.cookies.append(_sign_in_cookie(request, token))
    return response


def _form_token(request: Request[Any, Any, Any]) -> str:
    """The token of the sign-in cookie the browser sent, when it has the shape of ours (a browser
    sends it only while it lives), else a new random one."""
    sent = request.cookies.get(SIGN_IN_COOKIE, "")
    return sent if _TOKEN.fullmatch(sent) else secrets.token_urlsafe(32)


def _no_cookie_error(issued: str | None, now: datetime) -> str:
    """Why a sign-in came without the form's cookie: the form is older than the cookie lives
    (its ``issued`` field, the second it was made), so the cookie expired; else the browser did
    not keep it (plain HTTP from another host, cookies blocked). The field only picks the message:
    either way nothing is signed in."""
    known = issued is not None and _ISSUED.fullmatch(issued) is not None
    if known and now.timestamp() - int(issued or 0) >= SIGN_IN_FORM_LIFETIME.total_seconds():
        return _EXPIRED
    return _NO_COOKIE


def _sign_in_cookie(request: Request[Any, Any, Any], token: str) -> Cookie:
    """The sign-in form's cookie holding ``token``, for :data:`SIGN_IN_FORM_LIFETIME` (``Secure``
    whenever the request came over HTTPS or a proxy: :func:`~hours_web.session.cookie_is_secure`)."""
    return Cookie(
        key=SIGN_IN_COOKIE,
        value=token,
        path=_SIGN_IN,
        max_age=int(SIGN_IN_FORM_LIFETIME.total_seconds()),
        secure=cookie_is_secure(request),
        httponly=True,
        samesite="strict",
    )


def _throttled_page(
    request: Request[Any, Any, Any], services: Services, email: str, wait: timedelta
) -> Template:
    """429: the sign-in form saying how long to wait (``Retry-After`` in seconds)."""
    minutes = max(1, int(wait.total_seconds() + 59) // 60)
    response = _sign_in_page(
        request,
        services,
        email=email,
        error=f"Too many failed attempts. Try again in {minutes} minute{'s' if minutes > 1 else ''}.",
        status_code=429,
    )
    response.headers["Retry-After"] = str(int(wait.total_seconds()) + 1)
    return response


class SignInPages(Controller):
    """``/app/sign-in`` and ``/app/sign-out``."""

    path = APP_PATH
    include_in_schema = False

    @get("/sign-in", sync_to_thread=False)
    def sign_in_form(self, request: Request[Any, Any, Any], services: Deps) -> Template:
        """The sign-in form."""
        return _sign_in_page(request, services)

    @post("/sign-in")
    async def sign_in(self, request: Request[Any, Any, Any], services: Deps) -> Template | Redirect:
        """Check the email and password; on success set the session cookie and go to the week."""
        form = await form_of(request)
        email = form.get("email", "").strip()
        password = form.get("password", "")
        expected = request.cookies.get(SIGN_IN_COOKIE)
        if expected is None:
            error = _no_cookie_error(form.get("issued"), services.clock.now())
            return _sign_in_page(request, services, email=email, error=error, status_code=403)
        if not csrf_matches(form.get("csrf"), expected):
            return _sign_in_page(request, services, email=email, error=_EXPIRED, status_code=403)
        throttle: LoginThrottle = request.app.state["throttle"]
        address = request.client.host if request.client else "unknown"
        try:
            # Counted before the password is checked, in one step with the limit's check: attempts
            # sent at once cannot all pass while the first are being verified.
            attempt = throttle.begin(email, address, services.clock.now())
        except Throttled as throttled:
            return _throttled_page(request, services, email, throttled.retry_after)
        try:
            signed_in = await call(
                services.sign_in.sign_in, email, password, replacing=request.cookies.get(SESSION_COOKIE)
            )
        except SignInFailed as failure:
            return _sign_in_page(request, services, email=email, error=failure.message, status_code=401)
        attempt.succeeded()
        redirect = Redirect(f"{APP_PATH}/week", status_code=303)
        # The sign-in form's cookie stays for the rest of its hour: a form still open in another tab
        # signs in too (in place of this session, which it ends), rather than being told its
        # browser dropped the cookie.
        redirect.cookies.append(session_cookie(request, signed_in.minted.key))
        return redirect

    @post("/sign-out")
    async def sign_out(self, request: Request[Any, Any, Any], services: Deps, who: Who) -> Redirect:
        """End the session and forget its cookies."""
        await call(services.sign_in.sign_out, who.session)
        redirect = Redirect(_SIGN_IN, status_code=303)
        redirect.cookies.append(session_cookie(request, None))
        redirect.cookies.append(new_token_cookie(request, ""))  # a new token not yet shown
        return redirect
