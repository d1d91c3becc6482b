"""Races on one entry and one key, through the services over every store (memory, SQLite, PostgreSQL)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import date
from typing import Any

from hours_core.errors import StaleUpdate, ValidationFailed
from hours_core.invoices import Invoice
from hours_core.model import TimeEntryId
from hours_core.ports import EntryQuery
from hours_core.services import CreateInvoice, CreateTimeEntry, KeyedRequest, UpdateTimeEntry
from tests.world import World


def together(count: int, action: Callable[[int], Any]) -> list[Any]:
    """Run ``action(i)`` for i in range(count) in threads released at once; return results or errors."""
    barrier = threading.Barrier(count)
    results: list[Any] = [None] * count

    def run(index: int) -> None:
        barrier.wait()
        try:
            results[index] = action(index)
        except Exception as error:
            results[index] = error

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def new_entries(world: World, count: int) -> list[TimeEntryId]:
    """``count`` one-hour entries of the owner's on the same day, in the order they were made."""
    owner = world.caller(world.owner)
    command = CreateTimeEntry(project_id=world.project.id, entry_date=date(2026, 3, 2), duration="1h")
    return [world.services.entries.create_time_entry(owner, command).id for _ in range(count)]


def test_concurrent_patches_never_lose_an_update_silently(world: World) -> None:
    owner = world.caller(world.owner)
    entry = world.services.entries.create_time_entry(
        owner, CreateTimeEntry(project_id=world.project.id, entry_date=date(2026, 3, 2), duration="1h")
    )
    world.clock.set(world.clock.now())

    def patch(index: int) -> Any:
        return world.services.entries.update_time_entry(
            owner, entry.id, UpdateTimeEntry(note=f"writer {index}")
        )

    results = together(12, patch)
    assert all(not isinstance(r, Exception) or isinstance(r, StaleUpdate) for r in results), results
    applied = sorted((r for r in results if not isinstance(r, Exception)), key=lambda e: e.updated_at)
    assert applied, "at least one update lands"
    final = world.services.entries.get_time_entry(owner, entry.id)
    assert final == applied[-1]
    assert len({e.updated_at for e in applied}) == len(applied)


def test_fifty_concurrent_requests_with_one_key_create_exactly_one_entry(world: World) -> None:
    owner = world.caller(world.owner)

    def create(_: int) -> Any:
        def work() -> bytes:
            made = world.services.entries.create_time_entry(
                owner,
                CreateTimeEntry(project_id=world.project.id, entry_date=date(2026, 3, 2), duration="1h"),
            )
            return str(made.id).encode()

        return world.services.idempotent.run(owner, KeyedRequest("01arz3ndektsv4rrffq69g5fav", "same"), work)

    outcomes = together(50, create)
    failures = [o for o in outcomes if isinstance(o, Exception)]
    assert all(type(f).__name__ == "IdempotencyRequestInProgress" for f in failures), failures
    successes = [o for o in outcomes if not isinstance(o, Exception)]
    assert sum(not o.replayed for o in successes) == 1
    assert len({o.result for o in successes}) == 1
    page = world.services.entries.list_time_entries(owner, EntryQuery(limit=100))
    assert len(page.entries) == 1


def test_concurrent_invoices_of_the_same_entries_leave_one_and_refuse_the_others_per_entry(
    world: World,
) -> None:
    """Every loser answers as if it came second (422, per entry ``already invoiced``), on every
    store: on PostgreSQL the losers' writes find the entries changed and read them again. Half the
    callers name the entries in the other order: the writes go in id order, so none deadlocks."""
    owner = world.caller(world.owner)
    ids = new_entries(world, 3)

    def make(index: int) -> Any:
        order = ids if index % 2 else list(reversed(ids))
        return world.services.invoices.create_invoice(owner, CreateInvoice(f"R{index}", order))

    results = together(6, make)
    made = [r for r in results if isinstance(r, Invoice)]
    assert len(made) == 1, results
    losers = [r for r in results if not isinstance(r, Invoice)]
    assert all(isinstance(r, ValidationFailed) for r in losers), losers
    for loser in losers:  # a loser that read some entries before the winner committed names the others
        assert loser.fields and set(loser.fields) <= {"entry_ids[0]", "entry_ids[1]", "entry_ids[2]"}
        assert all(f"already invoiced (invoice {made[0].id})" in text for text in loser.fields.values())
    for entry_id in ids:
        assert world.services.entries.get_time_entry(owner, entry_id).invoice_id == made[0].id


def test_a_loser_that_wrote_some_entries_before_the_stale_one_names_only_the_winners(world: World) -> None:
    """Invoices of overlapping entries: a loser that had already marked its first entries when it
    found the last one changed undoes them before it reads again, so it names only the entries the
    winner invoiced, never its own invoice (which rolls back)."""
    owner = world.caller(world.owner)
    ids = sorted(new_entries(world, 3))

    def make(index: int) -> Any:
        wanted = ids if index % 2 else ids[-1:]  # all three, or only the last one (written last)
        return world.services.invoices.create_invoice(owner, CreateInvoice(f"R{index}", wanted))

    results = together(6, make)
    made = [r for r in results if isinstance(r, Invoice)]
    assert len(made) == 1, results
    winner = made[0]
    for loser in (r for r in results if not isinstance(r, Invoice)):
        assert isinstance(loser, ValidationFailed), loser
        assert all(f"already invoiced (invoice {winner.id})" in text for text in loser.fields.values())
    for entry_id in ids:
        expected = winner.id if str(entry_id) in winner.entry_ids else None
        assert world.services.entries.get_time_entry(owner, entry_id).invoice_id == expected


def test_an_invoice_racing_edits_of_its_entries_succeeds_and_is_never_refused_as_already_invoiced(
    world: World,
) -> None:
    """The invoice locks its entries before it reads them: an edit that came first is invoiced as
    it left the entry, one that comes after waits and is refused (the edits' outcomes are theirs)."""
    owner = world.caller(world.owner)
    ids = sorted(new_entries(world, 2))

    def act(index: int) -> Any:
        if index == 0:
            return world.services.invoices.create_invoice(owner, CreateInvoice("R", ids))
        return world.services.entries.update_time_entry(owner, ids[-1], UpdateTimeEntry(note=f"n{index}"))

    for _ in range(5):
        outcome = together(4, act)[0]
        assert isinstance(outcome, Invoice), outcome  # never "already invoiced" by itself, nor stale
        if isinstance(outcome, Invoice):
            world.services.invoices.void_invoice(owner, outcome.id)
