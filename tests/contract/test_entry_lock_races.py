"""Locks against entry writes in flight, through the use cases, on PostgreSQL (where writers run
side by side; SQLite and the in-memory store run one writer at a time, so the race cannot arise).

Writers create entries on one day in several threads while another thread closes and reopens the
day (or submits and reopens the week's timesheet). The change feed numbers every commit in the order
the commits took the org's counter, so replaying it tells whether an entry was created while the day
was closed: none may be. Before period locks and submissions held the org's entry writes
(``PeriodRepository.hold``), an entry write that had checked the day before a lock committed could
commit after it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import date, timedelta

import psycopg
import pytest

from hours_core.errors import EntryLocked, StoreBusy
from hours_core.events import Event, EventType
from hours_core.services import CreateTimeEntry, CreateTimesheet
from tests.postgres_support import empty_postgres_store
from tests.world import World, make_world

DAY = date(2026, 2, 24)
WEEK = date(2026, 2, 23)
WRITERS, ENTRIES_EACH, TOGGLES = 4, 40, 12


@pytest.fixture
def world() -> Iterator[World]:
    with empty_postgres_store() as unit_of_work:
        yield make_world(unit_of_work)


def create_one(world: World, day: date, failures: list[BaseException]) -> bool:
    """Create an entry on ``day``; whether it was created. A refusal by a lock, or a lock wait
    that ran out, is expected; a deadlock (which the adapter also reports as busy) or anything
    else is a failure."""
    command = CreateTimeEntry(project_id=world.project.id, entry_date=day, duration_seconds=60)
    try:
        world.services.entries.create_time_entry(world.caller(world.owner), command)
    except EntryLocked:
        return False
    except StoreBusy as busy:
        if isinstance(busy.__cause__, psycopg.errors.DeadlockDetected):
            failures.append(busy)
        return False
    except BaseException as error:
        failures.append(error)
        return False
    return True


def events(world: World) -> list[Event]:
    caller, after = world.caller(world.owner), None
    found: list[Event] = []
    while True:
        page = world.services.events.changes(caller, after, 1000)
        found += page.events
        if not page.events:
            return found
        after = page.events[-1].seq


def race(world: World, toggle: Callable[[], None]) -> list[BaseException]:
    """Run the writers and ``toggle`` (called :data:`TOGGLES` times) side by side; the unexpected errors."""
    failures: list[BaseException] = []
    created: list[bool] = []
    start = threading.Barrier(WRITERS + 1)

    def write() -> None:
        start.wait()
        for _ in range(ENTRIES_EACH):
            created.append(create_one(world, DAY, failures))

    def toggling() -> None:
        start.wait()
        for _ in range(TOGGLES):
            try:
                toggle()
            except BaseException as error:
                failures.append(error)

    threads = [threading.Thread(target=write) for _ in range(WRITERS)] + [threading.Thread(target=toggling)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)
    assert any(created), "no write got through: the race was not run"
    return failures


def created_while_closed(world: World, closing: EventType, opening: EventType) -> list[int]:
    """The sequence numbers of the entries created, in commit order, between a ``closing`` event and
    the next ``opening`` one."""
    closed, found = False, []
    for event in events(world):
        if event.type is closing:
            closed = True
        elif event.type is opening:
            closed = False
        elif event.type is EventType.TIME_ENTRY_CREATED and closed:
            found.append(event.seq)
    return found


def test_no_entry_is_created_on_a_day_while_a_lock_has_it_closed(world: World) -> None:
    owner = world.caller(world.owner)

    def toggle() -> None:
        world.services.periods.lock(owner, DAY, "payroll")
        world.services.periods.unlock(owner, DAY, "reopened")

    assert race(world, toggle) == []
    assert created_while_closed(world, EventType.PERIOD_LOCKED, EventType.PERIOD_UNLOCKED) == []


def test_no_entry_lands_in_a_week_whose_new_timesheet_was_submitted_before_it(world: World) -> None:
    """A timesheet created while entry writes of its week are in flight holds no row they locked:
    its submission must still wait for them."""
    owner = world.caller(world.owner)
    weeks = [WEEK - timedelta(days=7 * n) for n in range(TOGGLES)]
    current = [weeks[0]]
    sheets: dict[str, date] = {}
    done = threading.Event()
    failures: list[BaseException] = []

    created: list[bool] = []

    def write() -> None:
        while not done.is_set() and not failures:
            created.append(create_one(world, current[0] + timedelta(days=2), failures))

    writers = [threading.Thread(target=write) for _ in range(WRITERS)]
    for thread in writers:
        thread.start()
    try:
        for week in weeks:
            current[0] = week
            sheet = world.services.timesheets.create_timesheet(
                owner, CreateTimesheet(week_start=week, user_id=world.owner.id)
            ).timesheet
            sheets[str(sheet.id)] = week
            world.services.timesheets.submit(owner, sheet.id)
    finally:
        done.set()
        for thread in writers:
            thread.join(timeout=120)
    assert failures == []
    assert any(created), "no write got through: the race was not run"

    submitted: set[date] = set()
    late = []
    for event in events(world):
        if event.type is EventType.TIMESHEET_SUBMITTED:
            submitted.add(sheets[event.subject.id])
        elif event.type is EventType.TIME_ENTRY_CREATED:
            day = date.fromisoformat(str(event.changes["entry_date"].new))
            if day - timedelta(days=day.weekday()) in submitted:
                late.append((event.seq, day))
    assert late == []
