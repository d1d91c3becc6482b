"""Toggl Track's "Detailed report" CSV export.

Both layouts are read: the old one (only the fields that need it quoted, an ``Amount (EUR)``
column) and the 2023 one (every field quoted, no amount). Dates are ``YYYY-MM-DD``, times 24-hour
``HH:MM:SS`` in the report's time zone, the duration ``HH:MM:SS`` (or ``H:MM:SS``, ``M:SS min``,
decimal hours, as the profile's duration format says). ``Amount`` and unknown columns are ignored:
hours resolves its own rates.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import tzinfo

from hours_exchange.csv_import import Column, CsvLayout, read_csv
from hours_exchange.import_rows import (
    DEFAULT_LIMITS,
    DateFormat,
    ImportLimits,
    ImportRow,
    ImportSource,
    RejectedRow,
)
from hours_exchange.source_text import ImportData
from hours_exchange.timed_rows import TIMED_COLUMNS, build_timed_row
from hours_exchange.wall_clock import time_zone

__all__ = ["TOGGL", "read_toggl"]

TOGGL = CsvLayout(
    source=ImportSource.TOGGL,
    columns=(
        *TIMED_COLUMNS,
        Column("user_name", ("user", "member")),
        Column("task", ("task",)),
        Column("duration", ("duration",)),
    ),
    required=(("start_date",), ("duration", "end_time")),
    date_fields=("start_date", "end_date"),
    build=build_timed_row,
)


def read_toggl(
    data: ImportData,
    *,
    timezone: str | tzinfo,
    date_format: DateFormat | str | None = None,
    limits: ImportLimits = DEFAULT_LIMITS,
) -> Iterator[ImportRow | RejectedRow]:
    """The rows of a Toggl "Detailed" CSV export, its wall-clock times read in ``timezone``.

    Checks the header now (raising :class:`~hours_exchange.ImportFileError`) and returns a
    generator that yields one :class:`ImportRow` or :class:`RejectedRow` per data row.
    ``date_format`` is only needed for a hand-edited file with non-ISO dates.
    """
    return read_csv(TOGGL, data, zone=time_zone(timezone), date_format=date_format, limits=limits)
