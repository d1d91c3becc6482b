"""The SQLite writer queue: one thread runs queued writes in batches that share one COMMIT, and
answers none of them before that COMMIT is durable."""

import asyncio
import contextvars
import pathlib
import sqlite3
import threading
import time
import uuid
from collections.abc import Awaitable, Callable, Iterable
from contextlib import closing
from datetime import UTC, datetime

import attrs
import pytest

from hours_core.errors import StoreBusy, StoreFull
from hours_core.model import Org, OrgId, Plan, TimeEntry, WeekStart
from hours_core.services.transactions import Transactions
from hours_sqlite import SqliteStore, WriteQueue
from hours_sqlite.connection import WriteGroup, waiting_until

from .conftest import Build, OpenStore, Tenant, make_tenant, stored_entry_ids

WRITES = 20
WAIT_SECONDS = 60
"""How long a test's work waits for the test to let it go on (a guard against hangs, not a limit)."""


def adding(
    store: SqliteStore, entry: TimeEntry, path: pathlib.Path, *, fail: bool = False
) -> Callable[[], str]:
    """Work that adds ``entry`` in a write unit of work (and raises after adding, if ``fail``)."""

    def work() -> str:
        with store.unit_of_work() as uow:
            uow.entries.add(entry)
            if fail:
                raise ValueError(f"{entry.id} fails")
            uow.commit()
        return str(entry.id)

    return work


def commits_of(store: SqliteStore) -> list[str]:
    """The COMMITs the writer connection runs from now on (a list that grows)."""
    statements: list[str] = []
    store._writer.db.conn.set_trace_callback(statements.append)
    return statements


async def queue_all(queue: WriteQueue, works: list[Callable[[], str]], path: pathlib.Path) -> list[object]:
    """Queue every work at once; each answer, as it arrives, with whether another connection
    already sees the entry it names."""

    async def one(work: Callable[[], str]) -> object:
        try:
            entry_id = await queue.run(work)
        except (ValueError, RuntimeError) as error:
            return error
        return entry_id, entry_id in stored_entry_ids(path)

    return list(await asyncio.gather(*(one(work) for work in works)))


def test_queued_writes_share_commits_and_each_is_durable_when_answered(
    sqlite_store: SqliteStore, sqlite_tenant: Tenant, build: Build, path: pathlib.Path
) -> None:
    entries = [build.entry(sqlite_tenant.owner, sqlite_tenant.project) for _ in range(WRITES)]
    queue = sqlite_store.write_queue()
    commits = commits_of(sqlite_store)

    answers = asyncio.run(queue_all(queue, [adding(sqlite_store, e, path) for e in entries], path))

    assert answers == [(str(entry.id), True) for entry in entries]
    assert stored_entry_ids(path) == {str(entry.id) for entry in entries}
    assert 1 <= commits.count("COMMIT") == queue.batches < WRITES  # queued together, committed together


def test_a_write_that_fails_gets_its_own_error_and_undoes_only_its_own_changes(
    sqlite_store: SqliteStore, sqlite_tenant: Tenant, build: Build, path: pathlib.Path
) -> None:
    entries = [build.entry(sqlite_tenant.owner, sqlite_tenant.project) for _ in range(6)]
    failing = {1, 4}
    works = [adding(sqlite_store, e, path, fail=n in failing) for n, e in enumerate(entries)]

    answers = asyncio.run(queue_all(sqlite_store.write_queue(), works, path))

    for n, (entry, answer) in enumerate(zip(entries, answers, strict=True)):
        if n in failing:
            assert isinstance(answer, ValueError) and str(entry.id) in str(answer)
        else:
            assert answer == (str(entry.id), True)
    assert stored_entry_ids(path) == {str(e.id) for n, e in enumerate(entries) if n not in failing}


