"""Closed periods: owners and admins close and reopen days; every member reads what is closed.

``lock`` and ``unlock`` are mirrors (:mod:`hours_core.periods`): ``lock(through=D)`` closes every
day up to ``D``, ``unlock(through=D)`` reopens every day up to ``D``. Locking needs the
``period_locks`` feature (studio); unlocking does not, so that an organization that left the plan
can still reopen what it closed. Each call that changes the closed days takes the organization's
lock, replaces its periods and writes one event (``period.locked`` or ``period.unlocked``).
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date

import attrs

from hours_core.entry_locks import ClosedDays
from hours_core.events import Change, EventType, Subject, SubjectType
from hours_core.periods import ClosedPeriod, lock_through, policy_through, reason_problem, unlock_through
from hours_core.plans import Feature
from hours_core.ports import Clock, IdFactory, UnitOfWork
from hours_core.services.caller import Caller
from hours_core.services.recording import EventRecorder
from hours_core.services.transactions import Transactions
from hours_core.validation import FIRST_ENTRY_DATE, LAST_ENTRY_DATE, FieldErrors

__all__ = ["ClosedDaysView", "PeriodService"]


@attrs.frozen
class ClosedDaysView:
    """What an organization has closed: its periods, its rolling rule and the last day that rule
    closes today (``None`` without a rule)."""

    periods: tuple[ClosedPeriod, ...]
    lock_after_days: int | None
    policy_through: date | None


class PeriodService:
    """Closing and reopening days (see the module's docstring)."""

    def __init__(self, transactions: Transactions, clock: Clock, ids: IdFactory) -> None:
        self._transactions = transactions
        self._clock = clock
        self._events = EventRecorder(clock, ids)

    def closed_days(self, caller: Caller) -> ClosedDaysView:
        """The organization's closed periods and rolling rule (any member)."""
        with self._transactions.read() as uow:
            return self._view(uow, caller)

    def locks(self, caller: Caller, days: Collection[date] = ()) -> ClosedDays:
        """The organization's closed days now, to ask of a day whether a write there is refused
        (:meth:`~hours_core.entry_locks.ClosedDays.lock_of`): what screens show before a write.
        With ``days``, only the periods holding a day from the first of them to the last are read
        (:meth:`ClosedDays.read`): ask it of no other day."""
        with self._transactions.read() as uow:
            org = uow.orgs.get(caller.org_id) or caller.org
            return ClosedDays.read(uow.periods, org, self._clock.now(), days=days)

    def lock(self, caller: Caller, through: date, reason: str) -> ClosedDaysView:
        """Close every open day up to ``through`` for ``reason`` (owners and admins, ``period_locks``)."""
        _check(through, reason)
        caller.require_manager("close periods")
        caller.require_feature(Feature.PERIOD_LOCKS)
        return self._change(caller, through, reason, locking=True)

    def unlock(self, caller: Caller, through: date, reason: str) -> ClosedDaysView:
        """Reopen every day up to ``through`` (owners and admins, on any plan)."""
        _check(through, reason)
        caller.require_manager("reopen periods")
        return self._change(caller, through, reason, locking=False)

    def _change(self, caller: Caller, through: date, reason: str, *, locking: bool) -> ClosedDaysView:
        with self._transactions.write() as uow:
            uow.orgs.lock(caller.org_id)
            uow.periods.hold(caller.org_id)  # entry writes in flight finish first, new ones wait
            before = tuple(uow.periods.list(caller.org_id))
            now = self._clock.now()
            if locking:
                after = lock_through(caller.org_id, before, through, reason, caller.user_id, now)
            else:
                after = unlock_through(before, through)
            if after != before:
                uow.periods.replace(caller.org_id, after)
                changes = {
                    "through": Change(None, through.isoformat()),
                    "reason": Change(None, reason),
                    "closed_days": Change(_describe(before), _describe(after)),
                }
                self._events.record(
                    uow,
                    caller,
                    EventType.PERIOD_LOCKED if locking else EventType.PERIOD_UNLOCKED,
                    Subject(SubjectType.PERIOD, str(caller.org_id)),
                    changes,
                    org_id=caller.org_id,
                    owner_id=None,
                )
            return self._view(uow, caller)

    def _view(self, uow: UnitOfWork, caller: Caller) -> ClosedDaysView:
        org = uow.orgs.get(caller.org_id) or caller.org
        return ClosedDaysView(
            periods=tuple(uow.periods.list(caller.org_id)),
            lock_after_days=org.lock_after_days,
            policy_through=policy_through(org.lock_after_days, org.timezone, self._clock.now()),
        )


def _check(through: date, reason: str) -> None:
    errors = FieldErrors()
    if not FIRST_ENTRY_DATE <= through <= LAST_ENTRY_DATE:
        errors.add("through", f"must be a date from {FIRST_ENTRY_DATE} to {LAST_ENTRY_DATE}")
    problem = reason_problem(reason)
    if problem is not None:
        errors.add("reason", problem)
    errors.raise_if_any()


def _describe(periods: tuple[ClosedPeriod, ...]) -> str:
    """The closed days as the event reports them: ``..2026-09-30, 2026-10-16..2026-10-31``."""
    return ", ".join(
        f"{'' if period.first_day is None else period.first_day.isoformat()}..{period.last_day.isoformat()}"
        for period in periods
    )
