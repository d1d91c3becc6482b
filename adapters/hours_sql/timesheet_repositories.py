"""Timesheets in SQL, for every SQL database.

A user has at most one timesheet per first day of a week (a unique constraint), and its users (the
timesheet's, who submitted it, who decided it) are of its organization (composite foreign keys).
In a write unit of work, :meth:`SqlTimesheetRepository.covering` locks the rows it reads (PostgreSQL:
``FOR NO KEY UPDATE``), so that an entry write checked against a timesheet and the timesheet's
submission run one after the other.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from hours_core.model import OrgId, UserId
from hours_core.ports import TimesheetRepository
from hours_core.timesheets import Timesheet, TimesheetId, TimesheetQuery, earliest_week_start_reaching
from hours_sql.repositories import _Repository
from hours_sql.session import Session
from hours_sql.statements import TIMESHEET_CHANGES, Statements, TimesheetStatements

__all__ = ["SqlTimesheetRepository"]


class SqlTimesheetRepository(_Repository):
    """Timesheets in SQL; ``locking``: the unit of work writes, so reads that lock may lock."""

    def __init__(self, session: Session, statements: Statements, *, locking: bool) -> None:
        super().__init__(session, statements)
        self._locking = locking

    @property
    def _ts(self) -> TimesheetStatements:
        return self._sql.timesheet_sql

    def add(self, timesheet: Timesheet) -> None:
        """Store a new timesheet."""
        self._write(self._ts.timesheets.insert, self._ts.timesheets.encode(timesheet), kind="timesheet")

    def get(self, org_id: OrgId, timesheet_id: TimesheetId) -> Timesheet | None:
        """The timesheet of ``org_id``, or ``None``."""
        return self._one(self._ts.by_id, org_id, timesheet_id)

    def lock(self, org_id: OrgId, timesheet_id: TimesheetId) -> Timesheet | None:
        """The timesheet, locked until the unit of work ends (PostgreSQL: ``FOR NO KEY UPDATE``)."""
        return self._one(self._ts.by_id_locked, org_id, timesheet_id)

    def _one(self, statement: str, org_id: OrgId, timesheet_id: TimesheetId) -> Timesheet | None:
        sql = self._sql
        row = self._row(statement, (sql.uuid(timesheet_id), sql.reference(org_id)))
        return None if row is None else self._ts.timesheets.decode(row)

    def update(self, timesheet: Timesheet) -> None:
        """Replace a stored timesheet's status, submission and decision."""
        encoded = dict(
            zip(self._ts.timesheets.table.column_names, self._ts.timesheets.encode(timesheet), strict=True)
        )
        params = (*(encoded[column] for column in TIMESHEET_CHANGES), encoded["id"], encoded["org_id"])
        self._write(self._ts.update, params, kind="timesheet")

    def list(self, org_id: OrgId, query: TimesheetQuery) -> Sequence[Timesheet]:
        """The organization's timesheets matching ``query``, newest week first."""
        sql = self._sql
        filters: list[str] = []
        params: list[Any] = [sql.reference(org_id)]
        if query.status is not None:
            filters.append("status = ?")
            params.append(query.status.value)
        if query.user_id is not None:
            filters.append("user_id = ?")
            params.append(sql.reference(query.user_id))
        if query.date_from is not None:
            filters.append("week_start >= ?")  # the week ends on or after date_from
            params.append(sql.date(earliest_week_start_reaching(query.date_from)))
        if query.date_to is not None:
            filters.append("week_start <= ?")
            params.append(sql.date(query.date_to))
        if query.after is not None:
            filters.append("(week_start < ? OR (week_start = ? AND user_id > ?))")
            week = sql.date(query.after.week_start)
            params += [week, week, sql.reference(query.after.user_id)]
        statement = self._ts.listing(tuple(filters), limited=query.limit is not None)
        if query.limit is not None:
            params.append(max(query.limit, 0))
        rows = self._session.rows(statement, tuple(params))
        return [self._ts.timesheets.decode(row) for row in rows]

    def covering(self, org_id: OrgId, user_id: UserId, day: date) -> Sequence[Timesheet]:
        """The user's timesheets whose week holds ``day`` (locked in a write unit of work)."""
        sql = self._sql
        statement = self._ts.covering_locked if self._locking else self._ts.covering
        earliest = earliest_week_start_reaching(day)
        params = (sql.reference(org_id), sql.reference(user_id), sql.date(day), sql.date(earliest))
        return [self._ts.timesheets.decode(row) for row in self._session.rows(statement, params)]


_: type[TimesheetRepository] = SqlTimesheetRepository