def test_the_queues_savepoints_journal_in_memory_and_other_writers_in_a_file(
    sqlite_store: SqliteStore, sqlite_tenant: Tenant, build: Build, path: pathlib.Path
) -> None:
    """A savepoint's journal (SQLite's sub-journal) outgrew its 64 KiB in memory with each create
    and went to a temporary file, a few system calls a page: the write queue's groups keep it in
    memory (``temp_store = MEMORY``), any other writer (an import, the CLI) in a file as before.
    A failing work still undoes only its own changes (the test above, and here)."""
    entries = [build.entry(sqlite_tenant.owner, sqlite_tenant.project) for _ in range(4)]
    conn = sqlite_store._writer.db.conn

    def adding_and_reading(entry: TimeEntry, *, fail: bool = False) -> Callable[[], int]:
        def work() -> int:
            with sqlite_store.unit_of_work() as uow:
                uow.entries.add(entry)
                temp_store = int(conn.execute("PRAGMA temp_store").fetchone()[0])
                if fail:
                    raise ValueError(f"{entry.id} fails")
                uow.commit()
            return temp_store

        return work

    async def queued(*works: Callable[[], int]) -> list[object]:
        queue = sqlite_store.write_queue()
        return list(await asyncio.gather(*(queue.run(work) for work in works), return_exceptions=True))

    first, failed = asyncio.run(
        queued(adding_and_reading(entries[0]), adding_and_reading(entries[1], fail=True))
    )
    assert first == 2  # MEMORY
    assert isinstance(failed, ValueError)
    assert adding_and_reading(entries[2])() == 0  # this thread's write: DEFAULT, a file
    assert asyncio.run(queued(adding_and_reading(entries[3]))) == [2]  # and the queue's again
    assert stored_entry_ids(path) == {str(entries[n].id) for n in (0, 2, 3)}


def test_a_batch_whose_last_work_writes_nothing_is_still_committed(
    sqlite_store: SqliteStore, sqlite_tenant: Tenant, build: Build, path: pathlib.Path
) -> None:
    entries = [build.entry(sqlite_tenant.owner, sqlite_tenant.project) for _ in range(3)]
    works: list[Callable[[], str]] = [adding(sqlite_store, e, path) for e in entries]
    works.append(lambda: "nothing written")

    answers = asyncio.run(queue_all(sqlite_store.write_queue(), works, path))

    assert answers[:3] == [(str(entry.id), True) for entry in entries]
    assert answers[3] == ("nothing written", False)
    assert not sqlite_store._writer.db.conn.in_transaction  # no group left open


def test_when_the_commit_fails_every_write_of_the_group_gets_the_error(
    sqlite_store: SqliteStore, sqlite_tenant: Tenant, build: Build, path: pathlib.Path
) -> None:
    entries = [build.entry(sqlite_tenant.owner, sqlite_tenant.project) for _ in range(4)]
    gate = sqlite_store._writer
    real_finish = gate._finish

    def failing_commit(group: object) -> None:  # SQLite rolls the group back before its COMMIT
        gate.db.conn.execute("ROLLBACK")
        real_finish(group)  # type: ignore[arg-type]

    gate._finish = failing_commit  # type: ignore[method-assign]
    try:
        answers = asyncio.run(
            queue_all(sqlite_store.write_queue(), [adding(sqlite_store, e, path) for e in entries], path)
        )
    finally:
        del gate._finish

    assert all(isinstance(answer, RuntimeError) for answer in answers), answers
    assert stored_entry_ids(path) == set()
    assert asyncio.run(
        queue_all(sqlite_store.write_queue(), [adding(sqlite_store, entries[0], path)], path)
    ) == [(str(entries[0].id), True)]  # the next batch commits as usual


def test_work_runs_in_the_context_of_the_request_that_queued_it(sqlite_store: SqliteStore) -> None:
    request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id")

    async def queue_in_context(name: str) -> tuple[str, str]:
        request_id.set(name)
        seen = await sqlite_store.write_queue().run(request_id.get)
        return name, seen

    async def main() -> list[tuple[str, str]]:
        return list(await asyncio.gather(*(queue_in_context(f"r{n}") for n in range(5))))

    assert all(name == seen for name, seen in asyncio.run(main()))


