"""Clocks: the core never reads the system time directly."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

__all__ = ["FixedClock", "SystemClock", "later"]


def later(now: datetime, previous: datetime) -> datetime:
    """``now``, or just after ``previous`` if the clock has not moved past it: an ``updated_at``
    always advances."""
    return now if now > previous else previous + timedelta(microseconds=1)


class SystemClock:
    """The real time, in UTC."""

    def now(self) -> datetime:
        """The current instant, timezone-aware UTC."""
        return datetime.now(UTC)


class FixedClock:
    """A clock that shows a set instant until told to move; for tests and simulations."""

    def __init__(self, at: datetime) -> None:
        if at.utcoffset() != timedelta(0):
            raise ValueError("FixedClock needs a UTC datetime")
        self._at = at

    def now(self) -> datetime:
        """The instant the clock was set to."""
        return self._at

    def advance(self, by: timedelta) -> None:
        """Move the clock forward by ``by``."""
        self._at += by

    def set(self, at: datetime) -> None:
        """Move the clock to ``at``."""
        self._at = at
