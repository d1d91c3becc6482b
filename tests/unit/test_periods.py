"""Closed periods: lock and unlock are mirrors over a set of days (a law checked against a naive
model), the rolling rule's boundary in the organization's time zone, and the lock check."""

from __future__ import annotations

import itertools
import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hours_core.entry_locks import ClosedDays, LockOverride, check_entry_write, lock_override
from hours_core.errors import Conflict, EntryLocked, Forbidden, ValidationFailed
from hours_core.events import EventType
from hours_core.model import OrgId, Role, TimeEntryId, User, UserId
from hours_core.periods import (
    ClosedPeriod,
    TimersRunningOnClosingDays,
    covering,
    lock_through,
    newly_closed,
    policy_through,
    unlock_through,
)
from hours_core.services import ChangeOrg, StartTimer
from hours_memory import InMemoryStore
from tests.world import START, World, make_world

ORG = OrgId(uuid.UUID(int=1))
WHO = UserId(uuid.UUID(int=2))
AT = datetime(2026, 11, 5, 12, 0, tzinfo=UTC)
BASE = date(2026, 1, 1)
SPAN = 60


def closed_set(periods: tuple[ClosedPeriod, ...]) -> set[date]:
    return {BASE + timedelta(days=n) for n in range(-5, SPAN) if covering(periods, BASE + timedelta(days=n))}


def apply(actions: list[tuple[bool, int]]) -> tuple[tuple[ClosedPeriod, ...], set[date]]:
    periods: tuple[ClosedPeriod, ...] = ()
    model: set[date] = set()
    for number, (locking, offset) in enumerate(actions):
        through = BASE + timedelta(days=offset)
        days = {BASE + timedelta(days=n) for n in range(-5, SPAN) if BASE + timedelta(days=n) <= through}
        if locking:
            periods = lock_through(ORG, periods, through, f"lock {number}", WHO, AT)
            model |= days
        else:
            periods = unlock_through(periods, through)
            model -= days
    return periods, model


@given(st.lists(st.tuples(st.booleans(), st.integers(min_value=0, max_value=SPAN - 1)), max_size=12))
def test_locks_and_unlocks_close_exactly_the_days_a_set_of_days_would(
    actions: list[tuple[bool, int]],
) -> None:
    periods, model = apply(actions)
    assert closed_set(periods) == model
    ordered = sorted(periods, key=lambda p: p.last_day)
    assert list(periods) == ordered
    for earlier, later in itertools.pairwise(ordered):
        assert later.first_day is not None
        assert earlier.last_day < later.first_day


def test_lock_october_then_unlock_to_the_15th_leaves_the_16th_to_the_31st_closed() -> None:
    periods, _ = apply([])
    periods = lock_through(ORG, periods, date(2026, 10, 31), "October", WHO, AT)
    periods = unlock_through(periods, date(2026, 10, 15))
    assert [(p.first_day, p.last_day, p.reason) for p in periods] == [
        (date(2026, 10, 16), date(2026, 10, 31), "October")
    ]


def test_a_later_lock_closes_only_the_open_days_and_keeps_the_earlier_reason() -> None:
    periods = lock_through(ORG, (), date(2026, 9, 30), "September", WHO, AT)
    periods = lock_through(ORG, periods, date(2026, 10, 31), "October", WHO, AT)
    assert [(p.first_day, p.last_day, p.reason) for p in periods] == [
        (None, date(2026, 9, 30), "September"),
        (date(2026, 10, 1), date(2026, 10, 31), "October"),
    ]


@pytest.mark.parametrize(
    ("now", "zone", "last_closed"),
    [
        # 2026-11-05 12:00 UTC is the 5th in Berlin: the first open day is 2026-10-06 with 30 days.
        (datetime(2026, 11, 5, 12, 0, tzinfo=UTC), "Europe/Berlin", date(2026, 10, 5)),
        # 23:30 UTC on the 5th is already the 6th in Berlin, still the 5th in UTC.
        (datetime(2026, 11, 5, 23, 30, tzinfo=UTC), "Europe/Berlin", date(2026, 10, 6)),
        (datetime(2026, 11, 5, 23, 30, tzinfo=UTC), "UTC", date(2026, 10, 5)),
        # 03:00 UTC on the 6th is still the 5th in New York.
        (datetime(2026, 11, 6, 3, 0, tzinfo=UTC), "America/New_York", date(2026, 10, 5)),
    ],
)
def test_the_rolling_rule_closes_days_before_today_minus_n_in_the_orgs_time_zone(
    now: datetime, zone: str, last_closed: date
) -> None:
    assert policy_through(30, zone, now) == last_closed
    closed = ClosedDays(policy_through=last_closed, lock_after_days=30)
    assert closed.lock_of(last_closed) is not None
    assert closed.lock_of(last_closed + timedelta(days=1)) is None


def test_a_write_is_refused_when_its_old_or_new_day_is_closed() -> None:
    closed = ClosedDays(periods=lock_through(ORG, (), date(2026, 10, 31), "October", WHO, AT))
    for days in ([date(2026, 10, 31)], [date(2026, 11, 1), date(2026, 10, 31)]):
        with pytest.raises(EntryLocked) as refused:
            check_entry_write(closed, Role.MEMBER, None, days, None)
        assert refused.value.details() == {
            "lock": {"reason": "October", "through": date(2026, 10, 31), "kind": "period"}
        }
    assert check_entry_write(closed, Role.MEMBER, None, [date(2026, 11, 1)], None) is None


