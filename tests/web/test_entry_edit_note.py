"""The edit form keeps an entry's note as it is stored unless the person changed it: a browser
sends a text area's line breaks as CRLF, and the note is not trimmed."""

from __future__ import annotations

from datetime import date

import pytest
from litestar.testing import TestClient

from hours_core.services import CreateTimeEntry
from tests.world import World

from .test_entry_edit_fields import post_edit


def edited(owner: TestClient, world: World, stored: str, sent: str) -> str | None:
    """The entry's note after the edit form posted ``sent`` as its note and a new duration."""
    caller = world.caller(world.owner)
    entry = world.services.entries.create_time_entry(
        caller,
        CreateTimeEntry(project_id=world.project.id, entry_date=date(2026, 3, 2), duration="1h", note=stored),
    )
    response = post_edit(owner, entry, duration="2:00", note=sent)
    assert response.status_code == 303, response.text
    return world.services.entries.get_time_entry(caller, entry.id).note


@pytest.mark.parametrize(
    "stored",
    ["line one\nline two", "\n  indented first line\nsecond  ", "  padded  ", "a\r\nb"],
)
def test_a_note_left_as_it_was_is_not_rewritten_by_an_edit_of_the_duration(
    owner: TestClient, world: World, stored: str
) -> None:
    """The audit of issue 18: the form read the note trimmed and with the browser's CRLF line
    breaks, so changing only the duration rewrote a multi-line note with CRLF and cut the
    indentation and spaces around it."""
    as_the_browser_sends = stored.replace("\r\n", "\n").replace("\n", "\r\n")

    assert edited(owner, world, stored, as_the_browser_sends) == stored


def test_a_changed_note_is_saved_with_the_line_breaks_of_the_api(owner: TestClient, world: World) -> None:
    assert edited(owner, world, "old", "new one\r\n  second line ") == "new one\n  second line "
    assert edited(owner, world, "old", "  \r\n ") is None  # left blank: no note, as before
