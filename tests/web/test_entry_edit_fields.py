"""The edit form's duration and date are refused like its other fields, in the words the other
pages use (round 7: an empty duration was "no change"; 2026-02-30 was "must be a date like")."""

from __future__ import annotations

from datetime import date

import pytest
from litestar.testing import TestClient

from hours_core.model import TimeEntry, TimeEntryId
from hours_core.services import CreateTimeEntry
from tests.world import World

from .conftest import csrf_of


def logged(world: World) -> TimeEntry:
    return world.services.entries.create_time_entry(
        world.caller(world.owner),
        CreateTimeEntry(project_id=world.project.id, entry_date=date(2026, 3, 2), duration="1h", note="n"),
    )


def post_edit(owner: TestClient, entry: TimeEntry, **fields: str):  # type: ignore[no-untyped-def]
    form = owner.get(f"/app/entries/{entry.id}/edit").text
    data = {
        "csrf": csrf_of(form),
        "version": str(entry.version),
        "date": "2026-03-02",
        "project": str(entry.project_id),
        "duration": "1:00",
        "note": "n",
        **fields,
    }
    return owner.post(f"/app/entries/{entry.id}/edit", data=data, follow_redirects=False)


@pytest.mark.parametrize("duration", ["", "   "])
def test_an_empty_duration_is_refused_naming_duration(owner: TestClient, world: World, duration: str) -> None:
    entry = logged(world)

    page = post_edit(owner, entry, duration=duration)

    assert page.status_code == 422 and "Duration: a duration is required" in page.text
    assert world.services.entries.get_time_entry(world.caller(world.owner), TimeEntryId(entry.id)) == entry


@pytest.mark.parametrize("day", ["2026-02-30", "2026-13-01", "2026-00-10"])
def test_a_day_the_calendar_lacks_is_not_a_real_calendar_date(
    owner: TestClient, world: World, day: str
) -> None:
    entry = logged(world)

    page = post_edit(owner, entry, date=day)

    assert page.status_code == 422
    assert f"Date: is not a real calendar date: {day}" in page.text
    assert f'value="{day}"' in page.text  # kept as typed


@pytest.mark.parametrize("day", ["20260302", "2026-W10-1", "someday", ""])
def test_a_date_of_another_shape_is_still_asked_for_in_the_form_s_shape(
    owner: TestClient, world: World, day: str
) -> None:
    page = post_edit(owner, logged(world), date=day)

    assert page.status_code == 422 and "Date: must be a date like 2026-03-02" in page.text


def test_a_refused_note_comes_back_whole_even_with_a_leading_newline(owner: TestClient, world: World) -> None:
    """Round 7: a 5001-character note was reported lost; an HTML parser drops a textarea's first
    newline, so the template starts its content on a line of its own."""
    entry = logged(world)
    note = "\nfirst line kept <b>&</b> " + "x" * 5000

    page = post_edit(owner, entry, note=note)

    assert page.status_code == 422 and "Note: must be at most 5000 characters" in page.text
    escaped = note.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    assert (
        f'maxlength="5000" aria-invalid="true" aria-describedby="notice">\n{escaped}</textarea>' in page.text
    )
