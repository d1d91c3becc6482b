"""Group commit in the SQLite store: writers that queue up share one COMMIT, and none is answered early."""

import pathlib
import sqlite3
import threading
import time
from collections.abc import Callable

import pytest

from hours_core.errors import StoreBusy
from hours_core.model import TimeEntry
from hours_sql import statements_for
from hours_sql.repositories import SqlTimeEntryRepository
from hours_sqlite import SqliteStore, connection
from hours_sqlite.dialect import SQLITE
from hours_sqlite.session import SqliteSession

from .conftest import Build, Tenant, stored_entry_ids

WRITERS = 12


def wait_until(condition: Callable[[], bool], seconds: float = 5.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.001)


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
            outcome[n] = str(entries[n].id) in stored_entry_ids(path)
        except ValueError as error:
            outcome[n] = error

    threads = [threading.Thread(target=write, args=(n,)) for n in range(len(entries))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcome


def test_every_commit_of_concurrent_writers_is_visible_to_other_connections_when_it_returns(
    sqlite_store: SqliteStore, sqlite_tenant: Tenant, build: Build, path: pathlib.Path
) -> None:
    entries = [build.entry(sqlite_tenant.owner, sqlite_tenant.project) for _ in range(WRITERS)]
    outcome = run_writers(sqlite_store, entries, path, failing=set())
    assert outcome == dict.fromkeys(range(WRITERS), True)
    assert stored_entry_ids(path) == {str(entry.id) for entry in entries}


def test_a_writer_that_rolls_back_undoes_only_its_own_changes(
    sqlite_store: SqliteStore, sqlite_tenant: Tenant, build: Build, path: pathlib.Path
) -> None:
    entries = [build.entry(sqlite_tenant.owner, sqlite_tenant.project) for _ in range(WRITERS)]
    failing = set(range(1, WRITERS, 2))
    outcome = run_writers(sqlite_store, entries, path, failing=failing)
    assert all(isinstance(outcome[n], ValueError) for n in failing)
    assert all(outcome[n] is True for n in range(WRITERS) if n not in failing)
    assert stored_entry_ids(path) == {str(entries[n].id) for n in range(WRITERS) if n not in failing}


def test_statements_after_commit_run_in_a_new_transaction_that_rolls_back_alone(
    sqlite_store: SqliteStore, sqlite_tenant: Tenant, build: Build, path: pathlib.Path
) -> None:
    kept, dropped = (
        build.entry(sqlite_tenant.owner, sqlite_tenant.project),
        build.entry(sqlite_tenant.owner, sqlite_tenant.project),
    )
    with sqlite_store.unit_of_work() as uow:
        uow.entries.add(kept)
        uow.commit()
        assert str(kept.id) in stored_entry_ids(path)
        uow.entries.add(dropped)
    assert stored_entry_ids(path) == {str(kept.id)}
    with sqlite_store.unit_of_work() as uow:  # the writer is free again
        assert uow.entries.get(sqlite_tenant.org.id, kept.id) == kept


# Queued writers share one COMMIT: counted on the writer connection (sqlite3's trace callback sees
# every statement it runs). The members' hand-off polls are slowed down so that no member, waiting
# for its group, commits it early: the count is then exact.


def run_queued_writers(store: SqliteStore, entries: list[TimeEntry]) -> list[str]:
    """Writer 0 holds the writer until all the others are queued for it; every writer adds one
    entry and commits. The COMMITs the writer connection ran, in order."""
    gate = store._writer
    statements: list[str] = []
    gate.db.conn.set_trace_callback(statements.append)
    holding = threading.Event()

    def write(n: int) -> None:
        if n:
            assert holding.wait(30)
        with store.unit_of_work() as uow:
            uow.entries.add(entries[n])
            if not n:
                holding.set()
                wait_until(lambda: gate._waiting == len(entries) - 1, seconds=60)
            uow.commit()

    threads = [threading.Thread(target=write, args=(n,)) for n in range(len(entries))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
        assert not thread.is_alive()
    gate.db.conn.set_trace_callback(None)
    return [statement for statement in statements if statement == "COMMIT"]


@pytest.fixture
def patient_members(monkeypatch: pytest.MonkeyPatch) -> None:
    """Members waiting for their group's COMMIT do not look for a stranded group meanwhile."""
    monkeypatch.setattr(connection, "_HANDOFF_CHECK_SECONDS", 30.0)


@pytest.mark.usefixtures("patient_members")
def test_writers_queued_behind_a_writer_share_its_single_commit(
    sqlite_store: SqliteStore, sqlite_tenant: Tenant, build: Build, path: pathlib.Path
) -> None:
    entries = [build.entry(sqlite_tenant.owner, sqlite_tenant.project) for _ in range(WRITERS)]

    commits = run_queued_writers(sqlite_store, entries)

    assert len(commits) == 1
    assert stored_entry_ids(path) == {str(entry.id) for entry in entries}


@pytest.mark.usefixtures("patient_members")
def test_a_group_takes_at_most_max_group_writers(
    sqlite_store: SqliteStore, sqlite_tenant: Tenant, build: Build, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(connection, "MAX_GROUP", 5)
    entries = [build.entry(sqlite_tenant.owner, sqlite_tenant.project) for _ in range(WRITERS)]

    commits = run_queued_writers(sqlite_store, entries)

    assert len(commits) == 3  # 12 writers: groups of 5, 5 and 2


# Regressions found in review: the group must never be left open without a writer to end it,
# and a group that SQLite rolled back by itself must never swallow the next writer's work.


def writer_session(store: SqliteStore) -> SqliteSession:
    gate = store._writer
    return SqliteSession(gate.db, writable=True, gate=gate)


def test_an_empty_group_is_not_left_open_when_the_next_writer_gives_up(
    path: pathlib.Path, sqlite_tenant: Tenant, build: Build, monkeypatch: pytest.MonkeyPatch
) -> None:
    with SqliteStore.open(path, busy_timeout_ms=200) as store:
        gate = store._writer
        count_waiting = gate._count_waiting
        gave_up = threading.Event()

        def slow_to_leave_the_queue(change: int) -> None:  # widens the window after a timed-out wait
            if change < 0 and threading.current_thread().name == "quitter":
                gave_up.set()
                time.sleep(0.2)
            count_waiting(change)

        monkeypatch.setattr(gate, "_count_waiting", slow_to_leave_the_queue)

        def failing_writer() -> None:
            session = writer_session(store)
            session.begin()
            session.write("DELETE FROM time_entries", ())
            gave_up.wait(5)
            session.rollback()

        def quitter() -> None:
            with pytest.raises(StoreBusy):
                writer_session(store).begin()

        first = threading.Thread(target=failing_writer)
        first.start()
        wait_until(gate._lock.locked)
        second = threading.Thread(target=quitter, name="quitter")
        second.start()
        first.join()
        second.join()

        assert not gate.db.conn.in_transaction
        other_process = sqlite3.connect(path, isolation_level=None, timeout=0.5)
        try:
            other_process.execute("BEGIN IMMEDIATE")  # the file's write lock is free
            other_process.execute("ROLLBACK")
        finally:
            other_process.close()


def test_after_sqlite_rolls_a_group_back_its_members_fail_and_the_next_writer_commits_alone(
    path: pathlib.Path, sqlite_tenant: Tenant, build: Build
) -> None:
    with SqliteStore.open(path) as store:
        gate = store._writer
        lost, joined, alone = (build.entry(sqlite_tenant.owner, sqlite_tenant.project) for _ in range(3))
        outcome: dict[str, object] = {}

        def member() -> None:  # keeps its entry in the group, then waits for the COMMIT
            session = writer_session(store)
            session.begin()
            SqlTimeEntryRepository(session, statements_for(SQLITE)).add(lost)
            wait_until(lambda: gate._waiting >= 1)
            try:
                session.commit()
                outcome["member"] = "committed"
            except RuntimeError as error:
                outcome["member"] = error

        def interrupted() -> None:  # joins the group; SQLite rolls the whole group back
            session = writer_session(store)
            session.begin()
            SqlTimeEntryRepository(session, statements_for(SQLITE)).add(joined)
            wait_until(lambda: gate._waiting >= 1)
            calls = iter(range(1_000_000))
            gate.db.conn.set_progress_handler(lambda: int(next(calls) > 2), 10)
            try:
                with pytest.raises(sqlite3.OperationalError, match="interrupted"):
                    session.write(  # an interrupted write rolls the whole transaction back
                        "UPDATE time_entries SET note = note WHERE (WITH RECURSIVE n(i) AS"
                        " (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000000) SELECT count(*) FROM n)",
                        (),
                    )
            finally:
                gate.db.conn.set_progress_handler(None, 0)
            session.rollback()

        def next_writer() -> None:
            session = writer_session(store)
            session.begin()
            outcome["in transaction"] = gate.db.conn.in_transaction
            SqlTimeEntryRepository(session, statements_for(SQLITE)).add(alone)
            session.commit()
            outcome["next writer"] = "committed"

        threads = [threading.Thread(target=target) for target in (member, interrupted, next_writer)]
        for thread in threads:
            thread.start()
            time.sleep(0.1)
        for thread in threads:
            thread.join()

        assert isinstance(outcome["member"], RuntimeError)
        assert outcome["in transaction"] is True and outcome["next writer"] == "committed"
        assert stored_entry_ids(path) == {str(alone.id)}
