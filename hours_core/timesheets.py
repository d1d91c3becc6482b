"""Timesheets: one user's week, submitted for approval.

A timesheet names a user and the first day of a week (by the organization's ``week_start``). Its
life: ``draft`` -> ``submitted`` -> ``approved`` or ``rejected``; a rejected timesheet may be
submitted again; owners and admins may reopen a submitted or approved one (back to ``draft``).
While a timesheet is ``submitted`` or ``approved``, its user's entries dated in its week are locked
(:mod:`hours_core.timesheet_locks`). Every move is a method of :class:`Timesheet` that refuses a
move its status does not allow (:class:`InvalidTransition`).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from typing import Any, NewType
from uuid import UUID

import attrs

from hours_core.errors import Conflict
from hours_core.model import (
    OrgId,
    UserId,
    WeekStart,
    bidi_control_problem,
    control_character_problem,
    is_blank,
)
from hours_core.validation import FIRST_ENTRY_DATE, LAST_ENTRY_DATE
from hours_core.wording import with_article

__all__ = [
    "MAX_REJECTION_REASON_LENGTH",
    "InvalidTransition",
    "Timesheet",
    "TimesheetExists",
    "TimesheetId",
    "TimesheetQuery",
    "TimesheetStatus",
    "earliest_week_start_reaching",
    "first_day_of_entry_week",
    "first_day_of_week",
    "reason_problem",
]

TimesheetId = NewType("TimesheetId", UUID)

MAX_REJECTION_REASON_LENGTH = 1_000
"""The longest reason of a rejection, in code points."""

WEEK = timedelta(days=7)
_REST_OF_WEEK = WEEK - timedelta(days=1)
"""From a week's first day to its last."""


class TimesheetStatus(enum.StrEnum):
    """Where a timesheet is in its approval."""

    DRAFT = "draft"
    SUBMITTED = "submitted"
    APPROVED = "approved"
    REJECTED = "rejected"

    @property
    def locks_entries(self) -> bool:
        """Whether the week's entries of the timesheet's user are locked: submitted or approved."""
        return self in (TimesheetStatus.SUBMITTED, TimesheetStatus.APPROVED)


class Action(enum.StrEnum):
    """What can happen to a timesheet after its creation."""

    SUBMIT = "submit"
    APPROVE = "approve"
    REJECT = "reject"
    REOPEN = "reopen"


_ALLOWED: Mapping[Action, frozenset[TimesheetStatus]] = {
    Action.SUBMIT: frozenset({TimesheetStatus.DRAFT, TimesheetStatus.REJECTED}),
    Action.APPROVE: frozenset({TimesheetStatus.SUBMITTED}),
    Action.REJECT: frozenset({TimesheetStatus.SUBMITTED}),
    Action.REOPEN: frozenset({TimesheetStatus.SUBMITTED, TimesheetStatus.APPROVED}),
}
"""The statuses each action starts from."""

_DONE: Mapping[Action, str] = {
    Action.SUBMIT: "submitted",
    Action.APPROVE: "approved",
    Action.REJECT: "rejected",
    Action.REOPEN: "reopened",
}
"""Each action as its past participle, for the message of a refused one."""


class InvalidTransition(Conflict):
    """The timesheet's status does not allow the action (approving a draft, submitting twice)."""

    code = "invalid_transition"

    def __init__(self, action: Action, status: TimesheetStatus) -> None:
        self.action = action
        self.status = status
        allowed = " or ".join(sorted(each.value for each in _ALLOWED[action]))
        super().__init__(
            f"{with_article(status.value).capitalize()} timesheet cannot be {_DONE[action]}: "
            f"only {with_article(allowed)} one can."
        )

    def details(self) -> Mapping[str, object]:
        """``{"current_status": ...}``: the status that refused the action."""
        return {"current_status": self.status.value}


