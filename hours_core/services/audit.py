"""Reading the events: the change feed, an entry's history, and the audit trail; and their retention.

Who sees what (docs/events.md):

* the change feed (:meth:`EventService.changes`): owners and admins see every event of the org;
  members see the events about their own data (their entries and timers, their tokens, their own
  user) and about what every member reads (projects, tasks, the org's settings);
* an entry's history (:meth:`EventService.history`): every plan; members only their own entries';
* the audit trail (:meth:`EventService.audit`): the ``audit_log`` feature (studio); owners and
  admins see the org's events, members only those of their own entries.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from datetime import datetime, timedelta

import attrs

from hours_core.errors import CursorExpired, NotFound
from hours_core.events import EVENT_RETENTION, SHARED_SUBJECTS, Event, EventQuery, SubjectType
from hours_core.model import TimeEntryId, UserId
from hours_core.plans import Feature
from hours_core.ports import Clock
from hours_core.services.caller import Caller
from hours_core.services.transactions import Transactions

__all__ = ["PURGE_INTERVAL", "AuditFilter", "EventPage", "EventService", "FeedPage"]

PURGE_INTERVAL = timedelta(hours=1)
"""How often one process runs the retention purge, at most (:meth:`EventService.purge_if_due`)."""


@attrs.frozen
class FeedPage:
    """A page of the change feed: its events, where the next page starts, and the org's latest number."""

    events: Sequence[Event]
    next_after: int
    latest_seq: int


@attrs.frozen
class EventPage:
    """A page of history or audit events, and the sequence number the next page starts from
    (``None``: this was the last page)."""

    events: Sequence[Event]
    next_seq: int | None


@attrs.frozen
class AuditFilter:
    """What the audit trail is filtered by; ``None`` means "any". ``occurred_to`` is exclusive."""

    subject_type: SubjectType | None = None
    subject_id: str | None = None
    actor_id: UserId | None = None
    occurred_from: datetime | None = None
    occurred_to: datetime | None = None


class EventService:
    """The change feed, entry history and audit trail, and the retention purge."""

    def __init__(self, transactions: Transactions, clock: Clock) -> None:
        self._transactions = transactions
        self._clock = clock
        self._purge_lock = threading.Lock()
        self._next_purge: datetime | None = None

    def changes(self, caller: Caller, after: int | None, limit: int) -> FeedPage:
        """The events after sequence number ``after`` that the caller sees, in sequence order.

        ``after=None`` starts at the oldest event kept. An ``after`` below what the retention purge
        deleted is :class:`CursorExpired`. ``next_after`` is the number to pass next time: the last
        event's when the page is full, else the org's latest number as of this read (so a member,
        who does not see every event, moves past the ones they do not see); never below ``after``.
        """
        query = EventQuery(limit=limit)
        if not caller.user.role.manages_org:
            query = attrs.evolve(query, owner_id=caller.user_id, or_subject_types=SHARED_SUBJECTS)
        with self._transactions.read() as uow:
            purged = uow.events.purged_through(caller.org_id)
            if after is None:
                after = purged
            elif after < purged:
                raise CursorExpired()
            events = uow.events.list(caller.org_id, attrs.evolve(query, after=after))
            latest = uow.events.latest_seq(caller.org_id)
        next_after = events[-1].seq if len(events) >= limit else max(after, latest)
        return FeedPage(events=events, next_after=next_after, latest_seq=latest)

    def history(self, caller: Caller, entry_id: TimeEntryId, after: int, limit: int) -> EventPage:
        """The events of one time entry, oldest first: of any entry for owners and admins, of
        their own for members (soft-deleted entries included; another's is :class:`NotFound`)."""
        with self._transactions.read() as uow:
            entry = uow.entries.get(caller.org_id, entry_id, include_deleted=True)
            if entry is None or not (entry.user_id == caller.user_id or caller.user.role.manages_org):
                raise NotFound.of("time entry")
            query = EventQuery(
                after=after, subject_type=SubjectType.TIME_ENTRY, subject_id=str(entry_id), limit=limit + 1
            )
            events = list(uow.events.list(caller.org_id, query))
        return _page(events, limit)

    def audit(self, caller: Caller, where: AuditFilter, before: int | None, limit: int) -> EventPage:
        """The org's events matching ``where``, newest first (members: their own entries' only);
        ``before`` is the ``next_seq`` of the previous page. Needs the ``audit_log`` feature."""
        caller.require_feature(Feature.AUDIT_LOG)
        query = EventQuery(
            before=before,
            subject_type=where.subject_type,
            subject_id=where.subject_id,
            actor_id=where.actor_id,
            occurred_from=where.occurred_from,
            occurred_to=where.occurred_to,
            descending=True,
            limit=limit + 1,
        )
        if not caller.user.role.manages_org:
            if where.subject_type not in (None, SubjectType.TIME_ENTRY):
                return EventPage(events=[], next_seq=None)
            query = attrs.evolve(query, subject_type=SubjectType.TIME_ENTRY, owner_id=caller.user_id)
        with self._transactions.read() as uow:
            events = list(uow.events.list(caller.org_id, query))
        return _page(events, limit)

    def purge_expired(self) -> int:
        """Delete the events past the retention (:data:`EVENT_RETENTION`); return how many went."""
        with self._transactions.write() as uow:
            return uow.events.purge_before(self._clock.now() - EVENT_RETENTION)

    def purge_if_due(self) -> int:
        """:meth:`purge_expired`, at most once per :data:`PURGE_INTERVAL` in this process; 0 otherwise."""
        now = self._clock.now()
        with self._purge_lock:
            if self._next_purge is not None and now < self._next_purge:
                return 0
            self._next_purge = now + PURGE_INTERVAL
        return self.purge_expired()


def _page(events: list[Event], limit: int) -> EventPage:
    """The first ``limit`` of ``events`` (read with one more, to know if another page follows)."""
    if len(events) <= limit:
        return EventPage(events=events, next_seq=None)
    kept = events[:limit]
    return EventPage(events=kept, next_seq=kept[-1].seq)