def test_a_cancelled_request_does_not_stop_the_writer(
    sqlite_store: SqliteStore, sqlite_tenant: Tenant, build: Build, path: pathlib.Path
) -> None:
    first, second = (build.entry(sqlite_tenant.owner, sqlite_tenant.project) for _ in range(2))
    queue = sqlite_store.write_queue()
    running = threading.Event()
    go_on = threading.Event()

    def slow() -> str:
        running.set()
        assert go_on.wait(10)
        return adding(sqlite_store, first, path)()

    async def main() -> object:
        task = asyncio.ensure_future(queue.run(slow))
        await asyncio.to_thread(running.wait, 10)
        task.cancel()  # the client went away while its write ran
        go_on.set()
        return await queue.run(adding(sqlite_store, second, path))

    assert asyncio.run(main()) == str(second.id)
    assert stored_entry_ids(path) == {str(first.id), str(second.id)}  # the cancelled write still ran


def test_closing_the_store_runs_what_was_queued_then_refuses_new_work(
    path: pathlib.Path, build: Build
) -> None:
    tenant = make_tenant(build, "Closing")
    store = SqliteStore.open(path)
    store.migrate()
    OpenStore("sqlite", store.unit_of_work).seed(
        tenant.org, tenant.owner, tenant.member, tenant.project, tenant.other_project, tenant.task
    )
    entry = build.entry(tenant.owner, tenant.project)
    queue = store.write_queue()

    async def main() -> str:
        return await queue.run(adding(store, entry, path))

    assert asyncio.run(main()) == str(entry.id)
    store.close()
    with pytest.raises(RuntimeError, match="closed"):
        asyncio.run(main())
    assert stored_entry_ids(path) == {str(entry.id)}


def test_a_batch_holds_at_least_one_work() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        WriteQueue(gate=None, max_batch=0)  # type: ignore[arg-type]


def test_commit_hooks_run_again_once_the_batch_is_durable(
    sqlite_store: SqliteStore, sqlite_tenant: Tenant, path: pathlib.Path
) -> None:
    """The authentication cache forgets at commit() and again after the batch's COMMIT: a caller
    read and cached in between (from the rows still committed then) does not outlive the change."""
    transactions = Transactions(sqlite_store.unit_of_work)
    renamed = attrs.evolve(sqlite_tenant.org, name="Renamed")
    calls: list[bool] = []

    def visible_elsewhere() -> bool:
        with closing(sqlite3.connect(path)) as other:
            return other.execute("SELECT name FROM orgs WHERE name = 'Renamed'").fetchone() is not None

    transactions.on_identity_change(lambda: calls.append(visible_elsewhere()))

    def rename() -> None:
        with transactions.write() as uow:
            uow.orgs.update(renamed)

    async def main() -> None:
        await asyncio.gather(*(sqlite_store.write_queue().run(rename) for _ in range(3)))

    asyncio.run(main())

    assert calls.count(True) >= 3  # each rename's hooks ran once its commit was durable
    assert calls[-1] is True


def durable_adding(
    transactions: Transactions, entry: TimeEntry, path: pathlib.Path, seen: list[tuple[str, bool]]
) -> Callable[[], str]:
    """Work that adds ``entry`` and asks to note, once durable, whether another connection sees it."""

    def work() -> str:
        with transactions.write() as uow:
            uow.entries.add(entry)
            transactions.when_durable(
                lambda: seen.append((str(entry.id), str(entry.id) in stored_entry_ids(path)))
            )
        return str(entry.id)

    return work


def test_durable_callbacks_run_once_the_batch_is_durable_and_before_the_answer(
    sqlite_store: SqliteStore, sqlite_tenant: Tenant, build: Build, path: pathlib.Path
) -> None:
    """The replay memory keeps a record only once its COMMIT is durable: a callback of
    ``when_durable`` runs after the batch's COMMIT (another connection sees the row), once, and
    before the request that queued the work is answered."""
    transactions = Transactions(sqlite_store.unit_of_work)
    entries = [build.entry(sqlite_tenant.owner, sqlite_tenant.project) for _ in range(WRITES)]
    seen: list[tuple[str, bool]] = []

    async def one(entry: TimeEntry) -> bool:
        entry_id = await sqlite_store.write_queue().run(durable_adding(transactions, entry, path, seen))
        return (entry_id, True) in seen

    answered_after = asyncio.run(_gather(one(entry) for entry in entries))

    assert all(answered_after)
    assert sorted(seen) == sorted((str(entry.id), True) for entry in entries)


