"""Rate limiting: ``--rate-limit 600/min`` per user, ``--auth-failure-limit 60/min`` per client address.

Two policies, each a :class:`RateLimit` counted by the core's
:class:`~hours_core.services.rate_limits.RateLimits` in fixed windows shared by every server
process and host through the store (see that module for the leases and their bounds):

* ``user``: every authenticated request counts against its **user**, whichever of their tokens it
  carries (minting more tokens gives no more requests). :class:`RateLimitMiddleware` runs after
  authentication. Authenticated responses carry ``RateLimit-Policy`` and ``RateLimit`` (IETF
  draft "RateLimit header fields for HTTP", structured-field form).
* ``address``: every request that fails authentication (no token, a malformed, unknown, revoked
  or expired one) counts against the **client address** of the connection (never a
  client-supplied header such as ``X-Forwarded-For``). Once an address is over, every request it
  makes to an authenticated route is refused before its token is even looked at, valid or not,
  until the window ends (:class:`AuthFailureLimit`, called by the authentication middleware).

Over either limit: 429 ``rate_limited`` with ``Retry-After`` (the seconds until the window ends)
and both RateLimit fields.
"""

from __future__ import annotations

import re
from typing import Any

import attrs
from litestar.concurrency import sync_to_thread
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from hours_core.services.rate_limits import Allowance, Quota, RateLimits
from hours_http.errors import RateLimited

__all__ = [
    "AuthFailureLimit",
    "Policy",
    "RateLimit",
    "RateLimitMiddleware",
    "parse_rate_limit",
    "user_policy",
]

_UNITS = {"s": 1, "sec": 1, "second": 1, "m": 60, "min": 60, "minute": 60, "h": 3600, "hour": 3600}
_SPEC = re.compile(r"(?P<count>[1-9][0-9]{0,8})/(?P<unit>[a-z]+)")


@attrs.frozen
class RateLimit:
    """``limit`` requests per ``window`` seconds."""

    limit: int
    window: int

    def quota(self) -> Quota:
        """The core's form of this limit."""
        return Quota(limit=self.limit, window=self.window)


def parse_rate_limit(text: str) -> RateLimit:
    """``600/min``, ``10/s``, ``5000/hour`` as a :class:`RateLimit`; ``ValueError`` otherwise."""
    match = _SPEC.fullmatch(text.strip().lower())
    if match is None or match["unit"] not in _UNITS:
        raise ValueError(f"bad rate limit {text!r}: use COUNT/UNIT, e.g. 600/min, 10/s or 5000/hour")
    return RateLimit(limit=int(match["count"]), window=_UNITS[match["unit"]])


class Policy:
    """One named limit (``user``, ``address``) over the shared counts."""

    def __init__(self, name: str, rate: RateLimit, limits: RateLimits, message: str) -> None:
        self.name = name
        self.rate = rate
        self.message = message
        self._quota = rate.quota()
        self._limits = limits

    def _key(self, subject: str) -> str:
        return f"{self.name}/{self.rate.window}/{subject}"

    async def take(self, subject: str) -> Allowance:
        """Count one request of ``subject``: on the event loop when this process holds a unit (or
        knows there is none left), else in a worker thread, which asks the store for a lease."""
        answer = self.take_held(subject)
        if answer is None:
            answer = await sync_to_thread(self._limits.take, self._key(subject), self._quota)
        return answer

    def take_held(self, subject: str) -> Allowance | None:
        """Count one request of ``subject`` from the units this process holds (or refuse it when it
        knows there is none left); ``None``, with nothing counted, when only the store can."""
        return self._limits.take_held(self._key(subject), self._quota)

    def known_refusal(self, subject: str) -> Allowance | None:
        """The refusal of ``subject`` if this process knows it is over, without counting; else ``None``."""
        return self._limits.refused(self._key(subject), self._quota)

    def headers(self, answer: Allowance) -> dict[str, str]:
        """``RateLimit-Policy`` and ``RateLimit`` for ``answer``."""
        return {
            "RateLimit-Policy": f'"{self.name}";q={self.rate.limit};w={self.rate.window}',
            "RateLimit": f'"{self.name}";r={answer.remaining};t={answer.reset_seconds}',
        }

    def refusal(self, answer: Allowance) -> RateLimited:
        """The 429 for a refused ``answer``."""
        return RateLimited({**self.headers(answer), "Retry-After": str(answer.reset_seconds)}, self.message)


USER_OVER_LIMIT = "Too many requests for your user; retry after the seconds in Retry-After."
ADDRESS_OVER_LIMIT = (
    "Too many failed authentications from your address; retry after the seconds in Retry-After."
)


def user_policy(rate: RateLimit, limits: RateLimits) -> Policy:
    """Requests per user."""
    return Policy("user", rate, limits, USER_OVER_LIMIT)


class AuthFailureLimit:
    """Failed authentications per client address; the authentication middleware calls it."""

    def __init__(self, rate: RateLimit, limits: RateLimits) -> None:
        self.policy = Policy("address", rate, limits, ADDRESS_OVER_LIMIT)

    def check(self, address: str) -> None:
        """Raise 429 if this process knows that ``address`` is over its limit (no I/O)."""
        refused = self.policy.known_refusal(address)
        if refused is not None:
            raise self.policy.refusal(refused)

    async def count_failure(self, address: str) -> None:
        """Count a failed authentication of ``address``; raise 429 if it is one too many."""
        answer = await self.policy.take(address)
        if not answer.allowed:
            raise self.policy.refusal(answer)


class RateLimitMiddleware:
    """Counts authenticated requests against their user (it runs after authentication)."""

    def __init__(self, app: ASGIApp, policy: Policy) -> None:
        self.app = app
        self.policy = policy

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        caller: Any = scope.get("user")
        user = getattr(caller, "user", None)
        if user is None:
            await self.app(scope, receive, send)
            return
        answer = await self.policy.take(str(user.id))
        headers = self.policy.headers(answer)
        if not answer.allowed:
            raise self.policy.refusal(answer)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                extra = [(name.lower().encode(), value.encode()) for name, value in headers.items()]
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        await self.app(scope, receive, send_with_headers)
