"""The contract of ``UnitOfWork.savepoint``, for every store: a failed scope is undone alone."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from hours_core.errors import Conflict, TimerAlreadyRunning
from hours_core.events import EventQuery
from hours_core.ports import EntryQuery, UnitOfWork
from hours_sql.events import SPILL_AT

from .conftest import Build, OpenStore, World
from .test_events import new_event
from .test_units_of_work import Boom


def entry_ids(store: OpenStore, world: World) -> set[object]:
    with store.unit_of_work(read_only=True) as uow:
        return {entry.id for entry in uow.entries.list(world.a.org.id, EntryQuery(limit=100))}


def event_count(store: OpenStore, world: World) -> int:
    with store.unit_of_work(read_only=True) as uow:
        return len(uow.events.list(world.a.org.id, EventQuery(limit=100)))


def fail_in_scope(uow: UnitOfWork, *steps: Callable[[], object], error: type[Exception] = Boom) -> None:
    """Run ``steps`` in a savepoint, then raise :class:`Boom` there (if no step raised first); expect ``error``."""

    def run() -> None:
        with uow.savepoint():
            for step in steps:
                step()
            raise Boom

    with pytest.raises(error):
        run()


def test_a_scope_that_raises_is_undone_and_the_rest_commits(
    store: OpenStore, world: World, build: Build
) -> None:
    kept, undone, after = (build.entry(world.a.member, world.a.project) for _ in range(3))
    with store.unit_of_work() as uow:
        uow.entries.add(kept)
        uow.events.append(new_event(world.a.org.id))
        fail_in_scope(
            uow, lambda: uow.entries.add(undone), lambda: uow.events.append(new_event(world.a.org.id))
        )
        uow.entries.add(after)
        uow.commit()
    assert entry_ids(store, world) == {kept.id, after.id}
    assert event_count(store, world) == 1


def test_a_scope_that_ends_normally_keeps_its_writes_and_events(
    store: OpenStore, world: World, build: Build
) -> None:
    entry = build.entry(world.a.member, world.a.project)
    with store.unit_of_work() as uow:
        with uow.savepoint():
            uow.entries.add(entry)
            uow.events.append(new_event(world.a.org.id))
        uow.commit()
    assert entry_ids(store, world) == {entry.id}
    assert event_count(store, world) == 1


def test_a_write_the_store_refuses_inside_a_scope_leaves_the_transaction_usable(
    store: OpenStore, world: World, build: Build
) -> None:
    """On PostgreSQL the refused write's own savepoint nests in the scope's; either way the unit of
    work goes on after the scope is undone."""
    first = build.entry(world.a.member, world.a.project)
    timer, second_timer = (
        build.running(world.a.member, world.a.project),
        build.running(world.a.member, world.a.project),
    )
    later = build.entry(world.a.owner, world.a.project)
    with store.unit_of_work() as uow:
        uow.entries.add(timer)
        fail_in_scope(
            uow,
            lambda: uow.entries.add(first),
            lambda: uow.entries.add(second_timer),
            error=TimerAlreadyRunning,
        )
        fail_in_scope(uow, lambda: uow.entries.add(timer), error=Conflict)  # its id is taken
        uow.entries.add(later)
        uow.commit()
    assert entry_ids(store, world) == {timer.id, later.id}


def test_scopes_nest(store: OpenStore, world: World, build: Build) -> None:
    outer, inner = build.entry(world.a.member, world.a.project), build.entry(world.a.member, world.a.project)
    with store.unit_of_work() as uow:
        with uow.savepoint():
            uow.entries.add(outer)
            fail_in_scope(uow, lambda: uow.entries.add(inner))

        def nested() -> None:
            with uow.savepoint():
                uow.entries.add(inner)

        fail_in_scope(uow, nested)
        uow.commit()
    assert entry_ids(store, world) == {outer.id}


def test_an_undone_scope_then_a_rollback_stores_nothing(store: OpenStore, world: World, build: Build) -> None:
    entry = build.entry(world.a.member, world.a.project)
    with store.unit_of_work() as uow:
        with uow.savepoint():
            uow.entries.add(entry)
        fail_in_scope(uow)
    assert entry_ids(store, world) == set()
    assert event_count(store, world) == 0


def test_a_read_only_unit_of_work_has_no_savepoints(store: OpenStore) -> None:
    with store.unit_of_work(read_only=True) as uow, pytest.raises(RuntimeError), uow.savepoint():
        pass


def test_events_spilled_inside_an_undone_scope_are_undone_and_earlier_ones_kept(
    store: OpenStore, world: World
) -> None:
    """Past ``SPILL_AT`` collected events the SQL stores write them out before the commit: a scope
    that spills and is undone takes its own back, and keeps those collected before it."""
    with store.unit_of_work() as uow:
        uow.events.append(new_event(world.a.org.id))
        fail_in_scope(uow, *(lambda: uow.events.append(new_event(world.a.org.id)) for _ in range(SPILL_AT)))
        uow.events.append(new_event(world.a.org.id))
        uow.commit()
    assert event_count(store, world) == 2