def test_durable_callbacks_never_run_for_a_failed_work_or_a_failed_commit(
    sqlite_store: SqliteStore, sqlite_tenant: Tenant, build: Build, path: pathlib.Path
) -> None:
    transactions = Transactions(sqlite_store.unit_of_work)
    seen: list[tuple[str, bool]] = []
    failing_entry = build.entry(sqlite_tenant.owner, sqlite_tenant.project)

    def failing() -> str:
        with transactions.write() as uow:
            uow.entries.add(failing_entry)
            transactions.when_durable(lambda: seen.append(("failed work", False)))
            raise ValueError("fails")

    gate = sqlite_store._writer
    real_finish = gate._finish

    def failing_commit(group: object) -> None:
        gate.db.conn.execute("ROLLBACK")
        real_finish(group)  # type: ignore[arg-type]

    async def main() -> list[object]:
        queue = sqlite_store.write_queue()
        with pytest.raises(ValueError, match="fails"):
            await queue.run(failing)
        gate._finish = failing_commit  # type: ignore[method-assign]
        try:
            entry = build.entry(sqlite_tenant.owner, sqlite_tenant.project)
            return list(
                await asyncio.gather(
                    queue.run(durable_adding(transactions, entry, path, seen)), return_exceptions=True
                )
            )
        finally:
            del gate._finish

    answers = asyncio.run(main())

    assert isinstance(answers[0], RuntimeError)
    assert seen == []


async def _gather(awaitables: Iterable[Awaitable[bool]]) -> list[bool]:
    return list(await asyncio.gather(*awaitables))


def test_a_work_that_raises_stop_iteration_gets_an_error_and_the_batch_is_answered(
    sqlite_store: SqliteStore, sqlite_tenant: Tenant, build: Build, path: pathlib.Path
) -> None:
    """asyncio refuses StopIteration as a future's exception: the writer hands over a RuntimeError
    instead, and every other work of the batch still gets its answer."""
    entries = [build.entry(sqlite_tenant.owner, sqlite_tenant.project) for _ in range(3)]

    def finds_nothing() -> str:
        return next(iter([]))

    works: list[Callable[[], str]] = [adding(sqlite_store, entries[0], path), finds_nothing]
    works += [adding(sqlite_store, entry, path) for entry in entries[1:]]

    answers = asyncio.run(queue_all(sqlite_store.write_queue(), works, path))

    assert isinstance(answers[1], RuntimeError) and "StopIteration" in str(answers[1])
    assert [answers[0], *answers[2:]] == [(str(entry.id), True) for entry in entries]


def test_a_groups_hooks_run_when_it_ends_before_its_members_wake_and_at_once_after() -> None:
    group = WriteGroup()
    seen: list[str] = []
    group.after_end([lambda: seen.append(f"first, members woken: {group.done.is_set()}")])

    group._end()
    group.after_end([lambda: seen.append("late")])

    assert seen == ["first, members woken: False", "late"]
    assert group.done.is_set()


# A write waits for the writer at most the busy timeout (black-box round 5: during the undo of a
# 100,000-row import, other organizations' writes queued behind it for 27 s, without the documented 503).


def test_a_work_still_queued_when_the_busy_timeout_runs_out_is_withdrawn_as_busy(
    tmp_path: pathlib.Path,
) -> None:
    ran: list[str] = []
    started, release = threading.Event(), threading.Event()

    def long_write() -> str:
        ran.append("long")
        started.set()
        release.wait(60)
        return "long"

    def behind() -> str:
        ran.append("behind")
        return "behind"

    async def scenario() -> tuple[object, list[str]]:
        with SqliteStore.open(tmp_path / "hours.db", busy_timeout_ms=200) as store:
            queue = store.write_queue()
            first = asyncio.ensure_future(queue.run(long_write))
            assert await asyncio.to_thread(started.wait, 30)  # the writer thread is in the long write
            try:
                with pytest.raises(StoreBusy):
                    await queue.run(behind)  # answered while the long write still runs
                assert not release.is_set()
            finally:
                release.set()
            return await first, ran.copy()

    result, order = asyncio.run(scenario())
    assert result == "long"
    assert order == ["long"]  # the withdrawn work never ran: its request may be retried as it is


