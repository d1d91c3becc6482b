"""The contract of the timesheet repository, for every store: one timesheet per user and week,
tenancy, updates, the filters and order of the list, and the week a day falls in."""

from __future__ import annotations

import threading
import uuid
from datetime import date, timedelta

import attrs
import pytest

from hours_core.errors import Conflict
from hours_core.model import UserId
from hours_core.timesheets import Timesheet, TimesheetId, TimesheetPosition, TimesheetQuery, TimesheetStatus

from .conftest import T0, Build, OpenStore, Tenant, World

MONDAY = date(2024, 3, 4)


def timesheet(build: Build, tenant: Tenant, week_start: date = MONDAY, *, owner: bool = False) -> Timesheet:
    user = tenant.owner if owner else tenant.member
    return Timesheet.new(TimesheetId(build.id()), tenant.org.id, user.id, week_start, T0)


def add(store: OpenStore, *timesheets: Timesheet) -> None:
    with store.unit_of_work() as uow:
        for each in timesheets:
            uow.timesheets.add(each)
        uow.commit()


def test_an_added_timesheet_reads_back_equal_in_its_organization_only(
    store: OpenStore, world: World, build: Build
) -> None:
    draft = timesheet(build, world.a)
    add(store, draft)

    with store.unit_of_work(read_only=True) as uow:
        assert uow.timesheets.get(world.a.org.id, draft.id) == draft
        assert uow.timesheets.get(world.b.org.id, draft.id) is None
        assert uow.timesheets.get(world.a.org.id, TimesheetId(uuid.UUID(int=0))) is None
    with store.unit_of_work() as uow:
        assert uow.timesheets.lock(world.a.org.id, draft.id) == draft
        assert uow.timesheets.lock(world.b.org.id, draft.id) is None


def test_a_second_timesheet_of_one_user_and_week_is_refused(
    store: OpenStore, world: World, build: Build
) -> None:
    add(store, timesheet(build, world.a))

    with pytest.raises(Conflict), store.unit_of_work() as uow:
        uow.timesheets.add(timesheet(build, world.a))
    add(store, timesheet(build, world.a, owner=True), timesheet(build, world.a, MONDAY + timedelta(days=7)))


def test_a_timesheet_of_a_user_of_another_organization_is_refused(
    store: OpenStore, world: World, build: Build
) -> None:
    stranger = attrs.evolve(timesheet(build, world.a), user_id=world.b.member.id)
    with pytest.raises(Conflict), store.unit_of_work() as uow:
        uow.timesheets.add(stranger)
    draft = timesheet(build, world.a)
    add(store, draft)
    with pytest.raises(Conflict), store.unit_of_work() as uow:
        uow.timesheets.update(draft.submitted(world.b.owner.id, T0))


def test_an_update_stores_the_status_submission_and_decision_in_its_organization_only(
    store: OpenStore, world: World, build: Build
) -> None:
    draft = timesheet(build, world.a)
    add(store, draft)
    submitted = draft.submitted(world.a.member.id, T0 + timedelta(hours=1))
    rejected = submitted.rejected(world.a.owner.id, T0 + timedelta(hours=2), "Friday is missing ✍")

    with store.unit_of_work() as uow:
        uow.timesheets.update(submitted)
        uow.timesheets.update(rejected)
        uow.timesheets.update(attrs.evolve(rejected, org_id=world.b.org.id, status=TimesheetStatus.APPROVED))
        uow.commit()

    with store.unit_of_work(read_only=True) as uow:
        assert uow.timesheets.get(world.a.org.id, draft.id) == rejected
    assert rejected.decided_by == world.a.owner.id and rejected.status is TimesheetStatus.REJECTED


def test_the_list_filters_by_status_user_and_overlapping_range_newest_week_first(
    store: OpenStore, world: World, build: Build
) -> None:
    a = world.a
    early = timesheet(build, a, MONDAY)
    late = timesheet(build, a, MONDAY + timedelta(days=14))
    owners = timesheet(build, a, MONDAY, owner=True)
    theirs = timesheet(build, world.b, MONDAY)
    add(store, early, late, owners, theirs)
    with store.unit_of_work() as uow:
        uow.timesheets.update(late.submitted(a.member.id, T0))
        uow.commit()

    def listed(**query: object) -> list[TimesheetId]:
        with store.unit_of_work(read_only=True) as uow:
            return [each.id for each in uow.timesheets.list(a.org.id, TimesheetQuery(**query))]  # type: ignore[arg-type]

    same_week = sorted([early, owners], key=lambda each: (each.user_id, each.id))
    assert listed() == [late.id, *(each.id for each in same_week)]
    assert listed(status=TimesheetStatus.SUBMITTED) == [late.id]
    assert listed(status=TimesheetStatus.DRAFT, user_id=a.member.id) == [early.id]
    assert listed(user_id=UserId(uuid.UUID(int=0))) == []
    # A week counts when it overlaps the range: its last day, or its first, is enough.
    assert set(listed(date_from=MONDAY + timedelta(days=6), date_to=MONDAY + timedelta(days=6))) == {
        early.id,
        owners.id,
    }
    assert listed(date_from=MONDAY + timedelta(days=7), date_to=MONDAY + timedelta(days=14)) == [late.id]
    assert listed(date_from=MONDAY + timedelta(days=7), date_to=MONDAY + timedelta(days=13)) == []
    assert listed(date_to=MONDAY - timedelta(days=1)) == []


