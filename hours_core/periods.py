"""Closed periods: the days of an organization on which no entry may change.

An organization closes time in two ways (docs/api.md, "Closed periods"):

- **Explicit locks.** ``lock(through=D)`` closes every day up to and including ``D``;
  ``unlock(through=D)`` reopens every day up to and including ``D``. The closed set is therefore a
  union of date ranges, kept exactly as :class:`ClosedPeriod` rows: disjoint, ordered, each with
  the reason, who and when of the lock that closed it. Locking again never rewrites days that are
  already closed (their reason stays); it closes the open days up to ``D`` under the new reason.
- **The rolling rule** (``Org.lock_after_days = N``): a day ``d`` is closed when
  ``d < today - N``, today being the day in the organization's time zone. The first open day is
  ``today - N``; the last closed one ``today - N - 1``.

Both are pure functions of their inputs here; the use cases read and write the rows through
:class:`~hours_core.ports.PeriodRepository`.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta

import attrs

from hours_core.model import (
    MAX_LOCK_AFTER_DAYS,
    OrgId,
    UserId,
    control_character_problem,
    is_blank,
    one_line_problem,
)

__all__ = [
    "MAX_LOCK_AFTER_DAYS",
    "MAX_LOCK_REASON_LENGTH",
    "ClosedPeriod",
    "covering",
    "lock_through",
    "policy_reason",
    "policy_through",
    "reason_problem",
    "short_text_problem",
    "today_in",
    "unlock_through",
]

MAX_LOCK_REASON_LENGTH = 500
"""The longest reason of a lock, an unlock or an override, in characters."""

_ONE_DAY = timedelta(days=1)


def short_text_problem(value: str, max_length: int) -> str | None:
    """What is wrong with a short free text (a reason, an invoice's reference), or ``None``: not
    blank (as names: :func:`~hours_core.model.is_blank`), at most ``max_length`` characters, and one
    line that shows as it reads (no control characters, line or paragraph separators, or
    bidirectional controls: a lock's reason is repeated in every ``entry_locked`` message that
    clients show)."""
    if is_blank(value):
        return "must not be blank"
    if len(value) > max_length:
        return f"must be at most {max_length} characters (got {len(value)})"
    return control_character_problem(value) or one_line_problem(value)


def reason_problem(reason: str) -> str | None:
    """What is wrong with the reason of a lock, an unlock or an override, or ``None``."""
    return short_text_problem(reason, MAX_LOCK_REASON_LENGTH)


@attrs.frozen
class ClosedPeriod:
    """A range of closed days, ``first_day`` to ``last_day`` inclusive (``first_day=None``: every
    day up to ``last_day``), closed by ``locked_by`` at ``locked_at`` for ``reason``."""

    org_id: OrgId
    first_day: date | None
    last_day: date
    reason: str
    locked_by: UserId | None
    locked_at: datetime

    def __attrs_post_init__(self) -> None:
        if self.first_day is not None and self.first_day > self.last_day:
            raise ValueError("a closed period's first day is after its last day")

    def covers(self, day: date) -> bool:
        """Whether ``day`` is closed by this period."""
        return (self.first_day is None or self.first_day <= day) and day <= self.last_day


def _ordered(periods: Iterable[ClosedPeriod]) -> tuple[ClosedPeriod, ...]:
    return tuple(sorted(periods, key=lambda period: period.last_day))


def lock_through(
    org_id: OrgId,
    periods: Sequence[ClosedPeriod],
    through: date,
    reason: str,
    by: UserId | None,
    at: datetime,
) -> tuple[ClosedPeriod, ...]:
    """``periods`` with every open day up to ``through`` closed for ``reason`` (days already closed
    keep their period); each gap that closes becomes a period of its own."""
    result: list[ClosedPeriod] = []
    next_open: date | None = None  # the first day after the previous period (None: the beginning)

    def close_gap(last: date) -> None:
        if next_open is None or next_open <= min(last, through):
            result.append(ClosedPeriod(org_id, next_open, min(last, through), reason, by, at))

    for period in _ordered(periods):
        if period.first_day is not None:
            close_gap(period.first_day - _ONE_DAY)
        result.append(period)
        next_open = period.last_day + _ONE_DAY
    close_gap(through)
    return _ordered(result)


def unlock_through(periods: Sequence[ClosedPeriod], through: date) -> tuple[ClosedPeriod, ...]:
    """``periods`` with every day up to ``through`` open again: periods that end by then go, a period
    that runs past it keeps its days after ``through``."""
    kept: list[ClosedPeriod] = []
    for period in _ordered(periods):
        if period.last_day <= through:
            continue
        starts_by_then = period.first_day is None or period.first_day <= through
        kept.append(attrs.evolve(period, first_day=through + _ONE_DAY) if starts_by_then else period)
    return tuple(kept)


def covering(periods: Iterable[ClosedPeriod], day: date) -> ClosedPeriod | None:
    """The period that closes ``day``, or ``None``."""
    return next((period for period in periods if period.covers(day)), None)


def today_in(timezone: str, now: datetime) -> date:
    """The calendar day it is at ``now`` in ``timezone`` (an IANA name)."""
    return now.astimezone(zoneinfo.ZoneInfo(timezone)).date()


def policy_through(lock_after_days: int | None, timezone: str, now: datetime) -> date | None:
    """The last day the rolling rule closes at ``now`` (``today - N - 1`` in the organization's time
    zone: the first open day is ``today - N``), or ``None`` without a rule."""
    if lock_after_days is None:
        return None
    return today_in(timezone, now) - timedelta(days=lock_after_days + 1)


def policy_reason(lock_after_days: int) -> str:
    """The reason a write refused by the rolling rule gives."""
    return f"older than {lock_after_days} days (lockPolicy)"
