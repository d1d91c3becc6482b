"""The overlap rule: when two time entries of one user claim the same time.

An entry with ``started_at`` and ``stopped_at`` is the half-open interval
``[started_at, stopped_at)``: entries that touch (one stops when the other starts) do not overlap,
and an entry that starts and stops at the same instant covers no time, so it overlaps nothing. A
running timer covers ``[started_at, now)``, and always at least the instant it started at (a timer
started inside another entry overlaps it from its first moment). An entry without ``started_at``
(a duration only) overlaps nothing.

The organization's :class:`~hours_core.model.OverlapPolicy` says what a write of an overlapping
entry does; :mod:`hours_core.services.overlaps` applies it. This module is the pure rule.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta
from uuid import UUID

import attrs

from hours_core.model import OverlapPolicy, TimeEntry

__all__ = ["Interval", "OverlapPolicy", "clusters", "conflicts", "interval_of", "overlaps"]

_FIRST_INSTANT = timedelta(microseconds=1)


@attrs.frozen
class Interval:
    """The half-open span ``[start, end)``; empty when ``end <= start``."""

    start: datetime
    end: datetime

    @property
    def is_empty(self) -> bool:
        """Whether the interval covers no time at all."""
        return self.end <= self.start


def overlaps(a: Interval, b: Interval) -> bool:
    """Whether ``a`` and ``b`` share some time: touching intervals and empty ones never do."""
    return max(a.start, b.start) < min(a.end, b.end)


def interval_of(entry: TimeEntry, now: datetime) -> Interval | None:
    """The time ``entry`` covers at ``now``, or ``None`` for an entry with a duration only."""
    if entry.started_at is None:
        return None
    if entry.stopped_at is None:
        return Interval(entry.started_at, max(now, entry.started_at + _FIRST_INSTANT))
    return Interval(entry.started_at, entry.stopped_at)


def conflicts(entry: TimeEntry, others: Iterable[TimeEntry], now: datetime) -> list[TimeEntry]:
    """The entries of ``others`` that ``entry`` overlaps at ``now``, by start then id: only live
    entries of the same user and organization, never ``entry`` itself."""
    interval = interval_of(entry, now)
    if interval is None:
        return []
    found = []
    for other in others:
        if (
            other.id == entry.id
            or other.is_deleted
            or (other.org_id, other.user_id) != (entry.org_id, entry.user_id)
        ):
            continue
        span = interval_of(other, now)
        if span is not None and overlaps(interval, span):
            found.append(other)
    return sorted(found, key=_by_start)


def clusters(entries: Iterable[TimeEntry], now: datetime) -> Iterator[list[TimeEntry]]:
    """The groups of overlapping entries among ``entries``, which must come sorted by user, then
    start: each group is one user's entries linked by overlaps (every entry overlaps at least one
    other of its group, and none of another group), by start then id. Groups come in input order.

    A sweep: an entry joins the open group when it starts before the group's latest end.
    """
    group: list[TimeEntry] = []
    group_end: datetime | None = None
    for entry in entries:
        span = interval_of(entry, now)
        if span is None or span.is_empty or entry.is_deleted:
            continue
        if group and group_end is not None and group[0].user_id == entry.user_id and span.start < group_end:
            group.append(entry)
            group_end = max(group_end, span.end)
            continue
        if len(group) > 1:
            yield sorted(group, key=_by_start)
        group, group_end = [entry], span.end
    if len(group) > 1:
        yield sorted(group, key=_by_start)


def _by_start(entry: TimeEntry) -> tuple[datetime, UUID]:
    assert entry.started_at is not None
    return entry.started_at, entry.id
