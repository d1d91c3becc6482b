"""The timesheet entity: its week, its transitions, and what the entry lock reports; the weeks that
lock a caller's entries (``TimesheetService.locking``)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import attrs
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from hours_core.entry_locks import LockReason, lock_reason
from hours_core.errors import Forbidden, PlanRequired
from hours_core.model import OrgId, Plan, TimeEntry, TimeEntryId, User, UserId, WeekStart
from hours_core.services import CreateTimesheet
from hours_core.timesheets import (
    InvalidTransition,
    Timesheet,
    TimesheetId,
    TimesheetQuery,
    TimesheetStatus,
    earliest_week_start_reaching,
    first_day_of_entry_week,
    first_day_of_week,
    reason_problem,
)
from hours_memory import InMemoryStore
from tests.world import make_world

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


@given(st.dates())
@example(date.min)
@example(date(1, 1, 6))
@example(date(1, 1, 7))
@example(date.max)
def test_the_earliest_week_start_reaching_a_day_is_six_days_before_it_or_the_calendars_first_day(
    day: date,
) -> None:
    """Total over every date (no overflow at the calendar's start): a week that starts on this day
    or later ends on or after ``day``; one that starts a day earlier (if there is one) ends before."""
    earliest = earliest_week_start_reaching(day)
    assert earliest <= day
    assert earliest == date.min or earliest + timedelta(days=6) == day


@given(st.dates(), st.sampled_from(WeekStart))
@example(date.min, WeekStart.SUNDAY)
@example(date.max, WeekStart.MONDAY)
@example(date(1999, 12, 26), WeekStart.MONDAY)
@example(date(1999, 12, 26), WeekStart.SUNDAY)
@example(date(2101, 1, 2), WeekStart.MONDAY)
@example(date(2101, 1, 2), WeekStart.SUNDAY)
def test_an_entry_week_is_a_week_that_holds_a_date_an_entry_can_have(day: date, start: WeekStart) -> None:
    """Total over every date: the week's first day when the week holds 2000-01-01..2100-12-31
    somewhere, else ``None`` (the calendar's first and last weeks included)."""
    first = first_day_of_entry_week(day, start)
    if date(2000, 1, 1) - timedelta(days=7) < day < date(2101, 1, 1) + timedelta(days=7):
        week = first_day_of_week(day, start)
        holds_an_entry_date = week + timedelta(days=6) >= date(2000, 1, 1) and week <= date(2100, 12, 31)
        assert first == (week if holds_an_entry_date else None)
    else:
        assert first is None


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
    reopened = approved.reopened(later)
    assert reopened == attrs.evolve(
        draft(), id=approved.id, created_at=approved.created_at, updated_at=reopened.updated_at
    )
    assert reopened.updated_at > approved.updated_at

    for move in (lambda: draft().approved(BOSS, NOW), lambda: approved.submitted(USER, NOW)):
        with pytest.raises(InvalidTransition) as raised:
            move()
        assert raised.value.code == "invalid_transition"
    with pytest.raises(InvalidTransition) as raised:
        approved.approved(BOSS, NOW)
    assert raised.value.message == "An approved timesheet cannot be approved: only a submitted one can."
    with pytest.raises(InvalidTransition) as raised:
        draft().approved(BOSS, NOW)
    assert raised.value.message == "A draft timesheet cannot be approved: only a submitted one can."
    with pytest.raises(InvalidTransition) as raised:
        approved.submitted(USER, NOW)
    assert (
        raised.value.message == "An approved timesheet cannot be submitted: only a draft or rejected one can."
    )
    with pytest.raises(InvalidTransition):
        draft().reopened(NOW)


@pytest.mark.parametrize(
    ("reason", "problem"),
    [
        ("ok", None),
        ("tab\tand\nnewline", None),
        ("two\u2028lines", None),
        ("  ", "must not be blank"),
        ("a\x00b", "control"),
        ("a\u202eb", "bidirectional control character U+202E at position 2"),
    ],
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


def test_the_locking_weeks_are_the_callers_submitted_and_approved_ones_in_the_range_on_any_plan() -> None:
    world = make_world(InMemoryStore().unit_of_work)
    owner = world.caller(world.owner)
    weeks = [MONDAY, MONDAY + timedelta(days=7), MONDAY + timedelta(days=14)]
    sheets = {
        (user.id, week): world.services.timesheets.create_timesheet(
            owner, CreateTimesheet(week_start=week, user_id=user.id)
        ).timesheet.id
        for user in (world.owner, world.member)
        for week in weeks
    }
    for user in (world.owner, world.member):
        world.services.timesheets.submit(owner, sheets[user.id, weeks[0]])
        world.services.timesheets.submit(owner, sheets[user.id, weeks[1]])
    world.services.timesheets.approve(owner, sheets[world.member.id, weeks[1]])
    world.services.admin.set_plan(world.org.id, Plan.FREE)  # the locks outlive the feature

    def locking(
        user: User, first: date, last: date, **only: UserId
    ) -> list[tuple[UserId, date, TimesheetStatus]]:
        found = world.services.timesheets.locking(world.caller(user), first, last, **only)
        return sorted((sheet.user_id, sheet.week_start, sheet.status) for sheet in found)

    member, boss = world.member.id, world.owner.id
    assert locking(world.member, MONDAY - timedelta(days=7), MONDAY + timedelta(days=30)) == [
        (member, weeks[0], TimesheetStatus.SUBMITTED),
        (member, weeks[1], TimesheetStatus.APPROVED),
    ]  # a member's own, and not the draft third week
    assert locking(world.owner, weeks[0] + timedelta(days=6), weeks[1], user_id=boss) == [
        (boss, weeks[0], TimesheetStatus.SUBMITTED),
        (boss, weeks[1], TimesheetStatus.SUBMITTED),
    ]  # weeks that overlap the range by a day
    assert locking(world.owner, weeks[1], weeks[1]) == sorted(
        [(boss, weeks[1], TimesheetStatus.SUBMITTED), (member, weeks[1], TimesheetStatus.APPROVED)]
    )  # a manager sees every user's
    assert locking(world.owner, MONDAY - timedelta(days=7), MONDAY - timedelta(days=1)) == []
    with pytest.raises(Forbidden):
        locking(world.member, MONDAY, MONDAY, user_id=boss)


def test_after_a_downgrade_timesheets_are_read_rejected_and_reopened_while_the_rest_is_gated() -> None:
    world = make_world(InMemoryStore().unit_of_work)
    owner = world.caller(world.owner)
    sheets = [
        world.services.timesheets.create_timesheet(
            owner, CreateTimesheet(week_start=MONDAY + timedelta(days=7 * n), user_id=world.member.id)
        ).timesheet.id
        for n in range(3)
    ]
    for sheet in sheets[:2]:
        world.services.timesheets.submit(owner, sheet)
    world.services.timesheets.approve(owner, sheets[0])
    world.services.admin.set_plan(world.org.id, Plan.FREE)
    owner = world.caller(world.owner)
    timesheets = world.services.timesheets

    assert timesheets.get_timesheet(owner, sheets[0]).timesheet.status is TimesheetStatus.APPROVED
    assert len(timesheets.list_timesheets(owner, TimesheetQuery()).timesheets) == 3
    assert timesheets.reopen(owner, sheets[0]).timesheet.status is TimesheetStatus.DRAFT
    assert (
        timesheets.reject(owner, sheets[1], "Tuesday is missing").timesheet.status is TimesheetStatus.REJECTED
    )
    for gated in (
        lambda: timesheets.create_timesheet(owner, CreateTimesheet(week_start=MONDAY + timedelta(days=28))),
        lambda: timesheets.submit(owner, sheets[2]),
        lambda: timesheets.approve(owner, sheets[2]),
    ):
        with pytest.raises(PlanRequired):
            gated()
