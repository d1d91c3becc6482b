"""Writers of several entries, raced over the same entries in opposite orders, through the use cases.

On PostgreSQL writers run side by side, and each holds the rows it wrote until it commits. An invoice
writes its entries in id order; an atomic batch used to write them in the order of its operations,
so an invoice and a batch of the same entries in the other order each held a row the other was
waiting for, and PostgreSQL broke the deadlock after its ``deadlock_timeout`` by failing one of them
(503 ``store_busy``). Now every writer of several entries takes their rows in id order before it
writes the first one (docs/store.md, "The order of locks").

The deterministic tests stop the first writer right after it first locks entry rows, start the
second, wait until PostgreSQL reports the second blocked by the first, and let the first go on: the
interleaving that deadlocked, every time. The round tests race the same pair many times, on SQLite
too, where one writer runs at a time.
"""

from __future__ import annotations

import pathlib
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import date, timedelta
from typing import Any

import psycopg
import pytest

from hours_core.errors import BatchFailed, EntryLocked, StaleUpdate, StoreBusy, ValidationFailed
from hours_core.invoices import Invoice, totals_of
from hours_core.model import RateScope, TimeEntry, TimeEntryId
from hours_core.ports import UnitOfWorkFactory
from hours_core.services import (
    Applied,
    CreateInvoice,
    CreateRate,
    CreateTimeEntry,
    CreateTimesheet,
    Outcome,
    ReapplyRates,
    UpdateOperation,
    UpdateTimeEntry,
)
from hours_sql.repositories import SqlTimeEntryRepository
from hours_sql.timesheet_repositories import SqlTimesheetRepository
from hours_sqlite import SqliteStore
from tests.contract.test_state_change_races import at_once
from tests.polling import eventually
from tests.postgres_support import empty_postgres_store
from tests.postgres_url import require_postgres
from tests.world import World, make_world

ENTRIES = 12
ROUNDS = 15
GUARD_SECONDS = 120
"""How long a test waits for a thread before it gives up (a guard against hangs, not a timing)."""
DAY = date(2026, 3, 2)


@pytest.fixture
def world() -> Iterator[World]:
    with empty_postgres_store() as unit_of_work:
        yield make_world(unit_of_work)


@contextmanager
def _sqlite(directory: pathlib.Path) -> Iterator[UnitOfWorkFactory]:
    store = SqliteStore.open(directory / "hours.db")
    store.migrate()
    try:
        yield store.unit_of_work
    finally:
        store.close()


_STORES: dict[str, Callable[[pathlib.Path], AbstractContextManager[UnitOfWorkFactory]]] = {
    "sqlite": _sqlite,
    "postgres": lambda _: empty_postgres_store(),
}


@pytest.fixture(params=[pytest.param("sqlite"), pytest.param("postgres", marks=pytest.mark.postgres)])
def any_world(request: pytest.FixtureRequest, tmp_path: pathlib.Path) -> Iterator[World]:
    with _STORES[request.param](tmp_path) as unit_of_work:
        yield make_world(unit_of_work)


def new_entries(world: World, count: int = ENTRIES, *, days: Iterable[date] | None = None) -> list[TimeEntry]:
    """``count`` new entries of the owner, in id order (on ``days``, one each, if given)."""
    owner = world.caller(world.owner)
    dates = list(days) if days is not None else [DAY] * count
    made = [
        world.services.entries.create_time_entry(
            owner, CreateTimeEntry(project_id=world.project.id, entry_date=day, duration_seconds=3600)
        )
        for day in dates
    ]
    assert made == sorted(made, key=lambda entry: entry.id)
    return made


def invoice_of(world: World, ids: list[TimeEntryId]) -> Callable[[], Any]:
    owner = world.caller(world.owner)
    return lambda: world.services.invoices.create_invoice(owner, CreateInvoice("INV-1", ids))


def batch_of(world: World, ids: list[TimeEntryId]) -> Callable[[], Any]:
    """An atomic batch that changes the note of each entry of ``ids``, in that order."""
    owner = world.caller(world.owner)
    operations = [UpdateOperation(entry_id, UpdateTimeEntry(note="edited")) for entry_id in ids]
    return lambda: world.services.batches.run_batch(owner, operations, atomic=True)


