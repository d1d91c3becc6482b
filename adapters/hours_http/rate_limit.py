"""Per-token rate limiting: ``--rate-limit 600/min``.

Each token gets ``limit`` requests per window, refilled continuously (the generic cell rate
algorithm: a request is allowed when the token's "theoretical arrival time" is no more than one
window ahead of now). A refused request answers 429 ``rate_limited`` with ``Retry-After``; every
authenticated response carries ``RateLimit-Policy`` and ``RateLimit`` (IETF draft
"RateLimit header fields for HTTP", structured-field form).

The key is the token's prefix, never a client-supplied header. Counts live in the memory of one
server process: with N processes behind a load balancer a token may get up to N times the limit.
"""

from __future__ import annotations

import math
import re
import threading
import time
from collections.abc import Callable
from typing import Any

import attrs
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from hours_http.errors import RateLimited

__all__ = ["RateLimit", "RateLimitMiddleware", "RateLimiter", "parse_rate_limit"]

_UNITS = {"s": 1, "sec": 1, "second": 1, "m": 60, "min": 60, "minute": 60, "h": 3600, "hour": 3600}
_SPEC = re.compile(r"(?P<count>[1-9][0-9]{0,8})/(?P<unit>[a-z]+)")


@attrs.frozen
class RateLimit:
    """``limit`` requests per ``window`` seconds."""

    limit: int
    window: int

    def policy_header(self) -> str:
        """The ``RateLimit-Policy`` header value."""
        return f'"token";q={self.limit};w={self.window}'


def parse_rate_limit(text: str) -> RateLimit:
    """``600/min``, ``10/s``, ``5000/hour`` as a :class:`RateLimit`; ``ValueError`` otherwise."""
    match = _SPEC.fullmatch(text.strip().lower())
    if match is None or match["unit"] not in _UNITS:
        raise ValueError(f"bad rate limit {text!r}: use COUNT/UNIT, e.g. 600/min, 10/s or 5000/hour")
    return RateLimit(limit=int(match["count"]), window=_UNITS[match["unit"]])


@attrs.frozen
class Decision:
    """Whether a request may pass, how many remain, and when to come back."""

    allowed: bool
    remaining: int
    reset_seconds: int
    retry_after: int


class RateLimiter:
    """The counts of one process, keyed by token prefix."""

    def __init__(self, rate: RateLimit, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate = rate
        self._clock = clock
        self._interval = rate.window / rate.limit
        self._arrivals: dict[str, float] = {}
        self._lock = threading.Lock()

    def hit(self, key: str) -> Decision:
        """Count one request for ``key`` if it is allowed."""
        now = self._clock()
        window = float(self.rate.window)
        with self._lock:
            arrival = max(self._arrivals.get(key, now), now)
            if arrival + self._interval - now > window + 1e-9:
                wait = arrival + self._interval - now - window
                return Decision(False, 0, math.ceil(arrival - now), max(1, math.ceil(wait)))
            arrival += self._interval
            self._arrivals[key] = arrival
            if len(self._arrivals) > 100_000:
                self._forget_idle(now)
        backlog = arrival - now
        remaining = max(0, int((window - backlog) / self._interval + 1e-9))
        return Decision(True, remaining, math.ceil(backlog), 0)

    def _forget_idle(self, now: float) -> None:
        for key in [key for key, arrival in self._arrivals.items() if arrival <= now]:
            del self._arrivals[key]


class RateLimitMiddleware:
    """Applies a :class:`RateLimiter` to authenticated requests (it runs after authentication)."""

    def __init__(self, app: ASGIApp, limiter: RateLimiter) -> None:
        self.app = app
        self.limiter = limiter

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        caller: Any = scope.get("user")
        token = getattr(caller, "token", None)
        if token is None:
            await self.app(scope, receive, send)
            return
        decision = self.limiter.hit(token.prefix)
        headers = {
            "RateLimit-Policy": self.limiter.rate.policy_header(),
            "RateLimit": f'"token";r={decision.remaining};t={decision.reset_seconds}',
        }
        if not decision.allowed:
            raise RateLimited({**headers, "Retry-After": str(decision.retry_after)})

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                extra = [(name.lower().encode(), value.encode()) for name, value in headers.items()]
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        await self.app(scope, receive, send_with_headers)
