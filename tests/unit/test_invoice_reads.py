"""What an invoice reads: its entries once, with their rows locked."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import pytest

from hours_core.errors import ValidationFailed
from hours_core.model import TimeEntry
from hours_core.services import CreateInvoice, CreateTimeEntry
from hours_memory.store import InMemoryTimeEntryRepository
from tests.world import World


def counted_entry_reads(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, Any]]:
    """Record each read of entries by id (``get``, and ``get_many`` with its ``lock``), from now on."""
    reads: list[tuple[str, Any]] = []
    get, get_many = InMemoryTimeEntryRepository.get, InMemoryTimeEntryRepository.get_many

    def counted_get(repository: Any, *args: Any, **kwargs: Any) -> Any:
        reads.append(("get", None))
        return get(repository, *args, **kwargs)

    def counted_get_many(repository: Any, org_id: Any, entry_ids: Any, **kwargs: Any) -> Any:
        reads.append(("get_many", kwargs.get("lock", False)))
        return get_many(repository, org_id, entry_ids, **kwargs)

    monkeypatch.setattr(InMemoryTimeEntryRepository, "get", counted_get)
    monkeypatch.setattr(InMemoryTimeEntryRepository, "get_many", counted_get_many)
    return reads


def logged(world: World, count: int) -> list[TimeEntry]:
    """``count`` new stopped entries of the owner."""
    owner = world.caller(world.owner)
    made = CreateTimeEntry(project_id=world.project.id, entry_date=date(2026, 3, 2), duration_seconds=60)
    return [world.services.entries.create_time_entry(owner, made) for _ in range(count)]


def test_an_invoice_reads_its_entries_once_with_their_rows_locked(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    entries = logged(world, 3)
    reads = counted_entry_reads(monkeypatch)

    invoice = world.services.invoices.create_invoice(
        world.caller(world.owner), CreateInvoice("INV-1", [entry.id for entry in entries])
    )

    assert reads == [("get_many", True)]
    assert invoice.entry_ids == tuple(str(entry.id) for entry in entries)


def test_an_invoice_of_entries_it_cannot_take_reads_them_once_and_names_each(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    owner = world.caller(world.owner)
    usable, deleted = logged(world, 2)
    world.services.entries.delete_time_entry(owner, deleted.id)
    reads = counted_entry_reads(monkeypatch)

    with pytest.raises(ValidationFailed) as refused:
        world.services.invoices.create_invoice(
            owner, CreateInvoice("INV-1", [usable.id, deleted.id, uuid.UUID(int=7), usable.id])
        )

    assert reads == [("get_many", True)]
    assert dict(refused.value.fields) == {
        "entry_ids[1]": "the time entry is deleted",
        "entry_ids[2]": "no such time entry in your organization",
        "entry_ids[3]": "repeats entry_ids[0]",
    }