class TimesheetExists(Conflict):
    """The user already has a timesheet for a week that overlaps this one."""

    def __init__(self, existing: TimesheetId) -> None:
        self.existing = existing
        super().__init__(f"The user already has a timesheet for this week ({existing}).")

    def details(self) -> Mapping[str, object]:
        """``{"timesheet_id": ...}``: the timesheet that exists."""
        return {"timesheet_id": self.existing}


def first_day_of_week(day: date, week_start: WeekStart) -> date:
    """The first day of the week (starting on ``week_start``) that holds ``day``."""
    first = 0 if week_start is WeekStart.MONDAY else 6
    return day - timedelta(days=(day.weekday() - first) % 7)


def first_day_of_entry_week(day: date, week_start: WeekStart) -> date | None:
    """The first day of the week (starting on ``week_start``) that holds ``day``, if that week holds
    a day an entry can have (2000-01-01 to 2100-12-31); ``None`` for a week wholly before or after
    them. A screen shows such a week only: no time can be logged in any other, and the calendar's
    first and last weeks (year 1, year 9999) do not fit in a date. Total for every date."""
    if not FIRST_ENTRY_DATE - WEEK < day < LAST_ENTRY_DATE + WEEK:
        return None
    first = first_day_of_week(day, week_start)
    if first + _REST_OF_WEEK < FIRST_ENTRY_DATE or first > LAST_ENTRY_DATE:
        return None
    return first


def earliest_week_start_reaching(day: date) -> date:
    """The earliest first day of a week that ends on or after ``day``: six days before ``day``, or
    :data:`datetime.date.min` when that would be before the calendar's first day (every week then
    reaches ``day``). So "the week ends on or after ``day``" is ``week_start >= this``, for every
    date a client can send: no subtraction overflows at the start of the calendar."""
    if day - date.min < _REST_OF_WEEK:
        return date.min
    return day - _REST_OF_WEEK


def reason_problem(reason: str) -> str | None:
    """What is wrong with a rejection's reason, or ``None``: 1 to 1,000 characters, not blank,
    no control characters but tab and newlines, no bidirectional controls."""
    if is_blank(reason):
        return "must not be blank"
    if len(reason) > MAX_REJECTION_REASON_LENGTH:
        return f"must be at most {MAX_REJECTION_REASON_LENGTH} characters (got {len(reason)})"
    return control_character_problem(reason, allowed="\t\n\r") or bidi_control_problem(reason)


def _utc(_instance: object, attribute: attrs.Attribute[Any], value: datetime | None) -> None:
    if value is not None and value.utcoffset() != timedelta(0):
        raise ValueError(f"{attribute.name} must be a UTC datetime, got {value!r}")


