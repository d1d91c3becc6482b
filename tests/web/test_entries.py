"""The entries page: filters, edit, delete and undo, all through the API's use cases."""

from __future__ import annotations

import uuid
from datetime import date

from litestar.testing import TestClient

from hours_core.services import CreateTimeEntry, CreateTimesheet
from tests.world import World

from .conftest import csrf_of, sign_in


def log(
    world: World, day: str, duration: str, *, billable: bool = False, note: str | None = None
) -> uuid.UUID:
    entry = world.services.entries.create_time_entry(
        world.caller(world.owner),
        CreateTimeEntry(
            project_id=world.project.id,
            entry_date=date.fromisoformat(day),
            duration=duration,
            billable=billable,
            note=note,
        ),
    )
    return entry.id


def test_the_list_filters_by_dates_and_billable(owner: TestClient, world: World) -> None:
    log(world, "2026-03-01", "1h", note="early")
    log(world, "2026-03-02", "2h", billable=True, note="billed")
    log(world, "2026-03-03", "3h", note="late")

    everything = owner.get("/app/entries").text
    ranged = owner.get("/app/entries?from=2026-03-02&to=2026-03-02").text
    billable = owner.get("/app/entries?billable=yes").text
    by_project = owner.get(f"/app/entries?project={world.project.id}").text

    assert everything.index("late") < everything.index("billed") < everything.index("early")
    assert "billed" in ranged and "early" not in ranged and "late" not in ranged
    assert "billed" in billable and "late" not in billable
    assert all(note in by_project for note in ("early", "billed", "late"))


def test_reversed_dates_are_refused_as_the_reports_page_refuses_them(owner: TestClient, world: World) -> None:
    """Round 7: the list said "Date: the first date is after the last" (200), the reports page
    "To: must not be before from (...)" (422); both now say the latter."""
    log(world, "2026-03-02", "1h", note="in between")
    page = owner.get("/app/entries?from=2026-03-05&to=2026-03-01")
    report = owner.get("/app/reports?from=2026-03-05&to=2026-03-01")

    assert page.status_code == report.status_code == 422
    assert "To: must not be before from (2026-03-05)" in page.text
    assert "To: must not be before from (2026-03-05)" in report.text
    assert "in between" not in page.text


def test_an_entry_is_edited_through_the_form(owner: TestClient, world: World) -> None:
    entry_id = log(world, "2026-03-02", "1h", note="draft")
    form = owner.get(f"/app/entries/{entry_id}/edit").text
    assert 'value="1:00"' in form and "draft</textarea>" in form

    saved = owner.post(
        f"/app/entries/{entry_id}/edit",
        data={
            "csrf": csrf_of(form),
            "version": "1",
            "date": "2026-03-03",
            "project": str(world.project.id),
            "task": str(world.task.id),
            "duration": "1:30",
            "billable": "on",
            "note": "final",
        },
        follow_redirects=False,
    )

    assert saved.status_code == 303
    entry = world.services.entries.get_time_entry(world.caller(world.owner), entry_id)  # type: ignore[arg-type]
    assert (entry.entry_date, entry.duration_seconds, entry.task_id, entry.billable, entry.note) == (
        date(2026, 3, 3),
        5400,
        world.task.id,
        True,
        "final",
    )


def test_a_wrong_edit_keeps_what_was_typed_and_names_the_field(owner: TestClient, world: World) -> None:
    entry_id = log(world, "2026-03-02", "1h")
    form = owner.get(f"/app/entries/{entry_id}/edit").text

    page = owner.post(
        f"/app/entries/{entry_id}/edit",
        data={
            "csrf": csrf_of(form),
            "version": "1",
            "date": "2026-03-02",
            "project": str(world.project.id),
            "duration": "25h",
        },
    )

    assert page.status_code == 422
    assert "Duration: must be at most 24h" in page.text and 'value="25h"' in page.text


def test_delete_then_undo(owner: TestClient, world: World) -> None:
    entry_id = log(world, "2026-03-02", "1h", note="oops")
    token = csrf_of(owner.get("/app/entries").text)

    after_delete = owner.post(f"/app/entries/{entry_id}/delete", data={"csrf": token, "version": "1"})
    assert "The entry was deleted." in after_delete.text and "oops" not in after_delete.text

    after_undo = owner.post(f"/app/entries/{entry_id}/restore", data={"csrf": token, "version": "2"})
    assert "oops" in after_undo.text


