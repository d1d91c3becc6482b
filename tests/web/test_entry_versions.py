"""The entry forms act on the version the page showed: a change made meanwhile (over the API, in
another tab) is never overwritten unseen (round 7: the edit form reverted it silently)."""

from __future__ import annotations

import uuid
from datetime import date

from litestar.testing import TestClient

from hours_core.model import TimeEntry, TimeEntryId
from hours_core.ports import EntryQuery
from hours_core.services import CreateTimeEntry, UpdateTimeEntry
from tests.world import World

from .conftest import csrf_of

STALE = "This entry changed since you opened it"


def logged(world: World, note: str = "original") -> TimeEntry:
    return world.services.entries.create_time_entry(
        world.caller(world.owner),
        CreateTimeEntry(project_id=world.project.id, entry_date=date(2026, 11, 10), duration="1h", note=note),
    )


def changed_meanwhile(world: World, entry_id: uuid.UUID) -> TimeEntry:
    """What a colleague (or the API) does while the page is open."""
    return world.services.entries.update_time_entry(
        world.caller(world.admin),
        TimeEntryId(entry_id),
        UpdateTimeEntry(note="changed by colleague/API", billable=True),
    )


def stored(world: World, entry_id: uuid.UUID) -> TimeEntry:
    return world.services.entries.get_time_entry(world.caller(world.owner), TimeEntryId(entry_id))


def test_the_edit_form_carries_the_version_it_was_built_from(owner: TestClient, world: World) -> None:
    entry = logged(world)
    changed_meanwhile(world, entry.id)

    form = owner.get(f"/app/entries/{entry.id}/edit").text

    assert '<input type="hidden" name="version" value="2">' in form


def test_a_stale_edit_writes_nothing_and_keeps_what_was_typed(owner: TestClient, world: World) -> None:
    entry = logged(world)
    form = owner.get(f"/app/entries/{entry.id}/edit").text  # the user opens the form: version 1
    after = changed_meanwhile(world, entry.id)
    typed = {
        "csrf": csrf_of(form),
        "version": "1",
        "date": "2026-11-10",
        "project": str(world.project.id),
        "task": "",
        "duration": "2:00",
        "note": "typed by the user",
    }

    page = owner.post(f"/app/entries/{entry.id}/edit", data=typed, follow_redirects=False)

    assert page.status_code == 409
    assert STALE in page.text and "reload to see the new values" in page.text
    assert 'value="2:00"' in page.text and "typed by the user</textarea>" in page.text
    assert '<input type="hidden" name="version" value="1">' in page.text  # Save again: refused again
    assert stored(world, entry.id) == after
    again = owner.post(f"/app/entries/{entry.id}/edit", data=typed, follow_redirects=False)
    assert again.status_code == 409 and stored(world, entry.id) == after


def test_an_edit_at_the_current_version_saves(owner: TestClient, world: World) -> None:
    entry = logged(world)
    changed_meanwhile(world, entry.id)
    form = owner.get(f"/app/entries/{entry.id}/edit").text
    typed = {
        "csrf": csrf_of(form),
        "version": "2",
        "date": "2026-11-10",
        "project": str(world.project.id),
        "duration": "2:00",
        "billable": "on",
        "note": "changed by colleague/API",
    }

    saved = owner.post(f"/app/entries/{entry.id}/edit", data=typed, follow_redirects=False)

    assert saved.status_code == 303
    now = stored(world, entry.id)
    assert (now.duration_seconds, now.billable, now.note, now.version) == (
        7200,
        True,
        "changed by colleague/API",
        3,
    )


def test_an_edit_without_a_version_or_with_a_malformed_one_is_refused(
    owner: TestClient, world: World
) -> None:
    entry = logged(world)
    form = owner.get(f"/app/entries/{entry.id}/edit").text
    typed = {
        "csrf": csrf_of(form),
        "date": "2026-11-10",
        "project": str(world.project.id),
        "duration": "3:00",
    }

    for version, problem in (
        (None, "Version: is missing: reload the page"),
        ("", "Version: is missing: reload the page"),
        ("one", "Version: must be the entry&#39;s version: reload the page"),
        ("+1", "Version: must be the entry&#39;s version: reload the page"),
    ):
        data = typed if version is None else {**typed, "version": version}
        page = owner.post(f"/app/entries/{entry.id}/edit", data=data, follow_redirects=False)
        assert page.status_code == 422 and problem in page.text, version
    assert stored(world, entry.id) == entry


def test_a_stale_delete_deletes_nothing_and_says_why(owner: TestClient, world: World) -> None:
    entry = logged(world)
    listing = owner.get("/app/entries").text
    assert f'name="version" value="{entry.version}"' in listing
    after = changed_meanwhile(world, entry.id)

    page = owner.post(
        f"/app/entries/{entry.id}/delete",
        data={"csrf": csrf_of(listing), "version": str(entry.version)},
        follow_redirects=False,
    )

    assert page.status_code == 409 and STALE in page.text
    assert "changed by colleague/API" in page.text  # the list, with the new values
    assert stored(world, entry.id) == after


def test_a_delete_without_a_version_deletes_nothing(owner: TestClient, world: World) -> None:
    entry = logged(world)
    token = csrf_of(owner.get("/app/entries").text)

    page = owner.post(f"/app/entries/{entry.id}/delete", data={"csrf": token}, follow_redirects=False)

    assert page.status_code == 422 and "Version: is missing" in page.text
    assert stored(world, entry.id) == entry


def test_undo_restores_the_version_deleted_and_nothing_changed_since(owner: TestClient, world: World) -> None:
    entry = logged(world)
    token = csrf_of(owner.get("/app/entries").text)
    deleted = owner.post(
        f"/app/entries/{entry.id}/delete", data={"csrf": token, "version": "1"}, follow_redirects=True
    ).text
    assert f'action="/app/entries/{entry.id}/restore"' in deleted
    assert '<input type="hidden" name="version" value="2">' in deleted
    caller = world.caller(world.owner)
    world.services.entries.restore_time_entry(caller, TimeEntryId(entry.id))  # elsewhere: restored,
    world.services.entries.delete_time_entry(caller, TimeEntryId(entry.id))  # then deleted again

    stale = owner.post(f"/app/entries/{entry.id}/restore", data={"csrf": token, "version": "2"})

    assert stale.status_code == 409 and STALE in stale.text
    current = world.services.entries.list_time_entries(caller, EntryQuery(limit=500)).entries
    assert entry.id not in [row.id for row in current]