@attrs.frozen
class Timesheet:
    """One user's week: ``week_start`` is its first day, :attr:`week_end` its last.

    ``submitted_at``/``submitted_by`` record the last submission; ``decided_at``/``decided_by`` the
    approval or rejection that followed it (``rejection_reason`` for a rejection). A draft has
    none of them: a reopen withdraws the submission.
    """

    id: TimesheetId
    org_id: OrgId
    user_id: UserId
    week_start: date
    status: TimesheetStatus
    submitted_at: datetime | None = attrs.field(validator=_utc)
    submitted_by: UserId | None
    decided_at: datetime | None = attrs.field(validator=_utc)
    decided_by: UserId | None
    rejection_reason: str | None
    created_at: datetime = attrs.field(validator=_utc)
    updated_at: datetime = attrs.field(validator=_utc)

    @classmethod
    def new(
        cls, timesheet_id: TimesheetId, org_id: OrgId, user_id: UserId, week_start: date, now: datetime
    ) -> Timesheet:
        """A new draft of the week that starts on ``week_start``."""
        return cls(
            id=timesheet_id,
            org_id=org_id,
            user_id=user_id,
            week_start=week_start,
            status=TimesheetStatus.DRAFT,
            submitted_at=None,
            submitted_by=None,
            decided_at=None,
            decided_by=None,
            rejection_reason=None,
            created_at=now,
            updated_at=now,
        )

    @property
    def week_end(self) -> date:
        """The last day of the week."""
        return self.week_start + _REST_OF_WEEK

    def holds(self, day: date) -> bool:
        """Whether ``day`` is in the timesheet's week."""
        return self.week_start <= day <= self.week_end

    def submitted(self, by: UserId, now: datetime) -> Timesheet:
        """Submitted for approval (from draft or rejected); an earlier decision is cleared."""
        self._require(Action.SUBMIT)
        return attrs.evolve(
            self,
            status=TimesheetStatus.SUBMITTED,
            submitted_at=now,
            submitted_by=by,
            decided_at=None,
            decided_by=None,
            rejection_reason=None,
            updated_at=self._later(now),
        )

    def approved(self, by: UserId, now: datetime) -> Timesheet:
        """Approved (from submitted)."""
        self._require(Action.APPROVE)
        return self._decided(TimesheetStatus.APPROVED, by, now, None)

    def rejected(self, by: UserId, now: datetime, reason: str) -> Timesheet:
        """Rejected with ``reason`` (from submitted): its entries open again."""
        self._require(Action.REJECT)
        return self._decided(TimesheetStatus.REJECTED, by, now, reason)

    def reopened(self, now: datetime) -> Timesheet:
        """Back to draft (from submitted or approved): the submission is withdrawn and its decision
        with it, so the timesheet reads as a draft never submitted (the events keep both); its
        entries open again."""
        self._require(Action.REOPEN)
        return attrs.evolve(
            self,
            status=TimesheetStatus.DRAFT,
            submitted_at=None,
            submitted_by=None,
            decided_at=None,
            decided_by=None,
            rejection_reason=None,
            updated_at=self._later(now),
        )

    def _decided(self, status: TimesheetStatus, by: UserId, now: datetime, reason: str | None) -> Timesheet:
        return attrs.evolve(
            self,
            status=status,
            decided_at=now,
            decided_by=by,
            rejection_reason=reason,
            updated_at=self._later(now),
        )

    def _require(self, action: Action) -> None:
        if self.status not in _ALLOWED[action]:
            raise InvalidTransition(action, self.status)

    def _later(self, now: datetime) -> datetime:
        return max(now, self.updated_at + timedelta(microseconds=1))


@attrs.frozen
class TimesheetPosition:
    """A place in the list of timesheets, whose order is newest week first, then by user id: a
    user has one timesheet per week, so the pair names one timesheet."""

    week_start: date
    user_id: UserId

    @classmethod
    def of(cls, timesheet: Timesheet) -> TimesheetPosition:
        """Where ``timesheet`` stands in the list."""
        return cls(timesheet.week_start, timesheet.user_id)

    def precedes(self, timesheet: Timesheet) -> bool:
        """Whether ``timesheet`` comes after this place in the list."""
        return timesheet.week_start < self.week_start or (
            timesheet.week_start == self.week_start and timesheet.user_id > self.user_id
        )


@attrs.frozen
class TimesheetQuery:
    """Which of an organization's timesheets to list (``None``: any). ``date_from`` and ``date_to``
    keep the timesheets whose week overlaps that range (inclusive); ``after`` those after a place
    in the list's order, and ``limit`` keeps at most that many (a page)."""

    status: TimesheetStatus | None = None
    user_id: UserId | None = None
    date_from: date | None = None
    date_to: date | None = None
    after: TimesheetPosition | None = None
    limit: int | None = None

    def matches(self, timesheet: Timesheet) -> bool:
        """Whether ``timesheet`` passes every filter but ``limit`` (the in-memory store's query; SQL
        has its own)."""
        return (
            (self.status is None or timesheet.status is self.status)
            and (self.user_id is None or timesheet.user_id == self.user_id)
            and (self.date_from is None or timesheet.week_end >= self.date_from)
            and (self.date_to is None or timesheet.week_start <= self.date_to)
            and (self.after is None or self.after.precedes(timesheet))
        )
