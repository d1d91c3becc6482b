"""Versions in every store: entries, projects, tasks and clients start at 1, and every write the
store takes moves the version exactly one up; a write over a version that moved is refused."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import attrs
import pytest

from hours_core.errors import StaleUpdate
from hours_core.model import Client, Project, Task
from hours_core.ports import UnitOfWork

from .conftest import T0, Build, OpenStore, World


def test_new_rows_start_at_version_one(store: OpenStore, world: World, build: Build) -> None:
    client = build.client(world.a.org)
    entry = build.entry(world.a.member, world.a.project)
    store.seed(client, entry)

    with store.unit_of_work(read_only=True) as uow:
        found = [
            uow.entries.get(world.a.org.id, entry.id),
            uow.projects.get(world.a.org.id, world.a.project.id),
            uow.tasks.get(world.a.org.id, world.a.task.id),
            uow.clients.get(world.a.org.id, client.id),
        ]
    assert [each.version if each is not None else None for each in found] == [1, 1, 1, 1]


def test_each_entry_write_moves_its_version_one_up(store: OpenStore, world: World, build: Build) -> None:
    entry = build.entry(world.a.member, world.a.project, note="one")
    store.seed(entry)
    current = entry
    for step in range(1, 4):
        changed = attrs.evolve(current, note=f"step {step}", updated_at=T0 + timedelta(minutes=step))
        with store.unit_of_work() as uow:
            current = uow.entries.update(changed, expected_updated_at=current.updated_at)
            uow.commit()
        assert current.version == step + 1

    deleted = current.deleted(T0 + timedelta(hours=1))
    with store.unit_of_work() as uow:
        current = uow.entries.update(deleted, expected_updated_at=current.updated_at)
        uow.commit()
    with store.unit_of_work(read_only=True) as uow:
        assert uow.entries.get(world.a.org.id, entry.id, include_deleted=True) == current
    assert current.version == 5


def test_an_entry_update_over_a_version_that_moved_is_stale(
    store: OpenStore, world: World, build: Build
) -> None:
    entry = build.entry(world.a.member, world.a.project, note="one")
    store.seed(entry)
    behind = attrs.evolve(entry, version=2, note="from the future")  # not the stored version

    with pytest.raises(StaleUpdate), store.unit_of_work() as uow:
        uow.entries.update(behind, expected_updated_at=entry.updated_at)

    with store.unit_of_work(read_only=True) as uow:
        assert uow.entries.get(world.a.org.id, entry.id) == entry


@pytest.mark.parametrize("kind", ["project", "task", "client"])
def test_each_write_of_a_project_task_or_client_moves_its_version_one_up_and_a_stale_one_is_refused(
    store: OpenStore, world: World, build: Build, kind: str
) -> None:
    row: Project | Task | Client
    if kind == "project":
        row = world.a.project
    elif kind == "task":
        row = world.a.task
    else:
        row = build.client(world.a.org)
        store.seed(row)

    first = row.revised(T0 + timedelta(minutes=1), name="First")
    with store.unit_of_work() as uow:
        stored = _repository(uow, kind).update(first)
        again = _repository(uow, kind).update(stored.revised(T0 + timedelta(minutes=2), name="Second"))
        uow.commit()
    assert (stored.version, again.version) == (2, 3)

    with pytest.raises(StaleUpdate), store.unit_of_work() as uow:
        _repository(uow, kind).update(first.revised(T0 + timedelta(minutes=3), name="Lost"))

    with store.unit_of_work(read_only=True) as uow:
        assert _repository(uow, kind).get(world.a.org.id, row.id) == again


def _repository(uow: UnitOfWork, kind: str) -> Any:
    """The repository of projects, tasks or clients (they share ``update`` and ``get``)."""
    return getattr(uow, f"{kind}s")
