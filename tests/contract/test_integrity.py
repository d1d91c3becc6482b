"""What every store refuses, for every store: the rules the SQL schemas enforce, and the fake too.

References stay inside an organization, ids and token prefixes are unique, a user runs one timer
at a time, and a refused write changes nothing while the unit of work goes on. On the databases
these are constraints (foreign keys, unique indexes); the in-memory store checks them itself, so
that a test of the core over it means what it would mean over a database.
"""

import threading
import time
from collections.abc import Callable
from datetime import timedelta

import attrs
import pytest

from hours_core.errors import Conflict, TimerAlreadyRunning
from hours_core.ports import EntryQuery
from hours_postgres.dialect import POSTGRES
from hours_sql import statements_for
from hours_sqlite.dialect import SQLITE

from .conftest import T0, Build, OpenStore, Tenant, World

WAIT = 30
"""How long a thread waits for another before the test gives up (a guard against hangs, not a limit)."""


# References stay inside the organization.

CROSSING: dict[str, Callable[[Tenant, Tenant, Build], object]] = {
    "entry-on-foreign-project": lambda a, b, build: build.entry(a.member, b.project),
    "entry-on-foreign-task": lambda a, b, build: build.entry(a.member, a.project, task=b.task),
    "entry-on-task-of-other-project": lambda a, b, build: build.entry(a.member, a.other_project, task=a.task),
    "entry-of-foreign-user": lambda a, b, build: attrs.evolve(
        build.entry(b.member, a.project), org_id=a.org.id
    ),
    "task-in-foreign-project": lambda a, b, build: attrs.evolve(build.task(b.project), org_id=a.org.id),
    "project-of-no-organization": lambda a, b, build: build.project(build.org()),
    "user-of-no-organization": lambda a, b, build: build.user(build.org()),
    "token-of-foreign-user": lambda a, b, build: attrs.evolve(build.token(b.owner), org_id=a.org.id),
    "claim-of-foreign-user": lambda a, b, build: attrs.evolve(build.record(b.owner), org_id=a.org.id),
}
"""Rows that name a user, project or task outside their own organization (or nothing at all)."""


@pytest.mark.parametrize("case", list(CROSSING))
def test_a_row_that_refers_outside_its_organization_is_refused(
    store: OpenStore, world: World, build: Build, case: str
) -> None:
    row = CROSSING[case](world.a, world.b, build)

    with pytest.raises(Conflict, match="does not exist in its organization"):
        store.seed(row)


def test_an_entry_cannot_be_moved_to_a_project_of_another_organization(
    store: OpenStore, world: World, build: Build
) -> None:
    entry = build.entry(world.a.member, world.a.project)
    store.seed(entry)
    moved = attrs.evolve(entry, project_id=world.b.project.id, updated_at=T0 + timedelta(minutes=1))

    with pytest.raises(Conflict, match="does not exist in its organization"), store.unit_of_work() as uow:
        uow.entries.update(moved, expected_updated_at=entry.updated_at)

    with store.unit_of_work(read_only=True) as uow:
        assert uow.entries.get(world.a.org.id, entry.id) == entry


@pytest.mark.parametrize("to", ["other_project_of_its_organization", "project_of_another_organization"])
def test_a_task_cannot_be_moved_to_another_project(store: OpenStore, world: World, to: str) -> None:
    project = world.a.other_project if to == "other_project_of_its_organization" else world.b.project
    moved = attrs.evolve(world.a.task, project_id=project.id)

    with pytest.raises(Conflict, match="A task stays in its project"), store.unit_of_work() as uow:
        uow.tasks.update(moved)
    with store.unit_of_work(read_only=True) as uow:
        assert uow.tasks.get(world.a.org.id, world.a.task.id) == world.a.task


def test_a_task_update_sets_no_column_of_the_key_entries_name_it_by() -> None:
    """SQLite looks through every entry for those naming a task's old key when an UPDATE sets a
    column of it, even to the same value (7 ms a task with 20,000 entries; an import's undo
    archives hundreds of tasks)."""
    for dialect in (SQLITE, POSTGRES):
        assignments = statements_for(dialect).task_update.split(" WHERE ")[0]
        assert "project_id" not in assignments and "org_id" not in assignments


