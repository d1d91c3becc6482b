"""Versions and If-Match through the use cases: every change moves a version exactly one up, and a
change whose ``if_match`` is not the current version is refused, changing nothing."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

import pytest

from hours_core.errors import PreconditionFailed
from hours_core.model import TimeEntry
from hours_core.ports import EntryQuery
from hours_core.services import (
    ChangeClient,
    ChangeProject,
    ChangeTask,
    CreateTimeEntry,
    StartTimer,
    UpdateTimeEntry,
)
from tests.world import World


def logged(world: World) -> TimeEntry:
    return world.services.entries.create_time_entry(
        world.caller(world.member),
        CreateTimeEntry(project_id=world.project.id, entry_date=date(2026, 3, 2), duration="1h"),
    )


def test_an_entry_moves_one_version_up_with_each_change(world: World) -> None:
    member = world.caller(world.member)
    entries = world.services.entries
    entry = logged(world)
    assert entry.version == 1
    changed = entries.update_time_entry(member, entry.id, UpdateTimeEntry(note="a"), if_match=1)
    unchanged = entries.update_time_entry(member, entry.id, UpdateTimeEntry())  # a write all the same
    deleted = entries.delete_time_entry(member, entry.id, if_match=3)
    restored = entries.restore_time_entry(member, entry.id, if_match=4)
    assert [changed.version, unchanged.version, deleted.version, restored.version] == [2, 3, 4, 5]
    assert entries.get_time_entry(member, entry.id) == restored


def test_restoring_an_entry_that_is_not_deleted_writes_nothing_and_keeps_its_version(world: World) -> None:
    entry = logged(world)
    same = world.services.entries.restore_time_entry(world.caller(world.member), entry.id, if_match=1)
    assert same == entry


def test_a_timer_moves_one_version_up_when_it_stops(world: World) -> None:
    member = world.caller(world.member)
    timer = world.services.entries.start_timer(member, StartTimer(project_id=world.project.id))
    world.clock.advance(timedelta(minutes=5))
    stopped = world.services.entries.stop_timer(member)
    assert (timer.version, stopped.version) == (1, 2)


@pytest.mark.parametrize("use_case", ["update", "delete", "restore"])
def test_a_stale_if_match_is_refused_with_the_current_version_and_changes_nothing(
    world: World, use_case: str
) -> None:
    member = world.caller(world.member)
    entries = world.services.entries
    entry = logged(world)
    current = entries.update_time_entry(member, entry.id, UpdateTimeEntry(note="moved on"))
    if use_case == "restore":
        current = entries.delete_time_entry(member, entry.id)
    stale: dict[str, Callable[[], TimeEntry]] = {
        "update": lambda: entries.update_time_entry(member, entry.id, UpdateTimeEntry(note="x"), if_match=1),
        "delete": lambda: entries.delete_time_entry(member, entry.id, if_match=1),
        "restore": lambda: entries.restore_time_entry(member, entry.id, if_match=1),
    }
    with pytest.raises(PreconditionFailed) as raised:
        stale[use_case]()
    assert raised.value.code == "precondition_failed"
    assert raised.value.details() == {"current_version": current.version}
    stored = entries.list_time_entries(member, EntryQuery(limit=100)).entries
    assert [e for e in stored if e.id == entry.id] == ([] if use_case == "restore" else [current])


def test_the_precondition_is_checked_before_the_lock_and_the_fields(world: World) -> None:
    member = world.caller(world.member)
    entry = logged(world)
    with pytest.raises(PreconditionFailed):
        world.services.entries.update_time_entry(
            member, entry.id, UpdateTimeEntry(duration="not a duration"), if_match=7
        )


def test_projects_tasks_and_clients_check_if_match_and_move_one_version_up(world: World) -> None:
    owner = world.caller(world.owner)
    services = world.services
    project = services.projects.change_project(owner, world.project.id, ChangeProject(name="A"), if_match=1)
    task = services.projects.change_task(owner, world.task.id, ChangeTask(archived=True), if_match=1)
    client = services.clients.create_client(owner, "Client", "EUR")
    client = services.clients.change_client(owner, client.id, ChangeClient(name="B"), if_match=1)
    assert (project.version, task.version, client.version) == (2, 2, 2)

    with pytest.raises(PreconditionFailed) as raised:
        services.projects.change_project(owner, project.id, ChangeProject(name="Stale"), if_match=1)
    assert raised.value.current_version == 2
    with pytest.raises(PreconditionFailed):
        services.projects.change_task(owner, task.id, ChangeTask(name="Stale"), if_match=1)
    with pytest.raises(PreconditionFailed):
        services.clients.change_client(owner, client.id, ChangeClient(name="Stale"), if_match=3)
    assert services.projects.get_project(owner, project.id) == project
    assert services.clients.get_client(owner, client.id) == client


def test_a_timer_stopped_by_its_users_deactivation_moves_one_version_up(world: World) -> None:
    timer = world.services.entries.start_timer(
        world.caller(world.member), StartTimer(project_id=world.project.id)
    )
    world.clock.advance(timedelta(minutes=5))
    world.services.team.deactivate_user(world.caller(world.owner), world.member.id)
    stopped = world.services.entries.get_time_entry(world.caller(world.owner), timer.id)
    assert (stopped.is_running, stopped.version) == (False, 2)