def test_a_work_waiting_in_the_writers_batch_is_withdrawn_too_and_answered_at_once(
    tmp_path: pathlib.Path,
) -> None:
    """Works taken into the writer's batch behind a long work (the undo of a large import) are not
    started yet: they are withdrawn like queued ones, while the long work still runs, and never run,
    though they would have succeeded. (Review of round 5: they waited for the whole batch, then got
    the 503.)"""
    ran: list[str] = []
    blocking, unblock = threading.Event(), threading.Event()
    release = threading.Event()

    def blocker() -> str:
        blocking.set()
        unblock.wait(60)
        return "blocker"

    def long_write() -> str:
        ran.append("long")
        return "long" if release.wait(30) else "never released: the works behind it were not answered"

    def quick(name: str) -> Callable[[], str]:
        def run() -> str:
            ran.append(name)
            return name

        return run

    async def scenario() -> tuple[list[object], object]:
        with SqliteStore.open(tmp_path / "hours.db", busy_timeout_ms=200) as store:
            queue = store.write_queue()
            first = asyncio.ensure_future(queue.run(blocker))
            assert await asyncio.to_thread(blocking.wait, 30)
            # Queued together while the writer is busy: the writer's next batch takes all three.
            long = asyncio.ensure_future(queue.run(long_write))
            behind = [asyncio.ensure_future(queue.run(quick(name))) for name in ("a", "b")]
            await asyncio.sleep(0)
            unblock.set()
            assert await first == "blocker"
            try:
                answers = list(await asyncio.gather(*behind, return_exceptions=True))
                assert not release.is_set() and ran == ["long"]  # answered while the long work ran
            finally:
                release.set()
            return answers, await long

    answers, long_result = asyncio.run(scenario())
    assert all(isinstance(answer, StoreBusy) for answer in answers), answers
    assert long_result == "long"
    assert ran == ["long"]


def test_a_busy_timeout_of_zero_withdraws_nothing(tmp_path: pathlib.Path) -> None:
    async def scenario() -> list[int]:
        with SqliteStore.open(tmp_path / "hours.db", busy_timeout_ms=0) as store:
            queue = store.write_queue()
            return list(await asyncio.gather(*(queue.run(lambda n=n: n) for n in range(5))))

    assert asyncio.run(scenario()) == [0, 1, 2, 3, 4]


def test_a_started_work_waits_for_the_writer_only_until_its_deadline(tmp_path: pathlib.Path) -> None:
    """A work the writer started has waited in the queue already: it waits for the gate only what
    is left of the busy timeout (black-box round 5, re-check: behind an import a request waited 10
    to 14 s, 5 s in the queue and 5 s more at the gate)."""
    holding, release = threading.Event(), threading.Event()

    def hold_the_writer() -> None:
        with store.unit_of_work():
            holding.set()
            release.wait(60)

    # A busy timeout far longer than the holder holds: without the deadline the wait would outlast
    # the holder and then succeed; with it, it gives up at once.
    with SqliteStore.open(tmp_path / "hours.db", busy_timeout_ms=600_000) as store:
        holder = threading.Thread(target=hold_the_writer)
        holder.start()
        assert holding.wait(10)
        try:
            with waiting_until(time.monotonic()), pytest.raises(StoreBusy):  # no time left
                store.unit_of_work().__enter__()
        finally:
            release.set()
            holder.join(60)
        with waiting_until(time.monotonic() + 30), store.unit_of_work() as uow:  # time left: it waits
            uow.commit()


