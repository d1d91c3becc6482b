"""Invoices: the hand-off to an invoicing system, which marks the entries it billed.

An :class:`Invoice` names its entries (``entry_ids``, in the order they were sent) and keeps the
totals they had when it was made (:func:`totals_of`, by the report rules: each entry's amounts at
its stored rate, :func:`~hours_core.money.amount_minor`, exact integers, one line per currency).
While the invoice is ``open`` its entries carry its id as ``invoice_id`` and are locked; voiding it
frees them. The totals of a void invoice stay what they were.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from datetime import datetime
from typing import Any, NewType
from uuid import UUID

import attrs

from hours_core.model import OrgId, TimeEntry, TimeEntryId, UserId
from hours_core.money import HourlyRate
from hours_core.periods import short_text_problem
from hours_core.reports import ReportRow

__all__ = [
    "MAX_INVOICE_ENTRIES",
    "MAX_INVOICE_EXTERNAL_REF_LENGTH",
    "Invoice",
    "InvoiceAmount",
    "InvoiceId",
    "InvoiceStatus",
    "external_ref_problem",
    "totals_of",
]

InvoiceId = NewType("InvoiceId", UUID)

MAX_INVOICE_ENTRIES = 1000
"""The most entries one invoice may name."""

MAX_INVOICE_EXTERNAL_REF_LENGTH = 200
"""The longest ``external_ref`` of an invoice (the invoicing system's own number or id)."""


def external_ref_problem(value: str) -> str | None:
    """What is wrong with an invoice's ``external_ref``, or ``None``."""
    return short_text_problem(value, MAX_INVOICE_EXTERNAL_REF_LENGTH)


class InvoiceStatus(enum.StrEnum):
    """Whether an invoice holds its entries (``open``) or has let them go (``void``)."""

    OPEN = "open"
    VOID = "void"


@attrs.frozen
class InvoiceAmount:
    """What an invoice's entries are worth in one currency, in minor units."""

    currency: str
    billable_minor: int
    cost_minor: int


def _count(_instance: object, attribute: attrs.Attribute[Any], value: int) -> None:
    if type(value) is not int or value < 0:
        raise ValueError(f"{attribute.name} must be a non-negative int, got {value!r}")


@attrs.frozen
class Invoice:
    """An invoice an invoicing system made of some entries (see the module's docstring).

    ``amounts`` holds one ``CURRENCY:billable_minor:cost_minor`` string per currency, sorted by
    currency (how the stores keep a list); :attr:`amount_lines` reads them.
    """

    id: InvoiceId
    org_id: OrgId
    external_ref: str
    status: InvoiceStatus
    entry_ids: tuple[str, ...]
    duration_seconds: int = attrs.field(validator=_count)
    amounts: tuple[str, ...]
    created_by: UserId | None
    created_at: datetime
    voided_at: datetime | None = None

    @property
    def entry_count(self) -> int:
        """How many entries the invoice names."""
        return len(self.entry_ids)

    @property
    def entries(self) -> tuple[TimeEntryId, ...]:
        """The ids of the invoice's entries, in the order they were sent."""
        return tuple(TimeEntryId(UUID(each)) for each in self.entry_ids)

    @property
    def amount_lines(self) -> tuple[InvoiceAmount, ...]:
        """The amounts, one per currency."""
        lines = []
        for line in self.amounts:
            currency, billable, cost = line.split(":")
            lines.append(InvoiceAmount(currency, int(billable), int(cost)))
        return tuple(lines)

    @property
    def is_open(self) -> bool:
        """Whether the invoice still holds its entries."""
        return self.status is InvoiceStatus.OPEN

    def voided(self, now: datetime) -> Invoice:
        """The invoice void at ``now``."""
        return attrs.evolve(self, status=InvoiceStatus.VOID, voided_at=now)


def totals_of(entries: Iterable[TimeEntry]) -> tuple[int, tuple[str, ...]]:
    """The seconds of ``entries`` and their amounts per currency, as :attr:`Invoice.amounts` keeps them.

    Each entry counts like a report row (:meth:`~hours_core.reports.ReportRow.for_entry`, no
    rounding): billable amounts over billable entries only, cost over all; entries without a
    stored rate add seconds but no amounts.
    """
    seconds = 0
    sums: dict[str, tuple[int, int]] = {}
    for entry in entries:
        row = ReportRow.for_entry(
            (),
            duration_seconds=entry.duration_seconds,
            billable=entry.billable,
            rate=_figures(entry),
            rounding=None,
        )
        seconds += row.duration_seconds
        if row.currency is not None:
            billable, cost = sums.get(row.currency, (0, 0))
            sums[row.currency] = (billable + row.billable_minor, cost + row.cost_minor)
    return seconds, tuple(f"{currency}:{b}:{c}" for currency, (b, c) in sorted(sums.items()))


def _figures(entry: TimeEntry) -> HourlyRate | None:
    """The figures of the entry's stored rate, as reports read them (a missing part counts 0)."""
    stored = entry.rate
    if stored is None:
        return None
    return HourlyRate(stored.billable_rate_minor or 0, stored.cost_rate_minor or 0, stored.currency)