def test_a_batch_with_one_refused_entry_adds_none_of_them_and_the_unit_of_work_goes_on(
    store: OpenStore, world: World, build: Build
) -> None:
    a, b = world.a, world.b
    batch = [build.entry(a.member, a.project, created_at=T0 + timedelta(seconds=n)) for n in range(10)]
    batch.append(build.entry(a.member, b.project, created_at=T0 + timedelta(hours=1)))  # inserted last
    kept = build.entry(a.owner, a.project)

    with store.unit_of_work() as uow:
        with pytest.raises(Conflict):
            uow.entries.add_many(batch)
        uow.entries.add(kept)
        uow.commit()

    with store.unit_of_work(read_only=True) as uow:
        assert list(uow.entries.list(a.org.id, EntryQuery())) == [kept]


# Ids and prefixes are unique.

TAKEN: dict[str, Callable[[World, Build], object]] = {
    "organization": lambda world, build: attrs.evolve(build.org("Again"), id=world.a.org.id),
    "user": lambda world, build: attrs.evolve(build.user(world.a.org), id=world.a.member.id),
    "project": lambda world, build: attrs.evolve(build.project(world.a.org, "Again"), id=world.a.project.id),
    "task": lambda world, build: attrs.evolve(build.task(world.a.project, "Again"), id=world.a.task.id),
}
"""New rows whose id another row already has."""


@pytest.mark.parametrize("kind", list(TAKEN))
def test_a_row_whose_id_is_taken_is_refused(store: OpenStore, world: World, build: Build, kind: str) -> None:
    with pytest.raises(Conflict, match=f"The {kind} already exists"):
        store.seed(TAKEN[kind](world, build))


def test_an_entry_whose_id_is_taken_is_refused_alone_or_in_a_batch(
    store: OpenStore, world: World, build: Build
) -> None:
    entry = build.entry(world.a.member, world.a.project)
    store.seed(entry)
    twin = attrs.evolve(build.entry(world.a.owner, world.a.project, note="twin"), id=entry.id)

    with store.unit_of_work() as uow:
        with pytest.raises(Conflict, match="already exists"):
            uow.entries.add(twin)
        with pytest.raises(Conflict, match="already exists"):
            uow.entries.add_many([build.entry(world.a.owner, world.a.project), twin])
        uow.commit()

    with store.unit_of_work(read_only=True) as uow:
        assert list(uow.entries.list(world.a.org.id, EntryQuery())) == [entry]


def test_a_token_prefix_is_taken_once_across_organizations(
    store: OpenStore, world: World, build: Build
) -> None:
    store.seed(build.token(world.a.member, prefix="pfxshared0001"))

    with pytest.raises(Conflict, match="prefix already exists"):
        store.seed(build.token(world.b.member, prefix="pfxshared0001"))


# One running timer per user.


def test_a_second_running_timer_of_a_user_is_refused_naming_the_first(
    store: OpenStore, world: World, build: Build
) -> None:
    first = build.running(world.a.member, world.a.project)
    store.seed(first)

    with pytest.raises(TimerAlreadyRunning) as refused, store.unit_of_work() as uow:
        uow.entries.add(build.running(world.a.member, world.a.project, started_at=T0 + timedelta(minutes=5)))

    assert refused.value.running_entry_id == str(first.id)


def test_timers_of_other_users_and_stopped_or_deleted_timers_do_not_count(
    store: OpenStore, world: World, build: Build
) -> None:
    stopped = build.entry(world.a.member, world.a.project, started_at=T0, stopped_at=T0 + timedelta(hours=1))
    deleted = build.running(world.a.member, world.a.project).deleted(T0 + timedelta(minutes=1))
    colleague = build.running(world.a.owner, world.a.project)
    namesake_elsewhere = build.running(world.b.member, world.b.project)
    store.seed(stopped, deleted, colleague, namesake_elsewhere)
    mine = build.running(world.a.member, world.a.project, started_at=T0 + timedelta(hours=2))

    store.seed(mine)

    with store.unit_of_work(read_only=True) as uow:
        assert uow.entries.running_for_user(world.a.org.id, world.a.member.id) == mine


