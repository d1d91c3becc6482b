"""Group commit in the SQLite store: writers that queue up share one COMMIT, and none is answered early."""

import pathlib
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import closing

import pytest

from hours_core.model import TimeEntry
from hours_sqlite import SqliteStore

from .conftest import Build, OpenStore, Tenant, make_tenant

WRITERS = 12


@pytest.fixture
def path(tmp_path: pathlib.Path) -> pathlib.Path:
    return tmp_path / "hours.db"


@pytest.fixture
def store(path: pathlib.Path) -> Iterator[SqliteStore]:
    with SqliteStore.open(path) as opened:
        opened.migrate()
        yield opened


@pytest.fixture
def tenant(store: SqliteStore, build: Build) -> Tenant:
    made = make_tenant(build, "Grouped")
    OpenStore("sqlite", store.unit_of_work).seed(
        made.org, made.owner, made.member, made.project, made.other_project, made.task
    )
    return made


def stored_ids(path: pathlib.Path) -> set[str]:
    """The entry ids another connection (another process, in effect) sees as committed."""
    with closing(sqlite3.connect(path)) as other:
        return {row[0] for row in other.execute("SELECT id FROM time_entries")}


def run_writers(
    store: SqliteStore, entries: list[TimeEntry], path: pathlib.Path, *, failing: set[int]
) -> dict:
    """One thread per entry, all released at once; writer ``n`` raises after adding if ``n in failing``.

    Each writer that commits checks, right after ``commit()`` returns, that another connection
    already sees its entry.
    """
    start = threading.Barrier(len(entries))
    outcome: dict[int, object] = {}

    def write(n: int) -> None:
        start.wait()
        try:
            with store.unit_of_work() as uow:
                uow.entries.add(entries[n])
                if n in failing:
                    raise ValueError(f"writer {n} fails")
                uow.commit()
            outcome[n] = str(entries[n].id) in stored_ids(path)
        except ValueError as error:
            outcome[n] = error

    threads = [threading.Thread(target=write, args=(n,)) for n in range(len(entries))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcome


def test_every_commit_of_concurrent_writers_is_visible_to_other_connections_when_it_returns(
    store: SqliteStore, tenant: Tenant, build: Build, path: pathlib.Path
) -> None:
    entries = [build.entry(tenant.owner, tenant.project) for _ in range(WRITERS)]
    outcome = run_writers(store, entries, path, failing=set())
    assert outcome == dict.fromkeys(range(WRITERS), True)
    assert stored_ids(path) == {str(entry.id) for entry in entries}


def test_a_writer_that_rolls_back_undoes_only_its_own_changes(
    store: SqliteStore, tenant: Tenant, build: Build, path: pathlib.Path
) -> None:
    entries = [build.entry(tenant.owner, tenant.project) for _ in range(WRITERS)]
    failing = set(range(1, WRITERS, 2))
    outcome = run_writers(store, entries, path, failing=failing)
    assert all(isinstance(outcome[n], ValueError) for n in failing)
    assert all(outcome[n] is True for n in range(WRITERS) if n not in failing)
    assert stored_ids(path) == {str(entries[n].id) for n in range(WRITERS) if n not in failing}


def test_statements_after_commit_run_in_a_new_transaction_that_rolls_back_alone(
    store: SqliteStore, tenant: Tenant, build: Build, path: pathlib.Path
) -> None:
    kept, dropped = build.entry(tenant.owner, tenant.project), build.entry(tenant.owner, tenant.project)
    with store.unit_of_work() as uow:
        uow.entries.add(kept)
        uow.commit()
        assert str(kept.id) in stored_ids(path)
        uow.entries.add(dropped)
    assert stored_ids(path) == {str(kept.id)}
    with store.unit_of_work() as uow:  # the writer is free again
        assert uow.entries.get(tenant.org.id, kept.id) == kept
