"""What the readers produce: one normalized :class:`ImportRow` per good source row, one
:class:`RejectedRow` (with its :class:`RowError` list) per bad one, and the limits they enforce.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from types import MappingProxyType
from typing import Any

import attrs

__all__ = [
    "DEFAULT_LIMITS",
    "DateFormat",
    "ImportLimits",
    "ImportRow",
    "ImportSource",
    "RejectedRow",
    "RowError",
    "utc_or_none",
]


class ImportSource(enum.StrEnum):
    """Where an import file comes from; recorded on every imported entry with its ``external_ref``."""

    TOGGL = "toggl"
    CLOCKIFY = "clockify"
    HARVEST = "harvest"
    HOURS = "hours"


class DateFormat(enum.StrEnum):
    """The order of a numeric date that does not start with the year: ``09/04/2025``."""

    MDY = "MDY"
    """Month first, as in the USA: ``09/04/2025`` is 4 September 2025."""
    DMY = "DMY"
    """Day first, as in most of Europe: ``09/04/2025`` is 9 April 2025."""


def utc_or_none(_instance: object, attribute: attrs.Attribute[Any], value: datetime | None) -> None:
    """An attrs validator: ``value`` is ``None`` or an aware datetime in UTC."""
    if value is not None and value.utcoffset() != timedelta(0):
        raise ValueError(f"{attribute.name} must be an aware UTC datetime, got {value!r}")


def _read_only(value: Mapping[str, str]) -> Mapping[str, str]:
    return value if isinstance(value, MappingProxyType) else MappingProxyType(dict(value))


@attrs.frozen
class RowError:
    """Why one row (or one cell of it) cannot be imported.

    ``row`` is 1-based and counts the header (the first data row of a CSV file is row 2, as a
    spreadsheet shows it; in JSON lines it is the line number). ``column`` is the header of the
    cell as the file spells it, or ``None`` when the problem is the whole row. ``code`` is stable
    snake_case (see docs/export-import.md), ``message`` is for a person.
    """

    row: int
    column: str | None
    code: str
    message: str

    def as_dict(self) -> dict[str, object]:
        """``{row, column, code, message}``, the shape of one entry of an import report's errors."""
        return {"row": self.row, "column": self.column, "code": self.code, "message": self.message}


@attrs.frozen
class RejectedRow:
    """A source row that cannot be imported, with every problem found in it."""

    row: int
    errors: tuple[RowError, ...]


@attrs.frozen
class ImportRow:
    """One source row, normalized: what an imported time entry is made of.

    Names (user, client, project, task) are as the file spells them, trimmed; matching them to
    hours' users, clients, projects and tasks is the import use case's work. ``billable`` is
    ``None`` when the file does not say (the project's default applies). ``started_at`` and
    ``stopped_at`` are aware UTC datetimes, both or neither (Harvest rows have neither).
    ``duration_seconds`` is in 0..86400 and never longer than the span between them.

    ``external_ref`` identifies the source row: the SHA-256 (hex) of its canonical content, so
    the same row read from the same file, or from another export of the same data, gets the same
    reference (see docs/export-import.md). ``columns`` maps each field name of this class to the
    header of the column it came from in this file, for error messages about a row that reads
    well but cannot be stored (an unknown email, an archived project).
    """

    source: ImportSource
    row: int
    external_ref: str
    entry_date: date
    duration_seconds: int
    user_email: str | None = None
    user_name: str | None = None
    client: str | None = None
    project: str | None = None
    task: str | None = None
    note: str | None = None
    billable: bool | None = None
    started_at: datetime | None = attrs.field(default=None, validator=utc_or_none)
    stopped_at: datetime | None = attrs.field(default=None, validator=utc_or_none)
    tags: tuple[str, ...] = ()
    columns: Mapping[str, str] = attrs.field(factory=dict, eq=False, repr=False, converter=_read_only)

    def __attrs_post_init__(self) -> None:
        if (self.started_at is None) != (self.stopped_at is None):
            raise ValueError("started_at and stopped_at go together")
        if self.started_at is not None and self.stopped_at is not None:
            span = (self.stopped_at - self.started_at).total_seconds()
            if span < self.duration_seconds:
                raise ValueError("duration_seconds is longer than the span from started_at to stopped_at")
        if not 0 <= self.duration_seconds <= 86_400:
            raise ValueError(f"duration_seconds must be in 0..86400, got {self.duration_seconds}")


@attrs.frozen
class ImportLimits:
    """What a reader accepts before it refuses the file (documented in docs/export-import.md).

    The defaults suit an upload over the API; the CLI may pass larger ones.
    """

    max_bytes: int = 64 * 1024 * 1024
    """The largest file, in bytes (64 MiB: about 180,000 Clockify rows)."""
    max_rows: int = 500_000
    """The most data rows (or JSON lines)."""
    max_columns: int = 100
    """The most columns in the header."""
    max_row_chars: int = 65_536
    """The longest row, in characters (all its cells together, or one JSON line)."""


DEFAULT_LIMITS = ImportLimits()