def test_pages_after_a_position_walk_the_list_in_its_order_with_no_gap_or_repeat(
    store: OpenStore, world: World, build: Build
) -> None:
    a = world.a
    weeks = [MONDAY + timedelta(days=7 * n) for n in range(3)]
    made = [timesheet(build, a, week, owner=owner) for week in weeks for owner in (False, True)]
    add(store, *made, timesheet(build, world.b, MONDAY))

    def page(limit: int, after: Timesheet | None, **query: object) -> list[Timesheet]:
        position = None if after is None else TimesheetPosition.of(after)
        with store.unit_of_work(read_only=True) as uow:
            return list(uow.timesheets.list(a.org.id, TimesheetQuery(after=position, limit=limit, **query)))  # type: ignore[arg-type]

    whole = page(100, None)
    assert [(each.week_start, each.user_id) for each in whole] == sorted(
        ((each.week_start, each.user_id) for each in made), key=lambda key: (-key[0].toordinal(), key[1])
    )
    for size in (1, 2, 4):
        walked: list[Timesheet] = []
        while True:
            found = page(size, walked[-1] if walked else None)
            assert len(found) <= size
            walked += found
            if len(found) < size:
                break
        assert walked == whole, size
    assert page(0, None) == []
    assert page(100, whole[-1]) == []
    assert page(100, whole[0], user_id=a.owner.id) == [
        each for each in whole[1:] if each.user_id == a.owner.id
    ]


@pytest.mark.parametrize("read_only", [False, True], ids=["writing", "reading"])
def test_covering_finds_the_users_timesheet_of_each_day_of_its_week_and_no_other(
    store: OpenStore, world: World, build: Build, read_only: bool
) -> None:
    draft = timesheet(build, world.a)
    add(store, draft, timesheet(build, world.a, owner=True))
    member = world.a.member.id

    with store.unit_of_work(read_only=read_only) as uow:
        for offset in range(7):
            assert uow.timesheets.covering(world.a.org.id, member, MONDAY + timedelta(days=offset)) == [draft]
        assert uow.timesheets.covering(world.a.org.id, member, MONDAY - timedelta(days=1)) == []
        assert uow.timesheets.covering(world.a.org.id, member, MONDAY + timedelta(days=7)) == []
        assert uow.timesheets.covering(world.b.org.id, member, MONDAY) == []


def test_the_list_and_covering_take_the_first_and_last_days_of_the_calendar(
    store: OpenStore, world: World, build: Build
) -> None:
    """Every date is a bound the store can take, the calendar's first and last included: a range
    from year 1 or to year 9999 keeps the weeks it reaches, and no week holds those days."""
    draft = timesheet(build, world.a)
    add(store, draft)
    org, member = world.a.org.id, world.a.member.id

    with store.unit_of_work(read_only=True) as uow:
        for first in (date.min, date(1, 1, 7), date(1, 1, 8)):
            assert uow.timesheets.list(org, TimesheetQuery(date_from=first)) == [draft]
            assert uow.timesheets.list(org, TimesheetQuery(date_from=first, date_to=first)) == []
            assert uow.timesheets.covering(org, member, first) == []
        assert uow.timesheets.list(org, TimesheetQuery(date_to=date.max)) == [draft]
        assert uow.timesheets.list(org, TimesheetQuery(date_from=date.max)) == []
        assert uow.timesheets.covering(org, member, date.max) == []


def test_a_submission_waits_for_an_entry_write_that_checked_the_week(
    store: OpenStore, world: World, build: Build
) -> None:
    """A write unit of work that read a week's timesheet (``covering``) holds it until it ends: a
    submission (``lock``) waits for it, and a check after a submission sees it submitted, whatever the
    store (PostgreSQL's row lock; one writer at a time elsewhere)."""
    draft = timesheet(build, world.a)
    add(store, draft)
    org, member = world.a.org.id, world.a.member.id
    checked, locked_it = threading.Event(), threading.Event()
    seen: list[TimesheetStatus] = []
    order: list[str] = []

    def submission() -> None:
        checked.wait()
        with store.unit_of_work() as uow:
            locked = uow.timesheets.lock(org, draft.id)
            assert locked is not None
            order.append("submission locked")
            locked_it.set()
            seen.append(locked.status)
            uow.timesheets.update(locked.submitted(member, T0))
            uow.commit()

    waiting = threading.Thread(target=submission)
    waiting.start()
    with store.unit_of_work() as uow:
        assert [each.status for each in uow.timesheets.covering(org, member, MONDAY)] == [
            TimesheetStatus.DRAFT
        ]
        checked.set()
        # The submission cannot take the timesheet while this unit of work holds it: this wait runs out.
        assert not locked_it.wait(0.5)
        uow.entries.add(build.entry(world.a.member, world.a.project, entry_date=MONDAY))
        order.append("entry written")
        uow.commit()
    waiting.join()
    assert seen == [TimesheetStatus.DRAFT]
    assert order == ["entry written", "submission locked"]

    with store.unit_of_work() as uow:
        assert [each.status for each in uow.timesheets.covering(org, member, MONDAY)] == [
            TimesheetStatus.SUBMITTED
        ]