def test_a_writer_of_another_thread_commits_the_queues_group_before_it_begins(tmp_path: pathlib.Path) -> None:
    """The write queue's thread leaves its group open for the next writer. A writer of another thread
    (an import, a CLI command) that takes the writer then does not join it: it commits that group
    first, so the queue's works are answered at once, not when the long writer ends (black-box round
    5, re-check: a request answered 201 after 13.9 s, the import's time)."""
    queued, long = make_org("Queued"), make_org("Long")
    left_open, finish = threading.Event(), threading.Event()
    groups: list[WriteGroup] = []

    def queue_thread() -> None:  # what the write queue's thread does, step by step
        gate = store._writer
        gate.serve_batches()
        try:
            gate.expect_more(True)  # more works follow in this batch: the group stays open
            with store.unit_of_work() as uow:
                uow.orgs.add(queued)
                uow.commit()
            groups.extend(gate.take_deferred())
            left_open.set()
            finish.wait(30)
            gate.expect_more(False)
            gate.settle()
        finally:
            gate.stop_serving_batches()

    with SqliteStore.open(tmp_path / "hours.db", busy_timeout_ms=30_000) as store:
        store.migrate()
        writer = threading.Thread(target=queue_thread)
        writer.start()
        try:
            assert left_open.wait(30)
            (group,) = groups
            assert not group.done.is_set()  # open, waiting for the batch's next work
            with store.unit_of_work() as uow:  # another thread takes the writer
                assert group.done.is_set() and group.error is None  # the queue's group is committed
                assert org_names(store.path) == ["Queued"]  # durable, seen by another connection
                uow.orgs.add(long)
                uow.commit()
        finally:
            finish.set()
            writer.join(30)
        assert org_names(store.path) == ["Long", "Queued"]


def org_names(path: pathlib.Path) -> list[str]:
    with closing(sqlite3.connect(path)) as conn:
        return sorted(name for (name,) in conn.execute("SELECT name FROM orgs"))


def make_org(name: str) -> Org:
    return Org(
        OrgId(uuid.uuid4()), name, Plan.FREE, "UTC", WeekStart.MONDAY, datetime(2026, 3, 2, tzinfo=UTC)
    )


def test_a_work_that_failed_outside_any_group_is_answered_before_its_batch_ends(
    tmp_path: pathlib.Path,
) -> None:
    """A work that failed and took part in no group (it waited for the writer in vain) is answered at
    once, not when the rest of its batch is done (black-box round 5, re-check: works that each waited
    out their deadline behind an import were answered together, with the last, 7 to 8 s late)."""
    blocking, unblock, answered = threading.Event(), threading.Event(), threading.Event()

    def blocker() -> str:
        blocking.set()
        unblock.wait(30)
        return "blocker"

    def fails() -> str:
        raise ValueError("refused before it wrote anything")

    def next_in_batch() -> str:
        return "after" if answered.wait(30) else "the failed work was not answered before this one ended"

    async def scenario() -> object:
        with SqliteStore.open(tmp_path / "hours.db") as store:
            queue = store.write_queue()
            first = asyncio.ensure_future(queue.run(blocker))
            assert await asyncio.to_thread(blocking.wait, 30)
            failing = asyncio.ensure_future(queue.run(fails))  # both join the writer's next batch
            later = asyncio.ensure_future(queue.run(next_in_batch))
            await asyncio.sleep(0)
            unblock.set()
            assert await first == "blocker"
            with pytest.raises(ValueError, match="refused"):
                await failing
            answered.set()
            return await later

    assert asyncio.run(scenario()) == "after"


