"""Sign-in attempts, limited per email and per client address (in the memory of one process).

Every attempt counts against the email (case-folded; kept as a SHA-256, so a long email costs no
more than a short one) and against the address it came from *before*
its password is checked, in one step with the check of the limits (:meth:`LoginThrottle.begin`,
under one lock): once either has :attr:`LoginThrottle.per_email` / :attr:`LoginThrottle.per_address`
attempts counted within :attr:`LoginThrottle.window`, further attempts are refused
(:class:`Throttled`) without checking the password until the oldest leaves the window. So attempts
sent at the same moment cannot all pass the check while the first ones are still being verified:
at most the limit are ever checked. An attempt whose password matched takes its own count back
(:meth:`Attempt.succeeded`); it does not clear the other failures of its email, which age out of
the window: an email may belong to users of several organizations, and one of them signing in
must not reset the count of guesses against another's password.
With N server processes an attacker gets up to N times the limit (as with the API's rate limit).
"""

from __future__ import annotations

import hashlib
import threading
from collections import deque
from datetime import datetime, timedelta

from hours_core.emails import email_key

__all__ = ["SWEEP_ABOVE", "Attempt", "LoginThrottle", "Throttled"]

SWEEP_ABOVE = 10_000
"""How many emails and addresses may be counted before the stale ones are swept out."""


class Throttled(Exception):
    """Too many attempts: the email or address may try again after :attr:`retry_after`."""

    def __init__(self, retry_after: timedelta) -> None:
        super().__init__(f"sign-in attempts limited for {retry_after}")
        self.retry_after = retry_after


class Attempt:
    """One sign-in attempt let through by :meth:`LoginThrottle.begin`: counted as a failure until
    :meth:`succeeded` takes it back."""

    def __init__(self, throttle: LoginThrottle, keys: tuple[str, str], at: datetime) -> None:
        self._throttle = throttle
        self._keys = keys
        self._at = at

    def succeeded(self) -> None:
        """The password matched: this attempt no longer counts (the others stay)."""
        self._throttle._take_back(self._keys, self._at)


class LoginThrottle:
    """Counts sign-in attempts per email and per address in a sliding window."""

    def __init__(
        self, *, per_email: int = 5, per_address: int = 20, window: timedelta = timedelta(minutes=15)
    ) -> None:
        self.per_email = per_email
        self.per_address = per_address
        self.window = window
        self._failures: dict[str, deque[datetime]] = {}
        self._lock = threading.Lock()

    def begin(self, email: str, address: str, now: datetime) -> Attempt:
        """Count one attempt of ``email`` from ``address``, before its password is checked, or
        :class:`Throttled` (nothing counted) when either already has its limit within the window.

        When more than :data:`SWEEP_ABOVE` emails and addresses are counted, those whose attempts
        have all left the window are forgotten, so that sign-ins with ever new emails cannot grow
        the process's memory without bound.
        """
        keys = (_email(email), _address(address))
        with self._lock:
            wait = self._longest_wait(keys, now)
            if wait is not None:
                raise Throttled(wait)
            if len(self._failures) > SWEEP_ABOVE:
                cutoff = now - self.window
                self._failures = {key: times for key, times in self._failures.items() if times[-1] > cutoff}
            for key in keys:
                self._failures.setdefault(key, deque()).append(now)
        return Attempt(self, keys, now)

    def retry_after(self, email: str, address: str, now: datetime) -> timedelta | None:
        """How long until this email and address may try again, or ``None`` if they may now (it counts
        nothing)."""
        keys = (_email(email), _address(address))
        with self._lock:
            return self._longest_wait(keys, now)

    def _longest_wait(self, keys: tuple[str, str], now: datetime) -> timedelta | None:
        limits = (self.per_email, self.per_address)
        waits = [self._wait(key, limit, now) for key, limit in zip(keys, limits, strict=True)]
        return max((wait for wait in waits if wait is not None), default=None)

    def _take_back(self, keys: tuple[str, ...], at: datetime) -> None:
        with self._lock:
            for key in keys:
                times = self._failures.get(key)
                if times is None or at not in times:  # already out of the window, or swept
                    continue
                times.remove(at)
                if not times:
                    del self._failures[key]

    def _wait(self, key: str, limit: int, now: datetime) -> timedelta | None:
        failures = self._failures.get(key)
        if failures is None:
            return None
        while failures and failures[0] <= now - self.window:
            failures.popleft()
        if not failures:
            del self._failures[key]
            return None
        if len(failures) < limit:
            return None
        return failures[0] + self.window - now


def _email(email: str) -> str:
    """The key of an email's count: a SHA-256 of the email as users are compared (case-folded), so
    that each email costs the same few bytes however long the form's field (up to its 256 KiB)."""
    return "email:" + hashlib.sha256(email_key(email.strip()).encode("utf-8", "surrogatepass")).hexdigest()


def _address(address: str) -> str:
    return "address:" + address
