"""The import use case over the in-memory store: odd rows, idempotency, atomic and dry runs,
users, projects and tasks matched or created, plan gates, and undoing an import."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import uuid4

import attrs
import pytest

from hours_core.entry_locks import LockOverride
from hours_core.errors import EntryLocked, Forbidden, NotFound
from hours_core.events import EventType, SubjectType
from hours_core.exchange import FileFormats, ImportRow, ImportSource, RejectedRow
from hours_core.ids import UuidV7Ids
from hours_core.model import ImportId, OrgId, Plan, Role, TimeEntryId
from hours_core.ports import EntryQuery
from hours_core.services import (
    ChangeOrg,
    ChangeProject,
    ChangeUser,
    CreateTimeEntry,
    CreateTimesheet,
    ExportEntries,
    ImportEntries,
    ImportReport,
    StartTimer,
    build_services,
)
from hours_core.services import imports as imports_module
from hours_core.services.imports import IMPORT_BATCH_SIZE, MAX_REPORTED_ROW_ERRORS
from hours_core.timesheets import TimesheetId
from hours_exchange import FILE_FORMATS, AmbiguousDateFormat, ImportColumnsMissing, ImportFileUnreadable
from hours_memory import InMemoryStore
from hours_memory.store import InMemoryTimeEntryRepository
from tests.exchange.odd_files import TOGGL_HEADER, clockify_file, harvest_file, toggl_file
from tests.world import TEST_PASSWORD_COST, World, make_world


@pytest.fixture
def world() -> World:
    return make_world(InMemoryStore().unit_of_work)


def run(world: World, source: str, data: bytes, **options: object) -> ImportReport:
    command = ImportEntries(source=source, data=data, **options)  # type: ignore[arg-type]
    return world.services.imports.import_entries(world.caller(world.owner), command)


def toggl(world: World, **options: object) -> ImportReport:
    data = toggl_file(world.owner.email, world.member.email)
    return run(world, "toggl", data, timezone="Europe/Berlin", **options)


def entries(world: World, **filters: object) -> list:  # type: ignore[type-arg]
    query = EntryQuery(limit=500, **filters)  # type: ignore[arg-type]
    return list(world.services.entries.list_time_entries(world.caller(world.owner), query).entries)


def test_the_odd_rows_of_a_toggl_file_import_or_fail_with_their_row_and_column(world: World) -> None:
    report = toggl(world)

    assert (report.created, report.duplicates, report.failed) == (5, 0, 1)
    assert [(e.row, e.column, e.code) for e in report.errors] == [(4, "Duration", "duration_over_24_hours")]
    assert report.created_projects == ("Website", "Backend")
    assert report.created_tasks == ("Design",)
    stored = {entry.note: entry for entry in entries(world)}
    kickoff = stored["Kickoff\nwith notes"]
    assert (kickoff.duration_seconds, kickoff.billable, kickoff.user_id) == (5400, True, world.owner.id)
    assert kickoff.started_at == datetime(2025, 3, 4, 8, 0, tzinfo=UTC)  # 09:00 in Berlin
    assert stored["Empty duration"].duration_seconds == 3600
    assert stored["Zero"].duration_seconds == 0
    late = stored["Late deploy"]
    assert (late.entry_date, late.duration_seconds) == (date(2025, 3, 6), 3600)
    assert (late.started_at, late.stopped_at) == (
        datetime(2025, 3, 6, 22, 30, tzinfo=UTC),
        datetime(2025, 3, 6, 23, 30, tzinfo=UTC),
    )
    assert stored["=SUM(A1)"].user_id == world.member.id
    assert all(e.import_id == report.id and e.external_ref.startswith("toggl:") for e in stored.values())


def test_importing_the_same_file_twice_creates_nothing_the_second_time(world: World) -> None:
    first = toggl(world)
    second = toggl(world)

    assert (second.created, second.duplicates, second.failed) == (0, 5, 1)
    assert second.created_projects == second.created_tasks == ()
    assert len(entries(world)) == first.created == 5


def test_a_re_import_with_the_emails_in_another_case_is_all_duplicates(world: World) -> None:
    first = toggl(world)
    shouted = toggl_file(world.owner.email.upper(), world.member.email.title())
    again = run(world, "toggl", shouted, timezone="Europe/Berlin")

    assert (first.created, again.created, again.duplicates, again.failed) == (5, 0, 5, 1)
    assert len(entries(world)) == 5


def reader_of_before(earlier: int) -> Callable[..., Iterator[ImportRow | RejectedRow]]:
    """The reader as an earlier version of hours had it: each row's reference is the one an entry
    imported then stores, its ``earlier``-th earlier reference (0: the whole content, as before
    2026-12-07; -1: the whole content with the email as written, as before emails were folded)."""

    def read(source: str, data: object, **options: Any) -> Iterator[ImportRow | RejectedRow]:
        for row in FILE_FORMATS.read(source, data, **options):  # type: ignore[arg-type]
            if isinstance(row, ImportRow) and row.earlier_external_refs:
                yield attrs.evolve(
                    row, external_ref=row.earlier_external_refs[earlier], earlier_external_refs=()
                )
            else:
                yield row

    return read


def imported_before(store: InMemoryStore, world: World, data: bytes, *, earlier: int = -1) -> ImportReport:
    """``data`` imported by a reader of before (:func:`reader_of_before`) into ``world``'s store: a
    database from before."""
    before = build_services(
        store.unit_of_work,
        clock=world.clock,
        ids=UuidV7Ids(),
        file_formats=FileFormats(FILE_FORMATS.write, reader_of_before(earlier)),
        password_cost=TEST_PASSWORD_COST,
    )
    command = ImportEntries(source="toggl", data=data, timezone="Europe/Berlin")
    return before.imports.import_entries(world.caller(world.owner), command)


@pytest.mark.parametrize("case", [str.lower, str.upper, str.title], ids=["lower", "upper", "title"])
def test_rows_imported_before_emails_were_folded_are_duplicates_when_the_same_file_comes_again(
    case: Callable[[str], str],
) -> None:
    store = InMemoryStore()
    world = make_world(store.unit_of_work)
    data = toggl_file(case(world.owner.email), case(world.member.email))
    assert imported_before(store, world, data).created == 5

    again = run(world, "toggl", data, timezone="Europe/Berlin")

    assert (again.created, again.duplicates, again.failed) == (0, 5, 1)
    assert len(entries(world)) == 5


def test_a_row_imported_before_the_folding_with_one_case_is_imported_again_from_another_case() -> None:
    """The limit export-import.md states: a reference of before holds the email as it was written then."""
    store = InMemoryStore()
    world = make_world(store.unit_of_work)
    before = imported_before(store, world, toggl_file(world.owner.email.title(), world.member.email))

    again = toggl(world)  # the same entries, the owner's email now in lower case
    shouted = run(
        world, "toggl", toggl_file(world.owner.email.upper(), world.member.email), timezone="Europe/Berlin"
    )

    assert (before.created, again.created, again.duplicates) == (5, 1, 4)  # the owner's one row, again
    assert (shouted.created, shouted.duplicates) == (0, 5)  # stored since the folding: any case is one row
    assert len(entries(world)) == 6


def test_rows_imported_when_references_hashed_every_column_are_duplicates_when_the_same_file_comes_again() -> (
    None
):
    store = InMemoryStore()
    world = make_world(store.unit_of_work)
    data = toggl_file(world.owner.email, world.member.email)
    assert imported_before(store, world, data, earlier=0).created == 5

    again = run(world, "toggl", data, timezone="Europe/Berlin")

    assert (again.created, again.duplicates, again.failed) == (0, 5, 1)
    assert len(entries(world)) == 5


@pytest.mark.parametrize("hidden", ["Client", "Task", "Billable", "Tags"])
def test_another_layout_of_the_same_entries_is_all_duplicates(world: World, hidden: str) -> None:
    """An export may leave out the client, task, billable and tags columns (Clockify's and Toggl's
    layouts can): the entries are the same, so a file without one, before or after the file with it,
    creates nothing twice."""
    full = toggl_file(world.owner.email, world.member.email)
    narrow = without_column(full, hidden)
    first = toggl(world)
    again = run(world, "toggl", narrow, timezone="Europe/Berlin")
    assert (first.created, again.created, again.duplicates) == (5, 0, 5)

    other = make_world(InMemoryStore().unit_of_work)
    first = run(
        other,
        "toggl",
        without_column(toggl_file(other.owner.email, other.member.email), hidden),
        timezone="Europe/Berlin",
    )
    again = toggl(other)
    assert (first.created, again.created, again.duplicates) == (5, 0, 5)


def test_a_days_untimed_entries_that_differ_only_in_their_task_stay_apart_in_any_export(world: World) -> None:
    """Harvest's rows have no times: two hours of Design and two of Meetings on one project and day
    differ only in their task, which their references keep. A later export of the day, in another
    order, finds the one imported and adds the other (the review's case: with the task left out of
    the reference, Meetings was taken for the Design imported before, and Design imported again)."""
    header = "Date,Client,Project,Task,Notes,Hours,Billable?,First Name,Last Name\n"
    design, meetings = (
        "2025-02-04,Acme,Website,Design,,2,No,,\n",
        "2025-02-04,Acme,Website,Meetings,,2,No,,\n",
    )
    first = run(world, "harvest", (header + design).encode())
    again = run(world, "harvest", (header + meetings + design).encode())
    assert (first.created, again.created, again.duplicates) == (1, 1, 1)
    tasks = {
        t.id: t.name
        for t in world.services.projects.list_tasks(world.caller(world.owner), entries(world)[0].project_id)
    }
    assert sorted(tasks[e.task_id] for e in entries(world)) == ["Design", "Meetings"]  # type: ignore[index]


def without_column(data: bytes, name: str) -> bytes:
    """``data``, a CSV file, without its column ``name``."""
    rows = list(csv.reader(io.StringIO(data.decode(), newline="")))
    position = rows[0].index(name)
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows([row[:position] + row[position + 1 :] for row in rows])
    return out.getvalue().encode()


def test_an_atomic_import_with_a_failed_row_stores_nothing(world: World) -> None:
    report = toggl(world, atomic=True)

    assert report.id is None
    assert (report.created, report.failed) == (0, 1)
    assert report.created_projects == ()
    assert entries(world) == []
    names = {p.name for p in world.services.projects.list_projects(world.caller(world.owner))}
    assert "Backend" not in names


def test_an_atomic_import_without_failed_rows_stores_everything(world: World) -> None:
    report = run(world, "harvest", harvest_file(), atomic=True)
    assert report.id is not None and (report.created, report.failed) == (2, 0)


def test_a_dry_run_stores_nothing_and_reports_what_it_would_do(world: World) -> None:
    report = toggl(world, dry_run=True)

    assert report.id is None and report.dry_run
    assert (report.created, report.failed) == (5, 1)
    assert report.created_projects == ("Website", "Backend")
    assert entries(world) == []
    assert toggl(world).created == 5  # and the real run still creates them


def test_a_report_lists_the_first_row_errors_and_counts_the_rest(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """1,500 lines that each fail with several errors: the report lists the first
    MAX_REPORTED_ROW_ERRORS of them, by row, and counts the others; ``failed`` counts every row."""
    data = b"{}\n" * 1_500
    monkeypatch.setattr(imports_module, "MAX_REPORTED_ROW_ERRORS", 10**9)
    every = run(world, "hours", data, dry_run=True).errors

    report = run(world, "hours", data, dry_run=True)
    monkeypatch.undo()
    capped = run(world, "hours", data, dry_run=True)

    assert report.errors == every and report.errors_omitted == 0
    assert capped.failed == 1_500
    assert capped.errors == every[:MAX_REPORTED_ROW_ERRORS]
    assert capped.errors_omitted == len(every) - MAX_REPORTED_ROW_ERRORS > 0


def test_a_report_with_few_errors_omits_none(world: World) -> None:
    report = toggl(world)

    assert report.failed == len(report.errors) == 1 and report.errors_omitted == 0


def test_deleting_an_import_soft_deletes_its_entries_and_the_file_imports_again(world: World) -> None:
    report = toggl(world)
    assert report.id is not None
    deleted = world.services.imports.delete_import(world.caller(world.owner), report.id)

    assert deleted.deleted_at is not None
    assert entries(world) == []
    assert len(entries(world, include_deleted=True)) == 5
    with pytest.raises(NotFound):
        world.services.imports.delete_import(world.caller(world.owner), report.id)
    assert toggl(world).created == 5


NEWCOMER = "newcomer@example.test"


def newcomers_file(world: World) -> bytes:
    """A Toggl file whose rows name a new client (Globex), two new projects (Portal, of Globex, and
    Intranet), a new task (Login, of Portal) and, beside the owner, a new user (the newcomer)."""
    rows = [
        f"Ada,{world.owner.email},Globex,Portal,Login,Sign-in page,No,2025-03-04,09:00:00,2025-03-04,10:00:00,01:00:00,",
        f"Nia,{NEWCOMER},Globex,Portal,,Review,No,2025-03-04,11:00:00,2025-03-04,12:00:00,01:00:00,",
        f"Nia,{NEWCOMER},,Intranet,,Wiki,No,2025-03-05,09:00:00,2025-03-05,09:30:00,00:30:00,",
    ]
    return ("\n".join([TOGGL_HEADER, *rows]) + "\n").encode()


def import_newcomers(world: World) -> ImportReport:
    report = run(world, "toggl", newcomers_file(world), timezone="Europe/Berlin", create_users=True)
    assert (report.created, report.failed) == (3, 0), report.errors
    assert report.id is not None
    return report


def undo(world: World, report: ImportReport) -> None:
    assert report.id is not None
    world.services.imports.delete_import(world.caller(world.owner), report.id)


def state(world: World) -> dict[str, object]:
    """What the owner sees of the newcomers file's client, projects, task and user."""
    owner = world.caller(world.owner)
    projects = {p.name: p for p in world.services.projects.list_projects(owner)}
    return {
        "Globex": next(c for c in world.services.clients.list_clients(owner) if c.name == "Globex").archived,
        "Portal": projects["Portal"].archived,
        "Intranet": projects["Intranet"].archived,
        "Login": world.services.projects.list_tasks(owner, projects["Portal"].id)[0].archived,
        NEWCOMER: next(u for u in world.services.team.list_users(owner) if u.email == NEWCOMER).is_active,
    }


