"""An import stored before ``0023_import_creations`` is undone after it as it was before: its
entries are deleted, and what it created stays (it recorded nothing); imports after the upgrade
record what they create, and their undo archives it."""

from __future__ import annotations

import pathlib
from collections.abc import Iterator
from datetime import date
from uuid import UUID

import pytest

from hours_core.model import Client, ClientId, Import, ImportId, Project, ProjectId, TimeEntry, TimeEntryId
from hours_core.services import ImportEntries
from tests.exchange.odd_files import toggl_file
from tests.world import make_world

from .conftest import entries_before_0025
from .stopped_stores import STOPPED_STORES, StoppedStore

BEFORE = "0023_import_creations"


@pytest.fixture(params=STOPPED_STORES)
def before_upgrade(request: pytest.FixtureRequest, tmp_path: pathlib.Path) -> Iterator[StoppedStore]:
    """SQLite and PostgreSQL, each migrated up to, not including, 0023."""
    with request.param(BEFORE, tmp_path) as opened:
        yield opened


def test_an_import_of_before_the_upgrade_is_undone_after_it_and_what_it_created_stays(
    before_upgrade: StoppedStore,
) -> None:
    store = before_upgrade.store
    world = make_world(store.unit_of_work)
    now = world.clock.now()
    old = Import(ImportId(UUID(int=1)), world.org.id, world.owner.id, "toggl", 1, 0, 0, now)
    client = Client.new(ClientId(UUID(int=2)), world.org.id, "Initech", "EUR", now)
    project = Project.new(
        ProjectId(UUID(int=3)), world.org.id, "Migration", now, billable_by_default=False, client_id=client.id
    )
    entry = TimeEntry(
        id=TimeEntryId(UUID(int=4)),
        org_id=world.org.id,
        user_id=world.owner.id,
        project_id=project.id,
        task_id=None,
        invoice_id=None,
        duration_seconds=600,
        billable=False,
        note="imported before the upgrade",
        entry_date=date(2025, 3, 4),
        started_at=None,
        stopped_at=None,
        created_at=now,
        updated_at=now,
        deleted_at=None,
        import_id=old.id,
        external_ref="toggl:before",
    )
    with store.unit_of_work() as uow:  # what an import stored before 0023 (no creations)
        uow.imports.add(old)
        uow.clients.add(client)
        uow.projects.add(project)
        uow.commit()
    before_upgrade.execute(entries_before_0025(before_upgrade.dialect, entry))

    assert store.migrate()[0] == BEFORE  # then any later migration

    owner = world.caller(world.owner)
    world.services.imports.delete_import(owner, old.id)
    with store.unit_of_work(read_only=True) as uow:
        undone = uow.entries.get(world.org.id, entry.id, include_deleted=True)
        assert undone is not None and undone.deleted_at is not None
        assert uow.imports.creations(world.org.id, old.id) == []
    assert world.services.projects.get_project(owner, project.id).archived is False
    assert world.services.clients.get_client(owner, client.id).archived is False

    report = world.services.imports.import_entries(  # after the upgrade: recorded, and undone whole
        owner,
        ImportEntries(source="toggl", data=toggl_file(world.owner.email, world.member.email), timezone="UTC"),
    )
    assert report.id is not None and report.created_projects == ("Website", "Backend")
    world.services.imports.delete_import(owner, report.id)
    archived = {p.name for p in world.services.projects.list_projects(owner) if p.archived}
    assert archived == {"Website", "Backend"}
