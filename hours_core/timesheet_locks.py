"""The timesheet lock: a submitted or approved timesheet locks its user's entries of its week.

Every use case that writes an entry (create, update, delete, restore, timer start) calls
:func:`check_timesheet_lock` with the entry's user and each date the write touches (an update: the
old and the new ``entry_date``), inside its unit of work. The answer is
:class:`~hours_core.errors.EntryLocked` with ``reason`` ``submitted`` or ``approved``, ``through``
the week's last day, and ``kind: timesheet`` and the timesheet's id.
"""

from __future__ import annotations

from datetime import date

from hours_core.errors import EntryLocked
from hours_core.model import OrgId, UserId
from hours_core.ports import UnitOfWork
from hours_core.timesheets import Timesheet, TimesheetQuery, TimesheetStatus

__all__ = ["TimesheetLocks", "check_timesheet_lock", "timesheet_lock", "timesheet_locked"]


def timesheet_lock(uow: UnitOfWork, org_id: OrgId, user_id: UserId, *days: date) -> Timesheet | None:
    """The submitted or approved timesheet of ``user_id`` whose week holds one of ``days`` (the
    first of them that one holds), or ``None``.

    The rows are read (and, in a write unit of work, locked) day by day in date order, whatever the
    order of ``days``: the order every writer takes a user's timesheet rows in (docs/store.md, "The
    order of locks"), so that an update moving an entry back a week and a batch touching both weeks
    never wait for each other."""
    covering = {day: uow.timesheets.covering(org_id, user_id, day) for day in sorted(set(days))}
    for day in dict.fromkeys(days):
        for timesheet in covering[day]:
            if timesheet.status.locks_entries:
                return timesheet
    return None


def timesheet_locked(timesheet: Timesheet) -> EntryLocked:
    """The error of a write that ``timesheet`` refuses."""
    until = (
        "until the timesheet is rejected or reopened"
        if timesheet.status is TimesheetStatus.SUBMITTED
        else "unless an owner or admin reopens the timesheet"
    )
    return EntryLocked(
        timesheet.status.value,
        through=timesheet.week_end,
        message=(
            f"The time entry is in the week {timesheet.week_start} to {timesheet.week_end}, whose timesheet "
            f"is {timesheet.status.value}: it cannot change {until}."
        ),
        more={"kind": "timesheet", "timesheet_id": timesheet.id},
    )


def check_timesheet_lock(uow: UnitOfWork, org_id: OrgId, user_id: UserId, *days: date) -> None:
    """Raise :class:`~hours_core.errors.EntryLocked` if a submitted or approved timesheet of
    ``user_id`` holds one of ``days``."""
    timesheet = timesheet_lock(uow, org_id, user_id, *days)
    if timesheet is not None:
        raise timesheet_locked(timesheet)


class TimesheetLocks:
    """The submitted and approved timesheets of an organization's users, read once per user: the
    check of a bulk writer (an import) that writes many entries of few users."""

    def __init__(self, uow: UnitOfWork, org_id: OrgId) -> None:
        self._uow = uow
        self._org_id = org_id
        self._by_user: dict[UserId, list[Timesheet]] = {}

    def holding(self, user_id: UserId, day: date) -> Timesheet | None:
        """The submitted or approved timesheet of ``user_id`` whose week holds ``day``, or ``None``."""
        locking = self._by_user.get(user_id)
        if locking is None:
            query = TimesheetQuery(user_id=user_id)
            locking = [
                each for each in self._uow.timesheets.list(self._org_id, query) if each.status.locks_entries
            ]
            self._by_user[user_id] = locking
        return next((each for each in locking if each.holds(day)), None)
