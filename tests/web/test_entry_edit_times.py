"""The edit form's Start and Stop: a timed entry's times (``startedAt``, ``stoppedAt``) change from
the web with the rules of ``PATCH /time-entries/{id}`` (before, the form had no such fields, so a
timed entry's times, and with them how long it ran, could not be changed from the web). The times
are shown and read in the organization's time zone (here Berlin, UTC+1 in March)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from litestar.testing import TestClient

from hours_core.model import TimeEntry
from hours_core.services import ChangeOrg, CreateTimeEntry, StartTimer
from tests.world import World

from .conftest import csrf_of

MONDAY = date(2026, 3, 2)
NINE = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)  # 09:00 in Berlin


@pytest.fixture(autouse=True)
def berlin(world: World) -> None:
    world.services.team.change_org(world.caller(world.owner), ChangeOrg(timezone="Europe/Berlin"))


def timed(world: World, start: datetime = NINE, minutes: int = 90, duration: str = "1:30") -> TimeEntry:
    return world.services.entries.create_time_entry(
        world.caller(world.owner),
        CreateTimeEntry(
            project_id=world.project.id,
            entry_date=MONDAY,
            duration=duration,
            started_at=start,
            stopped_at=start + timedelta(minutes=minutes),
        ),
    )


def now_of(world: World, entry: TimeEntry) -> TimeEntry:
    return world.services.entries.get_time_entry(world.caller(world.owner), entry.id)


def edit(owner: TestClient, entry: TimeEntry, **fields: str):  # type: ignore[no-untyped-def]
    """Post the edit form as the browser would: every field as the page shows it, then ``fields``."""
    form = owner.get(f"/app/entries/{entry.id}/edit").text
    data = {
        "csrf": csrf_of(form),
        "version": str(entry.version),
        "date": entry.entry_date.isoformat(),
        "project": str(entry.project_id),
        "duration": "1:30",
        "note": entry.note or "",
        "start": _shown(form, "start"),
        "stop": _shown(form, "stop"),
        **fields,
    }
    return owner.post(f"/app/entries/{entry.id}/edit", data=data, follow_redirects=False)


def _shown(form: str, name: str) -> str:
    marker = f'name="{name}" '
    if marker not in form:
        return ""
    rest = form.split(marker, 1)[1]
    return rest.split('value="', 1)[1].split('"', 1)[0]


def test_the_form_shows_a_timed_entry_s_start_and_stop_in_the_organization_s_time_zone(
    owner: TestClient, world: World
) -> None:
    entry = timed(world)

    form = owner.get(f"/app/entries/{entry.id}/edit").text

    assert 'id="e-start" type="datetime-local" name="start" step="1" value="2026-03-02T09:00"' in form
    assert 'id="e-stop" type="datetime-local" name="stop" step="1" value="2026-03-02T10:30"' in form
    assert "Europe/Berlin" in form


def test_start_stop_and_duration_change_together(owner: TestClient, world: World) -> None:
    entry = timed(world)

    answer = edit(owner, entry, start="2026-03-02T13:00", stop="2026-03-02T15:15", duration="2h")

    assert answer.status_code == 303, answer.text
    changed = now_of(world, entry)
    assert changed.started_at == datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
    assert changed.stopped_at == datetime(2026, 3, 2, 14, 15, tzinfo=UTC)
    assert changed.duration_seconds == 7200  # shorter than the span: a break, as over the API


def test_moving_the_start_keeps_the_stop_and_the_duration_as_the_api_does(
    owner: TestClient, world: World
) -> None:
    entry = timed(world)

    assert edit(owner, entry, start="2026-03-02T08:30:15").status_code == 303

    changed = now_of(world, entry)
    assert changed.started_at == datetime(2026, 3, 2, 7, 30, 15, tzinfo=UTC)
    assert (changed.stopped_at, changed.duration_seconds) == (entry.stopped_at, 5400)


def test_a_stop_that_leaves_less_time_than_the_duration_is_refused_naming_stop(
    owner: TestClient, world: World
) -> None:
    entry = timed(world)

    page = edit(owner, entry, stop="2026-03-02T09:30")

    assert page.status_code == 422
    assert "Stop: the duration must not exceed the time between Start and Stop" in page.text
    assert 'value="2026-03-02T09:30"' in page.text  # kept as typed
    assert now_of(world, entry) == entry


def test_a_stop_before_the_start_is_refused(owner: TestClient, world: World) -> None:
    entry = timed(world)

    page = edit(owner, entry, start="2026-03-02T11:00", stop="2026-03-02T10:00")

    assert page.status_code == 422 and "Stop: must not be earlier than Start" in page.text
    assert now_of(world, entry) == entry


def test_clearing_both_times_leaves_the_duration_and_clearing_the_start_alone_is_refused(
    owner: TestClient, world: World
) -> None:
    entry = timed(world)

    alone = edit(owner, entry, start="")
    assert (
        alone.status_code == 422 and "Start: cannot be cleared while the entry keeps its Stop" in alone.text
    )

    assert edit(owner, entry, start="", stop="").status_code == 303
    changed = now_of(world, entry)
    assert (changed.started_at, changed.stopped_at, changed.duration_seconds) == (None, None, 5400)


def test_a_start_given_to_a_duration_only_entry_is_completed_by_its_duration(
    owner: TestClient, world: World
) -> None:
    entry = world.services.entries.create_time_entry(
        world.caller(world.owner),
        CreateTimeEntry(project_id=world.project.id, entry_date=MONDAY, duration="1:30"),
    )
    form = owner.get(f"/app/entries/{entry.id}/edit").text
    assert 'name="start" step="1" value=""' in form and 'name="stop" step="1" value=""' in form

    assert edit(owner, entry, start="2026-03-02T09:00").status_code == 303

    changed = now_of(world, entry)
    assert (changed.started_at, changed.stopped_at) == (NINE, NINE + timedelta(minutes=90))


def test_times_left_as_shown_are_not_written_even_with_their_fraction_of_a_second(
    owner: TestClient, world: World
) -> None:
    """The form shows whole seconds; an entry written over the API may carry microseconds, which an
    edit of its note alone must not cut."""
    entry = timed(world, start=NINE + timedelta(microseconds=250_000))

    assert edit(owner, entry, note="reviewed").status_code == 303

    changed = now_of(world, entry)
    assert (changed.started_at, changed.stopped_at, changed.note) == (
        entry.started_at,
        entry.stopped_at,
        "reviewed",
    )


@pytest.mark.parametrize(
    ("typed", "problem"),
    [
        ("someday", "Start: must be a date and time like 2026-03-02T09:00"),
        ("2026-03-02 09:00", "Start: must be a date and time like 2026-03-02T09:00"),
        ("2026-02-30T09:00", "Start: is not a real date and time: 2026-02-30T09:00"),
        ("2026-03-29T02:30", "Start: is no time in Europe/Berlin: the clocks skip it"),
        ("0001-01-01T00:00", "Start: must be an instant from 1970-01-01T00:00:00Z"),
    ],
)
def test_a_start_that_is_no_time_is_refused_naming_start(
    owner: TestClient, world: World, typed: str, problem: str
) -> None:
    entry = timed(world)

    page = edit(owner, entry, start=typed)

    assert page.status_code == 422, page.text
    assert problem in page.text
    assert now_of(world, entry) == entry


def test_a_running_timer_shows_its_start_only_which_may_move_back_but_not_ahead(
    owner: TestClient, world: World
) -> None:
    caller = world.caller(world.owner)
    timer = world.services.entries.start_timer(
        caller, StartTimer(project_id=world.project.id, entry_date=MONDAY)
    )  # at the world's now
    form = owner.get(f"/app/entries/{timer.id}/edit").text
    assert 'name="start"' in form and 'name="stop"' not in form

    shown = _shown(form, "start")
    later = (datetime.fromisoformat(shown) + timedelta(hours=1)).isoformat(timespec="minutes")
    ahead = edit(owner, timer, start=later)
    assert ahead.status_code == 422 and "Start: must not be in the future" in ahead.text

    earlier = (datetime.fromisoformat(shown) - timedelta(hours=1)).isoformat(timespec="minutes")
    assert edit(owner, timer, start=earlier).status_code == 303
    moved = now_of(world, timer)
    assert moved.is_running and moved.started_at is not None
    assert moved.started_at == timer.started_at.replace(second=0, microsecond=0) - timedelta(hours=1)  # type: ignore[union-attr]