class StopAfterCall:
    """Stops the thread named ``thread_name`` right after its first call of a method that
    :meth:`install` patches (and that locks, where it says), holding its transaction open, until
    :meth:`release`. ``what`` says what the thread failed to do when it is never stopped."""

    what = "made no call it stops after"

    def __init__(self, thread_name: str = "first") -> None:
        self.thread_name = thread_name
        self.reached = threading.Event()
        self._released = threading.Event()
        self._stopped = False
        self.backend_pid: int | None = None

    def install(self, monkeypatch: pytest.MonkeyPatch) -> None:
        raise NotImplementedError

    def _after(
        self, monkeypatch: pytest.MonkeyPatch, cls: type, name: str, locks: Callable[[dict[str, Any]], Any]
    ) -> None:
        method = getattr(cls, name)

        def stopping(repository: Any, *args: Any, **kwargs: Any) -> Any:
            result = method(repository, *args, **kwargs)
            if locks(kwargs):
                self._stop(repository)
            return result

        monkeypatch.setattr(cls, name, stopping)

    def _stop(self, repository: Any) -> None:
        if threading.current_thread().name != self.thread_name or self._stopped:
            return
        self._stopped = True
        [(pid,)] = repository._session.rows("SELECT pg_backend_pid()")
        self.backend_pid = pid
        self.reached.set()
        assert self._released.wait(GUARD_SECONDS)

    def release(self) -> None:
        self._released.set()


class FirstLock(StopAfterCall):
    """Stops the thread named ``thread_name`` right after it first locks rows of entries (a locking
    read of several, or a write of one), or, with ``timesheets``, rows of timesheets (a read that
    locks what covers a day), holding what it locked, until :meth:`release`."""

    what = "locked no entry"

    def __init__(self, thread_name: str, *, timesheets: bool = False) -> None:
        super().__init__(thread_name)
        self.timesheets = timesheets

    def install(self, monkeypatch: pytest.MonkeyPatch) -> None:
        if self.timesheets:
            self._after(monkeypatch, SqlTimesheetRepository, "covering", lambda _: True)
        else:
            self._after(monkeypatch, SqlTimeEntryRepository, "update", lambda _: True)
            self._after(monkeypatch, SqlTimeEntryRepository, "get_many", lambda kwargs: kwargs.get("lock"))


def blocks_someone(pid: int) -> bool:
    """Whether another session of the server waits for a lock that the session ``pid`` holds."""
    with psycopg.connect(require_postgres(), autocommit=True) as connection:
        row = connection.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE %s = ANY(pg_blocking_pids(pid))", (pid,)
        ).fetchone()
    return row is not None and row[0] > 0


def recording_thread(outcomes: dict[str, Any], name: str, call: Callable[[], Any]) -> threading.Thread:
    """A started thread named ``name`` that runs ``call`` and puts its result, or the error it
    raised, in ``outcomes[name]``."""

    def target() -> None:
        try:
            outcomes[name] = call()
        except BaseException as error:
            outcomes[name] = error

    thread = threading.Thread(target=target, name=name)
    thread.start()
    return thread


def first_then_second(
    monkeypatch: pytest.MonkeyPatch,
    first: Callable[[], Any],
    second: Callable[[], Any],
    *,
    timesheets: bool = False,
    stop: StopAfterCall | None = None,
    second_may_end: bool = False,
) -> tuple[Any, Any]:
    """Run ``first`` until ``stop`` stops it (by default, once it has locked entry rows, or
    timesheet rows with ``timesheets``), then ``second`` until it waits for ``first`` (or ends, with
    ``second_may_end``), then both to their end; each one's result or error."""
    outcomes: dict[str, Any] = {}

    def run(name: str, call: Callable[[], Any]) -> threading.Thread:
        return recording_thread(outcomes, name, call)

    stop = stop or FirstLock("first", timesheets=timesheets)
    stop.install(monkeypatch)
    threads = [run(stop.thread_name, first)]
    try:
        assert stop.reached.wait(GUARD_SECONDS), f"the first writer {stop.what}"
        threads.append(run("second", second))
        pid = stop.backend_pid
        assert pid is not None
        waited = lambda: (second_may_end and "second" in outcomes) or blocks_someone(pid)  # noqa: E731
        assert eventually(waited, attempts=3000), "no one waited"
    finally:
        stop.release()
        for thread in threads:
            thread.join(GUARD_SECONDS)
    assert not any(thread.is_alive() for thread in threads)
    return outcomes[stop.thread_name], outcomes.get("second")


