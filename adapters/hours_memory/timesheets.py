"""Timesheets in memory, refusing what the SQL schemas refuse.

The table is the store transaction's ``timesheets`` (:mod:`hours_memory.store`), by id. As in SQL, a
timesheet's user (and the users who submitted or decided it) are of its organization, and a user
has at most one timesheet per first day of a week. Writers run one at a time, so a lock is the
writer lock they already hold.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any, Protocol

import attrs

from hours_core.errors import Conflict
from hours_core.model import OrgId, UserId
from hours_core.ports import TimesheetRepository
from hours_core.timesheets import Timesheet, TimesheetId, TimesheetQuery

__all__ = ["InMemoryTimesheetRepository"]


class _Tables(Protocol):
    def read(self, name: str) -> dict[Any, Any]: ...

    def write(self, name: str) -> dict[Any, Any]: ...


class InMemoryTimesheetRepository:
    """Timesheets in memory."""

    def __init__(self, tables: _Tables) -> None:
        self.tables = tables

    def add(self, timesheet: Timesheet) -> None:
        self._check_users(timesheet)
        stored = self.tables.read("timesheets")
        if timesheet.id in stored:
            raise Conflict("The timesheet already exists.")
        if any(
            (other.org_id, other.user_id, other.week_start)
            == (timesheet.org_id, timesheet.user_id, timesheet.week_start)
            for other in stored.values()
        ):
            raise Conflict("The user already has a timesheet for this week.")
        self.tables.write("timesheets")[timesheet.id] = timesheet

    def get(self, org_id: OrgId, timesheet_id: TimesheetId) -> Timesheet | None:
        found: Timesheet | None = self.tables.read("timesheets").get(timesheet_id)
        return found if found is not None and found.org_id == org_id else None

    def lock(self, org_id: OrgId, timesheet_id: TimesheetId) -> Timesheet | None:
        self.tables.write("timesheets")  # writers run one at a time: holding the writer lock is the lock
        return self.get(org_id, timesheet_id)

    def update(self, timesheet: Timesheet) -> None:
        stored = self.get(timesheet.org_id, timesheet.id)
        if stored is None:
            return
        self._check_users(timesheet)
        self.tables.write("timesheets")[timesheet.id] = attrs.evolve(
            stored,
            status=timesheet.status,
            submitted_at=timesheet.submitted_at,
            submitted_by=timesheet.submitted_by,
            decided_at=timesheet.decided_at,
            decided_by=timesheet.decided_by,
            rejection_reason=timesheet.rejection_reason,
            updated_at=timesheet.updated_at,
        )

    def list(self, org_id: OrgId, query: TimesheetQuery) -> Sequence[Timesheet]:
        found = [
            timesheet
            for timesheet in self.tables.read("timesheets").values()
            if timesheet.org_id == org_id and query.matches(timesheet)
        ]
        found.sort(key=lambda timesheet: (timesheet.user_id, timesheet.id))
        found.sort(key=lambda timesheet: timesheet.week_start, reverse=True)
        return found if query.limit is None else found[: max(query.limit, 0)]

    def covering(self, org_id: OrgId, user_id: UserId, day: date) -> Sequence[Timesheet]:
        return self.list(org_id, TimesheetQuery(user_id=user_id, date_from=day, date_to=day))

    def _check_users(self, timesheet: Timesheet) -> None:
        users = self.tables.read("users")
        for user_id in (timesheet.user_id, timesheet.submitted_by, timesheet.decided_by):
            user = None if user_id is None else users.get(user_id)
            if user_id is not None and (user is None or user.org_id != timesheet.org_id):
                raise Conflict(
                    "The timesheet refers to an organization or user that does not exist in its organization."
                )


_: type[TimesheetRepository] = InMemoryTimesheetRepository
