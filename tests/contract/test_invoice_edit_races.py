"""An invoice and an edit of one of its entries, raced on PostgreSQL.

An invoice used to read its entries, then lock and write them with the version it had read; on
PostgreSQL, where writers run side by side, an edit of one of them (a note) that committed in
between failed the whole invoice with ``stale_update``: an invoice of 300 entries failed 10 times
in 10 while one person edited notes of that month. Now it locks its entries' rows before it reads
them, so the edit either commits first (and the invoice reads and invoices the edited entry) or
waits for the invoice (and then fails with 409 ``entry_locked``, the entry being invoiced).
"""

from __future__ import annotations

import pathlib
import threading
from collections.abc import Mapping
from typing import Any
from uuid import UUID

import pytest

from hours_core.errors import EntryLocked
from hours_core.invoices import Invoice
from hours_core.model import TimeEntry
from hours_core.services import CreateInvoice, UpdateTimeEntry
from hours_core.services import invoices as invoice_service
from tests.contract.test_lock_order_races import _STORES, blocks_someone, new_entries, recording_thread
from tests.polling import eventually
from tests.world import make_world

GUARD_SECONDS = 120
"""How long a test waits for a thread before it gives up (a guard against hangs, not a timing)."""


@pytest.mark.postgres
def test_an_invoice_that_read_its_entries_is_not_failed_by_an_edit_of_one_of_them(
    monkeypatch: pytest.MonkeyPatch, tmp_path: pathlib.Path
) -> None:
    with _STORES["postgres"](tmp_path) as unit_of_work:
        world = make_world(unit_of_work)
        owner = world.caller(world.owner)
        ids = [entry.id for entry in new_entries(world, 4)]
        read = threading.Event()
        go_on = threading.Event()
        backend: list[int] = []
        reading = invoice_service._locked

        def read_then_wait(uow: Any, *args: Any) -> Mapping[UUID, TimeEntry]:
            found = reading(uow, *args)
            [(pid,)] = uow.entries._session.rows("SELECT pg_backend_pid()")
            backend.append(pid)
            read.set()
            assert go_on.wait(GUARD_SECONDS)
            return found

        monkeypatch.setattr(invoice_service, "_locked", read_then_wait)
        outcomes: dict[str, Any] = {}

        def run(name: str, call: Any) -> threading.Thread:
            return recording_thread(outcomes, name, call)

        invoicing = run(
            "invoice", lambda: world.services.invoices.create_invoice(owner, CreateInvoice("INV-1", ids))
        )
        threads = [invoicing]
        try:
            assert read.wait(GUARD_SECONDS), "the invoice never read its entries"
            edit = UpdateTimeEntry(note="edited meanwhile")
            threads.append(run("edit", lambda: world.services.entries.update_time_entry(owner, ids[2], edit)))
            edited_or_waits = lambda: "edit" in outcomes or blocks_someone(backend[0])  # noqa: E731
            assert eventually(edited_or_waits, attempts=3000), "the edit neither ended nor waited"
        finally:
            go_on.set()
            for thread in threads:
                thread.join(GUARD_SECONDS)
        assert not any(thread.is_alive() for thread in threads)
        invoice = outcomes["invoice"]
        assert isinstance(invoice, Invoice), invoice
        assert invoice.entry_ids == tuple(str(each) for each in ids)
        # The edit waited for the invoice: the entry is invoiced then, and the note is not written.
        assert isinstance(outcomes["edit"], EntryLocked), outcomes["edit"]
        entries = [world.services.entries.get_time_entry(owner, each) for each in ids]
        assert {entry.invoice_id for entry in entries} == {invoice.id}
        assert {entry.note for entry in entries} == {None}