def test_restoring_a_deleted_timer_while_another_runs_is_refused(
    store: OpenStore, world: World, build: Build
) -> None:
    deleted = build.running(world.a.member, world.a.project).deleted(T0 + timedelta(minutes=1))
    running = build.running(world.a.member, world.a.project, started_at=T0 + timedelta(minutes=2))
    store.seed(deleted, running)

    with pytest.raises(TimerAlreadyRunning) as refused, store.unit_of_work() as uow:
        uow.entries.update(
            deleted.restored(T0 + timedelta(minutes=3)), expected_updated_at=deleted.updated_at
        )

    assert refused.value.running_entry_id == str(running.id)


def test_a_batch_with_two_running_timers_of_one_user_is_refused(
    store: OpenStore, world: World, build: Build
) -> None:
    timers = [
        build.running(world.a.member, world.a.project, started_at=T0 + timedelta(minutes=n)) for n in (1, 2)
    ]

    with pytest.raises(Conflict, match="second running timer"), store.unit_of_work() as uow:
        uow.entries.add_many(timers)

    with store.unit_of_work(read_only=True) as uow:
        assert uow.entries.running_for_user(world.a.org.id, world.a.member.id) is None


def test_of_two_transactions_starting_a_timer_for_one_user_the_second_is_refused(
    store: OpenStore, world: World, build: Build
) -> None:
    first = build.running(world.a.member, world.a.project)
    second = build.running(world.a.member, world.a.project, started_at=T0 + timedelta(seconds=1))
    first_added, second_starting = threading.Event(), threading.Event()
    outcome: list[BaseException] = []

    def second_writer() -> None:
        assert first_added.wait(WAIT)
        second_starting.set()
        try:
            with store.unit_of_work() as uow:  # waits for the first (the lock, or the index entry)
                uow.entries.add(second)
                uow.commit()
        except TimerAlreadyRunning as error:
            outcome.append(error)

    thread = threading.Thread(target=second_writer)
    with store.unit_of_work() as uow:
        uow.entries.add(first)
        first_added.set()
        thread.start()
        assert second_starting.wait(WAIT)
        time.sleep(0.05)  # let the second writer reach its wait; the outcome is the same either way
        uow.commit()
    thread.join(WAIT)
    assert not thread.is_alive()

    assert [str(error) for error in outcome] == [str(TimerAlreadyRunning(str(first.id)))]
    with store.unit_of_work(read_only=True) as uow:
        assert uow.entries.running_for_user(world.a.org.id, world.a.member.id) == first


# Updates of what is not there change nothing.


def test_updating_an_organization_project_or_task_that_is_not_stored_changes_nothing(
    store: OpenStore, world: World, build: Build
) -> None:
    ghost_org = build.org("Ghost")
    foreign = attrs.evolve(
        world.a.project.revised(T0 + timedelta(hours=1), name="Hijacked"), org_id=world.b.org.id
    )
    foreign_task = attrs.evolve(
        world.a.task.revised(T0 + timedelta(hours=1), name="Hijacked"), org_id=world.b.org.id
    )

    with store.unit_of_work() as uow:
        uow.orgs.update(ghost_org)
        uow.projects.update(foreign)
        uow.tasks.update(foreign_task)
        uow.commit()

    with store.unit_of_work(read_only=True) as uow:
        assert uow.orgs.get(ghost_org.id) is None
        assert uow.projects.get(world.a.org.id, world.a.project.id) == world.a.project
        assert uow.projects.get(world.b.org.id, world.a.project.id) is None
        assert uow.tasks.get(world.a.org.id, world.a.task.id) == world.a.task


# Units of work end.


def test_repositories_refuse_use_after_their_block(store: OpenStore, build: Build) -> None:
    with store.unit_of_work() as uow:
        pass

    with pytest.raises(RuntimeError, match="ended"):
        uow.orgs.add(build.org())
    with pytest.raises(RuntimeError, match="ended"):
        uow.orgs.list()
