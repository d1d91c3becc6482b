"""The range of instants: every start, stop and ``updatedSince`` lies from 1970 to 2199, checked
without converting (so an instant at the edge of what Python holds, in any offset, never overflows),
and a running timer's start stays in the past."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from hours_core.errors import ValidationFailed
from hours_core.ports import EntryQuery
from hours_core.services import CreateTimeEntry, StartTimer, UpdateTimeEntry
from hours_core.validation import FIRST_INSTANT, INSTANT_RANGE, LAST_INSTANT, instant_problem
from tests.world import World

RANGE_MESSAGE = f"must be {INSTANT_RANGE}"

offsets = st.integers(min_value=-(24 * 60 - 1), max_value=24 * 60 - 1).map(
    lambda minutes: timezone(timedelta(minutes=minutes))
)


def test_the_range_is_stated_in_the_message() -> None:
    assert RANGE_MESSAGE == "must be an instant from 1970-01-01T00:00:00Z to 2199-12-31T23:59:59.999999Z"


@pytest.mark.parametrize(
    "value",
    [
        datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=1))),
        datetime(9999, 12, 31, 23, 59, 59, tzinfo=timezone(timedelta(hours=-1))),
        datetime(1, 1, 1, tzinfo=UTC),
        datetime(9999, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC),
        FIRST_INSTANT - timedelta(microseconds=1),
        LAST_INSTANT + timedelta(microseconds=1),
        datetime(1970, 1, 1, 0, 59, tzinfo=timezone(timedelta(hours=1))),
    ],
)
def test_instants_out_of_range_in_any_offset_are_refused_with_the_range(value: datetime) -> None:
    assert instant_problem(value) == RANGE_MESSAGE


def test_the_edges_of_the_range_are_in_it() -> None:
    assert instant_problem(FIRST_INSTANT) is None
    assert instant_problem(LAST_INSTANT) is None
    assert instant_problem(datetime(1970, 1, 1, 1, tzinfo=timezone(timedelta(hours=1)))) is None


def test_an_instant_without_an_offset_is_refused() -> None:
    assert instant_problem(datetime(2026, 3, 2)) == "must be a date-time with an offset"


@given(st.datetimes(timezones=offsets))
@example(datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=23, minutes=59))))
@example(datetime(9999, 12, 31, 23, 59, 59, 999_999, tzinfo=timezone(-timedelta(hours=23, minutes=59))))
def test_any_aware_datetime_is_in_range_or_refused_and_never_overflows(value: datetime) -> None:
    problem = instant_problem(value)
    if problem is None:
        assert FIRST_INSTANT <= value <= LAST_INSTANT
        utc = value.astimezone(UTC)
        assert utc + timedelta(days=1) > utc  # arithmetic on a checked instant never overflows
    else:
        assert problem == RANGE_MESSAGE


def _entry(world: World, **fields: object) -> CreateTimeEntry:
    return CreateTimeEntry(project_id=world.project.id, entry_date=world.clock.now().date(), **fields)  # type: ignore[arg-type]


@pytest.mark.parametrize("field", ["started_at", "stopped_at"])
def test_creating_an_entry_refuses_a_start_or_stop_out_of_range(world: World, field: str) -> None:
    values = {"started_at": datetime(1969, 12, 31, 23, tzinfo=UTC), "duration_seconds": 60}
    if field == "stopped_at":
        values = {
            "started_at": LAST_INSTANT - timedelta(hours=1),
            "stopped_at": datetime(9999, 1, 1, tzinfo=UTC),
        }
        values["duration_seconds"] = 60
    with pytest.raises(ValidationFailed) as raised:
        world.services.entries.create_time_entry(world.caller(world.owner), _entry(world, **values))
    assert raised.value.fields == {field: RANGE_MESSAGE}


def test_a_start_plus_a_duration_past_the_range_names_the_start(world: World) -> None:
    command = _entry(world, started_at=LAST_INSTANT - timedelta(minutes=30), duration="1h")
    with pytest.raises(ValidationFailed) as raised:
        world.services.entries.create_time_entry(world.caller(world.owner), command)
    assert raised.value.fields == {
        "started_at": f"the start plus the duration must end within {INSTANT_RANGE}"
    }


def test_a_new_duration_that_carries_the_end_past_the_range_names_the_duration(world: World) -> None:
    owner = world.caller(world.owner)
    entry = world.services.entries.create_time_entry(
        owner, _entry(world, started_at=LAST_INSTANT - timedelta(minutes=30), duration="10m")
    )
    with pytest.raises(ValidationFailed) as raised:
        world.services.entries.update_time_entry(
            owner, entry.id, UpdateTimeEntry(stopped_at=None, duration_seconds=3600)
        )
    assert raised.value.fields == {
        "duration_seconds": f"the start plus the duration must end within {INSTANT_RANGE}"
    }


def test_stopping_a_timer_at_an_instant_out_of_range_names_the_stop(world: World) -> None:
    owner = world.caller(world.owner)
    world.services.entries.start_timer(owner, StartTimer(project_id=world.project.id))
    for at in (datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=1))), datetime(9000, 1, 1, tzinfo=UTC)):
        with pytest.raises(ValidationFailed) as raised:
            world.services.entries.stop_timer(owner, at)
        assert raised.value.fields == {"stopped_at": RANGE_MESSAGE}
    assert world.services.entries.current_timer(owner).is_running


def test_a_list_since_an_instant_out_of_range_names_it(world: World) -> None:
    query = EntryQuery(updated_since=datetime(9999, 12, 31, 23, tzinfo=timezone(timedelta(hours=-5))))
    with pytest.raises(ValidationFailed) as raised:
        world.services.entries.list_time_entries(world.caller(world.owner), query)
    assert raised.value.fields == {"updated_since": RANGE_MESSAGE}


def test_a_running_timers_start_cannot_move_into_the_future(world: World) -> None:
    owner = world.caller(world.owner)
    timer = world.services.entries.start_timer(owner, StartTimer(project_id=world.project.id))
    future = world.clock.now() + timedelta(seconds=1)
    with pytest.raises(ValidationFailed) as raised:
        world.services.entries.update_time_entry(owner, timer.id, UpdateTimeEntry(started_at=future))
    assert raised.value.fields == {"started_at": "must not be in the future: the entry is a running timer"}
    assert world.services.entries.current_timer(owner).started_at == timer.started_at
    world.clock.advance(timedelta(minutes=5))
    earlier = world.clock.now() - timedelta(hours=1)
    moved = world.services.entries.update_time_entry(owner, timer.id, UpdateTimeEntry(started_at=earlier))
    assert moved.started_at == earlier
    assert world.services.entries.stop_timer(owner).duration_seconds == 3600


def test_a_running_timers_start_may_be_now(world: World) -> None:
    owner = world.caller(world.owner)
    timer = world.services.entries.start_timer(owner, StartTimer(project_id=world.project.id))
    world.clock.advance(timedelta(minutes=1))
    moved = world.services.entries.update_time_entry(
        owner, timer.id, UpdateTimeEntry(started_at=world.clock.now())
    )
    assert moved.started_at == world.clock.now()
    assert world.services.entries.stop_timer(owner).duration_seconds == 0


def test_a_library_caller_may_pass_instants_in_any_offset_and_they_are_stored_in_utc(world: World) -> None:
    """The HTTP API takes any offset and converts it; a library caller's ``+02:00`` start met the
    entity's "must be a UTC datetime" ``ValueError`` instead. The commands convert now: create,
    update and stop alike, and the stored instants are the same instants, in UTC."""
    owner = world.caller(world.owner)
    paris = timezone(timedelta(hours=2))
    started = datetime(2026, 11, 20, 11, 0, tzinfo=paris)
    entry = world.services.entries.create_time_entry(
        owner, _entry(world, started_at=started, stopped_at=started + timedelta(hours=1), duration="1h")
    )
    assert entry.started_at == started and entry.started_at.tzinfo is UTC
    assert entry.stopped_at is not None and entry.stopped_at.tzinfo is UTC
    moved = world.services.entries.update_time_entry(
        owner, entry.id, UpdateTimeEntry(started_at=started - timedelta(hours=1))
    )
    assert moved.started_at == datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
    world.services.entries.start_timer(owner, StartTimer(project_id=world.project.id))
    now = world.clock.now()
    stopped = world.services.entries.stop_timer(owner, now.astimezone(timezone(timedelta(hours=-5))))
    assert stopped.stopped_at == now and stopped.stopped_at.tzinfo is UTC


@pytest.mark.parametrize("limit", [0, -1, 501])
def test_a_page_size_out_of_its_range_is_refused_naming_limit(world: World, limit: int) -> None:
    """A library caller's ``limit=0`` ended in an ``IndexError``; HTTP checks 1 to 500 itself."""
    with pytest.raises(ValidationFailed) as raised:
        world.services.entries.list_time_entries(world.caller(world.owner), EntryQuery(limit=limit))
    assert raised.value.fields == {"limit": "must be an integer from 1 to 500"}
