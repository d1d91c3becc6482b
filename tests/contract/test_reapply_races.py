"""A rates reapply and the writes of its entries that commit while it runs.

A reapply reads the entries of its range, decides which ones get another rate, then locks those and
writes them. On PostgreSQL other writers run beside it: an entry read at version 1 may be at
version 2 (a note edited, the entry deleted or invoiced) by the time the reapply locks it. The
reapply used to write what it had read with the version it had read, so any such write failed the
whole reapply with ``stale_update``: over a busy month, 8 reapplies in 10 failed while one person
edited notes. Now it re-reads the rows it locks and re-rates each entry as it is then: an edited
entry keeps its edit and gets the new rate, a deleted one is left alone, an invoiced one is
``skipped_locked``.

The first test hands the reapply the entries as they were before the other writes (what
PostgreSQL's read shows a reapply that read before they committed), on every store; the second
races a real reapply and a real edit on PostgreSQL.
"""

from __future__ import annotations

import pathlib
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager
from datetime import date, timedelta
from functools import partial
from typing import Any

import pytest

from hours_core.model import RateScope, TimeEntry
from hours_core.ports import UnitOfWorkFactory
from hours_core.services import (
    CreateInvoice,
    CreateRate,
    CreateTimeEntry,
    ReapplyRates,
    UpdateTimeEntry,
)
from hours_core.services import rates as rate_service
from tests.contract.test_lock_order_races import _STORES, recording_thread
from tests.world import World, make_world

DAY = date(2026, 3, 2)
GUARD_SECONDS = 120
"""How long a test waits for a thread before it gives up (a guard against hangs, not a timing)."""


@pytest.fixture(params=[pytest.param("sqlite"), pytest.param("postgres", marks=pytest.mark.postgres)])
def any_world(request: pytest.FixtureRequest, tmp_path: pathlib.Path) -> Iterator[World]:
    stores: dict[str, Callable[[pathlib.Path], AbstractContextManager[UnitOfWorkFactory]]] = _STORES
    with stores[request.param](tmp_path) as unit_of_work:
        yield make_world(unit_of_work)


def four_entries_and_a_new_rate(world: World) -> list[TimeEntry]:
    """Four entries of the owner priced at 100 an hour, then a rate of 200 from their first day."""
    owner = world.caller(world.owner)
    world.services.rates.create_rate(
        owner, CreateRate(RateScope.ORG, DAY - timedelta(days=30), billable_rate_minor=100, currency="EUR")
    )
    made = [
        world.services.entries.create_time_entry(
            owner, CreateTimeEntry(project_id=world.project.id, entry_date=DAY, duration_seconds=3600)
        )
        for _ in range(4)
    ]
    world.services.rates.create_rate(
        owner, CreateRate(RateScope.ORG, DAY, billable_rate_minor=200, currency="EUR")
    )
    return made


def test_a_reapply_rerates_the_entries_as_they_are_when_it_locks_them_not_as_it_read_them(
    any_world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = any_world
    owner = world.caller(world.owner)
    edited, deleted, invoiced, untouched = read_before = four_entries_and_a_new_rate(world)
    world.services.entries.update_time_entry(owner, edited.id, UpdateTimeEntry(note="edited meanwhile"))
    world.services.entries.delete_time_entry(owner, deleted.id)
    invoice = world.services.invoices.create_invoice(owner, CreateInvoice("INV-1", [invoiced.id]))
    monkeypatch.setattr(rate_service, "_entries_in", lambda *_: list(read_before))

    result = world.services.rates.reapply_rates(owner, ReapplyRates(DAY, DAY))

    assert (result.examined, result.changed, result.skipped_locked) == (4, 2, 1)
    assert {change.entry_id for change in result.changes} == {edited.id, untouched.id}
    now = {each: world.services.entries.get_time_entry(owner, each) for each in (edited.id, untouched.id)}
    assert {entry.rate.billable_rate_minor for entry in now.values() if entry.rate} == {200}
    assert now[edited.id].note == "edited meanwhile"
    assert now[edited.id].version == edited.version + 2  # the edit, then the reapply
    with world.services.transactions.read() as uow:
        still = {entry.id: entry for entry in uow.entries.get_many(world.org.id, [deleted.id, invoiced.id])}
    assert still[deleted.id].deleted_at is not None
    assert still[deleted.id].rate == deleted.rate
    assert still[invoiced.id].invoice_id == invoice.id
    assert still[invoiced.id].rate == invoiced.rate


def test_a_dry_run_reports_what_it_read_and_locks_nothing(any_world: World) -> None:
    world = any_world
    owner = world.caller(world.owner)
    made = four_entries_and_a_new_rate(world)
    result = world.services.rates.reapply_rates(owner, ReapplyRates(DAY, DAY, dry_run=True))
    assert (result.examined, result.changed, result.skipped_locked) == (4, 4, 0)
    assert {world.services.entries.get_time_entry(owner, entry.id).version for entry in made} == {1}


@pytest.mark.postgres
def test_a_reapply_on_postgresql_succeeds_when_an_entry_of_its_range_is_edited_while_it_runs(
    monkeypatch: pytest.MonkeyPatch, tmp_path: pathlib.Path
) -> None:
    with _STORES["postgres"](tmp_path) as unit_of_work:
        world = make_world(unit_of_work)
        owner = world.caller(world.owner)
        made = four_entries_and_a_new_rate(world)
        read = threading.Event()
        edited = threading.Event()
        reading = rate_service._entries_in

        def read_then_wait(*args: Any) -> Sequence[TimeEntry]:
            found = reading(*args)
            read.set()
            assert edited.wait(GUARD_SECONDS)
            return found

        monkeypatch.setattr(rate_service, "_entries_in", read_then_wait)
        outcome: dict[str, Any] = {}
        reapply = partial(world.services.rates.reapply_rates, owner, ReapplyRates(DAY, DAY))
        thread = recording_thread(outcome, "result", reapply)
        try:
            assert read.wait(GUARD_SECONDS), "the reapply never read its entries"
            world.services.entries.update_time_entry(owner, made[0].id, UpdateTimeEntry(note="meanwhile"))
        finally:
            edited.set()
            thread.join(GUARD_SECONDS)
        assert not thread.is_alive()
        result = outcome["result"]
        assert not isinstance(result, BaseException), result
        assert (result.examined, result.changed, result.skipped_locked) == (4, 4, 0)
        first = world.services.entries.get_time_entry(owner, made[0].id)
        assert first.note == "meanwhile"
        assert first.rate is not None and first.rate.billable_rate_minor == 200
