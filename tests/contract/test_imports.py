"""Imports in every store: the import records, each imported entry's source row unique per
organization, and undoing an import (its entries soft-deleted, their source rows released)."""

from __future__ import annotations

import uuid
from datetime import timedelta

import attrs
import pytest

from hours_core.entry_locks import invoiced_lock
from hours_core.errors import Conflict, EntryLocked
from hours_core.model import Import, ImportCreation, ImportedKind, ImportId, TimeEntry, TimeEntryId
from hours_postgres.dialect import POSTGRES
from hours_sql import statements_for
from hours_sqlite.dialect import SQLITE

from .conftest import STORE_FACTORIES, T0, Build, OpenStore, Tenant, World


def an_import(build: Build, tenant: Tenant) -> Import:
    return Import(
        id=ImportId(build.id()),
        org_id=tenant.org.id,
        user_id=tenant.owner.id,
        source="toggl",
        created=0,
        duplicates=0,
        failed=0,
        created_at=T0,
    )


def imported(build: Build, tenant: Tenant, record: Import, ref: str, **fields: object) -> TimeEntry:
    entry = build.entry(tenant.member, tenant.project, **fields)  # type: ignore[arg-type]
    return attrs.evolve(entry, import_id=record.id, external_ref=ref)


def test_an_import_is_stored_read_back_and_updated_in_its_organization_only(
    store: OpenStore, world: World, build: Build
) -> None:
    record = an_import(build, world.a)
    store.seed()
    with store.unit_of_work() as uow:
        uow.imports.add(record)
        uow.commit()
    done = attrs.evolve(record, created=3, duplicates=2, failed=1, deleted_at=T0 + timedelta(hours=1))
    with store.unit_of_work() as uow:
        uow.imports.update(done)
        uow.imports.update(attrs.evolve(done, org_id=world.b.org.id, created=99))  # not b's: nothing
        uow.commit()
    with store.unit_of_work(read_only=True) as uow:
        assert uow.imports.get(world.a.org.id, record.id) == done
        assert uow.imports.get(world.b.org.id, record.id) is None


def test_an_entry_holds_its_import_and_source_row(store: OpenStore, world: World, build: Build) -> None:
    record = an_import(build, world.a)
    entry = imported(build, world.a, record, "toggl:abc")
    with store.unit_of_work() as uow:
        uow.imports.add(record)
        uow.entries.add_many([entry])
        uow.commit()
    with store.unit_of_work(read_only=True) as uow:
        assert uow.entries.get(world.a.org.id, entry.id) == entry
        assert uow.entries.existing_external_refs(world.a.org.id, ["toggl:abc", "toggl:def"]) == {"toggl:abc"}
        assert uow.entries.existing_external_refs(world.b.org.id, ["toggl:abc"]) == set()


def test_a_source_row_is_unique_per_organization_in_a_batch_and_across_batches(
    store: OpenStore, world: World, build: Build
) -> None:
    record, other = an_import(build, world.a), an_import(build, world.b)
    first = imported(build, world.a, record, "toggl:same")
    with store.unit_of_work() as uow:
        uow.imports.add(record)
        uow.imports.add(other)
        uow.entries.add_many([first])
        uow.commit()
    with store.unit_of_work() as uow, pytest.raises(Conflict):
        uow.entries.add_many([imported(build, world.a, record, "toggl:same")])
    with store.unit_of_work() as uow, pytest.raises(Conflict):
        uow.entries.add_many(
            [imported(build, world.a, record, "x:1"), imported(build, world.a, record, "x:1")]
        )
    with store.unit_of_work() as uow:  # another organization may hold the same reference
        uow.entries.add_many([imported(build, world.b, other, "toggl:same")])
        uow.commit()
    with store.unit_of_work(read_only=True) as uow:
        assert uow.entries.existing_external_refs(world.a.org.id, ["x:1"]) == set()


def test_many_references_are_looked_up_at_once(store: OpenStore, world: World, build: Build) -> None:
    record = an_import(build, world.a)
    entries = [imported(build, world.a, record, f"hours:{n:04d}") for n in range(1200)]
    with store.unit_of_work() as uow:
        uow.imports.add(record)
        uow.entries.add_many(entries)
        uow.commit()
    asked = [f"hours:{n:04d}" for n in range(0, 2400, 2)]
    with store.unit_of_work(read_only=True) as uow:
        found = uow.entries.existing_external_refs(world.a.org.id, asked)
    assert found == {f"hours:{n:04d}" for n in range(0, 1200, 2)}


