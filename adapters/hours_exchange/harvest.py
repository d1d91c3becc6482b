"""Harvest's "Detailed time" report CSV export.

One row is one entry with a date and decimal hours only: no start, no end, no time zone, so an
imported Harvest entry has an ``entry_date`` and a duration and nothing else. Hours follow the
account's number format (``1.85`` or ``"20,0"``). The person is ``First Name`` and ``Last Name``
(no email). Rates, amounts, ``Invoiced?``, ``Approved?`` and unknown columns are ignored.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import tzinfo
from typing import Any

from hours_exchange.csv_import import Cells, Column, CsvLayout, RowContext, read_csv
from hours_exchange.import_rows import (
    DEFAULT_LIMITS,
    DateFormat,
    ImportLimits,
    ImportRow,
    ImportSource,
    RejectedRow,
)
from hours_exchange.source_text import ImportData
from hours_exchange.wall_clock import SpanProblem, check_duration_length

__all__ = ["HARVEST", "read_harvest"]


def _build_harvest_row(cells: Cells, context: RowContext) -> dict[str, Any] | None:
    first, last = cells.text("first_name"), cells.text("last_name")
    user_name = " ".join(part for part in (first, last) if part) or None
    fields = cells.descriptive_fields(user_name)
    if cells.required("date") is None or cells.required("hours") is None:
        return None
    entry_date = cells.date("date", context.date_format)
    hours = cells.duration("hours")
    if cells.errors or entry_date is None or hours is None:
        return None
    try:
        check_duration_length(hours.seconds)
    except SpanProblem as problem:
        cells.fail("hours", problem.code, problem.message)
        return None
    fields["entry_date"] = entry_date
    fields["duration_seconds"] = hours.seconds
    return fields


HARVEST = CsvLayout(
    source=ImportSource.HARVEST,
    columns=(
        Column("date", ("date", "spent date")),
        Column("client", ("client",)),
        Column("project", ("project",)),
        Column("task", ("task",)),
        Column("note", ("notes", "note")),
        Column("hours", ("hours",)),
        Column("billable", ("billable?", "billable")),
        Column("first_name", ("first name",)),
        Column("last_name", ("last name",)),
        Column("user_email", ("email",)),
    ),
    required=(("date",), ("hours",)),
    date_fields=("date",),
    build=_build_harvest_row,
)


def read_harvest(
    data: ImportData,
    *,
    timezone: str | tzinfo | None = None,
    date_format: DateFormat | str | None = None,
    limits: ImportLimits = DEFAULT_LIMITS,
) -> Iterator[ImportRow | RejectedRow]:
    """The rows of a Harvest "Detailed time" CSV export.

    ``timezone`` is accepted for symmetry and unused: Harvest rows have no times of day.
    Checks the header now and returns a generator of the rows.
    """
    del timezone
    return read_csv(HARVEST, data, zone=None, date_format=date_format, limits=limits)