@pytest.mark.postgres
def test_an_invoice_waiting_for_a_batch_of_its_entries_in_the_other_order_invoices_them_as_edited(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The invoice locks its entries before it reads them: it waits for the batch, then reads and
    invoices the entries the batch edited (it used to read them first, and fail ``stale_update``)."""
    ids = [entry.id for entry in new_entries(world)]
    batch, invoice = first_then_second(monkeypatch, batch_of(world, ids[::-1]), invoice_of(world, ids))
    assert [type(outcome) for outcome in batch] == [Applied] * ENTRIES
    assert isinstance(invoice, Invoice), invoice
    owner = world.caller(world.owner)
    entries = [world.services.entries.get_time_entry(owner, each) for each in ids]
    assert {(entry.invoice_id, entry.note) for entry in entries} == {(invoice.id, "edited")}


@pytest.mark.postgres
def test_a_batch_waiting_for_an_invoice_of_its_entries_in_the_other_order_finds_them_invoiced(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = [entry.id for entry in new_entries(world)]
    invoice, batch = first_then_second(monkeypatch, invoice_of(world, ids), batch_of(world, ids[::-1]))
    assert invoice.entry_count == ENTRIES
    assert isinstance(batch, BatchFailed)
    [(index, error)] = batch.failures
    assert (index, type(error)) == (0, EntryLocked)
    owner = world.caller(world.owner)
    assert {world.services.entries.get_time_entry(owner, each).note for each in ids} == {None}


@pytest.mark.postgres
def test_an_update_and_a_delete_waiting_for_an_invoice_of_their_entry_find_it_invoiced(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A PATCH or DELETE that read the entry before the invoice locked it waits for the invoice at
    its write; once the invoice commits the entry is invoiced, so the write is refused as on an
    invoiced entry (``entry_locked``), not as a write that lost a race (``stale_update``)."""
    owner = world.caller(world.owner)
    edited, deleted = new_entries(world, 2)
    writes = {
        edited.id: lambda: world.services.entries.update_time_entry(
            owner, edited.id, UpdateTimeEntry(note="x")
        ),
        deleted.id: lambda: world.services.entries.delete_time_entry(owner, deleted.id),
    }
    for entry_id, write in writes.items():
        invoice, refused = first_then_second(monkeypatch, invoice_of(world, [entry_id]), write)
        monkeypatch.undo()
        assert isinstance(invoice, Invoice), invoice
        assert isinstance(refused, EntryLocked), refused
        assert refused.details()["lock"]["invoice_id"] == invoice.id
        entry = world.services.entries.get_time_entry(owner, entry_id)
        assert (entry.invoice_id, entry.note, entry.is_deleted) == (invoice.id, None, False)


@pytest.mark.postgres
def test_two_batches_of_the_same_entries_in_opposite_orders_run_one_after_the_other(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = [entry.id for entry in new_entries(world)]
    first, second = first_then_second(monkeypatch, batch_of(world, ids), batch_of(world, ids[::-1]))
    assert (
        [type(outcome) for outcome in first] == [type(outcome) for outcome in second] == [Applied] * ENTRIES
    )
    owner = world.caller(world.owner)
    assert {world.services.entries.get_time_entry(owner, each).version for each in ids} == {3}


@pytest.mark.postgres
def test_a_reapply_writing_entries_in_date_order_and_an_invoice_in_id_order_do_not_deadlock(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    days = [DAY - timedelta(days=index) for index in range(ENTRIES)]  # the newest id, the earliest day
    ids = [entry.id for entry in new_entries(world, days=days)]
    owner = world.caller(world.owner)
    world.services.rates.create_rate(
        owner, CreateRate(RateScope.ORG, days[-1], billable_rate_minor=10_000, currency="EUR")
    )
    reapply = lambda: world.services.rates.reapply_rates(owner, ReapplyRates(days[-1], DAY))  # noqa: E731
    reapplied, invoice = first_then_second(monkeypatch, reapply, invoice_of(world, ids))
    assert reapplied.changed == ENTRIES
    assert isinstance(invoice, Invoice), invoice  # it waited for the reapply, and counts its rates
    with world.services.transactions.read() as uow:
        stored = uow.entries.get_many(world.org.id, ids)
    assert {entry.invoice_id for entry in stored} == {invoice.id}
    assert {entry.rate.billable_rate_minor if entry.rate else None for entry in stored} == {10_000}
    assert (invoice.duration_seconds, invoice.amounts) == totals_of(stored)


@pytest.mark.postgres
def test_a_void_of_an_invoice_listing_its_entries_backwards_and_a_batch_of_them_do_not_deadlock(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = [entry.id for entry in new_entries(world)]
    owner = world.caller(world.owner)
    invoice = world.services.invoices.create_invoice(owner, CreateInvoice("INV-1", ids[::-1]))
    void = lambda: world.services.invoices.void_invoice(owner, invoice.id)  # noqa: E731
    voided, batch = first_then_second(monkeypatch, void, batch_of(world, ids))
    assert voided.is_open is False
    assert [type(outcome) for outcome in batch] == [Applied] * ENTRIES  # the entries were free again


@pytest.mark.postgres
def test_an_update_moving_an_entry_back_a_week_and_a_batch_of_both_weeks_do_not_deadlock(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    owner = world.caller(world.owner)
    first_week, second_week = DAY, DAY + timedelta(days=7)  # Mondays
    for week in (first_week, second_week):
        world.services.timesheets.create_timesheet(owner, CreateTimesheet(week_start=week))
    early, late = new_entries(world, 2, days=[first_week, second_week])
    move_back = lambda: world.services.entries.update_time_entry(  # noqa: E731
        owner, late.id, UpdateTimeEntry(entry_date=first_week + timedelta(days=1))
    )
    moved, batch = first_then_second(
        monkeypatch, move_back, batch_of(world, [early.id, late.id]), timesheets=True
    )
    assert moved.entry_date == first_week + timedelta(days=1)
    assert [type(outcome) for outcome in batch] == [Applied, Applied]


@pytest.mark.postgres
def test_a_batch_takes_the_week_s_timesheet_before_its_entries_as_an_update_of_one_of_them_does(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    owner = world.caller(world.owner)
    world.services.timesheets.create_timesheet(owner, CreateTimesheet(week_start=DAY))
    ids = [entry.id for entry in new_entries(world, 3)]
    edit = lambda: world.services.entries.update_time_entry(owner, ids[0], UpdateTimeEntry(note="one"))  # noqa: E731
    edited, batch = first_then_second(monkeypatch, edit, batch_of(world, ids), timesheets=True)
    assert edited.note == "one"
    assert [type(outcome) for outcome in batch] == [Applied] * 3


def test_an_invoice_and_a_batch_of_its_entries_in_the_other_order_raced_many_times_never_fail_busy(
    any_world: World,
) -> None:
    """Each round ends as one of the serial orders: the invoice first (the batch finds an entry
    invoiced), the batch first (the invoice reads the batch's entries, or finds one changed under
    it: ``stale_update``, retry); never a busy store."""
    world = any_world
    seen: set[tuple[str, str]] = set()
    for _ in range(ROUNDS):
        ids = [entry.id for entry in new_entries(world)]
        invoice, batch = at_once([invoice_of(world, ids), batch_of(world, ids[::-1])])
        assert not isinstance(invoice, StoreBusy) and not isinstance(batch, StoreBusy), (invoice, batch)
        outcome = (_name(invoice), _name(batch))
        assert outcome in {("invoiced", "failed"), ("stale", "applied"), ("invoiced", "applied")}, outcome
        seen.add(outcome)
    assert seen


def _name(outcome: Any) -> str:
    if isinstance(outcome, StaleUpdate):
        return "stale"
    if isinstance(outcome, BatchFailed):
        [(_, error)] = outcome.failures
        assert isinstance(error, EntryLocked)
        return "failed"
    if isinstance(outcome, ValidationFailed | BaseException):
        raise AssertionError(outcome)
    return "applied" if isinstance(outcome, list) else "invoiced"


@pytest.mark.postgres
def test_a_write_postgres_rolls_back_to_break_a_deadlock_runs_again_and_both_writes_succeed(
    world: World,
) -> None:
    """Two writes that lock two entries in opposite orders (no use case does now): PostgreSQL
    fails one of them (``40P01``), the runner runs it once more, and both succeed.

    The second run waits until the other write has committed. Without that wait the outcome is
    left to the scheduler: PostgreSQL does not queue row locks, so the other wakes when the failed
    one rolls back and must take the row again, and the failed one's second run may take it first;
    the two then deadlock once more, and PostgreSQL fails whichever began to wait first, which on a
    busy machine is often the same write again: it has deadlocked twice in a row and is
    ``StoreDeadlock`` (503 ``store_busy``, as documented). That failed this test in about one run in
    three on a loaded two-core machine."""
    first, second = (entry.id for entry in new_entries(world, 2))
    both_hold_one = threading.Barrier(2)
    committed = {first: threading.Event(), second: threading.Event()}
    owner = world.caller(world.owner)

    def locking(one: TimeEntryId, other: TimeEntryId) -> Callable[[], Outcome]:
        runs: list[int] = []

        def work() -> bytes:
            runs.append(1)
            if len(runs) > 1:
                assert committed[other].wait(GUARD_SECONDS)
            with world.services.transactions.write() as uow:
                uow.entries.get_many(world.org.id, [one], lock=True)
                if len(runs) == 1:
                    both_hold_one.wait(GUARD_SECONDS)
                uow.entries.get_many(world.org.id, [other], lock=True)
            committed[one].set()
            return str(len(runs)).encode()

        return lambda: world.services.idempotent.run(owner, None, work)

    outcomes = at_once([locking(first, second), locking(second, first)])
    results = [getattr(outcome, "result", outcome) for outcome in outcomes]
    assert results in ([b"1", b"2"], [b"2", b"1"]), outcomes
