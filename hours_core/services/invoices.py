"""Invoices: an invoicing system marks the entries it billed, all or nothing, and may void it.

Owners and admins only. Creating one needs ``billable_rates`` (solo: the plans with amounts);
reading and voiding do not, so that an organization that left the plan can still free its entries.
An invoice's entries are locked (reason ``invoiced``) while it is open; closed periods do not stop
invoicing or voiding (neither changes what an entry says: only its ``invoice_id``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from uuid import UUID

import attrs

from hours_core.errors import Conflict, FieldProblem, NotFound, StaleUpdate, ValidationFailed
from hours_core.events import Change, EventType, Subject, SubjectType
from hours_core.invoices import (
    MAX_INVOICE_ENTRIES,
    Invoice,
    InvoiceId,
    InvoiceStatus,
    external_ref_problem,
    totals_of,
)
from hours_core.model import TimeEntry, TimeEntryId
from hours_core.plans import Feature
from hours_core.ports import Clock, IdFactory, UnitOfWork
from hours_core.services.caller import Caller, allowed_after_existence
from hours_core.services.recording import EventRecorder
from hours_core.services.transactions import Transactions
from hours_core.validation import FOREIGN_CURSOR, FieldErrors

__all__ = ["CreateInvoice", "InvoiceService", "InvoiceWithEntries"]


@attrs.frozen
class CreateInvoice:
    """Mark ``entry_ids`` (1 to 1,000, no repeats) as invoiced under the invoicing system's
    ``external_ref``."""

    external_ref: str
    entry_ids: Sequence[UUID]


@attrs.frozen
class InvoiceWithEntries:
    """An invoice and its entries (deleted ones included, in the invoice's order)."""

    invoice: Invoice
    entries: tuple[TimeEntry, ...]


class InvoiceService:
    """Invoices (see the module's docstring)."""

    def __init__(self, transactions: Transactions, clock: Clock, ids: IdFactory) -> None:
        self._transactions = transactions
        self._clock = clock
        self._ids = ids
        self._events = EventRecorder(clock, ids)

    def create_invoice(self, caller: Caller, command: CreateInvoice) -> Invoice:
        """Make an invoice of the entries and lock them, or change nothing: an entry that is unknown,
        deleted, running or already invoiced, and a repeated id, fail the call (422, one field
        ``entry_ids[i]`` each, all of them together).

        The entries are read once, by the read that locks their rows (in id order, so that two
        invoices never wait for each other's rows in opposite orders): where writers run side by
        side (PostgreSQL), a write of one of them that committed first is what the invoice reads (an
        edited note, a new rate, or the entry invoiced, deleted or restarted, with their per-id
        errors), and one that comes later waits for the invoice. Two calls that invoice the same
        entry at once: one wins, and the other answers as if it had come second (the entry
        ``already invoiced``), on every store. Should a write still find an entry changed
        (``StaleUpdate``), the call undoes the entries it had written, reads them all again and
        raises their per-id errors, or the ``StaleUpdate``.
        """
        repeats = _check_command(command)
        caller.require_manager("create invoices")
        caller.require_feature(Feature.BILLABLE_RATES)
        with self._transactions.write() as uow:
            # Their rows locked as they are read, in id order (as every writer of several entries
            # takes them): the entries read are the ones written, so a write of one of them that
            # committed before the lock (PostgreSQL) is seen, and counted, instead of failing the invoice.
            entries = _invoiceable(_locked(uow, caller, command.entry_ids), command.entry_ids, repeats)
            now = self._clock.now()
            seconds, amounts = totals_of(entries)
            invoice = Invoice(
                id=InvoiceId(self._ids.new_id()),
                org_id=caller.org_id,
                external_ref=command.external_ref,
                status=InvoiceStatus.OPEN,
                entry_ids=tuple(str(entry.id) for entry in entries),
                duration_seconds=seconds,
                amounts=amounts,
                created_by=caller.user_id,
                created_at=now,
            )
            uow.invoices.add(invoice)
            self._record(uow, caller, EventType.INVOICE_CREATED, invoice, None)
            invoiced: dict[TimeEntryId, TimeEntry] = {}
            try:
                with uow.savepoint():  # a stale entry undoes this call's own writes before the re-read
                    for entry in sorted(entries, key=lambda each: each.id):
                        invoiced[entry.id] = uow.entries.update(
                            entry.invoiced(invoice.id, now), expected_updated_at=entry.updated_at
                        )
            except StaleUpdate:  # what the other writer changed
                _invoiceable(_locked(uow, caller, command.entry_ids), command.entry_ids, repeats)
                raise
            for entry in entries:
                self._events.entry(uow, caller, EventType.TIME_ENTRY_UPDATED, entry, invoiced[entry.id])
        return invoice

    def get_invoice(self, caller: Caller, invoice_id: InvoiceId) -> InvoiceWithEntries:
        """One invoice with its entries (owners and admins)."""
        self._require_manager_of(caller, invoice_id, "read invoices")
        with self._transactions.read() as uow:
            invoice = _invoice(uow, caller, invoice_id)
            entries = tuple(
                entry
                for entry in (
                    uow.entries.get(caller.org_id, each, include_deleted=True) for each in invoice.entries
                )
                if entry is not None
            )
        return InvoiceWithEntries(invoice, entries)

    def _require_manager_of(self, caller: Caller, invoice_id: InvoiceId, action: str) -> None:
        """Owners and admins, after the invoice exists (404 first)."""

        def look_up() -> None:
            with self._transactions.read() as uow:
                _invoice(uow, caller, invoice_id)

        allowed_after_existence(lambda: caller.require_manager(action), look_up)

    def list_invoices(
        self, caller: Caller, *, limit: int, before: InvoiceId | None = None
    ) -> Sequence[Invoice]:
        """At most ``limit`` invoices, newest first, older than ``before`` if given (owners and admins).
        A ``before`` that is no invoice of the organization is :class:`ValidationFailed` on ``cursor``:
        the API hands out only its own invoices' ids as cursors."""
        caller.require_manager("read invoices")
        with self._transactions.read() as uow:
            if before is not None and uow.invoices.get(caller.org_id, before) is None:
                raise ValidationFailed.one("cursor", FOREIGN_CURSOR)
            return uow.invoices.list(caller.org_id, limit=limit, before=before)

    def void_invoice(self, caller: Caller, invoice_id: InvoiceId) -> Invoice:
        """Void an open invoice: its entries lose their ``invoice_id`` and unlock (409 if already void)."""
        self._require_manager_of(caller, invoice_id, "void invoices")
        with self._transactions.write() as uow:
            invoice = _invoice(uow, caller, invoice_id, lock=True)  # two voids: the second sees it void
            if not invoice.is_open:
                raise Conflict("The invoice is already void.")
            now = self._clock.now()
            voided = invoice.voided(now)
            uow.invoices.update(voided)
            self._record(uow, caller, EventType.INVOICE_VOIDED, voided, invoice)
            # Its entries' rows locked at once, in id order, as every writer of several entries
            # takes them (an invoice's order is its caller's); then freed in the invoice's order.
            held = uow.entries.get_many(caller.org_id, invoice.entries, lock=True)
            locked = {entry.id: entry for entry in held}
            for entry_id in invoice.entries:
                entry = locked.get(entry_id)
                if entry is None or entry.invoice_id != invoice.id:
                    continue
                freed = uow.entries.update(entry.uninvoiced(now), expected_updated_at=entry.updated_at)
                self._events.entry(uow, caller, EventType.TIME_ENTRY_UPDATED, entry, freed)
        return voided

    def _record(
        self, uow: UnitOfWork, caller: Caller, type_: EventType, invoice: Invoice, old: Invoice | None
    ) -> None:
        if old is None:
            changes = {
                "external_ref": Change(None, invoice.external_ref),
                "status": Change(None, invoice.status.value),
                "entry_count": Change(None, invoice.entry_count),
                "duration_seconds": Change(None, invoice.duration_seconds),
            }
        else:
            changes = {"status": Change(old.status.value, invoice.status.value)}
        subject = Subject(SubjectType.INVOICE, str(invoice.id))
        self._events.record(uow, caller, type_, subject, changes, org_id=caller.org_id, owner_id=None)


def _check_command(command: CreateInvoice) -> dict[str, FieldProblem]:
    """Raise the errors of the command's own fields; return the repeated ids (``entry_ids[i]``:
    ``repeats entry_ids[j]``), which are raised with those of the entries (:func:`_invoiceable`),
    or with the others here if there are any."""
    errors = FieldErrors()
    problem = external_ref_problem(command.external_ref)
    if problem is not None:
        errors.add("external_ref", problem)
    ids = command.entry_ids
    repeats: dict[str, FieldProblem] = {}
    if not ids:
        errors.add("entry_ids", "must name at least one time entry")
    elif len(ids) > MAX_INVOICE_ENTRIES:
        errors.add("entry_ids", f"must name at most {MAX_INVOICE_ENTRIES} time entries (got {len(ids)})")
    else:
        first: dict[UUID, int] = {}
        for index, entry_id in enumerate(ids):
            if entry_id in first:
                repeats[f"entry_ids[{index}]"] = FieldProblem(
                    f"repeats entry_ids[{first[entry_id]}]", mentions=("entry_ids",)
                )
            first.setdefault(entry_id, index)
    if errors:
        for field, repeat in repeats.items():
            errors.add(field, repeat)
    errors.raise_if_any()
    return repeats


def _locked(uow: UnitOfWork, caller: Caller, entry_ids: Sequence[UUID]) -> dict[UUID, TimeEntry]:
    """The organization's entries among ``entry_ids`` (deleted ones included) by id, their rows
    locked until the unit of work ends."""
    found = uow.entries.get_many(caller.org_id, (TimeEntryId(each) for each in entry_ids), lock=True)
    return {entry.id: entry for entry in found}


def _invoiceable(
    found: Mapping[UUID, TimeEntry], entry_ids: Sequence[UUID], repeats: Mapping[str, FieldProblem]
) -> list[TimeEntry]:
    """The entries of ``entry_ids``, as ``found`` holds them (:func:`_locked`), each live, stopped
    and not invoiced; else one field error per entry that is not, with the ``repeats`` (a repeated
    id is checked once, at its first place)."""
    problems: dict[str, str | FieldProblem] = {}
    entries: list[TimeEntry] = []
    for index, entry_id in enumerate(entry_ids):
        field = f"entry_ids[{index}]"
        if field in repeats:
            problems[field] = repeats[field]
            continue
        entry = found.get(entry_id)
        if entry is None:
            problems[field] = "no such time entry in your organization"
        elif entry.is_deleted:
            problems[field] = "the time entry is deleted"
        elif entry.is_running:
            problems[field] = "the time entry is a running timer; stop it first"
        elif entry.invoice_id is not None:
            problems[field] = f"the time entry is already invoiced (invoice {entry.invoice_id})"
        else:
            entries.append(entry)
    if len(problems) > len(repeats):
        unusable = len(problems) - len(repeats)
        also = f"; repeated ids: {len(repeats)}" if repeats else ""
        raise ValidationFailed(problems, f"{unusable} of {len(entry_ids)} entries cannot be invoiced{also}.")
    if problems:
        raise ValidationFailed(problems)
    return entries


def _invoice(uow: UnitOfWork, caller: Caller, invoice_id: InvoiceId, *, lock: bool = False) -> Invoice:
    """The caller's organization's invoice (locked until the unit of work ends if ``lock``), or
    :class:`NotFound`."""
    invoice = (uow.invoices.lock if lock else uow.invoices.get)(caller.org_id, invoice_id)
    if invoice is None:
        raise NotFound.of("invoice")
    return invoice
