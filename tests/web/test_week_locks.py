"""The locks a page of the web app reads: the closed periods of the days it shows, not the
organization's whole history of closed periods."""

from __future__ import annotations

from datetime import date, timedelta

from hours_memory import InMemoryStore
from hours_web.week import DayLocks
from tests.world import close_every_third_day, make_world


def test_a_week_s_locks_are_the_closed_periods_that_hold_one_of_its_days() -> None:
    """Before, every page with entries (the week, the entry list, an entry's edit page) read every
    closed period of the organization: with 1,000 of them ``GET /periods``-like work cost 7 ms of
    CPU per page. Two-day periods every third day from 2000 on; the week of 2000-01-10 (Monday)
    to 2000-01-16 shares days with the periods starting on the 10th, 13th and 16th."""
    store = InMemoryStore()
    world = make_world(store.unit_of_work)
    close_every_third_day(world, store.unit_of_work, 300)
    caller = world.caller(world.member)
    first, last = date(2000, 1, 10), date(2000, 1, 16)

    locks = DayLocks.read(world.services, caller, first, last, user_id=world.member.id)

    assert [period.first_day for period in locks.closed.periods] == [
        date(2000, 1, 10),
        date(2000, 1, 13),
        date(2000, 1, 16),
    ]
    closed = {day for day in (first + timedelta(days=n) for n in range(7)) if locks.day_text(caller, day)}
    assert closed == {
        date(2000, 1, 10),
        date(2000, 1, 11),
        date(2000, 1, 13),
        date(2000, 1, 14),
        date(2000, 1, 16),
    }
    assert len(world.services.periods.locks(caller).periods) == 300
