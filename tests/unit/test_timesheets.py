"""The timesheet entity: its week, its transitions, and what the entry lock reports."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from hours_core.entry_locks import LockReason, lock_reason
from hours_core.model import OrgId, TimeEntry, TimeEntryId, UserId, WeekStart
from hours_core.timesheets import (
    InvalidTransition,
    Timesheet,
    TimesheetId,
    TimesheetStatus,
    first_day_of_week,
    reason_problem,
)

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
ORG, USER, BOSS = OrgId(uuid.uuid4()), UserId(uuid.uuid4()), UserId(uuid.uuid4())
MONDAY = date(2026, 3, 2)


def draft() -> Timesheet:
    return Timesheet.new(TimesheetId(uuid.uuid4()), ORG, USER, MONDAY, NOW)


@given(st.dates(date(2000, 1, 1), date(2100, 12, 31)), st.sampled_from(WeekStart))
@example(date(2026, 3, 8), WeekStart.MONDAY)
@example(date(2026, 3, 8), WeekStart.SUNDAY)
def test_the_first_day_of_a_week_is_its_weekday_within_the_six_days_before(
    day: date, start: WeekStart
) -> None:
    first = first_day_of_week(day, start)
    assert 0 <= (day - first).days < 7
    assert first.weekday() == (0 if start is WeekStart.MONDAY else 6)
    assert first_day_of_week(first, start) == first


def test_a_week_holds_its_first_and_last_day_only() -> None:
    sheet = draft()
    assert sheet.week_end == date(2026, 3, 8)
    assert [sheet.holds(MONDAY + timedelta(days=n)) for n in range(-1, 8)] == [False] + [True] * 7 + [False]


def test_the_transitions_and_what_each_records() -> None:
    later = NOW + timedelta(hours=1)
    submitted = draft().submitted(USER, NOW)
    assert (submitted.status, submitted.submitted_by, submitted.submitted_at) == (
        TimesheetStatus.SUBMITTED,
        USER,
        NOW,
    )
    rejected = submitted.rejected(BOSS, later, "missing Friday")
    assert (rejected.status, rejected.decided_by, rejected.rejection_reason) == (
        TimesheetStatus.REJECTED,
        BOSS,
        "missing Friday",
    )
    again = rejected.submitted(USER, later)
    assert (again.status, again.decided_by, again.rejection_reason) == (TimesheetStatus.SUBMITTED, None, None)
    approved = again.approved(BOSS, later)
    assert approved.status is TimesheetStatus.APPROVED and approved.updated_at > again.updated_at
    assert approved.reopened(later).status is TimesheetStatus.DRAFT

    for move in (lambda: draft().approved(BOSS, NOW), lambda: approved.submitted(USER, NOW)):
        with pytest.raises(InvalidTransition) as raised:
            move()
        assert raised.value.code == "invalid_transition"
    with pytest.raises(InvalidTransition):
        draft().reopened(NOW)


@pytest.mark.parametrize(
    ("reason", "problem"),
    [("ok", None), ("tab\tand\nnewline", None), ("  ", "must not be blank"), ("a\x00b", "control")],
)
def test_a_rejection_reason_is_one_to_a_thousand_visible_characters(reason: str, problem: str | None) -> None:
    found = reason_problem(reason)
    assert (found is None) if problem is None else (found is not None and problem in found)
    assert reason_problem("x" * 1001) is not None and reason_problem("x" * 1000) is None


def test_lock_reason_reports_a_submitted_or_approved_week_of_the_entrys_user() -> None:
    entry = TimeEntry(
        id=TimeEntryId(uuid.uuid4()),
        org_id=ORG,
        user_id=USER,
        project_id=uuid.uuid4(),  # type: ignore[arg-type]
        task_id=None,
        invoice_id=None,
        duration_seconds=60,
        billable=False,
        note=None,
        entry_date=date(2026, 3, 8),
        started_at=None,
        stopped_at=None,
        created_at=NOW,
        updated_at=NOW,
    )
    sheet = draft()
    assert lock_reason(entry, None, [sheet]) is None
    assert lock_reason(entry, None, [sheet.submitted(USER, NOW)]) is LockReason.SUBMITTED
    assert lock_reason(entry, None, [sheet.submitted(USER, NOW).approved(BOSS, NOW)]) is LockReason.APPROVED
    other_week = Timesheet.new(TimesheetId(uuid.uuid4()), ORG, USER, MONDAY + timedelta(days=7), NOW)
    assert lock_reason(entry, None, [other_week.submitted(USER, NOW)]) is None
    assert lock_reason(entry) is None