def test_a_deadline_also_bounds_the_wait_for_another_processs_lock_of_the_file(
    tmp_path: pathlib.Path,
) -> None:
    """Another store of the file (as another process: its own gate) holds SQLite's write lock; a
    writer with no time left gives up at once (SQLite's busy timeout shortened for that BEGIN), where
    its own busy timeout would have outlasted the holder and then succeeded."""
    holding, release = threading.Event(), threading.Event()

    def hold_the_file() -> None:
        with SqliteStore.open(tmp_path / "hours.db") as other, other.unit_of_work() as uow:
            uow.orgs.add(make_org("Holder"))  # BEGIN IMMEDIATE: the file's write lock
            holding.set()
            release.wait(60)

    with SqliteStore.open(tmp_path / "hours.db", busy_timeout_ms=600_000) as store:
        store.migrate()
        holder = threading.Thread(target=hold_the_file)
        holder.start()
        try:
            assert holding.wait(30)
            with waiting_until(time.monotonic()), pytest.raises(StoreBusy), store.unit_of_work() as uow:
                uow.orgs.add(make_org("Late"))
        finally:
            release.set()
            holder.join(60)
        with store.unit_of_work() as uow:  # the busy timeout is the store's again afterwards
            uow.orgs.add(make_org("After"))
            uow.commit()
        assert org_names(store.path) == ["After"]


def test_a_full_disk_answers_store_full_to_every_write_its_rollback_undid_and_the_next_go_on(
    sqlite_store: SqliteStore, sqlite_tenant: Tenant, build: Build, path: pathlib.Path
) -> None:
    """SQLite rolls the whole group back when a write finds the disk full (SQLITE_FULL). The writes
    kept in the group before it are lost with it: each is answered StoreFull, as the full one is
    (nothing was stored, a retry can go through), where they got a RuntimeError (a 500)."""
    entries = [build.entry(sqlite_tenant.owner, sqlite_tenant.project) for _ in range(5)]
    big = [
        attrs.evolve(build.entry(sqlite_tenant.owner, sqlite_tenant.project), note="x" * 4000)
        for _ in range(200)
    ]  # more than the file's free pages hold
    conn = sqlite_store._writer.db.conn

    def filling_the_disk() -> str:
        (pages,) = conn.execute("PRAGMA page_count").fetchone()
        conn.execute(f"PRAGMA max_page_count = {pages:d}")  # not one page more: the disk is full
        try:
            with sqlite_store.unit_of_work() as uow:
                for entry in big:
                    uow.entries.add(entry)
                uow.commit()
        finally:
            conn.execute(f"PRAGMA max_page_count = {2**31:d}")
        return "stored"

    released = threading.Event()

    def first() -> str:  # holds the writer until every other work is queued: they run as one batch
        released.wait(WAIT_SECONDS)
        return adding(sqlite_store, entries[0], path)()

    works = [first, adding(sqlite_store, entries[1], path), filling_the_disk]
    works += [adding(sqlite_store, e, path) for e in entries[2:]]

    async def answers() -> list[object]:
        queue = sqlite_store.write_queue()
        running = [asyncio.ensure_future(queue.run(work)) for work in works]
        await asyncio.sleep(0.2)
        released.set()
        return list(await asyncio.gather(*running, return_exceptions=True))

    answered = asyncio.run(answers())

    assert isinstance(answered[2], StoreFull), answered
    ids = [str(entry.id) for entry in entries]
    for entry_id, answer in zip([ids[0], ids[1], None, *ids[2:]], answered, strict=True):
        assert answer == entry_id or isinstance(answer, StoreFull), answered  # never a RuntimeError
    stored = {answer for answer in answered if isinstance(answer, str)}
    assert stored_entry_ids(path) == stored  # each write answered StoreFull stored nothing
    assert set(ids[2:]) <= stored  # the writes after it went on


def test_a_keyed_write_writes_its_idempotency_record_once(
    sqlite_store: SqliteStore, sqlite_tenant: Tenant, build: Build
) -> None:
    """SQLite runs one write transaction at a time, so a claim is a read and the record is written
    once, completed, where a claim's insert would be overwritten by the completion."""
    claim = build.record(sqlite_tenant.member)
    statements: list[str] = []
    sqlite_store._writer.db.conn.set_trace_callback(statements.append)

    with sqlite_store.unit_of_work() as uow:
        assert uow.idempotency.claim(claim) is None
        uow.idempotency.complete(claim.completed(b"{}", claim.created_at))
        uow.commit()

    writes = [s for s in statements if "idempotency_records" in s and not s.startswith("SELECT")]
    assert len(writes) == 1, writes