ALL_ACTIVE = {"Globex": False, "Portal": False, "Intranet": False, "Login": False, NEWCOMER: True}
ALL_RETIRED = {"Globex": True, "Portal": True, "Intranet": True, "Login": True, NEWCOMER: False}


def test_undoing_an_import_archives_the_client_projects_and_task_it_created_and_deactivates_its_user(
    world: World,
) -> None:
    report = import_newcomers(world)
    assert (report.created_clients, report.created_projects, report.created_tasks, report.created_users) == (
        ("Globex",), ("Portal", "Intranet"), ("Login",), (NEWCOMER,)
    )  # fmt: skip
    assert state(world) == ALL_ACTIVE
    seq = latest_seq(world)

    undo(world, report)

    assert state(world) == ALL_RETIRED
    assert world.services.projects.get_project(world.caller(world.owner), world.project.id).archived is False
    events = world.services.events.changes(world.caller(world.owner), seq, 100).events
    assert [event.type for event in events] == [
        *[EventType.TIME_ENTRY_DELETED] * 3,
        EventType.TASK_ARCHIVED,
        EventType.PROJECT_ARCHIVED,
        EventType.PROJECT_ARCHIVED,
        EventType.CLIENT_ARCHIVED,
        EventType.USER_DEACTIVATED,
    ]
    assert {event.actor.via.value for event in events} == {"import"}


