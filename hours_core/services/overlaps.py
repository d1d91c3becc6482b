"""The overlap policy at work: the check a write of a time entry makes, and the list of overlaps.

:func:`check_overlaps` is the one call each write use case makes (create, an update that moves an
entry, a timer start, a restore) just before it stores the entry. Under the organization's
:class:`~hours_core.model.OverlapPolicy`:

* ``allow`` checks nothing (and takes no lock);
* ``warn`` stores the entry and passes an ``entry_overlaps`` warning on
  (:func:`hours_core.write_warnings.warn`);
* ``reject`` refuses the write with :class:`~hours_core.errors.EntryOverlaps`.

The check runs only when the entry's time or user changes (or it comes back from the deleted), so
fixing the note of an old overlapping entry is never refused. It first locks the user
(:meth:`~hours_core.ports.UserRepository.lock`), so that two concurrent writes of one user's
entries cannot both pass it: the second waits for the first and then sees what it stored.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Iterator, Sequence
from datetime import date, datetime, time, timedelta

import attrs

from hours_core.errors import EntryOverlaps, Forbidden, overlap_message
from hours_core.model import OverlapPolicy, TimeEntry, UserId
from hours_core.overlaps import Interval, clusters, conflicts, interval_of, overlaps
from hours_core.ports import Clock, UnitOfWork
from hours_core.reports import check_report_range
from hours_core.services.caller import Caller
from hours_core.services.transactions import Transactions
from hours_core.validation import FieldErrors
from hours_core.write_warnings import WriteWarning, warn

__all__ = [
    "MAX_CLUSTERS",
    "MAX_CLUSTER_ENTRIES",
    "MAX_LISTED_CONFLICTS",
    "ListOverlaps",
    "OverlapCluster",
    "OverlapList",
    "OverlapService",
    "check_overlaps",
    "described",
]

MAX_LISTED_CONFLICTS = 20
"""How many conflicting entries an ``entry_overlaps`` error or warning lists (the first by start)."""
_CANDIDATES = 500
"""How many entries a check reads at most (so it counts at most about this many conflicts)."""
MAX_CLUSTERS = 200
"""How many groups of overlapping entries one list answers with."""
MAX_CLUSTER_ENTRIES = 100
"""How many entries of one group the list names (the first by start; ``count`` has them all)."""
_PAGE = 1000


def described(entries: Sequence[TimeEntry]) -> list[dict[str, object]]:
    """The entries as an overlap error, warning or list names them: ``id``, ``started_at`` and
    ``stopped_at`` (``None`` for a running timer)."""
    return [{"id": e.id, "started_at": e.started_at, "stopped_at": e.stopped_at} for e in entries]


def check_overlaps(
    uow: UnitOfWork, caller: Caller, entry: TimeEntry, now: datetime, *, before: TimeEntry | None = None
) -> None:
    """Apply the organization's overlap policy to ``entry``, about to be stored (``before``: the
    stored entry it replaces, if any, live or deleted). See the module's docstring."""
    policy = caller.org.overlap_policy
    if policy is OverlapPolicy.ALLOW or not _moved(entry, before):
        return
    interval = interval_of(entry, now)
    if interval is None or interval.is_empty:
        return
    uow.users.lock(entry.org_id, entry.user_id)
    candidates = uow.entries.intersecting(
        entry.org_id, interval.start, interval.end, user_id=entry.user_id, limit=_CANDIDATES
    )
    found = conflicts(entry, candidates, now)
    if not found:
        return
    listed = described(found[:MAX_LISTED_CONFLICTS])
    if policy is OverlapPolicy.REJECT:
        raise EntryOverlaps(listed, len(found))
    message = overlap_message(len(listed), len(found))
    warn(WriteWarning(EntryOverlaps.code, message, {"entries": listed}))


def _moved(entry: TimeEntry, before: TimeEntry | None) -> bool:
    """Whether storing ``entry`` over ``before`` changes the time or user it claims (a new entry and
    a restored one do)."""
    if before is None or before.is_deleted:
        return True
    return (entry.user_id, entry.started_at, entry.stopped_at) != (
        before.user_id,
        before.started_at,
        before.stopped_at,
    )


@attrs.frozen
class ListOverlaps:
    """Which overlaps to list: of entries that cover time from ``date_from`` through ``date_to``
    (days of the organization's time zone, inclusive), of one user or (``None``) every user the
    caller may see."""

    date_from: date | None
    date_to: date | None
    user_id: UserId | None = None


@attrs.frozen
class OverlapCluster:
    """One user's entries linked by overlaps (each overlaps another of them): the first
    :data:`MAX_CLUSTER_ENTRIES` by start, and how many there are."""

    user_id: UserId
    entries: tuple[TimeEntry, ...]
    count: int


@attrs.frozen
class OverlapList:
    """The groups of overlapping entries, by user then start; ``truncated`` when there were more
    than :data:`MAX_CLUSTERS`."""

    clusters: tuple[OverlapCluster, ...]
    truncated: bool


class OverlapService:
    """Lists the overlaps that exist."""

    def __init__(self, transactions: Transactions, clock: Clock) -> None:
        self._transactions = transactions
        self._clock = clock

    def list_overlaps(self, caller: Caller, command: ListOverlaps) -> OverlapList:
        """The groups of one user's (or every user's) live entries that overlap, among the entries
        that cover time in the range. Members see their own (another ``user_id`` is
        :class:`~hours_core.errors.Forbidden`); owners and admins anyone's."""
        errors = FieldErrors()
        check_report_range(command.date_from, command.date_to, errors)
        errors.raise_if_any()
        assert command.date_from is not None and command.date_to is not None
        user_id = command.user_id
        if not caller.user.role.manages_org:
            if user_id not in (None, caller.user_id):
                raise Forbidden("Members see only their own time entries.")
            user_id = caller.user_id
        zone = _zone(caller.org.timezone)
        window = Interval(
            datetime.combine(command.date_from, time(), zone),
            datetime.combine(command.date_to + timedelta(days=1), time(), zone),
        )
        now = self._clock.now()
        found: list[OverlapCluster] = []
        with self._transactions.read() as uow:
            rows = _all_intersecting(uow, caller, window, user_id, now)
            for group in clusters(rows, now):
                if len(found) == MAX_CLUSTERS:
                    return OverlapList(tuple(found), truncated=True)
                found.append(OverlapCluster(group[0].user_id, tuple(group[:MAX_CLUSTER_ENTRIES]), len(group)))
        return OverlapList(tuple(found), truncated=False)


def _all_intersecting(
    uow: UnitOfWork, caller: Caller, window: Interval, user_id: UserId | None, now: datetime
) -> Iterator[TimeEntry]:
    """Every live entry that covers time in ``window`` at ``now``, by user and start, read a page
    at a time."""
    after: TimeEntry | None = None
    while True:
        page = uow.entries.intersecting(
            caller.org_id, window.start, window.end, user_id=user_id, after=after, limit=_PAGE
        )
        for entry in page:
            span = interval_of(entry, now)
            if span is not None and overlaps(span, window):
                yield entry
        if len(page) < _PAGE:
            return
        after = page[-1]


def _zone(name: str) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")