def test_the_ids_of_entries_of_the_organization_are_found_live_or_deleted_many_at_once(
    store: OpenStore, world: World, build: Build
) -> None:
    live = [build.entry(world.a.member, world.a.project) for _ in range(700)]
    deleted = [build.entry(world.a.member, world.a.project, deleted_at=T0) for _ in range(600)]
    theirs = build.entry(world.b.member, world.b.project)
    with store.unit_of_work() as uow:
        uow.entries.add_many([*live, *deleted, theirs])
        uow.commit()
    unknown = [TimeEntryId(build.id()) for _ in range(5)]
    asked = [entry.id for entry in live[::2]] + [entry.id for entry in deleted] + [theirs.id, *unknown]
    with store.unit_of_work(read_only=True) as uow:
        found = uow.entries.existing_ids(world.a.org.id, [*asked, live[0].id])  # asked twice: once found
        assert uow.entries.existing_ids(world.b.org.id, asked) == {theirs.id}
        assert uow.entries.existing_ids(world.a.org.id, []) == set()
    assert found == {entry.id for entry in live[::2]} | {entry.id for entry in deleted}


def test_deleting_an_import_soft_deletes_its_live_entries_and_releases_their_rows(
    store: OpenStore, world: World, build: Build
) -> None:
    record, later = an_import(build, world.a), an_import(build, world.a)
    mine = [imported(build, world.a, record, f"toggl:{n}") for n in range(3)]
    theirs = imported(build, world.a, later, "toggl:other")
    by_hand = build.entry(world.a.member, world.a.project)
    with store.unit_of_work() as uow:
        uow.imports.add(record)
        uow.imports.add(later)
        uow.entries.add_many([*mine, theirs, by_hand])
        uow.commit()
    at = T0 + timedelta(days=1)
    with store.unit_of_work() as uow:
        assert uow.entries.delete_imported(world.b.org.id, record.id, at, limit=10) == []  # not b's
        first = uow.entries.delete_imported(world.a.org.id, record.id, at, limit=2)
        rest = uow.entries.delete_imported(world.a.org.id, record.id, at, limit=2)
        assert uow.entries.delete_imported(world.a.org.id, record.id, at, limit=2) == []
        uow.commit()
    assert sorted([*first, *rest], key=lambda entry: entry.id) == sorted(mine, key=lambda entry: entry.id)
    assert (len(first), len(rest)) == (2, 1)  # a page at a time, each entry once, as it was before
    with store.unit_of_work(read_only=True) as uow:
        for entry in mine:
            assert uow.entries.get(world.a.org.id, entry.id) is None
            gone = uow.entries.get(world.a.org.id, entry.id, include_deleted=True)
            assert gone is not None
            assert (gone.deleted_at, gone.updated_at, gone.external_ref) == (at, at, None)
            assert gone.version == entry.version + 1
        assert uow.entries.get(world.a.org.id, theirs.id) == theirs
        assert uow.entries.get(world.a.org.id, by_hand.id) == by_hand
        assert uow.entries.existing_external_refs(world.a.org.id, ["toggl:0", "toggl:other"]) == {
            "toggl:other"
        }
    with store.unit_of_work() as uow:  # the released rows import again
        uow.entries.add_many([imported(build, world.a, record, "toggl:0")])
        uow.commit()


def test_an_import_with_an_invoiced_entry_is_locked_and_nothing_changes(
    store: OpenStore, world: World, build: Build
) -> None:
    record = an_import(build, world.a)
    invoiced = imported(build, world.a, record, "toggl:1", invoice_id=uuid.uuid4())
    plain = imported(build, world.a, record, "toggl:2")
    with store.unit_of_work() as uow:
        uow.imports.add(record)
        uow.entries.add_many([invoiced, plain])
        uow.commit()
    with store.unit_of_work() as uow, pytest.raises(EntryLocked) as locked:
        uow.entries.delete_imported(world.a.org.id, record.id, T0 + timedelta(days=1), limit=1)
    # the error a write of that entry gets: kind and invoice id included
    assert locked.value.details() == invoiced_lock(invoiced).details()
    assert locked.value.message == invoiced_lock(invoiced).message
    with store.unit_of_work(read_only=True) as uow:
        assert uow.entries.get(world.a.org.id, plain.id) == plain