def test_the_undo_leaves_what_something_outside_the_import_uses(world: World) -> None:
    report = import_newcomers(world)
    owner = world.caller(world.owner)
    portal = next(p for p in world.services.projects.list_projects(owner) if p.name == "Portal")
    newcomer = next(u for u in world.services.team.list_users(owner) if u.email == NEWCOMER)
    world.services.entries.create_time_entry(  # the newcomer's own time on Portal, logged by hand
        owner,
        CreateTimeEntry(
            project_id=portal.id, entry_date=date(2025, 3, 10), duration_seconds=600, user_id=newcomer.id
        ),
    )

    undo(world, report)

    # Portal has a live entry, so Globex has an active project; the newcomer has an entry. The task
    # Login and the project Intranet are used by nothing else.
    assert state(world) == {"Globex": False, "Portal": False, "Intranet": True, "Login": True, NEWCOMER: True}


def test_the_undo_leaves_a_user_who_is_an_admin_now_or_was_given_a_token(world: World) -> None:
    report = import_newcomers(world)
    owner = world.caller(world.owner)
    newcomer = next(u for u in world.services.team.list_users(owner) if u.email == NEWCOMER)
    world.services.team.change_user(owner, newcomer.id, ChangeUser(role=Role.ADMIN))
    undo(world, report)
    assert state(world)[NEWCOMER] is True

    again = import_newcomers(world)  # the file imports again; the newcomer exists (an admin)
    assert again.created_users == ()
    world.services.team.change_user(owner, newcomer.id, ChangeUser(role=Role.MEMBER))
    world.services.admin.mint_token(newcomer.id, env="live")
    undo(world, again)
    assert state(world)[NEWCOMER] is True


def test_an_import_of_the_file_again_after_its_undo_revives_what_the_undo_retired(world: World) -> None:
    first = import_newcomers(world)
    owner = world.caller(world.owner)
    ids = {p.name: p.id for p in world.services.projects.list_projects(owner)}
    undo(world, first)
    seq = latest_seq(world)

    second = import_newcomers(world)

    assert (second.created_clients, second.created_projects, second.created_tasks, second.created_users) == (
        first.created_clients, first.created_projects, first.created_tasks, first.created_users
    )  # fmt: skip
    assert state(world) == ALL_ACTIVE
    assert {p.name: p.id for p in world.services.projects.list_projects(owner)} == ids  # the same ones
    kinds = [event.type for event in world.services.events.changes(owner, seq, 100).events]
    for revived in (
        EventType.CLIENT_UNARCHIVED, EventType.PROJECT_UNARCHIVED, EventType.TASK_UNARCHIVED, EventType.USER_REACTIVATED
    ):  # fmt: skip
        assert revived in kinds
    undo(world, second)  # what it revived is its own: its undo retires it again
    assert state(world) == ALL_RETIRED


