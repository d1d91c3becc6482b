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
from hours_core.errors import EntryLocked, Forbidden, ValidationFailed
from hours_core.model import OrgId, Role, UserId
from hours_core.periods import ClosedPeriod, covering, lock_through, policy_through, unlock_through

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
