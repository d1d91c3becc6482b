"""The export use case: every entry the caller may see, streamed as a file, page by page.

The entries are read in the list's stable order (entry date, then creation, then id) in keyset
pages of :data:`EXPORT_PAGE_SIZE`, each page in its own short read transaction, and turned into
:class:`~hours_core.exchange.ExportRow` values one at a time as the file writer asks for them. So
the first bytes leave before the last page is read, memory holds one page, and no transaction
stays open while the client reads (see docs/export-import.md, "The export over the API").
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime

import attrs

from hours_core.errors import ValidationFailed
from hours_core.exchange import ExportFormat, ExportRow, FileFormats
from hours_core.model import (
    Client,
    ClientId,
    Project,
    ProjectId,
    StoredRate,
    Task,
    TaskId,
    TimeEntry,
    User,
    UserId,
)
from hours_core.money import CURRENCIES, amount_minor
from hours_core.periods import today_in
from hours_core.plans import Feature, allows
from hours_core.ports import Clock, EntryCursor, EntryQuery, UnitOfWork
from hours_core.services.caller import Caller
from hours_core.services.time_entries import visible_query
from hours_core.services.transactions import Transactions

__all__ = ["EXPORT_PAGE_SIZE", "Export", "ExportEntries", "ExportService"]

EXPORT_PAGE_SIZE = 1_000
"""Entries read per page (one short read transaction each)."""


@attrs.frozen
class ExportEntries:
    """Export the entries ``query`` filters (its order, page size and cursor are the export's own).

    ``export_format`` is ``csv``, ``jsonl`` or ``xlsx``; ``columns`` picks and orders the columns
    (``None``: all, version 1); ``delimiter`` (``comma``, ``semicolon``, ``tab``) and ``bom`` are
    for CSV.
    """

    export_format: str
    query: EntryQuery = attrs.field(factory=EntryQuery)
    columns: str | Sequence[str] | None = None
    delimiter: str = "comma"
    bom: bool = True


@attrs.frozen
class Export:
    """A started export: its format, a file name to offer, and the file as byte chunks (lazy)."""

    export_format: ExportFormat
    filename: str
    chunks: Iterator[bytes]


class ExportService:
    """Exports time entries through the file formats it is given."""

    def __init__(self, transactions: Transactions, clock: Clock, formats: FileFormats | None) -> None:
        self._transactions = transactions
        self._clock = clock
        self._formats = formats

    def export_time_entries(self, caller: Caller, command: ExportEntries) -> Export:
        """The export of the entries the caller may see (members: their own; filtering by another
        user is :class:`~hours_core.errors.Forbidden`), free on every plan.

        Every argument is checked before this returns (:class:`ValidationFailed` naming
        ``format``, ``columns`` or ``delimiter``); the entries are read as the chunks are.
        """
        if self._formats is None:
            raise RuntimeError("no file formats were wired into the services")
        try:
            export_format = ExportFormat(command.export_format)
        except ValueError:
            raise ValidationFailed.one(
                "format", f"must be csv, jsonl or xlsx, got {command.export_format!r}"
            ) from None
        query = visible_query(caller, command.query)
        now = self._clock.now()
        chunks = self._formats.write(
            export_format,
            self._rows(caller, query, now),
            columns=command.columns,
            delimiter=command.delimiter,
            bom=command.bom,
        )
        day = today_in(caller.org.timezone, now)  # the organization's day, as its reports name days
        filename = f"time-entries-{day.isoformat()}.{export_format.extension}"
        return Export(export_format=export_format, filename=filename, chunks=chunks)

    def _rows(self, caller: Caller, query: EntryQuery, now: datetime) -> Iterator[ExportRow]:
        """The rows, read page by page; nothing is read until the first row is asked for."""
        names = _Names(money=allows(caller.org.plan, Feature.BILLABLE_RATES))
        after: EntryCursor | None = None
        page_query = attrs.evolve(query, descending=False, limit=EXPORT_PAGE_SIZE)
        while True:
            with self._transactions.read() as uow:
                page = uow.entries.list(caller.org_id, attrs.evolve(page_query, after=after))
                names.load(uow, caller, page)
            for entry in page:
                yield names.row(entry, now)
            if len(page) < EXPORT_PAGE_SIZE:
                return
            after = EntryCursor.of(page[-1])


class _Names:
    """The users, clients, projects and tasks the exported entries name, read once and kept.

    ``money``: whether the rows carry the entries' stored rates and amounts (the organization's plan
    has ``billable_rates``, as for the amounts of reports; below it the money columns are empty).
    """

    def __init__(self, *, money: bool) -> None:
        self.money = money
        self.users: dict[UserId, User] = {}
        self.clients: dict[ClientId, Client] = {}
        self.projects: dict[ProjectId, Project] = {}
        self.tasks: dict[TaskId, Task] = {}

    def load(self, uow: UnitOfWork, caller: Caller, page: Sequence[TimeEntry]) -> None:
        """Read what ``page`` names and is not known yet (in the page's transaction)."""
        if any(entry.user_id not in self.users for entry in page):
            self.users = {user.id: user for user in uow.users.list(caller.org_id)}
        if any(entry.project_id not in self.projects for entry in page):
            self.projects = {project.id: project for project in uow.projects.list(caller.org_id)}
            self.clients = {client.id: client for client in uow.clients.list(caller.org_id)}
        for project_id in {
            e.project_id for e in page if e.task_id is not None and e.task_id not in self.tasks
        }:
            self.tasks.update(
                (task.id, task) for task in uow.tasks.list_for_project(caller.org_id, project_id)
            )

    def row(self, entry: TimeEntry, now: datetime) -> ExportRow:
        """The export row of ``entry``; a running timer's duration is its elapsed time ``now``."""
        user = self.users[entry.user_id]
        project = self.projects[entry.project_id]
        client = None if project.client_id is None else self.clients.get(project.client_id)
        row = ExportRow.of(
            entry,
            user=user,
            project=project,
            task=None if entry.task_id is None else self.tasks[entry.task_id],
            user_name=user.name,
            client_id=None if client is None else client.id,
            client_name=None if client is None else client.name,
        )
        if entry.is_running:
            row = attrs.evolve(row, duration_seconds=entry.elapsed_seconds(now))
        if self.money and entry.rate is not None:
            row = with_money(row, entry.rate)
        return row


def with_money(row: ExportRow, rate: StoredRate) -> ExportRow:
    """``row`` with the entry's stored rate and what the entry is worth, as reports count it: each
    amount is the row's seconds times the hourly rate, rounded half-even to the currency's minor
    unit; only a billable entry has a billable amount (0 otherwise); cost counts every entry."""
    digits = CURRENCIES[rate.currency].minor_units
    billable = rate.billable_rate_minor
    cost = rate.cost_rate_minor
    return attrs.evolve(
        row,
        currency=rate.currency,
        currency_digits=2 if digits is None else digits,
        billable_rate_minor=billable,
        cost_rate_minor=cost,
        billable_amount_minor=(
            None if billable is None else amount_minor(row.duration_seconds, billable) if row.billable else 0
        ),
        cost_amount_minor=None if cost is None else amount_minor(row.duration_seconds, cost),
    )