def test_what_was_archived_or_deactivated_by_hand_after_a_revival_is_not_revived_again(world: World) -> None:
    """Only what an undo left as it left it is revived: a user deactivated by hand (who left) or a
    project archived by hand stays so, whatever undone import created them (review of round 13)."""
    owner = world.caller(world.owner)
    undo(world, import_newcomers(world))
    world.clock.advance(timedelta(minutes=1))
    import_newcomers(world)  # revives them all
    world.clock.advance(timedelta(minutes=1))
    newcomer = next(u for u in world.services.team.list_users(owner) if u.email == NEWCOMER)
    intranet = next(p for p in world.services.projects.list_projects(owner) if p.name == "Intranet")
    world.services.team.deactivate_user(owner, newcomer.id)
    world.services.projects.change_project(owner, intranet.id, ChangeProject(archived=True))
    world.clock.advance(timedelta(minutes=1))

    again = run(world, "toggl", newcomers_file(world), timezone="Europe/Berlin", create_users=True)

    assert again.created_users == () and "Intranet" not in again.created_projects
    assert {error.code for error in again.errors} <= {"user_deactivated", "project_archived"}
    assert state(world)[NEWCOMER] is False and state(world)["Intranet"] is True


def test_a_project_unarchived_and_archived_by_hand_after_an_undo_is_not_revived(world: World) -> None:
    owner = world.caller(world.owner)
    undo(world, import_newcomers(world))
    intranet = next(p for p in world.services.projects.list_projects(owner) if p.name == "Intranet")
    world.clock.advance(timedelta(minutes=1))
    world.services.projects.change_project(owner, intranet.id, ChangeProject(archived=False))
    world.clock.advance(timedelta(minutes=1))
    world.services.projects.change_project(owner, intranet.id, ChangeProject(archived=True))

    again = run(world, "toggl", newcomers_file(world), timezone="Europe/Berlin", create_users=True)

    assert "Intranet" not in again.created_projects and "project_archived" in {e.code for e in again.errors}
    assert state(world)["Intranet"] is True


def test_without_create_users_a_user_the_undo_deactivated_stays_deactivated(world: World) -> None:
    undo(world, import_newcomers(world))

    report = run(world, "toggl", newcomers_file(world), timezone="Europe/Berlin")

    assert [(error.row, error.code) for error in report.errors] == [
        (3, "user_deactivated"),
        (4, "user_deactivated"),
    ]
    assert state(world)[NEWCOMER] is False


def test_a_project_archived_by_hand_is_not_revived_by_an_import(world: World) -> None:
    report = import_newcomers(world)
    owner = world.caller(world.owner)
    portal = next(p for p in world.services.projects.list_projects(owner) if p.name == "Portal")
    world.services.entries.create_time_entry(
        owner, CreateTimeEntry(project_id=portal.id, entry_date=date(2025, 3, 10), duration_seconds=600)
    )
    undo(world, report)  # Portal is used: it stays, and is no longer the import's
    world.services.projects.change_project(owner, portal.id, ChangeProject(archived=True))

    again = run(world, "toggl", newcomers_file(world), timezone="Europe/Berlin", create_users=True)

    assert [(error.row, error.code) for error in again.errors] == [
        (2, "project_archived"),
        (3, "project_archived"),
    ]
    assert again.created_projects == ("Intranet",)


def submit_members_week(world: World) -> TimesheetId:
    """Submit the member's timesheet of the week of 2025-03-03, which holds the Toggl file's days."""
    owner = world.caller(world.owner)
    week = world.services.timesheets.create_timesheet(
        owner, CreateTimesheet(week_start=date(2025, 3, 3), user_id=world.member.id)
    )
    world.services.timesheets.submit(owner, week.timesheet.id)
    return week.timesheet.id


def latest_seq(world: World) -> int:
    return world.services.events.changes(world.caller(world.owner), None, 1).latest_seq


def undo_refused(world: World, report: ImportReport) -> EntryLocked:
    """Undo ``report``'s import, which a lock refuses; check that nothing changed, and return the error."""
    assert report.id is not None
    live, seq = entries(world), latest_seq(world)
    with pytest.raises(EntryLocked) as refused:
        world.services.imports.delete_import(world.caller(world.owner), report.id)
    assert entries(world) == live
    assert latest_seq(world) == seq  # no event either
    return refused.value


def test_an_import_with_an_entry_on_a_closed_day_is_not_undone(world: World) -> None:
    report = toggl(world)  # entries from 2025-03-04 to 2025-03-06
    assert report.id is not None
    world.services.periods.lock(world.caller(world.owner), date(2025, 3, 4), "payroll")

    refused = undo_refused(world, report)

    assert refused.reason == "payroll" and refused.through == date(2025, 3, 4)
    assert "2025-03-04 is in a closed period" in refused.message
    world.services.periods.unlock(world.caller(world.owner), date(2025, 3, 4), "late import")
    world.services.imports.delete_import(world.caller(world.owner), report.id)
    assert entries(world) == []


def test_an_import_with_an_entry_in_a_submitted_week_is_not_undone(world: World) -> None:
    report = toggl(world)
    assert report.id is not None
    owner = world.caller(world.owner)
    sheet = submit_members_week(world)

    refused = undo_refused(world, report)

    assert refused.reason == "submitted" and refused.through == date(2025, 3, 9)
    assert "whose timesheet is submitted" in refused.message
    world.services.timesheets.reject(owner, sheet, "undo the import first")
    world.services.imports.delete_import(owner, report.id)
    assert entries(world) == []


def test_an_owner_undoes_an_import_through_closed_days_with_a_reason_and_nobody_else_may(
    world: World,
) -> None:
    report = toggl(world)
    assert report.id is not None
    owner = world.caller(world.owner)
    world.services.team.change_org(owner, ChangeOrg(lock_after_days=30))  # the rolling rule closes 2025
    refused = undo_refused(world, report)
    assert refused.more == {"kind": "period"}  # the rolling rule, which no unlock reopens
    with pytest.raises(Forbidden):
        world.services.imports.delete_import(
            world.caller(world.admin), report.id, override=LockOverride("late fix")
        )
    seq = latest_seq(world)

    owner = world.caller(world.owner)  # as a request after the change sees the organization
    world.services.imports.delete_import(owner, report.id, override=LockOverride("wrong time zone"))

    assert entries(world) == []
    changed = world.services.events.changes(owner, seq, 100).events
    deleted, retired = changed[:5], changed[5:]
    assert [event.type for event in deleted] == [EventType.TIME_ENTRY_DELETED] * 5
    assert all(event.changes["lock_override"].new == "wrong time zone" for event in deleted)
    assert [event.type for event in retired] == [  # what it created: archiving needs no lock override
        EventType.TASK_ARCHIVED, EventType.PROJECT_ARCHIVED, EventType.PROJECT_ARCHIVED, EventType.CLIENT_ARCHIVED
    ]  # fmt: skip


