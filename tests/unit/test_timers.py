"""Starting, reading and stopping timers, through the use cases over the in-memory store."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from hours_core.errors import NotFound, PlanRequired, TimerAlreadyRunning, ValidationFailed
from hours_core.model import Plan
from hours_core.services import StartTimer
from tests.world import START, World


def start(world: World, **changes: object) -> object:
    return world.services.entries.start_timer(
        world.caller(world.member),
        StartTimer(project_id=world.project.id, **changes),  # type: ignore[arg-type]
    )


def test_a_timer_starts_now_on_todays_utc_date_and_counts_up(world: World) -> None:
    caller = world.caller(world.member)
    timer = world.services.entries.start_timer(caller, StartTimer(project_id=world.project.id))
    assert (timer.started_at, timer.stopped_at, timer.duration_seconds) == (START, None, 0)
    assert timer.entry_date == START.date() and timer.is_running
    world.clock.advance(timedelta(minutes=3))
    assert world.services.entries.current_timer(caller).elapsed_seconds(world.clock.now()) == 180


def test_a_second_timer_is_refused_naming_the_running_one_unless_it_stops_it(world: World) -> None:
    caller = world.caller(world.member)
    first = world.services.entries.start_timer(caller, StartTimer(project_id=world.project.id))
    with pytest.raises(TimerAlreadyRunning) as raised:
        world.services.entries.start_timer(caller, StartTimer(project_id=world.project.id))
    assert str(first.id) in raised.value.message and "stop_running" in raised.value.message
    world.clock.advance(timedelta(minutes=10))
    second = world.services.entries.start_timer(
        caller, StartTimer(project_id=world.project.id, stop_running=True)
    )
    stopped = world.services.entries.get_time_entry(caller, first.id)
    assert stopped.stopped_at == second.started_at and stopped.duration_seconds == 600
    assert world.services.entries.current_timer(caller) == second


def test_stopping_fixes_the_duration_and_a_second_stop_finds_no_timer(world: World) -> None:
    caller = world.caller(world.member)
    world.services.entries.start_timer(caller, StartTimer(project_id=world.project.id))
    world.clock.advance(timedelta(minutes=90))
    stopped = world.services.entries.stop_timer(caller)
    assert stopped.duration_seconds == 5400 and stopped.stopped_at == world.clock.now()
    with pytest.raises(NotFound):
        world.services.entries.stop_timer(caller)
    with pytest.raises(NotFound):
        world.services.entries.current_timer(caller)


@pytest.mark.parametrize("stop_running", [False, True], ids=["stop", "start with stopRunning"])
def test_a_timer_started_after_the_request_read_its_clock_is_stopped_not_refused(
    world: World, stop_running: bool
) -> None:
    """A request reads the clock, then waits for the store; meanwhile another request starts a timer.
    Before, stopping that timer (no ``stoppedAt`` sent) was 422 ``stopped_at: must not be earlier
    than the timer's start`` (seen on PostgreSQL under concurrent starts and stops). The clock set
    back after the start is that request's view."""
    caller = world.caller(world.member)
    world.clock.advance(timedelta(seconds=5))
    running = world.services.entries.start_timer(caller, StartTimer(project_id=world.project.id))
    world.clock.advance(timedelta(seconds=-5))

    if stop_running:
        second = world.services.entries.start_timer(
            caller, StartTimer(project_id=world.project.id, stop_running=True)
        )
        assert second.started_at == running.started_at
    else:
        world.services.entries.stop_timer(caller)
    stopped = world.services.entries.get_time_entry(caller, running.id)

    assert (stopped.stopped_at, stopped.duration_seconds) == (running.started_at, 0)


@pytest.mark.parametrize(
    ("offset", "message"),
    [
        (timedelta(minutes=1), "must not be in the future"),
        (timedelta(minutes=-1), "must not be earlier than the timer's start"),
    ],
)
def test_a_stop_time_outside_the_timer_is_a_field_error(
    world: World, offset: timedelta, message: str
) -> None:
    caller = world.caller(world.member)
    world.services.entries.start_timer(caller, StartTimer(project_id=world.project.id))
    at = world.clock.now() + offset
    with pytest.raises(ValidationFailed) as raised:
        world.services.entries.stop_timer(caller, at)
    assert dict(raised.value.fields) == {"stopped_at": message}


def test_a_timer_that_ran_over_a_day_stops_only_within_a_day_of_its_start(world: World) -> None:
    caller = world.caller(world.member)
    world.services.entries.start_timer(caller, StartTimer(project_id=world.project.id))
    world.clock.advance(timedelta(hours=25))
    with pytest.raises(ValidationFailed) as raised:
        world.services.entries.stop_timer(caller)
    assert raised.value.fields["stopped_at"] == (
        "the timer would exceed 24 hours; send a stopped_at within 24 hours of its start"
    )
    assert world.services.entries.stop_timer(caller, START + timedelta(hours=8)).duration_seconds == 8 * 3600


def test_a_billable_or_tasked_timer_needs_its_plan(world: World) -> None:
    world.set_plan(Plan.FREE)
    with pytest.raises(PlanRequired) as raised:
        start(world, billable=True)
    assert raised.value.feature == "billable_time"
    with pytest.raises(PlanRequired) as raised:
        start(world, task_id=world.task.id)
    assert raised.value.feature == "tasks"


def test_a_timer_checks_its_date_and_note(world: World) -> None:
    with pytest.raises(ValidationFailed) as raised:
        start(world, entry_date=date(1999, 1, 1), note="bell\x07")
    assert set(raised.value.fields) == {"entry_date", "note"}
