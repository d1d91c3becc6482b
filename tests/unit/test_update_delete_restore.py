"""Changing, deleting and restoring time entries, through the use cases over the in-memory store."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from hours_core.errors import EntryLocked, NotFound, PlanRequired, TimerAlreadyRunning, ValidationFailed
from hours_core.model import Plan, Role, TimeEntry
from hours_core.ports import EntryQuery
from hours_core.services import ChangeProject, ChangeTask, CreateTimeEntry, StartTimer, UpdateTimeEntry
from hours_memory import InMemoryStore
from tests.world import START, World


def logged(world: World, **changes: Any) -> TimeEntry:
    fields: dict[str, Any] = {
        "project_id": world.project.id,
        "entry_date": date(2026, 3, 2),
        "duration": "1h",
    }
    return world.services.entries.create_time_entry(
        world.caller(world.member), CreateTimeEntry(**{**fields, **changes})
    )


def update(world: World, entry: TimeEntry, **changes: Any) -> TimeEntry:
    return world.services.entries.update_time_entry(
        world.caller(world.member), entry.id, UpdateTimeEntry(**changes)
    )


def problems(error: pytest.ExceptionInfo[ValidationFailed]) -> dict[str, str]:
    return dict(error.value.fields)


def test_an_update_changes_only_what_it_sets_and_advances_updated_at(world: World) -> None:
    entry = logged(world, note="draft")
    world.clock.advance(timedelta(minutes=5))
    changed = update(world, entry, duration="2h")
    assert (changed.duration_seconds, changed.note, changed.created_at) == (7200, "draft", entry.created_at)
    assert changed.updated_at == START + timedelta(minutes=5)


def test_an_empty_update_still_advances_updated_at_even_when_the_clock_stands_still(world: World) -> None:
    entry = logged(world)
    assert update(world, entry).updated_at > entry.updated_at


def test_none_clears_a_nullable_field(world: World) -> None:
    entry = logged(world, note="draft", task_id=world.task.id)
    changed = update(world, entry, note=None, task_id=None)
    assert changed.note is None and changed.task_id is None


def test_duration_seconds_wins_over_duration_and_the_ignored_duration_is_not_checked(world: World) -> None:
    entry = logged(world)
    assert update(world, entry, duration_seconds=60, duration="nonsense").duration_seconds == 60


def test_the_merged_entry_is_validated_and_a_span_error_names_the_field_that_was_sent(world: World) -> None:
    entry = logged(world, started_at=START, stopped_at=START + timedelta(hours=1), duration="1h")
    with pytest.raises(ValidationFailed) as raised:
        update(world, entry, stopped_at=START + timedelta(minutes=30))
    assert problems(raised) == {
        "stopped_at": "the duration must not exceed the time between started_at and stopped_at"
    }
    with pytest.raises(ValidationFailed) as raised:
        update(world, entry, duration_seconds=7200)
    assert set(problems(raised)) == {"duration_seconds"}


def test_a_running_timer_refuses_a_stop_or_a_duration_by_update_with_a_hint_to_stop_it(world: World) -> None:
    timer = world.services.entries.start_timer(
        world.caller(world.member), StartTimer(project_id=world.project.id)
    )
    with pytest.raises(ValidationFailed) as raised:
        update(world, timer, stopped_at=START, duration_seconds=5)
    assert problems(raised) == {
        "stopped_at": "the entry is a running timer: stop it first",
        "duration_seconds": "the entry is a running timer: stop it first",
    }


def test_moving_an_entry_to_another_project_needs_its_task_to_follow(world: World) -> None:
    entry = logged(world, task_id=world.task.id)
    other = world.services.projects.create_project(world.caller(world.owner), "Other")
    with pytest.raises(ValidationFailed) as raised:
        update(world, entry, project_id=other.id)
    assert problems(raised) == {"task_id": "the task belongs to another project"}
    assert update(world, entry, project_id=other.id, task_id=None).project_id == other.id


def test_an_archived_project_takes_no_moved_entries(world: World) -> None:
    entry = logged(world)
    other = world.services.projects.create_project(world.caller(world.owner), "Old")
    world.services.projects.change_project(world.caller(world.owner), other.id, ChangeProject(archived=True))
    with pytest.raises(ValidationFailed) as raised:
        update(world, entry, project_id=other.id)
    assert set(problems(raised)) == {"project_id"}


def test_an_entry_on_an_archived_project_or_task_takes_its_own_ids_back(world: World) -> None:
    # A client that sends the entry's own projectId and taskId along (a form, a sync client) fixes
    # its note; and clearing the task leaves the entry on its project: neither is a new entry there.
    entry = logged(world, task_id=world.task.id)
    owner = world.caller(world.owner)
    world.services.projects.change_task(owner, world.task.id, ChangeTask(archived=True))
    world.services.projects.change_project(owner, world.project.id, ChangeProject(archived=True))
    same = update(world, entry, project_id=world.project.id, task_id=world.task.id, note="fixed")
    assert (same.project_id, same.task_id, same.note) == (world.project.id, world.task.id, "fixed")
    cleared = update(world, entry, task_id=None)
    assert (cleared.project_id, cleared.task_id) == (world.project.id, None)
    with pytest.raises(ValidationFailed) as raised:
        update(world, entry, task_id=world.task.id)  # the task it left is archived: a new one now
    assert problems(raised) == {"task_id": "the task is archived and takes no new entries"}


def test_plan_gates_apply_only_to_what_an_update_sets(world: World) -> None:
    entry = logged(world, task_id=world.task.id)
    world.set_plan(Plan.FREE)
    assert update(world, entry, note="kept after a downgrade").note == "kept after a downgrade"
    with pytest.raises(PlanRequired) as raised:
        update(world, entry, billable=True)
    assert raised.value.feature == "billable_time"


def test_an_invoiced_entry_is_locked_against_update_and_delete(world: World, store: InMemoryStore) -> None:
    entry = logged(world)
    with store.unit_of_work() as uow:  # invoicing happens outside the API
        uow.entries.update(entry.invoiced(entry.id, START), expected_updated_at=entry.updated_at)
        uow.commit()
    with pytest.raises(EntryLocked):
        update(world, entry, note="late")
    with pytest.raises(EntryLocked):
        world.services.entries.delete_time_entry(world.caller(world.member), entry.id)


def test_another_members_entry_is_not_found_and_a_manager_may_change_it(world: World) -> None:
    entry = logged(world)
    other = world.services.admin.create_user(world.org.id, "other@acme.test", Role.MEMBER)
    with pytest.raises(NotFound):
        world.services.entries.update_time_entry(world.caller(other), entry.id, UpdateTimeEntry(note="mine"))
    with pytest.raises(NotFound):
        world.services.entries.delete_time_entry(world.caller(other), entry.id)
    changed = world.services.entries.update_time_entry(
        world.caller(world.admin), entry.id, UpdateTimeEntry(note="ok")
    )
    assert changed.note == "ok" and changed.user_id == world.member.id


def test_a_deleted_entry_leaves_reads_and_lists_until_restored(world: World) -> None:
    entry = logged(world)
    caller = world.caller(world.member)
    deleted = world.services.entries.delete_time_entry(caller, entry.id)
    assert deleted.deleted_at is not None
    with pytest.raises(NotFound):
        world.services.entries.get_time_entry(caller, entry.id)
    assert world.services.entries.list_time_entries(caller, EntryQuery()).entries == []
    with pytest.raises(NotFound):
        world.services.entries.delete_time_entry(caller, entry.id)
    restored = world.services.entries.restore_time_entry(caller, entry.id)
    assert restored.deleted_at is None
    assert world.services.entries.get_time_entry(caller, entry.id) == restored


def test_restoring_an_entry_that_is_not_deleted_changes_nothing(world: World) -> None:
    entry = logged(world)
    world.clock.advance(timedelta(minutes=1))
    assert world.services.entries.restore_time_entry(world.caller(world.member), entry.id) == entry


def test_restoring_a_deleted_timer_while_another_runs_is_refused_naming_the_running_one(world: World) -> None:
    caller = world.caller(world.member)
    first = world.services.entries.start_timer(caller, StartTimer(project_id=world.project.id))
    world.services.entries.delete_time_entry(caller, first.id)
    second = world.services.entries.start_timer(caller, StartTimer(project_id=world.project.id))
    with pytest.raises(TimerAlreadyRunning) as raised:
        world.services.entries.restore_time_entry(caller, first.id)
    assert raised.value.running_entry_id == str(second.id)