def test_an_override_does_not_lift_a_submitted_week(world: World) -> None:
    report = toggl(world)
    assert report.id is not None
    owner = world.caller(world.owner)
    submit_members_week(world)

    with pytest.raises(EntryLocked) as refused:
        world.services.imports.delete_import(owner, report.id, override=LockOverride("please"))
    assert refused.value.reason == "submitted"
    assert len(entries(world)) == 5


def test_a_lock_met_on_a_later_page_of_the_undo_leaves_every_entry(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("hours_core.services.imports._UNDO_PAGE", 1)  # one entry per page
    report = toggl(world)
    first, *rest = sorted(entries(world), key=lambda entry: entry.id)  # the order the undo deletes in
    assert first.user_id == world.owner.id and {entry.user_id for entry in rest} == {world.member.id}
    owner = world.caller(world.owner)
    week = world.services.timesheets.create_timesheet(
        owner, CreateTimesheet(week_start=date(2025, 3, 3), user_id=world.member.id)
    )
    world.services.timesheets.submit(owner, week.timesheet.id)  # locks every entry but the first

    undo_refused(world, report)  # the first page was deleted, then the second refused: all undone


def test_an_import_of_another_organization_is_not_found(world: World) -> None:
    report = toggl(world)
    assert report.id is not None
    other = make_world(InMemoryStore().unit_of_work, name="Globex")
    with pytest.raises(NotFound):
        other.services.imports.delete_import(other.caller(other.owner), report.id)
    with pytest.raises(NotFound):
        world.services.imports.delete_import(world.caller(world.owner), ImportId(other.org.id))


def test_members_may_not_import_or_undo_imports(world: World) -> None:
    with pytest.raises(Forbidden):
        world.services.imports.import_entries(
            world.caller(world.member), ImportEntries(source="harvest", data=harvest_file())
        )
    report = run(world, "harvest", harvest_file())
    assert report.id is not None
    with pytest.raises(Forbidden):
        world.services.imports.delete_import(world.caller(world.member), report.id)


def test_an_unknown_email_fails_its_row_unless_the_import_creates_users(world: World) -> None:
    data = clockify_file("newcomer@acme.test")
    refused = run(world, "clockify", data, timezone="America/New_York")
    assert (refused.created, refused.failed) == (0, 2)
    assert {(e.column, e.code) for e in refused.errors} == {("Email", "unknown_user")}
    assert refused.errors[0].message == (  # names the switch, on either side, as the date format's does
        "no user of this organization has the email newcomer@acme.test; add them first, or let the "
        "import create users (createUsers over the API, --create-users on the CLI)"
    )

    created = run(world, "clockify", data, timezone="America/New_York", create_users=True)
    assert (created.created, created.failed, created.created_users) == (2, 0, ("newcomer@acme.test",))
    users = world.services.admin.list_users(world.org.id)
    newcomer = next(user for user in users if user.email == "newcomer@acme.test")
    assert (newcomer.role.value, newcomer.name) == ("member", "Ada")


def test_clockify_month_first_dates_and_12_hour_times_are_read_in_the_time_zone(world: World) -> None:
    report = run(world, "clockify", clockify_file(world.owner.email), timezone="America/New_York")

    assert (report.created, report.failed) == (2, 0)
    stored = {entry.note: entry for entry in entries(world)}
    review = stored["Review"]
    assert review.entry_date == date(2025, 3, 14)
    assert review.started_at == datetime(2025, 3, 14, 13, 15, tzinfo=UTC)  # 09:15 AM EDT
    assert stored["Late"].started_at == datetime(2025, 3, 5, 4, 30, tzinfo=UTC)  # 11:30 PM EST


def test_an_ambiguous_date_order_is_refused_unless_the_option_settles_it(world: World) -> None:
    data = clockify_file(world.owner.email, dates=("09/04/2025", "10/04/2025"))
    with pytest.raises(AmbiguousDateFormat) as refused:
        run(world, "clockify", data, timezone="UTC")
    assert refused.value.option == "date_format"
    assert entries(world) == []

    report = run(world, "clockify", data, timezone="UTC", date_format="DMY")
    assert report.created == 2
    assert {e.entry_date for e in entries(world)} == {date(2025, 4, 9), date(2025, 4, 10)}


def test_harvest_decimal_commas_become_durations_of_the_importing_owner(world: World) -> None:
    report = run(world, "harvest", harvest_file())

    assert (report.created, report.failed) == (2, 0)
    assert sorted(e.duration_seconds for e in entries(world)) == [900, 5400]
    assert {e.user_id for e in entries(world)} == {world.owner.id}
    assert {(e.started_at, e.stopped_at) for e in entries(world)} == {(None, None)}


def test_a_file_without_a_required_column_stores_nothing(world: World) -> None:
    with pytest.raises(ImportColumnsMissing):
        run(world, "harvest", b"Date,Project\n2025-02-03,Website\n")
    assert entries(world) == []


@pytest.mark.parametrize("data", [b"", b"\n \n"], ids=["empty", "blank-lines"])
@pytest.mark.parametrize(
    "options", [{}, {"dry_run": True}, {"atomic": True}], ids=["plain", "dry-run", "atomic"]
)
def test_an_empty_json_lines_file_is_unreadable_and_stores_no_import(
    data: bytes, options: dict[str, object]
) -> None:
    store = InMemoryStore()
    world = make_world(store.unit_of_work)
    with pytest.raises(ImportFileUnreadable, match="The file is empty"):
        run(world, "hours", data, **options)
    assert store.tables["imports"] == {}
    assert entries(world, include_deleted=True) == []


def test_the_plan_gates_fail_the_rows_that_need_a_higher_plan(world: World) -> None:
    world.set_plan(Plan.FREE)
    report = toggl(world)

    codes = {(e.row, e.column, e.code) for e in report.errors}
    assert (2, "Task", "plan_required") in codes  # a task needs studio
    assert (3, "Email", "plan_required") in codes  # another user's entry needs studio
    assert report.created == 0


def test_an_archived_project_fails_its_rows(world: World) -> None:
    caller = world.caller(world.owner)
    project = world.services.projects.create_project(caller, "Website")
    from hours_core.services import ChangeProject

    world.services.projects.change_project(caller, project.id, ChangeProject(archived=True))
    report = run(world, "harvest", harvest_file())
    assert {(e.column, e.code) for e in report.errors} == {("Project", "project_archived")}


def test_an_hours_export_re_imports_into_another_organization_without_loss(world: World) -> None:
    toggl(world)
    export = world.services.exports.export_time_entries(world.caller(world.owner), ExportEntries("jsonl"))
    data = b"".join(export.chunks)
    other = make_world(InMemoryStore().unit_of_work, name="Globex")
    for email in (world.owner.email, world.member.email):
        if email != other.owner.email:
            other.services.admin.create_user(other.org.id, email, other.member.role)

    report = other.services.imports.import_entries(
        other.caller(other.owner), ImportEntries(source=ImportSource.HOURS, data=data)
    )
    again = other.services.imports.import_entries(
        other.caller(other.owner), ImportEntries(source=ImportSource.HOURS, data=data)
    )

    assert (report.created, report.failed, again.duplicates) == (5, 0, 5)
    theirs = other.services.entries.list_time_entries(
        other.caller(other.owner), EntryQuery(limit=500)
    ).entries
    mine = entries(world)
    key = lambda e: (e.entry_date, e.started_at, e.stopped_at, e.duration_seconds, e.billable, e.note)  # noqa: E731
    assert sorted(map(key, theirs), key=str) == sorted(map(key, mine), key=str)


def test_a_new_project_gets_the_row_s_client_matched_by_name_or_created_and_entries_store_their_rate(
    world: World,
) -> None:
    from hours_core.model import RateScope
    from hours_core.services import CreateRate

    owner = world.caller(world.owner)
    world.services.rates.create_rate(
        owner,
        CreateRate(
            scope=RateScope.ORG, effective_from=date(2025, 1, 1), billable_rate_minor=8000, currency="EUR"
        ),
    )
    first = run(world, "harvest", harvest_file())
    assert (first.created, first.created_clients, first.created_projects) == (2, ("Acme",), ("Website",))
    clients = world.services.clients.list_clients(owner)
    assert [(c.name, c.currency) for c in clients] == [("Acme", "EUR")]
    website = next(p for p in world.services.projects.list_projects(owner) if p.name == "Website")
    assert website.client_id == clients[0].id
    stored = entries(world, project_id=website.id)
    assert {(e.rate.scope, e.rate.billable_rate_minor) for e in stored} == {(RateScope.ORG, 8000)}

    again = "Date,Client,Project,Task,Notes,Hours,Billable?,First Name,Last Name\n2025-02-05,ACME,Portal,,Call,1,No,,\n"
    second = run(world, "harvest", again.encode())
    assert (second.created, second.created_clients, second.created_projects) == (1, (), ("Portal",))
    portal = next(p for p in world.services.projects.list_projects(owner) if p.name == "Portal")
    assert portal.client_id == clients[0].id


def test_a_new_project_takes_its_clients_billable_default_as_post_projects_gives_it(world: World) -> None:
    """docs/api.md, POST /projects: a new project is billable by default when its client is; a
    project an import creates is no different, unless the plan has no billable time (after a
    downgrade: the rows that do not say are then stored not billable rather than failed)."""
    owner = world.caller(world.owner)
    world.services.clients.create_client(owner, "BillCo", "EUR", billable_by_default=True)
    header = "Date,Client,Project,Task,Notes,Hours,First Name,Last Name\n"  # no Billable? column
    first = run(
        world, "harvest", f"{header}2025-02-04,BillCo,Billed,,a,1,,\n2025-02-04,Other,Plain,,b,1,,\n".encode()
    )
    assert (first.created, first.created_projects, first.failed) == (2, ("Billed", "Plain"), 0)
    projects = {p.name: p for p in world.services.projects.list_projects(owner)}
    assert (projects["Billed"].billable_by_default, projects["Plain"].billable_by_default) == (True, False)
    assert {e.note: e.billable for e in entries(world)} == {"a": True, "b": False}

    downgraded = make_world(InMemoryStore().unit_of_work)
    caller = downgraded.caller(downgraded.owner)
    downgraded.services.clients.create_client(caller, "BillCo", "EUR", billable_by_default=True)
    downgraded.set_plan(Plan.FREE)  # the client keeps its default; the plan has no billable time
    later = run(downgraded, "harvest", f"{header}2025-02-05,BillCo,Free,,c,1,,\n".encode())
    assert (later.created, later.failed) == (1, 0)
    free = next(p for p in downgraded.services.projects.list_projects(caller) if p.name == "Free")
    assert free.billable_by_default is False
    assert [e.billable for e in entries(downgraded)] == [False]


def test_names_match_ignoring_case_and_unicode_form(world: World) -> None:
    """\"Öl\" typed precomposed (NFC) and as O + a combining diaeresis (NFD) is one name: the row finds
    the client, project and task an earlier row created, whatever case and form each was sent in."""
    owner = world.caller(world.owner)
    header = "Date,Client,Project,Task,Notes,Hours,Billable?,First Name,Last Name\n"
    nfc, nfd = "\u00d6l", "O\u0308l"
    first = run(
        world, "harvest", f"{header}2025-02-04,{nfc} GmbH,{nfc}-Projekt,{nfc}-Task,a,1,No,,\n".encode()
    )
    assert (first.created, first.created_clients, first.created_projects) == (
        1,
        (f"{nfc} GmbH",),
        (f"{nfc}-Projekt",),
    )

    upper_nfd = nfd.upper()
    second = run(
        world,
        "harvest",
        f"{header}2025-02-05,{upper_nfd} GMBH,{nfd}-projekt,{upper_nfd}-TASK,b,1,No,,\n".encode(),
    )
    assert (second.created, second.created_clients, second.created_projects) == (1, (), ())
    assert [p.name for p in world.services.projects.list_projects(owner) if "Projekt" in p.name] == [
        f"{nfc}-Projekt"
    ]
    task_ids = {e.task_id for e in entries(world)}
    assert len(task_ids) == 1 and None not in task_ids


def test_rows_of_a_week_whose_timesheet_is_submitted_fail_with_entry_locked(world: World) -> None:
    submit_members_week(world)

    report = toggl(world)

    locked = [error for error in report.errors if error.code == "entry_locked"]
    assert locked and all(error.column == "Start date" for error in locked)
    assert "whose timesheet is submitted" in locked[0].message
    assert entries(world, user_id=world.member.id) == []
    assert report.created + report.failed == 6 and report.created > 0


def own_export(world: World, *, include_deleted: bool = False) -> bytes:
    """The organization's JSON lines export, as an owner downloads it."""
    query = EntryQuery(include_deleted=include_deleted)
    export = world.services.exports.export_time_entries(
        world.caller(world.owner), ExportEntries("jsonl", query=query)
    )
    return b"".join(export.chunks)


def test_an_organization_s_own_export_imported_back_is_all_duplicates_live_or_deleted(world: World) -> None:
    toggl(world)  # five entries of a tracker's file, and one the API creates
    owner = world.caller(world.owner)
    made = world.services.entries.create_time_entry(
        owner,
        CreateTimeEntry(project_id=world.project.id, entry_date=date(2025, 3, 7), duration="45m"),
    )
    gone = entries(world)[0]
    world.services.entries.delete_time_entry(owner, gone.id)
    before = entries(world, include_deleted=True)
    backup = own_export(world, include_deleted=True)

    report = run(world, "hours", backup)
    dry = run(world, "hours", backup, dry_run=True)

    assert (report.created, report.duplicates, report.failed) == (0, 6, 0)
    assert report.created_projects == report.created_clients == report.created_tasks == ()
    assert (dry.created, dry.duplicates) == (0, 6)
    assert entries(world, include_deleted=True) == before
    assert made.id in {entry.id for entry in before}


def test_an_organization_s_own_export_with_a_running_timer_imported_back_is_all_duplicates(
    world: World,
) -> None:
    """A backup taken while a timer runs holds the timer's line (no `stoppedAt`): the entry is the
    organization's own, so the line is a duplicate like the others, not a failed row. Into another
    organization it is no entry, and fails as `running_timer` (a running timer is not imported)."""
    owner = world.caller(world.owner)
    world.services.entries.create_time_entry(
        owner, CreateTimeEntry(project_id=world.project.id, entry_date=date(2025, 3, 7), duration="45m")
    )
    world.services.entries.start_timer(owner, StartTimer(project_id=world.project.id))
    backup = own_export(world)

    report = run(world, "hours", backup)
    elsewhere = globex_with_acme_s_users(world)
    into_other = elsewhere.services.imports.import_entries(
        elsewhere.caller(elsewhere.owner), ImportEntries(source=ImportSource.HOURS, data=backup)
    )

    assert (report.created, report.duplicates, report.failed, report.errors) == (0, 2, 0, ())
    assert (into_other.created, into_other.failed) == (1, 1)
    assert [e.code for e in into_other.errors] == ["running_timer"]


def test_an_organization_filled_by_an_hours_import_finds_its_own_export_all_duplicates(world: World) -> None:
    toggl(world)
    other = globex_with_acme_s_users(world)
    filled = other.services.imports.import_entries(
        other.caller(other.owner), ImportEntries(source=ImportSource.HOURS, data=own_export(world))
    )
    theirs = own_export(other)  # the same entries under Globex's ids, which hold Acme's references

    again = other.services.imports.import_entries(
        other.caller(other.owner), ImportEntries(source=ImportSource.HOURS, data=theirs)
    )

    assert (filled.created, again.created, again.duplicates) == (5, 0, 5)


def hours_line(entry_id: str, seconds: int, **members: object) -> dict[str, object]:
    """One line of an hours JSON lines file: the members the reader needs, and ``members``."""
    return {
        "id": entry_id,
        "entryDate": "2025-03-04",
        "projectName": "Website",
        "durationSeconds": seconds,
        **members,
    }


def test_a_row_whose_id_is_no_entry_of_the_organization_imports(world: World) -> None:
    ids = [str(world.project.id), "not-a-uuid"]  # a project's id: no entry has it
    lines = [json.dumps(hours_line(entry_id, 60)) for entry_id in ids]
    report = run(world, "hours", "\n".join(lines).encode())
    assert (report.created, report.duplicates, report.failed) == (2, 0, 0)


def test_the_entries_of_the_organization_are_looked_up_once_per_batch(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    lines = [json.dumps(hours_line(str(uuid4()), n)) for n in range(IMPORT_BATCH_SIZE * 2 + 10)]
    asked: list[int] = []
    looked_up = InMemoryTimeEntryRepository.existing_ids

    def counting(
        self: InMemoryTimeEntryRepository, org_id: OrgId, ids: Sequence[TimeEntryId]
    ) -> set[TimeEntryId]:
        asked.append(len(ids))
        return looked_up(self, org_id, ids)

    monkeypatch.setattr(InMemoryTimeEntryRepository, "existing_ids", counting)
    report = run(world, "hours", "\n".join(lines).encode(), dry_run=True)

    assert report.created == len(lines)
    assert asked == [IMPORT_BATCH_SIZE, IMPORT_BATCH_SIZE, 10]


def globex_with_acme_s_users(world: World) -> World:
    """A second organization, in a store of its own, with the users of ``world``'s export."""
    other = make_world(InMemoryStore().unit_of_work, name="Globex")
    for email in (world.owner.email, world.member.email):
        other.services.admin.create_user(other.org.id, email, other.member.role)
    return other


def test_a_deleted_entry_of_a_backup_is_imported_deleted_never_as_live_time(world: World) -> None:
    toggl(world)
    owner = world.caller(world.owner)
    gone = entries(world)[0]
    world.services.entries.delete_time_entry(owner, gone.id)
    backup = own_export(world, include_deleted=True)
    other = globex_with_acme_s_users(world)
    start = other.services.events.changes(other.caller(other.owner), None, 1).latest_seq

    report = run(other, "hours", backup)
    again = run(other, "hours", backup)

    assert (report.created, report.duplicates, report.failed) == (5, 0, 0)
    assert (again.created, again.duplicates) == (0, 5)
    live = entries(other)
    everything = entries(other, include_deleted=True)
    assert len(live) == 4 and gone.note not in {entry.note for entry in live}
    (deleted,) = [entry for entry in everything if entry.deleted_at is not None]
    assert (deleted.note, deleted.duration_seconds) == (gone.note, gone.duration_seconds)
    assert deleted.deleted_at == deleted.created_at == deleted.updated_at == other.clock.now()
    events = other.services.events.changes(other.caller(other.owner), start, 100).events
    entry_events = [(e.type, e.subject.id) for e in events if e.subject.type is SubjectType.TIME_ENTRY]
    assert sorted(entry_events[:5]) == sorted((EventType.TIME_ENTRY_CREATED, str(e.id)) for e in everything)
    assert entry_events[5:] == [(EventType.TIME_ENTRY_DELETED, str(deleted.id))]
    (created,) = [
        e for e in events if e.type is EventType.TIME_ENTRY_CREATED and e.subject.id == str(deleted.id)
    ]
    assert created.changes["deleted_at"].new is None  # created as time, then deleted, as any deleted entry


def test_a_dry_run_counts_a_deleted_row_as_created_and_stores_nothing(world: World) -> None:
    line = hours_line(str(uuid4()), 60, deletedAt="2025-03-05T10:00:00Z")
    report = run(world, "hours", json.dumps(line).encode(), dry_run=True)
    assert (report.created, report.failed) == (1, 0)
    assert entries(world, include_deleted=True) == []


def test_after_an_undo_the_deleted_rows_of_a_backup_stay_deleted_and_the_live_ones_import_again(
    world: World,
) -> None:
    lines = [
        hours_line(str(uuid4()), 60, note="live"),
        hours_line(str(uuid4()), 60, note="gone", deletedAt="2025-03-05T10:00:00Z"),
    ]
    data = "\n".join(map(json.dumps, lines)).encode()
    first = run(world, "hours", data)
    assert first.id is not None
    world.services.imports.delete_import(world.caller(world.owner), first.id)

    again = run(world, "hours", data)

    assert (first.created, again.created, again.duplicates) == (2, 1, 1)
    assert [entry.note for entry in entries(world)] == ["live"]
    assert sorted(entry.note for entry in entries(world, include_deleted=True)) == ["gone", "live", "live"]


def test_an_atomic_dry_run_with_a_failed_row_reports_what_the_atomic_import_does_nothing_created(
    world: World,
) -> None:
    dry = toggl(world, atomic=True, dry_run=True)
    real = toggl(world, atomic=True)

    assert (dry.id, dry.dry_run, dry.created, dry.duplicates, dry.failed) == (None, True, 0, 0, 1)
    assert dry.created_projects == dry.created_tasks == dry.created_clients == dry.created_users == ()
    assert [(e.row, e.code) for e in dry.errors] == [(4, "duration_over_24_hours")]
    assert (real.created, real.failed) == (dry.created, dry.failed)
    clean = run(world, "harvest", harvest_file(), atomic=True, dry_run=True)  # no failed row: counted
    assert (clean.created, clean.created_projects) == (2, ("Website",))
    assert entries(world) == []


def test_a_failed_row_creates_no_user(world: World) -> None:
    """A row either imports or is reported: one that fails creates nothing it would have needed (no
    member taking a seat of the plan, no ``user.created`` event); a later good row of the same new
    email creates the user, once."""
    from tests.exchange.odd_files import TOGGL_HEADER

    rows = [  # a new user, then no project: missing_value; then the same user on a good row
        "Newbie,newbie@acme.test,,,,No project,No,2025-03-04,09:00:00,2025-03-04,10:00:00,01:00:00,",
        "Newbie,newbie@acme.test,,Website,,Good,No,2025-03-05,09:00:00,2025-03-05,10:00:00,01:00:00,",
        "Newbie,newbie@acme.test,,,,No project,No,2025-03-06,09:00:00,2025-03-06,10:00:00,01:00:00,",
    ]
    data = (TOGGL_HEADER + "\r\n" + "\r\n".join(rows)).encode()
    first = rows[0]
    users_before = {user.email for user in world.services.admin.list_users(world.org.id)}

    refused = run(world, "toggl", (TOGGL_HEADER + "\r\n" + first).encode(), timezone="UTC", create_users=True)

    assert (refused.created, refused.failed, refused.created_users) == (0, 1, ())
    assert [(e.row, e.column, e.code) for e in refused.errors] == [(2, "Project", "missing_value")]
    assert {user.email for user in world.services.admin.list_users(world.org.id)} == users_before

    report = run(world, "toggl", data, timezone="UTC", create_users=True)

    assert (report.created, report.failed, report.created_users) == (1, 2, ("newbie@acme.test",))
    users = [user.email for user in world.services.admin.list_users(world.org.id)]
    assert users.count("newbie@acme.test") == 1


def test_on_the_free_plan_a_failed_row_takes_no_project_slot(world: World) -> None:
    """The free plan holds 3 active projects: a row refused for billable time creates neither its
    client nor its project, so the next rows' projects still fit."""
    from tests.exchange.odd_files import TOGGL_HEADER

    world.set_plan(Plan.FREE)
    caller = world.caller(world.owner)
    before = len([p for p in world.services.projects.list_projects(caller) if not p.archived])
    owner = world.owner.email
    free_slots = 3 - before
    assert free_slots >= 1
    rows = [f"Ada,{owner},Initech,Billed,,Billable,Yes,2025-03-04,09:00:00,2025-03-04,10:00:00,01:00:00,"]
    rows += [
        f"Ada,{owner},,Fits {n},,Not billable,No,2025-03-04,10:00:00,2025-03-04,11:00:00,01:00:00,"
        for n in range(free_slots)
    ]
    data = (TOGGL_HEADER + "\r\n" + "\r\n".join(rows)).encode()

    report = run(world, "toggl", data, timezone="UTC")

    assert [(e.row, e.column, e.code) for e in report.errors] == [(2, "Billable", "plan_required")]
    assert (report.created, report.failed) == (free_slots, 1)
    assert (report.created_clients, "Billed" in report.created_projects) == ((), False)
    assert "Billed" not in [p.name for p in world.services.projects.list_projects(caller)]
    assert [c.name for c in world.services.clients.list_clients(caller)] == []


def test_a_row_error_names_a_column_of_the_file_or_none_never_a_field_of_hours(world: World) -> None:
    """Harvest has no email: the user of a row comes from its name columns, so a gate on another
    user's entry names `First Name`; a file without a Project column fails its rows on no column
    (`null`: there is no cell), not on hours' field names `user_email` or `project`."""
    world.set_plan(Plan.FREE)
    harvest = b"Date,Project,Notes,Hours,First Name,Last Name\n2025-02-03,Website,Standup,1,member,\n"
    toggl_without_project = (
        "User,Email,Description,Start date,Start time,Duration\r\n"
        f"owner,{world.owner.email},Standup,2025-02-03,09:00:00,01:00:00\r\n"
    ).encode()

    by_name = run(world, "harvest", harvest)
    no_project = run(world, "toggl", toggl_without_project, timezone="UTC")

    assert [(e.row, e.column, e.code) for e in by_name.errors] == [(2, "First Name", "plan_required")]
    assert [(e.row, e.column, e.code) for e in no_project.errors] == [(2, None, "missing_value")]
