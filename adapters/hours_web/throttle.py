"""Sign-in attempts, limited per email and per client address (in the memory of one process).

A failed sign-in counts against the email (case-folded) and against the address it came from;
once either has :attr:`LoginThrottle.per_email` / :attr:`LoginThrottle.per_address` failures
within :attr:`LoginThrottle.window`, further attempts are refused without checking the password
until the oldest failure leaves the window. A successful sign-in clears its email's failures.
With N server processes an attacker gets up to N times the limit (as with the API's rate limit).
"""

from __future__ import annotations

import threading
from collections import deque
from datetime import datetime, timedelta

from hours_core.emails import email_key

__all__ = ["SWEEP_ABOVE", "LoginThrottle"]

SWEEP_ABOVE = 10_000
"""How many emails and addresses may be counted before the stale ones are swept out."""


class LoginThrottle:
    """Counts failed sign-ins per email and per address in a sliding window."""

    def __init__(
        self, *, per_email: int = 5, per_address: int = 20, window: timedelta = timedelta(minutes=15)
    ) -> None:
        self.per_email = per_email
        self.per_address = per_address
        self.window = window
        self._failures: dict[str, deque[datetime]] = {}
        self._lock = threading.Lock()

    def retry_after(self, email: str, address: str, now: datetime) -> timedelta | None:
        """How long until this email and address may try again, or ``None`` if they may now."""
        with self._lock:
            waits = [
                self._wait(key, limit, now)
                for key, limit in ((_email(email), self.per_email), (_address(address), self.per_address))
            ]
        return max((wait for wait in waits if wait is not None), default=None)

    def failed(self, email: str, address: str, now: datetime) -> None:
        """Count one failed sign-in of ``email`` from ``address``.

        When more than :data:`SWEEP_ABOVE` emails and addresses are counted, those whose failures
        have all left the window are forgotten, so that sign-ins with ever new emails cannot grow
        the process's memory without bound.
        """
        with self._lock:
            if len(self._failures) > SWEEP_ABOVE:
                cutoff = now - self.window
                self._failures = {key: times for key, times in self._failures.items() if times[-1] > cutoff}
            for key in (_email(email), _address(address)):
                self._failures.setdefault(key, deque()).append(now)

    def succeeded(self, email: str) -> None:
        """Forget the email's failures (the address keeps its own)."""
        with self._lock:
            self._failures.pop(_email(email), None)

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
    return "email:" + email_key(email.strip())


def _address(address: str) -> str:
    return "address:" + address
