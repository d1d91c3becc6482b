"""Why an entry cannot change: the one question every writer and reader of an entry asks.

An entry is locked when it is invoiced (:attr:`~hours_core.model.TimeEntry.is_locked`, reason
``invoiced``), when its day is closed (:mod:`hours_core.periods`: an explicit closed period,
or the organization's rolling rule), or when a submitted or approved timesheet of its user holds
its date (:mod:`hours_core.timesheet_locks`). A write is refused when the entry's **old or new**
``entry_date`` is closed; owners may override a closed period (never an invoice, nor a
timesheet: reopen it) with a reason (:class:`LockOverride`), which the write's event records.
:func:`lock_reason` answers screens that only show why an entry is read-only.
"""

from __future__ import annotations

import enum
from collections.abc import Collection, Iterable
from datetime import date, datetime

import attrs

from hours_core.errors import EntryLocked, FieldProblem, Forbidden, ValidationFailed
from hours_core.model import Org, OrgId, Role, TimeEntry, UserId
from hours_core.periods import ClosedPeriod, covering, policy_reason, policy_through, reason_problem
from hours_core.ports import PeriodRepository
from hours_core.timesheets import Timesheet

__all__ = [
    "ClosedDays",
    "LockOverride",
    "LockReason",
    "check_entry_write",
    "day_lock_reason",
    "invoiced_lock",
    "lock_override",
    "lock_reason",
    "require_override_allowed",
]


class LockReason(enum.StrEnum):
    """Why an entry is read-only."""

    INVOICED = "invoiced"
    """The entry is on an invoice."""
    CLOSED_PERIOD = "closed_period"
    """The entry's day is in a closed period (or closed by the rolling rule)."""
    SUBMITTED = "submitted"
    """The entry's week is in a submitted timesheet of its user."""
    APPROVED = "approved"
    """The entry's week is in an approved timesheet of its user."""


@attrs.frozen
class LockOverride:
    """An owner's override of a closed period for one write, and why (recorded in its event)."""

    reason: str


def lock_override(override_lock: bool | None, reason: str | None) -> LockOverride | None:
    """The override a write asks for: ``override_lock`` true needs a ``reason``; a ``reason``
    without ``override_lock`` is an error too (422 naming the field)."""
    if not override_lock:
        if override_lock is None and reason is None:
            return None
        if reason is not None:
            raise ValidationFailed.one(
                "reason", FieldProblem("is only taken with override_lock: true", mentions=("override_lock",))
            )
        return None
    if reason is None:
        raise ValidationFailed.one(
            "reason", FieldProblem("is required with override_lock: true", mentions=("override_lock",))
        )
    problem = reason_problem(reason)
    if problem is not None:
        raise ValidationFailed.one("reason", problem)
    return LockOverride(reason)


@attrs.frozen
class ClosedDays:
    """The closed days of an organization at one moment: its closed periods and its rolling rule."""

    periods: tuple[ClosedPeriod, ...] = ()
    policy_through: date | None = None
    """The last day the rolling rule closes (``None``: no rule)."""
    lock_after_days: int | None = None

    @classmethod
    def read(
        cls, periods: PeriodRepository, org: Org, now: datetime, *, days: Collection[date] = ()
    ) -> ClosedDays:
        """The closed days of ``org`` at ``now`` (the rolling rule counts days in its time zone).

        With ``days``, only the periods that hold a day from the first of them to the last are
        read (:meth:`~hours_core.ports.PeriodRepository.holding`): what :meth:`lock_of` needs for
        those days, whatever the organization closed before or after. Ask it of no other day."""
        return cls(
            periods=tuple(periods.holding(org.id, min(days), max(days)) if days else periods.list(org.id)),
            policy_through=policy_through(org.lock_after_days, org.timezone, now),
            lock_after_days=org.lock_after_days,
        )

    def lock_of(self, day: date) -> EntryLocked | None:
        """The error of a write on ``day``, or ``None`` if the day is open. An explicit closed period
        is named before the rolling rule when both close the day."""
        period = covering(self.periods, day)
        if period is not None:
            return EntryLocked(
                period.reason,
                through=period.last_day,
                message=f"{day} is in a closed period (through {period.last_day}): {period.reason}",
                more={"kind": "period"},
            )
        if (
            self.policy_through is not None
            and self.lock_after_days is not None
            and day <= self.policy_through
        ):
            return EntryLocked(
                policy_reason(self.lock_after_days),
                through=self.policy_through,
                message=(
                    f"{day} is closed by the organization's lock policy: days older than "
                    f"{self.lock_after_days} days are closed (through {self.policy_through})"
                ),
                more={"kind": "period"},
            )
        return None


def invoiced_lock(entry: TimeEntry) -> EntryLocked:
    """The error of a write on an invoiced entry (reason ``invoiced``; no override lifts it)."""
    return EntryLocked(
        "invoiced",
        message=(
            "The time entry is invoiced and locked; it can no longer be changed or deleted "
            "(void the invoice to free it)."
        ),
        more={"kind": "invoiced", "invoice_id": entry.invoice_id},
    )


def require_override_allowed(role: Role | None, override: LockOverride | None) -> None:
    """:class:`Forbidden` when a writer who is not an owner asks for an override, locked or not."""
    if override is not None and role is not Role.OWNER:
        raise Forbidden("Only owners may override a closed period (overrideLock).")


def check_entry_write(
    closed: ClosedDays,
    role: Role | None,
    entry: TimeEntry | None,
    days: Iterable[date],
    override: LockOverride | None,
) -> str | None:
    """Refuse a write of ``entry`` (``None``: a new one) that touches ``days`` (its old and new
    ``entry_date``) if it is locked; return the override's reason if an override let it through.

    ``role`` is the writer's (``None``: the installation's operator, who holds no role in the
    organization). Only owners may ask for an override (:class:`Forbidden` otherwise, locked or
    not); an invoiced entry is refused whatever the override.
    """
    require_override_allowed(role, override)
    if entry is not None and entry.is_locked:
        raise invoiced_lock(entry)
    used: str | None = None
    for day in dict.fromkeys(days):
        lock = closed.lock_of(day)
        if lock is not None:
            if override is None:
                raise lock
            used = override.reason
    return used


def lock_reason(
    entry: TimeEntry, closed: ClosedDays | None = None, timesheets: Iterable[Timesheet] = ()
) -> LockReason | None:
    """Why ``entry`` cannot change, or ``None`` if it can. Without ``closed``, closed periods do
    not count; ``timesheets`` are timesheets the caller read (any user's, any week: those of the
    entry's user that hold its date and lock count)."""
    if entry.is_locked:
        return LockReason.INVOICED
    return day_lock_reason(entry.org_id, entry.user_id, entry.entry_date, closed, timesheets)


def day_lock_reason(
    org_id: OrgId,
    user_id: UserId,
    day: date,
    closed: ClosedDays | None = None,
    timesheets: Iterable[Timesheet] = (),
) -> LockReason | None:
    """Why no entry of ``user_id`` may be written on ``day`` (a closed day, or a submitted or approved
    week of that user among ``timesheets``), or ``None`` if the day is open to them: what
    :func:`lock_reason` asks of an entry that is not invoiced, and what a screen asks of an empty day."""
    if closed is not None and closed.lock_of(day) is not None:
        return LockReason.CLOSED_PERIOD
    for timesheet in timesheets:
        if (
            timesheet.user_id == user_id
            and timesheet.org_id == org_id
            and timesheet.holds(day)
            and timesheet.status.locks_entries
        ):
            return LockReason(timesheet.status.value)
    return None
