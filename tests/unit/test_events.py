"""Events below HTTP, over the in-memory store: what each use case records, and how the feed,
an entry's history and the audit trail read them."""

from __future__ import annotations

import io
from datetime import date, timedelta
from uuid import UUID

import attrs
import pytest

from hours_core.errors import CursorExpired, NotFound, PlanRequired
from hours_core.events import EVENT_RETENTION, Change, Event, EventType, SubjectType, Via
from hours_core.model import Plan, RateScope, TimeEntryId
from hours_core.services import (
    AuditFilter,
    Caller,
    ChangeClient,
    ChangeProject,
    CreateRate,
    CreateTimeEntry,
    ImportEntries,
    KeyedRequest,
    StartTimer,
    UpdateTimeEntry,
)
from hours_core.services.audit import PURGE_INTERVAL
from tests.exchange.odd_files import toggl_file
from tests.world import World

KEYED = KeyedRequest(key="0190a8b4-6c9e-7bb6-8a55-2f3c9d1e4a70", fingerprint="f" * 64)


def new_events(world: World, since: int) -> list[Event]:
    page = world.services.events.changes(world.caller(world.owner), since, 1000)
    return list(page.events)


def latest(world: World) -> int:
    return world.services.events.changes(world.caller(world.owner), None, 1).latest_seq


def _id(text: str) -> TimeEntryId:
    return TimeEntryId(UUID(text))


def log(world: World, caller: Caller) -> None:
    command = CreateTimeEntry(project_id=world.project.id, entry_date=date(2026, 3, 2), duration_seconds=600)
    world.services.entries.create_time_entry(caller, command)


def test_a_keyed_write_records_its_key_and_request_and_its_replay_records_nothing(world: World) -> None:
    start = latest(world)
    caller = attrs.evolve(world.caller(world.member), request_id="req-7")

    def work() -> bytes:
        log(world, caller)
        return b"done"

    first = world.services.idempotent.run(caller, KEYED, work)
    again = world.services.idempotent.run(caller, KEYED, work)

    assert (first.replayed, again.replayed) == (False, True)
    [event] = new_events(world, start)
    assert event.type is EventType.TIME_ENTRY_CREATED
    assert (event.idempotency_key, event.request_id) == (KEYED.key, "req-7")
    assert event.actor.user_id == world.member.id and event.actor.via is Via.API
    assert event.owner_id == world.member.id


def test_an_update_that_changes_nothing_records_nothing(world: World) -> None:
    caller = world.caller(world.member)
    log(world, caller)
    start = latest(world)
    entry = new_events(world, start - 1)[0]
    entry_id = entry.subject.id

    world.services.entries.update_time_entry(caller, _id(entry_id), UpdateTimeEntry(duration_seconds=600))
    world.services.entries.update_time_entry(caller, _id(entry_id), UpdateTimeEntry(note="x"))

    [event] = new_events(world, start)
    assert event.changes == {"note": Change(None, "x")}


def test_a_client_s_archive_events_say_archived_as_a_project_s_do(world: World) -> None:
    caller = world.caller(world.owner)
    start = latest(world)
    client = world.services.clients.create_client(caller, "Globex", "EUR")
    archived = world.services.clients.change_client(caller, client.id, ChangeClient(archived=True))
    world.services.clients.change_client(caller, client.id, ChangeClient(name="Globex Corp"))
    world.services.clients.change_client(caller, client.id, ChangeClient(archived=False))
    project = world.services.projects.change_project(caller, world.project.id, ChangeProject(archived=True))

    created, archive, renamed, unarchive, project_archive = new_events(world, start)
    assert created.changes["archived"] == Change(None, False)
    assert list(created.changes)[-2:] == ["archived", "archived_at"]
    when = archived.archived_at.isoformat().replace("+00:00", "Z") if archived.archived_at else None
    assert (archive.type, archive.changes) == (
        EventType.CLIENT_ARCHIVED,
        {"archived": Change(False, True), "archived_at": Change(None, when)},
    )
    assert renamed.changes == {"name": Change("Globex", "Globex Corp")}  # archived did not change
    assert (unarchive.type, unarchive.changes["archived"]) == (
        EventType.CLIENT_UNARCHIVED,
        Change(True, False),
    )
    assert (project.archived, project_archive.changes) == (True, {"archived": Change(False, True)})


def test_the_operators_changes_are_via_the_cli_without_a_user(world: World) -> None:
    start = latest(world)
    world.services.admin.set_plan(world.org.id, Plan.STUDIO)
    [event] = new_events(world, start)
    assert event.type is EventType.ORG_UPDATED
    assert event.actor.via is Via.CLI and event.actor.user_id is None and event.request_id is None
    assert event.changes == {"plan": Change("agency", "studio")}


def test_deactivating_a_user_stops_their_timer_and_records_both(world: World) -> None:
    world.services.entries.start_timer(world.caller(world.member), StartTimer(project_id=world.project.id))
    start = latest(world)
    world.clock.advance(timedelta(minutes=5))
    world.services.team.deactivate_user(world.caller(world.admin), world.member.id)
    events = new_events(world, start)
    assert [event.type for event in events] == [EventType.TIMER_STOPPED, EventType.USER_DEACTIVATED]
    assert {event.actor.user_id for event in events} == {world.admin.id}
    assert events[0].changes["duration_seconds"] == Change(0, 300)