def test_only_owners_override_and_the_override_is_returned() -> None:
    closed = ClosedDays(periods=lock_through(ORG, (), date(2026, 10, 31), "October", WHO, AT))
    override = LockOverride("fix a typo")
    assert check_entry_write(closed, Role.OWNER, None, [date(2026, 10, 1)], override) == "fix a typo"
    assert check_entry_write(closed, Role.OWNER, None, [date(2026, 11, 1)], override) is None
    for role in (Role.ADMIN, Role.MEMBER):
        with pytest.raises(Forbidden):
            check_entry_write(closed, role, None, [date(2026, 10, 1)], override)


def test_an_override_needs_a_reason_and_a_reason_needs_an_override() -> None:
    assert lock_override(None, None) is None
    assert lock_override(True, "payroll fix") == LockOverride("payroll fix")
    for flag, reason in ((True, None), (True, "  "), (False, "why"), (None, "why"), (True, "x" * 501)):
        with pytest.raises(ValidationFailed) as refused:
            lock_override(flag, reason)
        assert set(refused.value.fields) == {"reason"}


@given(
    st.lists(st.integers(min_value=0, max_value=SPAN - 1), max_size=4),
    st.lists(st.integers(min_value=0, max_value=SPAN - 1), max_size=3),
    st.integers(min_value=0, max_value=SPAN - 1),
    st.one_of(st.none(), st.integers(min_value=-5, max_value=SPAN - 1)),
)
def test_the_newly_closed_days_are_those_a_lock_closes_that_no_period_or_rule_closed(
    locks: list[int], unlocks: list[int], through: int, rule: int | None
) -> None:
    before, _ = apply([(True, offset) for offset in locks] + [(False, offset) for offset in unlocks])
    after = lock_through(ORG, before, BASE + timedelta(days=through), "new", WHO, AT)
    rule_through = None if rule is None else BASE + timedelta(days=rule)
    ranges = newly_closed(before, after, rule_through)

    days = {BASE + timedelta(days=n) for n in range(-5, SPAN)}
    in_ranges = {
        d for d in days if any((first is None or first <= d) and d <= last for first, last in ranges)
    }
    by_rule = {d for d in days if rule_through is not None and d <= rule_through}
    assert in_ranges == closed_set(after) - closed_set(before) - by_rule
    assert list(ranges) == sorted(ranges, key=lambda span: span[1])


# The lock refused while a timer runs on a day it would close (the service, on the in-memory store).

TODAY = START.date()


@pytest.fixture
def world() -> World:
    return make_world(InMemoryStore().unit_of_work)


def start_timer(world: World, user: User, entry_date: date | None = None) -> TimeEntryId:
    """Start a timer of ``user`` (dated ``entry_date``, default today); its id."""
    command = StartTimer(project_id=world.project.id, billable=False, entry_date=entry_date)
    return world.services.entries.start_timer(world.caller(user), command).id


def test_a_lock_is_refused_while_timers_run_on_days_it_would_close_and_names_them(world: World) -> None:
    admin = world.caller(world.admin)
    members_timer = start_timer(world, world.member)
    owners_timer = start_timer(world, world.owner, TODAY - timedelta(days=3))

    with pytest.raises(TimersRunningOnClosingDays) as refused:
        world.services.periods.lock(admin, TODAY, "payroll")

    assert isinstance(refused.value, Conflict) and refused.value.code == "conflict"
    assert refused.value.details() == {
        "running_timers": [
            {
                "id": owners_timer,
                "user_id": world.owner.id,
                "entry_date": TODAY - timedelta(days=3),
                "started_at": START,
            },
            {"id": members_timer, "user_id": world.member.id, "entry_date": TODAY, "started_at": START},
        ]
    }
    assert str(owners_timer) in refused.value.message and str(world.member.id) in refused.value.message
    assert "2 timers are running" in refused.value.message
    assert world.services.periods.closed_days(admin).periods == ()  # nothing was locked
    page = world.services.events.changes(admin, None, 100)
    assert EventType.PERIOD_LOCKED not in {event.type for event in page.events}


def test_a_lock_goes_through_once_the_timers_stop_and_then_no_timer_starts_on_its_days(world: World) -> None:
    admin, member = world.caller(world.admin), world.caller(world.member)
    start_timer(world, world.member)
    world.services.entries.stop_timer(member)

    world.services.periods.lock(admin, TODAY, "payroll")

    with pytest.raises(EntryLocked):
        start_timer(world, world.member)


def test_a_timer_on_a_day_the_lock_leaves_open_does_not_refuse_it(world: World) -> None:
    admin = world.caller(world.admin)
    timer = start_timer(world, world.member)

    view = world.services.periods.lock(admin, TODAY - timedelta(days=1), "payroll")

    assert [period.last_day for period in view.periods] == [TODAY - timedelta(days=1)]
    assert world.services.entries.current_timer(world.caller(world.member)).id == timer


def test_a_timer_on_a_day_that_was_closed_already_does_not_refuse_a_lock_of_later_days(world: World) -> None:
    """Only days the lock newly closes count: a timer an owner started on a closed day (with an
    override), or one the rolling rule closed under it, is stranded either way."""
    admin, owner = world.caller(world.admin), world.caller(world.owner)
    world.services.periods.lock(admin, TODAY - timedelta(days=20), "January")
    start_timer(world, world.member, TODAY - timedelta(days=10))
    world.services.entries.start_timer(
        owner,
        StartTimer(project_id=world.project.id, billable=False, entry_date=TODAY - timedelta(days=30)),
        override=LockOverride("late start"),
    )
    world.services.team.change_org(owner, ChangeOrg(lock_after_days=5))  # closes the member's day

    view = world.services.periods.lock(admin, TODAY - timedelta(days=1), "February")

    assert [period.reason for period in view.periods] == ["January", "February"]