SQL_STORES = [
    pytest.param(factory, id=factory.name, marks=factory.marks)
    for factory in STORE_FACTORIES
    if factory.name != "memory"
]


@pytest.mark.parametrize("store", SQL_STORES, indirect=True)
def test_an_invoice_the_first_check_missed_still_stops_the_undo_once_its_page_is_locked(
    store: OpenStore, world: World, build: Build, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On PostgreSQL an invoice may commit between the look for invoiced entries and the lock of
    the page: the locked page shows it, and the page is refused as a write of that entry is."""
    record = an_import(build, world.a)
    plain = imported(build, world.a, record, "toggl:1")
    invoiced = imported(build, world.a, record, "toggl:2", invoice_id=uuid.uuid4())
    with store.unit_of_work() as uow:
        uow.imports.add(record)
        uow.entries.add_many([plain, invoiced])
        uow.commit()
    sql = statements_for(SQLITE if store.name == "sqlite" else POSTGRES)
    nothing = sql.invoiced_entry_of_import.replace("WHERE", "WHERE 1 = 0 AND", 1)  # what it saw before
    monkeypatch.setattr(sql, "invoiced_entry_of_import", nothing)
    with store.unit_of_work() as uow, pytest.raises(EntryLocked) as locked:
        uow.entries.delete_imported(world.a.org.id, record.id, T0 + timedelta(days=1), limit=10)
    assert locked.value.details() == invoiced_lock(invoiced).details()
    with store.unit_of_work(read_only=True) as uow:
        assert uow.entries.get(world.a.org.id, plain.id) == plain


def test_an_import_holds_its_organization_until_its_unit_of_work_ends_then_another_may(
    store: OpenStore, world: World, build: Build
) -> None:
    """What the hold waits for is raced on PostgreSQL in test_state_change_races.py; here, that it
    is taken in a write unit of work and let go at its end, on every store."""
    for tenant in (world.a, world.a, world.b):
        with store.unit_of_work() as uow:
            uow.imports.hold(tenant.org.id)
            uow.imports.add(an_import(build, tenant))
            uow.commit()
    with store.unit_of_work() as uow:  # a rolled back one lets go too
        uow.imports.hold(world.a.org.id)
    with store.unit_of_work() as uow:
        uow.imports.hold(world.a.org.id)
        uow.commit()


def test_an_entry_cannot_name_an_import_that_does_not_exist(
    store: OpenStore, world: World, build: Build
) -> None:
    ghost = an_import(build, world.a)
    with store.unit_of_work() as uow, pytest.raises(Conflict):
        uow.entries.add(imported(build, world.a, ghost, "toggl:1"))


def creations_of(record: Import, *made: tuple[ImportedKind, uuid.UUID]) -> list[ImportCreation]:
    return [ImportCreation(record.org_id, record.id, kind, subject_id) for kind, subject_id in made]


def test_what_an_import_created_is_stored_with_it_and_read_back_in_its_organization_only(
    store: OpenStore, world: World, build: Build
) -> None:
    record, later, theirs = an_import(build, world.a), an_import(build, world.a), an_import(build, world.b)
    made = creations_of(
        record,
        (ImportedKind.USER, world.a.member.id),
        (ImportedKind.PROJECT, world.a.other_project.id),
        (ImportedKind.TASK, world.a.task.id),
        (ImportedKind.CLIENT, build.id()),
    )
    with store.unit_of_work() as uow:
        for each in (record, later, theirs):
            uow.imports.add(each)
        uow.imports.add_creations(made)
        uow.imports.add_creations([])
        uow.imports.add_creations(creations_of(theirs, (ImportedKind.PROJECT, world.b.project.id)))
        uow.commit()
    with store.unit_of_work(read_only=True) as uow:
        assert uow.imports.creations(world.a.org.id, record.id) == sorted(made, key=lambda c: c.subject_id)
        assert uow.imports.creations(world.b.org.id, record.id) == []  # not b's
        assert uow.imports.creations(world.a.org.id, later.id) == []
        assert uow.imports.retired_creations(world.a.org.id) == []  # no import of a's is undone
    with store.unit_of_work() as uow, pytest.raises(Conflict):  # one row per thing and import
        uow.imports.add_creations(made[:1])
    with store.unit_of_work() as uow, pytest.raises(Conflict):  # of an import of its organization
        uow.imports.add_creations([attrs.evolve(made[0], org_id=world.b.org.id)])


def test_an_undone_import_lists_what_its_undo_did_not_forget(
    store: OpenStore, world: World, build: Build
) -> None:
    record, other = an_import(build, world.a), an_import(build, world.a)
    made = creations_of(
        record,
        (ImportedKind.PROJECT, world.a.project.id),
        (ImportedKind.PROJECT, world.a.other_project.id),
        (ImportedKind.TASK, world.a.task.id),
    )
    with store.unit_of_work() as uow:
        uow.imports.add(record)
        uow.imports.add(other)
        uow.imports.add_creations(made)
        uow.imports.add_creations(creations_of(other, (ImportedKind.USER, world.a.member.id)))
        uow.commit()
    with store.unit_of_work() as uow:
        uow.imports.update(record.deleted(T0 + timedelta(hours=1)))
        uow.imports.forget_creations(world.b.org.id, record.id, [world.a.project.id])  # not b's: nothing
        uow.imports.forget_creations(world.a.org.id, record.id, [world.a.project.id, world.a.project.id])
        uow.imports.forget_creations(world.a.org.id, record.id, [])
        uow.commit()
    with store.unit_of_work(read_only=True) as uow:
        retired = uow.imports.retired_creations(world.a.org.id)
        assert retired == sorted(made[1:], key=lambda c: c.subject_id)  # not the other import's (not undone)
        assert uow.imports.retired_creations(world.b.org.id) == []


def test_the_live_entries_name_their_projects_tasks_and_users_many_at_once(
    store: OpenStore, world: World, build: Build
) -> None:
    a, b = world.a, world.b
    live = build.entry(a.member, a.project, task=a.task)
    gone = build.entry(a.owner, a.other_project, deleted_at=T0)
    running = attrs.evolve(
        build.entry(a.owner, a.other_project), started_at=T0, stopped_at=None, duration_seconds=0
    )
    theirs = build.entry(b.member, b.other_project)
    with store.unit_of_work() as uow:
        uow.entries.add_many([live, gone, theirs])
        uow.commit()
    unknown = [uuid.UUID(int=n) for n in range(1, 700)]
    many = [uuid.UUID(int=n) for n in range(1_000, 21_000)]  # more than one query's worth
    with store.unit_of_work(read_only=True) as uow:
        found = uow.entries.referenced_by_live_entries
        assert found(
            a.org.id,
            {
                "project_id": [*unknown, a.project.id, a.other_project.id],
                "task_id": [a.task.id, *unknown],
                "user_id": [a.member.id, a.owner.id, b.member.id],
            },
        ) == {"project_id": {a.project.id}, "task_id": {a.task.id}, "user_id": {a.member.id}}
        assert found(a.org.id, {"project_id": [*many, a.project.id], "task_id": [*many, a.task.id]}) == {
            "project_id": {a.project.id},
            "task_id": {a.task.id},
        }
        # One field's id named in another field of an entry does not count.
        assert found(a.org.id, {"task_id": [a.project.id], "user_id": [a.project.id]}) == {
            "task_id": set(),
            "user_id": set(),
        }
        assert found(b.org.id, {"project_id": [a.project.id, b.other_project.id]}) == {
            "project_id": {b.other_project.id}
        }
        assert found(a.org.id, {"user_id": []}) == {"user_id": set()}
        assert found(a.org.id, {}) == {}
    with store.unit_of_work() as uow:  # a running timer is a live entry
        uow.entries.add(running)
        uow.commit()
    with store.unit_of_work(read_only=True) as uow:
        assert uow.entries.referenced_by_live_entries(a.org.id, {"user_id": [a.owner.id]}) == {
            "user_id": {a.owner.id}
        }