def test_members_follow_their_own_data_and_the_shared_subjects_only(world: World) -> None:
    start = latest(world)
    log(world, world.caller(world.admin))
    log(world, world.caller(world.member))
    world.services.projects.create_project(world.caller(world.owner), "Shared")

    page = world.services.events.changes(world.caller(world.member), start, 10)

    assert [event.subject.type for event in page.events] == [SubjectType.TIME_ENTRY, SubjectType.PROJECT]
    assert page.next_after == page.latest_seq == start + 3
    full = world.services.events.changes(world.caller(world.member), start, 1)
    assert full.next_after == full.events[0].seq  # a full page goes on from its last event


def test_an_expired_after_raises_and_the_purge_runs_at_most_hourly(world: World) -> None:
    events = world.services.events
    assert events.purge_if_due() == 0  # nothing old yet; the next turn is an hour away
    world.clock.advance(EVENT_RETENTION + timedelta(days=1))
    owner = world.caller(world.owner)
    world.services.idempotent.run(owner, None, lambda: log(world, owner) or b"")  # runs the due purge first
    with pytest.raises(CursorExpired):
        events.changes(world.caller(world.owner), 0, 10)
    assert events.purge_if_due() == 0
    world.clock.advance(PURGE_INTERVAL)
    assert events.purge_expired() == 0
    assert len(events.changes(world.caller(world.owner), None, 10).events) == 1


def test_history_is_an_entrys_events_for_its_owner_and_managers_only(world: World) -> None:
    log(world, world.caller(world.admin))
    entry_id = _id(new_events(world, latest(world) - 1)[0].subject.id)
    with pytest.raises(NotFound):
        world.services.events.history(world.caller(world.member), entry_id, 0, 10)
    page = world.services.events.history(world.caller(world.owner), entry_id, 0, 10)
    assert [event.type for event in page.events] == [EventType.TIME_ENTRY_CREATED]
    assert page.next_seq is None


def test_the_audit_trail_needs_the_audit_log_feature_and_shows_members_their_entries_only(
    world: World,
) -> None:
    world.set_plan(Plan.SOLO)
    with pytest.raises(PlanRequired) as refused:
        world.services.events.audit(world.caller(world.owner), AuditFilter(), None, 10)
    assert (refused.value.required_plan, refused.value.feature) == ("studio", "audit_log")
    world.set_plan(Plan.STUDIO)
    log(world, world.caller(world.member))
    member = world.caller(world.member)
    mine = world.services.events.audit(member, AuditFilter(), None, 10)
    assert {event.subject.type for event in mine.events} == {SubjectType.TIME_ENTRY}
    projects = world.services.events.audit(member, AuditFilter(subject_type=SubjectType.PROJECT), None, 10)
    assert projects.events == []
    everything = world.services.events.audit(world.caller(world.owner), AuditFilter(), None, 2)
    assert [event.seq for event in everything.events] == [latest(world), latest(world) - 1]
    assert everything.next_seq == latest(world) - 1


def test_moving_an_entry_to_a_date_with_another_rate_reports_the_stored_rate_as_an_object(
    world: World,
) -> None:
    owner = world.caller(world.owner)
    rate = world.services.rates.create_rate(
        owner,
        CreateRate(
            scope=RateScope.ORG, effective_from=date(2026, 1, 1), billable_rate_minor=500, currency="EUR"
        ),
    )
    entry = world.services.entries.create_time_entry(
        owner,
        CreateTimeEntry(project_id=world.project.id, entry_date=date(2025, 12, 31), duration_seconds=60),
    )
    start = latest(world)

    world.services.entries.update_time_entry(owner, entry.id, UpdateTimeEntry(entry_date=date(2026, 1, 2)))

    (event,) = new_events(world, start)
    assert event.changes == {
        "entry_date": Change("2025-12-31", "2026-01-02"),
        "rate": Change(
            None,
            {
                "billable_rate_minor": 500,
                "cost_rate_minor": None,
                "currency": "EUR",
                "scope": "org",
                "rate_id": str(rate.id),
            },
        ),
    }


def test_an_import_dry_run_and_an_atomic_import_with_a_failed_row_record_nothing(world: World) -> None:
    owner = world.caller(world.owner)
    start = latest(world)
    for dry_run, atomic in ((True, False), (False, True)):
        data = io.BytesIO(toggl_file(world.owner.email, world.member.email))  # row 4 fails
        command = ImportEntries(
            source="toggl", data=data, timezone="Europe/Berlin", dry_run=dry_run, atomic=atomic
        )
        assert world.services.imports.import_entries(owner, command).failed == 1
    assert new_events(world, start) == []


def test_the_operator_s_import_is_via_import_as_the_owner_it_acts_as(world: World) -> None:
    caller = world.services.admin.owner_caller(world.org.id)
    start = latest(world)
    data = io.BytesIO(toggl_file(world.owner.email, "newcomer@acme.test"))
    report = world.services.imports.import_entries(
        caller, ImportEntries(source="toggl", data=data, timezone="Europe/Berlin", create_users=True)
    )

    events = new_events(world, start)

    (joined,) = [e for e in events if e.type is EventType.USER_CREATED]
    assert joined.changes["email"] == Change(None, "newcomer@acme.test")
    assert len([e for e in events if e.type is EventType.TIME_ENTRY_CREATED]) == report.created == 5
    assert {(e.actor.user_id, e.actor.token_prefix, e.actor.via) for e in events} == {
        (world.owner.id, None, Via.IMPORT)
    }
    assert all(e.request_id is None and e.idempotency_key is None for e in events)