def test_undo_is_offered_only_for_an_entry_this_session_deleted(owner: TestClient, world: World) -> None:
    """The report: ``?deleted=<any id>`` said "The entry was deleted. Undo" for an entry that was not."""
    kept = log(world, "2026-03-02", "1h", note="kept")
    gone = log(world, "2026-03-03", "1h", note="gone")
    token = csrf_of(owner.get("/app/entries").text)
    deleted = owner.post(
        f"/app/entries/{gone}/delete", data={"csrf": token, "version": "1"}, follow_redirects=False
    )
    location = deleted.headers["location"]
    signed = location.split("deleted=", 1)[1]
    assert signed.startswith(f"{gone}:2.")

    for query in (
        f"deleted={kept}",  # an entry that was not deleted
        f"deleted={gone}",  # unsigned
        f"deleted={kept}:2.{signed.split('.', 1)[1]}",  # another id under this one's MAC
        f"deleted={signed}0",
        "deleted=nonsense",
    ):
        page = owner.get(f"/app/entries?{query}")
        assert page.status_code == 200 and "The entry was deleted." not in page.text, query
    assert "The entry was deleted." in owner.get(location).text

    other = TestClient(owner.app, base_url=str(owner.base_url))
    with other:
        assert sign_in(other, world.owner.email, world.owner_password).status_code == 303  # type: ignore[attr-defined]
        assert "The entry was deleted." not in other.get(location).text  # another session


def test_an_invoiced_entry_has_no_edit_or_delete(owner: TestClient, world: World) -> None:
    entry_id = log(world, "2026-03-02", "1h")
    world.services.admin.mark_invoiced(world.org.id, entry_id, uuid.uuid4())  # type: ignore[arg-type]

    page = owner.get("/app/entries").text
    edit = owner.get(f"/app/entries/{entry_id}/edit").text
    refused = owner.post(f"/app/entries/{entry_id}/delete", data={"csrf": csrf_of(page), "version": "2"})

    assert "Invoiced: an invoiced entry cannot change" in page and f"/app/entries/{entry_id}/edit" not in page
    assert (
        "Invoiced: an invoiced entry cannot change." in edit
        and '<form method="post" action="/app/entries' not in edit
    )
    assert refused.status_code == 409


def test_an_entry_in_a_submitted_week_is_read_only_to_its_user_and_to_managers(
    owner: TestClient, world: World
) -> None:
    caller = world.caller(world.owner)
    members = world.services.entries.create_time_entry(
        world.caller(world.member),
        CreateTimeEntry(project_id=world.project.id, entry_date=date(2026, 3, 3), duration="1h", note="m"),
    ).id
    owners = log(world, "2026-03-03", "2h", note="o")
    sheet = world.services.timesheets.create_timesheet(
        caller, CreateTimesheet(week_start=date(2026, 3, 2), user_id=world.member.id)
    ).timesheet
    world.services.timesheets.submit(caller, sheet.id)

    page = owner.get("/app/entries").text  # an owner sees every user's entries
    edit = owner.get(f"/app/entries/{members}/edit").text

    submitted = "Submitted: the week&#39;s timesheet awaits approval"
    assert page.count(submitted) == 1 and f"/app/entries/{members}/edit" not in page
    assert f"/app/entries/{owners}/edit" in page  # the owner's own week is not submitted
    assert submitted + "." in edit and '<form method="post" action="/app/entries' not in edit


def test_a_member_sees_only_their_own_entries_and_not_others(browser: TestClient, world: World) -> None:
    owners = log(world, "2026-03-02", "1h", note="the owner's")
    world.services.sign_in.set_password(world.member.id, "member password")
    sign_in(browser, world.member.email, "member password")

    assert "the owner's" not in browser.get("/app/entries").text
    assert browser.get(f"/app/entries/{owners}/edit").status_code == 404


def test_undo_is_no_longer_offered_once_the_entry_is_back(owner: TestClient, world: World) -> None:
    """The audit of issue 18: the delete's link (the back button or a reload after Undo) offered
    "The entry was deleted. Undo" for an entry already restored, and Undo then answered 409 "This
    entry changed since you opened it (someone saved it meanwhile)"."""
    entry_id = log(world, "2026-03-02", "1h", note="back")
    token = csrf_of(owner.get("/app/entries").text)
    deleted = owner.post(
        f"/app/entries/{entry_id}/delete", data={"csrf": token, "version": "1"}, follow_redirects=False
    )
    location = deleted.headers["location"]
    owner.post(f"/app/entries/{entry_id}/restore", data={"csrf": token, "version": "2"})

    page = owner.get(location)

    assert page.status_code == 200 and "back" in page.text
    assert "The entry was deleted." not in page.text and "/restore" not in page.text
