"""Clockify's "Detailed report" CSV export.

Every field is quoted, lines end in CRLF, and the layout varies: ``Billable``, ``Client``, the
rate and amount columns, ``Type``, ``Invoiced``, ``Date of creation`` may each be there or not,
and ``Task`` is called ``Activity`` in some workspaces. Dates follow each user's profile
(``MM/DD/YYYY``, ``DD/MM/YYYY``, other separators), times are 12-hour (``10:23:52 AM``,
``10:23 AM``) or 24-hour, ``Duration (h)`` follows the workspace's format (``hh:mm:ss``, ``h:mm``
or ``h.hh``) and ``Duration (decimal)`` is hours with two decimals. A time without seconds is
written to the minute, so an end of ``09:00`` after a start of ``09:00:30`` ended within that
minute: it is read as the start, and the duration says how long the entry was.
"""

from __future__ import annotations

import functools
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

__all__ = ["CLOCKIFY", "read_clockify"]

CLOCKIFY = CsvLayout(
    source=ImportSource.CLOCKIFY,
    columns=(
        *TIMED_COLUMNS,
        Column("user_name", ("user",)),
        Column("task", ("task", "activity")),
        Column("duration", ("duration (h)", "duration")),
        Column("duration_decimal", ("duration (decimal)",)),
    ),
    required=(("start_date",), ("duration", "duration_decimal", "end_time")),
    date_fields=("start_date", "end_date"),
    build=functools.partial(build_timed_row, ends_to_the_minute=True),
)


def read_clockify(
    data: ImportData,
    *,
    timezone: str | tzinfo,
    date_format: DateFormat | str | None = None,
    limits: ImportLimits = DEFAULT_LIMITS,
) -> Iterator[ImportRow | RejectedRow]:
    """The rows of a Clockify "Detailed report" CSV export, its wall-clock times read in ``timezone``.

    Without ``date_format`` (``MDY`` or ``DMY``) the dates settle the order when one of them has
    a day above 12; a file where none does raises :class:`~hours_exchange.AmbiguousDateFormat`.
    Checks the header and the date order now and returns a generator of the rows.
    """
    return read_csv(CLOCKIFY, data, zone=time_zone(timezone), date_format=date_format, limits=limits)
