"""A week grid loaded before someone else wrote a cell never overwrites or deletes what they wrote:
a save carries what the page showed of the cell and writes only if the cell still holds it."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from litestar.testing import TestClient

from hours_core.model import TimeEntry
from hours_core.services import CreateTimeEntry, UpdateTimeEntry
from hours_web.week import CellChanged, CellKey, save_cell
from tests.world import World

from .conftest import csrf_of
from .test_week import MONDAY, entries_of, ref, seen_of

HTMX = {"HX-Request": "true"}


def log(world: World, duration: str, day: date = MONDAY) -> TimeEntry:
    """An entry written beside the page (over the API, in another tab)."""
    command = CreateTimeEntry(project_id=world.project.id, entry_date=day, duration=duration, note="keep")
    return world.services.entries.create_time_entry(world.caller(world.owner), command)


def change(world: World, entry: TimeEntry, duration: str) -> TimeEntry:
    caller = world.caller(world.owner)
    return world.services.entries.update_time_entry(caller, entry.id, UpdateTimeEntry(duration=duration))


def week_form(page: str, cell: str, typed: str, was: str, seen: str | None = None) -> dict[str, str]:
    """The plain week form of ``page`` saving ``typed`` into ``cell`` (which showed ``was``), with
    what the page showed of the cell (``seen``: the page's own by default)."""
    shown = seen_of(page, cell) if seen is None else seen
    return {"csrf": csrf_of(page), f"d.{cell}": typed, f"was.{cell}": was, f"seen.{cell}": shown}


def test_a_cell_the_page_showed_empty_does_not_change_an_entry_logged_since(
    owner: TestClient, world: World
) -> None:
    cell = ref(world, MONDAY)
    page = owner.get("/app/week").text
    assert seen_of(page, cell) == ""
    entry = log(world, "3h")

    answer = owner.post(
        "/app/week/cell",
        data={"cell": cell, f"d.{cell}": "15m", f"seen.{cell}": ""},
        headers={**HTMX, "X-CSRF-Token": csrf_of(page)},
    )

    assert answer.status_code == 200
    assert [(e.id, e.duration_seconds) for e in entries_of(world)] == [(entry.id, 10800)]
    assert "Not saved: changed since you loaded the page, now 3:00." in answer.text
    assert 'value="3:00"' in answer.text  # the cell shows what it holds now, not what was typed
    assert f'name="seen.{cell}" value="{entry.id}:{entry.version}"' in answer.text


def test_a_save_that_names_nothing_the_page_showed_is_read_as_an_empty_cell(
    owner: TestClient, world: World
) -> None:
    """The tester's request: no ``seen`` field at all. It cannot update or delete an entry."""
    cell = ref(world, MONDAY)
    token = csrf_of(owner.get("/app/week").text)
    entry = log(world, "3h")

    answer = owner.post(
        "/app/week/cell", data={"cell": cell, f"d.{cell}": "15m"}, headers={**HTMX, "X-CSRF-Token": token}
    )

    assert "now 3:00" in answer.text
    assert [(e.id, e.duration_seconds) for e in entries_of(world)] == [(entry.id, 10800)]


def test_clearing_a_cell_in_a_stale_plain_form_does_not_delete_an_entry_changed_since(
    owner: TestClient, world: World
) -> None:
    cell = ref(world, MONDAY)
    entry = log(world, "15m")
    page = owner.get("/app/week").text
    shown = seen_of(page, cell)
    assert shown == f"{entry.id}:{entry.version}"
    change(world, entry, "5h")

    answer = owner.post(
        "/app/week",
        data={
            "csrf": csrf_of(page),
            "week": MONDAY.isoformat(),
            f"d.{cell}": "",
            f"was.{cell}": "0:15",
            f"seen.{cell}": shown,
        },
        follow_redirects=False,
    )

    assert answer.status_code == 409
    assert "1 cell could not be saved." in answer.text
    assert "Not saved: changed since you loaded the page, now 5:00." in answer.text
    assert (
        f'name="d.{cell}" value="5:00"' in answer.text
    )  # not the stale clearing, which a resubmit would repeat
    assert [(e.id, e.duration_seconds) for e in entries_of(world)] == [(entry.id, 18000)]


def test_a_cell_that_shows_its_entry_and_version_still_changes_and_clears(
    owner: TestClient, world: World
) -> None:
    cell = ref(world, MONDAY)
    entry = log(world, "15m")
    page = owner.get("/app/week").text

    saved = owner.post(
        "/app/week",
        data=week_form(page, cell, "1h", "0:15"),
        follow_redirects=False,
    )
    assert saved.status_code == 303
    (changed,) = entries_of(world)
    assert (changed.id, changed.duration_seconds, changed.version) == (entry.id, 3600, entry.version + 1)

    stale = owner.post(  # the same form again: it names the version before that save
        "/app/week",
        data=week_form(page, cell, "", "0:15"),
    )
    assert stale.status_code == 409 and len(entries_of(world)) == 1

    page = owner.get("/app/week").text
    cleared = owner.post(
        "/app/week",
        data=week_form(page, cell, "", "1:00"),
        follow_redirects=False,
    )
    assert cleared.status_code == 303 and entries_of(world) == []


def test_a_cell_that_now_holds_two_entries_is_read_only_and_says_what_changed(
    owner: TestClient, world: World
) -> None:
    cell = ref(world, MONDAY)
    entry = log(world, "1h")
    page = owner.get("/app/week").text
    log(world, "2h")

    answer = owner.post(
        "/app/week/cell",
        data={"cell": cell, f"d.{cell}": "", f"seen.{cell}": seen_of(page, cell)},
        headers={**HTMX, "X-CSRF-Token": csrf_of(page)},
    )

    assert "Not saved: changed since you loaded the page, now 2 entries, 3:00." in answer.text
    assert "2 entries: change them under Entries" in answer.text and f'name="d.{cell}"' not in answer.text
    assert entry.id in {e.id for e in entries_of(world)} and len(entries_of(world)) == 2


@pytest.mark.parametrize("typed", ["45m", ""])
def test_a_write_between_the_cells_read_and_its_save_wins_over_the_save(
    world: World, monkeypatch: pytest.MonkeyPatch, typed: str
) -> None:
    """The core checks the version the page showed in its write transaction (``if_match``): a
    writer that gets in after the cell was read still wins."""
    caller = world.caller(world.owner)
    entry = log(world, "15m")
    entries = world.services.entries
    update, delete = entries.update_time_entry, entries.delete_time_entry

    def meanwhile(write: Any) -> Any:
        def racing(*args: Any, **kwargs: Any) -> Any:
            update(caller, entry.id, UpdateTimeEntry(duration="5h"))  # another writer, first
            return write(*args, **kwargs)

        return racing

    monkeypatch.setattr(entries, "update_time_entry", meanwhile(update))
    monkeypatch.setattr(entries, "delete_time_entry", meanwhile(delete))

    with pytest.raises(CellChanged, match="now 5:00"):
        save_cell(world.services, caller, CellKey(world.project.id, None, MONDAY), typed, f"{entry.id}:1")

    monkeypatch.undo()
    (kept,) = entries_of(world)
    assert (kept.id, kept.duration_seconds) == (entry.id, 18000)


@pytest.mark.parametrize(
    ("before", "typed", "after"),
    [(None, "2h", 7200), ("15m", "3h", 10800), ("15m", "", None)],
    ids=["filled", "changed", "cleared"],
)
def test_the_week_form_after_the_cell_s_own_save_is_no_conflict(
    owner: TestClient, world: World, before: str | None, typed: str, after: int | None
) -> None:
    """Round 7 re-check: with JavaScript on, leaving the cell saves it, then "Save the week" sends the
    same cell with what the page showed before; that was a 409 naming the user's own change."""
    cell = ref(world, MONDAY)
    if before is not None:
        log(world, before)
    page = owner.get("/app/week").text
    shown, was = seen_of(page, cell), "0:15" if before else ""
    token = csrf_of(page)
    own = owner.post(
        "/app/week/cell",
        data={"cell": cell, f"d.{cell}": typed, f"seen.{cell}": shown},
        headers={**HTMX, "X-CSRF-Token": token},
    )
    assert own.status_code == 200 and "Not saved" not in own.text

    week = {
        "csrf": token,
        "week": MONDAY.isoformat(),
        f"d.{cell}": typed,
        f"was.{cell}": was,
        f"seen.{cell}": shown,
    }
    answer = owner.post("/app/week", data=week, follow_redirects=False)

    assert answer.status_code == 303, answer.text
    assert [e.duration_seconds for e in entries_of(world)] == ([] if after is None else [after])


def test_the_same_duration_in_another_spelling_is_the_same_save(owner: TestClient, world: World) -> None:
    cell = ref(world, MONDAY)
    page = owner.get("/app/week").text
    log(world, "1h30m")  # the cell's own save, or another tab, wrote what this page now sends
    week = {
        "csrf": csrf_of(page),
        "week": MONDAY.isoformat(),
        f"d.{cell}": "1:30",
        f"was.{cell}": "",
        f"seen.{cell}": "",
    }
    assert owner.post("/app/week", data=week, follow_redirects=False).status_code == 303
    week[f"d.{cell}"] = "1:45"
    assert owner.post("/app/week", data=week, follow_redirects=False).status_code == 409
    assert [e.duration_seconds for e in entries_of(world)] == [5400]
