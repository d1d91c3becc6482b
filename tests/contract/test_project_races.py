"""The rules a new project checks, raced through the use cases on PostgreSQL: the free plan's three
active projects, and a client that is archived takes no new project (issue 13).

Each check reads rows another transaction may be changing: the count of active projects, the
client's ``archived``. Under READ COMMITTED two creations side by side both counted two active
projects and both added one, and a project created while its client was archived read the client
as it was. Creating a project, unarchiving one and archiving a client take the organization's lock
first, so they run one after the other; so does an import on a plan that limits projects. The
tests stop the first write at the point that raced, run the second until it ends or waits for the
first, then let the first go on (see ``tests/contract/test_currency_races.py``). SQLite and the
in-memory store run one writer at a time.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from hours_core.errors import PlanRequired, ValidationFailed
from hours_core.model import Plan
from hours_core.services import ChangeClient, ChangeProject, ImportEntries, ImportReport
from hours_sql.repositories import SqlClientRepository, SqlProjectRepository
from tests.contract.test_currency_races import StopAfter, first_then_second
from tests.exchange.odd_files import HARVEST_HEADER
from tests.postgres_support import empty_postgres_store
from tests.world import World, make_world


@pytest.fixture
def world() -> Iterator[World]:
    with empty_postgres_store() as unit_of_work:
        yield make_world(unit_of_work, plan=Plan.FREE)


def active_projects(world: World) -> int:
    owner = world.caller(world.owner)
    return sum(1 for project in world.services.projects.list_projects(owner) if not project.archived)


@pytest.mark.postgres
def test_two_projects_created_at_once_on_the_free_plan_leave_three_active(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    owner = world.caller(world.owner)
    world.services.projects.create_project(owner, "Second")
    assert active_projects(world) == 2
    first, second = first_then_second(
        monkeypatch,
        lambda: world.services.projects.create_project(owner, "Third"),
        lambda: world.services.projects.create_project(owner, "Fourth"),
        stop=StopAfter(SqlProjectRepository, "count_active"),
    )
    assert first.name == "Third"
    assert isinstance(second, PlanRequired)
    assert active_projects(world) == 3


@pytest.mark.postgres
def test_a_project_unarchived_while_another_is_created_on_the_free_plan_leaves_three_active(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    owner = world.caller(world.owner)
    world.services.projects.create_project(owner, "Second")
    archived = world.services.projects.create_project(owner, "Third")
    world.services.projects.change_project(owner, archived.id, ChangeProject(archived=True))
    first, second = first_then_second(
        monkeypatch,
        lambda: world.services.projects.create_project(owner, "Fourth"),
        lambda: world.services.projects.change_project(owner, archived.id, ChangeProject(archived=False)),
        stop=StopAfter(SqlProjectRepository, "count_active"),
    )
    assert first.name == "Fourth"
    assert isinstance(second, PlanRequired)
    assert active_projects(world) == 3


@pytest.mark.postgres
def test_a_project_created_while_its_client_is_archived_is_refused(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    owner = world.caller(world.owner)
    client = world.services.clients.create_client(owner, "Globex", "EUR")
    first, second = first_then_second(
        monkeypatch,
        lambda: world.services.clients.change_client(owner, client.id, ChangeClient(archived=True)),
        lambda: world.services.projects.create_project(owner, "Portal", client_id=client.id),
        stop=StopAfter(SqlClientRepository, "update"),
    )
    assert first.archived
    assert isinstance(second, ValidationFailed)
    assert [p.name for p in world.services.projects.list_projects(owner) if p.client_id == client.id] == []


@pytest.mark.postgres
def test_a_project_created_while_an_import_creates_one_on_the_free_plan_leaves_three_active(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    owner = world.caller(world.owner)
    world.services.projects.create_project(owner, "Second")
    data = (HARVEST_HEADER + "\n2025-02-03,,Imported,,from the file,1,No,,\n").encode()
    first, second = first_then_second(
        monkeypatch,
        lambda: world.services.imports.import_entries(owner, ImportEntries(source="harvest", data=data)),
        lambda: world.services.projects.create_project(owner, "Fourth"),
        stop=StopAfter(SqlProjectRepository, "list"),
    )
    assert isinstance(first, ImportReport)
    assert list(first.created_projects) == ["Imported"]
    assert isinstance(second, PlanRequired)
    assert active_projects(world) == 3
